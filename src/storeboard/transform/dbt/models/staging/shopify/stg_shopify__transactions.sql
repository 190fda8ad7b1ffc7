with

source as (
    {{ select_source_columns('shopify', 'orders__transactions', {
        'id': 'varchar',
        'order_id': 'varchar',
        'kind': 'varchar',
        'status': 'varchar',
        'gateway': 'varchar',
        'test': 'boolean',
        'authorization_code': 'varchar',
        'processed_at': 'timestamp with time zone',
        'amount_set__shop_money__amount': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        id as transaction_id,
        id as transaction_row_id,
        order_id,
        -- the payment processor's reference (for Stripe, the charge id) where Shopify records it
        authorization_code as gateway_reference,

        -- strings
        upper(kind) as kind,
        upper(status) as status,
        lower(gateway) as gateway,

        -- money (shop currency)
        cast(amount_set__shop_money__amount as {{ money_type() }}) as amount,

        -- booleans
        coalesce(test, false) as is_test,

        -- timestamps (UTC)
        processed_at

    from source
)

select * from renamed
