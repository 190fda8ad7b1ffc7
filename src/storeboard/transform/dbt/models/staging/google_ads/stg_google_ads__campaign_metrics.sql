{#
  One campaign on one customer day, every campaign type (Performance Max, which has no ad
  groups, included): the campaign's whole cost, delivery and purchases.
#}
with

source as (
    {{ select_source_columns('google_ads', 'campaign_metrics', {
        'date': 'date',
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'campaign_id': 'varchar',
        'campaign_advertising_channel_type': 'varchar',
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
        customer_id || '-' || campaign_id || '-' || cast("date" as varchar) as campaign_metric_id,
        customer_id,
        campaign_id,

        -- strings
        customer_currency_code as currency_code,
        campaign_advertising_channel_type as channel_type,
        attribution_window,

        -- numerics (customer currency; see the macro for the cost arithmetic)
        {{ google_ads_delivery_columns() }},

        -- dates (the customer's time zone)
        "date" as report_date

    from source
)

select * from renamed
