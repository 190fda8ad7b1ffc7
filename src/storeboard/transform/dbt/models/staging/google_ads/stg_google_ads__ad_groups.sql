with

source as (
    {{ select_source_columns('google_ads', 'ad_groups', {
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'campaign_id': 'varchar',
        'ad_group_id': 'varchar',
        'ad_group_name': 'varchar',
        'ad_group_status': 'varchar',
        'ad_group_type': 'varchar',
        'attribution_window': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        ad_group_id,
        campaign_id,
        customer_id,

        -- strings
        ad_group_name,
        ad_group_status as status,
        ad_group_type,
        customer_currency_code as currency_code,
        coalesce(attribution_window, '30d_click') as attribution_window

    from source
)

select * from renamed
