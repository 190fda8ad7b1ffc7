"""Property and fuzz tests of config loading (``config.py``): YAML, ``${NAME}`` interpolation,
validation.

Whatever ``storeboard.yml`` and the environment hold, ``load_config`` returns a ``Config`` or
raises ``ConfigError`` whose message names the file and the key; a secret read from the
environment never appears in that message.
"""

from __future__ import annotations

import string
from pathlib import Path
from tempfile import TemporaryDirectory

import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from storeboard.config import Config, load_config
from storeboard.errors import ConfigError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(content: bytes, environ: dict[str, str] | None = None):
    """(config, None) or (None, message); anything but ConfigError fails the test."""
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "storeboard.yml"
        path.write_bytes(content)
        try:
            return load_config(path, environ=environ or {}), None
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(str(path)) or message.startswith("storeboard.yml: "), message
            return None, message


# -- arbitrary bytes and text -----------------------------------------------------------------
@FUZZ
@given(content=st.binary(max_size=300))
@example(content=b"warehouse: \xff\xfe\n")
def test_arbitrary_bytes_give_a_config_or_a_config_error(content):
    load(content)


yaml_text = st.lists(st.sampled_from(list(":-[]{},&*!|>'\"%@`#?\n ") + list("abwz019.$") + ["  ", "\t", "warehouse",
                                     "store", "timezone", "web", "port", "${A}", "\n  "]), max_size=40).map("".join)


@FUZZ
@given(text=yaml_text)
@example(text="a: &x [*x]\n")
@example(text="store: &x {timezone: *x}\n")
@example(text="a: " + "[" * 500 + "]" * 500 + "\n")
@example(text="metrics: {report_date: 2024-13-45}\n")
@example(text="store: {timezone: America}\n")
@example(text="warehouse: 'postgresql://u:p@[::1/db'\n")
@example(text="warehouse: 'postgresql://u:p@h:99999999/db'\n")
def test_arbitrary_yaml_gives_a_config_or_a_config_error(text):
    load(text.encode("utf-8"))


# -- real keys with arbitrary values ----------------------------------------------------------
scalar = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**12), st.floats(allow_nan=True),
                   st.text(max_size=20), st.dates(), st.sampled_from(["${A}", "${MISSING}", "x${A}y", "${}", "$A",
                                                                      "America", "Europe/Berlin", "duckdb:///x.duckdb"]))
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                          max_size=3), max_leaves=6)


def section(model) -> st.SearchStrategy:
    """A mapping of the model's own keys (and sometimes a misspelt one) to arbitrary values."""
    keys = list(model.model_fields) + ["typo_key"]
    return st.dictionaries(st.sampled_from(keys), value, max_size=4)


from storeboard import config as config_module  # noqa: E402 (models used only to draw keys)

top = st.fixed_dictionaries({}, optional={
    "warehouse": value,
    "store": section(config_module.StoreSettings) | value,
    "web": section(config_module.WebSettings) | value,
    "metrics": section(config_module.MetricsSettings) | value,
    "email": section(config_module.EmailSettings),
    "alerts": section(config_module.AlertsSettings),
    "schedule": section(config_module.ScheduleSettings),
    "sources": st.fixed_dictionaries({}, optional={
        "shopify": section(config_module.ShopifySettings), "stripe": section(config_module.StripeSettings),
        "files": section(config_module.FilesSettings), "hubspot": section(config_module.HubSpotSettings)}) | value,
})


@FUZZ
@given(data=top, env_value=st.text(max_size=20))
@example(data={"store": {"\r\r": None}}, env_value="")  # a key of line breaks: the error stays one line
def test_real_keys_with_arbitrary_values_name_the_key(data, env_value):
    content = yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
    config, message = load(content, {"A": env_value})
    if config is not None:
        assert isinstance(config, Config)
        return
    lines = message.splitlines()
    assert lines and all(": " in line for line in lines), message
    if "MISSING" in message:
        assert "needs the environment variable MISSING" in message


# -- secrets from the environment stay out of every error -------------------------------------
SECRET_ALPHABET = string.ascii_letters + string.digits + "-_./+=:@"
secret = st.text(SECRET_ALPHABET, min_size=12, max_size=30).map(lambda s: "canary" + s)


@FUZZ
@given(token=secret, broken=st.sampled_from([
    "web: {port: nope}", "store: {timezone: Mars/Base}", "web: {session_secret: [1, 2]}", "sources: {shopify: {}}",
    "alerts: {dashboard_url: ftp://x}", "email: {smtp_port: 0}", "typo: 1", "",
]), field=st.sampled_from(["access_token", "shop_url", "api_version", "page_size", "start_date"]))
def test_a_secret_from_the_environment_never_appears_in_the_error(token, broken, field):
    # The token lands in a secret field, or by mistake in a field that validates it.
    block = {"shop_url": "https://acme.myshopify.com", "access_token": "${SHOPIFY_ACCESS_TOKEN}"}
    block[field] = "${SHOPIFY_ACCESS_TOKEN}"
    data = {"sources": {"shopify": block}}
    text = yaml.safe_dump(data) + ("\n" + broken if broken and not broken.startswith("sources") else "")
    config, message = load(text.encode("utf-8"), {"SHOPIFY_ACCESS_TOKEN": token})
    if config is not None:
        if field == "access_token":
            assert token not in repr(config) and token not in str(config)
        return
    assert token not in message
