with

source as (
    {{ select_source_columns('hubspot', 'deals', {
        'id': 'varchar',
        'properties__dealname': 'varchar',
        'properties__amount': 'varchar',
        'properties__deal_currency_code': 'varchar',
        'properties__dealstage': 'varchar',
        'properties__pipeline': 'varchar',
        'properties__closedate': 'timestamp with time zone',
        'archived': 'boolean',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
        'archived_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        id as deal_id,

        -- strings
        properties__dealname as deal_name,
        properties__dealstage as deal_stage,
        properties__pipeline as pipeline,
        upper(properties__deal_currency_code) as currency_code,

        -- money (deal currency)
        cast(nullif(trim(properties__amount), '') as {{ money_type() }}) as amount,

        -- booleans
        coalesce(archived, false) as is_archived,
        properties__dealstage = 'closedwon' as is_won,
        coalesce(properties__dealstage in ('closedwon', 'closedlost'), false) as is_closed,

        -- timestamps (UTC)
        properties__closedate as closed_at,
        created_at,
        updated_at,
        archived_at

    from source
)

select * from renamed
