{#
  One row per SKU in the latest inventory CSV snapshot of that SKU dated on or before the
  report date (docs/metrics.md, Inventory; a pinned var report_date reads the stock as it was): on hand, velocity (average daily net units sold over the var
  velocity_window_days days ending on the report date), days of cover, reorder point (the
  CSV's, else velocity × lead time + var safety_stock_units), low-stock flag and projected
  stockout date. Days of cover and stockout date are null when velocity is 0 (infinite cover).
#}
with

snapshots as (
    select * from {{ ref('stg_files__inventory_snapshots') }}
    where sku is not null
      and snapshot_date <= {{ report_date() }}
),

sales_events as (
    select * from {{ ref('int_sales_events') }}
    where order_line_id is not null
),

products as (
    select * from {{ ref('dim_products') }}
),

latest as (
    select *
    from (
        select
            snapshots.*,
            row_number() over (partition by sku order by snapshot_date desc, file_name desc, line_number desc) as recency
        from snapshots
    ) as ranked
    where recency = 1
),

velocity as (
    select
        sku,
        sum(units) as window_net_units
    from sales_events
    where event_date > {{ report_date() }} - {{ var('velocity_window_days') }}
      and event_date <= {{ report_date() }}
    group by sku
),

catalogue as (
    select sku, min(product_title) as product_title, min(unit_cost) as current_unit_cost
    from products
    where sku is not null
    group by sku
),

measured as (
    select
        latest.sku,
        catalogue.product_title,
        latest.snapshot_date,
        latest.on_hand,
        -- an empty cost in the CSV means the current cost applies (an earlier CSV's, else Shopify's)
        coalesce(latest.unit_cost, catalogue.current_unit_cost) as unit_cost,
        greatest(coalesce(velocity.window_net_units, 0), 0) as window_net_units,
        {{ divide_exact('greatest(coalesce(velocity.window_net_units, 0), 0)', var('velocity_window_days'), 4) }} as velocity,
        coalesce(latest.lead_time_days, {{ var('default_lead_time_days') }}) as lead_time_days,
        latest.reorder_point as csv_reorder_point
    from latest
    left join velocity on latest.sku = velocity.sku
    left join catalogue on latest.sku = catalogue.sku
),

final as (
    select
        sku,
        product_title,
        snapshot_date,
        on_hand,
        unit_cost,
        cast(on_hand * unit_cost as {{ money_type() }}) as stock_value,
        window_net_units,
        velocity,
        -- from the window's units rather than the rounded velocity, so it is exact
        {{ divide_exact('on_hand * ' ~ var('velocity_window_days'), 'window_net_units', 1) }} as days_of_cover,
        lead_time_days,
        coalesce(
            csv_reorder_point,
            cast(ceiling({{ divide_exact('window_net_units * lead_time_days', var('velocity_window_days'), 4) }}) as bigint) + {{ var('safety_stock_units') }}
        ) as reorder_point,
        case when csv_reorder_point is not null then 'inventory_csv' else 'velocity' end as reorder_point_source,
        on_hand <= coalesce(
            csv_reorder_point,
            cast(ceiling({{ divide_exact('window_net_units * lead_time_days', var('velocity_window_days'), 4) }}) as bigint) + {{ var('safety_stock_units') }}
        ) as is_low_stock,
        case
            when window_net_units > 0 then cast({{ report_date() }}
                + cast(floor({{ divide_exact('on_hand * ' ~ var('velocity_window_days'), 'window_net_units', 4) }}) as integer) as date)
        end as projected_stockout_date,
        {{ report_date() }} as report_date
    from measured
)

select * from final
