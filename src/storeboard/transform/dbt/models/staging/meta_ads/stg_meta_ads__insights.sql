with

source as (
    {{ select_source_columns('meta_ads', 'insights', {
        'date_start': 'date',
        'account_id': 'varchar',
        'campaign_id': 'varchar',
        'campaign_name': 'varchar',
        'adset_id': 'varchar',
        'adset_name': 'varchar',
        'account_currency': 'varchar',
        'attribution_window': 'varchar',
        'spend': 'varchar',
        'impressions': 'varchar',
        'clicks': 'varchar',
        'purchases': 'varchar',
        'purchase_value': 'varchar',
        'purchases_7d_click': 'varchar',
        'purchase_value_7d_click': 'varchar',
        'purchases_1d_view': 'varchar',
        'purchase_value_1d_view': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        account_id || '-' || adset_id || '-' || cast(date_start as varchar) as insight_id,
        account_id,
        campaign_id,
        adset_id as ad_set_id,

        -- strings
        campaign_name,
        adset_name as ad_set_name,
        account_currency,
        coalesce(attribution_window, '7d_click_1d_view') as attribution_window,

        -- numerics (money in the account currency, major units)
        cast(spend as {{ money_type() }}) as spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(coalesce(purchases, '0') as bigint) as purchases,
        cast(coalesce(purchase_value, '0') as {{ money_type() }}) as purchase_value,
        cast(coalesce(purchases_7d_click, '0') as bigint) as purchases_7d_click,
        cast(coalesce(purchase_value_7d_click, '0') as {{ money_type() }}) as purchase_value_7d_click,
        cast(coalesce(purchases_1d_view, '0') as bigint) as purchases_1d_view,
        cast(coalesce(purchase_value_1d_view, '0') as {{ money_type() }}) as purchase_value_1d_view,

        -- dates (the ad account's time zone)
        date_start as report_date

    from source
)

select * from renamed
