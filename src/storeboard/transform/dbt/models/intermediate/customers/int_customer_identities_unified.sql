{#
  One row per customer record of any source (Shopify customer, the email of a Shopify guest
  checkout, live Stripe customer, HubSpot contact that is not archived) with the unified customer it belongs to: records share
  a unified customer when their normalised email matches; records without an email join by
  E.164 phone, to the emailed record that carries the same phone where there is one.
#}
with

shopify_customers as (
    select * from {{ ref('stg_shopify__customers') }}
),

-- guest checkouts: no customer, only the order's email; one record per email, so a guest's orders
-- join the person who has that email in any source (or each other)
shopify_guests as (
    select
        identity_source_id as email_normalized,
        min(processed_at) as created_at
    from {{ ref('stg_shopify__orders') }}
    where identity_source_name = 'shopify_guest' and not is_test
    group by identity_source_id
),

stripe_customers as (
    select * from {{ ref('stg_stripe__customers') }}
    where not is_test
),

hubspot_contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived
),

records as (
    select
        'shopify' as source_name,
        customer_id as source_customer_id,
        {{ email_normalized('email') }} as email_normalized,
        {{ phone_e164('phone') }} as phone_e164,
        first_name,
        last_name,
        cast(null as varchar) as original_source,
        created_at
    from shopify_customers
    union all
    select
        'shopify_guest' as source_name,
        email_normalized as source_customer_id,
        email_normalized,
        cast(null as varchar) as phone_e164,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        cast(null as varchar) as original_source,
        created_at
    from shopify_guests
    union all
    select
        'stripe' as source_name,
        customer_id as source_customer_id,
        {{ email_normalized('email') }} as email_normalized,
        {{ phone_e164('phone') }} as phone_e164,
        cast(null as varchar) as first_name,
        customer_name as last_name,
        cast(null as varchar) as original_source,
        created_at
    from stripe_customers
    union all
    select
        'hubspot' as source_name,
        contact_id as source_customer_id,
        {{ email_normalized('email') }} as email_normalized,
        {{ phone_e164('phone') }} as phone_e164,
        first_name,
        last_name,
        original_source,
        created_at
    from hubspot_contacts
),

phones_with_email as (
    select phone_e164, min(email_normalized) as email_normalized
    from records
    where phone_e164 is not null and email_normalized is not null
    group by phone_e164
),

keyed as (
    select
        records.*,
        case
            when records.email_normalized is not null then 'email:' || records.email_normalized
            when phones_with_email.email_normalized is not null then 'email:' || phones_with_email.email_normalized
            when records.phone_e164 is not null then 'phone:' || records.phone_e164
            else records.source_name || ':' || records.source_customer_id
        end as identity_key
    from records
    left join phones_with_email
        on records.email_normalized is null and records.phone_e164 = phones_with_email.phone_e164
),

final as (
    select
        md5(identity_key) as customer_id,
        identity_key,
        source_name,
        source_customer_id,
        email_normalized,
        phone_e164,
        first_name,
        last_name,
        original_source,
        created_at
    from keyed
)

select * from final
