{#
  One row per store-local day: blended marketing efficiency. Total ad spend (both platforms,
  shop currency), net sales of all sales channels (rpt_revenue_by_channel_daily), new customers,
  blended ROAS (MER) = net sales ÷ spend and blended CAC = spend ÷ new customers. Over a range,
  take the ratio of the sums.
#}
with

revenue as (
    select date, sum(net_sales) as net_sales, sum(total_sales) as total_sales
    from {{ ref('rpt_revenue_by_channel_daily') }}
    group by date
),

channels as (
    select date, sum(spend) as spend, sum(new_customers) as new_customers
    from {{ ref('rpt_marketing_channels_daily') }}
    group by date
),

days as (
    select date from revenue
    union
    select date from channels
),

final as (
    select
        days.date,
        coalesce(channels.spend, 0) as ad_spend,
        coalesce(revenue.net_sales, 0) as net_sales,
        coalesce(channels.new_customers, 0) as new_customers,
        {{ divide_exact('revenue.net_sales', 'channels.spend', 4) }} as blended_roas,
        {{ cac('channels.spend', 'channels.new_customers') }} as blended_cac
    from days
    left join revenue on days.date = revenue.date
    left join channels on days.date = channels.date
)

select * from final
