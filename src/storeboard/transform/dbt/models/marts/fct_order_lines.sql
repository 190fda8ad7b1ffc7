{{ order_keyed_incremental() }}
{#
  One row per line of a valid Shopify order (test orders excluded), with the line's sales over
  its whole life (refunds and cancellations included), its share of the order's shipping,
  shipping cost, payment fees and chargebacks, and its COGS at the unit cost valid on the sale date.
#}
with

-- two columns, not the whole order: this side of the join is held in memory, and at 1M orders
-- every column of every order took the build past DuckDB's 1 GB limit
orders as (
    select order_id, updated_at from {{ ref('stg_shopify__orders') }}
    where not is_test
    {{ changed_orders_filter() }}
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
    where order_line_id is not null
),

shipping_allocations as (
    select order_line_id, sum(shipping_revenue) as shipping_revenue
    from {{ ref('int_shipping_allocated_to_lines') }}
    group by order_line_id
),

line_sales as (
    select
        order_line_id,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(taxes) as taxes,
        sum(units) as net_units,
        sum(cogs) as cogs
    from sales_events
    group by order_line_id
),

final as (
    select
        lines.order_line_id,
        lines.order_id,
        lines.variant_id,
        lines.product_id,
        lines.sku,
        lines.line_name,
        lines.processed_at,
        {{ to_local_date('lines.processed_at') }} as order_date,
        orders.updated_at as order_updated_at,
        lines.is_gift_card,
        lines.is_cancelled,
        lines.quantity,
        lines.refunded_quantity,
        lines.unit_price,
        coalesce(line_sales.gross_sales, 0) as gross_sales,
        coalesce(line_sales.discounts, 0) as discounts,
        coalesce(line_sales.returns, 0) as returns,
        {{ net_sales('line_sales') }} as net_sales,
        coalesce(line_sales.taxes, 0) as taxes,
        coalesce(line_sales.net_units, 0) as net_units,
        lines.unit_cost,
        lines.unit_cost_source,
        lines.unit_cost is null and not lines.is_gift_card as is_missing_cost,
        coalesce(line_sales.cogs, 0) as cogs,
        lines.shipping_weight,
        coalesce(shipping_allocations.shipping_revenue, 0) as shipping_revenue,
        lines.shipping_cost,
        lines.shipping_cost_source,
        lines.payment_fees,
        lines.chargebacks,
        {{ gross_margin('line_sales') }} as gross_margin,
        {{ gross_margin('line_sales') }}
            + coalesce(shipping_allocations.shipping_revenue, 0) - lines.shipping_cost - lines.payment_fees
            - lines.chargebacks as contribution_margin,
        -- what the line was built from (int_order_fingerprints); a change rebuilds the order
        lines.input_fingerprint
    from lines
    inner join orders on lines.order_id = orders.order_id
    left join line_sales on lines.order_line_id = line_sales.order_line_id
    left join shipping_allocations on lines.order_line_id = shipping_allocations.order_line_id
)

select * from final
