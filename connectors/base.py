"""The connector contract: a small async interface that every regional dialect implements.

A connector only fetches and maps. Caching, authorisation, merging, retries, deadlines and batch
splitting belong to the gateway. Batch methods take many keys (never more than the connector's
:attr:`Connector.batch_limit`) and return one result per key, in order (the DataLoader shape); a
key no record answers is an empty list, never an error.

**Per-key versus whole-call failure**, the one rule every dialect follows:

- the call **raises** a :class:`ConnectorError` when the region could not answer the call: it was
  unreachable, timed out, answered 5xx/429, refused the credentials or the request, or sent a reply
  that cannot be read as a whole (not JSON/XML, wrong shape, wrong number of results);
- a key **fails alone** (a :class:`ConnectorError` in its slot) when the region answered the call
  but that key's part of the answer was bad (a record that does not map, a per-key error code);
- when the connector makes several upstream calls for one call (one per key or per chunk) and
  *every* one of them failed with the same unavailability, that is a whole-call failure: raise it
  (:func:`connectors.batching.fan_out` does this).

The gateway's pipeline counts a raised error against the region's health and breaker and may
retry it; per-key errors are shown against their keys only. A connector never lets a foreign
exception (httpx, zeep, lxml, json) out: see :mod:`connectors.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar, TypeVar

import httpx

from connectors.config import RegionConfig
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier, IdentifierKind, format_cro, format_pnc
from connectors.options import ConnectorOptions, parse_options
from connectors.records import (
    Alert,
    CustodyEpisode,
    Movement,
    OffenderManager,
    PersonRecord,
    SupervisionEpisode,
    SystemKind,
)

T = TypeVar("T")
BatchResult = Sequence[T | ConnectorError]
"""One result per key, in order: its value, or the :class:`ConnectorError` failing it alone."""


class Capability(StrEnum):
    """Operations a connector may offer; the value is the method name."""

    FIND_BY_IDENTIFIERS = "find_by_identifiers"
    SEARCH_PEOPLE = "search_people"
    CUSTODY_FOR = "custody_for"
    MOVEMENTS_FOR = "movements_for"
    SUPERVISION_FOR = "supervision_for"
    MANAGERS_FOR = "managers_for"
    ALERTS_FOR = "alerts_for"
    LIST_PEOPLE = "list_people"


@dataclass(frozen=True, slots=True)
class PersonSearch:
    """Search by name (surname required) and optional date of birth."""

    surname: str
    forename: str | None = None
    date_of_birth: date | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True)
class PersonListing:
    """One page of the people of a ``location`` (a prison id such as ``MDI``, or a probation
    region code such as ``N03``) or of an offender manager's caseload (``staff_code``); neither:
    every person the system holds. ``cursor``: where the page starts, as the region's previous
    page gave it (None: the first page); ``limit``: people per page at most (a region may give
    fewer)."""

    location: str | None = None
    staff_code: str | None = None
    cursor: str | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a listing, in the region's stable order, and the opaque cursor of the next
    page (None: this was the last)."""

    records: tuple[PersonRecord, ...]
    cursor: str | None = None


class Connector:
    """Base class of every dialect. Subclasses override the operations they support.

    ``capabilities`` and ``identifier_kinds`` tell the gateway which calls make sense for this
    region. Every declared capability must be overridden (checked when the connectors are built,
    :mod:`connectors.registry`); the base methods raise ``NotImplementedError``.

    ``Options`` is the dialect's typed ``options`` table (:mod:`connectors.options`), validated in
    ``__init__`` (so at start-up) into ``self.options``. ``max_batch`` is the most keys one batch
    call may take (None: no limit); a region's ``options.max_batch`` overrides it, and the gateway
    splits larger calls, so a connector never sees more keys than :attr:`batch_limit`.
    """

    dialect: ClassVar[str] = ""
    kinds: ClassVar[frozenset[SystemKind]] = frozenset(SystemKind)
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    identifier_kinds: ClassVar[frozenset[IdentifierKind]] = frozenset()
    find_includes: ClassVar[frozenset[Capability]] = frozenset()
    """Fact kinds a find reply may carry with each record (``PersonRecord.included``): a warm
    lookup waits for the find instead of asking for them beside it."""
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    max_batch: ClassVar[int | None] = None
    options: ConnectorOptions

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.region = config.name
        self.options = parse_options(type(self).Options, config.name, config.options)
        self._transport = transport

    @property
    def batch_limit(self) -> int | None:
        """The most keys one batch call receives: ``options.max_batch``, else ``max_batch``."""
        override = self.options.max_batch
        return override if override is not None else self.max_batch

    async def start(self) -> None:
        """Prepare for calls (load a WSDL, open clients). Called once before the first call."""

    async def aclose(self) -> None:
        """Release clients. Idempotent."""

    async def probe(self) -> None:
        """Raise the :class:`ConnectorError` that keeps the region from answering, if any.

        By default: look up a well-formed identifier that no one holds (``find_by_identifiers``
        starts the connector first if needed). Dialects with a cheaper health call may override.
        """
        unheld = {
            IdentifierKind.NOMS: "Z9999ZZ",
            IdentifierKind.CRN: "Z999999",
            IdentifierKind.PNC: format_pnc(1900, 9_999_999),
            IdentifierKind.CRO: format_cro(0, 999_999),
        }
        kind = next((k for k in IdentifierKind if k in self.identifier_kinds), None)
        if kind is None:
            raise NotImplementedError(f"{self.dialect} has no identifier to probe with")
        [result] = await self.find_by_identifiers([Identifier(kind, unheld[kind])])
        if isinstance(result, ConnectorError):
            raise result

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        """Records holding each identifier (usually zero or one), one list per identifier."""
        raise NotImplementedError

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        """Records matching a name and optional date of birth (aliases included)."""
        raise NotImplementedError

    async def list_people(self, listing: PersonListing) -> ListingPage:
        """One page of the people of a prison, a probation region or a caseload, in a stable
        order; a location or staff code the region does not hold is an empty last page."""
        raise NotImplementedError

    async def custody_for(self, local_ids: Sequence[str]) -> BatchResult[list[CustodyEpisode]]:
        """Custody episodes (bookings) per local id."""
        raise NotImplementedError

    async def movements_for(self, local_ids: Sequence[str]) -> BatchResult[list[Movement]]:
        """Movements per local id."""
        raise NotImplementedError

    async def supervision_for(
        self, local_ids: Sequence[str]
    ) -> BatchResult[list[SupervisionEpisode]]:
        """Supervision episodes per local id."""
        raise NotImplementedError

    async def managers_for(self, local_ids: Sequence[str]) -> BatchResult[list[OffenderManager]]:
        """Offender managers (POM, COM) per local id."""
        raise NotImplementedError

    async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
        """Alerts or registrations per local id."""
        raise NotImplementedError
