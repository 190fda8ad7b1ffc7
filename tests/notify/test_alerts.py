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
    rows = query(config, "select status, attempts, last_error from storeboard_meta.alerts order by created_at, alert_id")
    assert {r["status"] for r in rows} == {"pending"} and rows[0]["attempts"] == 1
    assert "secret-token" not in rows[0]["last_error"]

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
