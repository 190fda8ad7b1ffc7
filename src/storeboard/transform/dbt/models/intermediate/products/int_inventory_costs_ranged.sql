{#
  One row per SKU and inventory CSV snapshot that carries a unit cost, with the day the cost
  stops applying: a snapshot's cost holds from its snapshot date until the next snapshot of the
  same SKU with a cost (valid_to exclusive, null for the latest).
#}
with

snapshots as (
    select * from {{ ref('stg_files__inventory_snapshots') }}
    where unit_cost is not null and sku is not null
),

-- one cost per SKU and day, should two files carry the same day
daily as (
    select sku, snapshot_date, max(unit_cost) as unit_cost
    from snapshots
    group by sku, snapshot_date
),

final as (
    select
        sku,
        unit_cost,
        snapshot_date as valid_from,
        lead(snapshot_date) over (partition by sku order by snapshot_date) as valid_to
    from daily
)

select * from final
