"""The layers of docs/architecture.md hold: import-linter checks the contracts in pyproject.toml.

The first test runs them on the package as it is. The others show that they bite: each plants
one forbidden import in a copy of the package and expects the contracts it breaks to say so.
Both run ``lint-imports`` in a child process, so that the package it analyses is the one on that
process's path (the copy), not the one this process already imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "storeboard"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

LAYERS = "Storeboard's layers import only downward"
WEB_NOTIFY = "The dashboards and the notifications share presentation, never each other"
NO_SANDBOX = "Product code never imports the sandbox (only cli, demo and bench start it)"
PRESENTATION = "Presentation only formats: no warehouse, pipeline or state of its own"


def lint_imports(cwd: Path, python_path: Path | None = None) -> subprocess.CompletedProcess:
    """``lint-imports`` with the contracts of ``cwd/pyproject.toml``, without writing a cache."""
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", "pyproject.toml"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_contracts_are_kept():
    result = lint_imports(REPO)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in (LAYERS, WEB_NOTIFY, NO_SANDBOX, PRESENTATION):
        assert f"{name} KEPT" in output, output


@pytest.mark.parametrize(("module", "planted", "broken", "kept"), [
    # the notifications reaching up into the web app: upward, and web and notify no longer apart
    ("notify/rules.py", "from storeboard.web import app", {LAYERS, WEB_NOTIFY}, {NO_SANDBOX, PRESENTATION}),
    # the pipeline starting a fake vendor API
    ("pipeline.py", "from storeboard.sandbox import server", {LAYERS, NO_SANDBOX}, {WEB_NOTIFY, PRESENTATION}),
    # a chart reading the warehouse itself: downward, yet not presentation's job
    ("presentation/charts.py", "from storeboard import warehouse", {PRESENTATION}, {LAYERS, WEB_NOTIFY, NO_SANDBOX}),
], ids=["notify-imports-web", "pipeline-imports-sandbox", "presentation-imports-warehouse"])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, planted, broken, kept):
    # Python files only: templates, static files, the dbt project and the vendor specs are not imports.
    shutil.copytree(PACKAGE, tmp_path / "src" / "storeboard",
                    ignore=lambda folder, names: [n for n in names if not (n.endswith(".py") or
                                                                             (Path(folder) / n).is_dir())
                                                  or n == "__pycache__"])
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "storeboard" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # planted by the test\n", encoding="utf-8")

    result = lint_imports(tmp_path, python_path=tmp_path / "src")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for name in broken:
        assert f"{name} BROKEN" in output, output
    for name in kept:
        assert f"{name} KEPT" in output, output
    dotted = "storeboard." + module.removesuffix(".py").replace("/", ".")
    assert dotted in output, f"the report names the importer {dotted}:\n{output}"
