{# Layers land in schemas named exactly staging / intermediate / analytics, not <target>_<name>,
   so the web layer and any BI tool can rely on `analytics.<mart>`. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
