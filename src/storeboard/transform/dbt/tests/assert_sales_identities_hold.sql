-- net sales = gross sales − discounts − returns and total sales = net sales + shipping + taxes
-- (+ duties unless var duties_in_total_sales is false, + additional fees + return fees where a
-- mart carries them), on every row of every mart that carries them. Returns the rows where an
-- identity breaks.
{%- set ledger = ('+ duties' if var('duties_in_total_sales') else '') ~ ' + additional_fees + return_fees' %}
select 'rpt_revenue_daily' as model, cast(date as varchar) as row_key
from {{ ref('rpt_revenue_daily') }}
where net_sales <> gross_sales - discounts - returns
   or total_sales <> net_sales + shipping + taxes {{ ledger }}
union all
select 'rpt_revenue_by_channel_daily', revenue_channel_day_id
from {{ ref('rpt_revenue_by_channel_daily') }}
where net_sales <> gross_sales - discounts - returns
   or total_sales <> net_sales + shipping + taxes {{ ledger }}
union all
select 'fct_orders', order_id
from {{ ref('fct_orders') }}
where net_sales <> gross_sales - discounts - returns
   or total_sales <> net_sales + shipping + taxes {{ ledger }}
   or contribution_margin <> net_sales - cogs + shipping - shipping_cost - payment_fees - chargebacks
union all
select 'fct_order_lines', order_line_id
from {{ ref('fct_order_lines') }}
where net_sales <> gross_sales - discounts - returns
   or contribution_margin <> net_sales - cogs + shipping_revenue - shipping_cost - payment_fees - chargebacks
union all
select 'rpt_product_margin_monthly', product_month_id
from {{ ref('rpt_product_margin_monthly') }}
where net_revenue <> gross_sales - discounts - returns
   or contribution_margin <> net_revenue - cogs + shipping_revenue - shipping_cost - payment_fees - chargebacks
