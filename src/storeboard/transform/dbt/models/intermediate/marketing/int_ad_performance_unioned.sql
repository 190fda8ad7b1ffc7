{#
  One row per ad platform, account, ad set / ad group and day (the account's own day), Meta Ads
  and Google Ads side by side in the account's currency: spend, delivery and the platform's own
  purchase conversions with the attribution window they were counted in.

  Google reports Performance Max campaigns (asset groups, no ad groups) only at campaign level,
  so each Google campaign day also gets a campaign-level row: the campaign's total less what its
  ad groups report (for Performance Max, all of it; for other types, normally nothing, and then
  no row). Google's spend here therefore equals the campaigns' totals.
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

google_campaign_metrics as (
    select * from {{ ref('stg_google_ads__campaign_metrics') }}
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

google_ad_group_totals as (
    select
        customer_id,
        campaign_id,
        report_date,
        sum(cost_micros) as cost_micros,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversions_value) as conversions_value
    from google_metrics
    group by customer_id, campaign_id, report_date
),

google_campaign_level as (
    select
        'google_ads' as ad_platform,
        campaign_metrics.customer_id as account_id,
        campaign_metrics.campaign_id,
        google_campaigns.campaign_name,
        'campaign-' || campaign_metrics.campaign_id as ad_set_id,
        coalesce(google_campaigns.campaign_name, campaign_metrics.campaign_id) || ' (campaign level)' as ad_set_name,
        upper(campaign_metrics.currency_code) as currency_code,
        campaign_metrics.attribution_window,
        campaign_metrics.report_date,
        cast(
            cast(campaign_metrics.cost_micros - coalesce(totals.cost_micros, 0) as decimal(24, 0))
            * cast(0.000001 as decimal(7, 6))
            as {{ money_type() }}
        ) as spend,
        campaign_metrics.impressions - coalesce(totals.impressions, 0) as impressions,
        campaign_metrics.clicks - coalesce(totals.clicks, 0) as clicks,
        campaign_metrics.conversions - coalesce(totals.conversions, 0) as conversions,
        campaign_metrics.conversions_value - coalesce(totals.conversions_value, 0) as conversion_value
    from google_campaign_metrics as campaign_metrics
    left join google_ad_group_totals as totals
        on campaign_metrics.customer_id = totals.customer_id
        and campaign_metrics.campaign_id = totals.campaign_id
        and campaign_metrics.report_date = totals.report_date
    left join google_campaigns
        on campaign_metrics.campaign_id = google_campaigns.campaign_id
        and campaign_metrics.customer_id = google_campaigns.customer_id
    where campaign_metrics.cost_micros <> coalesce(totals.cost_micros, 0)
        or campaign_metrics.impressions <> coalesce(totals.impressions, 0)
        or campaign_metrics.clicks <> coalesce(totals.clicks, 0)
        or campaign_metrics.conversions <> coalesce(totals.conversions, 0)
        or campaign_metrics.conversions_value <> coalesce(totals.conversions_value, 0)
),

final as (
    select * from meta
    union all
    select * from google
    union all
    select * from google_campaign_level
)

select * from final
