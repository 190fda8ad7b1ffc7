{#
  One row per order-level shipping event (charged, refunded, reversed by a cancellation) and
  line of its order: the event's shipping revenue shared out by the lines' shipping weight
  (int_order_lines_allocated), dated like the event. The parts add up to the event exactly.
#}
with

shipping_events as (
    select * from {{ ref('int_sales_events') }}
    where event_type in ('shipping', 'shipping_refund', 'shipping_cancellation')
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

joined as (
    select
        shipping_events.event_type,
        shipping_events.order_id || '|' || shipping_events.event_type || '|'
            || coalesce(shipping_events.refund_id, '') as shipping_event_key,
        shipping_events.refund_id,
        shipping_events.event_at,
        shipping_events.event_date,
        shipping_events.order_date,
        shipping_events.shipping as event_shipping,
        lines.order_id,
        lines.order_line_id,
        lines.sku,
        lines.is_gift_card,
        lines.shipping_weight
    from shipping_events
    inner join lines on shipping_events.order_id = lines.order_id
),

final as (
    select
        *,
        {{ allocate('event_shipping', 'shipping_weight', 'shipping_event_key', 'order_line_id') }} as shipping_revenue
    from joined
)

select * from final
