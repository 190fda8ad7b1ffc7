{{ order_keyed_incremental() }}
{#
  One row per sales event, dated in store time; every Shopify sales metric (gross sales,
  discounts, returns, net sales, shipping, taxes, units, COGS) is summed from here and nowhere
  else (docs/metrics.md). Line events: the sale of a line (on the order's processed date), the
  return of refunded units (on the refund's date), and the reversal of what a cancelled order
  still holds (on the cancellation date, so a cancelled order nets to zero). Order events:
  shipping and its tax charged (order date), refunded (refund date), reversed (cancellation).
  Appeasements: money a refund gives back beyond its lines and shipping (a goodwill refund with
  no line items), a return on the refund's date shared over the order's lines by their net value.
  Gift-card lines are not sales; test orders are excluded (int_order_lines_priced). Incremental by
  order (macro changed_orders_filter): an order's events are rebuilt together.
#}
with

-- only the columns used: both CTEs are read several times, so DuckDB keeps them whole in memory
lines as (
    select
        order_id, order_line_id, sku, processed_at, cancelled_at, is_cancelled, is_gift_card,
        is_taxes_included, is_tax_removed, quantity, unit_cost, gross_sales, discounts, taxes, line_tax,
        refunded_quantity, refunded_amount, refunded_taxes
    from {{ ref('int_order_lines_priced') }}
    where true {{ changed_orders_filter() }}
),

orders as (
    select
        orders.order_id, orders.processed_at, orders.cancelled_at, orders.is_cancelled, orders.is_taxes_included,
        orders.total_shipping, orders.total_tax, fingerprints.input_fingerprint
    from {{ ref('stg_shopify__orders') }} as orders
    inner join {{ ref('int_order_fingerprints') }} as fingerprints on orders.order_id = fingerprints.order_id
    where not orders.is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not orders.is_cancelled{% endif %}
    {{ changed_orders_filter(column='orders.order_id') }}
),

shipping_lines as (
    select * from {{ ref('stg_shopify__shipping_lines') }}
),

refunds as (
    select * from {{ ref('stg_shopify__refunds') }}
),

refund_lines as (
    select * from {{ ref('stg_shopify__refund_lines') }}
),

refund_shipping_lines as (
    select * from {{ ref('stg_shopify__refund_shipping_lines') }}
),

order_shipping as (
    select
        orders.order_id,
        orders.processed_at,
        orders.cancelled_at,
        orders.is_cancelled,
        orders.is_taxes_included,
        orders.is_taxes_included and '{{ var("tax_inclusive_prices") }}' = 'net' as is_tax_removed,
        coalesce(shipping.price, orders.total_shipping, 0) as shipping_charged,
        -- order tax not on any line is the shipping's tax
        greatest(coalesce(orders.total_tax, 0) - coalesce(line_tax.line_tax, 0), 0) as shipping_tax
    from orders
    left join (
        select order_id, sum(price) as price from shipping_lines group by order_id
    ) as shipping on orders.order_id = shipping.order_id
    left join (
        select order_id, sum(line_tax) as line_tax from lines group by order_id
    ) as line_tax on orders.order_id = line_tax.order_id
),

refund_shipping as (
    select
        refund_shipping_lines.refund_id,
        sum(refund_shipping_lines.shipping_amount) as shipping_amount,
        sum(refund_shipping_lines.tax_amount) as tax_amount
    from refund_shipping_lines
    group by refund_shipping_lines.refund_id
),

-- what each refund's lines and shipping are worth as refunded, tax included where Shopify adds
-- it on top (prices without tax); the rest of Shopify's refunded total is an appeasement
refund_parts as (
    select refund_id, sum(subtotal_amount) as subtotal_amount, sum(coalesce(tax_amount, 0)) as tax_amount
    from refund_lines
    group by refund_id
),

appeasement_totals as (
    select
        refunds.refund_id,
        refunds.order_id,
        coalesce(refunds.processed_at, refunds.created_at) as event_at,
        refunds.total_refunded
            - coalesce(refund_parts.subtotal_amount, 0) - coalesce(refund_shipping.shipping_amount, 0)
            - case when order_shipping.is_taxes_included then 0
                   else coalesce(refund_parts.tax_amount, 0) + coalesce(refund_shipping.tax_amount, 0) end
            as amount
    from refunds
    inner join order_shipping on refunds.order_id = order_shipping.order_id
    left join refund_parts on refunds.refund_id = refund_parts.refund_id
    left join refund_shipping on refunds.refund_id = refund_shipping.refund_id
    where refunds.total_refunded is not null
),

appeasement_lines as (
    select
        appeasement_totals.refund_id,
        appeasement_totals.order_id,
        appeasement_totals.event_at,
        appeasement_totals.amount,
        lines.order_line_id,
        lines.sku,
        lines.gross_sales - lines.discounts as weight
    from appeasement_totals
    inner join lines on appeasement_totals.order_id = lines.order_id
    inner join (
        select order_id from lines where not is_gift_card group by order_id having sum(gross_sales - discounts) > 0
    ) as valued on appeasement_totals.order_id = valued.order_id
    where appeasement_totals.amount <> 0 and not lines.is_gift_card
),

appeasements as (
    select
        'appeasement' as event_type,
        order_id,
        order_line_id,
        refund_id,
        sku,
        event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        cast({{ allocate('amount', 'weight', 'refund_id', 'order_line_id') }} as {{ money_type() }}) as returns,
        cast(0 as {{ money_type() }}) as shipping,
        cast(0 as {{ money_type() }}) as taxes,
        0 as units,
        cast(0 as {{ money_type() }}) as cogs
    from appeasement_lines
),

sales as (
    select
        'sale' as event_type,
        order_id,
        order_line_id,
        cast(null as varchar) as refund_id,
        sku,
        processed_at as event_at,
        gross_sales,
        discounts,
        cast(0 as {{ money_type() }}) as returns,
        cast(0 as {{ money_type() }}) as shipping,
        taxes,
        quantity as units,
        quantity * unit_cost as cogs
    from lines
    where not is_gift_card
),

returns as (
    select
        'return' as event_type,
        lines.order_id,
        lines.order_line_id,
        refunds.refund_id,
        lines.sku,
        coalesce(refunds.processed_at, refunds.created_at) as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        case
            when lines.is_tax_removed then refund_lines.subtotal_amount - coalesce(refund_lines.tax_amount, 0)
            else refund_lines.subtotal_amount
        end as returns,
        cast(0 as {{ money_type() }}) as shipping,
        case
            when lines.is_taxes_included and not lines.is_tax_removed then 0
            else -coalesce(refund_lines.tax_amount, 0)
        end as taxes,
        -refund_lines.quantity as units,
        -- units that come back to stock no longer cost anything; NO_RESTOCK units stay in COGS
        case when coalesce(refund_lines.restock_type, '') = 'NO_RESTOCK' then 0
             else -refund_lines.quantity * lines.unit_cost end as cogs
    from refund_lines
    inner join refunds on refund_lines.refund_id = refunds.refund_id
    inner join lines on refund_lines.order_line_id = lines.order_line_id
    where not lines.is_gift_card
),

line_cancellations as (
    select
        'cancellation' as event_type,
        order_id,
        order_line_id,
        cast(null as varchar) as refund_id,
        sku,
        cancelled_at as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        gross_sales - discounts - refunded_amount as returns,
        cast(0 as {{ money_type() }}) as shipping,
        -(taxes - refunded_taxes) as taxes,
        -(quantity - refunded_quantity) as units,
        -(quantity - refunded_quantity) * unit_cost as cogs
    from lines
    where is_cancelled and not is_gift_card
      and (quantity > refunded_quantity or gross_sales - discounts <> refunded_amount)
),

shipping_charges as (
    select
        'shipping' as event_type,
        order_id,
        cast(null as varchar) as order_line_id,
        cast(null as varchar) as refund_id,
        cast(null as varchar) as sku,
        processed_at as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        cast(0 as {{ money_type() }}) as returns,
        case when is_tax_removed then shipping_charged - shipping_tax else shipping_charged end as shipping,
        case when is_taxes_included and not is_tax_removed then 0 else shipping_tax end as taxes,
        0 as units,
        cast(0 as {{ money_type() }}) as cogs
    from order_shipping
    where shipping_charged <> 0 or shipping_tax <> 0
),

shipping_refunds as (
    select
        'shipping_refund' as event_type,
        refunds.order_id,
        cast(null as varchar) as order_line_id,
        refunds.refund_id,
        cast(null as varchar) as sku,
        coalesce(refunds.processed_at, refunds.created_at) as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        cast(0 as {{ money_type() }}) as returns,
        -case when order_shipping.is_tax_removed then refund_shipping.shipping_amount - refund_shipping.tax_amount
              else refund_shipping.shipping_amount end as shipping,
        case when order_shipping.is_taxes_included and not order_shipping.is_tax_removed then 0
             else -refund_shipping.tax_amount end as taxes,
        0 as units,
        cast(0 as {{ money_type() }}) as cogs
    from refund_shipping
    inner join refunds on refund_shipping.refund_id = refunds.refund_id
    inner join order_shipping on refunds.order_id = order_shipping.order_id
),

shipping_cancellations as (
    select
        'shipping_cancellation' as event_type,
        order_shipping.order_id,
        cast(null as varchar) as order_line_id,
        cast(null as varchar) as refund_id,
        cast(null as varchar) as sku,
        order_shipping.cancelled_at as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        cast(0 as {{ money_type() }}) as returns,
        -(shipping_charges.shipping + coalesce(refunded.shipping, 0)) as shipping,
        -(shipping_charges.taxes + coalesce(refunded.taxes, 0)) as taxes,
        0 as units,
        cast(0 as {{ money_type() }}) as cogs
    from order_shipping
    inner join shipping_charges on order_shipping.order_id = shipping_charges.order_id
    left join (
        select order_id, sum(shipping) as shipping, sum(taxes) as taxes
        from shipping_refunds group by order_id
    ) as refunded on order_shipping.order_id = refunded.order_id
    where order_shipping.is_cancelled
      and (shipping_charges.shipping + coalesce(refunded.shipping, 0) <> 0
           or shipping_charges.taxes + coalesce(refunded.taxes, 0) <> 0)
),

unioned as (
    select * from sales
    union all
    select * from returns
    union all
    select * from line_cancellations
    union all
    select * from shipping_charges
    union all
    select * from shipping_refunds
    union all
    select * from shipping_cancellations
    union all
    select * from appeasements
),

final as (
    select
        unioned.*,
        {{ to_local_date('unioned.event_at') }} as event_date,
        {{ to_local_date('orders.processed_at') }} as order_date,
        orders.processed_at,
        orders.input_fingerprint
    from unioned
    inner join orders on unioned.order_id = orders.order_id
)

select * from final
