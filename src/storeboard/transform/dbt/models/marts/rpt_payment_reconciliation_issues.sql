{#
  One row per payment that does not reconcile between Shopify and Stripe, with its cause:
  unmatched_charge (a succeeded live Stripe charge with no Shopify order: direct Stripe revenue,
  or an order reference that names no order), missing_charge (a Shopify order paid through the
  Stripe gateway with no matched charge), amount_mismatch (a matched charge whose amount differs
  from the order's Stripe-gateway sale amount). Dated on the charge's or the sale's store day.
#}
with

stripe_gateway_sales as (
    select * from {{ ref('int_stripe_gateway_sales') }}
),

charges as (
    select * from {{ ref('int_charges_matched_to_orders') }}
    where status = 'succeeded'
),

stripe_orders as (
    select
        order_id,
        min(processed_at) as paid_at,
        sum(amount) as shopify_amount
    from stripe_gateway_sales
    group by order_id
),

matched_by_order as (
    select order_id, sum(amount_shop) as charged_amount, min(charge_id) as charge_id
    from charges
    where is_matched
    group by order_id
),

unmatched as (
    select
        'unmatched_charge' as cause,
        charge_date as date,
        charge_id,
        cast(null as varchar) as order_id,
        cast(0 as {{ money_type() }}) as shopify_amount,
        amount_shop as stripe_amount
    from charges
    where not is_matched
),

missing as (
    select
        'missing_charge' as cause,
        {{ to_local_date('stripe_orders.paid_at') }} as date,
        cast(null as varchar) as charge_id,
        stripe_orders.order_id,
        stripe_orders.shopify_amount,
        cast(0 as {{ money_type() }}) as stripe_amount
    from stripe_orders
    left join matched_by_order on stripe_orders.order_id = matched_by_order.order_id
    where matched_by_order.order_id is null
),

mismatched as (
    select
        'amount_mismatch' as cause,
        {{ to_local_date('stripe_orders.paid_at') }} as date,
        matched_by_order.charge_id,
        stripe_orders.order_id,
        stripe_orders.shopify_amount,
        matched_by_order.charged_amount as stripe_amount
    from stripe_orders
    inner join matched_by_order on stripe_orders.order_id = matched_by_order.order_id
    where stripe_orders.shopify_amount <> matched_by_order.charged_amount
),

unioned as (
    select * from unmatched
    union all
    select * from missing
    union all
    select * from mismatched
),

final as (
    select
        cause || ':' || coalesce(charge_id, '') || ':' || coalesce(order_id, '') as issue_id,
        cause,
        date,
        charge_id,
        order_id,
        shopify_amount,
        stripe_amount,
        shopify_amount - stripe_amount as difference
    from unioned
)

select * from final
