{#
  The delivery columns every Google Ads metrics table carries (ad group, campaign, customer), as
  typed staging columns: money in the customer's currency, cost = cost_micros ÷ 1,000,000 exactly.
  Conversions only where the report has them (the customer-level total is read for spend only).
#}
{% macro google_ads_delivery_columns(conversions=true) -%}
        cast(
            cast(coalesce(cost_micros, '0') as decimal(24, 0)) * cast(0.000001 as decimal(7, 6))
            as decimal(18, 6)
        ) as cost,
        cast(coalesce(cost_micros, '0') as bigint) as cost_micros,
        cast(coalesce(impressions, '0') as bigint) as impressions,
        cast(coalesce(clicks, '0') as bigint) as clicks
{%- if conversions %},
        cast(coalesce(conversions, '0') as decimal(18, 4)) as conversions,
        cast(coalesce(conversions_value, '0') as {{ money_type() }}) as conversions_value
{%- endif %}
{%- endmacro %}
