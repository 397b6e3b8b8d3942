"""The last hour of each region's calls, for the status page: volume, errors, latency, and the
quality of the person records it returned.

:class:`RegionStats` is a :class:`~gateway.pipeline.observe.CallObserver`. Per region it keeps a
ring of one-minute buckets (60 of them), each a fixed-size summary: calls, failed calls, errors
by code, a latency histogram on fixed bounds, and how many of the person records returned carry
each strong identifier. Memory is bounded whatever the traffic; a bucket older than the window
is reused, so an hour-old call ages out. The clock is injectable so tests can age buckets.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from connectors.base import Capability
from connectors.errors import ConnectorError, UpstreamInvalid
from connectors.identifiers import IdentifierKind
from connectors.records import PersonRecord
from gateway.pipeline.breaker import CircuitOpen
from gateway.pipeline.observe import Observation

BUCKET_SECONDS = 60
WINDOW_BUCKETS = 60  # one hour of one-minute buckets
# Upper bounds of the latency histogram: 1 ms doubling every 4 steps (about 19% apart) to ~65 s;
# one more bucket holds anything slower.
LATENCY_BOUNDS: tuple[float, ...] = tuple(0.001 * 2 ** (i / 4) for i in range(65))
# The operations that return person records (the others return facts about a known record).
PERSON_OPERATIONS = frozenset({Capability.FIND_BY_IDENTIFIERS, Capability.SEARCH_PEOPLE})
MAPPING_FAILURE = UpstreamInvalid.code


class _Bucket:
    """One minute of one region's calls."""

    __slots__ = (
        "calls",
        "errors",
        "failed",
        "fastest",
        "identified",
        "latency",
        "minute",
        "records",
        "slowest",
    )

    def __init__(self, minute: int) -> None:
        self.minute = minute
        self.calls = 0
        self.failed = 0
        self.errors: Counter[str] = Counter()
        self.latency = [0] * (len(LATENCY_BOUNDS) + 1)
        self.fastest = float("inf")
        self.slowest = 0.0
        self.records = 0
        self.identified: Counter[IdentifierKind] = Counter()


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of the calls that reached the region, in seconds (``None``: no such call)."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


@dataclass(frozen=True, slots=True)
class RegionWindow:
    """One region over the window.

    ``errors`` counts failed outcomes by code: a call that failed as a whole counts once, a key
    that failed within a call that answered counts once. ``error_rate`` is failed calls over
    calls. ``identifier_share`` is, per strong identifier, the share of the person records
    returned (by finds and searches) that carry it; ``None`` when none was returned.
    ``mapping_failures`` are the outcomes the gateway could not map (``UPSTREAM_INVALID``)."""

    calls: int
    failed_calls: int
    errors: Mapping[str, int]
    latency: Latency
    records: int
    identifier_share: Mapping[IdentifierKind, float | None]
    mapping_failures: int

    @property
    def error_rate(self) -> float | None:
        return self.failed_calls / self.calls if self.calls else None


class RegionStats:
    """A rolling window per region, fed by every observed call."""

    def __init__(
        self,
        regions: Iterable[str],
        clock: Callable[[], float] = time.time,
        bucket_seconds: int = BUCKET_SECONDS,
        buckets: int = WINDOW_BUCKETS,
    ) -> None:
        self.clock = clock
        self.bucket_seconds = bucket_seconds
        self.buckets = buckets
        self._rings: dict[str, list[_Bucket | None]] = {r: [None] * buckets for r in regions}

    @property
    def window_seconds(self) -> int:
        return self.bucket_seconds * self.buckets

    def observe(self, observation: Observation) -> None:
        bucket = self._bucket(observation.call.region)
        bucket.calls += 1
        error = observation.error
        if error is not None:
            bucket.failed += 1
        if not observation.outcomes and error is not None:
            bucket.errors[error.code] += 1
        if not isinstance(error, CircuitOpen):  # failed fast: the region was not asked
            seconds = max(0.0, observation.seconds)
            bucket.latency[bisect.bisect_left(LATENCY_BOUNDS, seconds)] += 1
            bucket.fastest = min(bucket.fastest, seconds)
            bucket.slowest = max(bucket.slowest, seconds)
        person_records = observation.call.operation in PERSON_OPERATIONS
        for outcome in observation.outcomes:
            if isinstance(outcome, ConnectorError):
                bucket.errors[outcome.code] += 1
            elif person_records and isinstance(outcome.value, list):
                for record in outcome.value:
                    if isinstance(record, PersonRecord):
                        bucket.records += 1
                        bucket.identified.update({i.kind for i in record.identifiers})

    def window(self, region: str) -> RegionWindow:
        """The region's last ``window_seconds``, summed over the buckets still inside it."""
        live = self._live(region)
        errors: Counter[str] = Counter()
        identified: Counter[IdentifierKind] = Counter()
        histogram = [0] * (len(LATENCY_BOUNDS) + 1)
        for bucket in live:
            errors.update(bucket.errors)
            identified.update(bucket.identified)
            histogram = [a + b for a, b in zip(histogram, bucket.latency, strict=True)]
        records = sum(b.records for b in live)
        fastest = min((b.fastest for b in live), default=0.0)
        slowest = max((b.slowest for b in live), default=0.0)
        return RegionWindow(
            calls=sum(b.calls for b in live),
            failed_calls=sum(b.failed for b in live),
            errors=dict(sorted(errors.items())),
            latency=Latency(
                *(_percentile(histogram, q, fastest, slowest) for q in (0.50, 0.95, 0.99))
            ),
            records=records,
            identifier_share={
                kind: identified[kind] / records if records else None for kind in IdentifierKind
            },
            mapping_failures=errors[MAPPING_FAILURE],
        )

    def _minute(self) -> int:
        return int(self.clock() // self.bucket_seconds)

    def _bucket(self, region: str) -> _Bucket:
        ring = self._rings.setdefault(region, [None] * self.buckets)
        minute = self._minute()
        slot = minute % self.buckets
        bucket = ring[slot]
        if bucket is None or bucket.minute != minute:
            bucket = ring[slot] = _Bucket(minute)
        return bucket

    def _live(self, region: str) -> list[_Bucket]:
        oldest = self._minute() - self.buckets
        ring = self._rings.get(region, [])
        return [b for b in ring if b is not None and b.minute > oldest]


def _percentile(histogram: list[int], q: float, fastest: float, slowest: float) -> float | None:
    """The ``q`` quantile, interpolated within its histogram bucket and kept between the fastest
    and the slowest call seen (so one call's p50 is that call's time, not its bucket's middle)."""
    total = sum(histogram)
    if not total:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = LATENCY_BOUNDS[index - 1] if index else 0.0
            high = LATENCY_BOUNDS[index] if index < len(LATENCY_BOUNDS) else slowest
            return min(slowest, max(fastest, low + (high - low) * (rank - seen) / count))
        seen += count
    return slowest
