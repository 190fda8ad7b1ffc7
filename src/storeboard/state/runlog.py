"""The run log: one row per run and one per step, in the warehouse's ``storeboard_meta`` schema.

It lives beside the data it describes, so any machine pointed at the warehouse sees the same
history; the data-health view reads freshness from it. Error text is stored already redacted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from storeboard.state.schema import SCHEMA, ensure
from storeboard.warehouse import Warehouse


def _now() -> datetime:
    return datetime.now(UTC)


class RunLog:
    """Records a run and its steps (``extract:<source>``, ``transform``).

    Each write opens and closes its own connection, so the log never holds the warehouse open
    while dlt or dbt need it.
    """

    def __init__(self, warehouse: Warehouse, trigger: str = "cli"):
        self.warehouse = warehouse
        self.run_id = uuid.uuid4().hex
        with warehouse.connect() as conn:
            ensure(conn)
            conn.execute(
                f"insert into {SCHEMA}.runs (run_id, trigger, started_at, status) "
                "values (%(run_id)s, %(trigger)s, %(at)s, 'running')",
                {"run_id": self.run_id, "trigger": trigger, "at": _now()},
            )

    def step_started(self, step: str, source: str | None = None) -> None:
        with self.warehouse.connect() as conn:
            conn.execute(
                f"insert into {SCHEMA}.run_steps (run_id, step, source, started_at, status) "
                "values (%(run_id)s, %(step)s, %(source)s, %(at)s, 'running')",
                {"run_id": self.run_id, "step": step, "source": source, "at": _now()},
            )

    def step_finished(self, step: str, status: str, rows_loaded: int | None = None, error: str | None = None) -> None:
        with self.warehouse.connect() as conn:
            conn.execute(
                f"update {SCHEMA}.run_steps set finished_at = %(at)s, status = %(status)s, "
                "rows_loaded = %(rows)s, error = %(error)s where run_id = %(run_id)s and step = %(step)s",
                {"run_id": self.run_id, "step": step, "status": status, "rows": rows_loaded, "error": error, "at": _now()},
            )

    def finish(self, status: str, error: str | None = None) -> None:
        with self.warehouse.connect() as conn:
            conn.execute(
                f"update {SCHEMA}.runs set finished_at = %(at)s, status = %(status)s, error = %(error)s "
                "where run_id = %(run_id)s",
                {"run_id": self.run_id, "status": status, "error": error, "at": _now()},
            )
