with

source as (
    {{ select_source_columns('stripe', 'refunds', {
        'id': 'varchar',
        'charge': 'varchar',
        'payment_intent': 'varchar',
        'balance_transaction': 'varchar',
        'currency': 'varchar',
        'status': 'varchar',
        'reason': 'varchar',
        'amount': 'bigint',
        'created': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as refund_id,
        charge as charge_id,
        payment_intent as payment_intent_id,
        balance_transaction as balance_transaction_id,

        -- strings
        upper(currency) as currency_code,
        status,
        reason,

        -- money (refund currency, major units, positive)
        {{ stripe_amount('amount', 'currency') }} as amount,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at

    from source
)

select * from renamed
