with

source as (
    {{ select_source_columns('shopify', 'orders__transactions__fees', {
        'transaction_id': 'varchar',
        'position': 'integer',
        'type': 'varchar',
        'rate': 'decimal(12, 6)',
        'amount__amount': 'varchar',
        'amount__currency_code': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids (a fee has none of its own: its transaction and its place among the transaction's fees)
        transaction_id || '/' || cast(position as varchar) as transaction_fee_row_id,
        transaction_id as transaction_row_id,

        -- strings
        type as fee_type,
        upper(amount__currency_code) as currency_code,

        -- numerics (fee currency)
        rate as fee_rate,
        cast(amount__amount as {{ money_type() }}) as fee_amount

    from source
)

select * from renamed
