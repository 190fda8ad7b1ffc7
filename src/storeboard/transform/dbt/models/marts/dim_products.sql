{#
  One row per Shopify product variant (a SKU), with its product, current price, current unit
  cost and weight. The current cost is the one COGS would use for a sale on the report date
  (docs/metrics.md, Product margin): the latest inventory-CSV cost on or before it, else the
  Shopify inventory item's; the cost valid on each sale date is on fct_order_lines. A variant
  is missing its cost only when neither has one.
#}
with

variants as (
    select * from {{ ref('stg_shopify__product_variants') }}
),

inventory_costs as (
    select * from {{ ref('int_inventory_costs_ranged') }}
    where valid_from <= {{ report_date() }}
      and (valid_to is null or valid_to > {{ report_date() }})
),

final as (
    select
        variants.variant_id,
        variants.product_id,
        variants.inventory_item_id,
        variants.sku,
        variants.variant_name,
        variants.product_title,
        variants.product_type,
        variants.vendor,
        variants.product_status,
        variants.price,
        coalesce(inventory_costs.unit_cost, variants.unit_cost) as unit_cost,
        case
            when inventory_costs.unit_cost is not null then 'inventory_csv'
            when variants.unit_cost is not null then 'shopify_variant'
        end as unit_cost_source,
        variants.weight_grams,
        variants.is_gift_card,
        coalesce(inventory_costs.unit_cost, variants.unit_cost) is null and not variants.is_gift_card as is_missing_cost
    from variants
    left join inventory_costs on variants.sku = inventory_costs.sku
)

select * from final
