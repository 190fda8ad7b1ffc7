with

source as (
    {{ select_source_columns('shopify', 'orders', {
        'id': 'varchar',
        'name': 'varchar',
        'legacy_resource_id': 'varchar',
        'display_financial_status': 'varchar',
        'created_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
        'processed_at': 'timestamp with time zone',
        'cancelled_at': 'timestamp with time zone',
        'cancel_reason': 'varchar',
        'test': 'boolean',
        'currency_code': 'varchar',
        'source_name': 'varchar',
        'taxes_included': 'boolean',
        'customer__id': 'varchar',
        'subtotal_price_set__shop_money__amount': 'varchar',
        'total_price_set__shop_money__amount': 'varchar',
        'total_discounts_set__shop_money__amount': 'varchar',
        'total_shipping_price_set__shop_money__amount': 'varchar',
        'total_tax_set__shop_money__amount': 'varchar',
        'total_refunded_set__shop_money__amount': 'varchar',
        'customer_journey_summary__first_visit__utm_parameters__source': 'varchar',
        'customer_journey_summary__first_visit__utm_parameters__medium': 'varchar',
        'customer_journey_summary__first_visit__utm_parameters__campaign': 'varchar',
        'customer_journey_summary__first_visit__landing_page': 'varchar',
        'email': 'varchar',
        'presentment_currency_code': 'varchar',
        'total_price_set__presentment_money__amount': 'varchar',
        'total_refunded_set__presentment_money__amount': 'varchar',
        'original_total_duties_set__shop_money__amount': 'varchar',
        'current_total_duties_set__shop_money__amount': 'varchar',
        'original_total_additional_fees_set__shop_money__amount': 'varchar',
        'current_total_additional_fees_set__shop_money__amount': 'varchar',
        'edited': 'boolean',
    }) }}
),

renamed as (
    select
        -- ids
        id as order_id,
        name as order_name,
        legacy_resource_id as order_legacy_id,
        customer__id as customer_id,

        -- strings
        currency_code,
        source_name,
        cancel_reason,
        display_financial_status as financial_status,
        customer_journey_summary__first_visit__utm_parameters__source as utm_source,
        customer_journey_summary__first_visit__utm_parameters__medium as utm_medium,
        customer_journey_summary__first_visit__utm_parameters__campaign as utm_campaign,
        customer_journey_summary__first_visit__landing_page as landing_page,

        -- money (shop currency)
        cast(subtotal_price_set__shop_money__amount as {{ money_type() }}) as subtotal_price,
        cast(total_price_set__shop_money__amount as {{ money_type() }}) as total_price,
        cast(total_discounts_set__shop_money__amount as {{ money_type() }}) as total_discounts,
        cast(total_shipping_price_set__shop_money__amount as {{ money_type() }}) as total_shipping,
        cast(total_tax_set__shop_money__amount as {{ money_type() }}) as total_tax,
        cast(total_refunded_set__shop_money__amount as {{ money_type() }}) as total_refunded,

        -- booleans
        coalesce(test, false) as is_test,
        coalesce(taxes_included, false) as is_taxes_included,
        cancelled_at is not null as is_cancelled,

        -- timestamps (UTC)
        created_at,
        updated_at,
        processed_at,
        cancelled_at,

        -- the checkout email: a guest checkout's only identity (int_customer_identities_unified)
        email,
        -- whose identity the order belongs to: its customer, else its email as a guest
        case when customer__id is not null then 'shopify'
             when {{ email_normalized('email') }} is not null then 'shopify_guest' end as identity_source_name,
        coalesce(customer__id, {{ email_normalized('email') }}) as identity_source_id,

        -- what the customer paid in when it is not the shop currency (Shopify Markets); every
        -- metric stays in shop currency, these are for reference
        coalesce(presentment_currency_code, currency_code) as presentment_currency_code,
        cast(coalesce(total_price_set__presentment_money__amount, total_price_set__shop_money__amount)
            as {{ money_type() }}) as presentment_total_price,
        cast(coalesce(total_refunded_set__presentment_money__amount, total_refunded_set__shop_money__amount)
            as {{ money_type() }}) as presentment_total_refunded,

        -- duties and additional fees (shop currency; 0 when the order has none) and edits
        coalesce(cast(original_total_duties_set__shop_money__amount as {{ money_type() }}), 0) as original_duties,
        coalesce(cast(current_total_duties_set__shop_money__amount as {{ money_type() }}), 0) as current_duties,
        coalesce(cast(original_total_additional_fees_set__shop_money__amount as {{ money_type() }}), 0)
            as original_additional_fees,
        coalesce(cast(current_total_additional_fees_set__shop_money__amount as {{ money_type() }}), 0)
            as current_additional_fees,
        coalesce(edited, false) as is_edited

    from source
)

select * from renamed
