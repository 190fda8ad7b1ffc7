"""HubSpot records as the raw tables' Arrow tables: ``id``, every property read (strings, as
HubSpot sends them, under ``properties__<name>``), the record's dates and archive flag; deals'
associations as child tables merged by ``deal_id`` (``arrow_tables.ChildTable``)."""

from __future__ import annotations

from storeboard.sources.arrow_tables import Shape, child_table
from storeboard.sources.hubspot.settings import PROPERTIES


def _shape(object_type: str) -> Shape:
    return Shape(object_type, text=("id", *(f"properties.{p}" for p in PROPERTIES[object_type])),
                 timestamp=("createdAt", "updatedAt", "archivedAt"), bool=("archived",))


SHAPES = {object_type: _shape(object_type) for object_type in PROPERTIES}

#: ``deals__contacts`` (deal_id, contact_id) and ``deals__companies`` (deal_id, company_id).
DEAL_ASSOCIATIONS = (
    child_table("deals__contacts", "contacts[]", "deal_id", ("deal_id", "contact_id"), lambda d: d.get("contacts") or []),
    child_table("deals__companies", "companies[]", "deal_id", ("deal_id", "company_id"), lambda d: d.get("companies") or []),
)
