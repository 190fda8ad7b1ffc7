with

source as (
    {{ select_source_columns('stripe', 'charges', {
        'id': 'varchar',
        'payment_intent': 'varchar',
        'customer': 'varchar',
        'balance_transaction': 'varchar',
        'order_reference': 'varchar',
        'currency': 'varchar',
        'status': 'varchar',
        'description': 'varchar',
        'receipt_email': 'varchar',
        'billing_details__email': 'varchar',
        'payment_method_details__type': 'varchar',
        'payment_method_details__card__brand': 'varchar',
        'failure_code': 'varchar',
        'amount': 'bigint',
        'amount_captured': 'bigint',
        'amount_refunded': 'bigint',
        'paid': 'boolean',
        'captured': 'boolean',
        'refunded': 'boolean',
        'disputed': 'boolean',
        'livemode': 'boolean',
        'created': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as charge_id,
        payment_intent as payment_intent_id,
        customer as customer_id,
        balance_transaction as balance_transaction_id,
        order_reference,

        -- strings
        upper(currency) as currency_code,
        status,
        description,
        coalesce(receipt_email, billing_details__email) as email,
        payment_method_details__type as payment_method_type,
        payment_method_details__card__brand as card_brand,
        failure_code,

        -- money (charge currency, major units)
        {{ stripe_amount('amount', 'currency') }} as amount,
        {{ stripe_amount('amount_captured', 'currency') }} as amount_captured,
        {{ stripe_amount('amount_refunded', 'currency') }} as amount_refunded,

        -- booleans
        coalesce(paid, false) as is_paid,
        coalesce(captured, false) as is_captured,
        coalesce(refunded, false) as is_refunded,
        coalesce(disputed, false) as is_disputed,
        not coalesce(livemode, true) as is_test,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at

    from source
)

select * from renamed
