"""duckdb.memory_limit: every opener of a DuckDB warehouse in a Storeboard process applies it.

DuckDB's memory limit belongs to the database instance, which every connection to the file in a
process shares; whichever of Storeboard, dlt or dbt opens the instance first must set it, or the
engine takes up to 80 % of the machine's memory during a refresh.
"""

from __future__ import annotations

import pytest
import yaml

from storeboard.config import load_config
from storeboard.errors import ConfigError
from storeboard.pipeline import dlt_destination
from storeboard.transform.runner import write_profile
from storeboard.warehouse import Warehouse


def _limit(raw) -> str:
    return raw.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_config_sets_the_limit_and_rejects_a_wrong_value(tmp_path):
    path = tmp_path / "storeboard.yml"
    path.write_text("duckdb:\n  memory_limit: 300MB\n")
    assert load_config(path).duckdb.memory_limit == "300MB"
    path.write_text("store: {}\n")
    assert load_config(path).duckdb.memory_limit == "1GB"
    path.write_text("duckdb:\n  memory_limit: lots\n")
    with pytest.raises(ConfigError, match="duckdb.memory_limit"):
        load_config(path)


def test_storeboards_own_connections_apply_it(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}", memory_limit="300MB")
    with warehouse.connect() as conn:
        assert _limit(conn.raw) == "286.1 MiB"
    # the explorer's locked-down instance, opened read-only with the limit among its settings
    with warehouse.connect(read_only=True, explorer=True) as conn:
        assert conn.locked and _limit(conn.raw) == "286.1 MiB"
        warehouse.limit_memory(conn.raw)  # a locked instance is left as it is, without an error


def test_dlts_connections_apply_it(tmp_path):
    import dlt

    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}", memory_limit="300MB")
    pipeline = dlt.pipeline(pipeline_name="memory_limit", destination=dlt_destination(warehouse),
                            dataset_name="raw_test", pipelines_dir=str(tmp_path / "pipelines"))
    pipeline.run([{"id": 1}], table_name="things")
    with pipeline.sql_client() as client:
        assert client.execute_sql("select current_setting('memory_limit')")[0][0] == "286.1 MiB"


def test_dbts_profile_applies_it(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}", memory_limit="300MB")
    profile = yaml.safe_load((write_profile(warehouse, tmp_path) / "profiles.yml").read_text())
    assert profile["storeboard"]["outputs"]["duckdb"]["settings"] == {"memory_limit": "300MB", "preserve_insertion_order": False}
    postgres = Warehouse("postgresql://u@127.0.0.1:5432/db", memory_limit="300MB")
    profile = yaml.safe_load((write_profile(postgres, tmp_path) / "profiles.yml").read_text())
    assert "settings" not in profile["storeboard"]["outputs"]["postgres"]
