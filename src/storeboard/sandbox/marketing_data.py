"""The ad platforms' side of the synthetic store: accounts, campaigns, ad sets / ad groups,
budgets and daily delivery for Meta Ads and Google Ads, derived from the store's orders.

Everything here is a deterministic function of the store (same seed, same bytes): daily spend
follows the sales that the store's UTMs attribute to each channel (``facebook / paid`` → Meta,
``google / cpc`` → Google), with per-row noise from ``random.Random(f"{seed}:marketing:{id}:{day}")``.
Orders added later extend the history automatically. Money is in the shop currency, days are
the accounts' days (the shop's time zone), spend in major units (Google renders it as micros).

Planted truths (see ``planted_marketing_truths``):

* exactly one campaign (``meta-brand-awareness``) has a platform ROAS below 1 over the history;
* the Google channel pays back its CAC within 90 days, the Meta channel never does: Meta buys
  sales at a loss while its platform-reported ROAS still looks fine (each platform over-claims).

Restatement: conversions (and, slightly, spend) of the last ``RESTATED_DAYS`` days of the history
are incomplete and grow towards their final value each time the ``restatement_epoch`` is bumped
(``POST /_sandbox/restate``), like late conversions arriving on the real platforms.

Explicit records: when ``store.extras["marketing"]`` exists it is served instead, as given (see
docs/sandbox/marketing.md for the format); restatement does not apply to it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from storeboard.sandbox.credentials import GOOGLE_CUSTOMER_IDS, META_ACCOUNT_ID
from storeboard.sandbox.store import Order, Store, money

META, GOOGLE = "meta", "google_ads"
#: UTM source of the orders each platform's ads bring in.
UTM_SOURCE = {META: "facebook", GOOGLE: "google"}
#: Last days of the history whose numbers are still settling (late conversions).
RESTATED_DAYS = 3
#: Share of a recent day's conversions (by age in days) still missing at epoch 0; halves, thirds … later.
_CONVERSION_LAG = (Decimal("0.35"), Decimal("0.20"), Decimal("0.10"))
_SPEND_LAG = (Decimal("0.03"), Decimal("0.02"), Decimal("0.01"))
ZERO = Decimal("0.00")
#: A deleted or archived ad set spent for this long from the start of history, then was removed
#: (a fixed day, so a store that keeps trading does not change its past).
REMOVED_AFTER = timedelta(days=25)


@dataclass(frozen=True, slots=True)
class AdAccount:
    """A Meta ad account (``act_…``) or a Google Ads customer (10 digits)."""

    platform: str
    account_id: str
    name: str
    currency: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign; ``daily_budget`` in major units when the budget lives at campaign level."""

    platform: str
    account_id: str
    campaign_id: str
    name: str
    #: Meta ``objective`` / Google ``advertising_channel_type``
    objective: str
    status: str
    daily_budget: Decimal | None
    created_at: datetime
    #: Google ``campaign_budget`` id (None on Meta)
    budget_id: str | None = None


@dataclass(frozen=True, slots=True)
class AdGroup:
    """A Meta ad set or a Google ad group; ``daily_budget`` only for Meta ad-set budgets."""

    platform: str
    account_id: str
    campaign_id: str
    ad_group_id: str
    name: str
    status: str
    daily_budget: Decimal | None
    created_at: datetime
    #: Meta ad set attribution setting (``attribution_spec``): ``7d_click_1d_view`` (Meta's
    #: default), ``7d_click`` or ``1d_click``; Ads Manager reports each ad set under its own.
    attribution: str = "7d_click_1d_view"


@dataclass(frozen=True, slots=True)
class DailyMetrics:
    """One ad set / ad group on one account day. Spend and values in major units, shop currency.

    ``purchases``/``purchase_value`` are what the platform claims under its default attribution
    (Meta 7-day click + 1-day view, Google 30-day click); the ``*_click`` parts are click-through.
    """

    platform: str
    account_id: str
    campaign_id: str
    ad_group_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int
    purchases: int
    purchase_value: Decimal
    purchases_click: int
    purchase_value_click: Decimal


@dataclass
class MarketingData:
    """Everything both ad platforms serve for one store at one restatement epoch."""

    accounts: list[AdAccount]
    campaigns: list[Campaign]
    ad_groups: list[AdGroup]
    daily: list[DailyMetrics]
    first_day: date | None
    last_day: date | None
    _by_platform: dict = field(default_factory=dict, repr=False)

    def of(self, platform: str) -> MarketingData:
        """Only ``platform``'s records (cached)."""
        if platform not in self._by_platform:
            self._by_platform[platform] = MarketingData(
                [a for a in self.accounts if a.platform == platform],
                [c for c in self.campaigns if c.platform == platform],
                [g for g in self.ad_groups if g.platform == platform],
                [d for d in self.daily if d.platform == platform],
                self.first_day,
                self.last_day,
            )
        return self._by_platform[platform]

    def campaign(self, campaign_id: str) -> Campaign:
        return next(c for c in self.campaigns if c.campaign_id == campaign_id)

    def ad_group(self, ad_group_id: str) -> AdGroup:
        return next(g for g in self.ad_groups if g.ad_group_id == ad_group_id)


# -- the plan: who spends what -----------------------------------------------------------------
@dataclass(frozen=True)
class _ChannelPlan:
    #: spend per day = spend_ratio × attributed order value that day + floor
    spend_ratio: Decimal
    floor: Decimal
    #: what the platform claims: claim_ratio × attributed orders (count and value)
    claim_ratio: float
    click_share: float
    cpm: tuple[float, float]
    ctr: tuple[float, float]


_CHANNELS = {
    META: _ChannelPlan(Decimal("1.30"), Decimal("8.00"), 2.2, 0.8, (9.0, 15.0), (0.008, 0.016)),
    GOOGLE: _ChannelPlan(Decimal("0.30"), Decimal("3.00"), 1.1, 1.0, (25.0, 45.0), (0.03, 0.06)),
}

# (account index, key, name, objective, status, budget level, spend share, claim share,
#  [(key, name, weight, status)])
_CAMPAIGNS = {
    META: [
        (0, "prospecting", "meta-prospecting", "OUTCOME_SALES", "ACTIVE", "campaign", 0.55, 0.52,
         [("broad", "Broad - US", 0.5, "ACTIVE"), ("lookalike", "Lookalike 1% purchasers", 0.3, "ACTIVE"),
          ("interests", "Interests - home & kitchen", 0.2, "ACTIVE")]),
        (0, "retargeting", "meta-retargeting", "OUTCOME_SALES", "ACTIVE", "adset", 0.30, 0.44,
         [("visitors", "Site visitors 30d", 0.6, "ACTIVE"), ("cart", "Cart abandoners 7d", 0.4, "ACTIVE"),
          ("lapsed", "Lapsed buyers 180d", 0.15, "DELETED")]),
        (0, "awareness", "meta-brand-awareness", "OUTCOME_AWARENESS", "ACTIVE", "adset", 0.15, 0.04,
         [("video", "Video views - broad", 0.7, "ACTIVE"), ("reach", "Reach - lookalike 5%", 0.3, "ACTIVE"),
          ("spring", "Video views - spring", 0.1, "ARCHIVED")]),
        (0, "catalog", "meta-catalog-dpa", "OUTCOME_SALES", "PAUSED", "campaign", 0.0, 0.0,
         [("dpa", "Dynamic product ads", 1.0, "PAUSED")]),
    ],
    GOOGLE: [
        (0, "brand", "google-brand", "SEARCH", "ENABLED", "campaign", 0.20, 0.40,
         [("core", "Brand - exact", 0.7, "ENABLED"), ("product", "Brand + product", 0.3, "ENABLED")]),
        (0, "prospecting", "google-prospecting", "SEARCH", "ENABLED", "campaign", 0.45, 0.35,
         [("kitchen", "Kitchen", 0.5, "ENABLED"), ("home", "Home decor", 0.5, "ENABLED"),
          ("outdoor", "Outdoor gear", 0.0, "PAUSED")]),
        (1, "shopping", "google-shopping", "SHOPPING", "ENABLED", "campaign", 0.35, 0.25,
         [("all", "All products", 0.6, "ENABLED"), ("best", "Best sellers", 0.4, "ENABLED")]),
        # Performance Max: asset groups instead of ad groups, so FROM ad_group never reports it
        (1, "pmax", "google-pmax", "PERFORMANCE_MAX", "ENABLED", "campaign", 0.30, 0.30,
         [("assets", "Asset group - all products", 1.0, "ENABLED")]),
    ],
}
#: Meta ad sets whose attribution setting is not the account default.
_ATTRIBUTION = {"Cart abandoners 7d": "1d_click", "Lookalike 1% purchasers": "7d_click"}
_META_CAMPAIGN_BASE = 120_210_000_000_000_000
_GOOGLE_CAMPAIGN_BASE = 21_000_000_000
_GOOGLE_BUDGET_BASE = 14_000_000_000


def _accounts(store: Store) -> list[AdAccount]:
    shop = store.shop
    return [
        AdAccount(META, META_ACCOUNT_ID, f"{shop.name} - Meta", shop.currency, shop.timezone),
        AdAccount(GOOGLE, GOOGLE_CUSTOMER_IDS[0], f"{shop.name} - Search", shop.currency, shop.timezone),
        AdAccount(GOOGLE, GOOGLE_CUSTOMER_IDS[1], f"{shop.name} - Shopping", shop.currency, shop.timezone),
    ]


def attributed_by_day(store: Store) -> dict[str, dict[date, tuple[int, Decimal]]]:
    """Per platform and store-local day: (orders, order value before tax and shipping) of the
    non-test orders whose UTM source points at the platform."""
    tz = ZoneInfo(store.shop.timezone)
    out: dict[str, dict[date, list]] = {p: defaultdict(lambda: [0, ZERO]) for p in UTM_SOURCE}
    for order in store.orders:
        if order.test or not order.utm:
            continue
        for platform, source in UTM_SOURCE.items():
            if order.utm.get("source") == source:
                cell = out[platform][order.processed_at.astimezone(tz).date()]
                cell[0] += 1
                cell[1] += order.subtotal
    return {p: {d: (c[0], c[1]) for d, c in days.items()} for p, days in out.items()}


def _history(store: Store) -> tuple[date, date] | None:
    if not store.orders:
        return None
    tz = ZoneInfo(store.shop.timezone)
    days = [o.processed_at.astimezone(tz).date() for o in store.orders]
    return min(days), max(days)


def build_marketing(store: Store, epoch: int = 0) -> MarketingData:
    """Both platforms' records for ``store`` at restatement ``epoch`` (pure, deterministic)."""
    if "marketing" in store.extras:
        return marketing_from_records(store.extras["marketing"])
    accounts = _accounts(store)
    history = _history(store)
    if history is None:
        return MarketingData(accounts, [], [], [], None, None)
    first, last = history
    tz = ZoneInfo(store.shop.timezone)
    created = datetime.combine(first - timedelta(days=1), time(9, 0), tzinfo=tz).astimezone(UTC)
    attributed = attributed_by_day(store)
    campaigns, ad_groups, daily = [], [], []
    for platform, plans in _CAMPAIGNS.items():
        channel = _CHANNELS[platform]
        accounts_of = [a for a in accounts if a.platform == platform]
        for c_index, (acct, _key, name, objective, status, budget_level, spend_share, claim_share, groups) in enumerate(plans):
            account = accounts_of[acct]
            if platform == META:
                campaign_id = str(_META_CAMPAIGN_BASE + 1 + c_index)
                budget_id = None
            else:
                campaign_id = str(_GOOGLE_CAMPAIGN_BASE + 101 + c_index)
                budget_id = str(_GOOGLE_BUDGET_BASE + 201 + c_index)
            rows_of_campaign: list[DailyMetrics] = []
            group_records = []
            for g_index, (_g_key, g_name, weight, g_status) in enumerate(groups):
                ad_group_id = (str(_META_CAMPAIGN_BASE + 1000 + 10 * c_index + g_index) if platform == META
                               else str(_GOOGLE_CAMPAIGN_BASE + 9_000 + 10 * c_index + g_index))
                rows = [] if not weight or not spend_share else _group_days(
                    store, platform, channel, attributed[platform], account.account_id, campaign_id, ad_group_id,
                    spend_share * weight, claim_share * weight, first, last, epoch)
                if g_status in ("DELETED", "ARCHIVED"):  # spent until it was removed
                    rows = [r for r in rows if r.day < first + REMOVED_AFTER]
                rows_of_campaign += rows
                group_records.append((ad_group_id, g_name, g_status, rows))
            for ad_group_id, g_name, g_status, rows in group_records:
                budget = _budget(rows) if budget_level == "adset" and platform == META else None
                ad_groups.append(AdGroup(platform, account.account_id, campaign_id, ad_group_id, g_name, g_status,
                                         budget, created, _ATTRIBUTION.get(g_name, "7d_click_1d_view")))
            campaign_budget = _budget(rows_of_campaign, len({r.day for r in rows_of_campaign})) if budget_level == "campaign" else None
            campaigns.append(Campaign(platform, account.account_id, campaign_id, name, objective, status,
                                      campaign_budget, created, budget_id))
            daily += rows_of_campaign
    daily.sort(key=lambda r: (r.platform, r.account_id, r.day, r.campaign_id, r.ad_group_id))
    return MarketingData(accounts, campaigns, ad_groups, daily, first, last)


def _budget(rows: list[DailyMetrics], days: int | None = None) -> Decimal:
    """A daily budget a little above the average day's spend, in whole currency units."""
    if not rows:
        return Decimal("20.00")
    average = sum((r.spend for r in rows), ZERO) / (days or len(rows))
    return max(Decimal("5"), (average * Decimal("1.25")).quantize(Decimal("1"), rounding=ROUND_CEILING)).quantize(Decimal("0.01"))


def _group_days(store: Store, platform: str, channel: _ChannelPlan, attributed: dict[date, tuple[int, Decimal]],
                account_id: str, campaign_id: str, ad_group_id: str, spend_share: float, claim_share: float,
                first: date, last: date, epoch: int) -> list[DailyMetrics]:
    rows = []
    day = first
    while day <= last:
        orders, value = attributed.get(day, (0, ZERO))
        rng = random.Random(f"{store.seed}:marketing:{ad_group_id}:{day.isoformat()}")
        spend = money((channel.spend_ratio * value + channel.floor) * Decimal(str(spend_share * rng.uniform(0.85, 1.15))))
        expected = orders * channel.claim_ratio * claim_share * rng.uniform(0.8, 1.2)
        purchases = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        aov = value / orders if orders else ZERO
        purchase_value = money(aov * purchases * Decimal(str(rng.uniform(0.9, 1.1))))
        purchases_click = round(purchases * channel.click_share)
        value_click = money(purchase_value * purchases_click / purchases) if purchases else ZERO
        age = (last - day).days
        if age < RESTATED_DAYS:
            spend, purchases, purchase_value, purchases_click, value_click = _settling(
                age, epoch, spend, purchases, purchase_value, purchases_click, value_click)
        impressions = int(float(spend) / rng.uniform(*channel.cpm) * 1000)
        clicks = int(impressions * rng.uniform(*channel.ctr))
        if spend > 0 or impressions or purchases:
            rows.append(DailyMetrics(platform, account_id, campaign_id, ad_group_id, day, spend, impressions, clicks,
                                     purchases, purchase_value, purchases_click, value_click))
        day += timedelta(days=1)
    return rows


def _settling(age: int, epoch: int, spend: Decimal, purchases: int, value: Decimal, purchases_click: int,
              value_click: Decimal) -> tuple[Decimal, int, Decimal, int, Decimal]:
    """What a day ``age`` days before the end of history reports at restatement ``epoch``."""
    missing = _CONVERSION_LAG[age] / (1 + epoch)
    share = 1 - missing
    kept = int(purchases * share + Decimal("0.5"))
    kept_click = min(purchases_click, kept)
    return (
        money(spend * (1 - _SPEND_LAG[age] / (1 + epoch))),
        kept,
        money(value * kept / purchases) if purchases else ZERO,
        kept_click,
        money(value_click * kept_click / purchases_click) if purchases_click else ZERO,
    )


# -- explicit records -------------------------------------------------------------------------
def marketing_from_records(records: dict) -> MarketingData:
    """``MarketingData`` from ``store.extras["marketing"]`` (lists of dicts named like the fields)."""

    def dec(value) -> Decimal | None:
        return None if value is None else money(value)

    def ts(value) -> datetime:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))

    accounts = [AdAccount(**a) for a in records.get("accounts", [])]
    campaigns = [Campaign(**{**c, "daily_budget": dec(c.get("daily_budget")), "created_at": ts(c["created_at"])})
                 for c in records.get("campaigns", [])]
    groups = [AdGroup(**{**g, "daily_budget": dec(g.get("daily_budget")), "created_at": ts(g["created_at"])})
              for g in records.get("ad_groups", [])]
    objectives = {c.campaign_id: c.objective for c in campaigns}
    daily = []
    for i, d in enumerate(records.get("daily", [])):
        purchases = int(d.get("purchases", 0))
        value = money(d.get("purchase_value", 0))
        daily.append(DailyMetrics(
            d["platform"], d["account_id"], d["campaign_id"], _row_ad_group(d, i, objectives),
            date.fromisoformat(str(d["day"])),
            money(d["spend"]), int(d.get("impressions", 0)), int(d.get("clicks", 0)), purchases, value,
            int(d.get("purchases_click", purchases)), money(d.get("purchase_value_click", value))))
    daily.sort(key=lambda r: (r.platform, r.account_id, r.day, r.campaign_id, r.ad_group_id))
    days = [d.day for d in daily]
    return MarketingData(accounts, campaigns, groups, daily, min(days, default=None), max(days, default=None))


def _row_ad_group(row: dict, index: int, objectives: dict[str, str]) -> str:
    """A daily row's ad set / ad group. A Performance Max campaign has asset groups, not ad groups
    (Google Ads "Performance Max reporting" guide: ``FROM ad_group`` returns nothing for it), so its
    rows may leave ``ad_group_id`` out and are then reported at campaign level only."""
    if row.get("ad_group_id"):
        return str(row["ad_group_id"])
    if objectives.get(row["campaign_id"]) == "PERFORMANCE_MAX":
        return ""
    raise ValueError(f"extras.marketing.daily[{index}]: ad_group_id is needed (only a PERFORMANCE_MAX "
                     f"campaign's rows may leave it out), campaign {row['campaign_id']!r}")


# -- planted truths ---------------------------------------------------------------------------
def _customer_net_sales(orders: list[Order], start: datetime, horizon: timedelta | None) -> Decimal:
    """Net sales (docs/metrics.md) of one customer's orders dated within ``horizon`` of ``start``."""
    end = None if horizon is None else start + horizon
    within = (lambda at: True) if end is None else (lambda at: at <= end)
    total = ZERO
    for order in orders:
        lines = {li.line_item_id: li for li in order.lines}
        if within(order.processed_at):
            total += sum((li.gross - li.discount for li in order.lines if not li.product.is_gift_card), ZERO)
        for refund in order.refunds:
            if within(refund.created_at):
                total -= sum((rl.subtotal for rl in refund.lines if not lines[rl.line_item_id].product.is_gift_card), ZERO)
        if order.cancelled_at and not order.refunds and within(order.cancelled_at):
            total -= sum((li.gross - li.discount for li in order.lines if not li.product.is_gift_card), ZERO)
    return total


def planted_marketing_truths(store: Store, epoch: int = 0) -> dict:
    """The marketing facts the dashboards must surface, computed straight from the store.

    Returns:
        A dict with ``campaign_roas`` (campaign name → platform purchase value ÷ spend over the
        history, for campaigns that spent), ``campaigns_below_roas_1``, and per channel
        (``meta``, ``google``): ``spend``, ``new_customers`` (first non-test order's UTM points at
        the channel), ``cac`` (spend ÷ new customers), ``net_sales_per_customer_90d`` (cumulative
        net sales of those customers up to day 90 after their first order ÷ new customers),
        ``best_net_sales_per_customer`` (the highest cumulative value at any horizon over the
        history), and the booleans ``google_pays_back_within_90_days`` and
        ``meta_pays_back_within_history``. Money in shop currency.
    """
    data = build_marketing(store, epoch)
    spend: dict[str, Decimal] = defaultdict(lambda: ZERO)
    claimed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in data.daily:
        spend[row.campaign_id] += row.spend
        claimed[row.campaign_id] += row.purchase_value
    roas = {c.name: (claimed[c.campaign_id] / spend[c.campaign_id]).quantize(Decimal("0.0001"))
            for c in data.campaigns if spend[c.campaign_id] > 0}
    by_customer: dict[int, list[Order]] = defaultdict(list)
    for order in sorted(store.orders, key=lambda o: (o.processed_at, o.order_id)):
        if order.customer is not None and not order.test:
            by_customer[order.customer.customer_id].append(order)
    channels = {"meta": META, "google": GOOGLE}
    result: dict = {"campaign_roas": roas, "campaigns_below_roas_1": sorted(n for n, r in roas.items() if r < 1)}
    history_days = ((data.last_day - data.first_day).days + 1) if data.first_day else 0
    horizons = sorted({30, 60, 90, 180, 365, history_days})
    for label, platform in channels.items():
        customers = [orders for orders in by_customer.values()
                     if (orders[0].utm or {}).get("source") == UTM_SOURCE[platform]]
        channel_spend = sum((r.spend for r in data.daily if r.platform == platform), ZERO)
        n = len(customers)
        cumulative = {h: sum((_customer_net_sales(o, o[0].processed_at, timedelta(days=h)) for o in customers), ZERO)
                      for h in horizons}
        result[label] = {
            "spend": channel_spend,
            "new_customers": n,
            "cac": channel_spend / n if n else None,
            "net_sales_per_customer_90d": cumulative[90] / n if n else None,
            "best_net_sales_per_customer": max(cumulative.values()) / n if n else None,
        }
    g, m = result["google"], result["meta"]
    result["google_pays_back_within_90_days"] = bool(g["new_customers"]) and g["net_sales_per_customer_90d"] > g["cac"]
    result["meta_pays_back_within_history"] = bool(m["new_customers"]) and m["best_net_sales_per_customer"] > m["cac"]
    return result


__all__ = [
    "GOOGLE", "META", "RESTATED_DAYS", "AdAccount", "AdGroup", "Campaign", "DailyMetrics", "MarketingData",
    "attributed_by_day", "build_marketing", "marketing_from_records", "planted_marketing_truths",
]
