{#
  One row per ad platform, ad account and account day with spend: the spend the models carry
  (int_ad_performance_unioned: Meta ad sets, deleted and archived ones included; Google ad
  groups plus campaign-level rows such as Performance Max) against the total the platform
  reports for the whole account that day (Google customer-level metrics, Meta account-level
  insights), both in the account currency. A difference of a cent or more is a warning: spend
  the models miss or count twice.
#}
with

performance as (
    select * from {{ ref('int_ad_performance_unioned') }}
),

google_totals as (
    select * from {{ ref('stg_google_ads__customer_metrics') }}
),

meta_totals as (
    select * from {{ ref('stg_meta_ads__account_insights') }}
),

totals as (
    select
        'google_ads' as ad_platform,
        customer_id as account_id,
        report_date,
        upper(currency_code) as currency_code,
        cast(cost as {{ money_type() }}) as account_total_spend
    from google_totals
    union all
    select
        'meta_ads' as ad_platform,
        account_id,
        report_date,
        currency_code,
        spend as account_total_spend
    from meta_totals
),

modelled as (
    select
        ad_platform,
        account_id,
        report_date,
        min(currency_code) as currency_code,
        sum(spend) as modelled_spend
    from performance
    group by ad_platform, account_id, report_date
),

final as (
    select
        coalesce(modelled.ad_platform, totals.ad_platform) as ad_platform,
        coalesce(modelled.account_id, totals.account_id) as account_id,
        coalesce(modelled.report_date, totals.report_date) as date,
        coalesce(totals.currency_code, modelled.currency_code) as account_currency_code,
        coalesce(modelled.modelled_spend, 0) as modelled_spend,
        coalesce(totals.account_total_spend, 0) as account_total_spend,
        coalesce(modelled.modelled_spend, 0) - coalesce(totals.account_total_spend, 0) as difference,
        abs(coalesce(modelled.modelled_spend, 0) - coalesce(totals.account_total_spend, 0)) >= 0.01 as is_warning
    from modelled
    full outer join totals
        on modelled.ad_platform = totals.ad_platform
        and modelled.account_id = totals.account_id
        and modelled.report_date = totals.report_date
)

select * from final
