{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}
{#
  One row per valid Shopify order (test orders excluded; cancelled ones kept and flagged), with
  its sales over its whole life (refunds and cancellation included), costs and margins.
#}
{#
  An order keeps its unified customer_id only while its customer keeps their identity: a new
  email, or another source's record that links them by phone, moves the customer to another
  unified id, so their orders are rebuilt however old they are.
#}
{% set customer_moved %}
order_id in (
        select previous.order_id
        from {{ this }} as previous
        left join {{ ref('int_customer_identities_unified') }} as identities
            on identities.source_name = 'shopify' and identities.source_customer_id = previous.shopify_customer_id
        where previous.shopify_customer_id is not null
            and identities.customer_id is distinct from previous.customer_id
    )
{% endset %}

with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
    {{ changed_orders_filter('updated_at', 'processed_at', also=customer_moved) }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

identities as (
    select * from {{ ref('int_customer_identities_unified') }}
    where source_name = 'shopify'
),

fees as (
    select * from {{ ref('int_payment_fees_pivoted_to_orders') }}
),

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
    where not is_test and kind in ('SALE', 'CAPTURE', 'AUTHORIZATION') and status = 'SUCCESS'
),

order_sales as (
    select
        order_id,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(shipping) as shipping,
        sum(taxes) as taxes,
        sum(units) as net_units,
        sum(cogs) as cogs
    from sales_events
    group by order_id
),

order_lines as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as units_ordered,
        sum(shipping_cost) as shipping_cost,
        max(case when unit_cost is null and not is_gift_card then 1 else 0 end) = 1 as has_missing_cost
    from lines
    group by order_id
),

gateways as (
    select order_id, min(gateway) as payment_gateway
    from transactions
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.order_name,
        identities.customer_id,
        orders.customer_id as shopify_customer_id,
        orders.processed_at,
        {{ to_local_date('orders.processed_at') }} as order_date,
        orders.cancelled_at,
        orders.updated_at as order_updated_at,
        orders.is_cancelled,
        orders.is_taxes_included,
        orders.source_name,
        orders.utm_source,
        orders.utm_medium,
        orders.utm_campaign,
        gateways.payment_gateway,
        coalesce(order_lines.line_count, 0) as line_count,
        coalesce(order_lines.units_ordered, 0) as units_ordered,
        coalesce(order_sales.gross_sales, 0) as gross_sales,
        coalesce(order_sales.discounts, 0) as discounts,
        coalesce(order_sales.returns, 0) as returns,
        coalesce(order_sales.gross_sales, 0) - coalesce(order_sales.discounts, 0)
            - coalesce(order_sales.returns, 0) as net_sales,
        coalesce(order_sales.shipping, 0) as shipping,
        coalesce(order_sales.taxes, 0) as taxes,
        coalesce(order_sales.gross_sales, 0) - coalesce(order_sales.discounts, 0)
            - coalesce(order_sales.returns, 0) + coalesce(order_sales.shipping, 0)
            + coalesce(order_sales.taxes, 0) as total_sales,
        coalesce(order_sales.net_units, 0) as net_units,
        coalesce(order_sales.cogs, 0) as cogs,
        coalesce(order_lines.shipping_cost, 0) as shipping_cost,
        coalesce(fees.payment_fees, 0) as payment_fees,
        coalesce(order_sales.gross_sales, 0) - coalesce(order_sales.discounts, 0)
            - coalesce(order_sales.returns, 0) - coalesce(order_sales.cogs, 0) as gross_margin,
        coalesce(order_sales.gross_sales, 0) - coalesce(order_sales.discounts, 0)
            - coalesce(order_sales.returns, 0) - coalesce(order_sales.cogs, 0)
            + coalesce(order_sales.shipping, 0) - coalesce(order_lines.shipping_cost, 0)
            - coalesce(fees.payment_fees, 0) as contribution_margin,
        coalesce(order_lines.has_missing_cost, false) as has_missing_cost,
        -- what Shopify says the order totals (before refunds), for reconciliation
        orders.total_price as shopify_total_price,
        orders.total_refunded as shopify_total_refunded
    from orders
    left join order_sales on orders.order_id = order_sales.order_id
    left join order_lines on orders.order_id = order_lines.order_id
    left join identities on orders.customer_id = identities.source_customer_id
    left join fees on orders.order_id = fees.order_id
    left join gateways on orders.order_id = gateways.order_id
)

select * from final
