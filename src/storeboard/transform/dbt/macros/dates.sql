{# Store-local calendar date of a UTC timestamp (timestamptz), in var('store_timezone'). #}
{% macro to_local_date(column) -%}
    {{ return(adapter.dispatch('to_local_date', 'storeboard')(column)) }}
{%- endmacro %}

{% macro default__to_local_date(column) -%}
    cast(({{ column }} at time zone '{{ var("store_timezone") }}') as date)
{%- endmacro %}

{% macro duckdb__to_local_date(column) -%}
    cast(timezone('{{ var("store_timezone") }}', {{ column }}) as date)
{%- endmacro %}

{# One row per calendar day from first_day to last_day (SQL expressions), as `date_day`. #}
{% macro date_series(first_day, last_day) -%}
    {{ return(adapter.dispatch('date_series', 'storeboard')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__date_series(first_day, last_day) -%}
    cast(generate_series(cast({{ first_day }} as timestamp), cast({{ last_day }} as timestamp), interval '1 day') as date)
{%- endmacro %}

{% macro duckdb__date_series(first_day, last_day) -%}
    cast(unnest(generate_series(cast({{ first_day }} as timestamp), cast({{ last_day }} as timestamp), interval 1 day)) as date)
{%- endmacro %}
