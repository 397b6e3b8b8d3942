"""The ``kss-xml`` dialect: Kent, Surrey & Sussex probation's CaseLink system.

CaseLink speaks XML over HTTP in ISO-8859-1 behind HTTP Basic (a Latin-1 password), keys its
cases by its own case refs (``KSS000123``), answers searches and identifier look-ups with bare
case refs (so every hit is fetched: search-then-fetch), fetches at most 20 cases per call, and
answers 503 with ``Retry-After`` during maintenance windows (``RegionUnavailable``, from the
SDK's status mapping). The wire format is in :mod:`offender_graph_kss.server`.
"""

from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar
from xml.sax.saxutils import escape

import httpx
from lxml import etree
from pydantic import Field

import connectors as og
from connectors import xml_readers as xr
from connectors.auth import BasicAuth
from connectors.boundaries import payload_boundary
from connectors.chunking import call_in_chunks
from connectors.paging import Page, collect, page_size_pages
from connectors.parsing import COMPACT, split_name
from connectors.xml import XmlHttpConnector

T = TypeVar("T")
Element = etree._Element
Many = list[list[T] | og.ConnectorError]
Slot = Element | og.ConnectorError | None  # a case, a per-key error, or none held
Reader = Callable[[str, str, Element], T]
KINDS = {kind.value: kind for kind in og.IdentifierKind}
NOT_HELD = {og.Capability.CUSTODY_FOR, og.Capability.MOVEMENTS_FOR}  # a probation system
NOT_OFFERED = {og.Capability.LIST_PEOPLE}  # CaseLink has no caseload listing
CHARSET = "iso-8859-1"


class KssOptions(og.ConnectorOptions):
    """``[regions.NAME] options``: CaseLink's Basic credentials (and ``max_batch``)."""

    username: str
    password: og.SecretOption
    page_size: int = Field(10, ge=1, le=10)  # search hits per page: CaseLink serves 1 to 10


def person(region: str, case: Element) -> og.PersonRecord:
    typed = ((e.text, KINDS[t]) for e in xr.children(case, "Id") if (t := e.get("type")) in KINDS)
    ids = (og.try_parse_identifier(value, kind) for value, kind in typed)  # dirty ones dropped
    return og.PersonRecord(
        region=region,
        local_id=xr.text(case, "CaseRef"),
        identifiers=tuple(dict.fromkeys(i for i in ids if i)),
        name=split_name(xr.text(case, "Name"), "Case/Name"),
        date_of_birth=xr.opt_date(case, "Born", COMPACT),
        aliases=tuple(split_name(e.text, "Case/Alias") for e in xr.children(case, "Alias")),
        gender=xr.opt_text(case, "Sex"),
        access=og.AccessLimits(xr.text_set(case, "Excluded"), xr.text_set(case, "RestrictedTo")),
    )


def supervision(region: str, ref: str, order: Element) -> og.SupervisionEpisode:
    return og.SupervisionEpisode(
        region=region,
        local_id=ref,
        episode_id=xr.attribute(order, "id"),
        kind=xr.choice(order, "Type", og.SupervisionKind),
        probation_region=xr.text(order, "Area"),
        start_date=xr.date_of(order, "Start", COMPACT),
        end_date=xr.opt_date(order, "End", COMPACT),
        active=xr.flag(order, "Current"),
        licence_type=xr.opt_text(order, "Licence"),
        tier=xr.opt_text(order, "Tier"),
    )


def manager(region: str, ref: str, officer: Element) -> og.OffenderManager:
    staff = split_name(n, "Officer/Name") if (n := xr.opt_text(officer, "Name")) else None
    return og.OffenderManager(
        region=region,
        local_id=ref,
        staff_code=xr.attribute(officer, "code"),
        forename=staff.forename if staff else None,
        surname=staff.surname if staff else None,
        role=xr.choice(officer, "Role", og.ManagerRole),
        team=xr.opt_text(officer, "Team"),
        probation_delivery_unit=xr.opt_text(officer, "Pdu"),
        probation_region=xr.opt_text(officer, "Area"),
        responsible_officer=xr.flag(officer, "Responsible"),
        allocated_on=xr.opt_date(officer, "Allocated", COMPACT),
    )


def alert(region: str, ref: str, register: Element) -> og.Alert:
    kind = xr.attribute(register, "type")
    return og.Alert(
        region=region,
        local_id=ref,
        source=og.AlertSource.PROBATION_REGISTRATION,
        type=kind,
        code=xr.opt_text(register, "Code") or kind,
        description=xr.opt_text(register, "Description") or kind,
        active=xr.flag(register, "Current"),
        start_date=xr.opt_date(register, "Start", COMPACT),
        level=xr.opt_text(register, "Level"),
        category=xr.opt_text(register, "Category"),
    )


class KssConnector(XmlHttpConnector):
    """CaseLink: search-then-fetch over case refs, fetched at most ``batch_limit`` at a time."""

    dialect = "kss-xml"
    kinds = frozenset({og.SystemKind.PROBATION})
    capabilities = frozenset(og.Capability) - NOT_HELD - NOT_OFFERED
    identifier_kinds = frozenset(og.IdentifierKind)
    Options = KssOptions
    options: KssOptions
    max_batch: ClassVar[int | None] = 20  # CaseLink answers 413 beyond this

    def auth(self) -> httpx.Auth:
        password = self.options.password.get_secret_value()
        return BasicAuth(self.options.username, password, encoding=CHARSET)

    async def _hits(self, url: str, **params: str) -> Page[str]:
        """Case refs of one page of hits, and how many pages there are."""
        root = await self.xml("GET", url, params=params)
        with payload_boundary(self.region):
            refs = [xr.text(hit, "CaseRef") for hit in xr.children(root, "Hit")]
            pages = xr.attribute(root, "pages")
            return Page(refs, total_pages=int(pages) if pages.isdigit() else None)

    async def _cases(self, refs: Sequence[str]) -> og.BatchResult[Element | None]:
        """Each ref's ``<Case>`` (None: CaseLink holds none), fetched ``batch_limit`` at a time."""

        async def fetch(chunk: Sequence[str]) -> list[Element | None]:
            refs = "".join(f"<CaseRef>{escape(ref)}</CaseRef>" for ref in chunk)
            content = f"<Fetch>{refs}</Fetch>".encode(CHARSET)
            headers = {"Content-Type": f"text/xml; charset={CHARSET}"}
            root = await self.xml("POST", "caselink/cases", content=content, headers=headers)
            with payload_boundary(self.region):
                held = {xr.text(case, "CaseRef"): case for case in xr.children(root, "Case")}
            return [held.get(ref) for ref in chunk]

        size, limit = self.batch_limit or max(1, len(refs)), self.config.concurrency
        return await call_in_chunks(self.region, refs, fetch, size=size, limit=limit)

    def _map(self, case: Slot, read: Callable[[Element], list[T]]) -> list[T] | og.ConnectorError:
        """One case mapped; a case that does not map fails its key alone."""
        if case is None or isinstance(case, og.ConnectorError):
            return case or []
        try:
            with payload_boundary(self.region):
                return read(case)
        except og.UpstreamInvalid as exc:
            return exc

    async def _details(self, refs: Sequence[str], tag: str, read: Reader[T]) -> Many[T]:
        def each(case: Element) -> list[T]:
            return [read(self.region, xr.text(case, "CaseRef"), e) for e in xr.children(case, tag)]

        return [self._map(case, each) for case in await self._cases(refs)]

    async def _people(self, refs: Sequence[str]) -> list[og.PersonRecord]:
        """Search-then-fetch: the records of the hits; any that fails, fails the call."""
        cases = await self._cases(list(dict.fromkeys(refs)))
        found = [self._map(case, lambda c: [person(self.region, c)]) for case in cases]
        if errors := [f for f in found if isinstance(f, og.ConnectorError)]:
            raise errors[0]
        return [record for records in found if isinstance(records, list) for record in records]

    async def find_by_identifiers(self, ids: Sequence[og.Identifier]) -> Many[og.PersonRecord]:
        async def lookup(one: Sequence[og.Identifier]) -> list[list[og.PersonRecord]]:
            hits = await self._hits("caselink/lookup", type=one[0].kind.value, value=one[0].value)
            return [await self._people(hits.items)]

        return await call_in_chunks(self.region, ids, lookup, size=1, limit=self.config.concurrency)

    async def search_people(self, query: og.PersonSearch) -> list[og.PersonRecord]:
        born = query.date_of_birth.strftime("%Y%m%d") if query.date_of_birth else ""
        params = {"surname": query.surname, "forename": query.forename or "", "born": born}

        async def fetch(page: int, size: int) -> Page[str]:
            return await self._hits("caselink/search", **params, page=str(page), size=str(size))

        pages = page_size_pages(self.region, fetch, size=self.options.page_size, first=1)
        return await self._people((await collect(pages, limit=query.limit))[: query.limit])

    async def supervision_for(self, local_ids: Sequence[str]) -> Many[og.SupervisionEpisode]:
        return await self._details(local_ids, "Order", supervision)

    async def managers_for(self, local_ids: Sequence[str]) -> Many[og.OffenderManager]:
        return await self._details(local_ids, "Officer", manager)

    async def alerts_for(self, local_ids: Sequence[str]) -> Many[og.Alert]:
        return await self._details(local_ids, "Register", alert)
