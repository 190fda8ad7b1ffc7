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
        'purchases_1d_click': 'varchar',
        'purchase_value_1d_click': 'varchar',
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
        coalesce(attribution_window, '7d_click_1d_view') as ad_set_attribution_window,

        -- numerics (money in the account currency, major units)
        cast(spend as {{ money_type() }}) as spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(coalesce(purchases, '0') as bigint) as ad_set_purchases,
        cast(coalesce(purchase_value, '0') as {{ money_type() }}) as ad_set_purchase_value,
        cast(coalesce(purchases_1d_click, '0') as bigint) as purchases_1d_click,
        cast(coalesce(purchase_value_1d_click, '0') as {{ money_type() }}) as purchase_value_1d_click,
        cast(coalesce(purchases_7d_click, '0') as bigint) as purchases_7d_click,
        cast(coalesce(purchase_value_7d_click, '0') as {{ money_type() }}) as purchase_value_7d_click,
        cast(coalesce(purchases_1d_view, '0') as bigint) as purchases_1d_view,
        cast(coalesce(purchase_value_1d_view, '0') as {{ money_type() }}) as purchase_value_1d_view,

        -- dates (the ad account's time zone)
        date_start as report_date

    from source
),

-- the purchases the metrics count: under each ad set's own attribution setting, as Ads Manager
-- reports them (var meta_attribution_window 'ad_set', the default), or under one window for
-- every ad set, so that ad sets with different settings compare like for like. Meta credits a
-- purchase to one touch, so 7-day click + 1-day view is the sum of its two windows.
{%- set window = var('meta_attribution_window') %}
{%- set windows = {
    'ad_set': ('ad_set_purchases', 'ad_set_purchase_value', 'ad_set_attribution_window'),
    '7d_click_1d_view': ('purchases_7d_click + purchases_1d_view', 'purchase_value_7d_click + purchase_value_1d_view', "'7d_click_1d_view'"),
    '7d_click': ('purchases_7d_click', 'purchase_value_7d_click', "'7d_click'"),
    '1d_click': ('purchases_1d_click', 'purchase_value_1d_click', "'1d_click'"),
} %}
{%- if window not in windows %}
{{ exceptions.raise_compiler_error("var meta_attribution_window must be one of ad_set, 7d_click_1d_view, 7d_click, 1d_click; got " ~ window) }}
{%- endif %}

final as (
    select
        *,
        {{ windows[window][2] }} as attribution_window,
        {{ windows[window][0] }} as purchases,
        {{ windows[window][1] }} as purchase_value
    from renamed
)

select * from final
