{#
  One row per day (the ad account's day), ad platform, campaign and ad set / ad group, with
  spend in shop currency and the platform's own conversion value and ROAS (never added across
  platforms: each platform claims the same orders). No below-target flag here: the flag is of a
  range's sums (Σ value ÷ Σ spend), which a daily row cannot give, so it has one home,
  storeboard.presentation.metrics.is_below_roas_target, for the marketing page and the alert.
#}
with

performance as (
    select * from {{ ref('fct_ad_performance_daily') }}
),

channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        performance.ad_performance_id,
        performance.date,
        performance.ad_platform,
        channels.channel,
        performance.account_id,
        performance.campaign_id,
        performance.campaign_name,
        performance.ad_set_id,
        performance.ad_set_name,
        performance.spend,
        performance.impressions,
        performance.clicks,
        performance.platform_conversions,
        performance.platform_conversion_value,
        performance.platform_attribution_window,
        {{ divide_exact('performance.platform_conversion_value', 'performance.spend', 4) }} as platform_roas
    from performance
    left join channels on performance.ad_platform = channels.ad_platform
)

select * from final
