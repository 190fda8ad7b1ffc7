{{ config(materialized='table') }}
{#
  One row per live Stripe charge, matched to the Shopify order it paid for: by the order
  reference in the charge metadata (key var('stripe_order_reference_key'), the order name such
  as #1042, its number without #, its numeric id or its GraphQL id), else by a Shopify
  transaction that records the charge id. Amounts, refunds and Stripe fees in shop currency
  (FX table on the charge's store-local date; null where a rate is missing, which a test flags).
#}
with

charges as (
    select * from {{ ref('stg_stripe__charges') }}
    where not is_test
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
),

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
    where gateway_reference is not null
),

balance_transactions as (
    select * from {{ ref('stg_stripe__balance_transactions') }}
),

stripe_refunds as (
    select * from {{ ref('stg_stripe__refunds') }}
    where status is null or status in ('succeeded', 'pending')
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

-- Every way a charge may name its order, as equi-join keys: an OR join here would compare every
-- charge with every order (minutes at 60k orders).
order_references as (
    select order_id, order_id as reference, 1 as match_rank from orders
    union all
    select order_id, order_legacy_id, 2 from orders where order_legacy_id is not null
    union all
    select order_id, order_name, 3 from orders
    union all
    select order_id, ltrim(order_name, '#'), 3 from orders where order_name like '#%'
),

reference_candidates as (
    select
        charges.charge_id,
        order_references.order_id,
        order_references.match_rank
    from charges
    inner join order_references on charges.order_reference = order_references.reference
    where charges.order_reference is not null
),

transaction_candidates as (
    select
        charges.charge_id,
        transactions.order_id,
        4 as match_rank
    from charges
    inner join transactions on charges.charge_id = transactions.gateway_reference
    inner join orders on transactions.order_id = orders.order_id
),

ranked_matches as (
    select
        charge_id,
        order_id,
        match_rank,
        row_number() over (partition by charge_id order by match_rank, order_id) as match_number
    from (
        select * from reference_candidates
        union all
        select * from transaction_candidates
    ) as candidates
),

refunds_by_charge as (
    select
        stripe_refunds.charge_id,
        sum(stripe_refunds.amount) as refunded_amount,
        sum(coalesce(balance_transactions.fee, 0)) as refund_fee
    from stripe_refunds
    left join balance_transactions on stripe_refunds.balance_transaction_id = balance_transactions.balance_transaction_id
    group by stripe_refunds.charge_id
),

joined as (
    select
        charges.charge_id,
        charges.payment_intent_id,
        charges.customer_id as stripe_customer_id,
        charges.email,
        charges.status,
        charges.description,
        charges.order_reference,
        charges.currency_code,
        charges.created_at,
        {{ to_local_date('charges.created_at') }} as charge_date,
        ranked_matches.order_id,
        case
            when ranked_matches.match_rank is null then null
            when ranked_matches.match_rank = 4 then 'shopify_transaction'
            else 'order_reference'
        end as match_method,
        charges.amount,
        coalesce(refunds_by_charge.refunded_amount, charges.amount_refunded, 0) as refunded_amount,
        balance_transactions.currency_code as settlement_currency_code,
        coalesce(balance_transactions.fee, 0) + coalesce(refunds_by_charge.refund_fee, 0) as fee,
        charge_fx.rate as charge_fx_rate,
        settlement_fx.rate as settlement_fx_rate
    from charges
    left join ranked_matches
        on charges.charge_id = ranked_matches.charge_id and ranked_matches.match_number = 1
    left join refunds_by_charge on charges.charge_id = refunds_by_charge.charge_id
    left join balance_transactions on charges.balance_transaction_id = balance_transactions.balance_transaction_id
    left join fx_rates as charge_fx
        on charges.currency_code = charge_fx.currency_code
        and {{ to_local_date('charges.created_at') }} >= charge_fx.valid_from
        and ({{ to_local_date('charges.created_at') }} < charge_fx.valid_to or charge_fx.valid_to is null)
    left join fx_rates as settlement_fx
        on balance_transactions.currency_code = settlement_fx.currency_code
        and {{ to_local_date('charges.created_at') }} >= settlement_fx.valid_from
        and ({{ to_local_date('charges.created_at') }} < settlement_fx.valid_to or settlement_fx.valid_to is null)
),

final as (
    select
        charge_id,
        payment_intent_id,
        stripe_customer_id,
        email,
        lower(trim(email)) as email_normalized,
        status,
        description,
        order_reference,
        order_id,
        order_id is not null as is_matched,
        match_method,
        status = 'succeeded' and order_id is null as is_direct_revenue,
        currency_code,
        settlement_currency_code,
        created_at,
        charge_date,
        charge_fx_rate,
        amount,
        refunded_amount,
        {{ to_shop_currency('amount', 'currency_code', 'charge_fx_rate') }} as amount_shop,
        {{ to_shop_currency('refunded_amount', 'currency_code', 'charge_fx_rate') }} as refunded_amount_shop,
        {{ to_shop_currency('fee', 'coalesce(settlement_currency_code, currency_code)', 'settlement_fx_rate') }} as fee_shop
    from joined
)

select * from final
