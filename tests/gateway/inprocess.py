"""The gateway in-process over fake regions: the real runtime, pipeline, service and schema,
with connectors that hold a few records and fail on demand."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any

import httpx

from auth.principal import Principal
from connectors.base import Capability, Connector, PersonSearch
from connectors.config import RegionConfig
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import (
    Alert,
    AlertSource,
    CustodyEpisode,
    InOutStatus,
    ManagerRole,
    OffenderManager,
    PersonName,
    PersonRecord,
    SupervisionEpisode,
    SupervisionKind,
    SystemKind,
)
from gateway.app import create_app
from gateway.runtime import Runtime, build_runtime
from gateway.settings import (
    AuditSettings,
    AuthSettings,
    CacheSettings,
    GatewaySettings,
    IndexSettings,
    ResilienceSettings,
)
from schema.build import build_schema

TODAY = date(2026, 11, 1)


def person(region: str, local_id: str, *ids: Identifier, surname: str = "Smith") -> PersonRecord:
    return PersonRecord(region, local_id, ids, PersonName("Ann", surname), date(1980, 1, 1))


def booking(
    region: str, local_id: str, start: date, active: bool, prison: str = "MDI"
) -> CustodyEpisode:
    return CustodyEpisode(
        region,
        local_id,
        f"B{start:%Y%m%d}",
        "1A",
        prison,
        prison,
        active,
        InOutStatus.IN if active else InOutStatus.OUT,
        "SENTENCED",
        start,
        None if active else date(start.year + 1, 1, 1),
    )


def licence(region: str, local_id: str, start: date, active: bool) -> SupervisionEpisode:
    return SupervisionEpisode(
        region,
        local_id,
        f"S{start:%Y%m%d}",
        SupervisionKind.LICENCE,
        "N07",
        start,
        None if active else date(start.year + 1, 1, 1),
        active,
    )


def manager(region: str, local_id: str, code: str, on: date) -> OffenderManager:
    return OffenderManager(
        region, local_id, code, "Sam", "Jones", ManagerRole.COM, "T1", "P1", "N07", True, on
    )


def alert(region: str, local_id: str, code: str, active: bool) -> Alert:
    return Alert(region, local_id, AlertSource.PROBATION_REGISTRATION, "ROSH", code, code, active)


class FakeRegion(Connector):
    """Records and facts in memory; ``fail[operation] = error`` makes that operation raise it."""

    dialect = "fake"

    def __init__(
        self,
        name: str,
        kind: SystemKind,
        records: Sequence[PersonRecord],
        facts: Mapping[Capability, Sequence[Any]] | None = None,
    ) -> None:
        super().__init__(RegionConfig(name, "fake", kind, f"http://{name}.invalid/"))
        self.records = list(records)
        self.facts = {k: list(v) for k, v in (facts or {}).items()}
        self.capabilities = frozenset(  # type: ignore[misc]
            {Capability.FIND_BY_IDENTIFIERS, Capability.SEARCH_PEOPLE, *self.facts}
        )
        self.identifier_kinds = frozenset(IdentifierKind)  # type: ignore[misc]
        self.fail: dict[Capability, ConnectorError] = {}
        self.calls: list[tuple[Capability, tuple[object, ...]]] = []
        self.extra: list[PersonRecord] = []  # unrelated records sent with every find answer

    def _enter(self, capability: Capability, keys: Sequence[object]) -> None:
        self.calls.append((capability, tuple(keys)))
        if capability in self.fail:
            raise self.fail[capability]

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> list[list[PersonRecord]]:
        self._enter(Capability.FIND_BY_IDENTIFIERS, identifiers)
        return [[r for r in self.records if i in r.identifiers] + self.extra for i in identifiers]

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        self._enter(Capability.SEARCH_PEOPLE, [query])
        return [r for r in self.records if r.name.surname == query.surname]

    def _per_id(self, capability: Capability, local_ids: Sequence[str]) -> list[list[Any]]:
        self._enter(capability, local_ids)
        return [[f for f in self.facts[capability] if f.local_id == i] for i in local_ids]

    async def custody_for(self, local_ids: Sequence[str]) -> list[list[Any]]:  # type: ignore[override]
        return self._per_id(Capability.CUSTODY_FOR, local_ids)

    async def movements_for(self, local_ids: Sequence[str]) -> list[list[Any]]:  # type: ignore[override]
        return self._per_id(Capability.MOVEMENTS_FOR, local_ids)

    async def supervision_for(self, local_ids: Sequence[str]) -> list[list[Any]]:  # type: ignore[override]
        return self._per_id(Capability.SUPERVISION_FOR, local_ids)

    async def managers_for(self, local_ids: Sequence[str]) -> list[list[Any]]:  # type: ignore[override]
        return self._per_id(Capability.MANAGERS_FOR, local_ids)

    async def alerts_for(self, local_ids: Sequence[str]) -> list[list[Any]]:  # type: ignore[override]
        return self._per_id(Capability.ALERTS_FOR, local_ids)

    def count(self, capability: Capability) -> int:
        return sum(1 for c, _ in self.calls if c is capability)


def settings(**overrides: Any) -> GatewaySettings:
    """Settings for in-process tests: no cache unless asked, quick retries, authentication and
    audit off, the person index in memory."""
    values: dict[str, Any] = {
        "regions": (),
        "cache": CacheSettings(enabled=False),
        "resilience": ResilienceSettings(backoff_initial=0.001, backoff_max=0.002),
        "auth": AuthSettings(mode="off"),
        "audit": AuditSettings(enabled=False),  # a test about the audit log asks for one
        "index": IndexSettings(url=":memory:"),  # each gateway its own, gone with it
    }
    values.update(overrides)
    return GatewaySettings(**values)


class Gateway:
    """A runtime over fake regions and the schema, executing queries in-process."""

    def __init__(self, regions: Sequence[FakeRegion], **overrides: Any) -> None:
        self.regions = {r.region: r for r in regions}
        self.runtime: Runtime = build_runtime(settings(**overrides), self.regions)
        self.schema = build_schema(regions=len(regions))

    async def execute(self, query: str, **variables: Any) -> tuple[Any, list[dict[str, Any]]]:
        """(data, errors as their formatted dicts)."""
        result = await self.schema.execute(
            query,
            variable_values=variables,
            context_value=self.runtime.context(Principal.development()),
        )
        errors = [dict(e.formatted) for e in result.errors or []]
        return result.data, errors


@contextlib.asynccontextmanager
async def app_client(
    options: GatewaySettings, connectors: Mapping[str, Connector]
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app (middleware, routes, lifespan) over ``connectors``, and a client that
    speaks HTTP to it in-process."""
    app = create_app(options, connectors=connectors)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
    ):
        yield http
