-- A refund can never take back more than its order sold: returns ≤ gross − discounts, refunded
-- shipping ≤ shipping charged, refunded units ≤ units, and Shopify's refunded total ≤ its price.
with

refunds as (
    select
        order_id,
        sum(returns) as returns,
        sum(shipping_refunded) as shipping_refunded,
        sum(units_refunded) as units_refunded,
        sum(shopify_total_refunded) as shopify_total_refunded
    from {{ ref('fct_refunds') }}
    group by order_id
),

charged as (
    select
        order_id,
        sum(gross_sales - discounts) as line_revenue,
        sum(case when not is_gift_card then quantity else 0 end) as units
    from {{ ref('fct_order_lines') }}
    group by order_id
)

select refunds.order_id
from refunds
inner join charged on refunds.order_id = charged.order_id
inner join {{ ref('fct_orders') }} as orders on refunds.order_id = orders.order_id
where refunds.returns > charged.line_revenue
   or refunds.units_refunded > charged.units
   or refunds.shopify_total_refunded > orders.shopify_total_price
   or orders.returns > orders.gross_sales - orders.discounts
