with

source as (
    {{ select_source_columns('shopify', 'product_variants', {
        'id': 'varchar',
        'sku': 'varchar',
        'title': 'varchar',
        'display_name': 'varchar',
        'price': 'varchar',
        'taxable': 'boolean',
        'product__id': 'varchar',
        'product__title': 'varchar',
        'product__product_type': 'varchar',
        'product__vendor': 'varchar',
        'product__is_gift_card': 'boolean',
        'product__status': 'varchar',
        'inventory_item__id': 'varchar',
        'inventory_item__unit_cost__amount': 'varchar',
        'inventory_item__measurement__weight__unit': 'varchar',
        'inventory_item__measurement__weight__value': 'numeric(18, 6)',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        id as variant_id,
        product__id as product_id,
        inventory_item__id as inventory_item_id,

        -- strings
        sku,
        display_name as variant_name,
        product__title as product_title,
        product__product_type as product_type,
        product__vendor as vendor,
        product__status as product_status,

        -- numerics
        cast(price as {{ money_type() }}) as price,
        cast(inventory_item__unit_cost__amount as {{ money_type() }}) as unit_cost,
        -- weight in grams, whatever unit the shop uses
        cast(round(inventory_item__measurement__weight__value * case inventory_item__measurement__weight__unit
            when 'KILOGRAMS' then 1000 when 'POUNDS' then 453.59237 when 'OUNCES' then 28.349523125 else 1
        end, 1) as decimal(12, 1)) as weight_grams,

        -- booleans
        coalesce(product__is_gift_card, false) as is_gift_card,
        coalesce(taxable, true) as is_taxable,

        -- timestamps (UTC)
        created_at,
        updated_at

    from source
)

select * from renamed
