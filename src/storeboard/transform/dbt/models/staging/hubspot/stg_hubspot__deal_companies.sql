with

source as (
    {{ select_source_columns('hubspot', 'deals__companies', {
        'deal_id': 'varchar',
        'company_id': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        deal_id || '-' || company_id as deal_company_id,
        deal_id,
        company_id

    from source
)

select * from renamed
