with

source as (
    {{ select_source_columns('files', 'inventory_snapshots', {
        'file_name': 'varchar',
        'line_number': 'bigint',
        'snapshot_date': 'date',
        'sku': 'varchar',
        'on_hand': 'bigint',
        'unit_cost': money_type(),
        'reorder_point': 'bigint',
        'lead_time_days': 'bigint',
    }) }}
),

renamed as (
    select
        -- ids
        file_name || ':' || sku as inventory_snapshot_id,
        sku,
        file_name,
        line_number,

        -- numerics (units, days)
        on_hand,
        reorder_point,
        lead_time_days,

        -- money (shop currency)
        cast(unit_cost as {{ money_type() }}) as unit_cost,

        -- dates (store time)
        snapshot_date

    from source
)

select * from renamed
