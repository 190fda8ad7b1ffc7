"""The HubSpot client over HTTP against the sandbox: search windows past the cap, pacing, errors."""

from __future__ import annotations

import pytest

from storeboard.errors import SourceError
from storeboard.sandbox.credentials import HUBSPOT_TOKEN
from storeboard.sandbox.hubspot_data import hubspot_records
from storeboard.sources.hubspot.helpers import HubSpotClient


def test_search_moves_its_window_at_the_result_cap(sandbox, generator):
    sandbox.api("hubspot").search_cap = 30
    client = HubSpotClient(sandbox.url, HUBSPOT_TOKEN, page_size=10, search_cap=30, search_interval=0.2)
    records = [r for page in client.search_modified_since("contacts", "2000-01-01T00:00:00Z") for r in page]
    want = [c["id"] for c in hubspot_records(generator.store).objects["contacts"] if not c["archived"]]
    assert client.window_moves >= len(want) // 30 - 1 > 0
    assert sorted(r["id"] for r in records) == sorted(want), "every contact exactly once"
    stamps = [r["properties"]["lastmodifieddate"] for r in records]
    assert stamps == sorted(stamps)


def test_search_calls_are_spaced_to_five_per_second(sandbox):
    waits: list[float] = []
    client = HubSpotClient(sandbox.url, HUBSPOT_TOKEN, page_size=50, sleep=waits.append)
    list(client.search_modified_since("contacts", "2000-01-01T00:00:00Z"))
    assert waits and all(0 < w <= 0.21 for w in waits)


def test_waits_for_the_ten_second_window_when_another_app_spent_the_budget(sandbox):
    from storeboard.sandbox.hubspot import RollingLimit

    limit = sandbox.api("hubspot").limit = RollingLimit(20, 10.0)
    for _ in range(18):  # another app of the account
        limit.take()
    waits: list[float] = []
    client = HubSpotClient(sandbox.url, HUBSPOT_TOKEN, page_size=100, sleep=waits.append)
    next(client.iter_list("contacts"))
    assert waits == [10.0], "paused instead of running into a 429"


def test_keeps_to_the_budget_the_account_has(sandbox):
    from storeboard.sandbox.hubspot import RollingLimit

    sandbox.api("hubspot").limit = RollingLimit(50, 10.0)
    client = HubSpotClient(sandbox.url, HUBSPOT_TOKEN, page_size=100)
    assert client._budget.limit == 98  # HubSpot's smallest budget, less the margin, until told
    next(client.iter_list("contacts"))
    assert (client._budget.limit, client._budget.span) == (48, 10.5)  # X-HubSpot-RateLimit-Max: 50


def test_bad_request_error_names_hubspot_category_and_correlation_id(sandbox):
    sandbox.api("hubspot").search_cap = 5
    client = HubSpotClient(sandbox.url, HUBSPOT_TOKEN, page_size=10, search_cap=10_000, max_attempts=1)
    with pytest.raises(SourceError) as info:
        list(client.search_modified_since("contacts", "2000-01-01T00:00:00Z"))
    assert "HTTP 400" in str(info.value) and "VALIDATION_ERROR" in str(info.value) and "correlationId" in str(info.value)
