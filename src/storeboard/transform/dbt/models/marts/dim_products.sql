{#
  One row per Shopify product variant (a SKU), with its product, current price, current unit
  cost (Shopify inventory item; the cost valid on each sale date is on fct_order_lines) and
  weight.
#}
with

variants as (
    select * from {{ ref('stg_shopify__product_variants') }}
),

final as (
    select
        variant_id,
        product_id,
        inventory_item_id,
        sku,
        variant_name,
        product_title,
        product_type,
        vendor,
        product_status,
        price,
        unit_cost,
        weight_grams,
        is_gift_card,
        unit_cost is null and not is_gift_card as is_missing_cost
    from variants
)

select * from final
