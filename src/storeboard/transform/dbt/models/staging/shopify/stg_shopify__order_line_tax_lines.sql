with

source as (
    {{ select_source_columns('shopify', 'orders__line_items__tax_lines', {
        'line_item_id': 'varchar',
        'position': 'integer',
        'rate': 'decimal(12, 6)',
        'title': 'varchar',
        'price_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids (a tax line has none of its own: its line and its place among the line's tax lines)
        line_item_id || '/' || cast(position as varchar) as tax_line_row_id,
        line_item_id as order_line_row_id,

        -- numerics
        rate as tax_rate,
        cast(price_set__shop_money__amount as {{ money_type() }}) as tax_amount,

        -- strings
        title as tax_title

    from source
)

select * from renamed
