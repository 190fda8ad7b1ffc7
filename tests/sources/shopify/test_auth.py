"""The client credentials grant over real HTTP against the sandbox's token endpoint: tokens renewed
before they expire and once on a 401, one exchange at a time across threads, a backfill that
outlives many tokens loading exactly what a long-lived token loads, and a clear error for each
refusal Shopify gives."""

from __future__ import annotations

import threading

import pytest

from storeboard import pipeline
from storeboard.errors import SourceAuthError
from storeboard.sandbox.credentials import SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET
from storeboard.sandbox.faults import Fault
from storeboard.sources.shopify.auth import ClientCredentials
from storeboard.sources.shopify.helpers import ShopifyClient
from storeboard.warehouse import Warehouse
from tests.conftest import make_config


def raw_shopify(config) -> dict[str, list[tuple]]:
    """Every raw Shopify table's rows (dlt's own bookkeeping columns left out), sorted."""
    out = {}
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        tables = [r["table_name"] for r in conn.query(
            "select table_name from information_schema.tables where table_schema = 'raw_shopify' "
            "and table_name not like '\\_dlt%' escape '\\'")]
        for table in tables:
            rows = conn.query(f"select * from raw_shopify.{table}")
            out[table] = sorted(tuple(str(v) for k, v in sorted(r.items()) if not k.startswith("_dlt")) for r in rows)
    return out


def test_backfill_outliving_many_tokens_loads_the_same_rows_as_a_long_lived_token(tmp_path, sandbox, generator):
    auth = sandbox.api("shopify").auth
    long_lived = make_config(tmp_path / "long", "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    assert long_lived.sources.shopify.client_id == SHOPIFY_CLIENT_ID and long_lived.sources.shopify.access_token is None
    pipeline.extract_load(long_lived, "shopify")
    assert auth.issued == 1, "one token lasts a whole run when it lives a day"

    # Every token now lives one second, and the one the connector holds has just expired.
    auth.token_lifetime = 1
    auth.expire_tokens()
    issued_before, expired_before = auth.issued, auth.rejected_expired
    # Small pages and slow answers stretch the backfill over many token lives.
    sandbox.faults.add(Fault(api="shopify", kind="slow", count=-1, delay=0.1, path_contains="graphql"))
    short_lived = make_config(tmp_path / "short", "duckdb:///storeboard.duckdb", sandbox.url, store=generator.store)
    short_lived.sources.shopify.page_size, short_lived.sources.shopify.bulk_backfill = 10, False
    pipeline.extract_load(short_lived, "shopify")
    sandbox.faults.clear()

    renewals = auth.issued - issued_before
    refused = auth.rejected_expired - expired_before
    print(f"short-lived tokens: {renewals} exchanges, {refused} requests refused with an expired token")
    assert renewals >= 10, renewals
    assert refused >= 1, "the token held from the first run was refused, then renewed"
    assert raw_shopify(short_lived) == raw_shopify(long_lived)
    assert len(raw_shopify(short_lived)["orders"]) == len(generator.store.orders)


def test_a_token_is_renewed_before_it_expires_and_once_when_refused(sandbox):
    now = [0.0]
    auth = sandbox.api("shopify").auth
    credentials = ClientCredentials(sandbox.url, SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET, clock=lambda: now[0])
    first = credentials.token()
    assert credentials.token() == first and auth.issued == 1
    now[0] = 86399 - 301  # inside the last five minutes of its life: renewed before use
    assert credentials.token() == first
    now[0] = 86399 - 299
    second = credentials.token()
    assert second != first and auth.issued == 2

    # Refused early (revoked): the client renews once and retries, and the query succeeds.
    auth.expire_tokens()
    client = ShopifyClient(sandbox.url, credentials, "2026-04")
    assert client.shop()["name"] == sandbox.store.shop.name
    assert auth.issued == 3


def test_threads_share_one_token_and_one_renewal(sandbox):
    auth = sandbox.api("shopify").auth
    credentials = ClientCredentials(sandbox.url, SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET)
    start = threading.Barrier(8)
    tokens: list[str] = []

    def read(fn):
        start.wait()
        tokens.append(fn())

    threads = [threading.Thread(target=read, args=(credentials.token,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and auth.issued == 1
    rejected = tokens[0]
    tokens.clear()
    threads = [threading.Thread(target=read, args=(lambda: credentials.renew(rejected),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and tokens[0] != rejected
    assert auth.issued == 2, "eight threads refused with one token renew it once"


@pytest.mark.parametrize(("setup", "code", "says"), [
    ("wrong_secret", "invalid_client", "check sources.shopify.client_id and SHOPIFY_CLIENT_SECRET"),
    ("not_installed", "app_not_installed", "install it on this store"),
    ("other_organization", "shop_not_permitted", "organization that owns the store"),
])
def test_each_refusal_has_its_own_message_without_the_secret(sandbox, setup, code, says):
    auth = sandbox.api("shopify").auth
    secret = SHOPIFY_CLIENT_SECRET
    if setup == "wrong_secret":
        secret = "shpss_wrong_0123456789"
    auth.installed = setup != "not_installed"
    auth.same_organization = setup != "other_organization"
    client = ShopifyClient(sandbox.url, ClientCredentials(sandbox.url, SHOPIFY_CLIENT_ID, secret), "2026-04")
    with pytest.raises(SourceAuthError) as info:
        client.shop()
    message = str(info.value)
    assert f"({code})" in message and says in message and sandbox.url in message
    assert secret not in message and SHOPIFY_CLIENT_SECRET not in message
    assert auth.issued == 0


def test_bulk_backfill_polling_outlives_its_tokens(sandbox, generator):
    """A bulk operation is polled with whatever token is current: polls a second apart with
    one-second tokens each need a new one, and the whole history still arrives."""
    auth = sandbox.api("shopify").auth
    auth.token_lifetime = 1
    # Each answer takes longer than half a token's life, when the client renews: every call after
    # the first (the bulk query, then each poll) needs a new token.
    sandbox.faults.add(Fault(api="shopify", kind="slow", count=-1, delay=0.6, path_contains="graphql"))
    credentials = ClientCredentials(sandbox.url, SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET)
    client = ShopifyClient(sandbox.url, credentials, "2026-04")
    orders = [o for batch in client.bulk_orders("2000-01-01T00:00:00Z") for o in batch]
    sandbox.faults.clear()
    print(f"bulk backfill with one-second tokens: {credentials.exchanges} exchanges")
    assert sorted(o["id"] for o in orders) == sorted(f"gid://shopify/Order/{o.order_id}" for o in generator.store.orders)
    assert credentials.exchanges >= 2 and auth.issued == credentials.exchanges
