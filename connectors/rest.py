"""The JSON REST base both probation dialects share: an :class:`HttpSession` with the region's
auth (:func:`connectors.auth.auth_for`), and per-key mapping under the payload boundary.

Everything else is plumbing: paging (:mod:`connectors.paging`), chunks and the per-key rule
(:mod:`connectors.chunking`), dates (:mod:`connectors.parsing`), errors
(:mod:`connectors.boundaries`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import httpx

from connectors.auth import auth_for
from connectors.base import Capability, Connector
from connectors.boundaries import payload_boundary
from connectors.config import RegionConfig
from connectors.errors import ConnectorError, UpstreamInvalid
from connectors.identifiers import IdentifierKind
from connectors.records import SystemKind
from connectors.session import HttpSession

__all__ = ["RestProbationConnector", "each_key"]

P = TypeVar("P")
T = TypeVar("T")


def each_key(region: str, parts: Iterable[P], read: Callable[[P], T]) -> list[T | ConnectorError]:
    """``read`` every key's part of a reply that was read as a whole: a part that does not map
    fails its key alone (:class:`UpstreamInvalid` in its slot), as the per-key rule says."""
    results: list[T | ConnectorError] = []
    for part in parts:
        try:
            with payload_boundary(region):
                results.append(read(part))
        except UpstreamInvalid as error:
            results.append(error)
    return results


class RestProbationConnector(Connector):
    """A probation region over JSON and HTTP: the session, started and closed."""

    kinds: ClassVar[frozenset[SystemKind]] = frozenset({SystemKind.PROBATION})
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FIND_BY_IDENTIFIERS,
            Capability.SEARCH_PEOPLE,
            Capability.SUPERVISION_FOR,
            Capability.MANAGERS_FOR,
            Capability.ALERTS_FOR,
        }
    )
    identifier_kinds: ClassVar[frozenset[IdentifierKind]] = frozenset(
        {IdentifierKind.CRN, IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO}
    )
    find_includes: ClassVar[frozenset[Capability]] = frozenset({Capability.MANAGERS_FOR})

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config, transport=transport)
        self.session = HttpSession(config, transport=transport, auth=auth_for(config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, base_url={self.config.base_url!r})"

    async def start(self) -> None:
        _ = self.session.client  # built now, so a bad base URL fails at start-up

    async def aclose(self) -> None:
        await self.session.aclose()

    async def json(
        self, method: str, url: str, *, params: Mapping[str, str] | None = None, body: Any = None
    ) -> Any:
        """One JSON call: the decoded reply, or the error its status or body means."""
        return await self.session.json(method, url, params=params, json=body)
