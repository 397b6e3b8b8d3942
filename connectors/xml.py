"""XML over HTTP: a hardened parser that honours the declared charset, and a connector base.

:func:`parse_xml` never resolves entities, never touches the network, loads no DTD and refuses a
document with a DOCTYPE (:class:`UpstreamInvalid`: the usual carrier of entity bombs and external
entities); huge trees are off, and the transport has already capped the reply's size. The charset
is the HTTP ``Content-Type``'s, else the XML declaration's, else UTF-8; ISO-8859-1 and
windows-1252 systems decode correctly. Read the tree with :mod:`connectors.xml_readers`.

:class:`XmlHttpConnector` is the base of a dialect speaking XML over HTTP: the region's client
(:class:`connectors.session.HttpSession`, auth from :meth:`XmlHttpConnector.auth`), started and
closed for it, and :meth:`~XmlHttpConnector.xml` for one call::

    class NorthConnector(XmlHttpConnector):
        def auth(self) -> httpx.Auth:
            return BasicAuth(self.options.username, self.options.password.get_secret_value())

        async def alerts_for(self, local_ids):
            async def one(local_id: str) -> list[Alert]:
                root = await self.xml("GET", f"/cases/{local_id}/alerts", not_found=True)
                with payload_boundary(self.region):
                    return [] if root is None else [alert(e) for e in children(root, "Alert")]
            ...
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Literal, overload

import httpx
from lxml import etree

from connectors.auth import auth_for
from connectors.base import Connector
from connectors.config import RegionConfig
from connectors.errors import UpstreamInvalid
from connectors.session import HttpSession

__all__ = ["XmlHttpConnector", "charset_of", "parse_xml"]


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, if any."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _parser(encoding: str | None) -> etree.XMLParser:
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(region: str, content: bytes, content_type: str | None = None) -> etree._Element:
    """The root element of ``content``; :class:`UpstreamInvalid` if it is not well-formed XML in
    its declared charset, or has a DOCTYPE."""
    encoding = charset_of(content_type)
    try:
        parser = _parser(encoding and codecs.lookup(encoding).name and encoding)
    except LookupError as exc:
        raise UpstreamInvalid(region, "region declared a charset the gateway cannot read") from exc
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, UnicodeDecodeError) as exc:
        raise UpstreamInvalid(region, "region sent a reply that is not well-formed XML") from exc
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise UpstreamInvalid(region, "region sent XML with a DOCTYPE, which is refused")
    return root


class XmlHttpConnector(Connector):
    """A dialect speaking XML over HTTP: client lifecycle, auth and XML calls done once here."""

    def __init__(
        self, config: RegionConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config, transport=transport)
        self.session = HttpSession(config, transport=transport, auth=self.auth())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, base_url={self.config.base_url!r})"

    def auth(self) -> httpx.Auth:
        """The auth strategy (:mod:`connectors.auth`); by default what ``config.auth`` names."""
        return auth_for(self.config)

    async def start(self) -> None:
        self.session.client  # noqa: B018 - builds the client

    async def aclose(self) -> None:
        await self.session.aclose()

    @overload
    async def xml(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: Literal[False] = False,
    ) -> etree._Element: ...

    @overload
    async def xml(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: Literal[True],
    ) -> etree._Element | None: ...

    async def xml(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: bool = False,
    ) -> etree._Element | None:
        """One call's reply parsed (:func:`parse_xml`); None for a 404 when ``not_found``."""
        response = await self.session.request(
            method, url, params=params, content=content, headers=headers, not_found=not_found
        )
        if response.status_code == 404:
            return None
        return parse_xml(self.region, response.content, response.headers.get("content-type"))
