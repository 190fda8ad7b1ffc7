-- Every order line has a unit cost, or is a gift card, or is flagged is_missing_cost (so the
-- dashboards can say whose margin is overstated); and a line's cost source says which it is.
select order_line_id
from {{ ref('fct_order_lines') }}
where (unit_cost is null and not is_gift_card and not is_missing_cost)
   or (unit_cost is not null and is_missing_cost)
   or (unit_cost is null and unit_cost_source not in ('missing', 'gift_card'))
