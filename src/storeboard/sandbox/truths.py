"""The planted truths: facts about a generated store that the marts and dashboards must surface.

Computed in plain Python from the store and the sources' derived data, independently of the
pipeline; documented in docs/sandbox.md and asserted by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from storeboard.sandbox.files_data import planted_file_truths
from storeboard.sandbox.marketing_data import planted_marketing_truths
from storeboard.sandbox.store import Store


@dataclass
class PlantedTruths:
    """What a generated store is built to show."""

    #: three of the ten best-selling SKUs: positive gross margin, negative contribution margin
    loss_making_skus: list[str]
    #: the ten best-selling SKUs by units, best first
    top_skus: list[str]
    #: campaigns whose platform ROAS over the history is below 1
    campaigns_below_roas_1: list[str]
    #: SKUs below their reorder point on the latest inventory snapshot
    low_stock_skus: list[str]
    #: the channel whose new customers pay back their CAC within 90 days
    payback_channel: str
    #: the channel whose new customers never pay back their CAC
    never_payback_channel: str
    #: the raw numbers behind the above, for messages and docs
    details: dict


def planted_truths(store: Store) -> PlantedTruths:
    """The planted truths of ``store`` (a generated one; hand-written stores plant nothing)."""
    files = planted_file_truths(store)
    marketing = planted_marketing_truths(store)
    return PlantedTruths(
        loss_making_skus=files.loss_making_skus,
        top_skus=files.top_skus,
        campaigns_below_roas_1=marketing["campaigns_below_roas_1"],
        low_stock_skus=files.low_stock_skus,
        payback_channel="google" if marketing["google_pays_back_within_90_days"] else "",
        never_payback_channel="meta" if not marketing["meta_pays_back_within_history"] else "",
        details={"marketing": marketing, "last_snapshot_date": files.last_snapshot_date.isoformat()},
    )
