{#
  One row per unified customer with at least one valid Shopify order: the first order (by
  processed time, then id) with its UTM source and medium (the order's first-visit UTM
  parameters, else those in its landing page URL, lower case), and the order count.
#}
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
),

identities as (
    select * from {{ ref('int_customer_identities_unified') }}
    where source_name in ('shopify', 'shopify_guest')
),

customer_orders as (
    select
        identities.customer_id,
        orders.order_id,
        orders.processed_at,
        lower(coalesce(orders.utm_source, {{ url_parameter('orders.landing_page', 'utm_source') }})) as utm_source,
        lower(coalesce(orders.utm_medium, {{ url_parameter('orders.landing_page', 'utm_medium') }})) as utm_medium,
        row_number() over (partition by identities.customer_id order by orders.processed_at, orders.order_id) as order_number,
        count(*) over (partition by identities.customer_id) as order_count
    from orders
    inner join identities
        on orders.identity_source_name = identities.source_name and orders.identity_source_id = identities.source_customer_id
),

final as (
    select
        customer_id,
        order_id as first_order_id,
        processed_at as first_order_at,
        {{ to_local_date('processed_at') }} as first_order_date,
        utm_source as first_order_utm_source,
        utm_medium as first_order_utm_medium,
        order_count
    from customer_orders
    where order_number = 1
)

select * from final
