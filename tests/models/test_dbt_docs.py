"""Every staging and intermediate model, and every column it outputs, is described in the dbt YAML.

The descriptions are checked from the files alone. A model's output columns are not: most staging
models expand a macro (select_source_columns) and end in ``select * from renamed``, so the SQL text
does not list them reliably. They are read instead from the information_schema of the scenario
warehouse the other model tests already build (the ``scenario`` session fixture; no extra build).
Every staging model is a view and every intermediate model a table there; an ephemeral model would
have no relation to read and is reported as such rather than skipped silently.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from storeboard.config import Config
from tests.models.conftest import query

MODELS = Path(__file__).resolve().parents[2] / "src" / "storeboard" / "transform" / "dbt" / "models"
#: The layers checked and the schema each lands in (macros/generate_schema_name.sql).
LAYERS = {"staging": "staging", "intermediate": "intermediate"}


def model_files() -> dict[str, str]:
    """Name -> layer of every staging and intermediate model, from its .sql file."""
    return {sql.stem: layer for layer in LAYERS for sql in sorted((MODELS / layer).rglob("*.sql"))}


def documented_models() -> dict[str, dict]:
    """Name -> YAML entry of every model described in a properties file under models/."""
    entries: dict[str, dict] = {}
    for path in sorted(MODELS.rglob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            entries[entry["name"]] = entry
    return entries


def described(text) -> bool:
    return isinstance(text, str) and bool(text.strip())


def test_every_staging_and_intermediate_model_and_listed_column_is_described():
    """Warehouse-free: each model has a YAML entry with a description, and so does each column listed."""
    entries = documented_models()
    problems = []
    for model in model_files():
        entry = entries.get(model)
        if entry is None:
            problems.append(f"{model}: no entry in any models/**/*.yml")
            continue
        if not described(entry.get("description")):
            problems.append(f"{model}: no description")
        if bare := [c["name"] for c in entry.get("columns") or [] if not described(c.get("description"))]:
            problems.append(f"{model}: columns without a description: {', '.join(bare)}")
    assert not problems, "\n".join(problems)


def test_every_output_column_is_described(scenario: Config):
    """The columns each staging/intermediate relation really has are exactly the ones its YAML lists."""
    rows = query(scenario, "select table_schema, table_name, column_name from information_schema.columns "
                           f"where table_schema in ({', '.join(repr(s) for s in LAYERS.values())}) "
                           "order by table_schema, table_name, ordinal_position")
    built: dict[str, list[str]] = {}
    for row in rows:
        built.setdefault(row["table_name"], []).append(row["column_name"])
    entries = documented_models()
    problems = []
    for model, layer in model_files().items():
        if model not in built:
            problems.append(f"{model}: no relation in schema {LAYERS[layer]} (ephemeral or not built): "
                            "its columns cannot be checked")
            continue
        listed = [c["name"] for c in (entries.get(model) or {}).get("columns") or []]
        if missing := [c for c in built[model] if c not in listed]:
            problems.append(f"{model}: output columns not described: {', '.join(missing)}")
        if stale := [c for c in listed if c not in built[model]]:
            problems.append(f"{model}: described columns it does not output: {', '.join(stale)}")
    assert not problems, "\n".join(problems)
