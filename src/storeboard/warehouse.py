"""Opening the warehouse: a DuckDB file or a PostgreSQL database, from one URL.

The pipeline opens it read-write; the web app and the notifiers open it read-only. Queries use
``%(name)s`` placeholders on both engines.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from storeboard.config import redact_url
from storeboard.errors import WarehouseError

_NAMED_PARAM = re.compile(r"%\((\w+)\)s")


class Connection:
    """A thin wrapper giving DuckDB and psycopg one query interface."""

    def __init__(self, raw: Any, kind: str, shared: bool = False):
        self.raw = raw
        self.kind = kind
        #: a DuckDB read-only connection on the process's read-write database instance
        #: (read-only by transaction); instance-wide settings must not be changed through it
        self.shared = shared

    def _sql(self, sql: str) -> str:
        return _NAMED_PARAM.sub(r"$\1", sql) if self.kind == "duckdb" else sql

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        if self.kind == "duckdb":
            self.raw.execute(self._sql(sql), params or {})
        else:
            with self.raw.cursor() as cur:
                cur.execute(sql, params or None)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts."""
        if self.kind == "duckdb":
            cur = self.raw.execute(self._sql(sql), params or {})
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        with self.raw.cursor() as cur:
            cur.execute(sql, params or None)
            names = [d.name for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def table_exists(self, schema: str, table: str) -> bool:
        """True when ``schema.table`` exists."""
        rows = self.query(
            "select 1 as found from information_schema.tables "
            "where table_schema = %(schema)s and table_name = %(table)s",
            {"schema": schema, "table": table},
        )
        return bool(rows)


@dataclass(frozen=True)
class Warehouse:
    """Where the raw tables, models and Storeboard's own state live.

    Args:
        url: ``duckdb:///relative/file.duckdb``, ``duckdb:////absolute/file.duckdb`` or
            ``postgresql://user:password@host:port/database``.
        base_dir: folder that a relative DuckDB path resolves against.
        memory_limit: DuckDB's memory limit (``1GB``) for every connection this process opens;
            None keeps DuckDB's default (80 % of the machine's memory).
    """

    url: str
    base_dir: Path = Path(".")
    memory_limit: str | None = None

    @classmethod
    def from_config(cls, config) -> "Warehouse":
        """The warehouse named by a loaded ``Config``."""
        return cls(config.warehouse.get_secret_value(), config.base_dir, config.duckdb.memory_limit)

    @property
    def kind(self) -> str:
        return "duckdb" if self.url.startswith("duckdb:") else "postgres"

    @property
    def duckdb_path(self) -> Path:
        """The DuckDB file (only for a DuckDB warehouse)."""
        path = Path(self.url.removeprefix("duckdb:///"))
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, safe for logs and pages."""
        return redact_url(self.url)

    def pg_params(self) -> dict[str, Any]:
        """Connection parameters of a PostgreSQL URL."""
        parts = urlsplit(self.url)
        return {
            "host": parts.hostname or "localhost",
            "port": parts.port or 5432,
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "dbname": parts.path.lstrip("/") or "postgres",
        }

    def duckdb_settings(self) -> dict[str, Any]:
        """DuckDB settings for every connection Storeboard, dlt and dbt open in this process.

        ``memory_limit`` caps the engine; ``preserve_insertion_order`` off lets large loads and
        table builds stream within that cap instead of buffering rows to keep their order
        (DuckDB's own advice for out-of-memory errors). No table or query of Storeboard relies on
        insertion order: every ordered read says ``order by``.
        """
        if not self.memory_limit:
            return {}
        return {"memory_limit": self.memory_limit, "preserve_insertion_order": False}

    def limit_memory(self, raw: Any) -> None:
        """Apply ``duckdb_settings`` to the DuckDB instance behind ``raw``. They are instance-wide
        and an instance is shared by every connection to the file in this process, so each opener
        sets them: dlt's and dbt's connections do too (``pipeline.dlt_destination``, the dbt profile).
        An instance whose configuration is locked (the SQL explorer's) was set when it opened."""
        settings = self.duckdb_settings()
        if not settings:
            return
        locked = raw.execute("select current_setting('lock_configuration')").fetchone()[0]
        if not locked:
            for name, value in settings.items():
                raw.execute(f"set {name} = {value!r}" if isinstance(value, str) else f"set {name} = {str(value).lower()}")

    @contextmanager
    def connect(self, read_only: bool = False, timeout_seconds: float | None = None,
                dedicated: bool = False) -> Iterator[Connection]:
        """Open a connection; read-only connections cannot change anything.

        DuckDB refuses, within one process, a read-only and a read-write connection to the same
        file at the same time. So that dashboards keep answering while the in-process scheduler
        refreshes, a read-only DuckDB connection normally joins the process's read-write database
        instance inside a READ ONLY transaction. ``dedicated`` asks for a database instance of its
        own opened read-only (for instance-wide settings, as the SQL explorer's), falling back to
        the shared instance while a writer is open in this process.

        Args:
            read_only: no writes: a DuckDB read-only transaction or instance / a read-only
                Postgres session.
            timeout_seconds: Postgres statement timeout for this session.
            dedicated: DuckDB only, with ``read_only``: prefer an instance of its own.

        Raises:
            WarehouseError: the warehouse cannot be reached or opened.
        """
        if self.kind == "duckdb":
            import duckdb

            path = self.duckdb_path
            if read_only and not path.exists():
                raise WarehouseError(f"warehouse {path} does not exist yet: run `storeboard run` first")
            path.parent.mkdir(parents=True, exist_ok=True)
            attempts = [True, False] if read_only and dedicated else [False, True] if read_only else [False]
            raw, error = None, None
            for as_read_only in attempts:
                try:
                    raw = duckdb.connect(str(path), read_only=as_read_only)
                    break
                except duckdb.Error as exc:
                    error = exc
                    if "different configuration" not in str(exc):
                        break
            if raw is None:
                raise WarehouseError(f"cannot open warehouse {path}: {error}") from None
            self.limit_memory(raw)
            shared = read_only and not as_read_only
            if shared:
                raw.execute("begin transaction read only")
            try:
                yield Connection(raw, "duckdb", shared=shared)
            finally:
                raw.close()
            return
        import psycopg

        options = []
        if read_only:
            options.append("-c default_transaction_read_only=on")
        if timeout_seconds:
            options.append(f"-c statement_timeout={int(timeout_seconds * 1000)}")
        try:
            raw = psycopg.connect(
                **self.pg_params(), options=" ".join(options) or None, autocommit=True, connect_timeout=10
            )
        except psycopg.Error as exc:
            message = str(exc).replace(self.pg_params()["password"] or "\0", "***")
            raise WarehouseError(f"cannot connect to warehouse {self.display_url}: {message}") from None
        try:
            yield Connection(raw, "postgres")
        finally:
            raw.close()
