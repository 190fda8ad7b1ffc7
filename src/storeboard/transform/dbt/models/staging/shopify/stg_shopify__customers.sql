with

source as (
    {{ select_source_columns('shopify', 'customers', {
        'id': 'varchar',
        'first_name': 'varchar',
        'last_name': 'varchar',
        'state': 'varchar',
        'default_email_address__email_address': 'varchar',
        'default_email_address__marketing_state': 'varchar',
        'default_phone_number__phone_number': 'varchar',
        'number_of_orders': 'varchar',
        'amount_spent__amount': 'varchar',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        id as customer_id,

        -- strings
        first_name,
        last_name,
        state as customer_state,
        default_email_address__email_address as email,
        lower(trim(default_email_address__email_address)) as email_normalized,
        default_phone_number__phone_number as phone,
        default_email_address__marketing_state as email_marketing_state,

        -- numerics
        cast(number_of_orders as bigint) as number_of_orders,
        cast(amount_spent__amount as {{ money_type() }}) as amount_spent,

        -- timestamps (UTC)
        created_at,
        updated_at

    from source
)

select * from renamed
