"""The SOAP base: a region's SOAP 1.1 or 1.2 service through zeep over the hardened transport.

:class:`SoapConnector` fetches the WSDL and the documents it imports once, only from under
``base_url`` (:mod:`connectors.soap_transport`), through the region's capped httpx client with
its auth (:meth:`SoapConnector.auth`, by default :func:`connectors.auth.auth_for`), and builds
zeep's client off the event loop. zeep takes the binding of the WSDL's first port, SOAP 1.1 or
1.2 alike. Calls go to ``base_url``, not the WSDL's address. A WS-Security UsernameToken is sent
on every message when the region's options name one (``wsse_username``, ``wsse_password`` as a
secret reference, ``wsse_digest``). A region down at start-up is started by the next call.

:meth:`SoapConnector.call` calls one operation and maps its reply (checked first,
:func:`connectors.soap_reply.check_reply`; parsed in a worker thread when over
``PARSE_INLINE_BYTES``), every failure mapped by :func:`connectors.soap_reply.soap_boundary`.
A successful reply of an operation whose response schema is plain is read with lxml directly
(:mod:`connectors.soap_reader`, its plan compiled once when the WSDL loads); faults, other
envelopes and other schemas go through zeep's own reading.
:meth:`~SoapConnector.in_chunks` (batch operations) and :meth:`~SoapConnector.one_by_one`
(a legacy system without them) follow the per-key rule (:mod:`connectors.chunking`)::

    class NorthPrison(SoapConnector):
        dialect = "soap-north"
        capabilities = frozenset({Capability.ALERTS_FOR})

        async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
            async def one(local_id: str) -> list[Alert]:
                return await self.call(
                    "GetAlerts", lambda reply: read_alerts(local_id, reply), caseId=local_id
                )
            return await self.one_by_one(local_ids, one)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, TypeVar

import httpx
import zeep
from zeep.helpers import serialize_object
from zeep.proxy import AsyncServiceProxy
from zeep.wsdl.bindings.soap import Soap12Binding

from connectors.auth import auth_for, username_token
from connectors.base import Connector
from connectors.chunking import ChunkCall, call_in_chunks
from connectors.config import RegionConfig
from connectors.errors import ConfigurationError, ConnectorError, RegionUnavailable, UpstreamInvalid
from connectors.options import ConnectorOptions, SecretOption
from connectors.payload import PayloadError
from connectors.session import HttpSession
from connectors.soap_reader import ReplyReader, compile_reader, parse_reply
from connectors.soap_reply import ReplyCheck, check_reply, soap_boundary
from connectors.soap_transport import fetch_documents, load_client

__all__ = ["PARSE_INLINE_BYTES", "SoapConnector", "SoapOptions"]

log = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")

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


class SoapOptions(ConnectorOptions):
    """What every SOAP region accepts: ``max_batch`` and a WS-Security UsernameToken."""

    wsse_username: str | None = None
    wsse_password: SecretOption | None = None
    wsse_digest: bool = False
    """Send ``PasswordDigest`` (with a fresh nonce and time) instead of ``PasswordText``."""


def _retrieve(attempt: asyncio.Future[None]) -> None:
    """Mark a failed start as seen, so asyncio does not log it when no caller is left."""
    if not attempt.cancelled():
        attempt.exception()


def _binding_of(client: Any) -> Any:
    """The binding of the WSDL's first service port."""
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            return port.binding
    raise PayloadError("the WSDL declares no service port")


class SoapConnector(Connector):
    """Base of a SOAP dialect: start, close, auth, WS-Security and calls; see the module."""

    Options: ClassVar[type[ConnectorOptions]] = SoapOptions
    options: SoapOptions

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config, transport=transport)
        self._wsse = self.wsse()
        self._session = HttpSession(config, transport=transport, auth=self.auth())
        self._starting: asyncio.Future[None] | None = None
        self._service: Any = None
        self._client: Any = None
        self._binding: Any = None
        self._readers: dict[str, ReplyReader] = {}
        self.operations: frozenset[str] = frozenset()
        """The operations of the WSDL's binding (known once started)."""

    def auth(self) -> httpx.Auth:
        """HTTP auth of every request (WSDL included): ``config.auth`` by default."""
        return auth_for(self.config)

    def wsse(self) -> Any:
        """zeep's WS-Security object from the options, or None."""
        username, password = self.options.wsse_username, self.options.wsse_password
        if username is None and password is None:
            return None
        if username is None or password is None:
            missing = "wsse_password" if password is None else "wsse_username"
            raise ConfigurationError(
                f"regions.{self.region}.options.{missing} is required for WS-Security"
            )
        return username_token(
            username, password.get_secret_value(), digest=self.options.wsse_digest
        )

    def check_reply(self, envelope: Any, response: Any) -> None:
        """Refuse a reply before zeep reads it (:func:`connectors.soap_reply.check_reply`)."""
        check_reply(envelope, response)

    @property
    def soap_version(self) -> str | None:
        """``"1.1"`` or ``"1.2"``, the binding's (known once started)."""
        if self._binding is None:
            return None
        return "1.2" if isinstance(self._binding, Soap12Binding) else "1.1"

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
        http = self._session.client
        try:
            with soap_boundary(self.region):
                wsdl_url, documents = await fetch_documents(http, self.region, self.config.base_url)
                plugins = [ReplyCheck(self.check_reply)]
                client = await asyncio.to_thread(
                    load_client, self.region, wsdl_url, documents, http, LOAD_SETTINGS, plugins,
                    self._wsse,
                )  # fmt: skip
                client.settings = SETTINGS
                binding = _binding_of(client)
                proxy = AsyncServiceProxy(client, binding, address=self.config.base_url)  # type: ignore[no-untyped-call]
        except BaseException:
            await self._session.aclose()
            raise
        self._service, self._client, self._binding = proxy, client, binding
        self.operations = frozenset(binding.all())
        self._readers = {
            name: reader
            for name in self.operations
            if (reader := compile_reader(binding.get(name).output.body)) is not None
        }
        log.info("region %s: WSDL loaded (SOAP %s)", self.region, self.soap_version)

    async def aclose(self) -> None:
        """Stop a start in flight and close the HTTP client. Idempotent; a later call restarts."""
        attempt, self._starting = self._starting, None
        if attempt is not None and not attempt.done():
            attempt.cancel()
            await asyncio.wait([attempt])
        self._service = self._client = self._binding = None
        self._readers = {}
        self.operations = frozenset()
        await self._session.aclose()

    async def ready(self) -> Any:
        """The service proxy, starting the connector if need be."""
        await self.start()
        if self._service is None:  # closed while starting
            raise RegionUnavailable(self.region, "connector was closed")
        return self._service

    async def call(self, operation: str, mapper: Callable[[Any], R], **kwargs: Any) -> R:
        """Call one operation; its reply (as plain dicts and lists) mapped by ``mapper``. A
        :class:`~connectors.payload.PayloadError` from ``mapper`` fails the whole call."""
        service = await self.ready()
        client, binding = self._client, self._binding
        response = await service[operation](**kwargs)  # raw (SETTINGS); send maps HTTP failures

        reader = self._readers.get(operation)

        def process() -> R:
            with soap_boundary(self.region):
                if reader is not None and response.status_code == 200:
                    read = self._read(reader, binding.get(operation), response.content)
                    if read is not None:
                        return mapper(read[0])
                reply = binding.process_reply(client, binding.get(operation), response)
                return mapper(serialize_object(reply, dict))  # type: ignore[no-untyped-call]

        if len(response.content) > PARSE_INLINE_BYTES:
            return await asyncio.to_thread(process)
        return process()

    def _read(self, reader: ReplyReader, operation: Any, content: bytes) -> tuple[Any] | None:
        """A successful reply read by ``reader`` (in a 1-tuple), or None for zeep to read: a
        Fault, or an envelope that is not the binding's."""
        envelope = parse_reply(content)  # as zeep's parse_xml with SETTINGS, fed in pieces
        namespace = self._binding.nsmap["soap-env"]
        if envelope.tag != f"{{{namespace}}}Envelope":
            return None
        body = envelope.find(f"{{{namespace}}}Body")
        first = None if body is None else next((c for c in body if isinstance(c.tag, str)), None)
        if first is None or first.tag == f"{{{namespace}}}Fault":
            return None
        self.check_reply(envelope, operation.output.body)
        return (reader.read(first),)

    def guard(self, build: Callable[[K], R], part: K) -> R | ConnectorError:
        """``build(part)``: one key's records, or the error failing only that key."""
        try:
            return build(part)
        except PayloadError as exc:
            log.debug("region %s: a record does not map: %s", self.region, exc)  # names a field
            return UpstreamInvalid(self.region, "region answered with a record that does not map")

    async def in_chunks(
        self, keys: Sequence[K], fetch: ChunkCall[K, R]
    ) -> list[R | ConnectorError]:
        """Batch calls of at most :attr:`batch_limit` keys, by the per-key rule."""
        size = self.batch_limit or max(1, len(keys))
        return await call_in_chunks(
            self.region, keys, fetch, size=size, limit=self.config.concurrency
        )

    async def one_by_one(
        self, keys: Sequence[K], fetch: Callable[[K], Awaitable[R]]
    ) -> list[R | ConnectorError]:
        """One call per key, by the same rule: every call failing alike fails the whole call."""

        async def single(part: Sequence[K]) -> list[R | ConnectorError]:
            return [await fetch(part[0])]

        return await call_in_chunks(
            self.region, keys, single, size=1, limit=self.config.concurrency
        )
