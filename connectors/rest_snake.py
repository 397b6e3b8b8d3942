"""The rest-snake probation dialect: API key, UPPER_SNAKE JSON, dd/MM/yyyy, errors inside HTTP 200.

The system has no batch calls: a batch fans out as single GETs under ``config.concurrency``.
Result lists page by offset/limit (``options.page_size``, default 25) and are followed through
their ``NEXT`` links, which must be relative to the API root. Every page is spent from the
request's page budget (:mod:`connectors.budget`); ``MAX_PAGES`` also bounds one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, TypeVar
from urllib.parse import quote

import httpx
from pydantic import PositiveInt

from connectors.base import BatchResult, PersonSearch
from connectors.batching import fan_out
from connectors.budget import spend_page
from connectors.errors import (
    ConnectorError,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier
from connectors.options import ConnectorOptions
from connectors.payload import Payload, each
from connectors.records import Alert, OffenderManager, PersonRecord, SupervisionEpisode
from connectors.rest import RestProbationConnector, mapped_payload_errors
from connectors.rest_snake_mapping import (
    alert,
    error_code,
    manager,
    results_page,
    supervision,
)

R = TypeVar("R")

OFFENDERS = "/probation/offenders"
MAX_PAGES = 1000  # a guard against a system whose NEXT links never end

_ERRORS: dict[str, tuple[type[ConnectorError], str]] = {
    "UNAUTHORISED": (UpstreamAuthFailed, "region refused the gateway's API key"),
    "BAD_REQUEST": (UpstreamRejected, "region rejected the request"),
    "INTERNAL": (RegionUnavailable, "region reported an internal error"),
}


class SnakeOptions(ConnectorOptions):
    """``page_size``: people per search page (``LIMIT``)."""

    page_size: PositiveInt = 25


class SnakeProbationConnector(RestProbationConnector):
    """A probation region speaking the older UPPER_SNAKE dialect, one person per call."""

    dialect = "rest-snake"
    Options: ClassVar[type[SnakeOptions]] = SnakeOptions
    options: SnakeOptions

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        async def one(identifier: Identifier) -> list[PersonRecord]:
            return await self._pages({identifier.kind.value: identifier.value}, limit=None)

        return await fan_out(identifiers, one, self.config.concurrency)

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        if query.limit <= 0:
            return []
        params = {"SURNAME": query.surname}
        if query.forename:
            params["FORENAME"] = query.forename
        if query.date_of_birth:
            params["DOB"] = query.date_of_birth.strftime("%d/%m/%Y")
        return await self._pages(params, limit=query.limit)

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
            reply = await self._call("GET", f"{OFFENDERS}/{quote(offender_id, safe='')}/{what}")
            with mapped_payload_errors(self.region):
                data = self._unwrap(reply)
                if data is None:
                    return []
                key = what.upper()
                return each(data.get(key), key, lambda item: read(self.region, offender_id, item))

        return await fan_out(local_ids, one, self.config.concurrency)

    async def _pages(self, params: Mapping[str, str], limit: int | None) -> list[PersonRecord]:
        """Follow ``NEXT`` links from the first page until exhausted or ``limit`` people found."""
        size = self.options.page_size
        if limit is not None:
            size = min(size, limit)
        url = OFFENDERS
        query: dict[str, str] | None = {**params, "OFFSET": "0", "LIMIT": str(size)}
        found: list[PersonRecord] = []
        seen: set[str] = set()
        for page_number in range(MAX_PAGES):
            if page_number:  # a follow-on page: the request's budget pays for it
                spend_page(self.region)
            reply = await self._call("GET", url, params=query)
            with mapped_payload_errors(self.region):
                data = self._unwrap(reply)
                if data is None:
                    return found
                page, next_link = results_page(self.region, data)
            found.extend(page)
            if next_link is None or (limit is not None and len(found) >= limit):
                return found[:limit]
            if next_link in seen:
                raise UpstreamInvalid(self.region, "region's next-page links go round in a loop")
            seen.add(next_link)
            url, query = self._relative(next_link), None
        raise UpstreamInvalid(self.region, "region's result pages do not end")

    def _relative(self, link: str) -> str:
        """A NEXT link, accepted only if it stays on this region's API (never another host)."""
        try:
            parsed = httpx.URL(link)
        except httpx.InvalidURL as exc:
            raise UpstreamInvalid(self.region, "region sent a bad next-page link") from exc
        if parsed.is_absolute_url or not link.startswith("/") or link.startswith("//"):
            raise UpstreamInvalid(self.region, "region sent a next-page link to another place")
        return link

    def _unwrap(self, reply: object) -> Payload | None:
        """The reply, None for NOT_FOUND, or the connector error its ERROR code means."""
        data, code = error_code(reply)
        if code is None:
            return data
        if code == "NOT_FOUND":
            return None
        error, message = _ERRORS.get(code, (UpstreamInvalid, "region sent an unknown error code"))
        raise error(self.region, message)
