{# A phone number in E.164 (+<country><number>, digits only). Numbers written without a country
   code (no leading + or 00) get var('default_phone_country_code', '1'). Null when too short. #}
{% macro phone_e164(column) -%}
    case
        when length(regexp_replace(coalesce({{ column }}, ''), '[^0-9]', '', 'g')) < 7 then null
        when trim({{ column }}) like '+%' then '+' || regexp_replace({{ column }}, '[^0-9]', '', 'g')
        when trim({{ column }}) like '00%' then '+' || substr(regexp_replace({{ column }}, '[^0-9]', '', 'g'), 3)
        else '+{{ var("default_phone_country_code", "1") }}' || regexp_replace({{ column }}, '[^0-9]', '', 'g')
    end
{%- endmacro %}

{# An email trimmed and lower-cased; null when blank. #}
{% macro email_normalized(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{# The value of query parameter `name` in a URL, or null. #}
{% macro url_parameter(column, name) -%}
    {{ return(adapter.dispatch('url_parameter', 'storeboard')(column, name)) }}
{%- endmacro %}

{% macro default__url_parameter(column, name) -%}
    substring({{ column }} from '[?&]{{ name }}=([^&#]*)')
{%- endmacro %}

{% macro duckdb__url_parameter(column, name) -%}
    nullif(regexp_extract({{ column }}, '[?&]{{ name }}=([^&#]*)', 1), '')
{%- endmacro %}
