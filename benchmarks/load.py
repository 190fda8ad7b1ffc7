"""Load test: hit the dashboards of a running ``storeboard serve`` from a second process.

Sends at most ``--requests`` requests, ``--concurrency`` at a time, and stops early after
``--duration-limit`` seconds. The routes (every dashboard page and its JSON API by default) are
requested in turn. A response counts as an error when its status is not 2xx, or it is incomplete:
a body shorter than its Content-Length, an HTML page that does not end in ``</html>``, or JSON
that does not parse. Prints throughput and p50/p95/max latency per route as a Markdown table.

    python -m benchmarks.load --url http://127.0.0.1:8000 --requests 600 --concurrency 8 --duration-limit 60

With login on, pass ``--user NAME`` and put the password in the environment variable named by
``--password-env`` (default ``STOREBOARD_LOAD_PASSWORD``), never on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

#: Every dashboard as a page and as its JSON API.
DASHBOARDS = ["revenue", "marketing", "customers", "products", "inventory", "health"]
DEFAULT_ROUTES = [path for name in DASHBOARDS for path in (f"/{name}", f"/api/{name}")]


@dataclass
class RouteStats:
    """What one route answered: latencies in milliseconds, statuses, errors by kind."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    bytes: int = 0

    def summary(self) -> dict:
        ordered = sorted(self.latencies_ms)
        return {"requests": len(ordered), "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "p50_ms": percentile(ordered, 50), "p95_ms": percentile(ordered, 95),
                "max_ms": ordered[-1] if ordered else None, "bytes": self.bytes}


def percentile(ordered: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def incomplete(response: httpx.Response) -> str | None:
    """Why the body is not a whole answer, or None when it is."""
    declared = response.headers.get("content-length")
    if declared is not None and int(declared) != len(response.content):
        return "short body"
    kind = response.headers.get("content-type", "")
    if "text/html" in kind and not response.text.rstrip().lower().endswith("</html>"):
        return "html not closed"
    if "json" in kind:
        try:
            json.loads(response.content)
        except ValueError:
            return "json does not parse"
    return None


async def login(client: httpx.AsyncClient, user: str, password: str) -> None:
    """Log in through the form (CSRF token from the login page); the session cookie stays in ``client``."""
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post("/login", data={"username": user, "password": password, "csrf_token": token})
    if answer.status_code != 303:  # the form answers a wrong password with the form again
        raise SystemExit(f"login as {user!r} at {client.base_url} failed: HTTP {answer.status_code}")


async def load(url: str, routes: list[str], requests: int, concurrency: int, duration_limit: float,
               user: str | None = None, password: str | None = None, timeout: float = 60.0) -> dict:
    """Run the load; returns totals and per-route summaries."""
    stats = {route: RouteStats() for route in routes}
    issued = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, follow_redirects=False) as client:
        if user:
            await login(client, user, password or "")
        started = time.monotonic()
        deadline = started + duration_limit

        async def worker() -> None:
            nonlocal issued
            while issued < requests and time.monotonic() < deadline:
                route = routes[issued % len(routes)]
                issued += 1
                record = stats[route]
                sent = time.monotonic()
                try:
                    response = await client.get(route)
                except httpx.HTTPError as exc:
                    record.latencies_ms.append((time.monotonic() - sent) * 1000)
                    record.errors[type(exc).__name__] += 1
                    continue
                record.latencies_ms.append((time.monotonic() - sent) * 1000)
                record.statuses[response.status_code] += 1
                record.bytes += len(response.content)
                if not 200 <= response.status_code < 300:
                    record.errors[f"HTTP {response.status_code}"] += 1
                elif problem := incomplete(response):
                    record.errors[problem] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    routes_summary = {route: record.summary() for route, record in stats.items()}
    every = sorted(ms for record in stats.values() for ms in record.latencies_ms)
    done = len(every)
    return {
        "url": url, "requests": done, "concurrency": concurrency, "seconds": round(elapsed, 2),
        "throughput_rps": round(done / elapsed, 2) if elapsed else None,
        "errors": sum(r["errors"] for r in routes_summary.values()),
        "server_errors": sum(n for r in routes_summary.values() for s, n in r["statuses"].items() if s.startswith("5")),
        "p50_ms": percentile(every, 50), "p95_ms": percentile(every, 95), "max_ms": every[-1] if every else None,
        "routes": routes_summary, "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def markdown(result: dict) -> str:
    """The result as a Markdown table, one row per route and a total."""
    def ms(value):
        return "–" if value is None else f"{value:,.0f}"

    lines = [f"{result['requests']} requests, concurrency {result['concurrency']}, {result['seconds']} s: "
             f"**{result['throughput_rps']} req/s**, {result['errors']} errors ({result['server_errors']} 5xx)", "",
             "| route | requests | errors | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for route, r in result["routes"].items():
        lines.append(f"| `{route}` | {r['requests']} | {r['errors']} | {ms(r['p50_ms'])} | {ms(r['p95_ms'])} | {ms(r['max_ms'])} |")
    lines.append(f"| **all** | {result['requests']} | {result['errors']} | {ms(result['p50_ms'])} | "
                 f"{ms(result['p95_ms'])} | {ms(result['max_ms'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where storeboard serve listens.")
    parser.add_argument("--requests", type=int, default=600, help="Most requests to send in all.")
    parser.add_argument("--concurrency", type=int, default=8, help="Requests in flight at once.")
    parser.add_argument("--duration-limit", type=float, default=60.0, help="Stop sending after this many seconds.")
    parser.add_argument("--routes", default=",".join(DEFAULT_ROUTES), help="Comma-separated paths, requested in turn.")
    parser.add_argument("--user", help="Log in as this dashboard user (login on).")
    parser.add_argument("--password-env", default="STOREBOARD_LOAD_PASSWORD",
                        help="Environment variable holding --user's password.")
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds one request may take.")
    parser.add_argument("--json", dest="json_path", help="Also write the result as JSON to this file.")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.duration_limit <= 0:
        parser.error("--requests and --concurrency must be at least 1 and --duration-limit positive")
    password = os.environ.get(args.password_env) if args.user else None
    if args.user and password is None:
        parser.error(f"--user needs the password in the environment variable {args.password_env}")
    result = asyncio.run(load(args.url.rstrip("/"), [r.strip() for r in args.routes.split(",") if r.strip()],
                              args.requests, args.concurrency, args.duration_limit, args.user, password, args.timeout))
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    print(markdown(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
