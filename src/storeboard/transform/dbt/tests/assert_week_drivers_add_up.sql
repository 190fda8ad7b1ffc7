-- What drove the week (docs/metrics.md): each breakdown of the change in net sales adds up to it
-- exactly, net sales equal the weekly summary's, and the parts' MER effects add up to the MER
-- change; on every store built, the demo's included. Returns the weeks that do not.
with

net_sales as (
    select * from {{ ref('rpt_net_sales_change_weekly') }}
),

summary as (
    select week_start, value from {{ ref('rpt_weekly_summary') }} where metric = 'net_sales'
),

mer as (
    select week_start, max(mer_change) as mer_change, sum(mer_effect) as effects
    from {{ ref('rpt_ad_spend_change_weekly') }}
    group by week_start
)

select net_sales.week_start, 'net sales parts' as problem
from net_sales
left join summary on net_sales.week_start = summary.week_start
where net_sales.orders_effect + net_sales.average_order_value_effect + net_sales.returns_effect
        + net_sales.other_channels_effect <> net_sales.change
    or net_sales.new_customers_effect + net_sales.returning_customers_effect + net_sales.guests_effect
        + net_sales.returns_effect + net_sales.other_channels_effect <> net_sales.change
    or net_sales.shopify_effect + net_sales.other_channels_effect <> net_sales.change
    or (summary.value is not null and summary.value <> net_sales.net_sales)
union all
select week_start, 'MER effects'
from mer
where mer_change is not null and effects <> mer_change
