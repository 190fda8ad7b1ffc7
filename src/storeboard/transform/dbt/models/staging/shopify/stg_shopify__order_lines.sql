with

source as (
    {{ select_source_columns('shopify', 'orders__line_items', {
        'id': 'varchar',
        'order_id': 'varchar',
        'sku': 'varchar',
        'name': 'varchar',
        'quantity': 'integer',
        'current_quantity': 'integer',
        'is_gift_card': 'boolean',
        'requires_shipping': 'boolean',
        'variant__id': 'varchar',
        'product__id': 'varchar',
        'original_unit_price_set__shop_money__amount': 'varchar',
        'total_discount_set__shop_money__amount': 'varchar',
        'variant__inventory_item__unit_cost__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as order_line_id,
        -- dlt row id, the parent of the line's tax lines
        id as order_line_row_id,
        order_id,
        variant__id as variant_id,
        product__id as product_id,

        -- strings
        sku,
        name as line_name,

        -- numerics
        quantity,
        current_quantity,
        cast(original_unit_price_set__shop_money__amount as {{ money_type() }}) as unit_price,
        -- Shopify's total of the line's discount allocations (order-level discounts included)
        coalesce(cast(total_discount_set__shop_money__amount as {{ money_type() }}), 0) as discount_amount,
        cast(variant__inventory_item__unit_cost__amount as {{ money_type() }}) as unit_cost,

        -- booleans
        coalesce(is_gift_card, false) as is_gift_card,
        coalesce(requires_shipping, not coalesce(is_gift_card, false)) as is_shipping_required

    from source
)

select * from renamed
