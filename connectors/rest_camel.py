"""The rest-camel probation dialect: OAuth2, camelCase JSON, batch endpoints, page/size paging.

One HTTP call serves a whole batch (chunked at ``options.batch_size``, default 100 keys, the chunks
run in parallel under ``config.concurrency``); search pages by ``options.page_size`` (default 50),
each page spent from the request's page budget (:mod:`connectors.budget`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import ClassVar, TypeVar

from pydantic import PositiveInt

from connectors.base import BatchResult, PersonSearch
from connectors.batching import fan_out
from connectors.budget import spend_page
from connectors.errors import ConnectorError
from connectors.identifiers import Identifier
from connectors.options import ConnectorOptions
from connectors.payload import Payload, each, per_key
from connectors.records import Alert, OffenderManager, PersonRecord, SupervisionEpisode
from connectors.rest import RestProbationConnector, mapped_payload_errors
from connectors.rest_camel_mapping import (
    alert,
    batch_results,
    manager,
    offender_id,
    people,
    search_page,
    supervision,
)

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")

OFFENDERS = "/api/v1/offenders"


class CamelOptions(ConnectorOptions):
    """``page_size``: people per search page; ``batch_size``: keys per batch HTTP call."""

    page_size: PositiveInt = 50
    batch_size: PositiveInt = 100


class CamelProbationConnector(RestProbationConnector):
    """A probation region speaking the modern, nDelius-like camelCase dialect."""

    dialect = "rest-camel"
    Options: ClassVar[type[CamelOptions]] = CamelOptions
    options: CamelOptions

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        async def chunk_call(chunk: Sequence[Identifier]) -> list[list[PersonRecord]]:
            body = {"identifiers": [{"type": i.kind.value, "value": i.value} for i in chunk]}
            data = await self._call("POST", f"{OFFENDERS}/identifiers", body=body)
            with mapped_payload_errors(self.region):
                return [
                    people(self.region, result.get("offenders"), "offenders")
                    for result in batch_results(data, len(chunk))
                ]

        return await self._batched(identifiers, chunk_call)

    async def search_people(self, query: PersonSearch) -> list[PersonRecord]:
        size = min(self.options.page_size, query.limit)
        params = {"surname": query.surname}
        if query.forename:
            params["forename"] = query.forename
        if query.date_of_birth:
            params["dateOfBirth"] = query.date_of_birth.isoformat()
        found: list[PersonRecord] = []
        page = 0
        while len(found) < query.limit:
            if page:  # a follow-on page: the request's budget pays for it
                spend_page(self.region)
            data = await self._call(
                "GET", OFFENDERS, params={**params, "page": str(page), "size": str(size)}
            )
            with mapped_payload_errors(self.region):
                content, total_pages = search_page(data)
                found.extend(people(self.region, content, "content"))
            page += 1
            if not content or page >= total_pages:
                break
        return found[: max(0, query.limit)]

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
        """``POST /api/v1/offenders/{what}``: unknown ids come back not found, as empty lists."""

        async def chunk_call(chunk: Sequence[str]) -> list[list[R]]:
            data = await self._call("POST", f"{OFFENDERS}/{what}", body={"offenderIds": [*chunk]})
            with mapped_payload_errors(self.region):
                results = per_key(batch_results(data, len(chunk)), chunk, offender_id)
                return [
                    each(result.get(what) or [], what, partial(read, self.region, key))
                    for key, result in zip(chunk, results, strict=True)
                ]

        return await self._batched(local_ids, chunk_call)

    async def _batched(
        self, keys: Sequence[K], call: Callable[[Sequence[K]], Awaitable[list[T]]]
    ) -> list[T | ConnectorError]:
        """Chunk the keys, call once per chunk, and spread the results (or a chunk's error)."""
        size = self.options.batch_size
        chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
        outcomes = await fan_out(chunks, call, self.config.concurrency)
        results: list[T | ConnectorError] = []
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if isinstance(outcome, ConnectorError):
                results.extend([outcome] * len(chunk))
            else:
                results.extend(outcome)
        return results
