{# First day of the month of a date, as a date on every warehouse. #}
{% macro month_start(date_expr) -%}
    cast(date_trunc('month', cast({{ date_expr }} as timestamp)) as date)
{%- endmacro %}

{# Whole months from the month of `from_date` to the month of `to_date` (0 in the same month). #}
{% macro months_between(from_date, to_date) -%}
    cast((extract(year from {{ to_date }}) - extract(year from {{ from_date }})) * 12
     + extract(month from {{ to_date }}) - extract(month from {{ from_date }}) as integer)
{%- endmacro %}

{# The report's "today": var('report_date') when pinned, else today in the store's time zone. #}
{% macro report_date() -%}
    {%- if var('report_date') -%}
    cast('{{ var("report_date") }}' as date)
    {%- else -%}
    {{ to_local_date(dbt.current_timestamp()) }}
    {%- endif -%}
{%- endmacro %}

{# Monday of the ISO week of a date, as a date on every warehouse. #}
{% macro week_start(date_expr) -%}
    cast(date_trunc('week', cast({{ date_expr }} as timestamp)) as date)
{%- endmacro %}
