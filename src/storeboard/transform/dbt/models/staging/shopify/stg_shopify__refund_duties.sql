with

source as (
    {{ select_source_columns('shopify', 'orders__refunds__duties', {
        'refund_id': 'varchar',
        'order_id': 'varchar',
        'position': 'integer',
        'amount_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        refund_id,
        order_id,
        position,

        -- money (shop currency)
        cast(amount_set__shop_money__amount as {{ money_type() }}) as duty_amount

    from source
)

select * from renamed
