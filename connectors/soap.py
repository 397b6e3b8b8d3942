"""The ``soap-prison`` dialect: a prison group's SOAP 1.1 service, through zeep over httpx.

The WSDL and the documents it imports are fetched once through the connector's capped httpx
client, only from under ``base_url`` (:mod:`connectors.soap_transport`), and parsed off the event
loop with hardened zeep settings. Calls go to ``config.base_url``, not the WSDL's ``soap:address``
(legacy WSDLs often advertise internal host names). Whether the region offers batch calls is read
from the WSDL; a legacy system without them is fanned out call by call. A region that is down at
start-up is started lazily by the next call. Replies are checked before zeep reads them
(:func:`connectors.soap_mapping.check_reply`); a reply over ``PARSE_INLINE_BYTES`` is parsed and
mapped in a worker thread, so a large one never stalls the event loop. Foreign exceptions become
connector errors in :func:`soap_errors`, the one boundary of this module.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import httpx
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.plugins import Plugin
from zeep.proxy import AsyncServiceProxy

from connectors import soap_mapping as m
from connectors.base import BatchResult, Capability, Connector, PersonSearch
from connectors.batching import fan_out
from connectors.config import RegionConfig
from connectors.errors import (
    ConfigurationError,
    ConnectorError,
    RegionUnavailable,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.http import build_http_client, error_for_status, mapped_http_errors
from connectors.identifiers import Identifier, IdentifierKind
from connectors.options import ConnectorOptions
from connectors.payload import Payload, PayloadError, per_key
from connectors.records import Alert, CustodyEpisode, Movement, PersonRecord, SystemKind
from connectors.soap_transport import fetch_documents, load_client

log = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")
ItemMapper = Callable[[str, str, Payload], R]

# Loading: imports are allowed, as zeep reads them from the prefetched, checked set only.
# Replies: raw, so the connector decides where zeep's reply processing runs.
LOAD_SETTINGS = zeep.Settings(
    forbid_dtd=True, forbid_entities=True, forbid_external=False, xml_huge_tree=False, strict=True
)
SETTINGS = zeep.Settings(
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    xml_huge_tree=False,
    strict=True,
    raw_response=True,
)
PARSE_INLINE_BYTES = 64 * 1024  # larger replies are parsed in a worker thread
BATCH_OPERATIONS = frozenset(
    {"FindOffenders", "GetCustodyHistories", "GetMovementsBatch", "GetAlertsBatch"}
)
MAX_BATCH = 100  # items per batch call (the WSDL's maxOccurs); options.max_batch overrides
MAX_RESULTS = 200  # search results the service returns at most
_CLIENT_FAULTS = ("Client", "VersionMismatch", "MustUnderstand")
_FAULT_CODE = re.compile(r"[^A-Za-z0-9_-]")  # what of a fault code may be logged


@contextmanager
def soap_errors(region: str) -> Iterator[None]:
    """Translate httpx, zeep, lxml and mapping failures into connector errors, keeping the cause."""
    try:
        with mapped_http_errors(region):
            yield
    except ConnectorError:
        raise
    except Fault as exc:
        code = (exc.code or "").rpartition(":")[2].split(".")[0]
        # The fault string is the region's own text (it may name a person): never logged.
        log.debug("region %s answered SOAP fault %s", region, _FAULT_CODE.sub("?", code)[:40])
        if code in _CLIENT_FAULTS:
            raise UpstreamRejected(region, "region rejected the request (SOAP fault)") from exc
        raise RegionUnavailable(region, "region reported an internal error (SOAP fault)") from exc
    except TransportError as exc:
        status = exc.status_code or 0
        error = error_for_status(region, httpx.Response(status)) if status >= 300 else None
        raise (error or UpstreamInvalid(region, "region answered with invalid XML")) from exc
    except (ZeepError, etree.LxmlError, ValueError) as exc:
        log.debug("region %s answered data that does not map (%s)", region, type(exc).__name__)
        raise UpstreamInvalid(region, "region answered with data that does not map") from exc
    except Exception as exc:
        log.exception("region %s: unexpected failure in the SOAP connector", region)
        raise UpstreamInvalid(region, "region answered with data the gateway cannot read") from exc


class ReplyCheck(Plugin):
    """Check a reply before zeep reads it; see :func:`connectors.soap_mapping.check_reply`."""

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        m.check_reply(envelope, operation.output.body)
        return envelope, http_headers


def _retrieve(attempt: asyncio.Future[None]) -> None:
    """Mark a failed start as seen, so asyncio does not log it when no caller is left."""
    if not attempt.cancelled():
        attempt.exception()


def _binding_of(client: Any) -> Any:
    """The binding of the WSDL's first service port (a prison WSDL has exactly one)."""
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            return port.binding
    raise PayloadError("the WSDL declares no service port")


class SoapPrisonConnector(Connector):
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
        }
    )
    identifier_kinds = frozenset({IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO})
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions  # max_batch only
    max_batch: ClassVar[int | None] = MAX_BATCH

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config, transport=transport)
        if config.auth.type not in ("none", "api_key"):
            raise ConfigurationError(
                f"regions.{config.name}.auth.type: soap-prison needs none or api_key"
            )
        self._max_batch = self.batch_limit or MAX_BATCH
        self._starting: asyncio.Future[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._service: Any = None
        self._client: Any = None
        self._binding: Any = None
        self._operations: frozenset[str] = frozenset()

    @property
    def batch(self) -> bool:
        """Whether the region's WSDL offers the batch operations (known once started)."""
        return self._operations >= BATCH_OPERATIONS

    async def start(self) -> None:
        """Load the WSDL once; concurrent callers share one attempt. RegionUnavailable if down."""
        if self._service is not None:
            return
        attempt = self._starting
        if attempt is None or attempt.done():
            attempt = self._starting = asyncio.ensure_future(self._load())
            attempt.add_done_callback(_retrieve)
        try:
            await asyncio.shield(attempt)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if attempt.cancelled() and task is not None and not task.cancelling():
                raise RegionUnavailable(self.region, "connector was closed") from None
            raise

    async def _load(self) -> None:
        http = build_http_client(self.config, transport=self._transport)
        self._authorise(http)
        try:
            with soap_errors(self.region):
                wsdl_url, documents = await fetch_documents(http, self.region, self.config.base_url)
                client = await asyncio.to_thread(
                    load_client,
                    self.region,
                    wsdl_url,
                    documents,
                    http,
                    LOAD_SETTINGS,
                    [ReplyCheck()],
                )
                client.settings = SETTINGS
                binding = _binding_of(client)
                proxy = AsyncServiceProxy(client, binding, address=self.config.base_url)  # type: ignore[no-untyped-call]
        except BaseException:
            await http.aclose()
            raise
        self._http, self._service, self._client, self._binding = http, proxy, client, binding
        self._operations = frozenset(binding.all())
        log.info("region %s: WSDL loaded, batch operations: %s", self.region, self.batch)

    async def aclose(self) -> None:
        """Stop a start in flight and close the HTTP client. Idempotent; a later call restarts."""
        attempt, self._starting = self._starting, None
        if attempt is not None and not attempt.done():
            attempt.cancel()
            await asyncio.wait([attempt])
        http, self._http, self._service = self._http, None, None
        self._client = self._binding = None
        self._operations = frozenset()
        if http is not None:
            await http.aclose()

    def _authorise(self, http: httpx.AsyncClient) -> None:
        auth = self.config.auth
        if auth.type == "api_key":
            http.headers[auth.header] = auth.api_key

    async def _ready(self) -> Any:
        """The service proxy, starting the connector if need be."""
        await self.start()
        if self._service is None:  # closed while starting
            raise RegionUnavailable(self.region, "connector was closed")
        return self._service

    async def _call(self, operation: str, mapper: Callable[[Any], R], **kwargs: Any) -> R:
        """Call one operation and map its reply."""
        service = await self._ready()
        client, binding = self._client, self._binding
        with soap_errors(self.region):
            response = await service[operation](**kwargs)  # raw: SETTINGS.raw_response

            def process() -> R:
                reply = binding.process_reply(client, binding.get(operation), response)
                return mapper(serialize_object(reply, dict))  # type: ignore[no-untyped-call]

            if len(response.content) > PARSE_INLINE_BYTES:
                return await asyncio.to_thread(process)
            return process()

    def _guard(self, build: Callable[[K], R], key_reply: K) -> R | ConnectorError:
        """One key's records, or the error that fails only that key."""
        try:
            return build(key_reply)
        except PayloadError as exc:
            log.debug("region %s: a record does not map: %s", self.region, exc)  # names a field
            return UpstreamInvalid(self.region, "region answered with a record that does not map")

    async def _batched(
        self, keys: Sequence[K], call: Callable[[Sequence[K]], Awaitable[list[R | ConnectorError]]]
    ) -> list[R | ConnectorError]:
        """Batch calls of at most ``max_batch`` keys; a failed chunk fails only its own keys."""
        chunks = [keys[i : i + self._max_batch] for i in range(0, len(keys), self._max_batch)]
        if len(chunks) <= 1:
            return await call(keys) if keys else []
        results: list[R | ConnectorError] = []
        for chunk, result in zip(
            chunks, await fan_out(chunks, call, self.config.concurrency), strict=True
        ):
            results.extend([result] * len(chunk) if isinstance(result, ConnectorError) else result)
        return results

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> BatchResult[list[PersonRecord]]:
        """Offenders holding each NOMS, PNC or CRO number; other kinds are never held here."""
        wanted = [i for i in identifiers if i.kind in self.identifier_kinds]
        if wanted:
            await self._ready()
        people = self._people
        if self.batch:

            async def chunk(ids: Sequence[Identifier]) -> list[list[PersonRecord] | ConnectorError]:
                keys = [(i.kind.value, i.value) for i in ids]
                return await self._call(
                    "FindOffenders",
                    lambda raw: [
                        self._guard(people, reply.get("offender"))
                        for reply in per_key(m.items(raw), keys, m.identifier_echo)
                    ],
                    identifier=[{"identifierType": k, "value": v} for k, v in keys],
                )

            found = await self._batched(wanted, chunk)
        else:

            async def one(i: Identifier) -> list[PersonRecord]:
                return await self._call(
                    "FindOffender", people, identifierType=i.kind.value, value=i.value
                )

            found = await fan_out(wanted, one, self.config.concurrency)
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
        return await self._call(
            "SearchOffenders", lambda raw: m.search_results(self.region, raw), **fields
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
        await self._ready()
        region = self.region

        def records(local_id: str, payloads: list[Payload]) -> list[R]:
            return [build(region, local_id, p) for p in payloads]

        def item_records(reply: Payload) -> list[R]:
            return records(m.offender_id(reply), m.items(reply, field))

        if self.batch:

            async def chunk(ids: Sequence[str]) -> list[list[R] | ConnectorError]:
                return await self._call(
                    batch,
                    lambda raw: [
                        self._guard(item_records, reply)
                        for reply in per_key(m.items(raw), ids, m.offender_id)
                    ],
                    offenderId=list(ids),
                )

            return await self._batched(local_ids, chunk)

        async def one(local_id: str) -> list[R]:
            return await self._call(
                single, lambda raw: records(local_id, m.items(raw)), offenderId=local_id
            )

        return await fan_out(local_ids, one, self.config.concurrency)
