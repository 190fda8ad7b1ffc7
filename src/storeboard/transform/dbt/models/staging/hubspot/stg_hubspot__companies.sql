with

source as (
    {{ select_source_columns('hubspot', 'companies', {
        'id': 'varchar',
        'properties__name': 'varchar',
        'properties__domain': 'varchar',
        'properties__industry': 'varchar',
        'properties__lifecyclestage': 'varchar',
        'archived': 'boolean',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
        'archived_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        id as company_id,

        -- strings
        properties__name as company_name,
        lower(trim(properties__domain)) as domain,
        properties__industry as industry,
        properties__lifecyclestage as lifecycle_stage,

        -- booleans
        coalesce(archived, false) as is_archived,

        -- timestamps (UTC)
        created_at,
        updated_at,
        archived_at

    from source
)

select * from renamed
