{# For the order-keyed incremental models (int_order_lines_priced, int_order_lines_allocated,
   int_sales_events, fct_orders, fct_order_lines): on an incremental run, keep only the orders to
   rebuild — those whose input fingerprint (int_order_fingerprints) differs from the one stored
   with their rows, new orders included, and those processed within a look-back of
   var('incremental_lookback_days', 3) days of the newest already built (an inventory snapshot
   arriving a few days late moves their unit cost). Each model compares with its own rows, so a
   run that fails half-way leaves every table consistent with what it holds, and the next run
   rebuilds what is still behind. Whole orders are rebuilt, so allocations within an order stay
   exact. `dbt build --full-refresh` rebuilds everything and gives the same rows. #}
{% macro changed_orders_filter(also=none, column='order_id') -%}
    {#- referenced outside the condition, so dbt records the dependency when it parses the model -#}
    {%- set fingerprints = ref('int_order_fingerprints') -%}
    {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list if is_incremental() else [] -%}
    {#- a table built before fingerprints existed is rebuilt whole, and gets the column -#}
    {%- if is_incremental() and 'input_fingerprint' in built -%}
    {#- One semi-join on the set of changed order ids, not ORed subqueries: PostgreSQL cannot turn a
        subquery under OR into a join, and with a million orders it compared every order with
        every row of the subquery (an incremental run at 1M orders took over ten minutes). -#}
    and {{ column }} in (
        select fingerprints.order_id
        from {{ fingerprints }} as fingerprints
        left join (select distinct order_id, input_fingerprint from {{ this }}) as built
            on fingerprints.order_id = built.order_id
        where built.input_fingerprint is distinct from fingerprints.input_fingerprint
            or fingerprints.processed_at >= (select max(processed_at) from {{ this }})
                - interval '{{ var("incremental_lookback_days", 3) }} days'
        {%- if also %}
        union
        {{ also }}
        {%- endif %}
    )
    {%- endif -%}
{%- endmacro %}

{# Post-hook of the same models: rows of orders that are no longer valid (now a test order, or
   cancelled under var('valid_orders') = exclude_cancelled) go, as a full refresh would drop them;
   `delete+insert` only replaces the orders the run selected. NOT EXISTS, not NOT IN: PostgreSQL
   plans it as one hash anti-join. #}
{% macro delete_orders_no_longer_valid() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where not exists (
        select 1 from {{ ref('int_order_fingerprints') }} as fingerprints
        where fingerprints.order_id = {{ this }}.order_id
    )
    {%- endif -%}
{%- endmacro %}

{# The fingerprint of the text `parts`: a 64-bit hash on DuckDB (eight bytes a row on tables of
   millions of lines, where a 32-character md5 held the 1 GB engine over its limit), md5 elsewhere.
   Only ever compared with itself on the same warehouse. #}
{% macro input_hash(parts) -%}
    {{ return(adapter.dispatch('input_hash', 'storeboard')(parts)) }}
{%- endmacro %}

{% macro default__input_hash(parts) -%}
    md5({{ parts }})
{%- endmacro %}

{% macro duckdb__input_hash(parts) -%}
    hash({{ parts }})
{%- endmacro %}

{# The config of every order-keyed incremental model, in one place: rows replaced whole orders at
   a time (keyed by order, not line, so a line removed from an order goes too), the fingerprint
   column added to tables built before it, invalid orders deleted. #}
{% macro order_keyed_incremental() -%}
    {{ config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_orders_no_longer_valid() }}",
    ) }}
{%- endmacro %}
