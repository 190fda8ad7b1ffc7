with

source as (
    {{ select_source_columns('google_ads', 'ad_group_metrics', {
        'date': 'date',
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'campaign_id': 'varchar',
        'ad_group_id': 'varchar',
        'cost_micros': 'varchar',
        'impressions': 'varchar',
        'clicks': 'varchar',
        'conversions': 'varchar',
        'conversions_value': 'varchar',
        'attribution_window': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        customer_id || '-' || ad_group_id || '-' || cast("date" as varchar) as ad_group_metric_id,
        customer_id,
        campaign_id,
        ad_group_id,

        -- strings
        customer_currency_code as currency_code,
        -- rows loaded before purchases were read by conversion category counted every primary action
        coalesce(attribution_window, 'all_primary_conversions') as attribution_window,

        -- numerics (customer currency; see the macro for the cost arithmetic)
        {{ google_ads_delivery_columns() }},

        -- dates (the customer's time zone)
        "date" as report_date

    from source
)

select * from renamed
