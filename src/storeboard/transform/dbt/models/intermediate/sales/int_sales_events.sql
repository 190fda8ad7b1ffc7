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
  Shopify's sales ledger adds (docs/metrics.md, "Duties, additional fees, return fees, order
  edits"): a line an order edit added is sold on the edit's day, units an edit removed are
  returned on that day; duties and additional fees charged (order day; an added line's duties on
  the edit's day), refunded (refund day) and reversed (cancellation day); return fees a refund
  kept, on the refund's day.
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
        orders.total_shipping, orders.total_tax, fingerprints.input_fingerprint,
        orders.original_duties, orders.original_additional_fees
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

refund_duties as (
    select * from {{ ref('stg_shopify__refund_duties') }}
),

-- Shopify's sales ledger after placement: edits (ORDER_EDIT) and refunds' fees (FEE)
agreement_sales as (
    select * from {{ ref('stg_shopify__agreement_sales') }}
    where true {{ changed_orders_filter() }}
),

-- return fees: a return fee is a sale to the customer (an ORDER FeeSale) in a refund's or
-- return's agreement
return_fee_sales as (
    select * from agreement_sales
    where reason in ('REFUND', 'RETURN') and line_type = 'FEE' and action_type = 'ORDER'
),

-- lines an order edit added: sold when the edit happened, not when the order was placed
lines_added_by_edits as (
    select order_line_id, min(happened_at) as added_at
    from agreement_sales
    where reason = 'ORDER_EDIT' and action_type = 'ORDER' and line_type = 'PRODUCT'
    group by order_line_id
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

-- what else a refund's total holds that is not an appeasement: duties given back (they add to
-- it) and a return fee the shop kept (an ORDER FEE sale of the refund's agreement; it takes
-- from it, tax included as Sale.totalAmount is)
refund_fees_and_duties as (
    select refund_id, sum(duties) as duties, sum(return_fees) as return_fees
    from (
        select refund_id, duty_amount as duties, cast(0 as {{ money_type() }}) as return_fees
        from refund_duties
        union all
        select refund_id, 0, total_amount
        from return_fee_sales
        where refund_id is not null
    ) as parts
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
            - coalesce(refund_fees_and_duties.duties, 0) + coalesce(refund_fees_and_duties.return_fees, 0)
            as amount
    from refunds
    left join refund_fees_and_duties on refunds.refund_id = refund_fees_and_duties.refund_id
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
        lines.order_line_id,
        cast(null as varchar) as refund_id,
        sku,
        coalesce(lines_added_by_edits.added_at, lines.processed_at) as event_at,
        gross_sales,
        discounts,
        cast(0 as {{ money_type() }}) as returns,
        cast(0 as {{ money_type() }}) as shipping,
        taxes,
        quantity as units,
        quantity * unit_cost as cogs
    from lines
    left join lines_added_by_edits on lines.order_line_id = lines_added_by_edits.order_line_id
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

-- Units an order edit removed (``currentQuantity`` drops, no refund): returned on the edit's day,
-- valued as Shopify's ledger records them (RETURN sales are negative; their amounts include tax)
edit_removals as (
    select
        'edit_removal' as event_type,
        lines.order_id,
        lines.order_line_id,
        cast(null as varchar) as refund_id,
        lines.sku,
        agreement_sales.happened_at as event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        -- with tax-inclusive prices reported gross, the tax stays in the returned value (as for refunds)
        case when lines.is_taxes_included and not lines.is_tax_removed then abs(agreement_sales.total_amount)
             else abs(agreement_sales.total_amount) - abs(agreement_sales.tax_amount) end as returns,
        cast(0 as {{ money_type() }}) as shipping,
        case when lines.is_taxes_included and not lines.is_tax_removed then 0
             else -abs(agreement_sales.tax_amount) end as taxes,
        -abs(agreement_sales.quantity) as units,
        -abs(agreement_sales.quantity) * lines.unit_cost as cogs
    from agreement_sales
    inner join lines on agreement_sales.order_line_id = lines.order_line_id
    where agreement_sales.reason = 'ORDER_EDIT' and agreement_sales.action_type = 'RETURN'
      and agreement_sales.line_type = 'PRODUCT' and not lines.is_gift_card
),

-- A cancellation reverses what a line still holds after refunds (line_cancellations), which
-- does not know of edits: the units an edit removed are given back to it
edit_removal_cancellations as (
    select
        'edit_removal_cancellation' as event_type,
        edit_removals.order_id,
        edit_removals.order_line_id,
        edit_removals.refund_id,
        edit_removals.sku,
        orders.cancelled_at as event_at,
        edit_removals.gross_sales,
        edit_removals.discounts,
        -edit_removals.returns as returns,
        edit_removals.shipping,
        -edit_removals.taxes as taxes,
        -edit_removals.units as units,
        -edit_removals.cogs as cogs
    from edit_removals
    inner join orders on edit_removals.order_id = orders.order_id
    where orders.is_cancelled
),

line_events as (
    select * from unioned
    union all
    select * from edit_removals
    union all
    select * from edit_removal_cancellations
),

refunded_duties as (
    select refunds.order_id, refunds.refund_id, coalesce(refunds.processed_at, refunds.created_at) as refunded_at,
           sum(refund_duties.duty_amount) as duties
    from refund_duties
    inner join refunds on refund_duties.refund_id = refunds.refund_id
    group by 1, 2, 3
),

-- Duties on lines an order edit added (DUTY sales of an ORDER_EDIT agreement): charged on the
-- edit's day. originalTotalDutiesSet holds only the duties at the order's creation, before edits
edit_duties as (
    select order_id, happened_at, sum(total_amount) as duties
    from agreement_sales
    where reason = 'ORDER_EDIT' and action_type = 'ORDER' and line_type = 'DUTY'
    group by order_id, happened_at
),

-- Order-level amounts of Shopify's total sales: duties, additional fees, return fees
order_amounts as (
    select order_id, cast(null as varchar) as refund_id, processed_at as event_at, 'duty' as event_type,
           original_duties as duties, cast(0 as {{ money_type() }}) as additional_fees,
           cast(0 as {{ money_type() }}) as return_fees, cast(0 as {{ money_type() }}) as taxes
    from orders where original_duties <> 0
    union all
    select edit_duties.order_id, null, edit_duties.happened_at, 'edit_duty', edit_duties.duties, 0, 0, 0
    from edit_duties
    inner join orders on edit_duties.order_id = orders.order_id
    where edit_duties.duties <> 0
    union all
    select order_id, refund_id, refunded_at, 'duty_refund', -duties, 0, 0, 0
    from refunded_duties
    union all
    select orders.order_id, null, orders.cancelled_at, 'duty_cancellation',
           -(orders.original_duties + coalesce(edited.duties, 0) - coalesce(refunded.duties, 0)), 0, 0, 0
    from orders
    left join (select order_id, sum(duties) as duties from refunded_duties group by order_id) as refunded
        on orders.order_id = refunded.order_id
    left join (select order_id, sum(duties) as duties from edit_duties group by order_id) as edited
        on orders.order_id = edited.order_id
    where orders.is_cancelled
      and orders.original_duties + coalesce(edited.duties, 0) - coalesce(refunded.duties, 0) <> 0
    union all
    select order_id, null, processed_at, 'additional_fee', 0, original_additional_fees, 0, 0
    from orders where original_additional_fees <> 0
    union all
    select order_id, null, cancelled_at, 'additional_fee_cancellation', 0, -original_additional_fees, 0, 0
    from orders where is_cancelled and original_additional_fees <> 0
    union all
    select order_id, refund_id, happened_at, 'return_fee', 0, 0, total_amount - tax_amount, tax_amount
    from return_fee_sales
),

all_events as (
    select
        line_events.*,
        cast(0 as {{ money_type() }}) as duties,
        cast(0 as {{ money_type() }}) as additional_fees,
        cast(0 as {{ money_type() }}) as return_fees
    from line_events
    union all
    select
        event_type,
        order_id,
        cast(null as varchar) as order_line_id,
        refund_id,
        cast(null as varchar) as sku,
        event_at,
        cast(0 as {{ money_type() }}) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        cast(0 as {{ money_type() }}) as returns,
        cast(0 as {{ money_type() }}) as shipping,
        taxes,
        0 as units,
        cast(0 as {{ money_type() }}) as cogs,
        duties,
        additional_fees,
        return_fees
    from order_amounts
),

final as (
    select
        all_events.*,
        {{ to_local_date('all_events.event_at') }} as event_date,
        {{ to_local_date('orders.processed_at') }} as order_date,
        orders.processed_at,
        orders.input_fingerprint
    from all_events
    inner join orders on all_events.order_id = orders.order_id
)

select * from final
