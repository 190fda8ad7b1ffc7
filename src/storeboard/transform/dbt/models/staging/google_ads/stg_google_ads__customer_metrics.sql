{#
  One customer (ad account) on one day: the account total Google reports at customer level,
  which the spend reconciliation compares with the sum of the campaigns.
#}
with

source as (
    {{ select_source_columns('google_ads', 'customer_metrics', {
        'date': 'date',
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'cost_micros': 'varchar',
        'impressions': 'varchar',
        'clicks': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        customer_id || '-' || cast("date" as varchar) as customer_metric_id,
        customer_id,

        -- strings
        customer_currency_code as currency_code,

        -- numerics (customer currency; see the macro for the cost arithmetic)
        {{ google_ads_delivery_columns(conversions=false) }},

        -- dates (the customer's time zone)
        "date" as report_date

    from source
)

select * from renamed
