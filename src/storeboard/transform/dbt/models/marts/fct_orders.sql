{{ order_keyed_incremental() }}
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
select previous.order_id
        from {{ this }} as previous
        left join {{ ref('int_customer_identities_unified') }} as identities
            on identities.source_name = 'shopify' and identities.source_customer_id = previous.shopify_customer_id
        where previous.shopify_customer_id is not null
            and identities.customer_id is distinct from previous.customer_id
{% endset %}

with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
    {{ changed_orders_filter(also=customer_moved) }}
),

fingerprints as (
    select * from {{ ref('int_order_fingerprints') }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

identities as (
    select * from {{ ref('int_customer_identities_unified') }}
    where source_name in ('shopify', 'shopify_guest')
),

fees as (
    select * from {{ ref('int_payment_fees_pivoted_to_orders') }}
),

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
    where not is_test and kind in ('SALE', 'CAPTURE', 'AUTHORIZATION') and status = 'SUCCESS'
),

{#- an incremental run sums the rows of the orders it rebuilds only, not of every order -#}
{%- set rebuilt_orders_only = 'where order_id in (select order_id from orders)' if is_incremental() else '' %}
-- Every per-order total in one aggregate, keyed once by order: four aggregates joined one by
-- one each held a hash table of every order, and at 1M orders they did not fit DuckDB's 1 GB.
per_order_rows as (
    select
        order_id,
        gross_sales, discounts, returns, shipping, taxes, units, cogs,
        cast(null as integer) as is_line, cast(null as integer) as quantity,
        cast(null as decimal(19, 2)) as shipping_cost, cast(null as integer) as missing_cost,
        cast(null as decimal(38, 4)) as payment_fees, cast(null as decimal(38, 4)) as chargebacks,
        cast(null as varchar) as gateway,
        duties, additional_fees, return_fees
    from sales_events
    {{ rebuilt_orders_only }}
    union all
    select
        order_id,
        null, null, null, null, null, null, null,
        1, quantity, shipping_cost, case when unit_cost is null and not is_gift_card then 1 else 0 end,
        null, null, null, null, null, null
    from lines
    {{ rebuilt_orders_only }}
    union all
    select order_id, null, null, null, null, null, null, null, null, null, null, null, payment_fees, chargebacks, null, null, null, null
    from fees
    {{ rebuilt_orders_only }}
    union all
    select order_id, null, null, null, null, null, null, null, null, null, null, null, null, null, gateway, null, null, null
    from transactions
    {{ rebuilt_orders_only }}
),

per_order as (
    select
        order_id,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(shipping) as shipping,
        sum(taxes) as taxes,
        sum(units) as net_units,
        sum(cogs) as cogs,
        count(is_line) as line_count,
        sum(quantity) as units_ordered,
        sum(shipping_cost) as shipping_cost,
        max(missing_cost) = 1 as has_missing_cost,
        -- one row per order in int_payment_fees_pivoted_to_orders (tested unique)
        sum(payment_fees) as payment_fees,
        sum(chargebacks) as chargebacks,
        min(gateway) as payment_gateway,
        sum(duties) as duties,
        sum(additional_fees) as additional_fees,
        sum(return_fees) as return_fees
    from per_order_rows
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
        per_order.payment_gateway,
        coalesce(per_order.line_count, 0) as line_count,
        coalesce(per_order.units_ordered, 0) as units_ordered,
        coalesce(per_order.gross_sales, 0) as gross_sales,
        coalesce(per_order.discounts, 0) as discounts,
        coalesce(per_order.returns, 0) as returns,
        {{ net_sales('per_order') }} as net_sales,
        coalesce(per_order.shipping, 0) as shipping,
        coalesce(per_order.taxes, 0) as taxes,
        coalesce(per_order.duties, 0) as duties,
        coalesce(per_order.additional_fees, 0) as additional_fees,
        coalesce(per_order.return_fees, 0) as return_fees,
        -- total sales as in rpt_revenue_daily (docs/metrics.md)
        {{ net_sales('per_order') }} + coalesce(per_order.shipping, 0) + coalesce(per_order.taxes, 0)
            {% if var('duties_in_total_sales') %}+ coalesce(per_order.duties, 0){% endif %}
            + coalesce(per_order.additional_fees, 0) + coalesce(per_order.return_fees, 0) as total_sales,
        coalesce(per_order.net_units, 0) as net_units,
        coalesce(per_order.cogs, 0) as cogs,
        coalesce(per_order.shipping_cost, 0) as shipping_cost,
        coalesce(per_order.payment_fees, 0) as payment_fees,
        coalesce(per_order.chargebacks, 0) as chargebacks,
        {{ gross_margin('per_order') }} as gross_margin,
        {{ gross_margin('per_order') }} + coalesce(per_order.shipping, 0) - coalesce(per_order.shipping_cost, 0)
            - coalesce(per_order.payment_fees, 0) - coalesce(per_order.chargebacks, 0) as contribution_margin,
        coalesce(per_order.has_missing_cost, false) as has_missing_cost,
        -- what Shopify says the order totals (before refunds), for reconciliation
        orders.total_price as shopify_total_price,
        orders.total_refunded as shopify_total_refunded,
        -- the same in the currency the customer paid in (Shopify Markets); metrics stay in shop currency
        orders.presentment_currency_code,
        orders.presentment_total_price,
        orders.presentment_total_refunded,
        orders.email is not null and orders.customer_id is null as is_guest_checkout,
        -- what the order was built from (int_order_fingerprints); a change rebuilds it
        fingerprints.input_fingerprint
    from orders
    inner join fingerprints on orders.order_id = fingerprints.order_id
    left join per_order on orders.order_id = per_order.order_id
    left join identities
        on orders.identity_source_name = identities.source_name and orders.identity_source_id = identities.source_customer_id
)

select * from final
