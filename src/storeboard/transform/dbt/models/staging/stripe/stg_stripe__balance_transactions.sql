with

source as (
    {{ select_source_columns('stripe', 'balance_transactions', {
        'id': 'varchar',
        'source': 'varchar',
        'currency': 'varchar',
        'type': 'varchar',
        'reporting_category': 'varchar',
        'status': 'varchar',
        'description': 'varchar',
        'amount': 'bigint',
        'fee': 'bigint',
        'net': 'bigint',
        'exchange_rate': 'decimal(18, 8)',
        'created': 'bigint',
        'available_on': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as balance_transaction_id,
        source as source_id,

        -- strings
        upper(currency) as currency_code,
        type as transaction_type,
        reporting_category,
        status,
        description,

        -- money (settlement currency, major units; positive = money in)
        {{ stripe_amount('amount', 'currency') }} as amount,
        {{ stripe_amount('fee', 'currency') }} as fee,
        {{ stripe_amount('net', 'currency') }} as net,
        exchange_rate,

        -- booleans
        status = 'available' as is_available,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at,
        {{ epoch_to_timestamp('available_on') }} as available_at

    from source
)

select * from renamed
