"""The rest-camel probation dialect: OAuth2, camelCase JSON, batch endpoints, page/size paging.

A batch is one ``POST`` per chunk of at most :attr:`~connectors.base.Connector.batch_limit` keys
(``max_batch``, default 100; ``batch_size`` is its older name), the chunks run under
``config.concurrency``; search reads pages of ``options.page_size`` (default 50), and a listing
is one page of at most as many, by the region's opaque ``nextCursor``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import ClassVar, TypeVar

from pydantic import PositiveInt

from connectors import rest_camel_mapping as m
from connectors.base import BatchResult, Capability, ListingPage, PersonListing, PersonSearch
from connectors.boundaries import payload_boundary
from connectors.chunking import call_in_chunks
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.options import ConnectorOptions
from connectors.paging import Page, collect, page_size_pages
from connectors.payload import Payload, each, per_key
from connectors.records import Alert, OffenderManager, PersonRecord, SupervisionEpisode
from connectors.rest import RestProbationConnector, each_key

R = TypeVar("R")

OFFENDERS = "/api/v1/offenders"
CASELOAD = "/api/v1/caseload"
MAX_BATCH = 100


class CamelOptions(ConnectorOptions):
    """``page_size``: people per search page; ``batch_size``: the older name of ``max_batch``
    (keys per batch HTTP call; ``max_batch`` wins when both are set)."""

    page_size: PositiveInt = 50
    batch_size: PositiveInt | None = None


class CamelProbationConnector(RestProbationConnector):
    """A probation region speaking the modern, nDelius-like camelCase dialect."""

    dialect = "rest-camel"
    capabilities = RestProbationConnector.capabilities | {Capability.LIST_PEOPLE}
    Options: ClassVar[type[CamelOptions]] = CamelOptions
    options: CamelOptions
    max_batch: ClassVar[int | None] = MAX_BATCH

    @property
    def batch_limit(self) -> int:
        """``options.max_batch``, else ``options.batch_size``, else 100: the split stage keeps
        calls within it, and a direct caller's larger batch is chunked at it here."""
        return self.options.max_batch or self.options.batch_size or MAX_BATCH

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        async def fetch(chunk: Sequence[Identifier]) -> list[list[PersonRecord] | ConnectorError]:
            body = {"identifiers": [{"type": i.kind.value, "value": i.value} for i in chunk]}
            data = await self.json("POST", f"{OFFENDERS}/identifiers", body=body)
            with payload_boundary(self.region):
                results = m.batch_results(data, len(chunk))
            read = partial(m.people, self.region, where="offenders")
            return each_key(self.region, results, lambda result: read(result.get("offenders")))

        size, limit = self.batch_limit, self.config.concurrency
        return await call_in_chunks(self.region, identifiers, fetch, size=size, limit=limit)

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        params = {"surname": query.surname}
        if query.forename:
            params["forename"] = query.forename
        if query.date_of_birth:
            params["dateOfBirth"] = query.date_of_birth.isoformat()

        async def fetch(page: int, size: int) -> Page[PersonRecord]:
            paged = {**params, "page": str(page), "size": str(size)}
            data = await self.json("GET", OFFENDERS, params=paged)
            with payload_boundary(self.region):
                content, total_pages = m.search_page(data)
                return Page(m.people(self.region, content, "content"), total_pages=total_pages)

        size = max(1, min(self.options.page_size, query.limit))
        return await collect(page_size_pages(self.region, fetch, size=size), limit=query.limit)

    async def list_people(self, listing: PersonListing) -> ListingPage:
        """``GET /api/v1/caseload``: the cases of a probation region and/or a staff code."""
        params = {"size": str(max(1, min(self.options.page_size, listing.limit)))}
        if listing.location:
            params["probationRegion"] = listing.location
        if listing.staff_code:
            params["staffCode"] = listing.staff_code
        if listing.cursor:
            params["cursor"] = listing.cursor
        data = await self.json("GET", CASELOAD, params=params)
        with payload_boundary(self.region):
            content, cursor = m.listing_page(data)
            return ListingPage(tuple(m.people(self.region, content, "content")), cursor)

    async def supervision_for(
        self, local_ids: Sequence[str]
    ) -> BatchResult[list[SupervisionEpisode]]:
        return await self._details(local_ids, "supervisions", m.supervision)

    async def managers_for(self, local_ids: Sequence[str]) -> BatchResult[list[OffenderManager]]:
        return await self._details(local_ids, "managers", m.manager)

    async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
        return await self._details(local_ids, "registrations", m.alert)

    async def _details(
        self, local_ids: Sequence[str], what: str, read: Callable[[str, str, Payload], R]
    ) -> BatchResult[list[R]]:
        """``POST /api/v1/offenders/{what}``: unknown ids come back not found, as empty lists."""

        async def fetch(chunk: Sequence[str]) -> list[list[R] | ConnectorError]:
            data = await self.json("POST", f"{OFFENDERS}/{what}", body={"offenderIds": [*chunk]})
            with payload_boundary(self.region):
                results = per_key(m.batch_results(data, len(chunk)), chunk, m.offender_id)

            def one(key: str, result: Payload) -> list[R]:
                return each(result.get(what) or [], what, partial(read, self.region, key))

            return each_key(self.region, zip(chunk, results, strict=True), lambda kr: one(*kr))

        size, limit = self.batch_limit, self.config.concurrency
        return await call_in_chunks(self.region, local_ids, fetch, size=size, limit=limit)
