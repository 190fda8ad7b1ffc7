with

source as (
    {{ select_source_columns('shopify', 'orders__line_items__tax_lines', {
        '_dlt_id': 'varchar',
        '_dlt_parent_id': 'varchar',
        'rate': 'decimal(12, 6)',
        'price_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids (dlt row ids: the parent is the order line's row in orders__line_items)
        _dlt_id as tax_line_row_id,
        _dlt_parent_id as order_line_row_id,

        -- numerics
        rate as tax_rate,
        cast(price_set__shop_money__amount as {{ money_type() }}) as tax_amount

    from source
)

select * from renamed
