with

source as (
    {{ select_source_columns('hubspot', 'deals__contacts', {
        'deal_id': 'varchar',
        'contact_id': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        deal_id || '-' || contact_id as deal_contact_id,
        deal_id,
        contact_id

    from source
)

select * from renamed
