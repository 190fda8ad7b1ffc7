{# Stripe sends every amount as an integer in the currency's smallest unit: cents for USD, whole
   yen for JPY (zero-decimal), thousandths for KWD (three-decimal). See docs.stripe.com/currencies. #}
{% macro stripe_zero_decimal_currencies() -%}
    ('bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf')
{%- endmacro %}

{% macro stripe_three_decimal_currencies() -%}
    ('bhd', 'jod', 'kwd', 'omr', 'tnd')
{%- endmacro %}

{# A Stripe minor-unit integer as an exact decimal in major units. Multiplies by a decimal literal
   rather than dividing, so DuckDB never goes through floating point. #}
{% macro stripe_amount(amount_column, currency_column) -%}
    cast(
        cast({{ amount_column }} as decimal(18, 0))
        * case
            when lower({{ currency_column }}) in {{ stripe_zero_decimal_currencies() }} then cast(1 as decimal(5, 4))
            when lower({{ currency_column }}) in {{ stripe_three_decimal_currencies() }} then cast(0.001 as decimal(5, 4))
            else cast(0.01 as decimal(5, 4))
        end
        as {{ money_type() }}
    )
{%- endmacro %}

{# Unix seconds (UTC) as a timestamp with time zone. #}
{% macro epoch_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'storeboard')(column)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(column) -%}
    to_timestamp(cast({{ column }} as double precision))
{%- endmacro %}

{# DuckDB: from integer microseconds, so no floating point is involved. #}
{% macro duckdb__epoch_to_timestamp(column) -%}
    make_timestamptz(cast({{ column }} as bigint) * 1000000)
{%- endmacro %}
