{#
  One row per store-local day and acquisition channel (seed `channels`), from the first to the
  last day with spend or new customers: ad spend of the channel's platform (shop currency), the
  unified customers whose first order fell that day and were acquired by the channel, and
  channel CAC. Over a range, CAC is Σ spend ÷ Σ new customers, not an average of days.
#}
with

performance as (
    select * from {{ ref('fct_ad_performance_daily') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
    where first_order_date is not null
),

channels as (
    select * from {{ ref('channels') }}
),

spend_by_day as (
    select date, ad_platform, sum(spend) as spend, sum(platform_conversion_value) as platform_conversion_value
    from performance
    group by date, ad_platform
),

new_by_day as (
    select first_order_date as date, acquisition_channel as channel, count(*) as new_customers
    from customers
    group by first_order_date, acquisition_channel
),

bounds as (
    select min(date) as first_day, max(date) as last_day
    from (
        select date from spend_by_day
        union all
        select date from new_by_day
    ) as days
),

calendar as (
    select {{ date_series('first_day', 'last_day') }} as date_day
    from bounds
    where first_day is not null
),

final as (
    select
        cast(calendar.date_day as varchar) || ':' || channels.channel as channel_day_id,
        calendar.date_day as date,
        channels.channel,
        channels.ad_platform,
        channels.is_paid,
        coalesce(spend_by_day.spend, 0) as spend,
        coalesce(spend_by_day.platform_conversion_value, 0) as platform_conversion_value,
        coalesce(new_by_day.new_customers, 0) as new_customers,
        {{ cac('spend_by_day.spend', 'new_by_day.new_customers') }} as channel_cac
    from calendar
    cross join channels
    left join spend_by_day
        on calendar.date_day = spend_by_day.date and channels.ad_platform = spend_by_day.ad_platform
    left join new_by_day
        on calendar.date_day = new_by_day.date and channels.channel = new_by_day.channel
)

select * from final
