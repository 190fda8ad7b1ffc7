"""`storeboard user add` writes an argon2 hash into web.users and keeps the rest of the file."""

from __future__ import annotations

from typer.testing import CliRunner

from storeboard.cli import app
from storeboard.config import load_config
from storeboard.web.auth import check_login


def test_user_add_writes_a_hash_that_logs_in(tmp_path):
    path = tmp_path / "storeboard.yml"
    path.write_text("# my store\nwarehouse: duckdb:///shop.duckdb\n\nweb:\n  host: 127.0.0.1\n  port: 8000\n")
    runner = CliRunner()
    result = runner.invoke(app, ["user", "add", "ann", "--config", str(path)], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["user", "add", "bob", "--config", str(path), "--password", "another long one"])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# my store\n") and "long enough pw" not in text and "$argon2id$" in text
    settings = load_config(path, environ={}).web
    assert [u.username for u in settings.users] == ["bob", "ann"] or [u.username for u in settings.users] == ["ann", "bob"]
    assert check_login(settings, "ann", "long enough pw") and check_login(settings, "bob", "another long one")
    assert not check_login(settings, "ann", "another long one")


def test_user_add_refuses_short_passwords(tmp_path):
    path = tmp_path / "storeboard.yml"
    path.write_text("warehouse: duckdb:///shop.duckdb\n")
    result = CliRunner().invoke(app, ["user", "add", "ann", "--config", str(path), "--password", "short"])
    assert result.exit_code == 2 and "at least 10 characters" in result.output
