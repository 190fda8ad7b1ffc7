{#
  Every source's quarantine table (raw_<source>.quarantine, written by the shared malformed-record
  rule) in one relation. A quarantine table exists only once a source has quarantined something,
  and a source's sources.yml may not declare it, so the relations are looked up here rather than
  through source(); a missing one contributes no rows.
#}
{%- set sources = ['shopify', 'stripe', 'meta_ads', 'google_ads', 'hubspot', 'files'] -%}
{%- set found = [] -%}
{%- if execute -%}
    {%- for name in sources -%}
        {%- set relation = adapter.get_relation(database=target.database, schema='raw_' ~ name, identifier='quarantine') -%}
        {%- if relation is not none -%}
            {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- do found.append((name, relation, columns)) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

source as (
    {%- for name, relation, columns in found %}
    select
        cast('{{ name }}' as varchar) as source_name,
        {% for col in ['resource', 'record_id', 'field', 'reason'] -%}
        {% if col in columns %}cast({{ adapter.quote(col) }} as varchar){% else %}cast(null as varchar){% endif %} as {{ col }},
        {% endfor -%}
        {% if 'quarantined_at' in columns %}cast(quarantined_at as timestamp with time zone){% else %}cast(null as timestamp with time zone){% endif %} as quarantined_at
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if not found %}
    select
        cast(null as varchar) as source_name,
        cast(null as varchar) as resource,
        cast(null as varchar) as record_id,
        cast(null as varchar) as field,
        cast(null as varchar) as reason,
        cast(null as timestamp with time zone) as quarantined_at
    where 1 = 0
    {%- endif %}
),

renamed as (
    select
        -- strings
        source_name,
        resource,
        record_id,
        field as field_name,
        reason,

        -- timestamps (UTC)
        quarantined_at

    from source
)

select * from renamed
