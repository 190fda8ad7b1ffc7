{#
  What drove each ISO week's net sales (all sales channels) against the week before, in parts
  that add up to the change exactly (docs/metrics.md, What drove the week). Three breakdowns:
    orders_effect + average_order_value_effect + returns_effect + other_channels_effect
    new_customers_effect + returning_customers_effect + guests_effect + returns_effect + other_channels_effect
    shopify_effect + other_channels_effect
  each equal to `change`. Order value is gross sales − discounts (the AOV numerator); the
  orders effect prices the change in orders at last week's AOV (rounded to the cent) and the
  AOV effect is the rest of the order value's change.
#}
with

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

revenue as (
    select * from {{ ref('rpt_revenue_daily') }}
),

channels as (
    select * from {{ ref('rpt_revenue_by_channel_daily') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

-- whose order each sales event belongs to: a customer's first, a returning customer's, a guest's
event_values as (
    select
        {{ week_start('sales_events.event_date') }} as week_start,
        case
            when orders.customer_id is null then 'guest'
            when customers.first_order_id = orders.order_id then 'new'
            else 'returning'
        end as customer_type,
        sales_events.gross_sales - sales_events.discounts as order_value,
        sales_events.returns
    from sales_events
    left join orders on sales_events.order_id = orders.order_id
    left join customers on orders.customer_id = customers.customer_id
),

weekly_shopify as (
    select
        week_start,
        sum(order_value) as order_value,
        sum(case when customer_type = 'new' then order_value else 0 end) as new_order_value,
        sum(case when customer_type = 'returning' then order_value else 0 end) as returning_order_value,
        sum(case when customer_type = 'guest' then order_value else 0 end) as guest_order_value,
        sum(returns) as returns
    from event_values
    group by week_start
),

weekly_orders as (
    select {{ week_start('date') }} as week_start, sum(orders) as orders
    from revenue
    group by 1
),

weekly_other as (
    select {{ week_start('date') }} as week_start, sum(net_sales) as other_net_sales
    from channels
    where sales_channel <> 'Shopify'
    group by 1
),

-- every week with data, and the week after it (where the change is the whole of it)
data_weeks as (
    select week_start from weekly_shopify
    union
    select week_start from weekly_orders
    union
    select week_start from weekly_other
),

weeks as (
    select week_start from data_weeks
    union
    select week_start + 7 from data_weeks
),

weekly as (
    select
        weeks.week_start,
        coalesce(weekly_orders.orders, 0) as orders,
        cast(coalesce(weekly_shopify.order_value, 0) as {{ money_type() }}) as order_value,
        cast(coalesce(weekly_shopify.new_order_value, 0) as {{ money_type() }}) as new_order_value,
        cast(coalesce(weekly_shopify.returning_order_value, 0) as {{ money_type() }}) as returning_order_value,
        cast(coalesce(weekly_shopify.guest_order_value, 0) as {{ money_type() }}) as guest_order_value,
        cast(coalesce(weekly_shopify.returns, 0) as {{ money_type() }}) as returns,
        cast(coalesce(weekly_other.other_net_sales, 0) as {{ money_type() }}) as other_net_sales
    from weeks
    left join weekly_shopify on weeks.week_start = weekly_shopify.week_start
    left join weekly_orders on weeks.week_start = weekly_orders.week_start
    left join weekly_other on weeks.week_start = weekly_other.week_start
),

compared as (
    select
        current_week.*,
        coalesce(previous_week.orders, 0) as previous_orders,
        coalesce(previous_week.order_value, 0) as previous_order_value,
        coalesce(previous_week.new_order_value, 0) as previous_new_order_value,
        coalesce(previous_week.returning_order_value, 0) as previous_returning_order_value,
        coalesce(previous_week.guest_order_value, 0) as previous_guest_order_value,
        coalesce(previous_week.returns, 0) as previous_returns,
        coalesce(previous_week.other_net_sales, 0) as previous_other_net_sales
    from weekly as current_week
    left join weekly as previous_week on previous_week.week_start = current_week.week_start - 7
    where current_week.week_start <= {{ week_start(report_date()) }}
),

effects as (
    select
        compared.*,
        -- last week's AOV times the change in orders; all of the change when last week had none
        case
            when previous_orders = 0 then order_value - previous_order_value
            else cast({{ divide_exact('previous_order_value', 'previous_orders') }} * (orders - previous_orders)
                      as {{ money_type() }})
        end as orders_effect
    from compared
),

final as (
    select
        week_start,
        week_start + 6 as week_end,
        order_value - returns + other_net_sales as net_sales,
        previous_order_value - previous_returns + previous_other_net_sales as previous_net_sales,
        (order_value - returns + other_net_sales)
            - (previous_order_value - previous_returns + previous_other_net_sales) as change,
        orders,
        previous_orders,
        orders_effect,
        order_value - previous_order_value - orders_effect as average_order_value_effect,
        new_order_value - previous_new_order_value as new_customers_effect,
        returning_order_value - previous_returning_order_value as returning_customers_effect,
        guest_order_value - previous_guest_order_value as guests_effect,
        -(returns - previous_returns) as returns_effect,
        (order_value - returns) - (previous_order_value - previous_returns) as shopify_effect,
        other_net_sales - previous_other_net_sales as other_channels_effect
    from effects
)

select * from final
