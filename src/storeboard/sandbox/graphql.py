"""A small GraphQL executor over plain dicts, plus Shopify's query-cost arithmetic.

graphql-core's executor takes ~300 ms per 250-order page against the full Admin schema, which is
most of the demo's time budget. Documents are still parsed by graphql-core and validated against the
official schema (shipped in ``vendor_specs``) once per distinct document (cached); execution then
walks the selection set over dicts. Tests execute the same documents with graphql-core against
the official schema and compare, so the shortcut cannot drift from the real shape.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Callable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)
from graphql.utilities import value_from_ast_untyped

from storeboard.sandbox.specs import SpecMissing, shopify_schema

log = logging.getLogger(__name__)


class QueryError(Exception):
    """A document that does not parse or validate; carries GraphQL-shaped errors."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors[0]["message"] if errors else "invalid query")
        self.errors = errors


def _error_dict(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    out["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED" if error.nodes else "PARSE_ERROR"}
    return out


@lru_cache(maxsize=256)
def prepare(query: str) -> DocumentNode:
    """Parse a document and validate it against the official Admin schema.

    Raises:
        QueryError: the document does not parse or does not validate.
    """
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise QueryError([_error_dict(exc)]) from None
    try:
        schema = shopify_schema()
    except SpecMissing as exc:
        # Only a trimmed installation lacks it: answer without the schema check rather than fail.
        _warn_once(str(exc))
        return document
    errors = validate(schema, document)
    if errors:
        raise QueryError([_error_dict(e) for e in errors[:10]])
    return document


@lru_cache(maxsize=1)
def _warn_once(message: str) -> None:
    log.warning("%s: GraphQL documents are not checked against the Admin schema", message)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        ops = [o for o in ops if o.name and o.name.value == name]
    if len(ops) != 1:
        raise QueryError([{"message": "Must provide a single operation or a valid operationName"}])
    return ops[0]


class _Run:
    def __init__(self, document: DocumentNode, variables: dict[str, Any]):
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables

    def fields(self, selection_set: SelectionSetNode, obj: dict[str, Any]):
        typename = obj.get("__typename")
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                yield sel
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if cond is None or typename is None or cond == typename or cond == "Node":
                    yield from self.fields(sel.selection_set, obj)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments[sel.name.value]
                cond = frag.type_condition.name.value
                if typename is None or cond == typename or cond == "Node":
                    yield from self.fields(frag.selection_set, obj)

    def args(self, node: FieldNode) -> dict[str, Any]:
        return {a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments or ()}

    def complete(self, value: Any, selection_set: SelectionSetNode | None) -> Any:
        if value is None or selection_set is None:
            return value
        if isinstance(value, list):
            return [self.complete(v, selection_set) for v in value]
        out: dict[str, Any] = {}
        for node in self.fields(selection_set, value):
            key = node.alias.value if node.alias else node.name.value
            name = node.name.value
            raw = value.get(name)
            if callable(raw):
                raw = raw(**self.args(node))
            out[key] = self.complete(raw, node.selection_set)
        return out


def execute(
    document: DocumentNode,
    root: dict[str, Any],
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """Execute ``document`` over ``root``, a dict whose values may be callables taking arguments."""
    op = _operation(document, operation_name)
    run = _Run(document, variables or {})
    return run.complete(root, op.selection_set)


def requested_cost(document: DocumentNode, variables: dict[str, Any] | None = None) -> int:
    """The requested query cost, following Shopify's published model.

    A connection costs 2 plus ``first`` × (1 + the cost of what each node selects); plain objects
    and scalars inside a node are free; each top-level object costs 1; mutations cost 10. A query
    the sandbox accepts therefore stays under the real 1,000-point cap.
    """
    op = _operation(document, None)
    if op.operation.value == "mutation":
        return 10
    run = _Run(document, variables or {})

    def node_selection(connection: FieldNode) -> list[SelectionSetNode]:
        found = []
        for node in run.fields(connection.selection_set, {}):
            if node.name.value == "nodes" and node.selection_set:
                found.append(node.selection_set)
            elif node.name.value == "edges" and node.selection_set:
                found += [i.selection_set for i in run.fields(node.selection_set, {}) if i.name.value == "node" and i.selection_set]
        return found

    def cost(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in run.fields(selection_set, {}):
            if node.selection_set is None:
                continue
            size = run.args(node).get("first") or run.args(node).get("last")
            inner = node_selection(node)
            if size is not None and inner:
                total += 2 + int(size) * (1 + max(cost(sel) for sel in inner))
            else:
                total += cost(node.selection_set)
        return total

    top = sum(1 for node in run.fields(op.selection_set, {}) if node.selection_set is not None)
    return max(1, top + cost(op.selection_set))


def actual_cost(data: Any) -> int:
    """The actual cost: the same model as ``requested_cost`` with the node counts returned."""

    def walk(value: Any) -> int:
        if isinstance(value, dict):
            total = 0
            for key, inner in value.items():
                if key in ("nodes", "edges") and isinstance(inner, list):
                    total += 2 + len(inner) + sum(walk(v) for v in inner)
                else:
                    total += walk(inner)
            return total
        if isinstance(value, list):
            return sum(walk(v) for v in value)
        return 0

    top = sum(1 for v in data.values() if isinstance(v, (dict, list))) if isinstance(data, dict) else 0
    return max(1, top + walk(data))


Resolver = Callable[..., Any]
