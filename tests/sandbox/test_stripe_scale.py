"""The Stripe imitation serves a large store lazily: a page renders O(page) objects, not O(store).

Counts renders (``LazyStripeData.renders``), not time, so the tests prove the structure on a small
store: whatever the store's size, building the index renders nothing, and each request renders
about as many objects as it returns.
"""

from __future__ import annotations

import httpx
import pytest

from storeboard.sandbox import SandboxServer
from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.stripe_data import KINDS, LazyStripeData, build_stripe_data
from storeboard.sandbox.stripe_webhooks import events_since
from tests.conftest import make_generator

LIMIT = 10


@pytest.fixture(scope="module")
def server():
    generator = make_generator(orders=1500, days=60)
    with SandboxServer(generator.store, generator=generator) as server:
        yield server


def _get(server, path, params=None):
    response = httpx.get(f"{server.url}{path}", params=params, headers={"Authorization": f"Bearer {STRIPE_API_KEY}"})
    assert response.status_code == 200, response.text
    return response.json()


def _renders_of(server, path, params=None) -> tuple[dict, int]:
    data = server.api("stripe").data()
    before = data.renders
    body = _get(server, path, params)
    assert server.api("stripe").data() is data, "the store did not change while the test ran"
    return body, data.renders - before


def test_building_the_index_renders_nothing_and_keeps_no_objects():
    store = make_generator(orders=1500, days=60).store
    data = build_stripe_data(store)
    assert isinstance(data, LazyStripeData)
    assert data.renders == 0
    objects = sum(data.count(kind) for kind in KINDS)
    assert data.count("charges") > 1000 and objects > 4000
    # Two 8-byte integers per object and two per id: nothing that grows with an object's fields.
    index_bytes = sum(a.itemsize * len(a) for a in (*data._negated_created.values(), *data._refs.values(),
                                                     data._lookup_keys, data._lookup_entities))
    assert index_bytes <= 32 * objects


def test_a_page_renders_about_as_many_objects_as_it_returns(server):
    first, renders = _renders_of(server, "/v1/charges", {"limit": LIMIT})
    assert len(first["data"]) == LIMIT and first["has_more"] is True
    assert renders <= LIMIT + 1  # one more, to know has_more
    total = server.api("stripe").data().count("charges")
    assert total > 50 * LIMIT, "a store much larger than a page"

    second, renders = _renders_of(server, "/v1/charges", {"limit": LIMIT, "starting_after": first["data"][-1]["id"]})
    assert renders <= LIMIT + 1 + 2  # plus finding the cursor
    assert second["data"][0]["created"] <= first["data"][-1]["created"]

    back, renders = _renders_of(server, "/v1/charges", {"limit": LIMIT, "ending_before": second["data"][0]["id"]})
    assert [c["id"] for c in back["data"]] == [c["id"] for c in first["data"]]
    assert renders <= LIMIT + 1 + 2

    middle = first["data"][-1]["created"] - 20 * 86400
    dated, renders = _renders_of(server, "/v1/balance_transactions", {"limit": LIMIT, "created[lte]": middle})
    assert len(dated["data"]) == LIMIT and all(t["created"] <= middle for t in dated["data"])
    assert renders <= LIMIT + 1


def test_retrieve_and_expand_render_only_what_they_return(server):
    charge_id = _get(server, "/v1/charges", {"limit": 1})["data"][0]["id"]
    charge, renders = _renders_of(server, f"/v1/charges/{charge_id}", {"expand[]": ["balance_transaction", "customer"]})
    assert charge["id"] == charge_id and charge["balance_transaction"]["source"] == charge_id
    assert renders <= 3 + 2  # the charge, its transaction and customer, and an id-key collision or two at most

    response = httpx.get(f"{server.url}/v1/charges/ch_3doesnotexist000000000000",
                         headers={"Authorization": f"Bearer {STRIPE_API_KEY}"})
    assert response.status_code == 404


def test_every_id_is_found_at_its_place_in_its_list():
    store = make_generator(orders=300, days=40).store
    data = build_stripe_data(store)
    for kind in KINDS:
        listed = data.lists[kind]
        assert [o["created"] for o in listed] == sorted((o["created"] for o in listed), reverse=True)
        for position, obj in enumerate(listed):
            assert data.position(kind, obj["id"]) == position
            assert data.by_id[obj["id"]] == obj
        other = next(k for k in KINDS if k != kind)
        if listed:
            assert data.position(other, listed[0]["id"]) is None
    assert data.by_id.get("ch_3" + "0" * 23) is None and data.by_id.get("pm_x") is None


def test_webhook_events_since_render_only_the_events_asked_for():
    data = build_stripe_data(make_generator(orders=600, days=60).store)
    events = data.lists["events"]
    recent = events[len(events) // 2]["created"]
    for since in (0, recent, events[0]["created"], events[0]["created"] + 1):
        expected = [dict(e, api_version="2023-08-16") for e in reversed(events) if e["created"] >= since]
        before = data.renders
        assert events_since(data, since, "2023-08-16") == expected
        assert data.renders - before == len(expected)


def test_an_events_list_filtered_by_type_renders_only_matching_events(server):
    """A client that asks for one kind of change since its last run must not cost the sandbox a
    render of every other event in the range."""
    data = server.api("stripe").data()
    refunded = [i for i in range(data.count("events")) if data.event_type(i) == "charge.refunded"]
    assert refunded and len(refunded) < data.count("events") // 4
    body, renders = _renders_of(server, "/v1/events", {"limit": 100, "types[]": ["charge.refunded", "refund.updated"]})
    assert [e["type"] for e in body["data"]] == ["charge.refunded"] * min(100, len(refunded))
    assert renders <= min(100, len(refunded)) + 1
    wildcard, renders = _renders_of(server, "/v1/events", {"limit": 5, "type": "charge.ref*"})
    assert {e["type"] for e in wildcard["data"]} == {"charge.refunded"} and renders <= 6
