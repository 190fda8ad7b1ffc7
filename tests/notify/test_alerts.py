"""Alerts over a built warehouse: the rules find the planted truths, Slack receives Block Kit
messages (a local webhook receiver), each alert fires once per state change, and the outbox
delays but never loses or duplicates alerts while Slack is failing."""

from __future__ import annotations

import json
from datetime import date, timedelta

from storeboard.notify import outbox, rules
from storeboard.orchestration import alerts_step
from storeboard.warehouse import Warehouse
from tests.notify.conftest import REPORT_DATE, configure


def alerts_config(folder, url: str | None, max_retries: int = 0, extra: str = ""):
    webhook = f"  slack_webhook_url: {url}\n" if url else ""
    return configure(folder, f"""metrics:
  report_date: {REPORT_DATE.isoformat()}
alerts:
{webhook}  dashboard_url: https://board.example.com
  max_retries: {max_retries}
{extra}""")


def query(config, sql: str, params=None):
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql, params)


def execute(config, sql: str) -> None:
    with Warehouse.from_config(config).connect() as conn:
        conn.execute(sql)


def test_rules_find_what_the_marts_flag(warehouse_copy):
    config = alerts_config(warehouse_copy, None)
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        found = rules.evaluate(conn, config)

    low = {r["sku"] for r in query(config, "select sku from analytics.rpt_inventory_status where is_low_stock")}
    assert low and {f.key for f in found["low_stock"]} == low
    losing = {r["sku"] for r in query(config, "select sku from analytics.rpt_product_margin_monthly "
                                              "where month = date '2026-11-01' and contribution_margin < 0")}
    assert losing and {f.key for f in found["negative_margin"]} == losing
    # The planted campaign with ROAS below 1 is flagged, with its spend over the last 7 full days.
    roas = {f.data["campaign_name"]: f for f in found["roas_below_target"]}
    assert "meta-brand-awareness" in roas
    flagged = roas["meta-brand-awareness"]
    assert flagged.data["roas"] < 1 and (flagged.data["start"], flagged.data["end"]) == (date(2026, 11, 13), date(2026, 11, 19))
    spend = query(config, "select sum(spend) as s from analytics.rpt_marketing_campaigns_daily "
                          "where campaign_name = 'meta-brand-awareness' and date between '2026-11-13' and '2026-11-19'")
    assert flagged.data["spend"] == spend[0]["s"]
    assert found["source_health"] == []  # every source loaded a moment ago


def test_slack_receives_block_kit_with_a_dashboard_link(warehouse_copy, slack):
    config = alerts_config(warehouse_copy, slack.url)

    result = alerts_step(config, trigger="test")

    assert result.ok and result.fired and result.pending == 0
    assert len(slack.messages) == len(result.fired) == result.delivered
    low = next(m for m in slack.messages if m["blocks"][-1]["elements"][0]["text"].startswith("Storeboard · `low_stock`"))
    header, summary, fields, actions = low["blocks"][:4]
    assert header["type"] == "header" and header["text"]["text"].startswith("Low stock: ")
    assert "on hand" in summary["text"]["text"] and "projected to run out" in summary["text"]["text"]
    assert [f["text"].split("\n")[0] for f in fields["fields"]] == ["*On hand*", "*Reorder point*", "*Days of cover*",
                                                                    "*Projected stockout*"]
    button = actions["elements"][0]
    assert button["type"] == "button" and button["url"].startswith("https://board.example.com/inventory?sku=")
    assert low["text"].startswith("Low stock: ")
    # Recorded with its payload, delivered, and in the run log.
    rows = query(config, "select rule, alert_key, status, attempts, payload from storeboard_meta.alerts")
    assert len(rows) == len(result.fired) and {r["status"] for r in rows} == {"delivered"}
    payload = json.loads(next(r for r in rows if r["rule"] == "low_stock")["payload"])
    assert set(payload["data"]) >= {"on_hand", "reorder_point", "days_of_cover", "projected_stockout_date"}
    step = query(config, "select status, rows_loaded from storeboard_meta.run_steps where step = 'alerts'")
    assert step == [{"status": "ok", "rows_loaded": len(result.fired)}]


def test_an_alert_fires_once_per_state_change(warehouse_copy, slack):
    config = alerts_config(warehouse_copy, slack.url)
    first = outbox.process(config)
    sku = next(k.split(":", 1)[1] for k in first.fired if k.startswith("low_stock:"))
    sent = len(slack.messages)

    again = outbox.process(config)  # the next refresh: nothing changed
    assert again.fired == [] and len(slack.messages) == sent

    execute(config, f"update analytics.rpt_inventory_status set is_low_stock = false where sku = '{sku}'")
    recovered = outbox.process(config)
    assert recovered.fired == [] and recovered.recovered == [f"low_stock:{sku}"] and len(slack.messages) == sent

    execute(config, f"update analytics.rpt_inventory_status set is_low_stock = true where sku = '{sku}'")
    fell_again = outbox.process(config)
    assert fell_again.fired == [f"low_stock:{sku}"]
    assert len(slack.messages) == sent + 1 and sku in slack.messages[-1]["text"]


def test_disabled_rules_and_thresholds_come_from_config(warehouse_copy):
    config = alerts_config(warehouse_copy, None, extra="""  rules:
    low_stock: {enabled: false}
    roas_below_target: {target: 0.5, days: 7, min_spend: 100}
    negative_margin: {enabled: false}
""")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        found = rules.evaluate(conn, config)
    assert "low_stock" not in found and "negative_margin" not in found
    assert all(f.data["roas"] < 0.5 for f in found["roas_below_target"])


def test_outbox_holds_alerts_through_a_slack_outage(warehouse_copy, slack):
    config = alerts_config(warehouse_copy, slack.url)
    slack.fail_next = 10_000  # Slack is down

    down = outbox.process(config)

    assert down.fired and down.delivered == 0 and down.pending == len(down.fired)
    assert "HTTP 500" in down.error and "secret-token" not in down.error
    rows = query(config, "select status, attempts, last_error from storeboard_meta.alerts")
    # one post was tried (the first in the rules' turns) and failed; the rest wait behind it
    assert {r["status"] for r in rows} == {"pending"} and sorted(r["attempts"] for r in rows)[-2:] == [0, 1]
    assert "secret-token" not in next(r for r in rows if r["attempts"] == 1)["last_error"]

    still_down = outbox.process(config, evaluate=False)  # the scheduler's retry job
    assert still_down.delivered == 0 and still_down.pending == len(down.fired)
    assert slack.messages == []

    slack.fail_next = 0  # Slack is back
    back = outbox.process(config, evaluate=False)
    assert back.delivered == len(down.fired) and back.pending == 0 and back.ok
    assert outbox.process(config).delivered == 0  # nothing is sent twice
    titles = [m["text"] for m in slack.messages]
    assert len(titles) == len(set(titles)) == len(down.fired)
    rows = query(config, "select status, attempts, delivered_at from storeboard_meta.alerts")
    assert {r["status"] for r in rows} == {"delivered"} and all(r["delivered_at"] for r in rows)


def test_a_brief_failure_is_retried_within_one_delivery(warehouse_copy, slack):
    config = alerts_config(warehouse_copy, slack.url, max_retries=2)
    slack.fail_next = 1

    result = outbox.process(config)

    assert result.ok and result.pending == 0 and slack.failures == 1
    assert len(slack.messages) == len(result.fired)


def test_without_a_webhook_alerts_are_recorded_but_not_queued(warehouse_copy):
    config = alerts_config(warehouse_copy, None)
    result = outbox.process(config)
    assert result.fired and result.pending == 0
    assert {r["status"] for r in query(config, "select status from storeboard_meta.alerts")} == {"unsent"}


def test_sales_drop_compares_with_the_same_weekday(warehouse_copy):
    config = alerts_config(warehouse_copy, None, extra="  rules:\n    sales_drop: {drop: 0.4, weeks: 4}\n")
    yesterday = REPORT_DATE - timedelta(days=1)
    execute(config, f"update analytics.rpt_revenue_daily set net_sales = 1 where date = '{yesterday}'")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        found = rules.evaluate(conn, config)["sales_drop"]
    assert [f.key for f in found] == [yesterday.isoformat()]
    norm = query(config, "select avg(net_sales) as n from analytics.rpt_revenue_daily where date in "
                         + "(" + ", ".join(f"'{yesterday - timedelta(weeks=k)}'" for k in range(1, 5)) + ")")[0]["n"]
    assert abs(float(found[0].data["norm"]) - float(norm)) < 0.01


def test_a_flood_of_one_rule_is_one_digest_and_delays_nothing_else(warehouse_copy, slack):
    """Medium 7: an inventory file with very many SKUs under their reorder point queued one alert
    per SKU (150,005 in the probe, 4 min 47 s) and real alerts waited behind them."""
    import time

    config = alerts_config(warehouse_copy, slack.url)
    flood = 20_000
    execute(config, f"""insert into analytics.rpt_inventory_status
        select * exclude (i) replace ('FLOOD-' || lpad(i::varchar, 6, '0') as sku, true as is_low_stock)
        from (select s.*, r.range as i from (select * from analytics.rpt_inventory_status limit 1) as s,
              range({flood}) as r)""")
    execute(config, "update analytics.rpt_source_health set health_status = 'failed', last_status = 'failed', "
                    "last_error = 'Shopify returned 401' where source_name = 'shopify'")
    started = time.monotonic()
    result = outbox.process(config)
    seconds = time.monotonic() - started
    low = [k for k in result.fired if k.startswith("low_stock:")]
    assert result.ok and len(low) > flood and "source_health:shopify:failed" in result.fired
    digests = [m for m in slack.messages if "new SKUs at or below their reorder point" in m["text"]]
    assert len(digests) == 1, "one message for the whole flood"
    assert digests[0]["text"].startswith(f"{len(low):,} new SKUs at or below their reorder point")
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        worst = rules.evaluate(conn, config)["low_stock"][:5]
    assert [f["text"].split("\n")[0] for f in digests[0]["blocks"][2]["fields"]] == [f"*{f.title}*" for f in worst]
    # every other rule's alerts went out as usual, each on its own, in the same delivery
    others = [k for k in result.fired if not k.startswith("low_stock:")]
    assert len(slack.messages) == 1 + len(others) and result.pending == 0
    assert any(m["text"].startswith("Data source failed: shopify") for m in slack.messages)
    assert seconds < 120, f"the alerts step took {seconds:.1f} s"
    # the flooded keys are firing: the next run sends nothing new; one that recovers and falls
    # again fires on its own
    assert outbox.process(config).fired == [] and len(slack.messages) == 1 + len(others)
    execute(config, "update analytics.rpt_inventory_status set is_low_stock = false where sku = 'FLOOD-000007'")
    assert outbox.process(config).recovered == ["low_stock:FLOOD-000007"]
    execute(config, "update analytics.rpt_inventory_status set is_low_stock = true where sku = 'FLOOD-000007'")
    again = outbox.process(config)
    assert again.fired == ["low_stock:FLOOD-000007"] and slack.messages[-1]["text"].startswith("Low stock: ")
    print(f"flood of {len(low):,} low-stock SKUs: alerts step {seconds:.1f} s, {len(slack.messages)} messages")


def test_delivery_takes_turns_between_rules(warehouse_copy):
    """A backlog of one rule (Slack was down during a flood under the threshold) does not hold
    back another rule's alert: pending alerts are taken in turns per rule."""
    from datetime import UTC, datetime

    config = alerts_config(warehouse_copy, "https://hooks.slack.example/services/x")
    findings = {"low_stock": [rules.Finding("low_stock", f"SKU-{i}", f"Low stock {i}", "s") for i in range(15)],
                "source_health": [rules.Finding("source_health", "shopify:failed", "Data source failed", "s")]}
    with Warehouse.from_config(config).connect() as conn:
        outbox.record(conn, config, {"low_stock": findings["low_stock"]}, datetime(2026, 12, 1, tzinfo=UTC))
        outbox.record(conn, config, {"source_health": findings["source_health"]}, datetime(2026, 12, 2, tzinfo=UTC))
        order = [a["rule"] for a in outbox.pending(conn)]
    assert order[:2] == ["low_stock", "source_health"] and len(order) == 16
