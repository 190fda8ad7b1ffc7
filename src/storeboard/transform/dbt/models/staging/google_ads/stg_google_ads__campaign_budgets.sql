with

source as (
    {{ select_source_columns('google_ads', 'campaign_budgets', {
        'customer_id': 'varchar',
        'customer_currency_code': 'varchar',
        'campaign_budget_id': 'varchar',
        'campaign_budget_name': 'varchar',
        'campaign_budget_amount_micros': 'varchar',
        'campaign_budget_period': 'varchar',
        'campaign_budget_delivery_method': 'varchar',
        'campaign_budget_status': 'varchar',
        'campaign_budget_explicitly_shared': 'boolean',
        'attribution_window': 'varchar',
    }) }}
),

renamed as (
    select
        -- ids
        campaign_budget_id,
        customer_id,

        -- strings
        campaign_budget_name,
        campaign_budget_period as period,
        campaign_budget_delivery_method as delivery_method,
        campaign_budget_status as status,
        customer_currency_code as currency_code,
        coalesce(attribution_window, '30d_click') as attribution_window,

        -- money (customer currency; micros are exact, a multiplication keeps them exact)
        cast(
            cast(coalesce(campaign_budget_amount_micros, '0') as decimal(24, 0)) * cast(0.000001 as decimal(7, 6))
            as decimal(18, 6)
        ) as amount,

        -- booleans
        coalesce(campaign_budget_explicitly_shared, false) as is_explicitly_shared

    from source
)

select * from renamed
