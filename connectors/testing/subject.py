"""What the contract kit is pointed at, and how it calls any capability the same way."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base import Capability, Connector, ListingPage, PersonListing, PersonSearch
from connectors.config import RegionConfig
from connectors.identifiers import (
    Identifier,
    IdentifierKind,
    format_cro,
    format_pnc,
    parse_identifier,
)
from connectors.records import AccessLimits, SystemKind
from connectors.testing.transport import FaultTransport

ONE_QUERY_CAPABILITIES = frozenset({Capability.SEARCH_PEOPLE, Capability.LIST_PEOPLE})
BATCH_CAPABILITIES = tuple(c for c in Capability if c not in ONE_QUERY_CAPABILITIES)
UNHELD: Mapping[IdentifierKind, str] = {  # well-formed identifiers no one holds
    IdentifierKind.NOMS: "Z9999ZZ",
    IdentifierKind.CRN: "Z999999",
    IdentifierKind.PNC: format_pnc(1900, 9_999_999),
    IdentifierKind.CRO: format_cro(0, 999_999),
}
UNHELD_LOCAL = {SystemKind.CUSTODY: "Z9998ZZ", SystemKind.PROBATION: "Z999998"}
UNKNOWN_SURNAME = "Zzyzxqontract"
UNKNOWN_LOCATION = "ZZQ"  # a location (prison or probation region) no system covers
LISTING_PAGE = 2  # people per page the listing checks ask for


@dataclass(frozen=True)
class KnownPeople:
    """People the region under test holds: ``identifiers`` each held by at least one record
    (strings such as ``"A1234BC"`` or ``"2012/0394773H"``, or :class:`Identifier`);
    ``local_ids`` of people with records behind the ``*_for`` capabilities; ``surnames`` that
    match at least one record; ``paged_surname`` one with more matches than a search page holds
    (None: the multi-page check is skipped); ``unknown_local_id`` a well-formed local id no one
    holds (default: a NOMS-like or CRN-like one by the region's kind); ``limited_access`` maps
    an identifier of a person (``"X123456"``) to the exact limits the region holds on them
    (``AccessLimits()`` for a person it does not limit; empty: the check is skipped);
    ``listings`` listings (:class:`~connectors.base.PersonListing`: a prison, a probation region
    or a staff code) that hold at least one person, the first more than :data:`LISTING_PAGE`."""

    identifiers: Sequence[Identifier | str] = ()
    local_ids: Sequence[str] = ()
    surnames: Sequence[str] = ()
    paged_surname: str | None = None
    unknown_local_id: str | None = None
    limited_access: Mapping[str, AccessLimits] = dataclasses.field(default_factory=dict)
    listings: Sequence[PersonListing] = ()

    def parsed_identifiers(self) -> list[Identifier]:
        return [i if isinstance(i, Identifier) else parse_identifier(i) for i in self.identifiers]

    def limited_identifiers(self) -> list[tuple[Identifier, AccessLimits]]:
        """``limited_access`` with its keys parsed as identifiers."""
        return [(parse_identifier(key), limits) for key, limits in self.limited_access.items()]


@dataclass(frozen=True)
class RegionUnderTest:
    """A region to certify: its ``config`` (``base_url`` pointing at a simulator, a staging
    system or anything a ``transport`` answers), the ``transport`` to reach it (None: the
    network; e.g. an ``httpx.MockTransport`` replaying recorded fixtures), extra ``secrets`` that
    must never show (the config's own are found by the kit), and ``simulator_url`` when the
    system is an offender-graph simulator with ``_sim/faults`` (None: those checks are skipped);
    ``known``, when the people it holds are only found at run time, replaces the subclass's."""

    config: RegionConfig
    transport: httpx.AsyncBaseTransport | None = None
    secrets: Sequence[str] = ()
    simulator_url: str | None = None
    known: KnownPeople | None = None

    def with_config(self, **changes: Any) -> RegionUnderTest:
        """The same region with config fields changed (``timeout``, ``concurrency``, ...)."""
        return dataclasses.replace(self, config=dataclasses.replace(self.config, **changes))


def secrets_of(connector: Connector, extra: Sequence[str] = ()) -> list[str]:
    """Every secret the connector was configured with: auth keys and secret options."""
    auth = connector.config.auth
    found = [auth.api_key, auth.client_secret, *extra]
    for name in type(connector.options).model_fields:
        value = getattr(connector.options, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
    return [secret for secret in found if secret and len(secret) >= 4]


def unknown_key(capability: Capability, connector: Connector, known: KnownPeople) -> object:
    """A well-formed key no record answers, for ``capability``."""
    if capability is Capability.FIND_BY_IDENTIFIERS:
        kind = next(k for k in IdentifierKind if k in connector.identifier_kinds)
        return Identifier(kind, UNHELD[kind])
    return known.unknown_local_id or UNHELD_LOCAL[connector.config.kind]


def known_keys(capability: Capability, known: KnownPeople) -> list[Any]:
    """The known keys of a batch capability: identifiers or local ids."""
    if capability is Capability.FIND_BY_IDENTIFIERS:
        return list(known.parsed_identifiers())
    return list(known.local_ids)


async def call(connector: Connector, capability: Capability, keys: Sequence[Any]) -> Any:
    """Call a capability: a batch with ``keys``, a search by the first key as a surname, or the
    first page of the first key's listing."""
    if capability is Capability.SEARCH_PEOPLE:
        return await connector.search_people(PersonSearch(surname=str(keys[0])))
    if capability is Capability.LIST_PEOPLE:
        return await connector.list_people(keys[0])
    method = getattr(connector, capability.value)
    return await method(list(keys))


async def walk_listing(
    connector: Connector, listing: PersonListing, max_pages: int = 10_000
) -> list[ListingPage]:
    """Every page of ``listing``, from its first, following the cursors the region gives."""
    pages = [await connector.list_people(listing)]
    while pages[-1].cursor is not None:
        if len(pages) >= max_pages:
            raise AssertionError(f"{listing} did not end within {max_pages} pages")
        next_page = dataclasses.replace(listing, cursor=pages[-1].cursor)
        pages.append(await connector.list_people(next_page))
    return pages


@contextlib.asynccontextmanager
async def opened(
    dialect: type[Connector], region: RegionUnderTest, recorder: FaultTransport | None = None
) -> AsyncIterator[tuple[Connector, FaultTransport]]:
    """A started connector of ``dialect`` for ``region``, its calls through a FaultTransport."""
    transport = recorder or FaultTransport(region.transport)
    connector = dialect(region.config, transport=transport)
    try:
        await connector.start()
        transport.reset()
        yield connector, transport
    finally:
        await connector.aclose()
        await transport.aclose()
