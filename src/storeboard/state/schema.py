"""Every table of the ``storeboard_meta`` schema, created in one place.

Each module that keeps state there used to create its own tables; the columns are now written
once, here, and ``ensure`` creates the schema and all of its tables whichever module comes first.
The tables are read by the modules that write them (``state.runlog``, ``state.lock``,
``notify.email``, ``notify.outbox``, ``webhooks.events``, ``pipeline.write_config_tables``) and
by the dbt sources in ``transform/dbt/models/staging/_storeboard_meta__sources.yml``.
"""

from __future__ import annotations

SCHEMA = "storeboard_meta"

#: table → its column definitions (``create table if not exists``: an existing table is kept as is)
TABLES: dict[str, str] = {
    # the run log (state.runlog)
    "runs": """
        run_id varchar primary key,
        trigger varchar not null,
        started_at timestamp with time zone not null,
        finished_at timestamp with time zone,
        status varchar not null,
        error varchar
    """,
    "run_steps": """
        run_id varchar not null,
        step varchar not null,
        source varchar,
        started_at timestamp with time zone not null,
        finished_at timestamp with time zone,
        status varchar not null,
        rows_loaded bigint,
        error varchar,
        primary key (run_id, step)
    """,
    # named locks (state.lock)
    "locks": """
        name varchar primary key,
        owner varchar not null,
        acquired_at timestamp with time zone not null,
        expires_at timestamp with time zone not null
    """,
    # the weekly email, sent once per week (notify.email)
    "reports_sent": """
        report_key varchar primary key,
        week_start date not null,
        status varchar not null,
        attempts integer not null,
        recipients varchar,
        message_id varchar,
        first_attempt_at timestamp with time zone,
        last_attempt_at timestamp with time zone,
        sent_at timestamp with time zone,
        last_error varchar
    """,
    # alert state and the outbox (notify.outbox)
    "alert_states": """
        rule varchar not null,
        alert_key varchar not null,
        state varchar not null,
        changed_at timestamp with time zone not null,
        last_seen_at timestamp with time zone,
        alert_id varchar,
        primary key (rule, alert_key)
    """,
    "alerts": """
        alert_id varchar primary key,
        rule varchar not null,
        alert_key varchar not null,
        title varchar not null,
        payload varchar not null,
        status varchar not null,
        created_at timestamp with time zone not null,
        attempts integer not null,
        last_attempt_at timestamp with time zone,
        delivered_at timestamp with time zone,
        last_error varchar
    """,
    # every verified webhook delivery, once (webhooks.events)
    "webhook_events": """
        event_id varchar primary key,
        platform varchar not null,
        topic varchar not null,
        objects varchar not null,
        body_sha256 varchar not null,
        payload text not null,
        received_at timestamp with time zone not null,
        status varchar not null,
        attempts integer not null,
        applied_at timestamp with time zone,
        error varchar
    """,
    # the config's metric tables, replaced every run for the models (pipeline.write_config_tables)
    "config_fx_rates": "currency varchar, valid_from date, rate decimal(18, 8)",
    "config_budgets": "channel varchar, campaign_id varchar, month varchar, amount decimal(18, 2)",
    "config_shipping_rates": "max_weight_grams integer, cost decimal(18, 2)",
}

DDL = [f"create schema if not exists {SCHEMA}"] + [
    f"create table if not exists {SCHEMA}.{table} ({columns.strip()})" for table, columns in TABLES.items()
]


def ensure(conn) -> None:
    """Create the ``storeboard_meta`` schema and every table in ``TABLES`` that is missing.

    Idempotent. Once the tables exist it is one look at the catalogue and no DDL, as the checks
    it replaces were: it runs on every lock taken and every webhook stored.
    """
    rows = conn.query("select table_name from information_schema.tables where table_schema = %(schema)s",
                      {"schema": SCHEMA})
    if set(TABLES) <= {row["table_name"] for row in rows}:
        return
    for statement in DDL:
        conn.execute(statement)
