{#
  One row per sales event at line grain, dated in store time: the sale of a line (on the order's
  processed date), the return of refunded units (on the refund's date), and the reversal of a
  cancelled order that was never refunded (on the cancellation date, so it nets to zero).
  Gift-card lines are not sales and test orders are excluded (metrics.md). Every sales metric
  (gross sales, discounts, returns, net sales, units) is summed from here and nowhere else.
#}
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
),

order_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
    where not is_gift_card
),

refunds as (
    select * from {{ ref('stg_shopify__refunds') }}
),

refund_lines as (
    select * from {{ ref('stg_shopify__refund_lines') }}
),

sales as (
    select
        'sale' as event_type,
        orders.order_id,
        order_lines.order_line_id,
        order_lines.sku,
        orders.processed_at as event_at,
        order_lines.unit_price * order_lines.quantity as gross_sales,
        order_lines.discount_amount as discounts,
        cast(0 as {{ money_type() }}) as returns,
        order_lines.quantity as units
    from order_lines
    inner join orders on order_lines.order_id = orders.order_id
),

returns as (
    select
        'return' as event_type,
        orders.order_id,
        order_lines.order_line_id,
        order_lines.sku,
        coalesce(refunds.processed_at, refunds.created_at) as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        refund_lines.subtotal_amount as returns,
        -refund_lines.quantity as units
    from refund_lines
    inner join refunds on refund_lines.refund_id = refunds.refund_id
    inner join order_lines on refund_lines.order_line_id = order_lines.order_line_id
    inner join orders on refund_lines.order_id = orders.order_id
),

unrefunded_cancellations as (
    select
        'cancellation' as event_type,
        orders.order_id,
        order_lines.order_line_id,
        order_lines.sku,
        orders.cancelled_at as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        order_lines.unit_price * order_lines.quantity - order_lines.discount_amount as returns,
        -order_lines.quantity as units
    from order_lines
    inner join orders on order_lines.order_id = orders.order_id
    where orders.is_cancelled
      and not exists (select 1 from refunds where refunds.order_id = orders.order_id)
),

unioned as (
    select * from sales
    union all
    select * from returns
    union all
    select * from unrefunded_cancellations
),

final as (
    select
        *,
        {{ to_local_date('event_at') }} as event_date
    from unioned
)

select * from final
