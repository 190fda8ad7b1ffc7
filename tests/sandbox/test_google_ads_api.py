"""The Google Ads imitation against the official google-ads package (v26 messages) and Google's
documented behaviour: OAuth, login-customer-id, GAQL validation, stream and paged search, errors."""

from __future__ import annotations

import json

import httpx
import pytest
from google.ads.googleads.v26.errors.types import errors as ads_errors
from google.ads.googleads.v26.services.types.google_ads_service import (
    GoogleAdsRow,
    SearchGoogleAdsResponse,
    SearchGoogleAdsStreamResponse,
)
from google.protobuf import json_format

from storeboard.config import GoogleAdsSettings
from storeboard.sandbox import SandboxServer, credentials as cred
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.gaql import GaqlError, parse_gaql
from storeboard.sandbox.google_ads import FIELDS, SUPPORTED_VERSIONS
from storeboard.sources.google_ads import settings

VERSION = "v26"
CONNECTOR_QUERIES = {
    "customer": settings.CUSTOMER_QUERY,
    "campaigns": settings.CAMPAIGNS_QUERY,
    "ad_groups": settings.AD_GROUPS_QUERY,
    "campaign_budgets": settings.CAMPAIGN_BUDGETS_QUERY,
    "metrics": settings.AD_GROUP_METRICS_QUERY.format(since="2026-10-01", until="2026-11-20"),
}


def test_default_version_is_the_newest_in_the_installed_package():
    import os

    import google.ads.googleads as package

    versions = sorted(int(d[1:]) for d in os.listdir(os.path.dirname(package.__file__)) if d[:1] == "v" and d[1:].isdigit())
    assert GoogleAdsSettings.model_fields["api_version"].default == f"v{versions[-1]}" == VERSION
    assert VERSION in SUPPORTED_VERSIONS


def test_field_catalogue_exists_in_the_official_row_message():
    row = GoogleAdsRow.pb().DESCRIPTOR
    for path in FIELDS:
        resource, name = path.split(".")
        message = row.fields_by_name[resource].message_type
        # proto-plus renames fields that clash with Python names (``type`` → ``type_``).
        assert name in message.fields_by_name or f"{name}_" in message.fields_by_name, path


@pytest.fixture(scope="module")
def server():
    from tests.conftest import make_generator

    generator = make_generator()
    with SandboxServer(generator.store) as server:
        server.api("google_ads").page_size = 25
        yield server


def token(server) -> str:
    return httpx.post(f"{server.url}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": cred.GOOGLE_CLIENT_ID, "client_secret": cred.GOOGLE_CLIENT_SECRET,
        "refresh_token": cred.GOOGLE_REFRESH_TOKEN}).json()["access_token"]


def call(server, method: str, body: dict, customer=cred.GOOGLE_CUSTOMER_IDS[0], login=cred.GOOGLE_LOGIN_CUSTOMER_ID,
         access=None, version=VERSION) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access or token(server)}", "developer-token": "ignored"}
    if login:
        headers["login-customer-id"] = login
    return httpx.post(f"{server.url}/{version}/customers/{customer}/googleAds:{method}", json=body, headers=headers)


def assert_failure(response: httpx.Response, status: int, grpc: str, family: str, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    if response.request.url.path.endswith(":searchStream"):
        [body] = body  # searchStream answers an array even for an error: [{"error": …}]
    error = body["error"]
    assert (error["code"], error["status"]) == (status, grpc)
    [detail] = error["details"]
    assert detail["@type"] == f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure"
    failure = ads_errors.GoogleAdsFailure.pb()()
    json_format.Parse(json.dumps({k: v for k, v in detail.items() if k != "@type"}), failure)
    assert detail["errors"][0]["errorCode"] == {family: code}


@pytest.mark.parametrize("name", CONNECTOR_QUERIES)
@pytest.mark.parametrize("customer", cred.GOOGLE_CUSTOMER_IDS)
def test_stream_responses_parse_into_the_official_message(server, name, customer):
    response = call(server, "searchStream", {"query": CONNECTOR_QUERIES[name]}, customer=customer)
    assert response.status_code == 200
    batches = response.json()
    assert isinstance(batches, list) and batches
    for batch in batches:
        message = SearchGoogleAdsStreamResponse.pb()()
        json_format.Parse(json.dumps(batch), message, ignore_unknown_fields=False)
        assert message.request_id
    rows = [r for b in batches for r in b.get("results", [])]
    assert rows
    if name == "metrics":
        assert all(int(r["metrics"]["costMicros"]) > 0 and isinstance(r["metrics"]["costMicros"], str) for r in rows)
        assert all(r["adGroup"]["resourceName"].startswith(f"customers/{customer}/adGroups/") for r in rows)


def test_paged_search_parses_and_walks_every_row_once(server):
    query = CONNECTOR_QUERIES["metrics"]
    stream_rows = [r for b in call(server, "searchStream", {"query": query}).json() for r in b.get("results", [])]
    seen, body = [], {"query": query}
    access = token(server)
    while True:
        page = call(server, "search", body, access=access).json()
        json_format.Parse(json.dumps(page), SearchGoogleAdsResponse.pb()(), ignore_unknown_fields=False)
        seen += page.get("results", [])
        if "nextPageToken" not in page:
            break
        body = {"query": query, "pageToken": page["nextPageToken"]}
    assert seen == stream_rows and len(seen) > 25


def test_page_size_is_rejected(server):
    assert_failure(call(server, "search", {"query": CONNECTOR_QUERIES["campaigns"], "pageSize": 10}),
                   400, "INVALID_ARGUMENT", "requestError", "PAGE_SIZE_NOT_SUPPORTED")


def test_zero_metrics_are_omitted_and_paused_ad_groups_have_no_rows(server):
    rows = [r for b in call(server, "searchStream", {"query": CONNECTOR_QUERIES["metrics"]}).json() for r in b.get("results", [])]
    paused = [g.ad_group_id for g in server.api("google_ads").data().ad_groups if g.status == "PAUSED"]
    assert paused and not any(r["adGroup"]["id"] in paused for r in rows)
    assert any("conversions" not in r["metrics"] for r in rows), "a day without conversions leaves the field out"


@pytest.mark.parametrize("query, code", [
    ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
    ("SELECT campaign.nope FROM campaign", "UNRECOGNIZED_FIELD"),
    ("SELECT campaign_budget.id FROM ad_group", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
    ("SELECT campaign.id FROM", "UNEXPECTED_END_OF_QUERY"),
    ("SELECT campaign.id FROM campaign LIMIT 0", "BAD_LIMIT_VALUE"),
    ("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_9_WEEKS", "INVALID_VALUE_WITH_DURING_OPERATOR"),
])
def test_invalid_queries_get_query_errors(server, query, code):
    assert_failure(call(server, "searchStream", {"query": query}), 400, "INVALID_ARGUMENT", "queryError", code)


def test_gaql_parser_subset():
    q = parse_gaql("select campaign.id, metrics.clicks FROM campaign WHERE segments.date BETWEEN '2026-10-01' AND "
                   "'2026-10-07' AND campaign.status IN ('ENABLED', 'PAUSED') AND metrics.clicks > 3 "
                   "ORDER BY metrics.clicks DESC, campaign.id LIMIT 5")
    assert q.resource == "campaign" and q.limit == 5
    assert [(c.field, c.op) for c in q.where] == [("segments.date", "BETWEEN"), ("campaign.status", "IN"),
                                                  ("metrics.clicks", ">")]
    assert q.order_by == [("metrics.clicks", True), ("campaign.id", False)]
    with pytest.raises(GaqlError):
        parse_gaql("SELECT FROM campaign")


def test_where_order_and_limit_are_applied(server):
    body = call(server, "searchStream", {"query": "SELECT campaign.id, campaign.name FROM campaign WHERE "
                                                  "campaign.name LIKE 'google-%' ORDER BY campaign.name DESC LIMIT 1"}).json()
    [row] = body[0]["results"]
    assert row["campaign"]["name"] == "google-prospecting"


def test_oauth_errors(server):
    bad_client = httpx.post(f"{server.url}/oauth2/token", data={"grant_type": "refresh_token", "client_id": "x",
                                                              "client_secret": "y", "refresh_token": cred.GOOGLE_REFRESH_TOKEN})
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    bad_grant = httpx.post(f"{server.url}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": cred.GOOGLE_CLIENT_ID, "client_secret": cred.GOOGLE_CLIENT_SECRET,
        "refresh_token": "1//nope"})
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "invalid_grant")


def test_auth_failures(server):
    assert_failure(call(server, "searchStream", {"query": settings.CUSTOMER_QUERY}, access="ya29.made-up"),
                   401, "UNAUTHENTICATED", "authenticationError", "OAUTH_TOKEN_INVALID")
    assert_failure(call(server, "searchStream", {"query": settings.CUSTOMER_QUERY}, login=None),
                   403, "PERMISSION_DENIED", "authorizationError", "USER_PERMISSION_DENIED")
    assert_failure(call(server, "searchStream", {"query": settings.CUSTOMER_QUERY}, customer="123-456"),
                   400, "INVALID_ARGUMENT", "requestError", "INVALID_CUSTOMER_ID")


def test_fault_bodies_are_google_failures(server):
    api = server.api("google_ads")
    server.faults.add(Fault(api="google_ads", kind="429", path_contains="googleAds"))
    response = call(server, "searchStream", {"query": settings.CUSTOMER_QUERY})
    assert_failure(response, 429, "RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED")
    [body] = response.json()  # inside the stream's array
    assert body["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"]["retryDelay"] == "1s"
    assert api.error_response(500, "fault").status_code == 500


def test_restatement_moves_only_the_last_days(server):
    api = server.api("google_ads")
    before = {(r.ad_group_id, r.day): r for r in api.data().daily}
    response = httpx.post(f"{server.url}/_sandbox/restate", json={"api": "google_ads"})
    assert response.json()["restatement_epoch"]["google_ads"] >= 1
    after = {(r.ad_group_id, r.day): r for r in api.data().daily}
    changed = {day for key, row in after.items() if before.get(key) != row for day in [key[1]]}
    last = api.data().last_day
    assert changed and all((last - day).days < 3 for day in changed)
