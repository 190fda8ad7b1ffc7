"""A small GraphQL executor over plain dicts, plus Shopify's query-cost arithmetic.

graphql-core's executor takes ~300 ms per 250-order page against the full Admin schema, which is
most of the demo's time budget. Documents are still parsed by graphql-core and validated against the
official schema (shipped in ``vendor_specs``) once per distinct document (cached); execution then
walks the selection set over dicts. Tests execute the same documents with graphql-core against
the official schema and compare, so the shortcut cannot drift from the real shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

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


# Shopify's calculated query cost ("GraphQL Admin API rate limits", shopify.dev/docs/apps/build/
# apis/graphql-admin/rate-limits): scalars and enums cost 0, an object 1, a connection 2 plus
# ``first`` (or ``last``) times the cost of one node (the node object and everything it selects),
# a mutation 10. A list of objects that is not a connection is charged as one object, since
# nothing bounds it up front. The cost is computed on the parsed document before anything runs
# (requested) and again on what came back (actual).
MUTATION_COST = 10
#: Fields of a connection that are bookkeeping, not objects: free.
_CONNECTION_PARTS = {"pageInfo", "cursor", "totalCount"}


def _connection_nodes(run: _Run, connection: FieldNode) -> list[FieldNode]:
    """The ``nodes`` / ``edges { node }`` fields under ``connection``; empty if it is none."""
    found = []
    for node in run.fields(connection.selection_set, {}):
        if node.name.value == "nodes" and node.selection_set:
            found.append(node)
        elif node.name.value == "edges" and node.selection_set:
            found += [i for i in run.fields(node.selection_set, {}) if i.name.value == "node" and i.selection_set]
    return found


def requested_cost(document: DocumentNode, variables: dict[str, Any] | None = None) -> int:
    """The requested cost of the document's operation, by the documented formula."""
    op = _operation(document, None)
    if op.operation.value == "mutation":
        return MUTATION_COST
    run = _Run(document, variables or {})

    def cost(selection_set: SelectionSetNode) -> int:
        total = 0
        for node in run.fields(selection_set, {}):
            if node.selection_set is None or node.name.value in _CONNECTION_PARTS:
                continue
            inner = _connection_nodes(run, node)
            if inner:
                args = run.args(node)
                size = int(args.get("first") or args.get("last") or 0)
                total += 2 + size * max(1 + cost(n.selection_set) for n in inner)
            else:
                total += 1 + cost(node.selection_set)
        return total

    return cost(op.selection_set)


def actual_cost(document: DocumentNode, data: Any, variables: dict[str, Any] | None = None) -> int:
    """The actual cost: the same formula over what was returned (nodes counted as they came,
    a null object free), so it never exceeds the requested cost."""
    op = _operation(document, None)
    if op.operation.value == "mutation":
        return MUTATION_COST
    run = _Run(document, variables or {})

    def cost(selection_set: SelectionSetNode, value: Any) -> int:
        if isinstance(value, list):  # a list of objects is charged as one object
            return max((cost(selection_set, v) for v in value), default=0)
        if not isinstance(value, dict):
            return 0
        total = 0
        for node in run.fields(selection_set, value):
            if node.selection_set is None or node.name.value in _CONNECTION_PARTS:
                continue
            inner_value = value.get(node.alias.value if node.alias else node.name.value)
            if inner_value is None:
                continue
            inner = _connection_nodes(run, node)
            if inner and isinstance(inner_value, dict):
                nodes = inner_value.get("nodes")
                if nodes is None:
                    nodes = [e.get("node") for e in inner_value.get("edges") or []]
                total += 2 + sum(1 + cost(inner[0].selection_set, n) for n in nodes if n is not None)
            elif isinstance(inner_value, list):
                total += 1 + cost(node.selection_set, inner_value) if inner_value else 0
            else:
                total += 1 + cost(node.selection_set, inner_value)
        return total

    return cost(op.selection_set, data)


@lru_cache(maxsize=256)
def required_scopes(query: str) -> list[tuple[str, list[str]]]:
    """Each field the (valid) document's operation selects that needs an access scope, with the scopes (any one
    suffices) the official schema's ``offline_scopes`` names for the field or its type."""
    from graphql import get_named_type

    from storeboard.sandbox.specs import shopify_offline_scopes

    try:
        schema, scopes = shopify_schema(), shopify_offline_scopes()
    except SpecMissing:
        return []  # a trimmed installation: scopes go unchecked, as the schema check does (prepare)
    document = prepare(query)
    op = _operation(document, None)
    run = _Run(document, {})
    found: list[tuple[str, list[str]]] = []

    def walk(selection_set: SelectionSetNode, parent_type) -> None:
        for node in run.fields(selection_set, {}):
            definition = getattr(parent_type, "fields", {}).get(node.name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            for key in ((parent_type.name, node.name.value), (named.name, None)):
                if key in scopes:
                    found.append((node.name.value, scopes[key]))
            if node.selection_set is not None:
                walk(node.selection_set, named)

    root = schema.mutation_type if op.operation.value == "mutation" else schema.query_type
    walk(op.selection_set, root)
    return found


Resolver = Callable[..., Any]
