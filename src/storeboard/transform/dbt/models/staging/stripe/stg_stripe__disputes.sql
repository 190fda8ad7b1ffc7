with

source as (
    {{ select_source_columns('stripe', 'disputes', {
        'id': 'varchar',
        'charge': 'varchar',
        'payment_intent': 'varchar',
        'currency': 'varchar',
        'status': 'varchar',
        'reason': 'varchar',
        'amount': 'bigint',
        'livemode': 'boolean',
        'created': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as dispute_id,
        charge as charge_id,
        payment_intent as payment_intent_id,

        -- strings
        upper(currency) as currency_code,
        status,
        reason,

        -- money (disputed amount, charge currency, major units, positive)
        {{ stripe_amount('amount', 'currency') }} as amount,

        -- booleans
        status = 'lost' as is_lost,
        coalesce(livemode, true) as is_live,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at

    from source
)

select * from renamed
