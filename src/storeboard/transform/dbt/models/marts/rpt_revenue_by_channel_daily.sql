{#
  One row per store-local day and sales channel (Shopify; Direct Stripe: succeeded live Stripe
  charges matched to no Shopify order), from the first to the last day with any sales, days
  without sales included. Shopify figures are those of rpt_revenue_daily.
#}
with

revenue_daily as (
    select * from {{ ref('rpt_revenue_daily') }}
),

direct_charges as (
    select * from {{ ref('int_charges_matched_to_orders') }}
    where is_direct_revenue
),

stripe_refunds as (
    select * from {{ ref('stg_stripe__refunds') }}
    where status is null or status in ('succeeded', 'pending')
),

direct_sales as (
    select
        charge_date as event_date,
        sum(amount_shop) as gross_sales,
        cast(0 as {{ money_type() }}) as returns,
        count(*) as orders
    from direct_charges
    group by charge_date
),

direct_returns as (
    select
        {{ to_local_date('stripe_refunds.created_at') }} as event_date,
        cast(0 as {{ money_type() }}) as gross_sales,
        sum({{ to_shop_currency('stripe_refunds.amount', 'direct_charges.currency_code', 'direct_charges.charge_fx_rate') }}) as returns,
        0 as orders
    from stripe_refunds
    inner join direct_charges on stripe_refunds.charge_id = direct_charges.charge_id
    group by 1
),

direct_by_day as (
    select
        event_date,
        sum(gross_sales) as gross_sales,
        sum(returns) as returns,
        sum(orders) as orders
    from (
        select * from direct_sales
        union all
        select * from direct_returns
    ) as events
    group by event_date
),

bounds as (
    select min(event_date) as first_day, max(event_date) as last_day
    from (
        select date as event_date from revenue_daily
        union all
        select event_date from direct_by_day
    ) as days
),

calendar as (
    select {{ date_series('first_day', 'last_day') }} as date_day
    from bounds
    where first_day is not null
),

shopify as (
    select
        calendar.date_day as date,
        'Shopify' as sales_channel,
        coalesce(revenue_daily.gross_sales, 0) as gross_sales,
        coalesce(revenue_daily.discounts, 0) as discounts,
        coalesce(revenue_daily.returns, 0) as returns,
        coalesce(revenue_daily.net_sales, 0) as net_sales,
        coalesce(revenue_daily.shipping, 0) as shipping,
        coalesce(revenue_daily.taxes, 0) as taxes,
        coalesce(revenue_daily.duties, 0) as duties,
        coalesce(revenue_daily.additional_fees, 0) as additional_fees,
        coalesce(revenue_daily.return_fees, 0) as return_fees,
        coalesce(revenue_daily.total_sales, 0) as total_sales,
        coalesce(revenue_daily.orders, 0) as orders
    from calendar
    left join revenue_daily on calendar.date_day = revenue_daily.date
),

direct_stripe as (
    select
        calendar.date_day as date,
        'Direct Stripe' as sales_channel,
        coalesce(direct_by_day.gross_sales, 0) as gross_sales,
        cast(0 as {{ money_type() }}) as discounts,
        coalesce(direct_by_day.returns, 0) as returns,
        coalesce(direct_by_day.gross_sales, 0) - coalesce(direct_by_day.returns, 0) as net_sales,
        cast(0 as {{ money_type() }}) as shipping,
        cast(0 as {{ money_type() }}) as taxes,
        cast(0 as {{ money_type() }}) as duties,
        cast(0 as {{ money_type() }}) as additional_fees,
        cast(0 as {{ money_type() }}) as return_fees,
        coalesce(direct_by_day.gross_sales, 0) - coalesce(direct_by_day.returns, 0) as total_sales,
        coalesce(direct_by_day.orders, 0) as orders
    from calendar
    left join direct_by_day on calendar.date_day = direct_by_day.event_date
),

unioned as (
    select * from shopify
    union all
    select * from direct_stripe
),

final as (
    select
        cast(date as varchar) || ':' || sales_channel as revenue_channel_day_id,
        *
    from unioned
)

select * from final
