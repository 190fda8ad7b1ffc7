{#
  One row per source that has ever been extracted (storeboard_meta.run_steps): the last attempt
  and its status and error, the last success and how long ago it was, rows loaded by it, and the
  records each source has quarantined (ever, and in its last attempt: those are a warning). A source is stale when its last success is older than
  var('stale_after_minutes') before this build (storeboard.freshness.stale_after: one rule for the
  mart, the alert and the pages).
#}
with

run_steps as (
    select * from {{ ref('stg_storeboard_meta__run_steps') }}
    where step like 'extract:%'
),

quarantined as (
    select * from {{ ref('stg_storeboard_meta__quarantined_records') }}
),

extracts as (
    select
        coalesce(source_name, substr(step, 9)) as source_name,
        status,
        error_message,
        rows_loaded,
        started_at,
        finished_at,
        row_number() over (partition by coalesce(source_name, substr(step, 9)) order by started_at desc) as attempt_recency
    from run_steps
),

last_attempts as (
    select * from extracts where attempt_recency = 1
),

last_successes as (
    select source_name, finished_at, rows_loaded
    from (
        select
            extracts.*,
            row_number() over (partition by source_name order by started_at desc) as success_recency
        from extracts
        where status = 'ok'
    ) as ok
    where success_recency = 1
),

quarantine_counts as (
    select
        quarantined.source_name,
        count(*) as quarantined_records,
        count(case when quarantined.quarantined_at >= last_attempts.started_at then 1 end) as quarantined_last_run,
        max(quarantined.quarantined_at) as last_quarantined_at
    from quarantined
    left join last_attempts on quarantined.source_name = last_attempts.source_name
    group by quarantined.source_name
),

final as (
    select
        last_attempts.source_name,
        last_attempts.started_at as last_attempt_at,
        last_attempts.status as last_status,
        last_attempts.error_message as last_error,
        last_successes.finished_at as last_success_at,
        last_successes.rows_loaded as rows_loaded_last_success,
        cast({{ dbt.datediff('last_successes.finished_at', dbt.current_timestamp(), 'minute') }} as bigint) as minutes_since_success,
        coalesce(quarantine_counts.quarantined_records, 0) as quarantined_records,
        coalesce(quarantine_counts.quarantined_last_run, 0) as quarantined_last_run,
        quarantine_counts.last_quarantined_at,
        case
            when last_attempts.status = 'failed' then 'failed'
            when last_successes.finished_at is null
                or last_successes.finished_at
                    < {{ dbt.current_timestamp() }} - interval '{{ var("stale_after_minutes", 480) }} minutes' then 'stale'
            when coalesce(quarantine_counts.quarantined_last_run, 0) > 0 then 'warning'
            else 'ok'
        end as health_status
    from last_attempts
    left join last_successes on last_attempts.source_name = last_successes.source_name
    left join quarantine_counts on last_attempts.source_name = quarantine_counts.source_name
)

select * from final
