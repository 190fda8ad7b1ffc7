{#
  One row per store-local day with Shopify sales paid through Stripe or Stripe charges: Shopify's
  successful Stripe-gateway sale transactions vs the live succeeded Stripe charges matched to
  Shopify orders, the gap, and how much of it each cause explains (details, one row per
  issue, in rpt_payment_reconciliation_issues). A gap above 1 % is a data-health warning.
  `chargebacks` is what disputes took from the Stripe balance that day (docs/metrics.md):
  money Shopify still counts as paid, so it is shown beside the gap, not inside it.
#}
with

issues as (
    select * from {{ ref('rpt_payment_reconciliation_issues') }}
),

stripe_gateway_sales as (
    select * from {{ ref('int_stripe_gateway_sales') }}
),

charges as (
    select * from {{ ref('int_charges_matched_to_orders') }}
    where status = 'succeeded'
),

shopify_by_day as (
    select
        processed_date as date,
        sum(amount) as shopify_stripe_sales
    from stripe_gateway_sales
    group by processed_date
),

stripe_by_day as (
    select
        charge_date as date,
        sum(case when is_matched then amount_shop else 0 end) as matched_charges,
        sum(case when not is_matched then amount_shop else 0 end) as unmatched_charges
    from charges
    group by charge_date
),

issues_by_day as (
    select
        date,
        count(case when cause = 'unmatched_charge' then 1 end) as unmatched_charge_count,
        count(case when cause = 'missing_charge' then 1 end) as missing_charge_count,
        count(case when cause = 'amount_mismatch' then 1 end) as amount_mismatch_count,
        sum(case when cause = 'missing_charge' then difference else 0 end) as missing_charge_amount,
        sum(case when cause = 'amount_mismatch' then difference else 0 end) as amount_mismatch_amount
    from issues
    group by date
),

disputes as (
    select * from {{ ref('stg_stripe__disputes') }}
),

balance_transactions as (
    select * from {{ ref('stg_stripe__balance_transactions') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

chargebacks_by_day as (
    select
        {{ to_local_date('balance_transactions.created_at') }} as date,
        sum({{ to_shop_currency('-balance_transactions.net', 'balance_transactions.currency_code', 'fx_rates.rate') }})
            as chargebacks
    from balance_transactions
    inner join disputes on balance_transactions.source_id = disputes.dispute_id
    left join fx_rates
        on balance_transactions.currency_code = fx_rates.currency_code
        and {{ to_local_date('balance_transactions.created_at') }} >= fx_rates.valid_from
        and ({{ to_local_date('balance_transactions.created_at') }} < fx_rates.valid_to or fx_rates.valid_to is null)
    where balance_transactions.reporting_category in ('dispute', 'dispute_reversal') and disputes.is_live
    group by 1
),

days as (
    select date from shopify_by_day
    union
    select date from stripe_by_day
    union
    select date from chargebacks_by_day
),

final as (
    select
        days.date,
        coalesce(shopify_by_day.shopify_stripe_sales, 0) as shopify_stripe_sales,
        coalesce(stripe_by_day.matched_charges, 0) as matched_charges,
        coalesce(shopify_by_day.shopify_stripe_sales, 0) - coalesce(stripe_by_day.matched_charges, 0) as difference,
        {{ divide_exact('coalesce(shopify_by_day.shopify_stripe_sales, 0) - coalesce(stripe_by_day.matched_charges, 0)',
                        'shopify_by_day.shopify_stripe_sales', 4) }} as difference_pct,
        coalesce(stripe_by_day.unmatched_charges, 0) as unmatched_charges,
        coalesce(issues_by_day.unmatched_charge_count, 0) as unmatched_charge_count,
        coalesce(issues_by_day.missing_charge_count, 0) as missing_charge_count,
        coalesce(issues_by_day.missing_charge_amount, 0) as missing_charge_amount,
        coalesce(issues_by_day.amount_mismatch_count, 0) as amount_mismatch_count,
        coalesce(issues_by_day.amount_mismatch_amount, 0) as amount_mismatch_amount,
        abs(coalesce(shopify_by_day.shopify_stripe_sales, 0) - coalesce(stripe_by_day.matched_charges, 0))
            > 0.01 * abs(coalesce(shopify_by_day.shopify_stripe_sales, 0))
            and coalesce(shopify_by_day.shopify_stripe_sales, 0) - coalesce(stripe_by_day.matched_charges, 0) <> 0
            as is_warning,
        coalesce(chargebacks_by_day.chargebacks, 0) as chargebacks
    from days
    left join shopify_by_day on days.date = shopify_by_day.date
    left join stripe_by_day on days.date = stripe_by_day.date
    left join issues_by_day on days.date = issues_by_day.date
    left join chargebacks_by_day on days.date = chargebacks_by_day.date
)

select * from final
