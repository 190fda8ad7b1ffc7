with

source as (
    {{ select_source_columns('storeboard_meta', 'config_budgets', {
        'channel': 'varchar',
        'campaign_id': 'varchar',
        'month': 'varchar',
        'amount': 'decimal(18, 2)',
    }) }}
),

renamed as (
    select
        -- ids
        campaign_id,

        -- strings
        channel as ad_platform,

        -- money (shop currency)
        amount as budget_amount,

        -- dates
        cast(month || '-01' as date) as budget_month

    from source
)

select * from renamed
