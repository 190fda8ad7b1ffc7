"""The sandbox's client credentials grant, as shopify.dev documents it: the grant, ``expires_in``,
tokens that really expire, Shopify's 401 body, and the OAuth error bodies of each refusal."""

from __future__ import annotations

import time

import httpx

from storeboard.sandbox.credentials import SHOPIFY_CLIENT_ID, SHOPIFY_CLIENT_SECRET, SHOPIFY_TOKEN
from storeboard.sandbox.shopify_auth import INVALID_TOKEN
from storeboard.sources.shopify import settings

GRANT = {"grant_type": "client_credentials", "client_id": SHOPIFY_CLIENT_ID, "client_secret": SHOPIFY_CLIENT_SECRET}


def _shop(server, token):
    return httpx.post(f"{server.url}/admin/api/2026-04/graphql.json", json={"query": settings.SHOP_QUERY},
                      headers={"X-Shopify-Access-Token": token})


def test_form_or_json_grant_gives_a_token_that_expires(sandbox):
    sandbox.api("shopify").auth.token_lifetime = 1
    form = httpx.post(f"{sandbox.url}/admin/oauth/access_token", data=GRANT)
    as_json = httpx.post(f"{sandbox.url}/admin/oauth/access_token", json=GRANT)
    for answer in (form, as_json):
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"access_token", "scope", "expires_in"} and body["expires_in"] == 1
        assert body["access_token"].startswith("shpat_") and "read_all_orders" in body["scope"].split(",")
    token = form.json()["access_token"]
    assert _shop(sandbox, token).status_code == 200
    time.sleep(1.1)
    expired = _shop(sandbox, token)
    assert expired.status_code == 401 and expired.json() == {"errors": INVALID_TOKEN}
    assert _shop(sandbox, SHOPIFY_TOKEN).status_code == 200, "the legacy app's token keeps working"


def test_refusals_are_oauth_error_bodies(sandbox):
    auth = sandbox.api("shopify").auth
    url = f"{sandbox.url}/admin/oauth/access_token"
    wrong = httpx.post(url, data={**GRANT, "client_secret": "shpss_wrong"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    assert httpx.post(url, data={**GRANT, "grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    auth.installed = False
    assert httpx.post(url, data=GRANT).json() == {
        "error": "app_not_installed", "error_description": "The application is not installed on this shop."}
    auth.installed, auth.same_organization = True, False
    refused = httpx.post(url, data=GRANT)
    assert refused.status_code == 400 and refused.json() == {
        "error": "shop_not_permitted", "error_description": "Client credentials cannot be performed on this shop."}
    assert auth.issued == 0
    control = httpx.post(f"{sandbox.url}/_sandbox/shopify/auth", json={"same_organization": True, "token_lifetime": 5})
    assert control.json()["same_organization"] is True and auth.token_lifetime == 5
    assert httpx.post(url, data=GRANT).json()["expires_in"] == 5
