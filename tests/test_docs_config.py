"""The configuration keys the docs document exist in the config model, with the defaults they say.

Three ways the docs show a key: a table with a ``default`` column (README.md, docs/metrics.md,
docs/sources/<source>.md), the alert rules' table ("`days` (7)"), and the YAML examples, whose
values are examples (only the keys are checked) unless a comment says ``# default <value>``.
A default written in words ("Shopify's `ianaTimezone`", "today") is a value worked out at run
time: the model's default must then be empty (None, or an empty list).
"""

from __future__ import annotations

import re
import types
import typing
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, SecretStr
from pydantic_core import PydanticUndefined

from storeboard.config import AlertRules, Config

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "docs" / "sources").glob("*.md"))]
#: Where a table's keys are relative to, by file (README's are full paths).
TABLE_PREFIX = {"README.md": "", "metrics.md": "metrics.",
                **{f"{name}.md": f"sources.{name}." for name in ("stripe", "meta_ads", "google_ads", "hubspot", "files")}}
#: Cells that say "no default" (a required key, or an empty one).
EMPTY = {"—", "-", "none", "[]", "null", ""}
MISSING = object()


def _model_of(annotation) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``X | None`` included), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (model := _model_of(arg)) is not None:
                return model
    return None


def lookup(path: str):
    """(field info, its model) of dotted ``path`` in ``Config``, or None when there is no such key."""
    model: type[BaseModel] | None = Config
    field = None
    for part in path.split("."):
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        model = _model_of(field.annotation)
    return field


def default_of(field):
    if field.default_factory is not None:
        return field.default_factory()
    return MISSING if field.default is PydanticUndefined else field.default


def same(text: str, default) -> bool:
    """Whether a documented literal default ``text`` is the model's ``default``."""
    text = text.strip().strip("`").strip()
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if text.lower() in EMPTY:
        return default in (MISSING, None, [], {})
    if default is MISSING or default is None:
        return False
    if isinstance(default, bool):
        return text.lower() == str(default).lower()
    if isinstance(default, (int, float, Decimal)):
        try:
            return Decimal(text.replace(",", "")) == Decimal(str(default))
        except ArithmeticError:
            return False
    return text == str(default) or yaml.safe_load(text) == default


def is_literal(cell: str) -> bool:
    """A default written as a value (backticked, a number, true/false, none) rather than in words."""
    cell = cell.strip()
    if re.fullmatch(r"`[\w.]+`", cell) and lookup(cell.strip("`")) is not None:
        return False  # "`metrics.roas_target`": another key's value, taken at run time
    return bool(re.fullmatch(r"`[^`]*`|[-+]?[\d.,_]+|true|false|none|—|-", cell, re.IGNORECASE))


def table_rows(text: str):
    """(first cell, default cell) of each row of every table with a ``default`` column."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or "default" not in [c.lower() for c in cells]:
            continue
        column = [c.lower() for c in cells].index("default")
        for row in lines[i + 2:]:
            if not row.startswith("|"):
                break
            parts = [c.strip() for c in row.strip().strip("|").split("|")]
            yield parts[0], parts[column]


def documented_table_defaults():
    """(where, key path, default cell) for every key of every config table in the docs."""
    for doc in DOCS:
        prefix = TABLE_PREFIX.get(doc.name)
        if prefix is None:
            continue
        for keys_cell, default_cell in table_rows(doc.read_text(encoding="utf-8")):
            keys = re.findall(r"`([^`]+)`", keys_cell)
            if not keys or any("<" in k or "*" in k for k in keys):
                continue  # "sources.<stripe, …>", "metrics.*": pointers to other pages
            defaults = [default_cell] if len(keys) == 1 else [d.strip() for d in default_cell.split(",")]
            if len(defaults) == 1:  # "none" for "`fx_rates`, `budgets`, `shipping_rates`"
                defaults *= len(keys)
            assert len(defaults) == len(keys), f"{doc.name}: {keys_cell} has {len(defaults)} defaults"
            for key, default in zip(keys, defaults):
                yield f"{doc.name}: {key}", prefix + key, default


def documented_rule_defaults():
    """(where, key path, default or None) for each setting of docs/alerts.md's rule table."""
    text = (REPO / "docs" / "alerts.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        match = re.match(r"\| `(\w+)` \|", line)
        if not match or match.group(1) not in AlertRules.model_fields:
            continue
        rule = match.group(1)
        settings = line.strip().strip("|").split("|")[2]
        for name, default in re.findall(r"`(\w+)`(?: \(([^)]*)\))?", settings):
            yield f"alerts.md: {rule}.{name}", f"alerts.rules.{rule}.{name}", (default.split(",")[0] or None)


def yaml_keys(node, path: str = ""):
    """Every dotted key of a YAML example, down to the first value that is not a config block."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        full = f"{path}{key}"
        yield full
        field = lookup(full)
        if field is not None and _model_of(field.annotation) is not None:
            yield from yaml_keys(value, full + ".")


def documented_yaml_blocks():
    """(where, block text) of every YAML example whose top-level keys are config sections."""
    for doc in DOCS:
        for block in re.findall(r"^\s*```yaml\n(.*?)^\s*```", doc.read_text(encoding="utf-8"), re.S | re.M):
            text = "\n".join(line for line in block.splitlines())
            lines = [line for line in text.splitlines() if line.strip()]
            indent = min(len(line) - len(line.lstrip()) for line in lines)
            text = "\n".join(line[indent:] for line in text.splitlines())
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and data and all(k in Config.model_fields for k in data):
                yield doc.name, text, data


TABLES = list(documented_table_defaults())
RULES = list(documented_rule_defaults())
BLOCKS = list(documented_yaml_blocks())


def test_the_docs_document_config_keys_at_all():
    """The parsers still find the tables and examples (a changed layout must not pass vacuously)."""
    assert len(TABLES) > 50 and len(RULES) > 10 and len(BLOCKS) > 8
    assert ("README.md: sources.shopify.page_size", "sources.shopify.page_size", "`250`") in TABLES


@pytest.mark.parametrize(("where", "path", "cell"), TABLES, ids=[t[0] for t in TABLES])
def test_a_documented_default_is_the_models(where, path, cell):
    field = lookup(path)
    assert field is not None, f"{where}: no config key {path}"
    default = default_of(field)
    if is_literal(cell):
        assert same(cell, default), f"{where}: documented default {cell}, the config model's is {default!r}"
    else:  # worked out at run time ("Shopify's `ianaTimezone`", "today", "none")
        assert default in (None, [], {}), f"{where}: documented as {cell!r}, the config model's default is {default!r}"


@pytest.mark.parametrize(("where", "path", "cell"), RULES, ids=[r[0] for r in RULES])
def test_a_documented_alert_rule_setting_is_the_models(where, path, cell):
    field = lookup(path)
    assert field is not None, f"{where}: no config key {path}"
    if cell is not None:
        default = default_of(field)
        if is_literal(cell.strip()):
            assert same(cell, default), f"{where}: documented default {cell}, the config model's is {default!r}"
        else:
            assert default is None, f"{where}: documented as {cell!r}, the config model's default is {default!r}"


@pytest.mark.parametrize(("where", "text", "data"), BLOCKS, ids=[f"{b[0]}:{i}" for i, b in enumerate(BLOCKS)])
def test_a_yaml_example_uses_only_config_keys_and_says_defaults_right(where, text, data):
    for path in yaml_keys(data):
        assert lookup(path) is not None, f"{where}: the YAML example has {path}, which is no config key"
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = re.match(r"^(\s*)(\w+):(.*?)#\s*default:?\s+(\S+)\s*$", line)
        key = re.match(r"^(\s*)(\w+):", line)
        if key:
            depth = len(key.group(1))
            stack = [(d, k) for d, k in stack if d < depth] + [(depth, key.group(2))]
        if match and is_literal(match.group(4)):
            path = ".".join(k for _, k in stack)
            assert same(match.group(4), default_of(lookup(path))), f"{where}: {line.strip()}"
