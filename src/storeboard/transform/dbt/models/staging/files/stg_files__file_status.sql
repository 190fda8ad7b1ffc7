with

source as (
    {{ select_source_columns('files', 'file_status', {
        'file_name': 'varchar',
        'kind': 'varchar',
        'status': 'varchar',
        'checksum': 'varchar',
        'rows': 'bigint',
        'error': 'varchar',
        'error_line': 'bigint',
        'error_column': 'varchar',
        'checked_at': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        file_name,

        -- strings
        kind as file_kind,
        status as file_status,
        checksum,
        error as error_message,
        error_column,

        -- numerics
        rows as rows_loaded,
        error_line,

        -- booleans
        status = 'error' as is_error,

        -- timestamps (UTC)
        checked_at

    from source
)

select * from renamed
