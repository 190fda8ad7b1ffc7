{#
  One row per store-local day, from the first to the last day with any sales event, including
  days without orders. Definitions: docs/metrics.md (Sales). Total sales follows Shopify's sales
  report: net sales + shipping + taxes + duties (unless var duties_in_total_sales is false) +
  additional fees + return fees.
#}
with

sales_events as (
    select * from {{ ref('int_sales_events') }}
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
),

sales_by_day as (
    select
        event_date,
        sum(gross_sales) as gross_sales,
        sum(discounts) as discounts,
        sum(returns) as returns,
        sum(shipping) as shipping,
        sum(taxes) as taxes,
        sum(units) as units_sold,
        -- rows built before these columns existed hold nulls (a full refresh fills them)
        coalesce(sum(duties), 0) as duties,
        coalesce(sum(additional_fees), 0) as additional_fees,
        coalesce(sum(return_fees), 0) as return_fees
    from sales_events
    group by event_date
),

orders_by_day as (
    select
        {{ to_local_date('processed_at') }} as event_date,
        count(*) as orders
    from orders
    group by 1
),

-- Whose orders they were: a customer's first order, a returning customer's, or a guest checkout
-- (the revenue page sums these over any range instead of joining the order facts per request).
order_mix_by_day as (
    select
        orders.order_date as event_date,
        count(case when customers.first_order_id = orders.order_id then 1 end) as new_customer_orders,
        count(case when orders.customer_id is not null and customers.first_order_id <> orders.order_id
                   then 1 end) as returning_customer_orders,
        count(case when orders.customer_id is null then 1 end) as guest_orders
    from {{ ref('fct_orders') }} as orders
    left join {{ ref('dim_customers') }} as customers on orders.customer_id = customers.customer_id
    group by 1
),

bounds as (
    select min(event_date) as first_day, max(event_date) as last_day
    from (
        select event_date from sales_by_day
        union all
        select event_date from orders_by_day
        union all
        select event_date from order_mix_by_day
    ) as days
),

calendar as (
    select {{ date_series('first_day', 'last_day') }} as date_day
    from bounds
    where first_day is not null
),

final as (
    select
        calendar.date_day as date,
        coalesce(sales_by_day.gross_sales, 0) as gross_sales,
        coalesce(sales_by_day.discounts, 0) as discounts,
        coalesce(sales_by_day.returns, 0) as returns,
        -- the net_sales macro is the one definition; it expands to the same coalesced sum
        {{ net_sales('sales_by_day') }} as net_sales,
        coalesce(orders_by_day.orders, 0) as orders,
        coalesce(order_mix_by_day.new_customer_orders, 0) as new_customer_orders,
        coalesce(order_mix_by_day.returning_customer_orders, 0) as returning_customer_orders,
        coalesce(order_mix_by_day.guest_orders, 0) as guest_orders,
        cast({{ money_divide(
            'coalesce(sales_by_day.gross_sales, 0) - coalesce(sales_by_day.discounts, 0)',
            'orders_by_day.orders') }} as decimal(18, 2)) as average_order_value,
        coalesce(sales_by_day.units_sold, 0) as units_sold,
        coalesce(sales_by_day.shipping, 0) as shipping,
        coalesce(sales_by_day.taxes, 0) as taxes,
        coalesce(sales_by_day.duties, 0) as duties,
        coalesce(sales_by_day.additional_fees, 0) as additional_fees,
        coalesce(sales_by_day.return_fees, 0) as return_fees,
        {{ net_sales('sales_by_day') }}
            + coalesce(sales_by_day.shipping, 0)
            + coalesce(sales_by_day.taxes, 0)
            {% if var('duties_in_total_sales') %}+ coalesce(sales_by_day.duties, 0){% endif %}
            + coalesce(sales_by_day.additional_fees, 0)
            + coalesce(sales_by_day.return_fees, 0) as total_sales
    from calendar
    left join sales_by_day on calendar.date_day = sales_by_day.event_date
    left join orders_by_day on calendar.date_day = orders_by_day.event_date
    left join order_mix_by_day on calendar.date_day = order_mix_by_day.event_date
)

select * from final
