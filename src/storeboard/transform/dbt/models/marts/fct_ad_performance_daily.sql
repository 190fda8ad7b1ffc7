{#
  One row per ad platform, account, ad set (Meta) / ad group (Google) and day — the account's
  own day — with spend and platform-reported conversion value converted to the shop currency
  with the FX table (metrics.fx_rates) valid on that day. A currency without a rate leaves
  spend null, which fails this model's not_null test: never a silent 1.0.
#}
with

performance as (
    select * from {{ ref('int_ad_performance_unioned') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

converted as (
    select
        performance.*,
        case
            when performance.currency_code = upper('{{ var("store_currency") }}') then cast(1 as decimal(18, 8))
            else fx_rates.rate
        end as fx_rate
    from performance
    left join fx_rates
        on performance.currency_code = fx_rates.currency_code
        and performance.report_date >= fx_rates.valid_from
        and (performance.report_date < fx_rates.valid_to or fx_rates.valid_to is null)
),

final as (
    select
        ad_platform || ':' || account_id || ':' || ad_set_id || ':' || cast(report_date as varchar) as ad_performance_id,
        report_date as date,
        ad_platform,
        account_id,
        campaign_id,
        campaign_name,
        ad_set_id,
        ad_set_name,
        currency_code as account_currency_code,
        fx_rate,
        spend as spend_account_currency,
        {{ to_shop_currency('spend', 'currency_code', 'fx_rate') }} as spend,
        impressions,
        clicks,
        conversions as platform_conversions,
        {{ to_shop_currency('conversion_value', 'currency_code', 'fx_rate') }} as platform_conversion_value,
        attribution_window as platform_attribution_window
    from converted
)

select * from final
