"""HubSpot responses built with the official ``hubspot-api-client`` models (``SimplePublicObject``,
the list and search collections with their paging, the v4 association batch result) and
serialised by the client's own ``ApiClient`` (the models' ``attribute_map`` gives the wire names:
``createdAt``, ``updatedAt``, ``archivedAt``, ``paging.next.after``, ``toObjectId``), served by a
small local server instead of the sandbox, and loaded by the connector.

Every property value is a string or null (``properties: dict[str, str]``), and a property a user
cleared comes back as ``""``: a deal's ``amount`` and ``closedate`` among them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hubspot.crm.associations.v4 import models as association_models
from hubspot.crm.companies import models as company_models
from hubspot.crm.contacts import models as contact_models
from hubspot.crm.deals import ApiClient, models as deal_models
from pydantic import SecretStr

from storeboard import pipeline
from storeboard.config import Config, HubSpotSettings, SourcesSettings
from storeboard.sources.hubspot import settings as hubspot_settings
from storeboard.warehouse import Warehouse
from tests.sources.vendor_server import VendorServer

MODELS = {"contacts": contact_models, "companies": company_models, "deals": deal_models}
API = ApiClient()


def _at(day: int, hour: int, minute: int = 0, ms: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, 0, ms * 1000, tzinfo=UTC)


def _stamp(at: datetime) -> str:
    """A datetime property as HubSpot sends it (``2019-10-30T03:30:17.883Z``)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class Account:
    """The HubSpot records served, as the official models' fields (``created_at``, ``properties``…)."""

    def __init__(self):
        self.records: dict[str, dict[str, dict[str, Any]]] = {"contacts": {}, "companies": {}, "deals": {}}
        self.associations: dict[str, dict[str, list[str]]] = {"contacts": {}, "companies": {}}

    def put(self, object_type: str, record_id: str, created: datetime, modified: datetime, archived_at: datetime | None = None,
            **properties: str | None) -> None:
        prop = hubspot_settings.MODIFIED_PROPERTY[object_type]
        props = {"hs_object_id": record_id, "createdate": _stamp(created), prop: _stamp(modified), **properties}
        self.records[object_type][record_id] = {
            "id": record_id, "properties": props, "created_at": created, "updated_at": modified,
            "archived": archived_at is not None, "archived_at": archived_at}

    def model(self, object_type: str, record: dict[str, Any], kind: str, asked: list[str]) -> Any:
        """``SimplePublicObject`` (search) or ``SimplePublicObjectWithAssociations`` (lists) with the
        properties asked for: unset ones null, HubSpot's default ones always there."""
        prop = hubspot_settings.MODIFIED_PROPERTY[object_type]
        names = dict.fromkeys([*asked, "hs_object_id", "createdate", prop])
        properties = {n: record["properties"].get(n) for n in names}
        return getattr(MODELS[object_type], kind)(**dict(record, properties=properties))


def _wire(model: Any) -> Any:
    """The JSON HubSpot sends for ``model``: the official client's serialisation (wire names)."""
    return json.loads(json.dumps(API.sanitize_for_serialization(model)))


def _parsed(object_type: str, body: Any, kind: str) -> Any:
    """``body`` read back by the official client into model ``kind``."""
    from hubspot.crm.contacts import ApiClient as ContactsClient

    client = ContactsClient() if object_type == "contacts" else API
    return client.deserialize(SimpleNamespace(data=json.dumps(body)), kind)


class HubSpot:
    """Answers the connector's CRM reads: object lists (``archived``, ``after``), search (a GTE
    filter and a sort on the modified property, ``after`` offsets), v4 association batch reads."""

    def __init__(self, account: Account):
        self.account = account
        self.searches: list[tuple[str, dict]] = []
        self.bodies: list[tuple[str, Any, str]] = []  # (object_type, served body, official model name)

    def __call__(self, method, path, params, body):
        parts = path.strip("/").split("/")
        if parts[:2] == ["crm", "associations"] and method == "POST":
            return 200, self._associations(parts[4], body)
        if parts[:3] != ["crm", "objects", hubspot_settings.API_VERSION] or parts[3] not in self.account.records:
            return 404, {"status": "error", "message": "Not found", "category": "OBJECT_NOT_FOUND"}
        object_type = parts[3]
        if len(parts) == 5 and parts[4] == "search" and method == "POST":
            return 200, self._search(object_type, body)
        if len(parts) == 4 and method == "GET":
            return 200, self._list(object_type, {k: v[-1] for k, v in params.items()})
        return 405, {"status": "error", "message": f"{method} {path}", "category": "VALIDATION_ERROR"}

    def _list(self, object_type: str, params: dict[str, str]) -> Any:
        archived = params.get("archived") == "true"
        records = sorted((r for r in self.account.records[object_type].values() if r["archived"] is archived),
                         key=lambda r: int(r["id"]))
        start, limit = int(params.get("after") or 0), int(params["limit"])
        models = MODELS[object_type]
        page = models.CollectionResponseSimplePublicObjectWithAssociationsForwardPaging(results=[
            self.account.model(object_type, r, "SimplePublicObjectWithAssociations", params["properties"].split(","))
            for r in records[start:start + limit]])
        if start + limit < len(records):
            page.paging = models.ForwardPaging(next=models.NextPage(after=str(start + limit), link="?after="))
        served = _wire(page)
        self.bodies.append((object_type, served, "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging"))
        return served

    def _search(self, object_type: str, body: dict) -> Any:
        self.searches.append((object_type, body))
        prop = hubspot_settings.MODIFIED_PROPERTY[object_type]
        records = [r for r in self.account.records[object_type].values() if not r["archived"]]
        for group in body.get("filterGroups") or []:
            for rule in group["filters"]:
                assert (rule["propertyName"], rule["operator"]) == (prop, "GTE"), rule
                since = datetime.fromisoformat(rule["value"].replace("Z", "+00:00"))
                records = [r for r in records if r["updated_at"] >= since]
        [sort] = body["sorts"]
        records.sort(key=lambda r: (r["updated_at"], int(r["id"])), reverse=sort["direction"] == "DESCENDING")
        start, limit = int(body.get("after") or 0), int(body["limit"])
        models = MODELS[object_type]
        page = models.CollectionResponseWithTotalSimplePublicObjectForwardPaging(total=len(records), results=[
            self.account.model(object_type, r, "SimplePublicObject", body["properties"])
            for r in records[start:start + limit]])
        if start + limit < len(records):
            page.paging = models.ForwardPaging(next=models.NextPage(after=str(start + limit)))
        served = _wire(page)
        self.bodies.append((object_type, served, "CollectionResponseWithTotalSimplePublicObjectForwardPaging"))
        return served

    def _associations(self, to_type: str, body: dict) -> Any:
        found = self.account.associations[to_type]
        type_id = {"contacts": 3, "companies": 341}[to_type]  # HubSpot's default deal_to_<type> ids
        results = [association_models.PublicAssociationMultiWithLabel(
            _from=association_models.PublicObjectId(id=i["id"]),
            to=[association_models.MultiAssociatedObjectWithLabel(
                to_object_id=t, association_types=[association_models.AssociationSpecWithLabel(
                    category="HUBSPOT_DEFINED", type_id=type_id, label=None)]) for t in found[i["id"]]])
            for i in body["inputs"] if found.get(i["id"])]
        return _wire(association_models.BatchResponsePublicAssociationMultiWithLabel(
            status="COMPLETE", results=results, started_at=_at(20, 15), completed_at=_at(20, 15)))


def _account() -> Account:
    account = Account()
    account.put("contacts", "151", _at(2, 9, 5, 120), _at(18, 10, 0, 883), email="Jenny.Rosen@Example.com",
                firstname="Jenny", lastname="Rosen", phone="", company="Rosen GmbH", lifecyclestage="customer",
                hs_analytics_source="PAID_SOCIAL", hs_analytics_source_data_1="Facebook",
                hs_analytics_source_data_2=None)
    account.put("contacts", "152", _at(3, 11), _at(19, 8, 30, 17), archived_at=_at(19, 8, 30, 17),
                email="old.lead@example.com", lifecyclestage="lead")
    account.put("companies", "9001", _at(1, 8), _at(17, 14, 2, 650), name="Rosen GmbH", domain="rosen.example",
                industry="RETAIL", lifecyclestage="customer")
    account.put("deals", "5836118337", _at(4, 10), _at(18, 16, 24, 355), dealname="Rosen GmbH - winter order",
                amount="1250.5", deal_currency_code="EUR", dealstage="closedwon", pipeline="default",
                closedate=_stamp(_at(18, 16, 24, 11)))
    # amount and close date cleared by a user: HubSpot sends "" for each
    account.put("deals", "5836118338", _at(5, 12), _at(19, 9, 1, 2), dealname="Rosen GmbH - spring order",
                amount="", deal_currency_code="EUR", dealstage="appointmentscheduled", pipeline="default",
                closedate="")
    account.associations["contacts"]["5836118337"] = ["151"]
    account.associations["companies"]["5836118337"] = ["9001"]
    account.associations["companies"]["5836118338"] = ["9001"]
    return account


def test_the_served_json_is_what_the_official_client_reads():
    account = _account()
    server = HubSpot(account)
    server("GET", f"/crm/objects/{hubspot_settings.API_VERSION}/deals", {
        "limit": ["1"], "properties": [",".join(hubspot_settings.PROPERTIES["deals"])], "archived": ["false"]}, None)
    server("POST", f"/crm/objects/{hubspot_settings.API_VERSION}/contacts/search", {}, {
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": hubspot_settings.PROPERTIES["contacts"], "limit": 5, "after": "0"})
    (_, listed, list_kind), (_, searched, search_kind) = server.bodies
    deal = listed["results"][0]
    assert set(deal) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert (deal["archived"], listed["paging"]["next"]["after"]) == (False, "1")
    assert deal["createdAt"] == "2026-11-04T10:00:00+00:00", "a datetime as the client writes it"
    assert deal["properties"]["hs_lastmodifieddate"] == "2026-11-18T16:24:00.355Z"
    parsed = _parsed("deals", listed, list_kind)
    assert parsed.results[0].updated_at == _at(18, 16, 24, 355) and parsed.paging.next.after == "1"
    assert parsed.results[0].properties["amount"] == "1250.5"
    contacts = _parsed("contacts", searched, search_kind)
    assert contacts.total == 1 and contacts.results[0].properties["phone"] == ""
    assert contacts.results[0].properties["hs_analytics_source_data_2"] is None


@pytest.fixture
def run(tmp_path):
    account = _account()
    server = HubSpot(account)
    with VendorServer(server) as served:
        config = Config(warehouse=SecretStr("duckdb:///hubspot.duckdb"), base_dir=tmp_path, sources=SourcesSettings(
            hubspot=HubSpotSettings(access_token=SecretStr("pat-eu1-vendor-shapes"), base_url=served.url,
                                    page_size=1, start_date="2026-11-01T00:00:00Z")))
        yield config, account, server, lambda: pipeline.extract_load(config, "hubspot")


def _query(config, sql: str) -> list[dict]:
    with Warehouse.from_config(config).connect(read_only=True) as conn:
        return conn.query(sql)


def _no_quarantine(config) -> bool:
    return _query(config, "select count(*) as n from information_schema.tables "
                          "where table_schema = 'raw_hubspot' and table_name = 'quarantine'")[0]["n"] == 0


def test_a_backfill_loads_the_official_shapes_with_cleared_properties_as_null(run):
    config, _, server, load = run
    assert load() > 0
    assert _no_quarantine(config)
    deals = {r["id"]: r for r in _query(config, "select * from raw_hubspot.deals")}
    won, cleared = deals["5836118337"], deals["5836118338"]
    assert (won["properties__amount"], won["properties__deal_currency_code"], won["properties__dealstage"]) == (
        "1250.5", "EUR", "closedwon")
    assert won["properties__closedate"] == "2026-11-18T16:24:00.011Z"
    assert (cleared["properties__amount"], cleared["properties__closedate"]) == (None, None)
    assert (cleared["properties__dealname"], cleared["archived"]) == ("Rosen GmbH - spring order", False)
    assert cleared["created_at"] == _at(5, 12) and cleared["updated_at"] == _at(19, 9, 1, 2)
    contacts = {r["id"]: r for r in _query(config, "select * from raw_hubspot.contacts")}
    jenny, gone = contacts["151"], contacts["152"]
    assert (jenny["properties__email"], jenny["properties__phone"], jenny["properties__hs_analytics_source"]) == (
        "Jenny.Rosen@Example.com", None, "PAID_SOCIAL")
    assert (jenny["archived"], gone["archived"], gone["archived_at"]) == (False, True, _at(19, 8, 30, 17))
    assert {(r["deal_id"], r["contact_id"]) for r in _query(config, "select * from raw_hubspot.deals__contacts")} == {
        ("5836118337", "151")}
    assert {(r["deal_id"], r["company_id"]) for r in _query(config, "select * from raw_hubspot.deals__companies")} == {
        ("5836118337", "9001"), ("5836118338", "9001")}
    [company] = _query(config, "select id, properties__name, properties__domain from raw_hubspot.companies")
    assert company == {"id": "9001", "properties__name": "Rosen GmbH", "properties__domain": "rosen.example"}
    assert any(body.get("paging") for _, body, _ in server.bodies), "read in pages of one"


def test_search_loads_a_cleared_deal_and_the_cursor_moves_on(run):
    config, account, server, load = run
    load()
    # A user clears the won deal's amount and close date; another deal is created.
    account.put("deals", "5836118337", _at(4, 10), _at(20, 11, 0, 500), dealname="Rosen GmbH - winter order",
                amount="", deal_currency_code="EUR", dealstage="closedwon", pipeline="default", closedate="")
    account.put("deals", "5836118399", _at(20, 11, 5), _at(20, 11, 5, 250), dealname="Walk-in order",
                amount="89.9", deal_currency_code="EUR", dealstage="closedwon", pipeline="default",
                closedate=_stamp(_at(20, 11, 5)))
    assert load() == 2
    assert _no_quarantine(config)
    deals = {r["id"]: r for r in _query(config, "select * from raw_hubspot.deals")}
    assert len(deals) == 3
    assert (deals["5836118337"]["properties__amount"], deals["5836118337"]["properties__closedate"]) == (None, None)
    assert deals["5836118337"]["updated_at"] == _at(20, 11, 0, 500)
    assert (deals["5836118399"]["properties__amount"], deals["5836118399"]["archived"]) == ("89.9", False)
    # the next run searches from the newest modified date and loads nothing again
    server.searches.clear()
    assert load() == 0
    deal_searches = [b for t, b in server.searches if t == "deals" and b.get("filterGroups")]
    assert deal_searches and deal_searches[0]["filterGroups"][0]["filters"][0]["value"] == "2026-11-20T11:05:00.250Z"


def test_dates_with_and_without_milliseconds_order_by_time(run):
    """HubSpot's datetime properties may come with or without milliseconds. `…:12Z` sorts after
    `…:12.500Z` as text but is half a second earlier: the cursor must take the later instant, or
    the next run re-reads the later deal forever."""
    config, account, server, load = run
    load()
    account.put("deals", "5836118401", _at(20, 11, 5), _at(20, 11, 5) + timedelta(seconds=12, milliseconds=500),
                dealname="Later, with milliseconds", amount="10", deal_currency_code="EUR", dealstage="closedwon",
                pipeline="default", closedate=None)
    account.put("deals", "5836118402", _at(20, 11, 5), _at(20, 11, 5) + timedelta(seconds=12),
                dealname="Earlier, without", amount="20", deal_currency_code="EUR", dealstage="closedwon",
                pipeline="default", closedate=None, hs_lastmodifieddate="2026-11-20T11:05:12Z")
    assert load() == 2
    server.searches.clear()
    assert load() == 0, "nothing changed since: nothing is read again"
    deal_searches = [b for t, b in server.searches if t == "deals" and b.get("filterGroups")]
    assert deal_searches[0]["filterGroups"][0]["filters"][0]["value"] == "2026-11-20T11:05:12.500Z"
