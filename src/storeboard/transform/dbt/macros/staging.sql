{# Select `columns` (name -> type) from a raw source table, tolerating drift: dlt creates a column
   only once it has seen a non-null value, and a table only once it has seen a row, so a missing
   column becomes a typed null and a missing table an empty result. #}
{% macro select_source_columns(source_name, table_name, columns) -%}
    {%- set src = source(source_name, table_name) -%}
    {%- set relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else none -%}
    {%- set existing = [] -%}
    {%- if relation is not none -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- do existing.append(col.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    select
    {%- for name, type in columns.items() %}
        {% if name in existing -%}
        cast({{ adapter.quote(name) }} as {{ type }}) as {{ adapter.quote(name) }}
        {%- else -%}
        cast(null as {{ type }}) as {{ adapter.quote(name) }}
        {%- endif %}{{ "," if not loop.last }}
    {%- endfor %}
    {% if relation is not none -%}
    from {{ source(source_name, table_name) }}
    {%- else -%}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{# Money: exact decimals; four places covers every ISO currency's minor unit. #}
{% macro money_type() -%}decimal(18, 4){%- endmacro %}

{# num ÷ den rounded half away from zero to cents, exactly. DuckDB divides decimals in floating
   point, so there the rounding is done in integer ten-thousandths. #}
{% macro money_divide(num, den) -%}
    {{ return(adapter.dispatch('money_divide', 'storeboard')(num, den)) }}
{%- endmacro %}

{% macro default__money_divide(num, den) -%}
    round(cast({{ num }} as numeric) / nullif({{ den }}, 0), 2)
{%- endmacro %}

{% macro duckdb__money_divide(num, den) -%}
    cast(
        sign(cast({{ num }} as {{ money_type() }}))
        * ((2 * abs(cast(cast({{ num }} as {{ money_type() }}) * 10000 as hugeint)) + 100 * cast(nullif({{ den }}, 0) as hugeint))
           // (200 * cast(nullif({{ den }}, 0) as hugeint)))
        as decimal(18, 2)
    ) * cast(0.01 as decimal(3, 2))
{%- endmacro %}
