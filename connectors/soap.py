"""The ``soap-prison`` dialect: a prison group's SOAP service, on the SOAP base.

What is its own: the operation names, batch calls when the WSDL offers them (a legacy system
without them gets one call per key), the search cap, and the mapping
(:mod:`connectors.soap_mapping`). Everything else (WSDL, transport, auth, WS-Security, faults,
the per-key rule) is :class:`connectors.soap_base.SoapConnector`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from connectors import soap_mapping as m
from connectors.base import BatchResult, Capability, ListingPage, PersonListing, PersonSearch
from connectors.errors import ConnectorError, UpstreamRejected
from connectors.identifiers import Identifier, IdentifierKind
from connectors.payload import Payload, per_key
from connectors.records import Alert, CustodyEpisode, Movement, PersonRecord, SystemKind
from connectors.soap_base import SoapConnector
from connectors.soap_mapping import ItemMapper
from connectors.soap_reply import soap_boundary

soap_errors = soap_boundary  # the SOAP error boundary, by its former name here

R = TypeVar("R")

BATCH_OPERATIONS = frozenset(
    {"FindOffenders", "GetCustodyHistories", "GetMovementsBatch", "GetAlertsBatch"}
)
MAX_BATCH = 100  # items per batch call (the WSDL's maxOccurs); options.max_batch overrides
MAX_RESULTS = 200  # search results the service returns at most


class SoapPrisonConnector(SoapConnector):
    """A prison group's system: people, custody history, movements and alerts over SOAP."""

    dialect = "soap-prison"
    kinds = frozenset({SystemKind.CUSTODY})
    capabilities = frozenset(
        {
            Capability.FIND_BY_IDENTIFIERS,
            Capability.SEARCH_PEOPLE,
            Capability.CUSTODY_FOR,
            Capability.MOVEMENTS_FOR,
            Capability.ALERTS_FOR,
            Capability.LIST_PEOPLE,
        }
    )
    identifier_kinds = frozenset({IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO})
    max_batch: ClassVar[int | None] = MAX_BATCH

    @property
    def batch(self) -> bool:
        """Whether the region's WSDL offers the batch operations (known once started)."""
        return self.operations >= BATCH_OPERATIONS

    def check_reply(self, envelope: Any, response: Any) -> None:
        """The mapping's reply check, run by zeep before it reads a reply."""
        m.check_reply(envelope, response)

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        """Offenders holding each NOMS, PNC or CRO number; other kinds are never held here."""
        wanted = [i for i in identifiers if i.kind in self.identifier_kinds]
        if not wanted:
            return [[] for _ in identifiers]
        await self.ready()
        if self.batch:

            async def chunk(ids: Sequence[Identifier]) -> list[list[PersonRecord] | ConnectorError]:
                keys = [(i.kind.value, i.value) for i in ids]
                return await self.call(
                    "FindOffenders",
                    lambda raw: [
                        self.guard(self._people, reply.get("offender"))
                        for reply in per_key(m.items(raw), keys, m.identifier_echo)
                    ],
                    identifier=[{"identifierType": k, "value": v} for k, v in keys],
                )

            found = await self.in_chunks(wanted, chunk)
        else:

            async def one(i: Identifier) -> list[PersonRecord]:
                return await self.call(
                    "FindOffender", self._people, identifierType=i.kind.value, value=i.value
                )

            found = await self.one_by_one(wanted, one)
        by_identifier = dict(zip(wanted, found, strict=True))
        return [by_identifier.get(i, []) for i in identifiers]

    def _people(self, raw: object) -> list[PersonRecord]:
        return [m.person(self.region, p) for p in m.items(raw)]

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        """Offenders by surname, forename prefix and date of birth, aliases included."""
        fields: dict[str, Any] = {"lastName": query.surname}
        if query.forename:
            fields["firstName"] = query.forename
        if query.date_of_birth:
            fields["dateOfBirth"] = query.date_of_birth
        fields["maxResults"] = max(1, min(query.limit, MAX_RESULTS))
        return await self.call(
            "SearchOffenders", lambda raw: m.search_results(self.region, raw), **fields
        )

    async def list_people(self, listing: PersonListing) -> ListingPage:
        """Offenders of a prison (``prisonId``), or every offender, a page at a time; prisons hold
        no offender managers, so a caseload is empty here. A region whose WSDL offers no
        ``ListOffenders`` refuses the call."""
        if listing.staff_code is not None:
            return ListingPage(())
        await self.ready()
        if "ListOffenders" not in self.operations:
            raise UpstreamRejected(self.region, "region's service offers no listing")
        fields: dict[str, Any] = {"pageSize": max(1, min(listing.limit, MAX_RESULTS))}
        if listing.location:
            fields["prisonId"] = listing.location
        if listing.cursor:
            fields["pageToken"] = listing.cursor
        return await self.call(
            "ListOffenders", lambda raw: m.listing_page(self.region, raw), **fields
        )

    async def custody_for(self, local_ids: Sequence[str]) -> BatchResult[list[CustodyEpisode]]:
        """Bookings per offender id; an unknown id has none."""
        return await self._per_offender(
            local_ids, "GetCustodyHistory", "GetCustodyHistories", "booking", m.custody_episode
        )

    async def movements_for(self, local_ids: Sequence[str]) -> BatchResult[list[Movement]]:
        """Movements per offender id."""
        return await self._per_offender(
            local_ids, "GetMovements", "GetMovementsBatch", "movement", m.movement
        )

    async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
        """Prison alerts per offender id."""
        return await self._per_offender(local_ids, "GetAlerts", "GetAlertsBatch", "alert", m.alert)

    async def _per_offender(
        self, local_ids: Sequence[str], single: str, batch: str, field: str, build: ItemMapper[R]
    ) -> list[list[R] | ConnectorError]:
        """One list per offender id, by batch calls or, on a legacy system, one call per id."""
        if not local_ids:
            return []
        await self.ready()
        region = self.region

        def item_records(reply: Payload) -> list[R]:
            local_id = m.offender_id(reply)
            return [build(region, local_id, p) for p in m.items(reply, field)]

        if self.batch:

            async def chunk(ids: Sequence[str]) -> list[list[R] | ConnectorError]:
                return await self.call(
                    batch,
                    lambda raw: [
                        self.guard(item_records, reply)
                        for reply in per_key(m.items(raw), ids, m.offender_id)
                    ],
                    offenderId=list(ids),
                )

            return await self.in_chunks(local_ids, chunk)

        async def one(local_id: str) -> list[R]:
            return await self.call(
                single,
                lambda raw: [build(region, local_id, p) for p in m.items(raw)],
                offenderId=local_id,
            )

        return await self.one_by_one(local_ids, one)
