with

source as (
    {{ select_source_columns('storeboard_meta', 'run_steps', {
        'run_id': 'varchar',
        'step': 'varchar',
        'source': 'varchar',
        'started_at': 'timestamp with time zone',
        'finished_at': 'timestamp with time zone',
        'status': 'varchar',
        'rows_loaded': 'bigint',
        'error': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        run_id,

        -- strings
        step,
        source as source_name,
        status,
        error as error_message,

        -- numerics
        rows_loaded,

        -- timestamps (UTC)
        started_at,
        finished_at

    from source
)

select * from renamed
