"""The HubSpot imitation against HubSpot's documented behaviour and the official Python client."""

from __future__ import annotations

import httpx
import pytest

from storeboard.sandbox import SandboxServer
from storeboard.sandbox.credentials import HUBSPOT_TOKEN
from storeboard.sandbox.faults import Fault
from storeboard.sandbox.hubspot import RollingLimit
from storeboard.sandbox.hubspot_data import hubspot_records
from tests.conftest import make_generator

AUTH = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}


@pytest.fixture
def server(generator):
    with SandboxServer(generator.store) as server:
        server.api("hubspot").search_limit = RollingLimit(1000, 1.0)
        yield server


def unarchived(store, object_type="contacts"):
    return [o for o in hubspot_records(store).objects[object_type] if not o["archived"]]


def test_same_seed_same_records():
    one, two = make_generator(seed=11), make_generator(seed=11)
    assert hubspot_records(one.store).objects == hubspot_records(two.store).objects
    assert hubspot_records(make_generator(seed=12).store).objects != hubspot_records(one.store).objects


def test_derived_contacts_look_like_a_crm(generator):
    store = generator.store
    data = hubspot_records(store)
    contacts = data.objects["contacts"]
    emails = [c["properties"]["email"] for c in contacts]
    assert all(isinstance(v, str) or v is None for c in contacts for v in c["properties"].values())
    assert any(e != e.strip() for e in emails) and any(e.strip() != e.strip().lower() for e in emails)
    assert any(c["properties"]["phone"] for c in contacts)
    assert any(c["archived"] for c in contacts)
    shop_emails = {c.email for c in store.customers if c.email}
    matched = [c for c in contacts if c["properties"]["email"].strip().lower() in shop_emails]
    assert 0.7 * len(shop_emails) < len(matched) < len(shop_emails), "most, not all, customers are contacts"
    assert len(contacts) > len(matched), "some contacts never bought"
    by_email = {c.email: c.channel for c in store.customers if c.email}
    sources = {"meta": "PAID_SOCIAL", "google": "PAID_SEARCH", "email": "EMAIL_MARKETING", "organic": "ORGANIC_SEARCH",
               "direct": "DIRECT_TRAFFIC"}
    for c in matched:
        assert c["properties"]["hs_analytics_source"] == sources[by_email[c["properties"]["email"].strip().lower()]]
    assert data.objects["companies"] and data.objects["deals"]
    assert all(data.associated("deals", "companies", d["id"]) for d in data.objects["deals"])


def test_missing_or_wrong_token_gets_hubspot_401(server):
    for headers in ({}, {"Authorization": "Bearer pat-na1-wrong"}):
        response = httpx.get(f"{server.url}/crm/v3/objects/contacts", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
        assert body["correlationId"] and body["message"].startswith("Authentication credentials not found")


def test_list_pages_cover_every_contact_once(server, generator):
    seen, after = [], None
    while True:
        params = {"limit": 100, "properties": "email,phone"} | ({"after": after} if after else {})
        body = httpx.get(f"{server.url}/crm/objects/2026-03/contacts", params=params, headers=AUTH).json()
        seen += body["results"]
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
    assert [c["id"] for c in seen] == [c["id"] for c in unarchived(generator.store)]
    assert set(seen[0]["properties"]) == {"email", "phone", "createdate", "hs_object_id", "lastmodifieddate"}
    assert "total" not in body
    archived = httpx.get(f"{server.url}/crm/v3/objects/contacts", params={"archived": "true", "limit": 100}, headers=AUTH).json()
    assert archived["results"] and all(c["archived"] and c["archivedAt"] for c in archived["results"])


def test_limits_are_enforced(server):
    response = httpx.get(f"{server.url}/crm/v3/objects/contacts", params={"limit": 101}, headers=AUTH)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    response = httpx.post(f"{server.url}/crm/v3/objects/contacts/search", json={"limit": 201}, headers=AUTH)
    assert response.status_code == 400


def test_rate_limit_headers_and_429_body(server):
    response = httpx.get(f"{server.url}/crm/v3/objects/deals", headers=AUTH)
    assert response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(response.headers["X-HubSpot-RateLimit-Remaining"]) < int(response.headers["X-HubSpot-RateLimit-Max"])
    search = httpx.post(f"{server.url}/crm/v3/objects/deals/search", json={}, headers=AUTH)
    assert "X-HubSpot-RateLimit-Remaining" not in search.headers
    server.api("hubspot").limit = RollingLimit(2, 10.0)
    statuses = [httpx.get(f"{server.url}/crm/v3/objects/deals", headers=AUTH).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    body = httpx.get(f"{server.url}/crm/v3/objects/deals", headers=AUTH).json()
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    server.api("hubspot").search_limit = RollingLimit(1, 1.0)
    codes = [httpx.post(f"{server.url}/crm/v3/objects/deals/search", json={}, headers=AUTH).status_code for _ in range(2)]
    assert codes == [200, 429]


def test_fault_429_and_5xx_use_hubspot_bodies(server):
    server.faults.add(Fault(api="hubspot", kind="429", retry_after=2))
    server.faults.add(Fault(api="hubspot", kind="502"))
    limited = httpx.get(f"{server.url}/crm/v3/objects/contacts", headers=AUTH)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json()["errorType"] == "RATE_LIMIT"
    failed = httpx.get(f"{server.url}/crm/v3/objects/contacts", headers=AUTH)
    assert failed.status_code == 502 and set(failed.json()) >= {"status", "message", "correlationId", "category"}


def _search(server, body, object_type="contacts"):
    return httpx.post(f"{server.url}/crm/v3/objects/{object_type}/search", json=body, headers=AUTH)


def test_search_filters_sorts_and_totals(server, generator):
    since, until = "2026-11-01T00:00:00.000Z", "2026-11-10T00:00:00.000Z"
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": since},
                                          {"propertyName": "lastmodifieddate", "operator": "LT", "value": until}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["email", "lastmodifieddate"], "limit": 200}
    answer = _search(server, body).json()
    want = sorted((c for c in unarchived(generator.store) if since <= c["properties"]["lastmodifieddate"] < until),
                  key=lambda c: (c["properties"]["lastmodifieddate"], int(c["id"])))
    assert answer["total"] == len(want) and [r["id"] for r in answer["results"]] == [c["id"] for c in want]
    deals = _search(server, {"filterGroups": [{"filters": [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700000000000"}]}]}, "deals").json()
    assert deals["total"] == len(unarchived(generator.store, "deals"))


def test_search_cannot_page_past_the_result_cap(server):
    server.api("hubspot").search_cap = 20
    assert _search(server, {"limit": 10, "after": "10"}).status_code == 200
    response = _search(server, {"limit": 10, "after": "15"})
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR" and "20 total results" in response.json()["message"]


def test_associations_v3_block_and_v4_batch_read(server, generator):
    data = hubspot_records(generator.store)
    deal = next(d for d in data.objects["deals"] if data.associated("deals", "contacts", d["id"]))
    got = httpx.get(f"{server.url}/crm/v3/objects/deals/{deal['id']}", params={"associations": "contacts,companies"},
                    headers=AUTH).json()
    assert [a["id"] for a in got["associations"]["contacts"]["results"]] == data.associated("deals", "contacts", deal["id"])
    batch = httpx.post(f"{server.url}/crm/v4/associations/deals/companies/batch/read",
                       json={"inputs": [{"id": deal["id"]}, {"id": "1"}]}, headers=AUTH)
    assert batch.status_code == 207 and batch.json()["numErrors"] == 1
    [result] = batch.json()["results"]
    assert [str(t["toObjectId"]) for t in result["to"]] == data.associated("deals", "companies", deal["id"])
    assert result["to"][0]["associationTypes"][0] == {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": None}
    single = httpx.get(f"{server.url}/crm/v4/objects/deals/{deal['id']}/associations/contacts", headers=AUTH).json()
    assert [str(r["toObjectId"]) for r in single["results"]] == data.associated("deals", "contacts", deal["id"])
    missing = httpx.get(f"{server.url}/crm/v3/objects/deals/1", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_official_client_pages_gets_all_and_parses_models(server, generator):
    """hubspot-api-client v12, pointed at the sandbox, reads it like the real API."""
    from hubspot import HubSpot
    from hubspot.crm.contacts import PublicObjectSearchRequest
    from hubspot.crm.contacts.models import SimplePublicObjectWithAssociations

    client = HubSpot(access_token=HUBSPOT_TOKEN, host=server.url)
    first = client.crm.contacts.basic_api.get_page(limit=7, properties=["email", "hs_analytics_source"])
    assert len(first.results) == 7 and first.paging.next.after
    second = client.crm.contacts.basic_api.get_page(limit=7, after=first.paging.next.after)
    assert int(second.results[0].id) > int(first.results[-1].id)

    everyone = client.crm.contacts.get_all(properties=["email", "lifecyclestage"])
    assert all(isinstance(c, SimplePublicObjectWithAssociations) for c in everyone)
    want = unarchived(generator.store)
    assert [c.id for c in everyone] == [c["id"] for c in want]
    assert [c.properties["email"] for c in everyone] == [c["properties"]["email"] for c in want]
    assert everyone[0].created_at.tzinfo is not None

    seen, after = [], None
    while True:
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "2000-01-01T00:00:00Z"}]}],
            sorts=["lastmodifieddate"], properties=["email", "lastmodifieddate"], limit=50, after=after)
        page = client.crm.contacts.search_api.do_search(public_object_search_request=request)
        assert page.total == len(want)
        seen += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    stamps = [c.properties["lastmodifieddate"] for c in seen]
    assert stamps == sorted(stamps) and sorted(c.id for c in seen) == sorted(c["id"] for c in want)

    deals = client.crm.deals.get_all(associations=["contacts", "companies"])
    assert len(deals) == len(unarchived(generator.store, "deals"))
    assert all(d.associations["companies"].results[0].type == "deal_to_company" for d in deals)
