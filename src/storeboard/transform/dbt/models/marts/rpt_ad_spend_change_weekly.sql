{#
  What drove each ISO week's ad spend and MER (blended ROAS: net sales of all channels ÷ ad
  spend) against the week before, by ad platform (docs/metrics.md, What drove the week). One
  row per week and part: each ad platform, whose spend_change add up to the week's, and
  `net_sales`, the part of the MER change that came from sales. The parts' mer_effect add up to
  mer_change exactly: a platform's effect is −last week's net sales × its spend change ÷ (last
  week's spend × this week's), rounded to 4 places, and net sales take the rest. MER and its
  effects are empty when either week had no ad spend.
#}
with

ads as (
    select {{ week_start('date') }} as week_start, ad_platform, sum(spend) as spend
    from {{ ref('fct_ad_performance_daily') }}
    group by 1, 2
),

sales as (
    select week_start, net_sales from {{ ref('rpt_net_sales_change_weekly') }}
),

platform_weeks as (
    select week_start, ad_platform from ads
    union
    select week_start + 7, ad_platform from ads
),

platforms as (
    select
        platform_weeks.week_start,
        platform_weeks.ad_platform,
        cast(coalesce(current_week.spend, 0) as {{ money_type() }}) as spend,
        cast(coalesce(previous_week.spend, 0) as {{ money_type() }}) as previous_spend
    from platform_weeks
    left join ads as current_week
        on platform_weeks.week_start = current_week.week_start and platform_weeks.ad_platform = current_week.ad_platform
    left join ads as previous_week
        on platform_weeks.week_start - 7 = previous_week.week_start
        and platform_weeks.ad_platform = previous_week.ad_platform
    where platform_weeks.week_start <= {{ week_start(report_date()) }}
),

weeks as (
    select
        platforms.week_start,
        sum(platforms.spend) as spend,
        sum(platforms.previous_spend) as previous_spend,
        coalesce(max(current_sales.net_sales), 0) as net_sales,
        coalesce(max(previous_sales.net_sales), 0) as previous_net_sales
    from platforms
    left join sales as current_sales on platforms.week_start = current_sales.week_start
    left join sales as previous_sales on platforms.week_start - 7 = previous_sales.week_start
    group by platforms.week_start
),

mer as (
    select
        weeks.*,
        case when spend > 0 and previous_spend > 0 then
            {{ divide_exact('net_sales', 'spend', 4) }} - {{ divide_exact('previous_net_sales', 'previous_spend', 4) }}
        end as mer_change,
        case when spend > 0 then {{ divide_exact('net_sales', 'spend', 4) }} end as mer,
        case when previous_spend > 0 then {{ divide_exact('previous_net_sales', 'previous_spend', 4) }} end as previous_mer
    from weeks
),

platform_effects as (
    select
        platforms.week_start,
        platforms.ad_platform as part,
        platforms.spend,
        platforms.previous_spend,
        platforms.spend - platforms.previous_spend as spend_change,
        case when mer.mer_change is not null then
            {{ divide_exact('-mer.previous_net_sales * (platforms.spend - platforms.previous_spend)',
                            'mer.previous_spend * mer.spend', 4) }}
        end as mer_effect
    from platforms
    inner join mer on platforms.week_start = mer.week_start
),

sales_effect as (
    select
        mer.week_start,
        'net_sales' as part,
        cast(0 as {{ money_type() }}) as spend,
        cast(0 as {{ money_type() }}) as previous_spend,
        cast(0 as {{ money_type() }}) as spend_change,
        mer.mer_change - (
            select sum(platform_effects.mer_effect) from platform_effects
            where platform_effects.week_start = mer.week_start
        ) as mer_effect
    from mer
),

parts as (
    select * from platform_effects
    union all
    select * from sales_effect
),

final as (
    select
        cast(parts.week_start as varchar) || ':' || parts.part as week_part_id,
        parts.week_start,
        parts.part,
        parts.spend,
        parts.previous_spend,
        parts.spend_change,
        mer.mer,
        mer.previous_mer,
        mer.mer_change,
        parts.mer_effect
    from parts
    inner join mer on parts.week_start = mer.week_start
)

select * from final
