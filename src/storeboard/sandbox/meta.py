"""Imitation of the Meta Marketing API (Graph API) for ad accounts, campaigns, ad sets and Insights.

Faithful where the connector can notice: the version in the path (retired versions rejected with
code 2635), ``access_token`` parameter or ``Authorization: Bearer``, the Graph error shape
(190 bad token, 100 invalid parameter, 17 / 80000 / 80004 throttling as HTTP 400), numbers as
strings, budgets in the currency's minor unit, ``actions`` / ``action_values`` with attribution
window keys, cursor paging (``paging.cursors`` and ``paging.next``, which can point at one last
empty page), async report runs with Meta's status strings, usage headers on every response, and
no rows for objects without delivery. Fields and enum values are checked against Meta's own
codegen specs (``sandbox/vendor_specs/meta``).

``POST /_sandbox/restate`` bumps the restatement epoch of both ad-platform imitations: the last
days' conversions grow, as late conversions do (see ``marketing_data``).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storeboard.sandbox.credentials import META_ACCESS_TOKEN
from storeboard.sandbox.faults import DATA, FaultPlan
from storeboard.sandbox.marketing_data import META, DailyMetrics, MarketingData, build_marketing
from storeboard.sandbox.specs import specs_dir
from storeboard.sandbox.store import Store

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("v23.0", "v24.0", "v25.0", "v26.0")
SERVED_VERSIONS = tuple(f"v{n}.0" for n in range(16, 30))
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000
#: Minor units per major unit; Meta budgets are integers in the minor unit.
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "TWD", "HUF"}
PURCHASE_ACTIONS = ("offsite_conversion.fb_pixel_purchase", "purchase", "omni_purchase")
#: Attribution windows the API still returns (7d_view / 28d_view stopped on 2026-01-12).
RETURNED_WINDOWS = {"1d_click", "7d_click", "28d_click", "1d_view", "1d_ev"}
_NODE_TYPES = {"campaign": "Campaign", "adset": "AdSet", "account": "AdAccount", "report_run": "AdReportRun"}
_FALLBACK_INSIGHTS_FIELDS = {
    "account_currency", "account_id", "account_name", "action_values", "actions", "ad_id", "ad_name", "adset_id",
    "adset_name", "campaign_id", "campaign_name", "clicks", "cpc", "cpm", "ctr", "date_start", "date_stop",
    "impressions", "objective", "purchase_roas", "spend", "inline_link_clicks",
}


@lru_cache(maxsize=1)
def meta_specs() -> dict[str, Any] | None:
    """Field lists and enums from Meta's codegen specs, or None when the specs are not found."""
    folder = specs_dir()
    if not (folder / "meta" / "AdsInsights.json").is_file():
        # Only a trimmed installation lacks them: keep answering, checking less, and say so once.
        log.warning("Meta's codegen specs are missing from the package: the Meta sandbox checks fields and enums less")
        return None

    def fields(name: str) -> set[str]:
        return {f["name"] for f in json.loads((folder / "meta" / name).read_text())["fields"]}

    enums = {e["name"]: e["values"] for e in json.loads((folder / "meta" / "enum_types.json").read_text())}
    return {
        "insights": fields("AdsInsights.json"),
        "campaign": fields("Campaign.json"),
        "adset": fields("AdSet.json"),
        "account": fields("AdAccount.json"),
        "report_run": fields("AdReportRun.json"),
        "enums": enums,
        "version": (folder / "meta" / "version.txt").read_text().strip(),
    }


class GraphError(Exception):
    """A Graph API error, rendered in Meta's shape."""

    def __init__(self, message: str, code: int, subcode: int | None = None, type_: str = "OAuthException",
                 status: int = 400, transient: bool = False):
        super().__init__(message)
        self.message, self.code, self.subcode, self.type, self.status, self.transient = (
            message, code, subcode, type_, status, transient)


def _param_error(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", 100, type_="OAuthException")


class MetaAPI:
    """Serves the store's Meta ad account over the Graph API.

    Args:
        store: the store to serve.
        faults: the shared fault plan.
        access_token: the only token accepted.
        sync_row_limit: most rows a synchronous insights call may produce before Meta asks to
            "reduce the amount of data" (error 100 / 1487534); async report runs have no limit.
        polls_to_complete: status polls a report run needs before it reports "Job Completed".
    """

    name = "meta"
    prefixes = tuple(f"/{v}/" for v in SERVED_VERSIONS)

    def __init__(self, store: Store, faults: FaultPlan | None = None, access_token: str = META_ACCESS_TOKEN,
                 sync_row_limit: int = 2500, polls_to_complete: int = 3):
        self.store = store
        self.faults = faults or FaultPlan()
        self.access_token = access_token
        self.sync_row_limit = sync_row_limit
        self.polls_to_complete = polls_to_complete
        self.restatement_epoch = 0
        self._cache: tuple[tuple, MarketingData] | None = None
        self._reports: dict[str, dict[str, Any]] = {}
        self._report_ids = itertools.count(6_034_812_345_678)
        self._calls: deque[float] = deque()
        self._throttle_codes = itertools.cycle([
            (17, 2446079, "User request limit reached"),
            (80000, 2446079, "There have been too many calls from this ad-account. Wait a bit and try again."),
            (80004, 2446079, "There have been too many calls to this ad-account. Wait a bit and try again.")])
        self._lock = threading.Lock()
        #: the last requests served (method and path), for tests
        self.requests: deque[str] = deque(maxlen=1000)

    # -- data -----------------------------------------------------------------------------------
    def data(self) -> MarketingData:
        """The account's records at the current store revision and restatement epoch."""
        key = (self.store.revision, len(self.store.orders), self.restatement_epoch)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, build_marketing(self.store, self.restatement_epoch).of(META))
        return self._cache[1]

    def warm(self) -> None:
        """Rebuild the records for the store's current revision now rather than on the next request."""
        self.data()

    def restate(self) -> int:
        """Late conversions arrive: the last days' numbers move towards their final values."""
        self.restatement_epoch += 1
        return self.restatement_epoch

    # -- HTTP -----------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        routes = [Route("/_sandbox/restate", restate_marketing, methods=["POST"])]
        for version in SERVED_VERSIONS:
            routes += [
                Route(f"/{version}/{{node}}", self.node, methods=["GET"]),
                Route(f"/{version}/{{node}}/{{edge}}", self.edge, methods=["GET", "POST"]),
            ]
        return routes

    def error_response(self, status: int, reason: str) -> JSONResponse:
        """Meta's bodies for transport-level faults: throttling is HTTP 400 with a Graph code."""
        if status == 401:
            return self._error(GraphError("Error validating access token: Session has expired.", 190, 463))
        if status == 429:
            code, subcode, message = next(self._throttle_codes)
            return self._error(GraphError(f"(#{code}) {message}", code, subcode, transient=True),
                               regain_minutes=0, usage=100)
        return self._error(GraphError("An unknown error occurred", 1, 99, status=status, transient=True))

    def _error(self, error: GraphError, regain_minutes: int = 0, usage: int | None = None) -> JSONResponse:
        body: dict[str, Any] = {"message": error.message, "type": error.type, "code": error.code}
        if error.subcode is not None:
            body["error_subcode"] = error.subcode
        if error.transient:
            body["is_transient"] = True
        body["fbtrace_id"] = base64.b32encode(str(time.monotonic_ns()).encode()).decode()[:11]
        return JSONResponse({"error": body}, status_code=error.status,
                            headers=self._usage_headers(regain_minutes, usage))

    def _usage_headers(self, regain_minutes: int = 0, usage: int | None = None) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            self._calls.append(now)
            while self._calls and self._calls[0] < now - 300:
                self._calls.popleft()
            pct = usage if usage is not None else min(99, len(self._calls) // 6)
        account = self.account_number
        buc = {account: [{"type": "ads_insights", "call_count": pct, "total_cputime": max(1, pct // 2),
                          "total_time": max(1, pct // 2), "estimated_time_to_regain_access": regain_minutes,
                          "ads_api_access_tier": "standard_access"}]}
        return {
            "X-Business-Use-Case-Usage": json.dumps(buc, separators=(",", ":")),
            "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": pct, "reset_time_duration": 0,
                                              "ads_api_access_tier": "standard_access"}, separators=(",", ":")),
            "X-FB-Ads-Insights-Throttle": json.dumps({"app_id_util_pct": pct / 2, "acc_id_util_pct": pct,
                                                      "ads_api_access_tier": "standard_access"}, separators=(",", ":")),
        }

    @property
    def account_number(self) -> str:
        accounts = self.data().accounts
        return accounts[0].account_id.removeprefix("act_") if accounts else "0"

    async def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            # Form bodies parsed by hand: Starlette's form parser needs python-multipart.
            params.update(parse_qsl((await request.body()).decode("utf-8", "replace")))
        return params

    def _authorise(self, request: Request, params: dict[str, str]) -> None:
        version = request.url.path.split("/")[1]
        token = params.pop("access_token", None)
        header = request.headers.get("authorization", "")
        if not token and header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token:
            raise GraphError("An access token is required to request this resource.", 104)
        if token != self.access_token:
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)
        if version not in SUPPORTED_VERSIONS:
            raise GraphError(f"(#2635) You are calling a deprecated version of the Ads API. Please update to the "
                             f"latest version: {SUPPORTED_VERSIONS[-1]}.", 2635)

    async def node(self, request: Request) -> JSONResponse:
        return await self._handle(request, request.path_params["node"], None)

    async def edge(self, request: Request) -> JSONResponse:
        return await self._handle(request, request.path_params["node"], request.path_params["edge"])

    async def _handle(self, request: Request, node: str, edge: str | None) -> JSONResponse:
        self.requests.append(f"{request.method} {request.url.path}")
        try:
            params = await self._params(request)
            self._authorise(request, params)
            body = self._dispatch(request, node, edge, params)
        except GraphError as error:
            return self._error(error)
        return JSONResponse(body, headers=self._usage_headers())

    def _dispatch(self, request: Request, node: str, edge: str | None, params: dict[str, str]) -> dict[str, Any]:
        account = f"act_{self.account_number}"
        if node.startswith("act_"):
            if node != account:
                raise _unsupported(node)
            if edge is None:
                return self._account(params)
            if edge == "insights" and request.method == "POST":
                return self._start_report(params)
            if edge == "insights":
                rows = self.insights_rows(params)
                if len(rows) > self.sync_row_limit:
                    raise GraphError("Please reduce the amount of data you're asking for, then retry your request",
                                     1, 1487534)
                return self._page(rows, params, request)
            if edge in ("campaigns", "adsets") and request.method == "GET":
                return self._page(self._objects(edge, params), params, request)
            raise _unsupported(f"{node}/{edge}")
        if node in self._reports:
            if edge is None:
                return self._report_status(node, params)
            if edge == "insights" and request.method == "GET":
                return self._report_page(node, params, request)
        raise _unsupported(node if edge is None else f"{node}/{edge}")

    # -- account, campaigns, ad sets ----------------------------------------------------------
    def _fields(self, params: dict[str, str], kind: str, default: list[str]) -> list[str]:
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or default
        specs = meta_specs()
        known = specs[kind] if specs else None
        for name in fields:
            if known is not None and name not in known:
                raise _param_error(f"Tried accessing nonexisting field ({name}) on node type ({_NODE_TYPES[kind]})")
        return fields

    def _account(self, params: dict[str, str]) -> dict[str, Any]:
        acct = self.data().accounts[0]
        values = {"id": acct.account_id, "account_id": self.account_number, "name": acct.name,
                  "currency": acct.currency, "timezone_name": acct.timezone, "account_status": 1}
        fields = self._fields(params, "account", ["id"])
        return {f: values[f] for f in fields if f in values} | {"id": acct.account_id}

    def _objects(self, edge: str, params: dict[str, str]) -> list[dict[str, Any]]:
        data = self.data()
        kind = "campaign" if edge == "campaigns" else "adset"
        fields = self._fields(params, kind, ["id"])
        statuses = _json_list(params, "effective_status")
        if statuses is not None:
            _check_enum(statuses, f"adaccount{edge}_effective_status_enum_param", "effective_status")
        currency = data.accounts[0].currency
        campaigns = {c.campaign_id: c for c in data.campaigns}
        out = []
        for obj in data.campaigns if edge == "campaigns" else data.ad_groups:
            if edge == "campaigns":
                effective = obj.status
                values = {
                    "id": obj.campaign_id, "account_id": self.account_number, "name": obj.name,
                    "objective": obj.objective, "status": obj.status, "configured_status": obj.status,
                    "effective_status": effective, "buying_type": "AUCTION",
                    "bid_strategy": "LOWEST_COST_WITHOUT_CAP" if obj.daily_budget is not None else None,
                    "daily_budget": _minor(obj.daily_budget, currency) if obj.daily_budget is not None else None,
                    "lifetime_budget": "0",
                    "budget_remaining": _minor(obj.daily_budget, currency) if obj.daily_budget is not None else "0",
                    "created_time": _graph_time(obj.created_at), "start_time": _graph_time(obj.created_at),
                    "updated_time": _graph_time(obj.created_at), "special_ad_categories": [],
                }
            else:
                parent = campaigns[obj.campaign_id]
                effective = "CAMPAIGN_PAUSED" if parent.status == "PAUSED" and obj.status == "ACTIVE" else obj.status
                values = {
                    "id": obj.ad_group_id, "account_id": self.account_number, "name": obj.name,
                    "campaign_id": obj.campaign_id, "campaign": {"id": obj.campaign_id},
                    "status": obj.status, "configured_status": obj.status, "effective_status": effective,
                    "daily_budget": _minor(obj.daily_budget, currency) if obj.daily_budget is not None else None,
                    "lifetime_budget": "0",
                    "budget_remaining": _minor(obj.daily_budget, currency) if obj.daily_budget is not None else "0",
                    "billing_event": "IMPRESSIONS",
                    "optimization_goal": "THRUPLAY" if parent.objective == "OUTCOME_AWARENESS" else "OFFSITE_CONVERSIONS",
                    "attribution_spec": _attribution_spec(obj.attribution),
                    "bid_strategy": "LOWEST_COST_WITHOUT_CAP" if obj.daily_budget is not None else None,
                    "created_time": _graph_time(obj.created_at), "start_time": _graph_time(obj.created_at),
                    "updated_time": _graph_time(obj.created_at),
                }
            if statuses is not None and effective not in statuses:
                continue
            out.append({f: values[f] for f in fields if values.get(f) is not None} | {"id": values["id"]})
        return out

    # -- insights -------------------------------------------------------------------------------
    def insights_rows(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """The rendered insights rows for one request's parameters (before paging)."""
        data = self.data()
        specs = meta_specs()
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or [
            "date_start", "date_stop", "impressions", "spend"]
        known = specs["insights"] if specs else _FALLBACK_INSIGHTS_FIELDS
        for name in fields:
            if name not in known:
                raise _param_error(f"{name} is not valid for fields param. please check "
                                   "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                                   "for all valid values")
        level = params.get("level", "account")
        _check_enum([level], "adaccountinsights_level_enum_param", "level")
        windows = _json_list(params, "action_attribution_windows") or []
        _check_enum(windows, "adaccountinsights_action_attribution_windows_enum_param", "action_attribution_windows")
        breakdowns = _json_list(params, "breakdowns") or []
        _check_enum(breakdowns, "adaccountinsights_breakdowns_enum_param", "breakdowns")
        if breakdowns:
            raise _param_error("breakdowns are not modelled by the Storeboard sandbox")
        for name in ("action_breakdowns", "summary_action_breakdowns"):
            _check_enum(_json_list(params, name) or [], f"adaccountinsights_{name}_enum_param", name)
        if "action_report_time" in params:
            _check_enum([params["action_report_time"]], "adaccountinsights_action_report_time_enum_param",
                        "action_report_time")
        since, until = self._time_range(params, data)
        buckets = _buckets(since, until, params.get("time_increment", "all_days"))
        removed = _removed_statuses_asked(params)
        unified = params.get("use_unified_attribution_setting", "false").lower() == "true"
        return self._aggregate(data, level, fields, windows, buckets, removed, unified)

    def _time_range(self, params: dict[str, str], data: MarketingData) -> tuple[date, date]:
        today = datetime.now(ZoneInfo(data.accounts[0].timezone)).date()
        if "time_range" in params:
            try:
                rng = json.loads(params["time_range"])
                since, until = date.fromisoformat(rng["since"]), date.fromisoformat(rng["until"])
            except (ValueError, KeyError, TypeError):
                raise _param_error("Param time_range must be a JSON object with since and until dates (YYYY-MM-DD)") from None
            if since > until:
                raise _param_error("time_range: since must not be after until")
            if since < today - timedelta(days=37 * 31):
                raise GraphError("(#3018) The start date of the time range cannot be beyond 37 months from the "
                                 "current date", 3018)
            return since, until
        preset = params.get("date_preset", "last_30d")
        _check_enum([preset], "adaccountinsights_date_preset_enum_param", "date_preset")
        simple = {"today": (0, 0), "yesterday": (1, 1), "last_3d": (3, 1), "last_7d": (7, 1), "last_14d": (14, 1),
                  "last_28d": (28, 1), "last_30d": (30, 1), "last_90d": (90, 1)}
        if preset in simple:
            back, end = simple[preset]
            return today - timedelta(days=back), today - timedelta(days=end)
        if preset in ("maximum", "data_maximum"):
            return data.first_day or today, today
        raise _param_error(f"date_preset {preset} is not modelled by the Storeboard sandbox; use time_range")

    def _aggregate(self, data: MarketingData, level: str, fields: list[str], windows: list[str],
                   buckets: list[tuple[date, date]], removed: set[str] = frozenset(),
                   unified: bool = False) -> list[dict[str, Any]]:
        account = data.accounts[0]
        campaigns = {c.campaign_id: c for c in data.campaigns}
        groups = {g.ad_group_id: g for g in data.ad_groups}
        start, end = buckets[0][0], buckets[-1][1]
        bucket_of = {}
        for b in buckets:
            day = b[0]
            while day <= b[1]:
                bucket_of[day] = b
                day += timedelta(days=1)
        totals: dict[tuple, list[DailyMetrics]] = defaultdict(list)
        for row in data.daily:
            # Insights below account level leave out deleted and archived objects unless the
            # request's `filtering` on effective_status names them (Marketing API, Insights:
            # "Deleted and archived objects"); the account level always counts their spend.
            if level != "account":
                status = _removed_status(campaigns.get(row.campaign_id), groups.get(row.ad_group_id))
                if status is not None and status not in removed:
                    continue
            if start <= row.day <= end:
                key = {"account": (), "campaign": (row.campaign_id,), "adset": (row.campaign_id, row.ad_group_id),
                       "ad": (row.campaign_id, row.ad_group_id)}[level]
                totals[(bucket_of[row.day], *key)].append(row)
        out = []
        for key in sorted(totals, key=lambda k: (k[0][0], *k[1:])):
            (since, until), *ids = key
            campaign = campaigns.get(ids[0]) if ids else None
            group = groups.get(ids[1]) if len(ids) > 1 else None
            out.append(_render_row(totals[key], account, campaign, group, level, fields, windows, since, until,
                                   unified))
        return out

    def _page(self, rows: list[dict[str, Any]], params: dict[str, str], request: Request) -> dict[str, Any]:
        try:
            limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        except ValueError:
            raise _param_error("Param limit must be an integer") from None
        start = _decode_cursor(params.get("after")) if params.get("after") else 0
        page = rows[start:start + limit]
        page = self._data_faults(page, request.url.path)
        body: dict[str, Any] = {"data": page}
        end = start + limit
        if rows:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(min(end, len(rows)))}}
            # Like Graph, `next` survives onto one last, empty page when the rows end on a page boundary.
            if end < len(rows) or (end == len(rows) and page):
                query = {k: v for k, v in request.query_params.items() if k != "after"}
                query["after"] = _cursor(end)
                body["paging"]["next"] = str(request.url.replace(query="")) + "?" + "&".join(
                    f"{k}={_quote(v)}" for k, v in query.items())
            if start:
                body["paging"]["previous"] = str(request.url)
        return body

    def _data_faults(self, page: list[dict[str, Any]], path: str = "") -> list[dict[str, Any]]:
        fault = self.faults.take(self.name, DATA, path) if page else None
        if fault is None:
            return page
        if fault.kind == "malformed":
            broken = dict(page[0])
            for key in ("spend", "daily_budget", "name"):
                if key in broken:
                    broken[key] = {"spend": "12,34 USD", "daily_budget": "twenty", "name": 42}[key]
            broken.pop("adset_id", None) if "spend" in broken else broken.pop("id", None)
            return [broken, *page[1:]]
        if fault.kind == "duplicate":
            return [page[0], *page]
        return page[::-1]

    # -- async report runs ------------------------------------------------------------------------
    def _start_report(self, params: dict[str, str]) -> dict[str, Any]:
        rows = self.insights_rows(params)  # validates now, as Meta does before queueing
        since, until = self._time_range(params, self.data())
        report_id = str(next(self._report_ids))
        self._reports[report_id] = {"rows": rows, "polls": 0, "since": since, "until": until,
                                    "created": int(time.time())}
        return {"report_run_id": report_id}

    def _report_status(self, report_id: str, params: dict[str, str]) -> dict[str, Any]:
        report = self._reports[report_id]
        report["polls"] += 1
        done = report["polls"] >= self.polls_to_complete
        if done:
            status, pct = "Job Completed", 100
        elif report["polls"] == 1:
            status, pct = "Job Not Started", 0
        else:
            status, pct = "Job Running", int(100 * report["polls"] / self.polls_to_complete)
        values = {
            "id": report_id, "account_id": self.account_number, "async_status": status,
            "async_percent_completion": pct, "date_start": report["since"].isoformat(),
            "date_stop": report["until"].isoformat(), "time_ref": report["created"],
            "time_completed": report["created"] + 1 if done else 0, "is_running": not done,
            "is_async_export": 0, "is_bookmarked": False, "emails": [],
        }
        fields = self._fields(params, "report_run", list(values))
        return {f: values[f] for f in fields if f in values} | {"id": report_id}

    def _report_page(self, report_id: str, params: dict[str, str], request: Request) -> dict[str, Any]:
        report = self._reports[report_id]
        if report["polls"] < self.polls_to_complete:
            raise GraphError("(#100) The report is not ready yet: poll until async_status is Job Completed", 100, 2490415)
        return self._page(report["rows"], params, request)


async def restate_marketing(request: Request) -> JSONResponse:
    """``POST /_sandbox/restate`` (``{"api": "meta"}`` to restate one platform): late conversions arrive."""
    body = json.loads(await request.body() or b"{}")
    only = body.get("api") if isinstance(body, dict) else None
    epochs = {}
    for name, api in request.app.state.apis.items():
        if hasattr(api, "restate") and only in (None, "*", name):
            epochs[name] = api.restate()
    return JSONResponse({"restatement_epoch": epochs})


def _render_row(rows: list[DailyMetrics], account, campaign, group, level: str, fields: list[str],
                windows: list[str], since: date, until: date, unified: bool = False) -> dict[str, Any]:
    spend = sum((r.spend for r in rows), Decimal("0.00"))
    impressions = sum(r.impressions for r in rows)
    clicks = sum(r.clicks for r in rows)
    purchases = sum(r.purchases for r in rows)
    value = sum((r.purchase_value for r in rows), Decimal("0.00"))
    p_click = sum(r.purchases_click for r in rows)
    v_click = sum((r.purchase_value_click for r in rows), Decimal("0.00"))
    link_clicks = int(clicks * 0.92)

    def windowed(total, click, view, fmt) -> dict[str, str]:
        parts = {"1d_click": round(click * 0.85) if isinstance(click, int) else (click * Decimal("0.85")).quantize(Decimal("0.01")),
                 "7d_click": click, "28d_click": click, "1d_view": view}
        return {w: fmt(parts[w]) for w in windows if w in RETURNED_WINDOWS and w in parts}

    actions = [{"action_type": "link_click", "value": str(link_clicks), **windowed(link_clicks, link_clicks, 0, str)},
               {"action_type": "landing_page_view", "value": str(int(link_clicks * 0.7)),
                **windowed(0, int(link_clicks * 0.7), 0, str)}]
    action_values = []
    # `value` is under the account's default setting (7-day click + 1-day view), or under each
    # ad set's own attribution_spec with use_unified_attribution_setting=true (as Ads Manager).
    setting = group.attribution if unified and group is not None else "7d_click_1d_view"
    if purchases:
        own_count = {"7d_click_1d_view": purchases, "7d_click": p_click, "1d_click": round(p_click * 0.85)}[setting]
        own_value = {"7d_click_1d_view": value, "7d_click": v_click,
                     "1d_click": (v_click * Decimal("0.85")).quantize(Decimal("0.01"))}[setting]
        for action_type in PURCHASE_ACTIONS:
            actions.append({"action_type": action_type, "value": str(own_count),
                            **windowed(purchases, p_click, purchases - p_click, str)})
            action_values.append({"action_type": action_type, "value": f"{own_value:.2f}",
                                  **windowed(value, v_click, value - v_click, lambda v: f"{v:.2f}")})
    values: dict[str, Any] = {
        "account_id": account.account_id.removeprefix("act_"), "account_name": account.name,
        "account_currency": account.currency,
        "date_start": since.isoformat(), "date_stop": until.isoformat(),
        "spend": f"{spend:.2f}", "impressions": str(impressions), "clicks": str(clicks),
        "inline_link_clicks": str(link_clicks), "actions": actions,
    }
    if action_values:
        values["action_values"] = action_values
    if spend and value:
        values["purchase_roas"] = [{"action_type": "omni_purchase", "value": f"{value / spend:.6f}"}]
    if impressions:
        values["cpm"] = f"{spend * 1000 / impressions:.6f}"
        values["ctr"] = f"{Decimal(clicks) * 100 / impressions:.6f}"
    if clicks:
        values["cpc"] = f"{spend / clicks:.6f}"
    if campaign is not None:
        values |= {"campaign_id": campaign.campaign_id, "campaign_name": campaign.name, "objective": campaign.objective}
    if group is not None:
        values |= {"adset_id": group.ad_group_id, "adset_name": group.name}
        if level == "ad":
            values |= {"ad_id": str(int(group.ad_group_id) + 500_000), "ad_name": f"{group.name} - ad 1"}
    out = {f: values[f] for f in fields if f in values}
    # Graph always echoes the reporting period.
    out.setdefault("date_start", values["date_start"])
    out.setdefault("date_stop", values["date_stop"])
    return out


def _buckets(since: date, until: date, increment: str) -> list[tuple[date, date]]:
    if increment == "all_days":
        return [(since, until)]
    if increment == "monthly":
        out, start = [], since
        while start <= until:
            nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            out.append((start, min(until, nxt - timedelta(days=1))))
            start = nxt
        return out
    try:
        step = int(increment)
    except ValueError:
        step = 0
    if not 1 <= step <= 90:
        raise _param_error("time_increment must be an integer between 1 and 90, monthly or all_days")
    out, start = [], since
    while start <= until:
        out.append((start, min(until, start + timedelta(days=step - 1))))
        start += timedelta(days=step)
    return out


#: Statuses an insights request must ask for, through `filtering`, to see those objects' rows.
REMOVED = ("DELETED", "ARCHIVED")


def _removed_status(campaign, group) -> str | None:
    """DELETED or ARCHIVED when the ad set or its campaign is, else None."""
    for obj in (group, campaign):
        if obj is not None and obj.status in REMOVED:
            return obj.status
    return None


def _removed_statuses_asked(params: dict[str, str]) -> set[str]:
    """The removed statuses a request's `filtering` (a JSON list of {field, operator, value})
    asks for on ``campaign``/``adset``/``ad.effective_status`` with operator IN."""
    if "filtering" not in params:
        return set()
    try:
        rules = json.loads(params["filtering"])
    except ValueError:
        raise _param_error("Param filtering must be a JSON array of {field, operator, value} objects") from None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise _param_error("Param filtering must be a JSON array of {field, operator, value} objects")
    asked: set[str] = set()
    for rule in rules:
        field, operator, value = rule.get("field"), rule.get("operator"), rule.get("value")
        if field not in ("campaign.effective_status", "adset.effective_status", "ad.effective_status"):
            raise _param_error(f"Filtering field {field} is not modelled by the Storeboard sandbox")
        if operator != "IN" or not isinstance(value, list):
            raise _param_error(f"Filtering on {field} takes operator IN and a list of statuses")
        asked |= {v for v in value if v in REMOVED}
    return asked


def _attribution_spec(setting: str) -> list[dict[str, Any]]:
    """An ad set's ``attribution_spec`` (list<AttributionSpec>) for a setting like ``7d_click_1d_view``."""
    spec = []
    for part in setting.split("_1d_view")[0].split("_"):
        if part.endswith("d") and part[:-1].isdigit():
            spec.append({"event_type": "CLICK_THROUGH", "window_days": int(part[:-1])})
    if setting.endswith("1d_view"):
        spec.append({"event_type": "VIEW_THROUGH", "window_days": 1})
    return spec


def _json_list(params: dict[str, str], name: str) -> list[str] | None:
    if name not in params:
        return None
    raw = params[name]
    try:
        value = json.loads(raw)
    except ValueError:
        value = [v.strip() for v in raw.split(",") if v.strip()]
    if not isinstance(value, list):
        raise _param_error(f"Param {name} must be an array.")
    return [str(v) for v in value]


def _check_enum(values: list[str], enum_name: str, param: str) -> None:
    specs = meta_specs()
    allowed = specs["enums"].get(enum_name) if specs else None
    if allowed is None:
        return
    for value in values:
        if value not in allowed:
            raise _param_error(f"Param {param} must be one of {{{', '.join(allowed)}}} - got {value!r}")


def _unsupported(node: str) -> GraphError:
    return GraphError(f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to "
                      "missing permissions, or does not support this operation. Please read the Graph API "
                      "documentation at https://developers.facebook.com/docs/graph-api", 100, 33,
                      type_="GraphMethodException")


def _minor(amount: Decimal, currency: str) -> str:
    return str(int(amount if currency in ZERO_DECIMAL else amount * 100))


def _graph_time(at: datetime) -> str:
    """Graph's timestamp format: ``2026-10-01T09:00:00+0000``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("pos:"))
    except (ValueError, UnicodeDecodeError):
        raise _param_error("Invalid cursor") from None


def _quote(value: str) -> str:
    return quote(value, safe="")
