-- Every amount in a currency other than the shop's needs an FX rate in storeboard.yml
-- (metrics.fx_rates) valid on its day; a missing rate is a failure, never a silent 1.0.
-- Returns one row per currency and first day without a rate.
select 'ad spend' as amount_kind, account_currency_code as currency_code, min(date) as first_day_without_rate
from {{ ref('fct_ad_performance_daily') }}
where spend is null
group by account_currency_code
union all
select 'stripe charge', currency_code, min(charge_date)
from {{ ref('fct_payments') }}
where amount_shop is null or fee_shop is null
group by currency_code
