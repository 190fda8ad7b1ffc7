{#
  One row per live Stripe charge (test-mode charges excluded), with the Shopify order it paid
  for when matched (int_charges_matched_to_orders) and its amounts in shop currency. Succeeded
  charges without an order are direct Stripe revenue.
#}
with

charges as (
    select * from {{ ref('int_charges_matched_to_orders') }}
),

identities as (
    select * from {{ ref('int_customer_identities_unified') }}
    where source_name = 'stripe'
),

final as (
    select
        charges.charge_id,
        charges.payment_intent_id,
        charges.order_id,
        identities.customer_id,
        charges.stripe_customer_id,
        charges.status,
        charges.description,
        charges.order_reference,
        charges.is_matched,
        coalesce(charges.match_method, 'unmatched') as match_method,
        charges.is_direct_revenue,
        charges.created_at,
        charges.charge_date,
        charges.currency_code,
        charges.amount,
        charges.refunded_amount,
        charges.amount_shop,
        charges.refunded_amount_shop,
        charges.amount_shop - charges.refunded_amount_shop as net_amount_shop,
        charges.settlement_currency_code,
        charges.fee_shop
    from charges
    left join identities on charges.stripe_customer_id = identities.source_customer_id
)

select * from final
