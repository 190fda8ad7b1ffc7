with

source as (
    {{ select_source_columns('shopify', 'orders__refunds__refund_line_items', {
        'id': 'varchar',
        'refund_id': 'varchar',
        'order_id': 'varchar',
        'line_item__id': 'varchar',
        'quantity': 'integer',
        'restock_type': 'varchar',
        'subtotal_set__shop_money__amount': 'varchar',
        'total_tax_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as refund_line_id,
        refund_id,
        order_id,
        line_item__id as order_line_id,

        -- numerics
        quantity,
        -- value of the refunded units net of their discounts, before tax
        cast(subtotal_set__shop_money__amount as {{ money_type() }}) as subtotal_amount,
        cast(total_tax_set__shop_money__amount as {{ money_type() }}) as tax_amount,

        -- strings
        restock_type

    from source
)

select * from renamed
