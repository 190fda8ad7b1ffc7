{#
  One row per Shopify order that carries payment costs, in shop currency: Stripe fees of the
  charges matched to it (balance transaction fee of the charge and of its refunds, converted
  from the settlement currency), Shopify Payments transaction fees, and chargebacks: what the
  disputes of its charges took from the Stripe balance (docs/metrics.md). `payment_fees` is the
  fees (Stripe + Shopify Payments); `chargebacks` stays a line of its own in contribution margin.
#}
with

matched_charges as (
    select * from {{ ref('int_charges_matched_to_orders') }}
    where order_id is not null
),

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
    where not is_test
),

transaction_fees as (
    select * from {{ ref('stg_shopify__transaction_fees') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

disputes as (
    select * from {{ ref('stg_stripe__disputes') }}
),

balance_transactions as (
    select * from {{ ref('stg_stripe__balance_transactions') }}
),

-- Stripe's balance reporting categories: `dispute` withdraws the disputed amount and the dispute
-- fee, `dispute_reversal` returns what a won dispute gives back; minus their net is the chargeback.
chargeback_rows as (
    select
        matched_charges.order_id,
        {{ to_shop_currency('-balance_transactions.net', 'balance_transactions.currency_code', 'fx_rates.rate') }} as chargeback_shop
    from balance_transactions
    inner join disputes on balance_transactions.source_id = disputes.dispute_id
    inner join matched_charges on disputes.charge_id = matched_charges.charge_id
    left join fx_rates
        on balance_transactions.currency_code = fx_rates.currency_code
        and {{ to_local_date('balance_transactions.created_at') }} >= fx_rates.valid_from
        and ({{ to_local_date('balance_transactions.created_at') }} < fx_rates.valid_to or fx_rates.valid_to is null)
    where balance_transactions.reporting_category in ('dispute', 'dispute_reversal')
),

chargebacks as (
    select order_id, sum(chargeback_shop) as chargebacks
    from chargeback_rows
    group by order_id
),

stripe_fees as (
    select
        order_id,
        sum(fee_shop) as stripe_fees,
        count(*) as matched_charges
    from matched_charges
    group by order_id
),

shopify_fee_rows as (
    select
        transactions.order_id,
        {{ to_shop_currency('transaction_fees.fee_amount', "coalesce(transaction_fees.currency_code, '" ~ var('store_currency') ~ "')", 'fx_rates.rate') }} as fee_shop
    from transaction_fees
    inner join transactions on transaction_fees.transaction_row_id = transactions.transaction_row_id
    left join fx_rates
        on transaction_fees.currency_code = fx_rates.currency_code
        and {{ to_local_date('transactions.processed_at') }} >= fx_rates.valid_from
        and ({{ to_local_date('transactions.processed_at') }} < fx_rates.valid_to or fx_rates.valid_to is null)
),

shopify_fees as (
    select order_id, sum(fee_shop) as shopify_fees
    from shopify_fee_rows
    group by order_id
),

final as (
    select
        coalesce(stripe_fees.order_id, shopify_fees.order_id, chargebacks.order_id) as order_id,
        coalesce(stripe_fees.stripe_fees, 0) as stripe_fees,
        coalesce(shopify_fees.shopify_fees, 0) as shopify_fees,
        coalesce(chargebacks.chargebacks, 0) as chargebacks,
        coalesce(stripe_fees.stripe_fees, 0) + coalesce(shopify_fees.shopify_fees, 0) as payment_fees,
        coalesce(stripe_fees.matched_charges, 0) as matched_charges
    from stripe_fees
    full outer join shopify_fees on stripe_fees.order_id = shopify_fees.order_id
    full outer join chargebacks on coalesce(stripe_fees.order_id, shopify_fees.order_id) = chargebacks.order_id
)

select * from final
