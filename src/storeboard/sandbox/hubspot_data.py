"""HubSpot CRM records derived from the core store: what the HubSpot imitation serves.

Everything is a deterministic function of the store (same seed, same records), cached by
``store.revision``:

- **Contacts**: about 88% of Shopify customers with an email become a contact (id
  ``100001 + 2 × customer index``). Some emails differ in letter case or carry surrounding spaces,
  as hand-typed CRM data does; some contacts have a phone (E.164 or formatted). The
  ``hs_analytics_source`` follows the customer's acquisition channel (meta → ``PAID_SOCIAL``,
  google → ``PAID_SEARCH``, email → ``EMAIL_MARKETING``, organic → ``ORGANIC_SEARCH``, direct →
  ``DIRECT_TRAFFIC``). ``createdate`` is up to three days before the first order;
  ``lastmodifieddate`` follows the customer's last activity, so a repeat order modifies the contact.
  About 2% are archived.
- **HubSpot-only contacts**: one lead for every ninth customer (id ``100002 + 2 × index``), never a
  buyer (lifecycle ``subscriber``, ``lead`` or ``marketingqualifiedlead``).
- **Companies**: a wholesale account for every 25th customer (id ``9000000 + index``), associated
  with that customer's contact, each with one to three **deals** (id ``20000000 + 4 × index + k``)
  associated with the company and the contact.

Every timestamp is at or before the anchoring customer's own timestamps, so nothing is dated after
the store's history. Property values are strings, timestamps ISO 8601 UTC with milliseconds.

Tests change records with ``edit_contact`` (kept in ``store.extras["hubspot_edits"]``). When
``store.extras["hubspot"]`` is set it is served instead of derived records: a dict with
``contacts``, ``companies`` and ``deals`` lists of HubSpot objects (``id``, ``properties``,
``createdAt``, ``updatedAt``, ``archived``; deals may carry ``associations`` as
``{"contacts": [ids], "companies": [ids]}``), see docs/sandbox/hubspot.md.
"""

from __future__ import annotations

import copy
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storeboard.sandbox.store import Customer, Store, money

OBJECT_TYPES = ("contacts", "companies", "deals")
#: The property each object type's last-modified date lives in.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
#: Properties returned when a request names none (HubSpot's default set per object type).
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"),
}
CHANNEL_SOURCE = {
    "meta": ("PAID_SOCIAL", "Facebook", "northwind-prospecting"),
    "google": ("PAID_SEARCH", "google", "brand-exact"),
    "email": ("EMAIL_MARKETING", "klaviyo", "newsletter"),
    "organic": ("ORGANIC_SEARCH", "google", None),
    "direct": ("DIRECT_TRAFFIC", None, None),
}
#: HubSpot-defined association type ids (v4) and the v3 type labels.
ASSOCIATION_TYPES = {
    ("deals", "contacts"): (3, "deal_to_contact"),
    ("deals", "companies"): (5, "deal_to_company"),
    ("contacts", "companies"): (1, "contact_to_company"),
    ("companies", "contacts"): (2, "company_to_contact"),
    ("contacts", "deals"): (4, "contact_to_deal"),
    ("companies", "deals"): (6, "company_to_deal"),
}
CONTACT_SHARE = 0.88
ARCHIVED_SHARE = 0.02
LEAD_EVERY, COMPANY_EVERY, COMPANY_OFFSET = 9, 25, 3
COMPANY_SUFFIXES = ("Boutique", "Supply Co.", "Outfitters", "Trading", "Home & Co.", "General Store")
DEAL_STAGES = ("closedwon", "closedwon", "closedwon", "closedlost", "contractsent", "qualifiedtobuy")
#: Share of deals whose amount a user cleared (served as ``""``).
CLEARED_AMOUNT_SHARE = 0.04


def hs_time(dt: datetime) -> str:
    """HubSpot's timestamp format: ISO 8601 UTC with milliseconds and ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 timestamp or epoch milliseconds (both accepted by HubSpot filters)."""
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class HubSpotData:
    """All records by object type, each list sorted by numeric id, plus associations."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: (from type, to type) -> from id -> [to ids]
    associations: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    #: unique per build, so caches built on one version are never served for another
    stamp: int = field(default_factory=lambda: next(_STAMPS))

    #: object type -> records by id, built on first use (a batch read asks for it per request)
    _by_id: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict, repr=False, compare=False)

    def by_id(self, object_type: str) -> dict[str, dict[str, Any]]:
        records = self.objects[object_type]
        index = self._by_id.get(object_type)
        if index is None or len(index) != len(records):  # rebuilt if the build added records since
            index = self._by_id[object_type] = {o["id"]: o for o in records}
        return index

    def associated(self, from_type: str, to_type: str, object_id: str) -> list[str]:
        return self.associations.get((from_type, to_type), {}).get(object_id, [])


_STAMPS = itertools.count(1)
_CACHE: dict[int, tuple[tuple, HubSpotData]] = {}


def hubspot_records(store: Store) -> HubSpotData:
    """The HubSpot records for ``store`` (cached until the store changes)."""
    key = (store.revision, len(store.orders), len(store.customers), id(store.extras.get("hubspot")),
           repr(store.extras.get("hubspot_edits")))
    cached = _CACHE.get(id(store))
    if cached and cached[0] == key:
        return cached[1]
    data = _explicit(store.extras["hubspot"]) if store.extras.get("hubspot") else _derive(store)
    _apply_edits(data, store.extras.get("hubspot_edits") or {})
    for records in data.objects.values():
        records.sort(key=lambda o: int(o["id"]))
    _CACHE[id(store)] = (key, data)
    return data


def edit_contact(store: Store, contact_id: str, at: datetime, archived: bool | None = None, **properties: str | None) -> None:
    """Change a contact as a HubSpot user would: new property values and/or (un)archive, at ``at``."""
    edits = store.extras.setdefault("hubspot_edits", {})
    edit = edits.setdefault(str(contact_id), {"properties": {}})
    edit["at"] = at
    edit["properties"].update(properties)
    if archived is not None:
        edit["archived"] = archived
    store.revision += 1


def _apply_edits(data: HubSpotData, edits: dict[str, dict[str, Any]]) -> None:
    contacts = data.by_id("contacts")
    for contact_id, edit in edits.items():
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        stamp = hs_time(edit["at"])
        contact["properties"].update(edit["properties"])
        contact["properties"]["lastmodifieddate"] = stamp
        contact["updatedAt"] = stamp
        if "archived" in edit:
            contact["archived"] = edit["archived"]
            contact["archivedAt"] = stamp if edit["archived"] else None


def _explicit(records: dict[str, Any]) -> HubSpotData:
    data = HubSpotData({t: copy.deepcopy(records.get(t, [])) for t in OBJECT_TYPES})
    for deal in data.objects["deals"]:
        for to_type, ids in (deal.pop("associations", None) or {}).items():
            for to_id in ids:
                _associate(data, "deals", deal["id"], to_type, str(to_id))
    return data


def _associate(data: HubSpotData, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
    data.associations.setdefault((from_type, to_type), {}).setdefault(from_id, []).append(to_id)
    data.associations.setdefault((to_type, from_type), {}).setdefault(to_id, []).append(from_id)


def _record(object_id: str, properties: dict[str, str | None], created: datetime, modified: datetime,
            archived: bool = False) -> dict[str, Any]:
    properties = dict(properties, hs_object_id=object_id)
    return {
        "id": object_id,
        "properties": properties,
        "createdAt": hs_time(created),
        "updatedAt": hs_time(modified),
        "archived": archived,
        "archivedAt": hs_time(modified) if archived else None,
    }


def _derive(store: Store) -> HubSpotData:
    data = HubSpotData({t: [] for t in OBJECT_TYPES})
    for index, customer in enumerate(store.customers):
        contact = _customer_contact(store, index, customer)
        if contact:
            data.objects["contacts"].append(contact)
        if index % LEAD_EVERY == LEAD_EVERY // 2:
            data.objects["contacts"].append(_lead_contact(store, index, customer))
        if index % COMPANY_EVERY == COMPANY_OFFSET:
            _company_with_deals(store, data, index, customer, contact)
    return data


def _ms(rng: random.Random) -> timedelta:
    return timedelta(milliseconds=rng.randrange(1000))


def _customer_contact(store: Store, index: int, customer: Customer) -> dict[str, Any] | None:
    rng = random.Random(f"{store.seed}:hubspot:contact:{customer.customer_id}")
    draws = [rng.random() for _ in range(6)]
    if customer.email is None or draws[0] >= CONTACT_SHARE:
        return None
    email = customer.email
    if draws[1] < 0.12:
        local, domain = email.split("@", 1)
        email = f"{local.title()}@{domain.upper() if draws[1] < 0.04 else domain}"
    if draws[2] < 0.06:
        email = f"  {email} " if draws[2] < 0.03 else f"{email} "
    phone = None
    if customer.phone and draws[3] < 0.8:
        digits = customer.phone[2:]
        phone = customer.phone if draws[3] < 0.5 else f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    source, data_1, data_2 = CHANNEL_SOURCE.get(customer.channel, ("OTHER_CAMPAIGNS", None, None))
    created = customer.created_at - timedelta(minutes=rng.randrange(0, 3 * 24 * 60)) + _ms(rng)
    modified = max(created, customer.updated_at - timedelta(seconds=rng.randrange(0, 60)) + _ms(rng))
    archived = draws[4] < ARCHIVED_SHARE
    return _record(
        str(100_001 + 2 * index),
        {
            "email": email,
            "firstname": customer.first_name,
            "lastname": customer.last_name,
            "phone": phone,
            "lifecyclestage": "customer",
            "hs_analytics_source": source,
            "hs_analytics_source_data_1": data_1,
            "hs_analytics_source_data_2": data_2,
            "createdate": hs_time(created),
            "lastmodifieddate": hs_time(modified),
            "company": None,
        },
        created,
        modified,
        archived,
    )


def _lead_contact(store: Store, index: int, customer: Customer) -> dict[str, Any]:
    rng = random.Random(f"{store.seed}:hubspot:lead:{customer.customer_id}")
    first, last = customer.last_name, customer.first_name  # a different person, same name pool
    created = customer.created_at - timedelta(days=rng.randrange(1, 20), minutes=rng.randrange(1440)) + _ms(rng)
    modified = min(customer.created_at, created + timedelta(minutes=rng.randrange(1, 600)))
    channel = rng.choice(list(CHANNEL_SOURCE))
    source, data_1, data_2 = CHANNEL_SOURCE[channel]
    return _record(
        str(100_002 + 2 * index),
        {
            "email": f"{first}.{last}.lead{index}@example.net".lower(),
            "firstname": first,
            "lastname": last,
            "phone": f"+1555{rng.randrange(10**6, 10**7)}" if rng.random() < 0.2 else None,
            "lifecyclestage": rng.choice(["subscriber", "lead", "marketingqualifiedlead"]),
            "hs_analytics_source": source,
            "hs_analytics_source_data_1": data_1,
            "hs_analytics_source_data_2": data_2,
            "createdate": hs_time(created),
            "lastmodifieddate": hs_time(modified),
            "company": None,
        },
        created,
        modified,
        archived=rng.random() < ARCHIVED_SHARE,
    )


def _company_with_deals(store: Store, data: HubSpotData, index: int, customer: Customer,
                        contact: dict[str, Any] | None) -> None:
    rng = random.Random(f"{store.seed}:hubspot:company:{customer.customer_id}")
    name = f"{customer.last_name} {rng.choice(COMPANY_SUFFIXES)}"
    domain = "".join(ch for ch in name.lower() if ch.isalnum()) + f"{index}.example"
    created = customer.created_at - timedelta(days=rng.randrange(30, 120), minutes=rng.randrange(1440)) + _ms(rng)
    company_id = str(9_000_000 + index)
    deals = []
    last_change = created
    for k in range(1 + rng.randrange(3)):
        deal_created = created + timedelta(days=rng.randrange(1, 25) + 25 * k, minutes=rng.randrange(1440)) + _ms(rng)
        deal_created = min(deal_created, customer.created_at - timedelta(hours=1))
        stage = rng.choice(DEAL_STAGES)
        close = deal_created + timedelta(days=rng.randrange(3, 40))
        modified = min(customer.created_at, deal_created + timedelta(hours=rng.randrange(1, 72)))
        last_change = max(last_change, modified)
        deal_id = str(20_000_000 + 4 * index + k)
        amount = f"{money(rng.uniform(400, 6000)):.2f}"
        # A few deals had their amount emptied by a user: HubSpot then returns "" for it, not null
        # (CRM properties guide, "clear a property value by setting it to an empty string").
        # Drawn from a generator of its own so every other value stays as it was.
        if random.Random(f"{store.seed}:hubspot:cleared:{deal_id}").random() < CLEARED_AMOUNT_SHARE:
            amount = ""
        deals.append(_record(
            deal_id,
            {
                "dealname": f"{name} - wholesale order {k + 1}",
                "amount": amount,
                "deal_currency_code": store.shop.currency,
                "dealstage": stage,
                "pipeline": "default",
                "closedate": hs_time(close) if stage.startswith("closed") else None,
                "createdate": hs_time(deal_created),
                "hs_lastmodifieddate": hs_time(modified),
            },
            deal_created,
            modified,
        ))
        _associate(data, "deals", deal_id, "companies", company_id)
        if contact is not None:
            _associate(data, "deals", deal_id, "contacts", contact["id"])
    data.objects["deals"] += deals
    data.objects["companies"].append(_record(
        company_id,
        {
            "name": name,
            "domain": domain,
            "industry": "RETAIL",
            "lifecyclestage": "customer",
            "createdate": hs_time(created),
            "hs_lastmodifieddate": hs_time(last_change),
        },
        created,
        last_change,
    ))
    if contact is not None:
        contact["properties"]["company"] = name
        contact["properties"]["lifecyclestage"] = "customer"
        _associate(data, "contacts", contact["id"], "companies", company_id)
