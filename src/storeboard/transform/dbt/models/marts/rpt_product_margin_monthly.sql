{#
  One row per SKU and store-local month with any sales activity (docs/metrics.md, Product
  margin). Sales and COGS come from int_sales_events; returns and their COGS count in the month
  of the refund (var refund_dating = refund_date, default) or of the order (order_date).
  Shipping revenue is dated like its events; shipping cost, payment fees and chargebacks on the
  order's date. Gift-card lines are not products and are left out.
#}
{%- set by_order = var('refund_dating') == 'order_date' -%}
with

sales_events as (
    select * from {{ ref('int_sales_events') }}
    where order_line_id is not null
),

shipping_allocations as (
    select * from {{ ref('int_shipping_allocated_to_lines') }}
    where not is_gift_card
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
    where not is_gift_card
),

products as (
    select * from {{ ref('dim_products') }}
),

sales as (
    select
        coalesce(sku, '(no sku)') as sku,
        {{ month_start('order_date' if by_order else 'event_date') }} as month,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(case when event_type = 'sale' then units else 0 end) as units_sold,
        -sum(case when event_type <> 'sale' then units else 0 end) as units_returned,
        sum(cogs) as cogs,
        cast(0 as {{ money_type() }}) as shipping_revenue,
        cast(0 as {{ money_type() }}) as shipping_cost,
        cast(0 as {{ money_type() }}) as payment_fees,
        cast(0 as {{ money_type() }}) as chargebacks,
        sum(case when event_type = 'sale' and cogs is null then 1 else 0 end) as lines_missing_cost
    from sales_events
    group by 1, 2
),

shipping as (
    select
        coalesce(sku, '(no sku)') as sku,
        {{ month_start('order_date' if by_order else 'event_date') }} as month,
        0 as gross_sales, 0 as discounts, 0 as returns, 0 as units_sold, 0 as units_returned, 0 as cogs,
        sum(shipping_revenue) as shipping_revenue,
        0 as shipping_cost,
        0 as payment_fees,
        0 as chargebacks,
        0 as lines_missing_cost
    from shipping_allocations
    group by 1, 2
),

costs as (
    select
        coalesce(sku, '(no sku)') as sku,
        {{ month_start(to_local_date('processed_at')) }} as month,
        0 as gross_sales, 0 as discounts, 0 as returns, 0 as units_sold, 0 as units_returned, 0 as cogs,
        0 as shipping_revenue,
        sum(shipping_cost) as shipping_cost,
        sum(payment_fees) as payment_fees,
        sum(chargebacks) as chargebacks,
        0 as lines_missing_cost
    from lines
    group by 1, 2
),

summed as (
    select
        sku,
        month,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(units_sold) as units_sold,
        sum(units_returned) as units_returned,
        sum(cogs) as cogs,
        sum(shipping_revenue) as shipping_revenue,
        sum(shipping_cost) as shipping_cost,
        sum(payment_fees) as payment_fees,
        sum(chargebacks) as chargebacks,
        sum(lines_missing_cost) as lines_missing_cost
    from (
        select * from sales
        union all
        select * from shipping
        union all
        select * from costs
    ) as parts
    group by sku, month
),

-- one catalogue row per SKU, should a SKU be on several variants
catalogue as (
    select sku, min(product_title) as product_title, min(product_type) as product_type
    from products
    where sku is not null
    group by sku
),

final as (
    select
        summed.sku || ':' || cast(summed.month as varchar) as product_month_id,
        summed.month,
        summed.sku,
        catalogue.product_title,
        catalogue.product_type,
        cast(summed.units_sold as bigint) as units_sold,
        cast(summed.units_returned as bigint) as units_returned,
        cast(summed.units_sold - summed.units_returned as bigint) as net_units,
        cast(summed.gross_sales as {{ money_type() }}) as gross_sales,
        cast(summed.discounts as {{ money_type() }}) as discounts,
        cast(summed.returns as {{ money_type() }}) as returns,
        cast(summed.gross_sales - summed.discounts - summed.returns as {{ money_type() }}) as net_revenue,
        cast(summed.cogs as {{ money_type() }}) as cogs,
        cast(summed.gross_sales - summed.discounts - summed.returns - summed.cogs as {{ money_type() }}) as gross_margin,
        {{ divide_exact('summed.gross_sales - summed.discounts - summed.returns - summed.cogs',
                        'summed.gross_sales - summed.discounts - summed.returns', 4) }} as gross_margin_pct,
        cast(summed.shipping_revenue as {{ money_type() }}) as shipping_revenue,
        cast(summed.shipping_cost as {{ money_type() }}) as shipping_cost,
        cast(summed.payment_fees as {{ money_type() }}) as payment_fees,
        cast(summed.chargebacks as {{ money_type() }}) as chargebacks,
        cast(summed.gross_sales - summed.discounts - summed.returns - summed.cogs
            + summed.shipping_revenue - summed.shipping_cost - summed.payment_fees - summed.chargebacks as {{ money_type() }}) as contribution_margin,
        summed.gross_sales - summed.discounts - summed.returns - summed.cogs > 0
            and summed.gross_sales - summed.discounts - summed.returns - summed.cogs
                + summed.shipping_revenue - summed.shipping_cost - summed.payment_fees - summed.chargebacks < 0 as is_loss_after_shipping,
        cast(summed.lines_missing_cost as bigint) as lines_missing_cost
    from summed
    left join catalogue on summed.sku = catalogue.sku
)

select * from final
