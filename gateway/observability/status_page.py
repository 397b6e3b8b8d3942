"""``/status`` and ``/status.json``: every region's state, breaker and last hour, for people.

:func:`status_payload` is the JSON twin (for dashboards): ``/ready``'s per-region fields
(``gateway/health.py``) plus the region's title and kind and its last hour
(``gateway/observability/region_stats.py``). :func:`render_status` renders that same payload as one
server-rendered HTML page in plain words, with inline CSS and no script, so the page and the JSON
cannot disagree. Every value from a region or the config is escaped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from gateway.directory import RegionDirectory
from gateway.health import RegionHealth, ready_payload
from gateway.observability.region_stats import RegionStats, RegionWindow
from gateway.pipeline.breaker import CircuitBreakers

REFRESH_SECONDS = 30

STATES = {  # status -> (css class, symbol, plain words)
    "UP": ("up", "✔", "Working"),
    "DOWN": ("down", "✖", "Not responding"),
    "UNKNOWN": ("unknown", "?", "Not checked yet"),
}
BREAKERS = {
    "CLOSED": "Normal: requests are sent to it",
    "OPEN": "Paused after repeated failures: requests are not sent to it",
    "HALF_OPEN": "Testing whether it has recovered",
}
ERROR_WORDS = {  # error code -> what it means, in plain words
    "REGION_UNAVAILABLE": "unavailable",
    "REGION_TIMEOUT": "too slow",
    "UPSTREAM_REJECTED": "refused the request",
    "UPSTREAM_AUTH": "refused the gateway's credentials",
    "UPSTREAM_INVALID": "unreadable reply",
}
PERCENTILES = ("p50", "p95", "p99")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _last_hour(window: RegionWindow) -> dict[str, Any]:
    shares = window.identifier_share.items()
    return {
        "calls": window.calls,
        "failedCalls": window.failed_calls,
        "errorRate": window.error_rate,
        "errors": dict(window.errors),
        "latencyMs": {p: _ms(getattr(window.latency, p)) for p in PERCENTILES},
        "dataQuality": {
            "personRecords": window.records,
            "identifierShare": {kind.value: share for kind, share in shares},
            "mappingFailures": window.mapping_failures,
        },
    }


def status_payload(
    directory: RegionDirectory,
    health: RegionHealth,
    breakers: CircuitBreakers,
    stats: RegionStats,
    now: float | None = None,
) -> dict[str, Any]:
    """``/status.json``: ``/ready``'s fields per region, with ``title``, ``kind`` and
    ``lastHour`` (calls, failed calls, error rate, errors by code, latency percentiles in ms and
    data quality: person records returned, share carrying each identifier, mapping failures)."""
    ready, _ = ready_payload(health, breakers)
    regions: dict[str, Any] = {}
    for name, state in ready["regions"].items():
        info = directory[name]
        regions[name] = {
            "title": info.title,
            "kind": info.kind.value,
            **state,
            "lastHour": _last_hour(stats.window(name)),
        }
    return {
        "generatedAt": _iso(time.time() if now is None else now),
        "windowSeconds": stats.window_seconds,
        "ready": ready["ready"],
        "regions": regions,
    }


# --- HTML ----------------------------------------------------------------------------------

CSS = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem;
       color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.summary { font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; vertical-align: top; padding: .5rem .6rem;
         border-bottom: 1px solid #ccc; }
th { background: #f3f3f3; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: .3rem; font-weight: 600;
         border: 2px solid; white-space: nowrap; }
.up { color: #0b5d1e; background: #e3f4e6; border-color: #0b5d1e; }
.down { color: #8a1010; background: #fbe4e4; border-color: #8a1010; }
.unknown { color: #4a4a4a; background: #eee; border-color: #4a4a4a; }
.small { font-size: .88rem; color: #444; }
dt { font-weight: 600; margin-top: .5rem; }
"""


def _clock(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%H:%M:%S} UTC"


def _when(iso: str | None, now: float) -> str:
    if not iso:
        return "Never, since the gateway started"
    ago = max(0, int(now - datetime.fromisoformat(iso).timestamp()))
    if ago < 60:
        since = f"{ago} s ago"
    elif ago < 3600:
        since = f"{ago // 60} min ago"
    else:
        since = f"{ago // 3600} h {ago % 3600 // 60} min ago"
    return f"{_clock(iso)} ({since})"


def _state_cell(region: Mapping[str, Any]) -> str:
    css, symbol, words = STATES.get(region["status"], STATES["UNKNOWN"])
    cell = f'<span class="badge {css}">{symbol} {escape(words)}</span>'
    if region["status"] != "UP" and region.get("lastError"):
        code = escape(str(region.get("lastErrorCode") or ""))
        cell += f'<div class="small">Last problem: {escape(str(region["lastError"]))}'
        cell += f" ({code})</div>" if code else "</div>"
    return cell


def _breaker_cell(region: Mapping[str, Any]) -> str:
    state = str(region["breaker"])
    text = escape(BREAKERS.get(state, state))
    if region.get("retryAt"):
        text += f'<div class="small">Next try at {escape(_clock(region["retryAt"]))}</div>'
    return text


def _errors_cell(hour: Mapping[str, Any]) -> str:
    calls, failed = hour["calls"], hour["failedCalls"]
    if not calls:
        return "No requests in the last hour"
    text = f"{failed} of {calls} requests failed ({failed / calls:.1%})"
    codes = ", ".join(
        f"{n} {escape(ERROR_WORDS.get(str(c), 'other problem'))} ({escape(str(c))})"
        for c, n in hour["errors"].items()
    )
    return text + (f'<div class="small">{codes}</div>' if codes else "")


def _latency_cell(hour: Mapping[str, Any]) -> str:
    latency = hour["latencyMs"]
    if latency["p50"] is None:
        return "No answers in the last hour"
    return (
        f"Typical {latency['p50']:.0f} ms"
        f'<div class="small">95% within {latency["p95"]:.0f} ms, '
        f"99% within {latency['p99']:.0f} ms</div>"
    )


def _quality_cell(hour: Mapping[str, Any]) -> str:
    quality = hour["dataQuality"]
    records, failures = quality["personRecords"], quality["mappingFailures"]
    unreadable = f"{failures} unreadable replies" if failures else "No unreadable replies"
    if not records:
        return f"No person records returned<div class='small'>{unreadable}</div>"
    shares = ", ".join(
        f"{escape(kind)} {share:.0%}" for kind, share in quality["identifierShare"].items()
    )
    return f"{records} person records; carrying {shares}<div class='small'>{unreadable}</div>"


def _row(name: str, region: Mapping[str, Any], now: float) -> str:
    hour = region["lastHour"]
    cells = [
        f"<strong>{escape(str(region['title']))}</strong>"
        f'<div class="small">{escape(name)}, {escape(str(region["kind"]))}</div>',
        _state_cell(region),
        _breaker_cell(region),
        _errors_cell(hour),
        _latency_cell(hour),
        _quality_cell(hour),
        escape(_when(region["lastSeenUp"], now)),
    ]
    return f'<tr data-region="{escape(name)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render_status(payload: Mapping[str, Any], now: float | None = None) -> str:
    """The status page for ``payload`` (from :func:`status_payload`)."""
    now = time.time() if now is None else now
    regions: Mapping[str, Any] = payload["regions"]
    working = sum(1 for r in regions.values() if r["status"] == "UP")
    rows = "\n".join(_row(name, region, now) for name, region in regions.items())
    minutes = payload["windowSeconds"] // 60
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>Offender Graph: status of the regional systems</title>
<style>{CSS}</style>
</head>
<body>
<h1>Status of the regional systems</h1>
<p class="summary">{working} of {len(regions)} regional systems are working.</p>
<p class="small">As seen by this gateway at {escape(_clock(payload["generatedAt"]))}.
Figures cover the last {minutes} minutes. The page refreshes every {REFRESH_SECONDS} seconds.
<a href="/status.json">The same as JSON</a> · <a href="/">Home</a></p>
<table>
<thead><tr><th>Region</th><th>State</th><th>Protection</th><th>Failed requests</th>
<th>Response time</th><th>Data quality</th><th>Last seen working</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<dl class="small">
<dt>State</dt><dd>Working: the system answered the last time it was asked. Not responding: it
did not answer or was unavailable. Not checked yet: it has not been asked since the gateway
started.</dd>
<dt>Protection</dt><dd>After repeated failures the gateway pauses requests to a system for a
short while, then tries again, so a failing system is not overwhelmed.</dd>
<dt>Response time</dt><dd>Typical: half of the answers were faster. 95% and 99%: the time within
which almost every answer came.</dd>
<dt>Data quality</dt><dd>The share of the person records the system returned that carry each
identifier (NOMS number, CRN, PNC number, CRO number): records without them are harder to link.
Unreadable replies are answers the gateway could not understand.</dd>
</dl>
</body>
</html>
"""


def render_index(graphiql: bool = True) -> str:
    """``/``: where to go, for analysts and operators (GraphiQL only where it is served)."""
    ide = ("/graphql", "GraphiQL", "ask the graph: example queries for one person are open in tabs")
    links = [
        *([ide] if graphiql else []),
        ("/status", "Status of the regional systems", "for people: plain words, last hour"),
        ("/status.json", "Status as JSON", "the same, for dashboards"),
        ("/ready", "Readiness", "per region UP, DOWN or UNKNOWN; 503 when every region is down"),
        ("/health", "Health", "the gateway process is up"),
    ]
    items = "\n".join(
        f'<li><a href="{escape(url)}">{escape(title)}</a>: {escape(what)}</li>'
        for url, title, what in links
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offender Graph</title>
<style>{CSS} li {{ margin: .4rem 0; }}</style>
</head>
<body>
<h1>Offender Graph</h1>
<p>One GraphQL graph of a person across the regional prison and probation systems.</p>
<ul>
{items}
</ul>
<p>Documentation: every type and field of the graph is described in GraphiQL's Docs pane; the
project's <code>README.md</code> explains the graph, its errors and how to run the gateway
(its Operations section covers these pages).</p>
</body>
</html>
"""
