"""Storeboard leaves the process environment as it found it: dbt's options are arguments of the
invocation, the warehouse password is set only while dbt renders its profile, and importing the
pipeline changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

from storeboard.transform import runner
from storeboard.warehouse import Warehouse

PASSWORD_ENV = "STOREBOARD_WAREHOUSE_PASSWORD"


def test_dbt_gets_its_options_as_arguments_and_the_password_for_one_invocation(tmp_path, monkeypatch):
    seen: dict = {}

    class Runner:
        def invoke(self, args):
            seen["args"] = args
            seen["password"] = os.environ.get(PASSWORD_ENV)
            return SimpleNamespace(result=SimpleNamespace(results=[]), success=True, exception=None)

    monkeypatch.setattr("dbt.cli.main.dbtRunner", Runner)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    for name in [n for n in os.environ if n.startswith("DBT_")]:
        monkeypatch.delenv(name)
    before = dict(os.environ)
    warehouse = Warehouse("postgresql://storeboard:s3cret-pw@127.0.0.1:5432/shop")

    runner.build(warehouse, tmp_path, {"store_timezone": "UTC"}, select="state:modified",
                 indirect_selection="cautious")

    assert dict(os.environ) == before
    assert seen["password"] == "s3cret-pw"
    args = seen["args"]
    assert args[args.index("--indirect-selection") + 1] == "cautious"
    assert {"--no-send-anonymous-usage-stats", "--no-version-check"} <= set(args)
    assert "s3cret-pw" not in (tmp_path / "dbt" / "profiles.yml").read_text()


def test_a_password_already_in_the_environment_is_put_back(tmp_path, monkeypatch):
    monkeypatch.setattr("dbt.cli.main.dbtRunner", lambda: SimpleNamespace(
        invoke=lambda args: SimpleNamespace(result=None, success=True, exception=None)))
    monkeypatch.setenv(PASSWORD_ENV, "the operator's")

    runner.build(Warehouse("postgresql://storeboard:other@127.0.0.1:5432/shop"), tmp_path, {})

    assert os.environ[PASSWORD_ENV] == "the operator's"


def test_importing_the_pipeline_changes_no_environment_variable():
    code = ("import os; before = dict(os.environ); import storeboard.pipeline, storeboard.cli; "
            "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)); "
            "print(changed); raise SystemExit(1 if changed else 0)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNTIME__", "NORMALIZE__", "DATA_WRITER__"))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
