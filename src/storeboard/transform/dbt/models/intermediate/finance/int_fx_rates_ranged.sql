{#
  One row per configured FX rate with the day it stops applying: a rate holds from valid_from
  until the next rate of the same currency (valid_to exclusive, null for the latest).
#}
with

fx_rates as (
    select * from {{ ref('stg_storeboard_meta__fx_rates') }}
),

ranged as (
    select
        currency_code,
        rate,
        valid_from,
        lead(valid_from) over (partition by currency_code order by valid_from) as valid_to
    from fx_rates
),

final as (
    select * from ranged
)

select * from final
