"""The rest-snake probation dialect: API key, UPPER_SNAKE JSON, dd/MM/yyyy, errors inside HTTP 200.

The system has no batch calls: a batch is one ``GET`` per key under ``config.concurrency``
(:func:`connectors.batching.fan_out`: a region failing every key the same way fails the call).
Result lists page by offset/limit (``options.page_size``, default 25) through their ``NEXT``
links, which must stay on the region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import ClassVar, TypeVar
from urllib.parse import quote

from pydantic import PositiveInt

from connectors import errors
from connectors.base import BatchResult, Capability, ListingPage, PersonListing, PersonSearch
from connectors.batching import fan_out
from connectors.boundaries import payload_boundary
from connectors.identifiers import Identifier
from connectors.options import ConnectorOptions
from connectors.paging import MAX_PAGES as PAGE_CAP
from connectors.paging import LinkPage, collect, follow_link, next_link_pages
from connectors.payload import Payload, each
from connectors.records import Alert, OffenderManager, PersonRecord, SupervisionEpisode
from connectors.rest import RestProbationConnector
from connectors.rest_snake_mapping import alert, error_code, manager, results_page, supervision

R = TypeVar("R")

OFFENDERS = "/probation/offenders"
CASELOAD = "/probation/caseload"
MAX_PAGES = PAGE_CAP  # pages one call follows at most (read at call time)

_ERRORS: dict[str, tuple[type[errors.ConnectorError], str]] = {
    "UNAUTHORISED": (errors.UpstreamAuthFailed, "region refused the gateway's API key"),
    "BAD_REQUEST": (errors.UpstreamRejected, "region rejected the request"),
    "INTERNAL": (errors.RegionUnavailable, "region reported an internal error"),
}
_UNKNOWN = (errors.UpstreamInvalid, "region sent an unknown error code")


class SnakeOptions(ConnectorOptions):
    """``page_size``: people per search page (``LIMIT``)."""

    page_size: PositiveInt = 25


class SnakeProbationConnector(RestProbationConnector):
    """A probation region speaking the older UPPER_SNAKE dialect, one person per call."""

    dialect = "rest-snake"
    capabilities = RestProbationConnector.capabilities | {Capability.LIST_PEOPLE}
    Options: ClassVar[type[SnakeOptions]] = SnakeOptions
    options: SnakeOptions

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        async def one(identifier: Identifier) -> list[PersonRecord]:
            return await self._pages({identifier.kind.value: identifier.value}, limit=None)

        return await fan_out(self.region, identifiers, one, limit=self.config.concurrency)

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        params = {"SURNAME": query.surname}
        if query.forename:
            params["FORENAME"] = query.forename
        if query.date_of_birth:
            params["DOB"] = query.date_of_birth.strftime("%d/%m/%Y")
        return await self._pages(params, limit=query.limit)

    async def list_people(self, listing: PersonListing) -> ListingPage:
        """``GET /probation/caseload``: the cases of a region code and/or a staff code. The
        cursor is the page's ``NEXT`` link, followed only while it stays on the region."""
        if listing.cursor:
            url, params = follow_link(self.region, listing.cursor, self.config.base_url), None
        else:
            url = CASELOAD
            params = {"LIMIT": str(max(1, min(self.options.page_size, listing.limit)))}
            if listing.location:
                params["REGION_CODE"] = listing.location
            if listing.staff_code:
                params["STAFF_CODE"] = listing.staff_code
        reply = await self.json("GET", url, params=params)
        with payload_boundary(self.region):
            data = self._unwrap(reply)
            if data is None:
                return ListingPage(())
            found, next_link = results_page(self.region, data)
            return ListingPage(tuple(found), next_link)

    async def supervision_for(
        self, local_ids: Sequence[str]
    ) -> BatchResult[list[SupervisionEpisode]]:
        return await self._details(local_ids, "supervisions", supervision)

    async def managers_for(self, local_ids: Sequence[str]) -> BatchResult[list[OffenderManager]]:
        return await self._details(local_ids, "managers", manager)

    async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
        return await self._details(local_ids, "registrations", alert)

    async def _details(
        self, local_ids: Sequence[str], what: str, read: Callable[[str, str, Payload], R]
    ) -> BatchResult[list[R]]:
        """``GET /probation/offenders/{id}/{what}`` per id; NOT_FOUND is an empty list."""

        async def one(offender_id: str) -> list[R]:
            reply = await self.json("GET", f"{OFFENDERS}/{quote(offender_id, safe='')}/{what}")
            row, key = partial(read, self.region, offender_id), what.upper()
            with payload_boundary(self.region):
                data = self._unwrap(reply)
                return [] if data is None else each(data.get(key), key, row)

        return await fan_out(self.region, local_ids, one, limit=self.config.concurrency)

    async def _pages(self, params: Mapping[str, str], limit: int | None) -> list[PersonRecord]:
        """Follow ``NEXT`` links from the first page until exhausted or ``limit`` people found."""
        size = min(self.options.page_size, limit or self.options.page_size)  # limit 0: no call

        async def fetch(url: str, query: Mapping[str, str] | None) -> LinkPage[PersonRecord]:
            reply = await self.json("GET", url, params=query)
            with payload_boundary(self.region):
                data = self._unwrap(reply)
                return LinkPage(()) if data is None else LinkPage(*results_page(self.region, data))

        first = {**params, "OFFSET": "0", "LIMIT": str(size)}
        base = self.config.base_url
        pages = next_link_pages(
            self.region, fetch, url=OFFENDERS, params=first, base_url=base, max_pages=MAX_PAGES
        )
        return await collect(pages, limit)

    def _unwrap(self, reply: object) -> Payload | None:
        """The reply, None for NOT_FOUND, or the connector error its ERROR code means."""
        data, code = error_code(reply)
        if code is None:
            return data
        if code == "NOT_FOUND":
            return None
        error, message = _ERRORS.get(code, _UNKNOWN)
        raise error(self.region, message)
