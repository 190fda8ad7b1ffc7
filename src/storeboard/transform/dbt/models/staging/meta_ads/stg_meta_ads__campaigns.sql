{#- Meta budgets are integers in the currency's minor unit; zero-decimal currencies have none. -#}
{%- set zero_decimal = "('JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF', 'TWD', 'HUF')" -%}

with

source as (
    {{ select_source_columns('meta_ads', 'campaigns', {
        'id': 'varchar',
        'account_id': 'varchar',
        'name': 'varchar',
        'objective': 'varchar',
        'status': 'varchar',
        'effective_status': 'varchar',
        'daily_budget': 'varchar',
        'lifetime_budget': 'varchar',
        'account_currency': 'varchar',
        'attribution_window': 'varchar',
        'created_time': 'timestamp with time zone',
        'updated_time': 'timestamp with time zone',
    }) }}
),

renamed as (
    select
        -- ids
        id as campaign_id,
        account_id,

        -- strings
        name as campaign_name,
        objective,
        status,
        effective_status,
        account_currency,
        coalesce(attribution_window, '7d_click_1d_view') as attribution_window,

        -- money (account currency; Meta sends budgets in the minor unit)
        cast(case when account_currency in {{ zero_decimal }} then cast(daily_budget as decimal(18, 4)) else cast(daily_budget as decimal(18, 4)) * cast(0.01 as decimal(3, 2)) end as {{ money_type() }}) as daily_budget,
        cast(case when account_currency in {{ zero_decimal }} then cast(lifetime_budget as decimal(18, 4)) else cast(lifetime_budget as decimal(18, 4)) * cast(0.01 as decimal(3, 2)) end as {{ money_type() }}) as lifetime_budget,

        -- timestamps (UTC)
        created_time as created_at,
        updated_time as updated_at

    from source
)

select * from renamed
