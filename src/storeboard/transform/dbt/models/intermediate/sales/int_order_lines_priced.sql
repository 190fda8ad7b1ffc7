{{ order_keyed_incremental() }}
{#
  One row per line of a valid Shopify order (test orders out; cancelled ones out too when
  var('valid_orders') is exclude_cancelled), with the line's sales amounts as the metrics count
  them: tax taken out of tax-inclusive prices (var('tax_inclusive_prices') = net), its tax, its
  refunded quantities and amounts, and the unit cost valid on the sale date. Incremental by order
  (macro changed_orders_filter): each line keeps the input fingerprint of its order.
#}
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
    {{ changed_orders_filter() }}
),

fingerprints as (
    select * from {{ ref('int_order_fingerprints') }}
),

order_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
),

tax_lines as (
    select * from {{ ref('stg_shopify__order_line_tax_lines') }}
),

refund_lines as (
    select * from {{ ref('stg_shopify__refund_lines') }}
),

product_variants as (
    select * from {{ ref('stg_shopify__product_variants') }}
),

inventory_costs as (
    select * from {{ ref('int_inventory_costs_ranged') }}
),

line_taxes as (
    select
        order_line_row_id,
        sum(tax_amount) as tax_amount,
        sum(tax_rate) as tax_rate
    from tax_lines
    group by order_line_row_id
),

line_refunds as (
    select
        order_line_id,
        sum(quantity) as refunded_quantity,
        sum(case when coalesce(restock_type, '') <> 'NO_RESTOCK' then quantity else 0 end) as restocked_quantity,
        sum(subtotal_amount) as refunded_subtotal,
        sum(coalesce(tax_amount, 0)) as refunded_tax
    from refund_lines
    group by order_line_id
),

joined as (
    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.variant_id,
        order_lines.product_id,
        coalesce(order_lines.sku, product_variants.sku) as sku,
        order_lines.line_name,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        order_lines.is_gift_card,
        order_lines.is_shipping_required,
        coalesce(line_taxes.tax_amount, 0) as line_tax,
        coalesce(line_taxes.tax_rate, 0) as tax_rate,
        orders.is_taxes_included,
        orders.is_taxes_included
            and '{{ var("tax_inclusive_prices") }}' = 'net' as is_tax_removed,
        orders.processed_at,
        orders.cancelled_at,
        orders.is_cancelled,
        orders.customer_id as shopify_customer_id,
        coalesce(line_refunds.refunded_quantity, 0) as refunded_quantity,
        coalesce(line_refunds.restocked_quantity, 0) as restocked_quantity,
        coalesce(line_refunds.refunded_subtotal, 0) as refunded_subtotal,
        coalesce(line_refunds.refunded_tax, 0) as refunded_tax,
        -- the inventory CSV's cost valid on the sale date, else the cost Shopify recorded on
        -- the line when the order was loaded, else the variant's current cost
        coalesce(inventory_costs.unit_cost, order_lines.unit_cost, product_variants.unit_cost) as unit_cost,
        case
            when order_lines.is_gift_card then 'gift_card'
            when inventory_costs.unit_cost is not null then 'inventory_csv'
            when order_lines.unit_cost is not null then 'shopify_line'
            when product_variants.unit_cost is not null then 'shopify_variant'
            else 'missing'
        end as unit_cost_source,
        coalesce(product_variants.weight_grams, 0) as unit_weight_grams,
        fingerprints.input_fingerprint
    from order_lines
    inner join orders on order_lines.order_id = orders.order_id
    inner join fingerprints on order_lines.order_id = fingerprints.order_id
    left join line_taxes on order_lines.order_line_row_id = line_taxes.order_line_row_id
    left join line_refunds on order_lines.order_line_id = line_refunds.order_line_id
    left join product_variants on order_lines.variant_id = product_variants.variant_id
    left join inventory_costs
        on coalesce(order_lines.sku, product_variants.sku) = inventory_costs.sku
        and {{ to_local_date('orders.processed_at') }} >= inventory_costs.valid_from
        and ({{ to_local_date('orders.processed_at') }} < inventory_costs.valid_to or inventory_costs.valid_to is null)
),

priced as (
    select
        *,
        -- tax-inclusive prices: the gross price is taken out of tax at the line's rate, and
        -- the discount is whatever makes (gross − discount) equal the price paid less its tax
        case
            when is_tax_removed then {{ divide_exact('unit_price * quantity', '1 + tax_rate') }}
            else unit_price * quantity
        end as gross_sales,
        -- refunded value net of discounts, before tax
        case when is_tax_removed then refunded_subtotal - refunded_tax else refunded_subtotal end as refunded_amount
    from joined
),

final as (
    select
        *,
        case
            when is_tax_removed then gross_sales - (unit_price * quantity - discount_amount - line_tax)
            else discount_amount
        end as discounts,
        -- tax reported as taxes: all of it, except when tax-inclusive prices are shown gross
        -- (var tax_inclusive_prices = gross), where it is already inside the sales amounts
        case when is_taxes_included and not is_tax_removed then 0 else line_tax end as taxes,
        case when is_taxes_included and not is_tax_removed then 0 else refunded_tax end as refunded_taxes
    from priced
)

select * from final
