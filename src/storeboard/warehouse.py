"""Opening the warehouse: a DuckDB file or a PostgreSQL database, from one URL.

The pipeline opens it read-write; the web app and the notifiers open it read-only. Queries use
``%(name)s`` placeholders on both engines.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from storeboard.config import redact_url
from storeboard.errors import WarehouseError

_NAMED_PARAM = re.compile(r"%\((\w+)\)s")
logger = logging.getLogger(__name__)
#: PostgreSQL roles found missing or not granted to the URL's user → when; tried again after
#: ``ROLE_RETRY_SECONDS`` (a build in another process may have created the role since)
_UNUSABLE_ROLES: dict[tuple[str, str], float] = {}
ROLE_RETRY_SECONDS = 60.0


class WarehouseBusy(WarehouseError):
    """A refresh is writing the DuckDB file; the SQL explorer does not run meanwhile."""


#: the settings of the read-only DuckDB instance readers use while nothing writes: no files,
#: URLs or extensions, no Python objects as tables, and no setting can be changed afterwards
LOCKED_READER = {"enable_external_access": False, "python_enable_replacements": False,
                 "lock_configuration": True}


class _FileUse:
    """Who has one DuckDB file open in this process.

    DuckDB keeps one database instance per file and process and refuses a second with other
    settings. Writers (a refresh, a webhook round, a read-write connection) need the default
    settings; the SQL explorer needs external access off. So they take turns: a writer announces
    itself (``writing``), interrupts the explorer's queries and waits for the locked-down
    instance to close; the explorer waits briefly for writers to finish and otherwise answers
    "refreshing". Dashboards join whichever instance is open.
    """

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.writers = 0
        #: open connections on the locked-down instance: raw handle → is it the explorer's
        self.readers: dict[Any, bool] = {}


_FILES: dict[str, _FileUse] = {}
_FILES_LOCK = threading.Lock()


def _file_use(path: Path) -> _FileUse:
    with _FILES_LOCK:
        return _FILES.setdefault(str(path.resolve()), _FileUse())


class Connection:
    """A thin wrapper giving DuckDB and psycopg one query interface."""

    def __init__(self, raw: Any, kind: str, locked: bool = False):
        self.raw = raw
        self.kind = kind
        #: a DuckDB connection on the locked-down read-only instance (``LOCKED_READER``)
        self.locked = locked

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


def web_warehouse(config, warehouse: Warehouse | None = None) -> Warehouse:
    """Where the dashboards and the SQL explorer read. On PostgreSQL always as the SELECT-only
    reader role (``web.reader_role``) that each build creates: logged in as it when
    ``web.reader_password`` is set, otherwise the warehouse URL's user taking that role for the
    session (``SET ROLE`` at connection start). Until a build has created the role (or when the
    warehouse user may not create roles) the URL's user reads, and ``storeboard doctor`` says so."""
    warehouse = warehouse or Warehouse.from_config(config)  # the runtime's, when the caller has one
    if warehouse.kind != "postgres":
        return warehouse
    if config.web.reader_password:
        return warehouse.as_user(config.web.reader_role, config.web.reader_password.get_secret_value())
    return replace(warehouse, role=config.web.reader_role)


@dataclass(frozen=True)
class Warehouse:
    """Where the raw tables, models and Storeboard's own state live.

    Args:
        url: ``duckdb:///relative/file.duckdb``, ``duckdb:////absolute/file.duckdb`` or
            ``postgresql://user:password@host:port/database``.
        base_dir: folder that a relative DuckDB path resolves against.
        memory_limit: DuckDB's memory limit (``1GB``) for every connection this process opens;
            None keeps DuckDB's default (80 % of the machine's memory).
        role: PostgreSQL only: the role every session takes at connection start (``SET ROLE``),
            so it has that role's privileges and no more; the web's reader role.
    """

    url: str
    base_dir: Path = Path(".")
    memory_limit: str | None = None
    role: str | None = None

    @classmethod
    def from_config(cls, config) -> Warehouse:
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

    def as_user(self, user: str, password: str) -> Warehouse:
        """The same PostgreSQL database, logged in as ``user`` (the web's reader role)."""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
        return Warehouse(parts._replace(netloc=netloc).geturl(), self.base_dir, self.memory_limit)

    def grant_reader(self, role: str, password: str | None) -> None:
        """Create or update the ``role`` that may only SELECT from ``analytics`` (PostgreSQL).

        No superuser, database, role or replication rights; USAGE on ``analytics`` and SELECT on
        its tables (now and those this user creates later), nothing on ``raw_*``, ``staging`` or
        ``storeboard_meta``. The dashboards and the SQL explorer read as it (issue 23): with a
        ``password`` they log in as it; without one it cannot log in, and this URL's user is made
        a member so that its web sessions can take the role (``web_warehouse``).
        """
        from psycopg import sql

        with self.connect() as conn:
            exists = conn.query("select 1 as found from pg_roles where rolname = %(role)s", {"role": role})
            verb = "alter" if exists else "create"
            login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL("nologin")
            with conn.raw.cursor() as cur:
                cur.execute(sql.SQL(verb + " role {} {} nosuperuser nocreatedb nocreaterole noreplication "
                                    "nobypassrls").format(sql.Identifier(role), login))
                if not password:
                    member = conn.query("select pg_has_role(current_user, %(role)s, 'MEMBER') as yes", {"role": role})
                    if not member[0]["yes"]:
                        cur.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
                cur.execute("create schema if not exists analytics")
                for statement in ("grant usage on schema analytics to {}",
                                  "grant select on all tables in schema analytics to {}",
                                  "alter default privileges in schema analytics grant select on tables to {}"):
                    cur.execute(sql.SQL(statement).format(sql.Identifier(role)))
        for key in [key for key in _UNUSABLE_ROLES if key[1] == role]:
            del _UNUSABLE_ROLES[key]  # a web in this process (serve's scheduler) takes it from now on

    def is_superuser(self) -> bool:
        """PostgreSQL: True when this warehouse's sessions act as a superuser (False on DuckDB)."""
        return self.acting_as()[1]

    def acting_as(self) -> tuple[str, bool]:
        """PostgreSQL: the role its sessions act as (after any ``role``) and whether that is a
        superuser; on DuckDB ``("duckdb", False)``."""
        if self.kind != "postgres":
            return "duckdb", False
        with self.connect(read_only=True) as conn:
            row = conn.query("select current_user as name, rolsuper from pg_roles where rolname = current_user")[0]
            return row["name"], bool(row["rolsuper"])

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

    def _open_duckdb(self, path: Path, read_only: bool) -> Any:
        import duckdb

        try:
            raw = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None
        self.limit_memory(raw)
        return raw

    def _open_locked_reader(self, path: Path) -> Any | None:
        """The locked-down read-only instance, or None when a handle opened outside
        ``writing`` (dlt's or dbt's, closing) still holds the file with other settings."""
        import duckdb

        try:
            return duckdb.connect(str(path), read_only=True, config={**LOCKED_READER, **self.duckdb_settings()})
        except duckdb.Error as exc:
            if "different configuration" in str(exc):
                return None
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from None

    @contextmanager
    def writing(self, wait_seconds: float = 30.0) -> Iterator[None]:
        """Announce a writer of this DuckDB file in this process for the ``with`` block.

        The SQL explorer's queries on the locked-down instance are interrupted, and the block
        starts when that instance has closed (dashboards' queries on it are short), so dlt's,
        dbt's and Storeboard's read-write connections can open the file. A no-op on PostgreSQL.
        """
        if self.kind != "duckdb":
            yield
            return
        import duckdb

        use = _file_use(self.duckdb_path)
        deadline = time.monotonic() + wait_seconds
        with use.changed:
            use.writers += 1
        try:
            with use.changed:
                while use.readers and time.monotonic() < deadline:
                    for raw, is_explorer in list(use.readers.items()):
                        if is_explorer:
                            try:
                                raw.interrupt()
                            except duckdb.Error:
                                pass  # closed a moment ago: it leaves the readers next
                    use.changed.wait(0.05)
            yield
        finally:
            with use.changed:
                use.writers -= 1
                use.changed.notify_all()

    @contextmanager
    def connect(self, read_only: bool = False, timeout_seconds: float | None = None,
                explorer: bool = False, wait_seconds: float = 2.0) -> Iterator[Connection]:
        """Open a connection; read-only connections cannot change anything.

        DuckDB refuses, within one process, two instances of one file with different settings.
        A read-write connection counts as a writer (``writing``). A read-only one opens (or joins)
        the locked-down read-only instance (``LOCKED_READER``) while nothing writes in this
        process, and otherwise joins the writers' instance inside a READ ONLY transaction, so
        dashboards keep answering during a refresh. The SQL explorer's connection (``explorer``)
        never joins a writer's instance: it waits up to ``wait_seconds`` for the writers to
        finish and otherwise raises ``WarehouseBusy``.

        Args:
            read_only: no writes: a DuckDB read-only transaction or instance / a read-only
                Postgres session.
            timeout_seconds: Postgres statement timeout for this session.
            explorer: DuckDB only, with ``read_only``: the locked-down instance or nothing.
            wait_seconds: how long the explorer waits for a refresh to let go of the file.

        Raises:
            WarehouseBusy: ``explorer`` and a refresh is writing the file.
            WarehouseError: the warehouse cannot be reached or opened.
        """
        if self.kind == "duckdb":
            path = self.duckdb_path
            if read_only and not path.exists():
                raise WarehouseError(f"warehouse {path} does not exist yet: run `storeboard run` first")
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
                with self.writing():
                    raw = self._open_duckdb(path, read_only=False)
                    try:
                        yield Connection(raw, "duckdb")
                    finally:
                        raw.close()
                return
            use = _file_use(path)
            with use.changed:
                deadline = time.monotonic() + (wait_seconds if explorer else 0.0)
                while True:
                    raw = self._open_locked_reader(path) if not use.writers else None
                    if raw is not None or time.monotonic() >= deadline:
                        break
                    use.changed.wait(0.05)
                if raw is not None:
                    use.readers[raw] = explorer
            if raw is None:
                if explorer:
                    raise WarehouseBusy("the warehouse is refreshing: try again in a moment")
                raw = self._open_duckdb(path, read_only=False)
                raw.execute("begin transaction read only")
            try:
                yield Connection(raw, "duckdb", locked=raw in use.readers)
            finally:
                raw.close()  # before a waiting writer is told: it opens the file next
                with use.changed:
                    use.readers.pop(raw, None)
                    use.changed.notify_all()
            return

        options = []
        if read_only:
            options.append("-c default_transaction_read_only=on")
        if timeout_seconds:
            options.append(f"-c statement_timeout={int(timeout_seconds * 1000)}")
        raw = self._connect_postgres(options)
        try:
            yield Connection(raw, "postgres")
        finally:
            raw.close()

    def _connect_postgres(self, options: list[str]) -> Any:
        """A psycopg connection with ``options``, taking ``role`` when it is usable. A role not
        created yet, or not granted to this user, is warned about once and the URL's user reads."""
        import psycopg

        params = self.pg_params()
        key = (self.url, self.role or "")
        usable = time.monotonic() - _UNUSABLE_ROLES.get(key, -ROLE_RETRY_SECONDS) >= ROLE_RETRY_SECONDS
        with_role = options + [f"-c role={self.role}"] if self.role and usable else options
        try:
            return psycopg.connect(**params, options=" ".join(with_role) or None, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            message = str(exc).replace(params["password"] or "\0", "***")
            # "role "x" does not exist", "permission denied to set role "x"", or a bad "role" value
            if with_role is options or f'"{self.role}"' not in message and '"role"' not in message:
                raise WarehouseError(f"cannot connect to warehouse {self.display_url}: {message}") from None
            if key not in _UNUSABLE_ROLES:
                logger.warning("the reader role %s cannot be used yet (%s): reading as %s until a build creates "
                               "it (the warehouse user needs CREATEROLE; docs/security.md)", self.role,
                               message.strip(), params["user"])
            _UNUSABLE_ROLES[key] = time.monotonic()
        return self._connect_postgres(options)
