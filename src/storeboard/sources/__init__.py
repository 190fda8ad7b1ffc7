"""L1: one dlt source per data source, each in its own package.

A source package exposes ``source(settings)`` (the dlt source loading into ``raw_<name>``) and
``check(settings)`` (one cheap authenticated call for ``storeboard doctor``). Adding a source is a
new package here plus its staging models; ``SOURCES`` is the only list to extend.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCES = ("shopify", "stripe", "meta_ads", "google_ads", "hubspot", "files")


def source_module(name: str) -> ModuleType:
    """The package implementing source ``name``."""
    if name not in SOURCES:
        raise KeyError(name)
    return importlib.import_module(f"storeboard.sources.{name}")
