with

source as (
    {{ select_source_columns('storeboard_meta', 'config_shipping_rates', {
        'max_weight_grams': 'integer',
        'cost': 'decimal(18, 2)',
    }) }}
),

renamed as (
    select
        -- numerics
        max_weight_grams,

        -- money (shop currency): what shipping an order up to max_weight_grams costs the store
        cost as shipping_cost

    from source
)

select * from renamed
