"""Which access scopes the Shopify token lacks, and what each missing one breaks.

Shopify answers ``currentAppInstallation { accessScopes { handle } }`` with the scopes granted to
the token ("Access scopes", shopify.dev/docs/api/usage/access-scopes). A missing ``read_orders``,
``read_customers`` or ``read_products`` makes the orders, customers or variants queries fail with
ACCESS_DENIED; a missing ``read_all_orders`` fails nothing and hides every order older than 60
days, so it is an error whenever the configured start date reaches further back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storeboard.sources.shopify import settings
from storeboard.sources.shopify.helpers import ShopifyClient


def granted_scopes(client: ShopifyClient) -> set[str]:
    """The token's scopes; a ``write_`` scope implies its ``read_`` scope, as Shopify documents."""
    installation = client.execute(settings.SCOPES_QUERY)["currentAppInstallation"]
    granted = {scope["handle"] for scope in installation["accessScopes"]}
    return granted | {"read_" + h.removeprefix("write_") for h in granted if h.startswith("write_")}


def scope_problems(granted: set[str], start_date: str, now: datetime | None = None) -> list[str]:
    """One sentence per missing scope, naming what it breaks."""
    problems = [f"the token lacks {scope}, needed for {what}" for scope, what in settings.SCOPES.items()
                if scope not in granted]
    if settings.READ_ALL_ORDERS not in granted and history_reaches_back(start_date, now):
        problems.append(
            f"the token lacks {settings.READ_ALL_ORDERS}: sources.shopify.start_date ({start_date}) is more than "
            f"{settings.RECENT_ORDER_DAYS} days back, and without it Shopify returns only the last "
            f"{settings.RECENT_ORDER_DAYS} days of orders (no error, a short history); grant it, or move start_date")
    return problems


def history_reaches_back(start_date: str, now: datetime | None = None) -> bool:
    """Whether ``start_date`` is older than the window Shopify serves without read_all_orders."""
    start = datetime.fromisoformat(start_date.replace("Z", "+00:00"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return start < (now or datetime.now(UTC)) - timedelta(days=settings.RECENT_ORDER_DAYS)
