with

source as (
    {{ select_source_columns('shopify', 'orders__refunds', {
        'id': 'varchar',
        'order_id': 'varchar',
        'created_at': 'timestamp with time zone',
        'processed_at': 'timestamp with time zone',
        'total_refunded_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as refund_id,
        order_id,

        -- money (shop currency)
        cast(total_refunded_set__shop_money__amount as {{ money_type() }}) as total_refunded,

        -- timestamps (UTC)
        created_at,
        processed_at

    from source
)

select * from renamed
