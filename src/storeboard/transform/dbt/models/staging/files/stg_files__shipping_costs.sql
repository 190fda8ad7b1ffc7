with

source as (
    {{ select_source_columns('files', 'shipping_costs', {
        'file_name': 'varchar',
        'line_number': 'bigint',
        'order_id': 'varchar',
        'carrier': 'varchar',
        'label_cost': money_type(),
    }) }}
),

renamed as (
    select
        -- ids
        file_name || ':' || cast(line_number as varchar) as shipping_cost_id,
        trim(order_id) as order_name,
        file_name,
        line_number,

        -- strings
        carrier,

        -- money (shop currency)
        cast(label_cost as {{ money_type() }}) as label_cost

    from source
)

select * from renamed
