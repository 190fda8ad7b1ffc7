{{ config(materialized='incremental', full_refresh=false) }}
{#
  Every value each figure of rpt_headline_figures has had, one row per refresh that changed it
  by a cent or more (docs/metrics.md, Restatements). The first refresh to see a period closed
  records its figures as they are (the baseline). A figure that appears later in a period that
  was already closed (the first refund of a day, arriving late) starts from 0. A headline figure
  is restated when it moved from the value last reported (the baseline, or its last
  restatement) by at least a cent and by more than var restatement_threshold_pct percent of it;
  smaller moves add up until they cross. Append-only, and `--full-refresh` keeps it
  (full_refresh=false): it is the memory of what the dashboards and the email said before.
#}
{%- set now = "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)" %}
with

current_figures as (
    select
        headline_figure_id, grain, period_start, period_end, metric, ad_platform, is_headline, value
    from {{ ref('rpt_headline_figures') }}
),

{% if is_incremental() %}
last_recorded as (
    select *
    from (
        select
            history.*,
            row_number() over (partition by headline_figure_id order by recorded_at desc) as recency
        from {{ this }} as history
    ) as ranked
    where recency = 1
),

previous_refresh as (
    select max(recorded_at) as recorded_at, max(report_date) as report_date from {{ this }}
),

-- a figure whose rows are gone (every ad of a day restated away) now stands at 0
gone as (
    select
        last_recorded.headline_figure_id, last_recorded.grain, last_recorded.period_start,
        last_recorded.period_end, last_recorded.metric, last_recorded.ad_platform, last_recorded.is_headline,
        cast(0 as {{ money_type() }}) as value
    from last_recorded
    left join current_figures on last_recorded.headline_figure_id = current_figures.headline_figure_id
    where current_figures.headline_figure_id is null and last_recorded.value <> 0
),

figures as (
    select * from current_figures
    union all
    select * from gone
),

-- what each figure stood at before this refresh; null when its period closed since
known as (
    select
        figures.headline_figure_id,
        coalesce(last_recorded.value, 0) as value,
        coalesce(last_recorded.reported_value, 0) as reported_value,
        coalesce(last_recorded.reported_at, previous_refresh.recorded_at) as reported_at
    from figures
    cross join previous_refresh
    left join last_recorded on figures.headline_figure_id = last_recorded.headline_figure_id
    where last_recorded.headline_figure_id is not null
        or figures.period_end < previous_refresh.report_date
),

compared as (
    select
        figures.*,
        known.headline_figure_id is null as is_baseline,
        known.value as previous_value,
        known.reported_value as previous_reported_value,
        known.reported_at as previous_reported_at,
        coalesce(
            figures.is_headline
            and abs(figures.value - known.reported_value) >= 0.01
            and abs(figures.value - known.reported_value)
                > abs(known.reported_value) * {{ var('restatement_threshold_pct') }} / 100,
            false
        ) as is_restatement
    from figures
    left join known on figures.headline_figure_id = known.headline_figure_id
    where known.headline_figure_id is null
        or abs(figures.value - known.value) >= 0.01
),
{% else %}
compared as (
    select
        current_figures.*,
        true as is_baseline,
        cast(null as {{ money_type() }}) as previous_value,
        cast(null as {{ money_type() }}) as previous_reported_value,
        cast(null as timestamp) as previous_reported_at,
        false as is_restatement
    from current_figures
),
{% endif %}

final as (
    select
        headline_figure_id,
        grain,
        period_start,
        period_end,
        metric,
        ad_platform,
        is_headline,
        value,
        {{ now }} as recorded_at,
        {{ report_date() }} as report_date,
        previous_value,
        is_restatement,
        case when is_restatement then previous_reported_value end as restated_from,
        case when is_restatement then previous_reported_at end as restated_from_at,
        case when is_baseline or is_restatement then value else previous_reported_value end as reported_value,
        case when is_baseline or is_restatement then {{ now }} else previous_reported_at end as reported_at
    from compared
)

select * from final
