-- Each UTM source/medium pair maps to one channel (a duplicate would double-count customers).
select lower(utm_source) as utm_source, lower(utm_medium) as utm_medium
from {{ ref('utm_channel_mapping') }}
group by 1, 2
having count(*) > 1
