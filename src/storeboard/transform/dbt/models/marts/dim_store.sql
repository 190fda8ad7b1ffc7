{# One row: the store's reporting time zone and currency, as this build used them. #}
select
    cast('{{ var("store_timezone") }}' as varchar) as timezone,
    cast('{{ var("store_currency") }}' as varchar) as currency_code,
    {{ dbt.current_timestamp() }} as built_at
