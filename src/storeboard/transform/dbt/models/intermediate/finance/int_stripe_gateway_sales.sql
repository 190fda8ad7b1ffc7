{#
  One row per successful Shopify sale or capture paid through the Stripe gateway on a non-test
  order: the Shopify side of the Shopify–Stripe reconciliation (both reconciliation marts read it,
  so they always compare the same set of payments).
#}
with

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
    where not is_test and gateway = 'stripe' and kind in ('SALE', 'CAPTURE') and status = 'SUCCESS'
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where not is_test
),

final as (
    select
        transactions.transaction_id,
        transactions.order_id,
        transactions.processed_at,
        {{ to_local_date('transactions.processed_at') }} as processed_date,
        transactions.amount
    from transactions
    inner join orders on transactions.order_id = orders.order_id
)

select * from final
