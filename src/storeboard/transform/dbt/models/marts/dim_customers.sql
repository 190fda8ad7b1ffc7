{#
  One row per unified customer: Shopify customers, Stripe customers and HubSpot contacts joined
  by normalised email, else E.164 phone (int_customer_identities_unified), with each source's
  id, the first order and the acquisition channel: the first order's UTM source/medium through
  the seed utm_channel_mapping, else the HubSpot contact's original source through
  hubspot_source_channel_mapping, else "Direct / unknown".
#}
with

identities as (
    select * from {{ ref('int_customer_identities_unified') }}
),

first_orders as (
    select * from {{ ref('int_customers_first_orders') }}
),

utm_mapping as (
    select * from {{ ref('utm_channel_mapping') }}
),

hubspot_mapping as (
    select * from {{ ref('hubspot_source_channel_mapping') }}
),

people as (
    select
        customer_id,
        min(identity_key) as identity_key,
        min(email_normalized) as email_normalized,
        min(phone_e164) as phone_e164,
        min(first_name) as first_name,
        min(last_name) as last_name,
        min(case when source_name = 'shopify' then source_customer_id end) as shopify_customer_id,
        count(case when source_name = 'shopify' then 1 end) as shopify_customer_count,
        min(case when source_name = 'stripe' then source_customer_id end) as stripe_customer_id,
        count(case when source_name = 'stripe' then 1 end) as stripe_customer_count,
        min(case when source_name = 'hubspot' then source_customer_id end) as hubspot_contact_id,
        count(case when source_name = 'hubspot' then 1 end) as hubspot_contact_count,
        -- HubSpot's original source (the first by name when a person has several contacts)
        min(case when source_name = 'hubspot' then original_source end) as hubspot_original_source,
        min(created_at) as created_at
    from identities
    group by customer_id
),

utm_channels as (
    select
        first_orders.customer_id,
        coalesce(exact.channel, any_source.channel) as channel
    from first_orders
    left join utm_mapping as exact
        on first_orders.first_order_utm_source = lower(exact.utm_source)
        and first_orders.first_order_utm_medium = lower(exact.utm_medium)
    left join utm_mapping as any_source
        on any_source.utm_source = '*'
        and first_orders.first_order_utm_medium = lower(any_source.utm_medium)
),

final as (
    select
        people.customer_id,
        people.email_normalized,
        people.phone_e164,
        people.first_name,
        people.last_name,
        people.shopify_customer_id,
        people.shopify_customer_count,
        people.stripe_customer_id,
        people.stripe_customer_count,
        people.hubspot_contact_id,
        people.hubspot_contact_count,
        people.hubspot_original_source,
        people.created_at,
        first_orders.first_order_id,
        first_orders.first_order_at,
        first_orders.first_order_date,
        {{ month_start('first_orders.first_order_date') }} as cohort_month,
        coalesce(first_orders.order_count, 0) as order_count,
        first_orders.first_order_utm_source,
        first_orders.first_order_utm_medium,
        coalesce(utm_channels.channel, hubspot_mapping.channel, 'Direct / unknown') as acquisition_channel,
        case
            when utm_channels.channel is not null then 'utm'
            when hubspot_mapping.channel is not null then 'hubspot'
            else 'none'
        end as acquisition_channel_source
    from people
    left join first_orders on people.customer_id = first_orders.customer_id
    left join utm_channels on people.customer_id = utm_channels.customer_id
    left join hubspot_mapping on upper(people.hubspot_original_source) = upper(hubspot_mapping.hs_analytics_source)
)

select * from final
