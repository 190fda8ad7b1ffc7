{#
  One row per valid Shopify order (test orders out; cancelled ones too when var('valid_orders') is
  exclude_cancelled) with a fingerprint of everything its rows in the order-keyed incremental
  models are built from: the order as Shopify last updated it (lines, refunds, transactions and
  cancellation all move updated_at), its payment fees (Stripe fees arrive and match late), its
  shipping labels (the CSV for a month arrives after the month), and the store-wide inputs
  (variant SKUs, costs and weights, the shipping rate table, the metric settings), a change to
  which rebuilds every order. An incremental run rebuilds the orders whose fingerprint differs from
  the one stored with their rows (macro changed_orders_filter). Inventory-CSV costs are not in it:
  orders processed within the look-back are rebuilt anyway, and an older backdated snapshot needs
  a full refresh (docs/decisions.md).
#}
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if var('valid_orders') == 'exclude_cancelled' %}and not is_cancelled{% endif %}
),

fees as (
    select * from {{ ref('int_payment_fees_pivoted_to_orders') }}
),

labels as (
    select * from {{ ref('int_shipping_label_costs') }}
),

variants as (
    select * from {{ ref('stg_shopify__product_variants') }}
),

shipping_rates as (
    select * from {{ ref('stg_storeboard_meta__shipping_rates') }}
),

store_wide as (
    select md5(
        '{{ var("store_timezone") }}|{{ var("store_currency") }}|{{ var("valid_orders") }}|{{ var("tax_inclusive_prices") }}#'
        || coalesce((
            select string_agg(concat_ws('|', cast(variant_id as varchar), coalesce(sku, ''),
                                        coalesce(cast(unit_cost as varchar), ''), coalesce(cast(weight_grams as varchar), '')),
                              ';' order by variant_id)
            from variants), '')
        || '#'
        || coalesce((
            select string_agg(concat_ws('|', cast(max_weight_grams as varchar), cast(shipping_cost as varchar)),
                              ';' order by max_weight_grams)
            from shipping_rates), '')
    ) as fingerprint
),

final as (
    select
        orders.order_id,
        orders.processed_at,
        {{ input_hash("concat_ws('|',
            cast(orders.updated_at as varchar),
            coalesce(cast(fees.stripe_fees as varchar), ''),
            coalesce(cast(fees.shopify_fees as varchar), ''),
            coalesce(cast(labels.label_cost as varchar), ''),
            store_wide.fingerprint)") }} as input_fingerprint
    from orders
    cross join store_wide
    left join fees on orders.order_id = fees.order_id
    left join labels on orders.order_id = labels.order_id
)

select * from final
