"""Shopify bulk operations in the sandbox: run a query over a whole resource, poll, download JSONL.

``bulkOperationRunQuery`` validates the inner query the way Shopify does (at least one connection,
at most five, nesting at most two deep), then builds the result in the background. The JSONL is
flattened like Shopify's: each node of a connection selected directly on the top-level node is
its own line carrying ``__parentId`` (children follow their parent here, which Shopify does not
promise); deeper connections stay inline. ``url`` is null for an empty result.

The JSONL goes to a temporary file as it is built and the download streams from it, so a bulk
export of a million orders costs the sandbox disk, not memory; only the newest ``KEEP_FILES``
results are kept (Shopify's own URLs expire too).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode

from storeboard.sandbox.faults import DATA
from storeboard.sandbox.graphql import QueryError, _Run, prepare

if TYPE_CHECKING:
    from storeboard.sandbox.shopify import ShopifyAPI


@dataclass
class BulkOperation:
    id: str
    query: str
    created_at: datetime
    status: str = "CREATED"
    completed_at: datetime | None = None
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    #: the JSONL result on disk (removed when the operation is dropped or the process ends)
    path: Path | None = None
    size: int = 0

    def node(self, base_url: str) -> dict[str, Any]:
        size = self.size
        done = self.status == "COMPLETED" and self.path is not None
        return {
            "__typename": "BulkOperation",
            "id": self.id,
            "status": self.status,
            "type": "QUERY",
            "query": self.query,
            "errorCode": self.error_code,
            "createdAt": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "completedAt": self.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.completed_at else None,
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_object_count),
            "fileSize": str(size) if done and size else None,
            "url": f"{base_url}/_sandbox/bulk/{self.id.rsplit('/', 1)[1]}.jsonl?sig={self.token}" if done and size else None,
            "partialDataUrl": None,
        }


def _connections(run: _Run, selection_set: SelectionSetNode, depth: int = 0) -> list[tuple[int, FieldNode]]:
    found = []
    for node in run.fields(selection_set, {}):
        if node.selection_set is None:
            continue
        inner = [n for n in run.fields(node.selection_set, {}) if n.name.value in ("edges", "nodes")]
        if inner:
            found.append((depth, node))
        found += _connections(run, node.selection_set, depth + (1 if inner else 0))
    return found


def _node_selection(run: _Run, connection: FieldNode) -> SelectionSetNode:
    for node in run.fields(connection.selection_set, {}):
        if node.name.value == "nodes":
            return node.selection_set
        if node.name.value == "edges":
            for inner in run.fields(node.selection_set, {}):
                if inner.name.value == "node":
                    return inner.selection_set
    raise QueryError([{"message": "Bulk queries must select nodes or edges { node } on each connection"}])


class BulkOperations:
    """The bulk operations of one shop."""

    ROOTS = {"orders": "orders", "customers": "customers", "productVariants": "variants"}
    #: results kept on disk; older ones are deleted (their URL stops working)
    KEEP_FILES = 8

    def __init__(self, api: "ShopifyAPI"):
        self.api = api
        self.operations: dict[str, BulkOperation] = {}
        self._lock = threading.Lock()
        self._next = 1_000_000

    def run_query(self, query: str, groupObjects: bool = False, **_: Any) -> dict[str, Any]:
        """The ``bulkOperationRunQuery`` mutation payload."""
        try:
            document = prepare(query)
            run = _Run(document, {})
            op = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
            [root] = [n for n in run.fields(op.selection_set, {})]
            connections = _connections(run, op.selection_set)
            if root.name.value not in self.ROOTS or not connections:
                raise QueryError([{"message": "Bulk queries must contain at least one connection (orders, customers or productVariants)."}])
            if len(connections) > 5:
                raise QueryError([{"message": "Bulk queries cannot contain more than 5 connections."}])
            if max(depth for depth, _ in connections) > 2:
                raise QueryError([{"message": "Bulk queries cannot contain connections with a nesting depth greater than 2."}])
        except (QueryError, StopIteration, ValueError) as exc:
            message = exc.errors[0]["message"] if isinstance(exc, QueryError) else "Invalid bulk query"
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}]}
        with self._lock:
            self._next += 1
            operation = BulkOperation(f"gid://shopify/BulkOperation/{self._next}", query, datetime.now(UTC))
            self.operations[operation.id] = operation
            for old in list(self.operations.values())[:-self.KEEP_FILES]:
                _remove(old)
        threading.Thread(target=self._build, args=(operation, run, root), daemon=True).start()
        return {"bulkOperation": operation.node(self.api.base_url), "userErrors": []}

    def _build(self, operation: BulkOperation, run: _Run, root: FieldNode) -> None:
        operation.status = "RUNNING"
        try:
            kind = self.ROOTS[root.name.value]
            node_selection = _node_selection(run, root)
            top_connections = {n.name.value for d, n in _connections(run, node_selection) if d == 0}
            args = run.args(root)
            keys, records = self.api._sorted(kind, args.get("sortKey", "ID"))
            predicates = _parse(args.get("query"))
            render = {"orders": self.api.render_order, "customers": self.api.render_customer,
                      "variants": self.api.render_variant}[kind]
            fd, file_name = tempfile.mkstemp(prefix="storeboard-bulk-", suffix=".jsonl")
            operation.path = Path(file_name)
            weakref.finalize(operation, _unlink, file_name)
            with os.fdopen(fd, "wb", buffering=1 << 20) as out:
                for record in records:
                    if not all(_match(record, p) for p in predicates):
                        continue
                    data = run.complete(render(record), node_selection)
                    children = []
                    for name in top_connections:
                        connection = data.pop(name, None) or {}
                        nodes = connection.get("nodes") or [e["node"] for e in connection.get("edges") or []]
                        children += nodes
                    # orjson: compact like Shopify's file, and a fifth of the standard library's time
                    operation.size += out.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE))
                    for child in children:
                        line = orjson.dumps({**child, "__parentId": data.get("id")}, option=orjson.OPT_APPEND_NEWLINE)
                        operation.size += out.write(line)
                    operation.root_object_count += 1
                    operation.object_count += 1 + len(children)
            self._data_faults(operation)
            operation.status = "COMPLETED"
        except Exception:  # a failed build is reported the way Shopify reports it
            operation.status, operation.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        operation.completed_at = datetime.now(UTC)

    def _data_faults(self, operation: BulkOperation) -> None:
        """The sandbox's data faults, applied to the JSONL result as to a page."""
        fault = self.api.faults.take(self.api.name, DATA) if operation.size else None
        if fault is None:
            return
        lines = operation.path.read_bytes().splitlines(keepends=True)  # faults are for small test stores
        if fault.kind == "malformed":
            first = json.loads(lines[0])
            first["id"] = None
            first["totalPriceSet"] = {"shopMoney": {"amount": "not-a-number", "currencyCode": "USD"}}
            lines[0] = json.dumps(first, separators=(",", ":")).encode() + b"\n"
        elif fault.kind == "duplicate":
            lines.insert(1, lines[0])
        else:  # out_of_order: children now come before their parents
            lines.reverse()
        body = b"".join(lines)
        operation.path.write_bytes(body)
        operation.size = len(body)

    def get(self, operation_id: str) -> dict[str, Any] | None:
        operation = self.operations.get(operation_id)
        return operation.node(self.api.base_url) if operation else None

    def current(self, **_: Any) -> dict[str, Any] | None:
        if not self.operations:
            return None
        return self.operations[max(self.operations, key=lambda k: self.operations[k].created_at)].node(self.api.base_url)

    def download_path(self, number: str, signature: str) -> Path | None:
        """The result file of a completed operation, if ``signature`` is its token."""
        operation = self.operations.get(f"gid://shopify/BulkOperation/{number}")
        if (operation is None or operation.status != "COMPLETED" or operation.path is None
                or not secrets.compare_digest(signature.encode(), operation.token.encode())):
            return None
        return operation.path

    def download(self, number: str, signature: str) -> bytes | None:
        """The whole result in memory (small results; the HTTP route streams the file)."""
        path = self.download_path(number, signature)
        return path.read_bytes() if path is not None else None


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _remove(operation: BulkOperation) -> None:
    if operation.path is not None and operation.status in ("COMPLETED", "FAILED"):
        _unlink(str(operation.path))
        operation.path, operation.size = None, 0


def _parse(query: str | None):
    from storeboard.sandbox.shopify import _parse_search

    return _parse_search(query or "")


def _match(record, predicate) -> bool:
    from storeboard.sandbox.shopify import _matches

    return _matches(record, predicate)
