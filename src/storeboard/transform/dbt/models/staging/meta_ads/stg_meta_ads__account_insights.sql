{#
  One Meta ad account on one of its days: the total Meta reports at account level, deleted and
  archived objects included, which the spend reconciliation compares with the ad sets' sum.
#}
with

source as (
    {{ select_source_columns('meta_ads', 'account_insights', {
        'date_start': 'date',
        'account_id': 'varchar',
        'account_currency': 'varchar',
        'spend': 'varchar',
        'impressions': 'varchar',
        'clicks': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        account_id || '-' || cast(date_start as varchar) as account_insight_id,
        account_id,

        -- strings
        upper(account_currency) as currency_code,

        -- numerics (account currency, major units)
        cast(coalesce(spend, '0') as {{ money_type() }}) as spend,
        cast(coalesce(impressions, '0') as bigint) as impressions,
        cast(coalesce(clicks, '0') as bigint) as clicks,

        -- dates (the ad account's time zone)
        date_start as report_date

    from source
)

select * from renamed
