"""storeboard.yml: validation messages name the key; secrets come from the environment."""

from __future__ import annotations

import pytest

from storeboard.config import example_config, load_config, redact_url
from storeboard.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "storeboard.yml"
    path.write_text(text)
    return path


def test_example_config_is_valid(tmp_path):
    config = load_config(write(tmp_path, example_config()), environ={"SHOPIFY_CLIENT_SECRET": "shpss_x"})
    assert config.enabled_sources() == ["shopify"]
    assert config.sources.shopify.client_secret.get_secret_value() == "shpss_x"
    assert config.sources.shopify.client_id == "your-app-client-id" and config.sources.shopify.access_token is None
    assert "shpss_x" not in repr(config)


def test_example_config_offers_the_legacy_token_in_a_comment(tmp_path):
    """`storeboard init` writes the client-credentials form; swapping in the commented legacy line works."""
    lines = example_config().splitlines()
    legacy = [line for line in lines if line.strip() == "# access_token: ${SHOPIFY_ACCESS_TOKEN}"]
    assert len(legacy) == 1
    text = "\n".join(line.replace("# access_token", "access_token") for line in lines
                     if not line.strip().startswith(("client_id:", "client_secret:")))
    config = load_config(write(tmp_path, text), environ={"SHOPIFY_ACCESS_TOKEN": "shpat_x"})
    assert config.sources.shopify.access_token.get_secret_value() == "shpat_x"


def test_missing_environment_variable_names_key_and_variable(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, example_config()), environ={})
    message = str(info.value)
    assert "sources.shopify.client_secret" in message and "SHOPIFY_CLIENT_SECRET" in message


def test_dotenv_beside_config_is_read_and_environment_wins(tmp_path, monkeypatch):
    path = write(tmp_path, example_config())
    (tmp_path / ".env").write_text("SHOPIFY_CLIENT_SECRET=from_dotenv\n")
    monkeypatch.delenv("SHOPIFY_CLIENT_SECRET", raising=False)
    assert load_config(path).sources.shopify.client_secret.get_secret_value() == "from_dotenv"
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", "from_env")
    assert load_config(path).sources.shopify.client_secret.get_secret_value() == "from_env"


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ("", "set client_id and client_secret (a Dev Dashboard app, docs/sources.md) or access_token"),
        ("    access_token: t\n    client_id: c\n    client_secret: s\n", "not both"),
        ("    access_token: t\n    client_secret: s\n", "not both"),
        ("    client_id: c\n", "client_secret is missing"),
        ("    client_secret: s\n", "client_id is missing"),
    ],
    ids=["neither", "both", "token-and-secret", "id-only", "secret-only"],
)
def test_shopify_needs_exactly_one_credential_form(tmp_path, credentials, says):
    text = "sources:\n  shopify:\n    shop_url: https://acme.myshopify.com\n" + credentials
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ={})
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'storeboard.yml'}: sources.shopify: ") and says in message
    assert "client_id" in message and "client_secret" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("sources:\n  shopify:\n    access_token: x\n", "sources.shopify.shop_url"),
        ("sources:\n  shopify:\n    shop_url: ftp://x\n    access_token: x\n", "sources.shopify.shop_url"),
        ("warehouse: mysql://x\n", "warehouse"),
        ("store:\n  timezone: Mars/Olympus\n", "store.timezone"),
        ("store:\n  currency: dollars\n", "store.currency"),
        ("web:\n  prot: 80\n", "web.prot"),
    ],
    ids=["missing", "bad-url", "bad-warehouse", "bad-zone", "bad-currency", "misspelt"],
)
def test_wrong_value_names_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ={})
    assert f": {key}:" in str(info.value)


def test_broken_yaml_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "warehouse: [\n"), environ={})
    assert "line" in str(info.value) and "not valid YAML" in str(info.value)


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yml")
    assert "storeboard init" in str(info.value)


def test_redact_url_hides_password():
    assert redact_url("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_url("duckdb:///x.duckdb") == "duckdb:///x.duckdb"
