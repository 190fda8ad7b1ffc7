{# For incremental order facts: on an incremental run, keep only orders that may have changed —
   updated in Shopify since the newest update already in `this` (less a look-back of
   var('incremental_lookback_days', 3) days, for late Stripe fees and refunds), or processed
   within that look-back. Whole orders are rebuilt, so allocations within an order stay exact.
   `dbt build --full-refresh` rebuilds everything and gives the same rows. #}
{% macro changed_orders_filter(updated_column, processed_column, also=none) -%}
    {%- if is_incremental() -%}
    {#- One semi-join on the set of changed order ids, not ORed subqueries: PostgreSQL cannot turn a
        subquery under OR into a join, and with a million orders it compared every order with
        every row of the subquery (an incremental run at 1M orders took over ten minutes). -#}
    and order_id in (
        select order_id from {{ ref('stg_shopify__orders') }}
        where {{ updated_column }} >= (select max(order_updated_at) from {{ this }})
                - interval '{{ var("incremental_lookback_days", 3) }} days'
            or {{ processed_column }} >= (select max(processed_at) from {{ this }})
                - interval '{{ var("incremental_lookback_days", 3) }} days'
        -- orders that arrive late with an old updated_at (a quarantined order read again, a
        -- source back from an outage) are new to this table all the same
        union
        (
            select order_id from {{ ref('stg_shopify__orders') }}
            except
            select order_id from {{ this }}
        )
        {%- if also %}
        union
        {{ also }}
        {%- endif %}
    )
    {%- endif -%}
{%- endmacro %}
