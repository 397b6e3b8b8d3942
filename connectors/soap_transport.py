"""How a SOAP connector reaches its region: zeep's transport over ``connectors.http.send``.

The WSDL and every document it imports are fetched *before* zeep parses anything
(:func:`fetch_documents`), through the connector's own capped httpx client, and only from under the
region's ``base_url``. An ``import``/``include`` whose location is a root-relative or local path
(``/etc/passwd``), a ``file:`` (or any non-http) URL, or a URL outside ``base_url`` fails the start
with :class:`UpstreamInvalid`; relative references (``types.xsd``) and absolute http(s) URLs under
``base_url`` are allowed. zeep then reads documents from that prefetched set only
(:meth:`StatusCheckedTransport.load`), so it never opens a file or another host.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import zeep
from lxml import etree
from zeep.transports import AsyncTransport
from zeep.wsdl.utils import etree_to_string

from connectors.boundaries import status_error
from connectors.errors import UpstreamInvalid
from connectors.http import send

MAX_DOCUMENTS = 20  # the WSDL and the schemas it imports, at most
_IMPORTS = frozenset({"import", "include", "redefine", "override"})
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def import_url(region: str, location: str, document_url: str, base_url: str) -> str:
    """The absolute URL of an import ``location`` found in ``document_url``, if it is allowed."""
    location = location.strip()
    parts = urlsplit(location)
    if parts.scheme:
        allowed = parts.scheme.lower() in ("http", "https")
    else:
        allowed = bool(location) and not location.startswith(("/", "\\", "~"))
    url = urljoin(document_url, location)
    base = urlsplit(base_url if base_url.endswith("/") else base_url + "/")
    target = urlsplit(url)
    if not (
        allowed
        and (target.scheme, target.netloc.lower()) == (base.scheme, base.netloc.lower())
        and target.path.startswith(base.path)
    ):
        raise UpstreamInvalid(
            region, "region's WSDL imports a document from outside the region's base URL"
        )
    return url


def imports_of(region: str, content: bytes) -> list[str]:
    """Every import/include/redefine location named in one WSDL or schema document."""
    try:
        root = etree.parse(io.BytesIO(content), _PARSER).getroot()
    except etree.XMLSyntaxError as exc:
        raise UpstreamInvalid(region, "region sent a WSDL that is not valid XML") from exc
    return [
        location
        for node in root.iter(etree.Element)
        if etree.QName(node).localname in _IMPORTS
        for location in (node.get("location"), node.get("schemaLocation"))
        if location is not None
    ]


async def fetch_documents(
    http: httpx.AsyncClient, region: str, base_url: str
) -> tuple[str, dict[str, bytes]]:
    """The WSDL's URL and every document it needs, by URL, all fetched through ``http``."""
    wsdl_url = base_url + "?wsdl"
    documents: dict[str, bytes] = {}
    pending = [wsdl_url]
    while pending:
        url = pending.pop()
        if url in documents:
            continue
        if len(documents) >= MAX_DOCUMENTS:
            raise UpstreamInvalid(
                region, f"region's WSDL imports more than {MAX_DOCUMENTS} documents"
            )
        response = await send(http, region, "GET", url)
        error = status_error(region, response.status_code)
        if error is not None:
            raise error
        documents[url] = response.content
        pending.extend(
            import_url(region, location, url, base_url)
            for location in imports_of(region, response.content)
        )
    return wsdl_url, documents


class StatusCheckedTransport(AsyncTransport):
    """zeep's transport, reading prefetched documents only and posting through ``send``.

    SOAP answers 200, or 500 with a Fault; any other status is that HTTP status's error.
    """

    def __init__(
        self, region: str, http: httpx.AsyncClient, documents: Mapping[str, bytes]
    ) -> None:
        headers = http.headers.copy()
        unused = httpx.Client()  # zeep wants a sync client for documents; load() never uses it
        unused.close()
        super().__init__(client=http, wsdl_client=unused)  # type: ignore[no-untyped-call]
        http.headers = headers  # zeep replaced the client's headers (the API key among them)
        self.region, self.http, self.documents = region, http, dict(documents)

    def load(self, url: str) -> bytes:
        try:
            return self.documents[url]
        except KeyError:
            raise UpstreamInvalid(
                self.region, "region's WSDL refers to a document the gateway did not fetch"
            ) from None

    async def post(self, address: str, message: bytes, headers: Any) -> httpx.Response:
        response = await send(
            self.http, self.region, "POST", address, content=message, headers=headers
        )
        if response.status_code not in (200, 500):
            error = status_error(self.region, response.status_code)
            if error is not None:
                raise error
        return response

    async def get(self, address: str, params: Any, headers: Any) -> Any:
        response = await send(
            self.http, self.region, "GET", address, params=params, headers=headers
        )
        error = status_error(self.region, response.status_code)
        if error is not None:
            raise error
        return self.new_response(response)  # type: ignore[no-untyped-call]

    async def post_xml(self, address: str, envelope: Any, headers: Any) -> Any:
        message = etree_to_string(envelope)  # type: ignore[no-untyped-call]
        return self.new_response(await self.post(address, message, headers))  # type: ignore[no-untyped-call]


def load_client(
    region: str,
    wsdl_url: str,
    documents: Mapping[str, bytes],
    http: httpx.AsyncClient,
    settings: zeep.Settings,
    plugins: list[Any],
    wsse: Any = None,
) -> Any:
    """A zeep AsyncClient for prefetched documents (blocking: run it in a thread); ``wsse`` is
    zeep's WS-Security object (:func:`connectors.auth.username_token`), if any."""
    transport = StatusCheckedTransport(region, http, documents)
    return zeep.AsyncClient(  # type: ignore[no-untyped-call]
        wsdl_url, transport=transport, settings=settings, plugins=plugins, wsse=wsse
    )
