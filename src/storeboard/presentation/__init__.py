"""What the dashboards and the notifications show alike, below both of them.

- ``formatting``: numbers for people (store currency, thousands separators, signed changes).
- ``charts``: the Vega-Lite chart specs; the pages embed them, the email renders them to PNG.
- ``metrics``: the ratios of a range's sums (ROAS, MER, CAC, AOV, margin %) and the below-ROAS-
  target flag, rounded as the dbt macros round, so a page, an alert and a mart agree.
- ``drivers`` and ``restatements``: read their marts and put them in words, so the pages, the
  Monday email and the Slack alerts say the same thing the same way.

Nothing here imports ``storeboard.web`` or ``storeboard.notify``: both build on this package and
never on each other (docs/architecture.md).
"""
