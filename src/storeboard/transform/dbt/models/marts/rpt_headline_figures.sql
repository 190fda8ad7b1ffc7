{#
  The headline figures of every closed day, ISO week (Monday to Sunday) and month, store time:
  one row per period, metric and ad platform (docs/metrics.md, Restatements). A period is
  closed once it ended before the report date. `is_headline` marks the figures a restatement
  is reported for; the others (refunds, shipping labels, payment fees) are counted so that a
  restatement can say what moved it. fct_headline_figure_history keeps what each figure was
  after every refresh that changed it.
#}
with

revenue as (
    select date, sum(net_sales) as net_sales
    from {{ ref('rpt_revenue_by_channel_daily') }}
    group by date
),

shopify as (
    select * from {{ ref('rpt_revenue_daily') }}
),

marketing as (
    select * from {{ ref('rpt_marketing_daily') }}
),

ads as (
    select date, ad_platform, sum(spend) as spend, sum(platform_conversion_value) as platform_conversion_value
    from {{ ref('fct_ad_performance_daily') }}
    group by date, ad_platform
),

margin as (
    select * from {{ ref('int_contribution_margin_daily') }}
),

refunds as (
    select refund_date as date, count(*) as refunds
    from {{ ref('fct_refunds') }}
    group by refund_date
),

labelled_orders as (
    select {{ to_local_date('processed_at') }} as date, count(distinct order_id) as labelled_orders
    from {{ ref('int_order_lines_allocated') }}
    where shipping_cost_source = 'shipping_csv'
    group by 1
),

daily as (
    select date, 'net_sales' as metric, '' as ad_platform, net_sales as value, true as is_headline from revenue
    union all
    select date, 'orders', '', orders, true from shopify
    union all
    select date, 'returns', '', returns, true from shopify
    union all
    select date, 'new_customers', '', new_customers, true from marketing
    union all
    select date, 'ad_spend', ad_platform, spend, true from ads
    union all
    select date, 'platform_conversion_value', ad_platform, platform_conversion_value, true from ads
    union all
    select date, 'contribution_margin', '', contribution_margin, true from margin
    union all
    select date, 'cogs', '', cogs, true from margin
    union all
    select date, 'shipping_cost', '', shipping_cost, true from margin
    union all
    select date, 'payment_fees', '', payment_fees, false from margin
    union all
    select date, 'chargebacks', '', chargebacks, false from margin
    union all
    select date, 'refunds', '', refunds, false from refunds
    union all
    select date, 'labelled_orders', '', labelled_orders, false from labelled_orders
),

periods as (
    select 'day' as grain, date as period_start, date as period_end, metric, ad_platform, value, is_headline
    from daily
    union all
    select 'week', {{ week_start('date') }}, {{ week_start('date') }} + 6, metric, ad_platform, value, is_headline
    from daily
    union all
    select
        'month', {{ month_start('date') }},
        cast({{ month_start('date') }} + interval '1 month' as date) - 1, metric, ad_platform, value, is_headline
    from daily
),

final as (
    select
        grain || ':' || cast(period_start as varchar) || ':' || metric
            || case when ad_platform <> '' then ':' || ad_platform else '' end as headline_figure_id,
        grain,
        period_start,
        period_end,
        metric,
        ad_platform,
        is_headline,
        cast(sum(value) as {{ money_type() }}) as value
    from periods
    where period_end < {{ report_date() }}
    group by grain, period_start, period_end, metric, ad_platform, is_headline
)

select * from final
