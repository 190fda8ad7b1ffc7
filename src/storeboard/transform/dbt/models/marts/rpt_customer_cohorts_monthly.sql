{#
  One row per cohort (store-local month of first order × acquisition channel) and month since
  first order k = 0, 1, … up to the report month (docs/metrics.md, Customers): customers,
  cumulative net sales and contribution margin of the cohort's customers up to month k, their
  averages per customer (the LTV curve), repeat rate, and LTV : CAC against the channel CAC of
  the cohort's first month. Refunds reduce the month they happen in (var refund_dating).
#}
{%- set by_order = var('refund_dating') == 'order_date' -%}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where first_order_date is not null
),

orders as (
    select * from {{ ref('fct_orders') }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

lines as (
    select * from {{ ref('int_order_lines_allocated') }}
),

marketing as (
    select * from {{ ref('rpt_marketing_channels_daily') }}
),

customer_orders as (
    select order_id, customer_id, order_date
    from orders
    where customer_id is not null
),

-- net sales, COGS and shipping revenue by customer and month of the event
event_months as (
    select
        customer_orders.customer_id,
        {{ month_start('sales_events.order_date' if by_order else 'sales_events.event_date') }} as activity_month,
        sum(sales_events.gross_sales - sales_events.discounts - sales_events.returns) as net_sales,
        sum(sales_events.gross_sales - sales_events.discounts - sales_events.returns - coalesce(sales_events.cogs, 0)
            + sales_events.shipping) as margin_before_costs
    from sales_events
    inner join customer_orders on sales_events.order_id = customer_orders.order_id
    group by 1, 2
),

-- shipping cost, payment fees and chargebacks by customer and month of the order
cost_months as (
    select
        customer_orders.customer_id,
        {{ month_start('customer_orders.order_date') }} as activity_month,
        cast(0 as {{ money_type() }}) as net_sales,
        -sum(lines.shipping_cost + lines.payment_fees + lines.chargebacks) as margin_before_costs
    from lines
    inner join customer_orders on lines.order_id = customer_orders.order_id
    group by 1, 2
),

second_orders as (
    select customer_id, min(order_date) as second_order_date
    from (
        select
            customer_id,
            order_date,
            row_number() over (partition by customer_id order by order_date, order_id) as order_number
        from customer_orders
    ) as numbered
    where order_number = 2
    group by customer_id
),

customer_months as (
    select
        customers.customer_id,
        customers.cohort_month,
        customers.acquisition_channel,
        {{ months_between('customers.cohort_month', 'activity.activity_month') }} as months_since_first_order,
        sum(activity.net_sales) as net_sales,
        sum(activity.margin_before_costs) as contribution_margin
    from customers
    inner join (
        select * from event_months
        union all
        select * from cost_months
    ) as activity on customers.customer_id = activity.customer_id
    group by 1, 2, 3, 4
),

cohorts as (
    select cohort_month, acquisition_channel, count(*) as cohort_customers
    from customers
    group by cohort_month, acquisition_channel
),

month_offsets as (
    select distinct {{ months_between('first_day', 'date_day') }} as months_since_first_order
    from (
        select {{ date_series('first_day', 'last_day') }} as date_day, first_day
        from (
            select min(cohort_month) as first_day, {{ report_date() }} as last_day from cohorts
        ) as bounds
        where first_day is not null
    ) as days
),

grid as (
    select
        cohorts.cohort_month,
        cohorts.acquisition_channel,
        cohorts.cohort_customers,
        month_offsets.months_since_first_order
    from cohorts
    inner join month_offsets
        on month_offsets.months_since_first_order
            <= {{ months_between('cohorts.cohort_month', report_date()) }}
),

monthly as (
    select
        grid.cohort_month,
        grid.acquisition_channel,
        grid.months_since_first_order,
        grid.cohort_customers,
        coalesce(sum(customer_months.net_sales), 0) as net_sales,
        coalesce(sum(customer_months.contribution_margin), 0) as contribution_margin
    from grid
    left join customer_months
        on grid.cohort_month = customer_months.cohort_month
        and grid.acquisition_channel = customer_months.acquisition_channel
        and grid.months_since_first_order = customer_months.months_since_first_order
    group by 1, 2, 3, 4
),

repeaters as (
    select
        grid.cohort_month,
        grid.acquisition_channel,
        grid.months_since_first_order,
        count(second_orders.customer_id) as repeat_customers
    from grid
    left join customers
        on grid.cohort_month = customers.cohort_month
        and grid.acquisition_channel = customers.acquisition_channel
    left join second_orders
        on customers.customer_id = second_orders.customer_id
        and {{ months_between('grid.cohort_month', 'second_orders.second_order_date') }} <= grid.months_since_first_order
    group by 1, 2, 3
),

channel_cac as (
    select
        {{ month_start('date') }} as month,
        channel,
        sum(spend) as spend,
        sum(new_customers) as new_customers
    from marketing
    group by 1, 2
),

cumulative as (
    select
        monthly.cohort_month,
        monthly.acquisition_channel,
        monthly.months_since_first_order,
        monthly.cohort_customers,
        sum(monthly.net_sales) over (
            partition by monthly.cohort_month, monthly.acquisition_channel
            order by monthly.months_since_first_order rows between unbounded preceding and current row
        ) as cumulative_net_sales,
        sum(monthly.contribution_margin) over (
            partition by monthly.cohort_month, monthly.acquisition_channel
            order by monthly.months_since_first_order rows between unbounded preceding and current row
        ) as cumulative_contribution_margin,
        repeaters.repeat_customers
    from monthly
    inner join repeaters
        on monthly.cohort_month = repeaters.cohort_month
        and monthly.acquisition_channel = repeaters.acquisition_channel
        and monthly.months_since_first_order = repeaters.months_since_first_order
),

final as (
    select
        cast(cumulative.cohort_month as varchar) || ':' || cumulative.acquisition_channel || ':'
            || cast(cumulative.months_since_first_order as varchar) as cohort_month_id,
        cumulative.cohort_month,
        cumulative.acquisition_channel,
        cumulative.months_since_first_order,
        cumulative.cohort_customers,
        cast(cumulative.cumulative_net_sales as {{ money_type() }}) as cumulative_net_sales,
        cast(cumulative.cumulative_contribution_margin as {{ money_type() }}) as cumulative_contribution_margin,
        {{ divide_exact('cumulative.cumulative_net_sales', 'cumulative.cohort_customers') }} as ltv_net_sales,
        {{ divide_exact('cumulative.cumulative_contribution_margin', 'cumulative.cohort_customers') }} as ltv_contribution_margin,
        cumulative.repeat_customers,
        {{ divide_exact('cumulative.repeat_customers', 'cumulative.cohort_customers', 4) }} as repeat_rate,
        {{ cac('channel_cac.spend', 'channel_cac.new_customers') }} as channel_cac,
        {# LTV ÷ the channel_cac column above, through the same macro: the join keeps only months
            with spend > 0, where cac is exactly divide_exact(spend, new customers) #}
        {{ divide_exact(
            divide_exact('cumulative.cumulative_net_sales', 'cumulative.cohort_customers'),
            cac('channel_cac.spend', 'channel_cac.new_customers'), 2) }} as ltv_to_cac,
        cumulative.months_since_first_order = least(
            12, {{ months_between('cumulative.cohort_month', report_date()) }}) as is_ltv_to_cac_month
    from cumulative
    left join channel_cac
        on cumulative.cohort_month = channel_cac.month
        and cumulative.acquisition_channel = channel_cac.channel
        and channel_cac.spend > 0
)

select * from final
