"""The connector contract: a small async interface that every regional dialect implements.

A connector only fetches and maps. Caching, authorisation, merging and deadlines belong to the
gateway. Batch methods take many keys and return one result per key, in order, where a
:class:`ConnectorError` instance fails only its own key (the DataLoader shape). A failure of the
whole call (region down) is raised instead.
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


class Capability(StrEnum):
    """Operations a connector may offer; the value is the method name."""

    FIND_BY_IDENTIFIERS = "find_by_identifiers"
    SEARCH_PEOPLE = "search_people"
    CUSTODY_FOR = "custody_for"
    MOVEMENTS_FOR = "movements_for"
    SUPERVISION_FOR = "supervision_for"
    MANAGERS_FOR = "managers_for"
    ALERTS_FOR = "alerts_for"


@dataclass(frozen=True, slots=True)
class PersonSearch:
    """Search by name (surname required) and optional date of birth."""

    surname: str
    forename: str | None = None
    date_of_birth: date | None = None
    limit: int = 200


class Connector:
    """Base class of every dialect. Subclasses override the operations they support.

    ``capabilities`` and ``identifier_kinds`` tell the gateway which calls make sense for this
    region; calling anything else raises ``NotImplementedError``.
    """

    dialect: ClassVar[str] = ""
    kinds: ClassVar[frozenset[SystemKind]] = frozenset(SystemKind)
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    identifier_kinds: ClassVar[frozenset[IdentifierKind]] = frozenset()

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.region = config.name
        self._transport = transport

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
