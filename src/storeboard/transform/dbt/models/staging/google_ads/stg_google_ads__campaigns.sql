with

source as (
    {{ select_source_columns('google_ads', 'campaigns', {
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'campaign_id': 'varchar',
        'campaign_name': 'varchar',
        'campaign_status': 'varchar',
        'campaign_advertising_channel_type': 'varchar',
        'campaign_budget_id': 'varchar',
        'campaign_start_date_time': 'timestamp',
        'attribution_window': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        campaign_id,
        customer_id,
        campaign_budget_id,

        -- strings
        campaign_name,
        campaign_status as status,
        campaign_advertising_channel_type as advertising_channel_type,
        customer_currency_code as currency_code,
        coalesce(attribution_window, '30d_click') as attribution_window,

        -- dates (the customer's time zone)
        cast(campaign_start_date_time as date) as start_date

    from source
)

select * from renamed
