{#
  One row per Shopify refund of a valid order, dated on the refund's own day: the returned line
  value (net of discounts, before tax; gift cards excluded), refunded shipping and taxes, units.
#}
with

refunds as (
    select * from {{ ref('stg_shopify__refunds') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
    where refund_id is not null
),

refund_amounts as (
    select
        refund_id,
        sum(returns) as returns,
        sum(case when event_type = 'appeasement' then returns else 0 end) as appeasements,
        -sum(shipping) as shipping_refunded,
        -sum(taxes) as taxes_refunded,
        -sum(units) as units_refunded
    from sales_events
    group by refund_id
),

final as (
    select
        refunds.refund_id,
        refunds.order_id,
        orders.customer_id,
        coalesce(refunds.processed_at, refunds.created_at) as refunded_at,
        {{ to_local_date('coalesce(refunds.processed_at, refunds.created_at)') }} as refund_date,
        orders.order_date,
        coalesce(refund_amounts.returns, 0) as returns,
        coalesce(refund_amounts.appeasements, 0) as appeasements,
        coalesce(refund_amounts.shipping_refunded, 0) as shipping_refunded,
        coalesce(refund_amounts.taxes_refunded, 0) as taxes_refunded,
        coalesce(refund_amounts.units_refunded, 0) as units_refunded,
        refunds.total_refunded as shopify_total_refunded,
        {{ month_start(to_local_date('coalesce(refunds.processed_at, refunds.created_at)')) }}
            <> {{ month_start('orders.order_date') }} as is_later_month
    from refunds
    inner join orders on refunds.order_id = orders.order_id
    left join refund_amounts on refunds.refund_id = refund_amounts.refund_id
)

select * from final
