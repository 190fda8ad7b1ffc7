{#
  One row per ad platform, account, ad set / ad group and day (the account's own day), Meta Ads
  and Google Ads side by side in the account's currency: spend, delivery and the platform's own
  purchase conversions with the attribution window they were counted in.
#}
with

meta_insights as (
    select * from {{ ref('stg_meta_ads__insights') }}
),

google_metrics as (
    select * from {{ ref('stg_google_ads__ad_group_metrics') }}
),

google_campaigns as (
    select * from {{ ref('stg_google_ads__campaigns') }}
),

google_ad_groups as (
    select * from {{ ref('stg_google_ads__ad_groups') }}
),

meta as (
    select
        'meta_ads' as ad_platform,
        account_id,
        campaign_id,
        campaign_name,
        ad_set_id,
        ad_set_name,
        upper(account_currency) as currency_code,
        attribution_window,
        report_date,
        spend,
        impressions,
        clicks,
        cast(purchases as decimal(18, 4)) as conversions,
        purchase_value as conversion_value
    from meta_insights
),

google as (
    select
        'google_ads' as ad_platform,
        google_metrics.customer_id as account_id,
        google_metrics.campaign_id,
        google_campaigns.campaign_name,
        google_metrics.ad_group_id as ad_set_id,
        google_ad_groups.ad_group_name as ad_set_name,
        upper(google_metrics.currency_code) as currency_code,
        google_metrics.attribution_window,
        google_metrics.report_date,
        cast(google_metrics.cost as {{ money_type() }}) as spend,
        google_metrics.impressions,
        google_metrics.clicks,
        google_metrics.conversions,
        google_metrics.conversions_value as conversion_value
    from google_metrics
    left join google_campaigns
        on google_metrics.campaign_id = google_campaigns.campaign_id
        and google_metrics.customer_id = google_campaigns.customer_id
    left join google_ad_groups
        on google_metrics.ad_group_id = google_ad_groups.ad_group_id
        and google_metrics.customer_id = google_ad_groups.customer_id
),

final as (
    select * from meta
    union all
    select * from google
)

select * from final
