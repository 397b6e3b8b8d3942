"""Cache stage: fresh answers cost the region nothing; stale ones stand in, marked, for a failure.

An answer is *fresh* for the region's ``cache_ttl`` of the operation (else its ``default``, else
``[cache] default_ttl``) and may stand in for a failure for ``stale_grace`` seconds more. A refusal
of our own request (:class:`~connectors.errors.UpstreamRejected`) never gets a stand-in: the next
identical request would be refused too.

An optional :class:`CacheRecorder` is told, once per call, how many keys were fresh hits, how
many the region answered (or failed), and how many a stale entry stood in for (for metrics).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Protocol

from connectors.base import PersonListing, PersonSearch
from connectors.errors import (
    ConnectorError,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
)
from connectors.identifiers import Identifier
from gateway.cache_store import CacheStore, Entry
from gateway.pipeline.call import Fetched, Handler, Outcome, RegionCall
from gateway.settings import CacheSettings

SCHEMA_VERSION = "v2"  # bump when the shape of cached values changes (v2: PersonRecord.included)
MAX_ARGUMENT = 200  # longer canonical arguments are replaced by their sha256
STALE_FOR = (RegionUnavailable, UpstreamAuthFailed, UpstreamInvalid)

log = logging.getLogger("offender_graph.pipeline")


class CacheRecorder(Protocol):
    """Told of every cached call, in keys: ``hits`` answered fresh from the store, ``misses``
    answered (or failed) by the region, ``stale`` failed by the region and answered by a stale
    entry instead. The three add up to the call's keys. Must be cheap."""

    def record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None: ...


def canonical_argument(key: Hashable) -> str:
    """A key as text: ``KIND:value`` for an identifier, a local id as is, a search or a listing
    as JSON."""
    if isinstance(key, Identifier):
        text = str(key)
    elif isinstance(key, str):
        text = key
    elif isinstance(key, PersonSearch | PersonListing):
        fields = dataclasses.asdict(key)
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    else:
        raise TypeError(f"no cache key for a {type(key).__name__}")
    if len(text) > MAX_ARGUMENT:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def cache_key(namespace: str, region: str, operation: str, key: Hashable) -> str:
    """The one spelling of a cache key, shared by the cache stage and invalidation."""
    return f"{namespace}:{SCHEMA_VERSION}:{region}:{operation}:{canonical_argument(key)}"


class CacheStage:
    """Answer fresh keys from the store, ask the inner handler for the rest in one call."""

    def __init__(
        self,
        next: Handler,
        store: CacheStore,
        settings: CacheSettings,
        ttls: Mapping[str, Mapping[str, float]],
        *,
        clock: Callable[[], float] = time.time,
        recorder: CacheRecorder | None = None,
    ) -> None:
        self.next = next
        self.store = store
        self.settings = settings
        self.ttls = ttls
        self.clock = clock
        self.recorder = recorder

    def fresh_for(self, region: str, operation: str) -> float:
        """Seconds an answer of ``operation`` from ``region`` stays fresh (0: not cached)."""
        table = self.ttls.get(region, {})
        return float(table.get(operation, table.get("default", self.settings.default_ttl)))

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        ttl = self.fresh_for(call.region, call.operation)
        if not self.settings.enabled or ttl <= 0:
            return await self.next(call)
        ns = self.settings.namespace
        keys = [cache_key(ns, call.region, call.operation, key) for key in call.keys]
        entries = await self.store.get_many(keys)
        now = self.clock()
        outcomes: list[Outcome | None] = [None] * len(keys)
        missing: list[int] = []
        for index, entry in enumerate(entries):
            if entry is not None and now - entry.fetched_at < ttl:
                outcomes[index] = Fetched(entry.value, entry.fetched_at)
            else:
                missing.append(index)
        if not missing:
            self._record(call, len(keys), 0, 0)
            return _complete(outcomes)
        try:
            answers = await self.next(call.with_keys([call.keys[i] for i in missing]))
        except ConnectorError as exc:
            now = self.clock()
            for index in missing:
                outcomes[index] = self._stand_in(entries[index], exc, now, ttl)
            self._record_misses(call, outcomes, missing)
            if not any(isinstance(o, Fetched) for o in outcomes):
                raise  # no key could be answered: the call failed as a whole
            return _complete(outcomes)
        now = self.clock()
        fresh: list[tuple[str, Entry]] = []
        for index, answer in zip(missing, answers, strict=True):
            if isinstance(answer, Fetched):
                if not answer.stale:
                    fresh.append((keys[index], Entry(answer.value, answer.fetched_at)))
                outcomes[index] = answer
            else:
                outcomes[index] = self._stand_in(entries[index], answer, now, ttl)
        self._record_misses(call, outcomes, missing)
        await self.store.set_many(fresh, ttl + self.settings.stale_grace)
        return _complete(outcomes)

    def _record_misses(
        self, call: RegionCall, outcomes: list[Outcome | None], missing: list[int]
    ) -> None:
        stale = sum(1 for i in missing if isinstance(o := outcomes[i], Fetched) and o.stale)
        self._record(call, len(outcomes) - len(missing), len(missing) - stale, stale)

    def _record(self, call: RegionCall, hits: int, misses: int, stale: int) -> None:
        if self.recorder is None:
            return
        try:
            self.recorder.record(call, hits, misses, stale)
        except Exception:  # a recorder's bug must never cost the request its answer
            log.exception("cache recorder %s failed", type(self.recorder).__name__)

    def _stand_in(
        self, entry: Entry | None, error: ConnectorError, now: float, ttl: float
    ) -> Outcome:
        """The entry within its grace period that may answer for ``error``, else the error."""
        if (
            entry is not None
            and isinstance(error, STALE_FOR)
            and now - entry.fetched_at < ttl + self.settings.stale_grace
        ):
            return Fetched(entry.value, entry.fetched_at, stale=True)
        return error


def _complete(outcomes: list[Outcome | None]) -> list[Outcome]:
    """The outcomes once every slot is filled."""
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(outcomes)
    return done
