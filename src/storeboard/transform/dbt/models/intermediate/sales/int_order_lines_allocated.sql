{{ order_keyed_incremental() }}
{#
  One row per line of a valid Shopify order, with the order-level money shared out to its lines
  (docs/metrics.md, Product margin): shipping charged and the store's shipping cost by the
  lines' weight share (shippable, non-gift-card lines), else by quantity share; payment fees by
  line revenue share. The parts of an order always add up to the order amount exactly. Shipping
  revenue, which has dated events of its own, is shared out in int_shipping_allocated_to_lines.
  Incremental by order, like int_order_lines_priced (the fingerprint comes with the line).
#}
with

lines as (
    select * from {{ ref('int_order_lines_priced') }}
    where true {{ changed_orders_filter() }}
),

fees as (
    select * from {{ ref('int_payment_fees_pivoted_to_orders') }}
),

shipping_rates as (
    select * from {{ ref('stg_storeboard_meta__shipping_rates') }}
),

csv_shipping_costs as (
    select * from {{ ref('int_shipping_label_costs') }}
),

line_bases as (
    select
        *,
        case when is_shipping_required and not is_gift_card then unit_weight_grams * quantity else 0 end as line_weight,
        case when is_shipping_required and not is_gift_card then quantity else 0 end as shippable_quantity,
        gross_sales - discounts as line_revenue
    from lines
),

order_bases as (
    select
        order_id,
        bool_or(is_cancelled) as is_cancelled,
        sum(line_weight) as order_weight,
        sum(shippable_quantity) as order_shippable_quantity,
        sum(line_revenue) as order_revenue
    from line_bases
    group by order_id
),

order_shipping_cost as (
    select
        order_bases.order_id,
        case
            when csv_shipping_costs.label_cost is not null then csv_shipping_costs.label_cost
            when order_bases.is_cancelled or order_bases.order_shippable_quantity = 0 then 0
            else coalesce(
                -- the smallest band the order's weight fits in, else the heaviest band
                (select band.shipping_cost from shipping_rates as band
                 where band.max_weight_grams >= order_bases.order_weight
                 order by band.max_weight_grams limit 1),
                (select band.shipping_cost from shipping_rates as band
                 order by band.max_weight_grams desc limit 1)
            )
        end as shipping_cost,
        case
            when csv_shipping_costs.label_cost is not null then 'shipping_csv'
            when order_bases.is_cancelled or order_bases.order_shippable_quantity = 0 then 'not_shipped'
            when exists (select 1 from shipping_rates) then 'rate_table'
            else 'missing'
        end as shipping_cost_source
    from order_bases
    left join csv_shipping_costs on order_bases.order_id = csv_shipping_costs.order_id
),

weighted as (
    select
        line_bases.*,
        order_shipping_cost.shipping_cost_source,
        coalesce(order_shipping_cost.shipping_cost, 0) as order_shipping_cost,
        coalesce(fees.payment_fees, 0) as order_payment_fees,
        coalesce(fees.chargebacks, 0) as order_chargebacks,
        case
            when order_bases.order_weight > 0 then line_bases.line_weight
            when order_bases.order_shippable_quantity > 0 then line_bases.shippable_quantity
            else line_bases.quantity
        end as shipping_weight,
        case when order_bases.order_revenue <> 0 then line_bases.line_revenue else line_bases.quantity end as fee_weight
    from line_bases
    inner join order_bases on line_bases.order_id = order_bases.order_id
    inner join order_shipping_cost on line_bases.order_id = order_shipping_cost.order_id
    left join fees on line_bases.order_id = fees.order_id
),

final as (
    select
        *,
        {{ allocate('order_shipping_cost', 'shipping_weight', 'order_id', 'order_line_id') }} as shipping_cost,
        {{ allocate('order_payment_fees', 'fee_weight', 'order_id', 'order_line_id') }} as payment_fees,
        {{ allocate('order_chargebacks', 'fee_weight', 'order_id', 'order_line_id') }} as chargebacks
    from weighted
)

select * from final
