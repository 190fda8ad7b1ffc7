"""The vendors' official machine-readable specs (Shopify schema, Stripe OpenAPI, Meta codegen specs).

They ship inside the package (``vendor_specs/``, with their licences in ``NOTICE``), so the sandbox,
a fresh clone's tests and CI all check against the same files and nothing is read from outside the
installation. Each loader reads its file once per process.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SHOPIFY_SCHEMA_VERSION = "2026-04"
_SHOPIFY_SCHEMA = f"shopify/admin_{SHOPIFY_SCHEMA_VERSION}.introspection.json.gz"
#: Stripe's OpenAPI spec and the sample objects of the same API version.
STRIPE_SPEC_VERSION = "2023-08-16"
_STRIPE_SPEC = f"stripe/spec3_{STRIPE_SPEC_VERSION}.yaml.gz"
_STRIPE_FIXTURES = {"2023-08-16": "stripe/fixtures3_2023-08-16.json", "2026-08": "stripe/fixtures3_latest_2026-08.json"}

_FOLDER = Path(__file__).resolve().parent / "vendor_specs"


class SpecMissing(RuntimeError):
    """A vendor spec file is not where the package keeps it (a broken or trimmed installation)."""


def specs_dir() -> Path:
    """The folder holding the specs (inside the package)."""
    return _FOLDER


def spec_file(relative: str) -> Path:
    """The path of one spec file, e.g. ``meta/AdsInsights.json``; SpecMissing names it if absent."""
    path = _FOLDER / relative
    if not path.is_file():
        raise SpecMissing(f"vendor spec {relative} is missing from {_FOLDER.name}/ (reinstall Storeboard)")
    return path


@lru_cache(maxsize=1)
def shopify_schema_json() -> dict[str, Any]:
    """The Shopify Admin introspection document as JSON (``data``, ``offline_scopes``, …)."""
    with gzip.open(spec_file(_SHOPIFY_SCHEMA)) as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def shopify_schema():
    """The official Shopify Admin GraphQL schema, built by graphql-core."""
    from graphql import build_client_schema

    return build_client_schema(shopify_schema_json()["data"])


@lru_cache(maxsize=1)
def shopify_offline_scopes() -> dict[tuple[str, str | None], list[str]]:
    """The access scopes the official schema says each type (``(type, None)``) and field
    (``(type, field)``) needs with an offline token, any one of them sufficing."""
    items = shopify_schema_json()["offline_scopes"]["items"]
    return {(i["typeName"], i.get("fieldName")): i["offlineScopes"] for i in items if i["offlineScopes"]}


@lru_cache(maxsize=1)
def stripe_openapi() -> dict[str, Any]:
    """Stripe's OpenAPI document (4 MB of YAML: about 3 s with the C loader, so loaded once)."""
    import yaml

    with gzip.open(spec_file(_STRIPE_SPEC), mode="rt", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=2)
def stripe_fixtures(version: str = STRIPE_SPEC_VERSION) -> dict[str, Any]:
    """Stripe's sample objects by object name (``charge``, ``refund``, ``dispute``, …)."""
    return json.loads(spec_file(_STRIPE_FIXTURES[version]).read_text(encoding="utf-8"))["resources"]
