"""Finding the vendors' official machine-readable specs (Shopify schema, Stripe OpenAPI, Meta).

They are reference data kept beside the project, not shipped in the package. The sandbox uses them
when present (to validate every GraphQL document the way Shopify does); the tests require them.
Set ``STOREBOARD_SPECS_DIR`` to point elsewhere.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import lru_cache
from pathlib import Path

SHOPIFY_SCHEMA_VERSION = "2026-04"
_SHOPIFY_SCHEMA = f"shopify/admin_{SHOPIFY_SCHEMA_VERSION}.introspection.json.gz"


def specs_dir() -> Path | None:
    """The folder holding the specs, or None when it cannot be found."""
    if env := os.environ.get("STOREBOARD_SPECS_DIR"):
        return Path(env)
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "specs"
            if (candidate / _SHOPIFY_SCHEMA).is_file():
                return candidate
    return None


@lru_cache(maxsize=1)
def shopify_schema():
    """The official Shopify Admin GraphQL schema (graphql-core), or None if not available."""
    from graphql import build_client_schema

    folder = specs_dir()
    if folder is None or not (folder / _SHOPIFY_SCHEMA).is_file():
        return None
    with gzip.open(folder / _SHOPIFY_SCHEMA) as fh:
        return build_client_schema(json.load(fh)["data"])


@lru_cache(maxsize=1)
def shopify_offline_scopes() -> dict[tuple[str, str | None], list[str]] | None:
    """The access scopes the official schema says each type (``(type, None)``) and field
    (``(type, field)``) needs with an offline token, any one of them sufficing; None if the
    schema file is not available."""
    folder = specs_dir()
    if folder is None or not (folder / _SHOPIFY_SCHEMA).is_file():
        return None
    with gzip.open(folder / _SHOPIFY_SCHEMA) as fh:
        items = json.load(fh)["offline_scopes"]["items"]
    return {(i["typeName"], i.get("fieldName")): i["offlineScopes"] for i in items if i["offlineScopes"]}

