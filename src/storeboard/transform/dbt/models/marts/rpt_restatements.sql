{#
  The restatement log (docs/metrics.md, Restatements): one row each time a refresh found a
  headline figure of a closed day, week or month moved beyond the threshold from what was last
  reported — the period, the metric (and ad platform), the old and the new value, when it was
  seen, and why: what moved in the same period between the two refreshes (refunds and orders
  that arrived late, shipping labels from a late shipping-cost CSV, payment fees that settled,
  an ad platform's restatement).
#}
with

history as (
    select * from {{ ref('fct_headline_figure_history') }}
),

platforms as (
    select ad_platform, min(channel) as platform_name
    from {{ ref('channels') }}
    where ad_platform is not null
    group by ad_platform
),

restatements as (
    select
        headline_figure_id || '@' || cast(recorded_at as varchar) as restatement_id,
        *
    from history
    where is_restatement
),

-- each explaining figure of the same period as it stood before (at restated_from_at) and after
component_rows as (
    select
        restatements.restatement_id,
        history.metric,
        history.value,
        history.recorded_at <= restatements.restated_from_at as is_before,
        row_number() over (
            partition by restatements.restatement_id, history.metric,
                history.recorded_at <= restatements.restated_from_at
            order by history.recorded_at desc
        ) as recency
    from restatements
    inner join history
        on history.grain = restatements.grain
        and history.period_start = restatements.period_start
        and history.ad_platform = ''
        and history.metric in ('refunds', 'orders', 'labelled_orders', 'payment_fees', 'chargebacks', 'cogs', 'shipping_cost')
        and history.recorded_at <= restatements.recorded_at
),

component_changes as (
    select
        restatement_id,
        metric,
        coalesce(max(case when not is_before then value end), max(case when is_before then value end), 0)
            - coalesce(max(case when is_before then value end), 0) as change
    from component_rows
    where recency = 1
    group by restatement_id, metric
),

changes as (
    select
        restatement_id,
        cast(sum(case when metric = 'refunds' then change else 0 end) as integer) as refunds,
        cast(sum(case when metric = 'orders' then change else 0 end) as integer) as orders,
        cast(sum(case when metric = 'labelled_orders' then change else 0 end) as integer) as labelled_orders,
        sum(case when metric = 'payment_fees' then change else 0 end) as payment_fees,
        sum(case when metric = 'chargebacks' then change else 0 end) as chargebacks,
        sum(case when metric = 'cogs' then change else 0 end) as cogs,
        sum(case when metric = 'shipping_cost' then change else 0 end) as shipping_cost
    from component_changes
    group by restatement_id
),

explained as (
    select
        restatements.*,
        coalesce(platforms.platform_name, restatements.ad_platform) as platform_name,
        coalesce(changes.refunds, 0) as refunds_arrived,
        coalesce(changes.orders, 0) as orders_arrived,
        coalesce(changes.labelled_orders, 0) as labels_arrived,
        coalesce(changes.payment_fees, 0) as payment_fees_change,
        coalesce(changes.chargebacks, 0) as chargebacks_change,
        coalesce(changes.cogs, 0) as cogs_change,
        coalesce(changes.shipping_cost, 0) as shipping_cost_change
    from restatements
    left join changes on restatements.restatement_id = changes.restatement_id
    left join platforms on restatements.ad_platform = platforms.ad_platform
),

causes as (
    select
        explained.*,
        case
            when metric in ('ad_spend', 'platform_conversion_value') then ad_platform
            when metric = 'shipping_cost' and labels_arrived <> 0 then 'files'
            when metric = 'contribution_margin' and refunds_arrived = 0 and orders_arrived = 0
                and labels_arrived = 0 and cogs_change = 0 and (payment_fees_change <> 0 or chargebacks_change <> 0) then 'stripe'
            else 'shopify'
        end as cause_source,
        case
            when metric = 'ad_spend' then
                platform_name || ' restated its spend for the period'
            when metric = 'platform_conversion_value' then
                platform_name || ' restated its conversion value for the period'
            else nullif(concat_ws('; ',
                case when metric in ('net_sales', 'returns', 'contribution_margin', 'cogs') and refunds_arrived > 0
                    then cast(refunds_arrived as varchar) || ' late refund' || case when refunds_arrived > 1 then 's' else '' end
                        || ' dated in the period' end,
                case when metric in ('net_sales', 'orders', 'new_customers', 'contribution_margin', 'cogs')
                    and orders_arrived > 0
                    then cast(orders_arrived as varchar) || ' late order' || case when orders_arrived > 1 then 's' else '' end end,
                case when metric in ('net_sales', 'orders', 'new_customers', 'contribution_margin', 'cogs')
                    and orders_arrived < 0
                    then cast(-orders_arrived as varchar) || ' order' || case when orders_arrived < -1 then 's' else '' end
                        || ' no longer counted (deleted, cancelled or made a test)' end,
                case when metric in ('shipping_cost', 'contribution_margin') and labels_arrived > 0
                    then 'shipping-cost CSV: labels for ' || cast(labels_arrived as varchar) || ' order'
                        || case when labels_arrived > 1 then 's' else '' end || ' arrived' end,
                case when metric in ('shipping_cost', 'contribution_margin') and labels_arrived = 0
                    and shipping_cost_change <> 0 then 'shipping costs changed' end,
                case when metric = 'contribution_margin' and payment_fees_change <> 0
                    then 'payment fees settled or changed' end,
                case when metric = 'contribution_margin' and chargebacks_change <> 0
                    then 'a dispute opened or was decided (chargebacks)' end,
                case when metric in ('cogs', 'contribution_margin') and orders_arrived = 0 and refunds_arrived = 0
                    and cogs_change <> 0 then 'unit costs changed (inventory CSV or Shopify)' end
            ), '')
        end as cause_detail
    from explained
),

final as (
    select
        restatement_id,
        grain,
        period_start,
        period_end,
        metric,
        ad_platform,
        cast(restated_from as {{ money_type() }}) as old_value,
        cast(value as {{ money_type() }}) as new_value,
        cast(value - restated_from as {{ money_type() }}) as change,
        restated_from_at as reported_at,
        recorded_at as restated_at,
        refunds_arrived,
        orders_arrived,
        labels_arrived,
        cause_source,
        coalesce(cause_detail, 'Shopify orders of the period changed (edits, refunds or cancellations)') as cause
    from causes
)

select * from final
