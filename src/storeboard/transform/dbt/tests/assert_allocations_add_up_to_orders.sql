-- Shares of order money given to lines add up to the order amount exactly: shipping revenue,
-- shipping cost and payment fees.
with

lines as (
    select
        order_id,
        sum(shipping_revenue) as shipping_revenue,
        sum(shipping_cost) as shipping_cost,
        sum(payment_fees) as payment_fees
    from {{ ref('fct_order_lines') }}
    group by order_id
)

select orders.order_id
from {{ ref('fct_orders') }} as orders
inner join lines on orders.order_id = lines.order_id
where lines.shipping_revenue <> orders.shipping
   or lines.shipping_cost <> orders.shipping_cost
   or lines.payment_fees <> orders.payment_fees
