with

source as (
    {{ select_source_columns('stripe', 'payouts', {
        'id': 'varchar',
        'balance_transaction': 'varchar',
        'currency': 'varchar',
        'status': 'varchar',
        'type': 'varchar',
        'method': 'varchar',
        'amount': 'bigint',
        'created': 'bigint',
        'arrival_date': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as payout_id,
        balance_transaction as balance_transaction_id,

        -- strings
        upper(currency) as currency_code,
        status,
        type as payout_type,
        method,

        -- money (payout currency, major units, positive = sent to the bank)
        {{ stripe_amount('amount', 'currency') }} as amount,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at,
        {{ epoch_to_timestamp('arrival_date') }} as arrives_at

    from source
)

select * from renamed
