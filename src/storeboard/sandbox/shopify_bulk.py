"""Shopify bulk operations in the sandbox: run a query over a whole resource, poll, download JSONL.

The rules are Shopify's ("Perform bulk operations with the GraphQL Admin API", shopify.dev/docs/
apps/build/apis/graphql-admin/bulk-operations/queries, and the ``bulkOperationRunQuery``
reference): ``bulkOperationRunQuery`` refuses, with ``userErrors`` worded as Shopify words them,
a query with no connection, more than five, connections nested more than two deep, a connection
inside a list field, connections read through ``nodes`` instead of ``edges { node }``, a nested
connection whose parent node does not select ``id``, or a top-level ``node``. From API 2026-01
an app runs up to five bulk queries per shop at once (``LIMIT_REACHED`` beyond); before it, one
(``OPERATION_IN_PROGRESS``). ``bulkOperations`` lists the app's operations (newest first, filtered
by ``status`` and ``operation_type``) and ``bulkOperationCancel`` stops a running one.

The JSONL is flattened like Shopify's: every node of every connection is its own line carrying
``__parentId`` (the id of the node it hangs under); objects and lists that are not connections
stay inline. Children follow their parent here, which ``groupObjects: false`` (the default since
2025-07) does not promise; the ``out_of_order`` fault breaks that order for tests. ``url`` is
null for an empty result.

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
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from storeboard.sandbox.faults import DATA
from storeboard.sandbox.graphql import QueryError, _Run, prepare
from storeboard.sandbox.specs import shopify_schema

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
    #: tests: keeps running until released or canceled (``BulkOperations.hold``)
    held: bool = False

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


#: Shopify's ``userErrors`` messages for bulk queries it refuses.
NO_CONNECTION = "Bulk queries must contain at least one connection."
TOO_MANY = "Bulk queries cannot contain more than 5 connections."
TOO_DEEP = "Bulk queries cannot contain connections with a nesting depth greater than 2."
IN_LIST = "Queries that contain a connection field within a list field are not currently supported."
TOP_LEVEL_NODE = "Bulk queries cannot contain a top level `node` field."
NODES = ("All connection fields in a bulk query must select their contents using 'edges' > 'node', "
         "e.g: '{0} {{ edges {{ node {{'. Selecting via 'nodes' is not supported. Invalid connection fields: '{1}'.")
NO_PARENT_ID = ("The parent 'node' field for a nested connection must select the 'id' field without an alias "
                "and must be of 'ID' return type. Connection fields without 'id': {0}.")
#: Concurrent bulk queries per shop and app: five from API 2026-01, one before ("Perform bulk
#: operations with the GraphQL Admin API", limitations; changelog "Faster bulk operations").
MAX_RUNNING = 5
MAX_RUNNING_BEFORE_2026_01 = 1
#: ``BulkOperationUserErrorCode`` (Admin schema): LIMIT_REACHED "Bulk operations limit reached.
#: Please try again later."; OPERATION_IN_PROGRESS "A bulk operation is already in progress.",
#: worded in the message with the operation's id as Shopify words it for one running query.
LIMIT_REACHED = "Bulk operations limit reached. Please try again later."
IN_PROGRESS = "A bulk query operation for this app and shop is already in progress: {0}."
#: Statuses of an operation that still holds one of the shop's slots.
ACTIVE = ("CREATED", "RUNNING", "CANCELING")


def _is_connection(field_type) -> bool:
    named = get_named_type(field_type)
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "edges" in named.fields


def _check(run: _Run, op: OperationDefinitionNode) -> list[str]:
    """Shopify's bulk-query rules, checked on the document with the official schema's types."""
    schema = shopify_schema()
    problems: list[str] = []
    count = 0
    nodes_fields: list[str] = []
    without_id: list[str] = []

    def walk(selection_set: SelectionSetNode, parent_type, depth: int, in_list: bool, node_has_id: bool | None) -> None:
        nonlocal count
        for selected in run.fields(selection_set, {}):
            if selected.selection_set is None or parent_type is None:
                continue
            definition = getattr(parent_type, "fields", {}).get(selected.name.value)
            if definition is None:
                continue
            if _is_connection(definition.type):
                count += 1
                if in_list:
                    problems.append(IN_LIST)
                if depth + 1 > 2:
                    problems.append(TOO_DEEP)
                if depth >= 1 and node_has_id is False:
                    without_id.append(selected.name.value)
                node_type = get_named_type(get_named_type(definition.type).fields["edges"].type).fields["node"].type
                for part in run.fields(selected.selection_set, {}):
                    if part.name.value == "nodes":
                        nodes_fields.append(selected.name.value)
                        walk(part.selection_set, get_named_type(node_type), depth + 1, in_list, _selects_id(run, part))
                    elif part.name.value == "edges" and part.selection_set:
                        for inner in run.fields(part.selection_set, {}):
                            if inner.name.value == "node" and inner.selection_set:
                                walk(inner.selection_set, get_named_type(node_type), depth + 1, in_list,
                                     _selects_id(run, inner))
            else:
                walk(selected.selection_set, get_named_type(definition.type), depth, in_list or _is_list(definition.type),
                     node_has_id)

    roots = list(run.fields(op.selection_set, {}))
    if any(r.name.value in ("node", "nodes") for r in roots):
        problems.append(TOP_LEVEL_NODE)
    if schema is not None:
        walk(op.selection_set, schema.query_type, 0, False, None)
    if nodes_fields:
        problems.append(NODES.format(nodes_fields[0], "', '".join(nodes_fields)))
    if count > 5:
        problems.append(TOO_MANY)
    if without_id:
        problems.append(NO_PARENT_ID.format(", ".join(without_id)))
    if count == 0 and not problems:
        problems.append(NO_CONNECTION)
    return list(dict.fromkeys(problems))


def _is_list(field_type) -> bool:
    return isinstance(field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type, GraphQLList)


def _selects_id(run: _Run, node: FieldNode) -> bool:
    return any(f.name.value == "id" and f.alias is None for f in run.fields(node.selection_set, {}))


def _node_selection(run: _Run, connection: FieldNode) -> SelectionSetNode:
    for node in run.fields(connection.selection_set, {}):
        if node.name.value == "edges":
            for inner in run.fields(node.selection_set, {}):
                if inner.name.value == "node":
                    return inner.selection_set
    raise QueryError([{"message": "Bulk queries must select edges { node } on each connection"}])


def _lines(node: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
    """The JSONL lines of one node: itself (with ``__parentId`` under a parent), then the nodes
    of every connection it holds, directly or inside plain objects, each under this node."""
    node = dict(node)
    children: list[dict[str, Any]] = []

    def strip(value: dict[str, Any]) -> None:
        for key, inner in list(value.items()):
            if isinstance(inner, dict) and "edges" in inner and isinstance(inner["edges"], list):
                children.extend(e["node"] for e in inner["edges"])
                del value[key]
            elif isinstance(inner, dict):
                inner = dict(inner)
                value[key] = inner
                strip(inner)

    strip(node)
    if parent_id is not None:
        node["__parentId"] = parent_id
    yield node
    for child in children:
        yield from _lines(child, node.get("id"))


class BulkOperations:
    """The bulk operations of one shop."""

    ROOTS = {"orders": "orders", "customers": "customers", "productVariants": "variants"}
    #: results kept on disk; older ones are deleted (their URL stops working)
    KEEP_FILES = 8

    def __init__(self, api: ShopifyAPI):
        self.api = api
        self.operations: dict[str, BulkOperation] = {}
        self._lock = threading.Lock()
        self._next = 1_000_000
        #: tests: operations started while set stay RUNNING until ``release()`` or a cancel
        self.hold = threading.Event()

    def release(self) -> None:
        """Let every held operation finish (tests)."""
        for operation in list(self.operations.values()):
            operation.held = False

    def run_query(self, query: str, groupObjects: bool = False, **_: Any) -> dict[str, Any]:
        """The ``bulkOperationRunQuery`` mutation payload."""

        def refused(message: str, code: str = "INVALID") -> dict[str, Any]:
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": code}]}

        try:
            document = prepare(query)
        except QueryError as exc:
            return refused(f"Invalid bulk query: {exc.errors[0]['message']}")
        run = _Run(document, {})
        ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(ops) != 1 or ops[0].operation.value != "query":
            return refused("Invalid operation type. Only `query` operations are supported.")
        problems = _check(run, ops[0])
        if problems:
            return {"bulkOperation": None,
                    "userErrors": [{"field": ["query"], "message": m, "code": "INVALID"} for m in problems]}
        roots = list(run.fields(ops[0].selection_set, {}))
        if len(roots) != 1 or roots[0].name.value not in self.ROOTS:
            # Shopify reads any connection; the sandbox serves the three the project reads.
            return refused(f"The sandbox serves bulk queries on {', '.join(self.ROOTS)} only.")
        with self._lock:
            running = [o for o in self.operations.values() if o.status in ACTIVE]
            if self.api.version < "2026-01" and len(running) >= MAX_RUNNING_BEFORE_2026_01:
                return refused(IN_PROGRESS.format(running[0].id), "OPERATION_IN_PROGRESS")
            if len(running) >= MAX_RUNNING:
                return refused(LIMIT_REACHED, "LIMIT_REACHED")
            self._next += 1
            operation = BulkOperation(f"gid://shopify/BulkOperation/{self._next}", query, datetime.now(UTC),
                                      held=self.hold.is_set())
            self.operations[operation.id] = operation
            for old in list(self.operations.values())[:-self.KEEP_FILES]:
                _remove(old)
        threading.Thread(target=self._build, args=(operation, run, roots[0]), daemon=True).start()
        return {"bulkOperation": operation.node(self.api.base_url), "userErrors": []}

    def _build(self, operation: BulkOperation, run: _Run, root: FieldNode) -> None:
        if operation.held:
            operation.status = "RUNNING"
            while operation.held and operation.status == "RUNNING":  # tests: runs until released or canceled
                time.sleep(0.05)
        if operation.status in ("CANCELING", "CANCELED"):
            operation.status, operation.completed_at = "CANCELED", datetime.now(UTC)
            return
        operation.status = "RUNNING"
        if self.api._access_denied(operation.query):
            # Shopify fails the operation itself (BulkOperationErrorCode.ACCESS_DENIED).
            operation.status, operation.error_code = "FAILED", "ACCESS_DENIED"
            operation.completed_at = datetime.now(UTC)
            return
        try:
            kind = self.ROOTS[root.name.value]
            node_selection = _node_selection(run, root)
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
                    if not all(_match(record, p) for p in predicates) or (kind == "orders" and not self.api.visible(record)):
                        continue
                    data = run.complete(render(record), node_selection)
                    for line in _lines(data, None):
                        # orjson: compact like Shopify's file, and a fifth of the standard library's time
                        operation.size += out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
                        operation.object_count += 1
                    operation.root_object_count += 1
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
            # as on a page: the id stays (``Order.id: ID!``), the money does not parse
            first["totalPriceSet"] = {"shopMoney": {"amount": "not-a-number", "currencyCode": "USD"}}
            lines[0] = json.dumps(first, separators=(",", ":")).encode() + b"\n"
        elif fault.kind == "duplicate":
            lines.insert(1, lines[0])
        else:  # out_of_order: children now come before their parents
            lines.reverse()
        body = b"".join(lines)
        operation.path.write_bytes(body)
        operation.size = len(body)

    def cancel(self, id: str, **_: Any) -> dict[str, Any]:
        """``bulkOperationCancel``: a running operation goes CANCELING, then CANCELED ("there may be
        a short delay from when a cancelation starts until the operation is actually canceled")."""
        operation = self.operations.get(id)
        if operation is None:
            return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
        if operation.status not in ("CREATED", "RUNNING"):
            return {"bulkOperation": operation.node(self.api.base_url),
                    "userErrors": [{"field": None, "message": "A bulk operation cannot be canceled when it is "
                                                              f"{operation.status.lower()}"}]}
        operation.status = "CANCELING"
        payload = {"bulkOperation": operation.node(self.api.base_url), "userErrors": []}
        threading.Timer(0.2, self._canceled, args=(operation,)).start()
        return payload

    @staticmethod
    def _canceled(operation: BulkOperation) -> None:
        if operation.status == "CANCELING":
            operation.status, operation.completed_at = "CANCELED", datetime.now(UTC)

    def list(self, first: int | None = None, query: str | None = None, reverse: bool = False, **_: Any) -> dict[str, Any]:
        """``bulkOperations``: the app's operations, newest first (the default sort, CREATED_AT),
        filtered by ``status:`` and ``operation_type:`` terms (the query's documented filters)."""
        if first is None:
            raise QueryError([{"message": "you must provide one of first or last", "extensions": {"code": "BAD_REQUEST"}}])
        terms = dict(t.split(":", 1) for t in (query or "").split() if ":" in t)
        found = sorted(self.operations.values(), key=lambda o: o.created_at, reverse=not reverse)
        found = [o for o in found if terms.get("status", o.status.lower()).lower() == o.status.lower()
                 and terms.get("operation_type", "query").lower() == "query"]
        nodes = [o.node(self.api.base_url) for o in found[:first]]
        return {"nodes": nodes, "edges": [{"cursor": n["id"], "node": n} for n in nodes],
                "pageInfo": {"hasNextPage": len(found) > first, "hasPreviousPage": False,
                             "startCursor": nodes[0]["id"] if nodes else None, "endCursor": nodes[-1]["id"] if nodes else None}}

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
