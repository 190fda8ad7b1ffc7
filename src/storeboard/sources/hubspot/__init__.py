"""HubSpot source: contacts, companies and deals (with their contact and company associations).

Loads into ``raw_hubspot``: ``contacts``, ``companies`` and ``deals``, merged by ``id``, each
incremental on its last-modified property (contacts ``lastmodifieddate``, companies and deals
``hs_lastmodifieddate``) through the CRM search endpoint, oldest first. Search pages stop at
HubSpot's 10,000-result cap, and the query restarts from the last modified date seen (the window
moves). The cursor lives in dlt's resource state in the warehouse, moves only once the data is
committed; a malformed record is kept whole in ``raw_hubspot.quarantine`` and does not hold it
(``storeboard run --replay-quarantine`` loads it after a fix). A property a user cleared comes
back as ``""`` (HubSpot CRM API: clearing a value means setting it to an empty string): it is
loaded as null, like a property never set.

The first load (no cursor yet) reads the list endpoints instead: search allows 5 requests per
second for the whole account, lists share the general budget (100-190 per ten seconds) and send
100 records a page, so a backfill takes about half as long. Lists come in id order, so the cursor
after a backfill is the newest modified date that one search saw just before it started: records
changed while the lists were read are read again by the next run's search (and merged).

Search never returns archived (deleted) records, so each run also lists the archived ones and
loads those it has not seen archived before, with ``archived = true`` and ``archived_at``: they
are flagged, not removed. Deals carry child tables ``deals__contacts`` (``deal_id``,
``contact_id``) and ``deals__companies`` (``deal_id``, ``company_id``), replaced with their deal.
Records reach dlt as Arrow tables of the columns in ``tables.py``.

Every property value is a string as HubSpot sends it; timestamps are ISO 8601 UTC; deal amounts
are decimal strings in ``deal_currency_code``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import dlt

from storeboard.config import HubSpotSettings
from storeboard.sources.arrow_tables import BATCH_ROWS, nested_items
from storeboard.sources.hubspot import settings as hubspot_settings
from storeboard.sources.hubspot.helpers import HubSpotClient, _stamp, check_record, cleared_as_null
from storeboard.sources.hubspot.tables import DEAL_ASSOCIATIONS, SHAPES
from storeboard.sources.quarantine import RecordProblem, quarantined

__all__ = ["check", "client_for", "items_for", "source"]

_ID_COLUMN = {"contacts": "contact_id", "companies": "company_id"}


def client_for(settings: HubSpotSettings) -> HubSpotClient:
    """A client configured from the ``sources.hubspot`` block."""
    return HubSpotClient(
        settings.base_url,
        settings.access_token.get_secret_value(),
        page_size=settings.page_size,
        max_attempts=settings.max_attempts,
    )


@dlt.source(name="hubspot")
def source(settings: HubSpotSettings, client: HubSpotClient | None = None) -> Any:
    """The HubSpot dlt source.

    Args:
        settings: the ``sources.hubspot`` config block (base URL, token, start date, page size).
        client: a ready client (tests pass one with a small search cap); default: from ``settings``.

    Returns:
        The ``contacts``, ``companies`` and ``deals`` resources. They are read side by side
        (``parallelized``): each list pages one request at a time, so a backfill of hundreds of
        thousands of contacts is bound by the round trip, not by HubSpot's budget; deals and
        companies no longer wait behind it.
    """
    client = client or client_for(settings)

    @dlt.resource(name="contacts", write_disposition="merge", primary_key="id", parallelized=True)
    def contacts() -> Iterator[Any]:
        """Contacts modified since the cursor: email (as typed: normalise before joining), phone,
        lifecycle stage, original source (``hs_analytics_source`` and its drill-downs), create and
        modified dates (UTC); archived contacts flagged."""
        yield from _incremental(client, "contacts", settings.start_date)

    @dlt.resource(name="companies", write_disposition="merge", primary_key="id", parallelized=True)
    def companies() -> Iterator[Any]:
        """Companies modified since the cursor: name, domain, industry, dates (UTC)."""
        yield from _incremental(client, "companies", settings.start_date)

    @dlt.resource(name="deals", write_disposition="merge", primary_key="id", parallelized=True)
    def deals() -> Iterator[Any]:
        """Deals modified since the cursor: name, amount (decimal string in ``deal_currency_code``),
        stage, pipeline, close date, with their associated contact and company ids."""
        yield from _incremental(client, "deals", settings.start_date, lambda page: _with_associations(client, page))

    return contacts, companies, deals


def items_for(settings: HubSpotSettings, object_type: str, records: list[dict[str, Any]]) -> Iterator[Any]:
    """The dlt items that load checked ``records`` of ``object_type`` as a run does (deals with
    their associations read now), without moving any cursor; the quarantine replay loads
    through this."""
    if object_type == "deals":
        records = _with_associations(client_for(settings), records)
    yield from _Converter(object_type, tombstones=True).tables([records] if records else [])


def check(settings: HubSpotSettings) -> str:
    """One cheap authenticated call; returns a one-line description of the account's contacts."""
    client = client_for(settings)
    return f"HubSpot at {client.base_url}: {client.total('contacts'):,} contacts readable"


def _with_associations(client: HubSpotClient, deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [d["id"] for d in deals]
    for to_type in hubspot_settings.DEAL_ASSOCIATIONS:
        found = client.associations("deals", to_type, ids)
        for deal in deals:
            deal[to_type] = [{"deal_id": deal["id"], _ID_COLUMN[to_type]: t} for t in found.get(deal["id"], [])]
    return deals


def _incremental(client: HubSpotClient, object_type: str, start: str,
                 enrich: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> Iterator[Any]:
    """Yield the tables of newly archived records, then of records modified since the cursor.

    The search is inclusive (``GTE``): records already loaded at the cursor's instant are skipped.
    A malformed record is quarantined whole and the cursor moves past it like past any other.
    """
    state = dlt.current.resource_state()
    prop = hubspot_settings.MODIFIED_PROPERTY[object_type]
    backfill = "modified_cursor" not in state
    since = state.get("modified_cursor", start)
    seen_at_cursor = set(state.get("ids_at_cursor", []))
    archived_seen: dict[str, str] = state.setdefault("archived", {})
    # Stamps are compared as instants, never as text: HubSpot may write a date with or without
    # milliseconds (``…:12Z`` and ``…:12.500Z``), and text order then disagrees with time order.
    newest, ids_at_newest = since, set(seen_at_cursor)
    since_at = _instant(since)
    # Tombstones replace a deal's associations with none; a backfill writes new tables.
    convert = _Converter(object_type, tombstones=not backfill)
    archived: list[dict[str, Any]] = []
    yield from _newly_archived(client, object_type, archived_seen, archived)
    # their dates do not move the cursor, so neither does a misfit among them
    yield from _Converter(object_type, tombstones=not backfill).tables([archived] if archived else [])
    if backfill:
        # Taken before the lists are read: anything modified later has a later date.
        mark, ids_at_mark = client.newest_modified(object_type), set()
        pages, start_at = client.iter_list(object_type), _instant(start)
    else:
        pages = client.search_modified_since(object_type, since)
    batch: list[dict[str, Any]] = []
    for page in pages:
        good = []
        for record in map(cleared_as_null, page):
            stamp = _stamp(record, prop)
            stamp_at = _instant(stamp) if stamp is not None else None
            if stamp_at == since_at and record.get("id") in seen_at_cursor:
                continue
            if backfill and stamp_at is not None and stamp_at < start_at:
                continue  # search would not return it: modified before start_date
            try:
                check_record(object_type, record)
            except RecordProblem as problem:
                yield quarantined(object_type, record, problem)
                loadable = False
            else:
                loadable = True
            # A quarantined record moves the cursor like a loaded one: it is kept in quarantine.
            if stamp is not None and isinstance(record.get("id"), str):
                if backfill and mark is not None and stamp_at == _instant(mark):
                    ids_at_mark.add(record["id"])
                if stamp_at > _instant(newest):
                    newest, ids_at_newest = stamp, set()
                if stamp_at == _instant(newest):
                    ids_at_newest.add(record["id"])
            if loadable:
                archived_seen.pop(record["id"], None)
                good.append(record)
        if good:
            batch.extend(enrich(good) if enrich else good)
        if len(batch) >= BATCH_ROWS:
            yield from convert.tables([batch])
            batch = []
        # Nothing yet while a batch fills: dlt's round robin then reads the other objects' pages.
        yield None
    if batch:
        yield from convert.tables([batch])
    if backfill and mark is not None and _instant(mark) < _instant(newest):
        newest, ids_at_newest = mark, ids_at_mark  # changed during the backfill: search from the mark
    state["modified_cursor"], state["ids_at_cursor"] = newest, sorted(ids_at_newest)


class _Converter:
    """Turns batches of checked records into Arrow tables, quarantining those that do not fit
    their columns."""

    def __init__(self, object_type: str, tombstones: bool):
        self.object_type, self.tombstones = object_type, tombstones

    def tables(self, batches: list[list[dict[str, Any]]]) -> Iterator[Any]:
        for batch in batches:
            children = DEAL_ASSOCIATIONS if self.object_type == "deals" else ()
            items, problems = nested_items(SHAPES[self.object_type], children, batch, self.tombstones)
            for record, problem in problems:
                yield quarantined(self.object_type, record, problem)
            yield from items


def _newly_archived(client: HubSpotClient, object_type: str, archived_seen: dict[str, str],
                    fresh: list[dict[str, Any]]) -> Iterator[Any]:
    """Collect in ``fresh`` the archived records not loaded as archived before (``archived_seen``:
    id -> archivedAt); yield the quarantine rows of malformed ones."""
    for page in client.iter_list(object_type, archived=True):
        for record in map(cleared_as_null, page):
            try:
                check_record(object_type, record)
            except RecordProblem as problem:
                yield quarantined(object_type, record, problem)
                continue
            stamp = str(record.get("archivedAt") or record["updatedAt"])
            if archived_seen.get(record["id"]) != stamp:
                archived_seen[record["id"]] = stamp
                fresh.append(record)


def _instant(stamp: str) -> datetime:
    """An ISO 8601 timestamp (``Z``, an offset, or none: UTC) as an aware datetime."""
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
