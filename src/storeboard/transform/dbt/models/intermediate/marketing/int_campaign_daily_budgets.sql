{#
  One row per ad campaign with its daily budget in the account currency: Meta's campaign daily
  budget, else the sum of its ad sets' daily budgets; Google's campaign budget when its period
  is DAILY. Campaigns with lifetime budgets only have no daily budget (null).
#}
with

meta_campaigns as (
    select * from {{ ref('stg_meta_ads__campaigns') }}
),

meta_ad_sets as (
    select * from {{ ref('stg_meta_ads__ad_sets') }}
),

google_campaigns as (
    select * from {{ ref('stg_google_ads__campaigns') }}
),

google_budgets as (
    select * from {{ ref('stg_google_ads__campaign_budgets') }}
),

meta_ad_set_budgets as (
    select campaign_id, sum(daily_budget) as daily_budget
    from meta_ad_sets
    group by campaign_id
),

final as (
    select
        'meta_ads' as ad_platform,
        meta_campaigns.account_id,
        meta_campaigns.campaign_id,
        meta_campaigns.campaign_name,
        upper(meta_campaigns.account_currency) as currency_code,
        coalesce(meta_campaigns.daily_budget, meta_ad_set_budgets.daily_budget) as daily_budget
    from meta_campaigns
    left join meta_ad_set_budgets on meta_campaigns.campaign_id = meta_ad_set_budgets.campaign_id
    union all
    select
        'google_ads' as ad_platform,
        google_campaigns.customer_id as account_id,
        google_campaigns.campaign_id,
        google_campaigns.campaign_name,
        upper(google_campaigns.currency_code) as currency_code,
        case when upper(coalesce(google_budgets.period, 'DAILY')) = 'DAILY'
             then cast(google_budgets.amount as {{ money_type() }}) end as daily_budget
    from google_campaigns
    left join google_budgets
        on google_campaigns.campaign_budget_id = google_budgets.campaign_budget_id
)

select * from final
