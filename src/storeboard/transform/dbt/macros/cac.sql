{#
  Customer acquisition cost: ad spend ÷ new customers, rounded half-up to the cent. No spend
  means no CAC (null, shown as "–"), not 0.00: a day or week without ads acquired its customers
  some other way (docs/metrics.md, Marketing). Null as well when there are no new customers.
#}
{% macro cac(spend, new_customers) -%}
    case when {{ spend }} > 0 then {{ divide_exact(spend, new_customers) }} end
{%- endmacro %}
