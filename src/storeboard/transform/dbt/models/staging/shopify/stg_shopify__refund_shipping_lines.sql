with

source as (
    {{ select_source_columns('shopify', 'orders__refunds__refund_shipping_lines', {
        'id': 'varchar',
        'refund_id': 'varchar',
        'order_id': 'varchar',
        'subtotal_amount_set__shop_money__amount': 'varchar',
        'tax_amount_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as refund_shipping_line_id,
        refund_id,
        order_id,

        -- money (shop currency)
        cast(subtotal_amount_set__shop_money__amount as {{ money_type() }}) as shipping_amount,
        coalesce(cast(tax_amount_set__shop_money__amount as {{ money_type() }}), 0) as tax_amount

    from source
)

select * from renamed
