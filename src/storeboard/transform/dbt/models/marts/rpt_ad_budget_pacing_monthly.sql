{#
  One row per month with ad spend and budget scope: a whole ad platform or one campaign
  (docs/metrics.md, spend pacing). Budgets from storeboard.yml (metrics.budgets, shop
  currency) per platform or campaign; campaigns without one are paced against their daily
  budget × days in the month (converted with the FX rate of the month's first day). Projected
  month-end spend = month-to-date spend ÷ elapsed days × days in month; for the report month
  the elapsed days end on the report date, past months are complete.
#}
with

performance as (
    select * from {{ ref('fct_ad_performance_daily') }}
),

budgets as (
    select * from {{ ref('stg_storeboard_meta__budgets') }}
),

campaign_budgets as (
    select * from {{ ref('int_campaign_daily_budgets') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

spend as (
    select
        {{ month_start('date') }} as month,
        ad_platform,
        campaign_id,
        min(campaign_name) as campaign_name,
        sum(spend) as spend
    from performance
    where date <= {{ report_date() }}
    group by 1, 2, 3
),

platform_spend as (
    select month, ad_platform, sum(spend) as spend
    from spend
    group by month, ad_platform
),

configured as (
    select
        budgets.budget_month as month,
        budgets.ad_platform,
        budgets.campaign_id,
        case when budgets.campaign_id is null then 'platform' else 'campaign' end as budget_scope,
        'config' as budget_source,
        budgets.budget_amount
    from budgets
),

from_daily_budgets as (
    select
        spend.month,
        spend.ad_platform,
        spend.campaign_id,
        'campaign' as budget_scope,
        'campaign_daily_budget' as budget_source,
        {{ to_shop_currency(
            'campaign_budgets.daily_budget * extract(day from ' ~ month_start('spend.month') ~ " + interval '1 month' - interval '1 day')",
            'campaign_budgets.currency_code', 'fx_rates.rate') }} as budget_amount
    from spend
    inner join campaign_budgets
        on spend.ad_platform = campaign_budgets.ad_platform and spend.campaign_id = campaign_budgets.campaign_id
    left join fx_rates
        on campaign_budgets.currency_code = fx_rates.currency_code
        and spend.month >= fx_rates.valid_from
        and (spend.month < fx_rates.valid_to or fx_rates.valid_to is null)
    where campaign_budgets.daily_budget is not null
      and not exists (
          select 1 from configured
          where configured.month = spend.month and configured.ad_platform = spend.ad_platform
            and configured.campaign_id = spend.campaign_id
      )
),

scoped as (
    select * from configured
    union all
    select * from from_daily_budgets
),

measured as (
    select
        scoped.*,
        coalesce(case when scoped.budget_scope = 'platform' then platform_spend.spend else spend.spend end, 0) as mtd_spend,
        spend.campaign_name,
        cast(extract(day from cast(scoped.month + interval '1 month' - interval '1 day' as date)) as integer) as days_in_month,
        case
            when {{ report_date() }} < scoped.month then 0
            when {{ report_date() }} >= cast(scoped.month + interval '1 month' as date)
                then cast(extract(day from cast(scoped.month + interval '1 month' - interval '1 day' as date)) as integer)
            else cast(extract(day from {{ report_date() }}) as integer)
        end as elapsed_days
    from scoped
    left join platform_spend
        on scoped.budget_scope = 'platform' and scoped.month = platform_spend.month
        and scoped.ad_platform = platform_spend.ad_platform
    left join spend
        on scoped.budget_scope = 'campaign' and scoped.month = spend.month
        and scoped.ad_platform = spend.ad_platform and scoped.campaign_id = spend.campaign_id
),

final as (
    select
        cast(month as varchar) || ':' || ad_platform || ':' || coalesce(campaign_id, '*') as budget_pacing_id,
        month,
        ad_platform,
        budget_scope,
        campaign_id,
        campaign_name,
        budget_source,
        cast(budget_amount as {{ money_type() }}) as budget_amount,
        cast(mtd_spend as {{ money_type() }}) as mtd_spend,
        days_in_month,
        elapsed_days,
        {{ divide_exact('mtd_spend * days_in_month', 'elapsed_days') }} as projected_spend,
        {{ divide_exact(divide_exact('mtd_spend * days_in_month', 'elapsed_days'), 'budget_amount', 4) }} as pacing,
        case
            when {{ divide_exact(divide_exact('mtd_spend * days_in_month', 'elapsed_days'), 'budget_amount', 4) }} > 1.1 then 'over'
            when {{ divide_exact(divide_exact('mtd_spend * days_in_month', 'elapsed_days'), 'budget_amount', 4) }} < 0.9 then 'under'
            when budget_amount > 0 and elapsed_days > 0 then 'on_track'
            else 'unknown'
        end as pacing_status
    from measured
)

select * from final
