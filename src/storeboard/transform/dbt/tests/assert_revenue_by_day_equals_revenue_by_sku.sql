-- Revenue by day and revenue by SKU are two cuts of the same events: per month (and so in
-- total) gross sales, discounts, returns and net sales agree exactly. With var refund_dating =
-- order_date the SKU view moves returns to the order's month, so only the totals must agree.
{%- set by_order = var('refund_dating') == 'order_date' %}
with

by_day as (
    select
        {{ "cast('1900-01-01' as date)" if by_order else month_start('date') }} as month,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(net_sales) as net_sales,
        sum(units_sold) as net_units
    from {{ ref('rpt_revenue_daily') }}
    group by 1
),

by_sku as (
    select
        {{ "cast('1900-01-01' as date)" if by_order else 'month' }} as month,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(net_revenue) as net_sales,
        sum(net_units) as net_units
    from {{ ref('rpt_product_margin_monthly') }}
    group by 1
)

select coalesce(by_day.month, by_sku.month) as month
from by_day
full outer join by_sku on by_day.month = by_sku.month
where coalesce(by_day.gross_sales, 0) <> coalesce(by_sku.gross_sales, 0)
   or coalesce(by_day.discounts, 0) <> coalesce(by_sku.discounts, 0)
   or coalesce(by_day.returns, 0) <> coalesce(by_sku.returns, 0)
   or coalesce(by_day.net_sales, 0) <> coalesce(by_sku.net_sales, 0)
   or coalesce(by_day.net_units, 0) <> coalesce(by_sku.net_units, 0)
