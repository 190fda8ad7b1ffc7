{#
  One row per ISO week (Monday to Sunday, store time) from the first with activity up to the
  week of the report date (quiet weeks included), and
  headline metric, with the week before and the change (docs/metrics.md, Weekly summary). Net
  and total sales cover every sales channel; orders, AOV, chargebacks and contribution margin are
  Shopify's; chargebacks (within contribution margin) are dated like payment fees, on the order's date.
#}
with

revenue as (
    select * from {{ ref('rpt_revenue_by_channel_daily') }}
),

shopify as (
    select * from {{ ref('rpt_revenue_daily') }}
),

marketing as (
    select * from {{ ref('rpt_marketing_daily') }}
),

margin as (
    select * from {{ ref('int_contribution_margin_daily') }}
),

weekly_revenue as (
    select
        {{ week_start('date') }} as week_start,
        sum(total_sales) as total_sales,
        sum(net_sales) as net_sales
    from revenue
    group by 1
),

weekly_shopify as (
    select
        {{ week_start('date') }} as week_start,
        sum(orders) as orders,
        sum(gross_sales - discounts) as order_value
    from shopify
    group by 1
),

weekly_marketing as (
    select
        {{ week_start('date') }} as week_start,
        sum(ad_spend) as ad_spend,
        sum(new_customers) as new_customers
    from marketing
    group by 1
),

weekly_margin as (
    select
        {{ week_start('date') }} as week_start,
        sum(chargebacks) as chargebacks,
        sum(contribution_margin) as contribution_margin
    from margin
    group by 1
),

-- every week from the first with sales or ad spend to the report date's, quiet weeks included
-- (a week with no sale has its row of zeros, and the week after it a week before to compare with)
first_week as (
    select min(week_start) as first_day
    from (
        select week_start from weekly_revenue
        union all
        select week_start from weekly_marketing
    ) as active
),

weeks as (
    select distinct {{ week_start('date_day') }} as week_start
    from (
        select {{ date_series('first_day', report_date()) }} as date_day
        from first_week
        where first_day is not null
    ) as days
),

weekly as (
    select
        weeks.week_start,
        coalesce(weekly_revenue.total_sales, 0) as total_sales,
        coalesce(weekly_revenue.net_sales, 0) as net_sales,
        coalesce(weekly_shopify.orders, 0) as orders,
        {{ divide_exact('weekly_shopify.order_value', 'weekly_shopify.orders') }} as average_order_value,
        coalesce(weekly_marketing.new_customers, 0) as new_customers,
        coalesce(weekly_marketing.ad_spend, 0) as ad_spend,
        {{ divide_exact('weekly_revenue.net_sales', 'weekly_marketing.ad_spend', 4) }} as blended_roas,
        {{ cac('weekly_marketing.ad_spend', 'weekly_marketing.new_customers') }} as blended_cac,
        coalesce(weekly_margin.chargebacks, 0) as chargebacks,
        coalesce(weekly_margin.contribution_margin, 0) as contribution_margin
    from weeks
    left join weekly_revenue on weeks.week_start = weekly_revenue.week_start
    left join weekly_shopify on weeks.week_start = weekly_shopify.week_start
    left join weekly_marketing on weeks.week_start = weekly_marketing.week_start
    left join weekly_margin on weeks.week_start = weekly_margin.week_start
    where weeks.week_start <= {{ week_start(report_date()) }}
),

long as (
    {%- set metrics = ['total_sales', 'net_sales', 'orders', 'average_order_value', 'new_customers', 'ad_spend',
                       'blended_roas', 'blended_cac', 'contribution_margin', 'chargebacks'] %}
    {%- for metric in metrics %}
    select
        week_start,
        '{{ metric }}' as metric,
        {{ loop.index }} as metric_order,
        cast({{ metric }} as decimal(18, 4)) as value
    from weekly
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        cast(current_week.week_start as varchar) || ':' || current_week.metric as week_metric_id,
        current_week.week_start,
        cast(current_week.week_start + 6 as date) as week_end,
        current_week.metric,
        current_week.metric_order,
        current_week.value,
        previous_week.value as previous_value,
        current_week.value - previous_week.value as change,
        {{ divide_exact('current_week.value - previous_week.value', 'abs(previous_week.value)', 4) }} as change_pct
    from long as current_week
    left join long as previous_week
        on previous_week.metric = current_week.metric
        and previous_week.week_start = cast(current_week.week_start - 7 as date)
)

select * from final
