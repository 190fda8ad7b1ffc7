{#
  One row per Shopify order with a label in the shipping-cost CSVs: the sum of its label costs.
  Labels are matched by order name (#1042, or 1042), else order id.
#}
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

shipping_cost_rows as (
    select * from {{ ref('stg_files__shipping_costs') }}
),

-- one equi-join per way of naming the order, because a join on their OR cannot hash and compared
-- every label with every order (50 s at 60k orders); UNION counts a label matched twice once
label_matches as (
    select shipping_cost_rows.shipping_cost_id, orders.order_id, shipping_cost_rows.label_cost
    from shipping_cost_rows inner join orders on shipping_cost_rows.order_name = orders.order_name
    union
    select shipping_cost_rows.shipping_cost_id, orders.order_id, shipping_cost_rows.label_cost
    from shipping_cost_rows inner join orders on '#' || shipping_cost_rows.order_name = orders.order_name
    union
    select shipping_cost_rows.shipping_cost_id, orders.order_id, shipping_cost_rows.label_cost
    from shipping_cost_rows inner join orders on shipping_cost_rows.order_name = orders.order_legacy_id
    union
    select shipping_cost_rows.shipping_cost_id, orders.order_id, shipping_cost_rows.label_cost
    from shipping_cost_rows inner join orders on shipping_cost_rows.order_name = orders.order_id
),

final as (
    select order_id, sum(label_cost) as label_cost
    from label_matches
    group by order_id
)

select * from final
