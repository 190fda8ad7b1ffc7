"""Shared request dependencies: the config and a read-only warehouse connection per request (on
the app's reader warehouse, ``web_warehouse``, built once by ``create_app``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from storeboard.config import Config
from storeboard.warehouse import Connection


def get_config(request: Request) -> Config:
    return request.app.state.config


def get_connection(request: Request) -> Iterator[Connection]:
    """A read-only connection, opened per request so a refresh can take the write lock between requests."""
    with request.app.state.reader.connect(read_only=True, timeout_seconds=30) as conn:
        yield conn


def get_explorer_connection(request: Request) -> Iterator[Connection]:
    """A read-only connection for the SQL explorer: on DuckDB the locked-down read-only instance,
    never a writer's (``WarehouseBusy`` while a refresh writes)."""
    with request.app.state.reader.connect(read_only=True, timeout_seconds=30, explorer=True) as conn:
        yield conn


ConfigDep = Annotated[Config, Depends(get_config)]
ExplorerConnectionDep = Annotated[Connection, Depends(get_explorer_connection)]
ConnectionDep = Annotated[Connection, Depends(get_connection)]
