"""Named locks held in the warehouse (``storeboard_meta.locks``), so that a refresh started by
``storeboard serve``, by ``storeboard run`` on another machine, or by Airflow never overlaps
another one.

A lock is a row: whoever inserts it first holds it until it deletes it. A row older than its
``expires_at`` belongs to a process that died, and the next taker removes it. So does a row whose
owner (``new_owner``) names a process on this host that no longer exists: a refresh killed with
SIGKILL or by the OOM killer does not block the next one for the whole ``ttl``. On DuckDB only one
process can write the file at a time; a file another process has open for writing counts as
"held" too.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from storeboard.errors import WarehouseError
from storeboard.state import schema
from storeboard.state.schema import SCHEMA
from storeboard.warehouse import Warehouse

logger = logging.getLogger(__name__)

#: The lock every refresh takes: ``storeboard serve``'s scheduler, ``storeboard run``, Airflow
#: and the webhooks' re-reads, so that no two of them write the raw tables at once.
REFRESH_LOCK = "refresh"


def new_owner(label: str = "") -> str:
    """A unique lock owner naming the host and process, e.g. ``scheduler@web1:4242:1a2b3c4d``."""
    return f"{label or 'storeboard'}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_owner(owner: str) -> bool:
    """True when ``owner`` (``label@host:pid:nonce``) names a process on this host that has exited.

    Owners in any other form, or on other hosts, are never judged here: they only expire.
    """
    label, _, rest = owner.rpartition("@")
    host, _, rest = rest.partition(":")
    pid, _, nonce = rest.partition(":")
    if not label or host != socket.gethostname() or not pid.isdigit() or not nonce:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to another user
        return False
    return False


def acquire(warehouse: Warehouse, name: str, owner: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take lock ``name`` for ``owner`` unless someone else holds it.

    Args:
        warehouse: where the lock lives.
        name: e.g. ``refresh``.
        owner: who takes it (see ``new_owner``); taking a lock one already holds renews it.
        ttl: after this long the lock counts as abandoned.
        now: the current time (tests).

    Returns:
        True when ``owner`` now holds the lock.
    """
    now = now or datetime.now(UTC)
    try:
        with warehouse.connect() as conn:
            schema.ensure(conn)
            for row in conn.query(f"select owner from {SCHEMA}.locks where name = %(name)s", {"name": name}):
                if _dead_local_owner(row["owner"]):
                    logger.warning("lock %s: its holder %s has exited; taking it over", name, row["owner"])
                    conn.execute(f"delete from {SCHEMA}.locks where name = %(name)s and owner = %(dead)s",
                                 {"name": name, "dead": row["owner"]})
            conn.execute(f"delete from {SCHEMA}.locks where name = %(name)s and (expires_at < %(now)s or owner = %(owner)s)",
                         {"name": name, "now": now, "owner": owner})
            conn.execute(
                f"insert into {SCHEMA}.locks (name, owner, acquired_at, expires_at) "
                "values (%(name)s, %(owner)s, %(now)s, %(expires)s) on conflict do nothing",
                {"name": name, "owner": owner, "now": now, "expires": now + ttl},
            )
            rows = conn.query(f"select owner from {SCHEMA}.locks where name = %(name)s", {"name": name})
    except WarehouseError as exc:
        # DuckDB: another process has the file open for writing, which is what the lock guards.
        logger.info("lock %s not taken: %s", name, exc)
        return False
    except Exception as exc:  # a concurrent insert in the same process: write-write conflict
        logger.info("lock %s not taken: %s", name, exc)
        return False
    held = bool(rows) and rows[0]["owner"] == owner
    if not held:
        logger.info("lock %s is held by %s", name, rows[0]["owner"] if rows else "?")
    return held


def release(warehouse: Warehouse, name: str, owner: str) -> None:
    """Give lock ``name`` back (a no-op unless ``owner`` holds it)."""
    with warehouse.connect() as conn:
        schema.ensure(conn)
        conn.execute(f"delete from {SCHEMA}.locks where name = %(name)s and owner = %(owner)s",
                     {"name": name, "owner": owner})


def holder(warehouse: Warehouse, name: str) -> dict | None:
    """The row of lock ``name`` (owner, acquired_at, expires_at), or None when it is free."""
    with warehouse.connect() as conn:
        if not conn.table_exists(SCHEMA, "locks"):
            return None
        rows = conn.query(f"select owner, acquired_at, expires_at from {SCHEMA}.locks where name = %(name)s",
                          {"name": name})
    return rows[0] if rows else None


@contextmanager
def held(warehouse: Warehouse, name: str, ttl: timedelta, owner: str | None = None) -> Iterator[bool]:
    """Hold lock ``name`` for the ``with`` block; yields False (and holds nothing) when it is taken."""
    owner = owner or new_owner(name)
    got = acquire(warehouse, name, owner, ttl)
    try:
        yield got
    finally:
        if got:
            release(warehouse, name, owner)
