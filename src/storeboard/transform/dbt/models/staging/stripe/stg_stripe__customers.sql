with

source as (
    {{ select_source_columns('stripe', 'customers', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'phone': 'varchar',
        'currency': 'varchar',
        'delinquent': 'boolean',
        'livemode': 'boolean',
        'created': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        id as customer_id,

        -- strings
        email,
        lower(trim(email)) as email_normalized,
        name as customer_name,
        phone,
        upper(currency) as currency_code,

        -- booleans
        coalesce(delinquent, false) as is_delinquent,
        not coalesce(livemode, true) as is_test,

        -- timestamps (UTC)
        {{ epoch_to_timestamp('created') }} as created_at

    from source
)

select * from renamed
