"""The mart catalog beside the SQL explorer: tables and columns of ``analytics`` with the
descriptions written in the dbt project's YAML (``models/marts/_*.yml``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MARTS_DIR = Path(__file__).resolve().parents[1] / "transform" / "dbt" / "models" / "marts"


@lru_cache(maxsize=1)
def documented_marts(folder: Path = MARTS_DIR) -> dict[str, dict[str, Any]]:
    """``{model: {"description": str, "columns": {column: description}}}`` from the marts' YAML."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("_*.yml")):
        try:
            content = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        for model in content.get("models") or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            columns = {
                str(c["name"]).lower(): " ".join(str(c.get("description") or "").split())
                for c in model.get("columns") or [] if isinstance(c, dict) and "name" in c
            }
            docs[str(model["name"]).lower()] = {
                "description": " ".join(str(model.get("description") or "").split()), "columns": columns,
            }
    return docs


def catalog(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tables of ``analytics`` (from ``queries.mart_columns``) with their documentation."""
    docs = documented_marts()
    tables: dict[str, dict[str, Any]] = {}
    for row in columns:
        name = row["table_name"]
        doc = docs.get(name.lower(), {"description": "", "columns": {}})
        table = tables.setdefault(name, {"name": name, "description": doc["description"], "columns": []})
        table["columns"].append({
            "name": row["column_name"], "type": str(row["data_type"]).lower(),
            "description": doc["columns"].get(row["column_name"].lower(), ""),
        })
    order = {"rpt": 0, "fct": 1, "dim": 2}
    return sorted(tables.values(), key=lambda t: (order.get(t["name"].split("_")[0], 3), t["name"]))
