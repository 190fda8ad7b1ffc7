"""Google Ads responses as the official ``google-ads`` package builds them (its v23 messages,
serialised to proto3 JSON as the REST API sends them), and streams that fail part-way."""

from __future__ import annotations

import json

from google.ads.googleads.v23.enums.types.advertising_channel_type import AdvertisingChannelTypeEnum
from google.ads.googleads.v23.enums.types.conversion_action_category import ConversionActionCategoryEnum
from google.ads.googleads.v23.errors.types import errors as ads_errors
from google.ads.googleads.v23.errors.types.quota_error import QuotaErrorEnum
from google.ads.googleads.v23.services.types import google_ads_service
from google.protobuf import duration_pb2, json_format

from storeboard.sandbox import credentials as cred
from storeboard.sandbox.faults import Fault
from storeboard.sources.google_ads import settings as ads_settings
from storeboard.sources.google_ads.helpers import GoogleAdsClient, _failure, check_metrics, flatten_row
from tests.sources.google_ads.test_source import ads_settings_for


def _json(message) -> dict:
    return json.loads(json_format.MessageToJson(type(message).pb(message)))


def _row(**fields) -> dict:
    row = google_ads_service.GoogleAdsRow()
    row.customer.id = 4445556667
    row.customer.currency_code = "USD"
    row.campaign.id = 21000000105
    row.campaign.advertising_channel_type = AdvertisingChannelTypeEnum.AdvertisingChannelType.PERFORMANCE_MAX
    row.segments.date = "2026-10-06"
    if "cost" in fields:
        row.metrics.cost_micros = fields["cost"]
        row.metrics.impressions = 1200
    if "purchases" in fields:
        row.segments.conversion_action_category = ConversionActionCategoryEnum.ConversionActionCategory.PURCHASE
        row.metrics.conversions = fields["purchases"]
        row.metrics.conversions_value = fields["value"]
    return _json(row)


def test_a_performance_max_campaign_row_loads_with_its_purchases():
    metrics = flatten_row(_row(cost=12_340_000))
    purchases = flatten_row(_row(purchases=3.0, value=149.7))
    assert metrics["campaign_advertising_channel_type"] == "PERFORMANCE_MAX"
    assert purchases["conversion_action_category"] == "PURCHASE"
    record = check_metrics(dict(metrics, conversions=purchases["conversions"],
                                conversions_value=purchases["conversions_value"]), ("campaign_id",))
    assert (record["customer_id"], record["campaign_id"], record["cost_micros"], record["impressions"]) == (
        "4445556667", "21000000105", "12340000", "1200")
    assert (record["clicks"], record["conversions"], record["conversions_value"]) == ("0", "3.0", "149.7")
    assert record["attribution_window"] == ads_settings.ATTRIBUTION_WINDOW_NAME


def _failure_body() -> dict:
    error = ads_errors.GoogleAdsError()
    error.error_code.quota_error = QuotaErrorEnum.QuotaError.RESOURCE_TEMPORARILY_EXHAUSTED
    error.message = "Too many requests. Retry in 7 seconds."
    error.details.quota_error_details.retry_delay = duration_pb2.Duration(seconds=7)
    failure = ads_errors.GoogleAdsFailure(errors=[error])
    detail = {"@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure", **_json(failure)}
    return {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                      "status": "RESOURCE_EXHAUSTED", "details": [detail]}}


def test_a_stream_error_array_is_read_for_its_code_and_delay():
    batch = {"results": [_row(cost=1_000_000)], "fieldMask": "customer.id"}
    for body in ([_failure_body()], [batch, _failure_body()]):
        status, code, message, delay = _failure(body)
        assert (status, code, delay) == ("RESOURCE_EXHAUSTED", "quotaError.RESOURCE_TEMPORARILY_EXHAUSTED", 7.0)
        assert "Retry in 7 seconds" in message


def test_a_stream_that_fails_after_its_first_batch_is_read_again_whole(sandbox, monkeypatch):
    monkeypatch.setattr(ads_settings, "BACKOFF_FACTOR", 0.05)
    api = sandbox.api("google_ads")
    monkeypatch.setattr(api, "stream_batch_size", 5)
    s = ads_settings_for(sandbox.url)
    waits: list[float] = []
    client = GoogleAdsClient(s.base_url, s.token_url, None, s.client_id, cred.GOOGLE_CLIENT_SECRET,
                             cred.GOOGLE_REFRESH_TOKEN, s.login_customer_id, s.api_version, sleep=waits.append)
    query = ads_settings.CAMPAIGN_METRICS_QUERY.format(since="2026-09-01", until="2026-12-31")
    clean = [r for batch in client.rows(cred.GOOGLE_CUSTOMER_IDS[1], query) for r in batch]
    assert len(clean) > 10, "several batches"
    sandbox.faults.add(Fault(api="google_ads", kind="stream_error", count=2, path_contains="googleAds"))
    again = [r for batch in client.rows(cred.GOOGLE_CUSTOMER_IDS[1], query) for r in batch]
    assert sandbox.faults.fired[("google_ads", "stream_error")] == 2
    assert waits == [1.0, 1.0]  # the error element's retryDelay, twice
    assert again == clean  # not the first batch alone: the whole stream, read again
