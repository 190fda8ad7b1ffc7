{# num ÷ den rounded half away from zero to `scale` decimals, exactly and identically on every
   warehouse: both sides are scaled to integers (8 decimals kept) and divided in integer
   arithmetic, because DuckDB divides decimals in floating point. Null when den is 0 or null. #}
{% macro divide_exact(num, den, scale=2) -%}
    {{ return(adapter.dispatch('divide_exact', 'storeboard')(num, den, scale)) }}
{%- endmacro %}

{% macro default__divide_exact(num, den, scale=2) -%}
    {%- set n = "trunc(cast(" ~ num ~ " as numeric(38, 8)) * 100000000)" -%}
    {%- set d = "trunc(cast(nullif(" ~ den ~ ", 0) as numeric(38, 8)) * 100000000)" -%}
    cast(
        case when ({{ n }} < 0) <> ({{ d }} < 0) then -1 else 1 end
        * div(2 * abs({{ n }}) * {{ 10 ** scale }} + abs({{ d }}), 2 * abs({{ d }}))
        / {{ 10 ** scale }}
        as decimal(18, {{ scale }})
    )
{%- endmacro %}

{% macro duckdb__divide_exact(num, den, scale=2) -%}
    {%- set n = "cast(cast(" ~ num ~ " as decimal(38, 8)) * 100000000 as hugeint)" -%}
    {%- set d = "cast(cast(nullif(" ~ den ~ ", 0) as decimal(38, 8)) * 100000000 as hugeint)" -%}
    cast(
        cast(
            case when ({{ n }} < 0) <> ({{ d }} < 0) then -1 else 1 end
            * ((2 * abs({{ n }}) * {{ 10 ** scale }} + abs({{ d }})) // (2 * abs({{ d }})))
            as decimal(38, 0)
        ) * cast({{ '%.*f' % (scale, 10 ** -scale) }} as decimal(18, {{ scale }}))
        as decimal(18, {{ scale }})
    )
{%- endmacro %}

{# Split `total` over the rows of `partition_by` in proportion to `weight`, to the cent, so that
   the parts always add up to the total exactly: each row gets the rounded running share up to
   and including itself minus the rounded running share before it (`order_by` fixes the order). #}
{% macro allocate(total, weight, partition_by, order_by) -%}
    {%- set window_all = "over (partition by " ~ partition_by ~ ")" -%}
    {%- set window_run = "over (partition by " ~ partition_by ~ " order by " ~ order_by ~ " rows between unbounded preceding and current row)" -%}
    (
        {{ divide_exact(total ~ " * sum(" ~ weight ~ ") " ~ window_run, "sum(" ~ weight ~ ") " ~ window_all) }}
        - {{ divide_exact(total ~ " * (sum(" ~ weight ~ ") " ~ window_run ~ " - " ~ weight ~ ")", "sum(" ~ weight ~ ") " ~ window_all) }}
    )
{%- endmacro %}

{# An amount in `currency` converted to the shop currency with the FX rate valid on `on_date`
   (the rate joined by the caller); the shop currency converts at exactly 1, any other currency
   without a rate gives null, which a data test turns into a visible failure. #}
{% macro to_shop_currency(amount, currency, rate) -%}
    case
        when upper({{ currency }}) = upper('{{ var("store_currency") }}') then cast({{ amount }} as {{ money_type() }})
        else {{ divide_exact(amount ~ " * " ~ rate, "1", 2) }}
    end
{%- endmacro %}

{# Net sales of a row of summed sales events (docs/metrics.md): gross sales less discounts and
   returns, a missing sum counting as 0. The one definition the order and line facts and the
   daily revenue mart share. #}
{% macro net_sales(relation) -%}
    (coalesce({{ relation }}.gross_sales, 0) - coalesce({{ relation }}.discounts, 0) - coalesce({{ relation }}.returns, 0))
{%- endmacro %}

{# Gross margin of the same row: net sales less the cost of the goods sold. #}
{% macro gross_margin(relation) -%}
    ({{ net_sales(relation) }} - coalesce({{ relation }}.cogs, 0))
{%- endmacro %}
