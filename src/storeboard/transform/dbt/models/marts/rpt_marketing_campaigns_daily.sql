{#
  One row per day (the ad account's day), ad platform, campaign and ad set / ad group, with
  spend in shop currency and the platform's own conversion value and ROAS (never added across
  platforms: each platform claims the same orders), flagged when below var('roas_target').
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
        {{ divide_exact('performance.platform_conversion_value', 'performance.spend', 4) }} as platform_roas,
        performance.spend > 0
            and {{ divide_exact('performance.platform_conversion_value', 'performance.spend', 4) }}
                < cast('{{ var("roas_target") }}' as decimal(18, 4)) as is_below_roas_target
    from performance
    left join channels on performance.ad_platform = channels.ad_platform
)

select * from final
