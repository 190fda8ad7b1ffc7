with

source as (
    {{ select_source_columns('shopify', 'orders__agreement_sales', {
        'id': 'varchar',
        'order_id': 'varchar',
        'agreement_id': 'varchar',
        'refund_id': 'varchar',
        'reason': 'varchar',
        'happened_at': 'timestamp with time zone',
        'action_type': 'varchar',
        'line_type': 'varchar',
        'line_item__id': 'varchar',
        'quantity': 'integer',
        'total_amount__shop_money__amount': 'varchar',
        'total_tax_amount__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as sale_id,
        order_id,
        agreement_id,
        -- the refund of a RefundAgreement
        refund_id,
        line_item__id as order_line_id,

        -- strings: reason ORDER_EDIT, REFUND, RETURN; action ORDER, RETURN, UPDATE; line type PRODUCT, FEE…
        reason,
        action_type,
        line_type,

        -- Shopify signs returns negative: quantities and amounts here are as served
        quantity,
        cast(total_amount__shop_money__amount as {{ money_type() }}) as total_amount,
        coalesce(cast(total_tax_amount__shop_money__amount as {{ money_type() }}), 0) as tax_amount,

        -- timestamps (UTC)
        happened_at

    from source
)

select * from renamed
