{#
  One row per store day with contribution margin and its parts (docs/metrics.md, Weekly
  summary and Restatements): what the day's sales events leave after COGS (gross sales −
  discounts − returns − COGS + shipping, each event on its own day), less the shipping cost and
  payment fees and chargebacks (lost and open disputes) of the orders processed that day. The one home of daily contribution margin:
  the weekly summary and the restatement log sum it.
#}
with

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

sales as (
    select
        event_date as date,
        sum(gross_sales - discounts - returns + shipping) as sales_after_returns,
        sum(coalesce(cogs, 0)) as cogs
    from sales_events
    group by event_date
),

costs as (
    select
        {{ to_local_date('processed_at') }} as date,
        sum(shipping_cost) as shipping_cost,
        sum(payment_fees) as payment_fees,
        sum(chargebacks) as chargebacks
    from lines
    group by 1
),

final as (
    select
        coalesce(sales.date, costs.date) as date,
        cast(coalesce(sales.cogs, 0) as {{ money_type() }}) as cogs,
        cast(coalesce(costs.shipping_cost, 0) as {{ money_type() }}) as shipping_cost,
        cast(coalesce(costs.payment_fees, 0) as {{ money_type() }}) as payment_fees,
        cast(coalesce(costs.chargebacks, 0) as {{ money_type() }}) as chargebacks,
        cast(coalesce(sales.sales_after_returns, 0) - coalesce(sales.cogs, 0)
            - coalesce(costs.shipping_cost, 0) - coalesce(costs.payment_fees, 0)
            - coalesce(costs.chargebacks, 0) as {{ money_type() }})
            as contribution_margin
    from sales
    full outer join costs on sales.date = costs.date
)

select * from final
