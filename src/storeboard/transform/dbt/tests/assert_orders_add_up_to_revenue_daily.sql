-- The order fact and the daily revenue mart hold the same money: their totals agree exactly,
-- and every order counts once in rpt_revenue_daily.orders.
with

orders as (
    select
        sum(gross_sales) as gross_sales, sum(discounts) as discounts, sum(returns) as returns,
        sum(shipping) as shipping, sum(taxes) as taxes, count(*) as orders
    from {{ ref('fct_orders') }}
),

days as (
    select
        sum(gross_sales) as gross_sales, sum(discounts) as discounts, sum(returns) as returns,
        sum(shipping) as shipping, sum(taxes) as taxes, sum(orders) as orders
    from {{ ref('rpt_revenue_daily') }}
)

select *
from orders cross join days
where coalesce(orders.gross_sales, 0) <> coalesce(days.gross_sales, 0)
   or coalesce(orders.discounts, 0) <> coalesce(days.discounts, 0)
   or coalesce(orders.returns, 0) <> coalesce(days.returns, 0)
   or coalesce(orders.shipping, 0) <> coalesce(days.shipping, 0)
   or coalesce(orders.taxes, 0) <> coalesce(days.taxes, 0)
   or coalesce(orders.orders, 0) <> coalesce(days.orders, 0)
