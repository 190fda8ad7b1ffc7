with

source as (
    {{ select_source_columns('shopify', 'orders__shipping_lines', {
        'id': 'varchar',
        'order_id': 'varchar',
        'title': 'varchar',
        'code': 'varchar',
        'original_price_set__shop_money__amount': 'varchar',
        'discounted_price_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as shipping_line_id,
        order_id,

        -- strings
        title as shipping_title,
        code as shipping_code,

        -- money (shop currency)
        cast(original_price_set__shop_money__amount as {{ money_type() }}) as original_price,
        -- what the customer was charged for shipping, after shipping discounts
        cast(coalesce(discounted_price_set__shop_money__amount, original_price_set__shop_money__amount)
            as {{ money_type() }}) as price

    from source
)

select * from renamed
