with

source as (
    {{ select_source_columns('storeboard_meta', 'config_fx_rates', {
        'currency': 'varchar',
        'valid_from': 'date',
        'rate': 'decimal(18, 8)',
    }) }}
),

renamed as (
    select
        -- strings
        upper(currency) as currency_code,

        -- numerics: one unit of currency_code is worth `rate` units of shop currency
        rate,

        -- dates
        valid_from

    from source
)

select * from renamed
