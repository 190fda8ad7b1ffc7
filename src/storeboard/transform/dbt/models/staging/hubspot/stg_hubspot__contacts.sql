with

source as (
    {{ select_source_columns('hubspot', 'contacts', {
        'id': 'varchar',
        'properties__email': 'varchar',
        'properties__firstname': 'varchar',
        'properties__lastname': 'varchar',
        'properties__phone': 'varchar',
        'properties__company': 'varchar',
        'properties__lifecyclestage': 'varchar',
        'properties__hs_analytics_source': 'varchar',
        'properties__hs_analytics_source_data_1': 'varchar',
        'properties__hs_analytics_source_data_2': 'varchar',
        'archived': 'boolean',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
        'archived_at': 'timestamp with time zone',
    }) }}
),

cleaned as (
    select
        *,
        nullif(trim(properties__email), '') as email_trimmed,
        regexp_replace(properties__phone, '[^0-9]', '', 'g') as phone_digits
    from source
),

renamed as (
    select
        -- ids
        id as contact_id,

        -- strings
        properties__email as email,
        lower(email_trimmed) as email_normalized,
        properties__phone as phone,
        case
            when phone_digits is null or phone_digits = '' then null
            when trim(properties__phone) like '+%' then '+' || phone_digits
            when length(phone_digits) = 10 then '+1' || phone_digits
            else phone_digits
        end as phone_normalized,
        properties__firstname as first_name,
        properties__lastname as last_name,
        properties__company as company_name,
        properties__lifecyclestage as lifecycle_stage,
        properties__hs_analytics_source as original_source,
        properties__hs_analytics_source_data_1 as original_source_detail_1,
        properties__hs_analytics_source_data_2 as original_source_detail_2,

        -- booleans
        coalesce(archived, false) as is_archived,

        -- timestamps (UTC)
        created_at,
        updated_at,
        archived_at

    from cleaned
)

select * from renamed
