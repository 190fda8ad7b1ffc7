{#
  One row per Shopify order that carries payment fees, in shop currency: Stripe fees of the
  charges matched to it (balance transaction fee of the charge and of its refunds, converted
  from the settlement currency) plus Shopify Payments transaction fees.
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
        coalesce(stripe_fees.order_id, shopify_fees.order_id) as order_id,
        coalesce(stripe_fees.stripe_fees, 0) as stripe_fees,
        coalesce(shopify_fees.shopify_fees, 0) as shopify_fees,
        coalesce(stripe_fees.stripe_fees, 0) + coalesce(shopify_fees.shopify_fees, 0) as payment_fees,
        coalesce(stripe_fees.matched_charges, 0) as matched_charges
    from stripe_fees
    full outer join shopify_fees on stripe_fees.order_id = shopify_fees.order_id
)

select * from final
