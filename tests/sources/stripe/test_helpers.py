"""The Stripe client over HTTP against the sandbox: paging, versions, errors."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from storeboard.config import StripeSettings
from storeboard.errors import SourceAuthError, SourceError
from storeboard.sandbox.credentials import STRIPE_API_KEY
from storeboard.sandbox.stripe import STRIPE_RESTRICTED_KEY
from storeboard.sources import stripe as stripe_source
from storeboard.sources.quarantine import RecordProblem
from storeboard.sources.stripe.helpers import StripeClient, check_record, describe_key, to_epoch
from storeboard.sources.stripe.settings import RESOURCES


def test_pages_newest_first_and_reads_everything_once(sandbox, stripe_api):
    client = StripeClient(STRIPE_API_KEY, sandbox.url, page_size=30)
    pages = list(client.iter_pages("balance_transactions"))
    ids = [o["id"] for page in pages for o in page]
    assert len(pages) > 5 and all(len(p) <= 30 for p in pages)
    assert ids == [o["id"] for o in stripe_api.data().lists["balance_transactions"]]


def test_created_window_is_inclusive(sandbox, stripe_api):
    charges = stripe_api.data().lists["charges"]
    pivot = charges[20]["created"]
    client = StripeClient(STRIPE_RESTRICTED_KEY, sandbox.url)
    got = [o["id"] for page in client.iter_pages("charges", pivot) for o in page]
    assert got == [c["id"] for c in charges if c["created"] >= pivot]


def test_stripe_version_is_sent_when_configured(sandbox):
    pinned = StripeClient(STRIPE_API_KEY, sandbox.url, api_version="2026-09-30.endive")
    pinned.get("/v1/customers", {"limit": 1})
    assert pinned.served_version == "2026-09-30.endive"
    default = StripeClient(STRIPE_API_KEY, sandbox.url)
    default.get("/v1/customers", {"limit": 1})
    assert default.served_version == "2023-08-16"


def test_bad_version_is_a_source_error_naming_the_setting(sandbox):
    with pytest.raises(SourceError) as info:
        StripeClient(STRIPE_API_KEY, sandbox.url, api_version="yesterday").get("/v1/charges")
    assert "api_version" in str(info.value) and "Invalid Stripe API version" in str(info.value)


def test_rejected_key_raises_auth_error_naming_the_fix(sandbox):
    with pytest.raises(SourceAuthError) as info:
        StripeClient("rk_live_nope_4321", sandbox.url).get("/v1/charges")
    assert "STRIPE_API_KEY" in str(info.value) and "4321" not in str(info.value) and "\n" not in str(info.value)


def test_unreachable_api_is_a_source_error():
    with pytest.raises(SourceError) as info:
        StripeClient(STRIPE_API_KEY, "http://127.0.0.1:9", max_attempts=1).get("/v1/charges")
    assert "could not be reached" in str(info.value) and info.value.source == "stripe"


def test_check_describes_the_access_without_the_key(sandbox):
    line = stripe_source.check(StripeSettings(api_key=SecretStr(STRIPE_RESTRICTED_KEY), base_url=sandbox.url))
    assert line.startswith("Stripe live restricted key accepted by") and "latest charge" in line
    assert STRIPE_RESTRICTED_KEY not in line and "\n" not in line


@pytest.mark.parametrize("record, field", [
    ({"id": None, "created": 1, "amount": 1, "currency": "usd"}, "id"),
    ({"id": "ch_1", "created": "2024-01-01", "amount": 1, "currency": "usd"}, "created"),
    ({"id": "ch_1", "created": 1, "amount": "10.00", "currency": "usd"}, "amount"),
    ({"id": "ch_1", "created": 1, "amount": True, "currency": "usd"}, "amount"),
    ({"id": "ch_1", "created": 1, "amount": 100, "currency": None}, "currency"),
], ids=["no-id", "created-string", "amount-string", "amount-bool", "no-currency"])
def test_check_record_names_the_bad_field(record, field):
    charges = next(r for r in RESOURCES if r.name == "charges")
    with pytest.raises(RecordProblem) as info:
        check_record(charges, record)
    assert info.value.field == field


def test_small_helpers():
    assert to_epoch("2000-01-01T00:00:00Z") == 946684800
    assert to_epoch("2024-01-01") == 1704067200
    assert describe_key("sk_test_abc") == "test secret key"
