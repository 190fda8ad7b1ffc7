with

source as (
    {{ select_source_columns('stripe', 'payment_intents', {
        'id': 'varchar',
        'customer': 'varchar',
        'latest_charge': 'varchar',
        'order_reference': 'varchar',
        'currency': 'varchar',
        'status': 'varchar',
        'capture_method': 'varchar',
        'cancellation_reason': 'varchar',
        'amount': 'bigint',
        'amount_received': 'bigint',
        'livemode': 'boolean',
        'created': 'bigint',
        'canceled_at': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as payment_intent_id,
        customer as customer_id,
        latest_charge as latest_charge_id,
        order_reference,

        -- strings
        upper(currency) as currency_code,
        status,
        capture_method,
        cancellation_reason,

        -- money (intent currency, major units)
        {{ stripe_amount('amount', 'currency') }} as amount,
        {{ stripe_amount('amount_received', 'currency') }} as amount_received,

        -- booleans
        not coalesce(livemode, true) as is_test,
        canceled_at is not null as is_canceled,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at,
        {{ epoch_to_timestamp('canceled_at') }} as canceled_at

    from source
)

select * from renamed
