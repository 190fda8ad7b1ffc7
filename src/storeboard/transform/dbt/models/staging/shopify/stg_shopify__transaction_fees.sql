with

source as (
    {{ select_source_columns('shopify', 'orders__transactions__fees', {
        '_dlt_id': 'varchar',
        '_dlt_parent_id': 'varchar',
        'type': 'varchar',
        'rate': 'decimal(12, 6)',
        'amount__amount': 'varchar',
        'amount__currency_code': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids (dlt row ids: the parent is the transaction's row in orders__transactions)
        _dlt_id as transaction_fee_row_id,
        _dlt_parent_id as transaction_row_id,

        -- strings
        type as fee_type,
        upper(amount__currency_code) as currency_code,

        -- numerics (fee currency)
        rate as fee_rate,
        cast(amount__amount as {{ money_type() }}) as fee_amount

    from source
)

select * from renamed
