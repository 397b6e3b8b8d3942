"""The Python floor: one offender lookup by hand, with Starlette + httpx and nothing else.

``GET /offender/{identifier}`` makes the same upstream calls as the gateway's
``offender(identifier:)`` query asking for identifiers, name, status, offender manager, custody,
supervision and timeline:

1. identity rounds, as ``gateway.resolution.complete`` does them: ask every region that takes the
   identifier's kind, then every newly seen identifier in every region that takes it, until nothing
   new turns up (at most 4 rounds). Each round is one batch call per region (``FindOffenders``,
   ``POST /identifiers``) or, where a region has no batch calls (the legacy SOAP prison, the snake
   REST dialect), one call per identifier under the region's concurrency limit;
2. the person is the connected component of records sharing a strong identifier;
3. one detail round: custody and movements from each prison record, supervisions and managers from
   each probation record, batched per (region, operation) the same way; managers that came with a
   probation record (``offenderManagers``, ``MANAGERS``) are not asked for again, as the gateway
   does not ask for them.

No GraphQL, no zeep (envelopes are written and read with lxml), no DataLoaders, no domain records:
just the network and the parsing that any Python implementation of this lookup has to pay for.
The reply carries a small ``trace`` (regions asked per round) that the benchmark uses to work out
the critical path. It is a benchmark baseline, not production code: it has no error handling
beyond reporting that something failed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import httpx
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.identifiers import (
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    parse_identifier,
    try_parse_identifier,
)

MAX_ROUNDS = 4  # as gateway.resolution.MAX_ROUNDS
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "urn:offender-graph:prison:v1"
T = "{" + NS + "}"
PRISON_KINDS = frozenset({IdentifierKind.NOMS, IdentifierKind.PNC, IdentifierKind.CRO})
ALL_KINDS = frozenset(IdentifierKind)
STATUS = {
    "LICENCE": "ON_LICENCE",
    "POST_SENTENCE_SUPERVISION": "POST_SENTENCE_SUPERVISION",
    "COMMUNITY_ORDER": "COMMUNITY_ORDER",
    "SUSPENDED_SENTENCE_ORDER": "COMMUNITY_ORDER",
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

Record = dict[str, Any]  # region, local_id, identifiers (tuple), name
Item = dict[str, Any]


def _uk(value: str | None) -> str | None:
    """dd/MM/yyyy to ISO."""
    return f"{value[6:10]}-{value[3:5]}-{value[0:2]}" if value else None


def _children(element: etree._Element) -> dict[str, str | None]:
    return {etree.QName(c).localname: c.text for c in element if isinstance(c.tag, str)}


async def _limited(keys: Sequence[Any], call: Callable[[Any], Awaitable[Any]], limit: int) -> list:
    """One call per key, at most ``limit`` at once (what the gateway's ``fan_out`` does)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(key: Any) -> Any:
        async with semaphore:
            return await call(key)

    return list(await asyncio.gather(*(one(k) for k in keys)))


class Region:
    """One upstream system: its client and the calls this lookup needs."""

    kinds: frozenset[IdentifierKind] = ALL_KINDS
    prison = False

    def __init__(self, name: str, table: Mapping[str, Any]) -> None:
        self.name = name
        self.table = table
        self.limit = int(table.get("concurrency", 8))
        self.http = httpx.AsyncClient(
            base_url=table["base_url"],
            timeout=float(table.get("timeout", 2.0)),
            limits=httpx.Limits(max_connections=self.limit, max_keepalive_connections=self.limit),
        )

    async def start(self) -> None:
        pass

    async def find(self, identifiers: Sequence[Identifier]) -> list[Record]:
        raise NotImplementedError

    async def details(self, records: Sequence[Record]) -> tuple[list[Item], list[Item]]:
        """(custody, movements) for a prison; (supervision, managers) for probation."""
        raise NotImplementedError

    def record(self, local_id: str, fields: Mapping[str, Any], pairs: Any) -> Record:
        identifiers = tuple(
            i for kind, key in pairs if (i := try_parse_identifier(fields.get(key), kind))
        )
        return {"region": self.name, "local_id": local_id, "identifiers": identifiers, **fields}


class SoapPrison(Region):
    kinds = PRISON_KINDS
    prison = True
    PAIRS = (
        (IdentifierKind.NOMS, "nomsNumber"),
        (IdentifierKind.PNC, "pncNumber"),
        (IdentifierKind.CRO, "croNumber"),
    )

    async def start(self) -> None:
        wsdl = (await self.http.get("", params={"wsdl": ""})).content
        self.batch = b'name="FindOffenders"' in wsdl

    async def _soap(self, operation: str, body: str) -> etree._Element:
        envelope = (
            f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:tns="{NS}"><soap:Body>'
            f"<tns:{operation}>{body}</tns:{operation}></soap:Body></soap:Envelope>"
        )
        response = await self.http.post(
            "", content=envelope.encode(), headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        response.raise_for_status()
        root = etree.fromstring(response.content, PARSER)
        reply: etree._Element = root[0][0]
        return reply

    def _offenders(self, parent: etree._Element) -> list[Record]:
        found = []
        for el in parent.iterfind(T + "offender"):
            f = _children(el)
            name = {"forename": f.get("firstName"), "surname": f.get("lastName")}
            found.append(self.record(f["offenderId"] or "", {"name": name, **f}, self.PAIRS))
        return found

    async def find(self, identifiers: Sequence[Identifier]) -> list[Record]:
        def element(i: Identifier) -> str:
            return (
                f"<tns:identifierType>{i.kind.value}</tns:identifierType>"
                f"<tns:value>{escape(i.value)}</tns:value>"
            )

        if self.batch:
            body = "".join(f"<tns:identifier>{element(i)}</tns:identifier>" for i in identifiers)
            reply = await self._soap("FindOffenders", body)
            return [r for m in reply.iterfind(T + "match") for r in self._offenders(m)]

        async def one(i: Identifier) -> list[Record]:
            return self._offenders(await self._soap("FindOffender", element(i)))

        return [r for rs in await _limited(identifiers, one, self.limit) for r in rs]

    async def _per_offender(
        self, ids: Sequence[str], single: str, batch: str, item: str, leaf: str
    ) -> list[Item]:
        if self.batch:
            body = "".join(f"<tns:offenderId>{escape(i)}</tns:offenderId>" for i in ids)
            reply = await self._soap(batch, body)
            return [_children(e) for group in reply for e in group.iterfind(T + leaf)]

        async def one(local_id: str) -> list[Item]:
            body = f"<tns:offenderId>{escape(local_id)}</tns:offenderId>"
            return [_children(e) for e in (await self._soap(single, body)).iterfind(T + leaf)]

        return [x for xs in await _limited(ids, one, self.limit) for x in xs]

    async def details(self, records: Sequence[Record]) -> tuple[list[Item], list[Item]]:
        local_ids = [r["local_id"] for r in records]
        custody, movements = await asyncio.gather(
            self._per_offender(
                local_ids, "GetCustodyHistory", "GetCustodyHistories", "custodyHistory", "booking"
            ),
            self._per_offender(
                local_ids, "GetMovements", "GetMovementsBatch", "offenderMovements", "movement"
            ),
        )
        return (
            [
                {
                    "region": self.name,
                    "prisonId": b["prisonId"],
                    "active": b["activeFlag"] == "true",
                    "startDate": b["bookingBeginDate"],
                    "endDate": b.get("bookingEndDate"),
                }
                for b in custody
            ],
            [
                {
                    "date": m["movementDate"],
                    "type": m["movementType"],
                    "description": m["description"],
                    "region": self.name,
                    "location": m.get("toAgency"),
                }
                for m in movements
            ],
        )


class CamelProbation(Region):
    PAIRS = (
        (IdentifierKind.CRN, "crn"),
        (IdentifierKind.NOMS, "nomsNumber"),
        (IdentifierKind.PNC, "pncNumber"),
        (IdentifierKind.CRO, "croNumber"),
    )

    async def start(self) -> None:
        auth = self.table["auth"]
        response = await self.http.post(
            auth["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": auth["client_id"],
                "client_secret": auth["client_secret"],
            },
        )
        response.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + response.json()["access_token"]

    async def _post(self, path: str, body: object) -> list[Item]:
        response = await self.http.post(f"/api/v1/offenders/{path}", json=body)
        response.raise_for_status()
        results: list[Item] = response.json()["results"]
        return results

    def _person(self, o: Item) -> Record:
        name = {"forename": o["firstName"], "surname": o["surname"]}
        return self.record(str(o["offenderId"]), {"name": name, **o}, self.PAIRS)

    async def find(self, identifiers: Sequence[Identifier]) -> list[Record]:
        body = {"identifiers": [{"type": i.kind.value, "value": i.value} for i in identifiers]}
        results = await self._post("identifiers", body)
        return [self._person(o) for r in results for o in r["offenders"]]

    async def details(self, records: Sequence[Record]) -> tuple[list[Item], list[Item]]:
        body = {"offenderIds": [r["local_id"] for r in records]}
        if all(r.get("offenderManagers") is not None for r in records):  # they came with them
            supervisions = await self._post("supervisions", body)
            managers = [{"managers": r["offenderManagers"]} for r in records]
        else:
            supervisions, managers = await asyncio.gather(
                self._post("supervisions", body), self._post("managers", body)
            )
        return (
            [
                {
                    "region": self.name,
                    "kind": s["type"],
                    "probationRegion": s["probationRegion"]["code"],
                    "startDate": s["startDate"],
                    "endDate": s.get("endDate"),
                    "active": s["active"],
                }
                for r in supervisions
                for s in r["supervisions"]
            ],
            [
                {
                    "forename": m.get("forename"),
                    "surname": m.get("surname"),
                    "responsibleOfficer": m["responsibleOfficer"],
                    "allocatedOn": m.get("allocatedDate"),
                }
                for r in managers
                for m in r["managers"]
            ],
        )


class SnakeProbation(Region):
    PAIRS = (
        (IdentifierKind.CRN, "CRN"),
        (IdentifierKind.NOMS, "NOMS_NUMBER"),
        (IdentifierKind.PNC, "PNC_NUMBER"),
        (IdentifierKind.CRO, "CRO_NUMBER"),
    )
    PAGE = 25

    def __init__(self, name: str, table: Mapping[str, Any]) -> None:
        super().__init__(name, table)
        self.http.headers[table["auth"].get("header", "X-API-Key")] = table["auth"]["api_key"]

    async def _get(self, url: str, params: Mapping[str, str] | None = None) -> Item:
        response = await self.http.get(url, params=params)
        response.raise_for_status()
        data: Item = response.json()
        if "ERROR" in data and data["ERROR"]["CODE"] != "NOT_FOUND":
            raise RuntimeError(f"{self.name}: {data['ERROR']['CODE']}")
        return data

    async def find(self, identifiers: Sequence[Identifier]) -> list[Record]:
        async def one(i: Identifier) -> list[Record]:
            found: list[Record] = []
            url = "/probation/offenders"
            params: dict[str, str] | None = {i.kind.value: i.value, "OFFSET": "0", "LIMIT": "25"}
            while True:
                data = await self._get(url, params)
                for o in data.get("RESULTS", []):
                    name = {"forename": o["FIRST_NAME"], "surname": o["SURNAME"]}
                    found.append(
                        self.record(str(o["OFFENDER_ID"]), {"name": name, **o}, self.PAIRS)
                    )
                if not data.get("NEXT"):
                    return found
                url, params = data["NEXT"], None

        return [r for rs in await _limited(identifiers, one, self.limit) for r in rs]

    async def details(self, records: Sequence[Record]) -> tuple[list[Item], list[Item]]:
        local_ids = [r["local_id"] for r in records]

        async def one(what_and_id: tuple[str, str]) -> list[Item]:
            what, local_id = what_and_id
            data = await self._get(f"/probation/offenders/{quote(local_id, safe='')}/{what}")
            items: list[Item] = data.get(what.upper(), [])
            return items

        # two operations, each fanned out under the region's limit, as two DataLoaders would be;
        # managers that came with the records are not asked again
        carried = all(r.get("MANAGERS") is not None for r in records)
        supervisions, managers = await asyncio.gather(
            _limited([("supervisions", i) for i in local_ids], one, self.limit),
            _limited([] if carried else [("managers", i) for i in local_ids], one, self.limit),
        )
        if carried:
            managers = [r["MANAGERS"] for r in records]
        return (
            [
                {
                    "region": self.name,
                    "kind": s["SUPERVISION_TYPE"],
                    "probationRegion": s["REGION_CODE"],
                    "startDate": _uk(s["START_DATE"]),
                    "endDate": _uk(s.get("END_DATE")),
                    "active": s["ACTIVE"] == "Y",
                }
                for ss in supervisions
                for s in ss
            ],
            [
                {
                    "forename": m.get("STAFF_FORENAME"),
                    "surname": m.get("STAFF_SURNAME"),
                    "responsibleOfficer": m["RESPONSIBLE_OFFICER"] == "Y",
                    "allocatedOn": _uk(m.get("ALLOCATED_DATE")),
                }
                for ms in managers
                for m in ms
            ],
        )


DIALECTS: dict[str, type[Region]] = {
    "soap-prison": SoapPrison,
    "rest-camel": CamelProbation,
    "rest-snake": SnakeProbation,
}


def _group(records: Sequence[Record]) -> list[list[Record]]:
    """Connected components over shared identifiers (as ``gateway.identity.group_records``)."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Identifier, int] = {}
    for index, record in enumerate(records):
        for identifier in record["identifiers"]:
            if identifier in owner:
                parent[root(index)] = root(owner[identifier])
            else:
                owner[identifier] = index
    groups: dict[int, list[Record]] = {}
    for index, record in enumerate(records):
        groups.setdefault(root(index), []).append(record)
    return list(groups.values())


async def lookup(regions: Mapping[str, Region], identifier: Identifier) -> dict[str, Any] | None:
    """The merged person holding ``identifier`` with their details, and the rounds it took."""
    found: dict[tuple[str, str], Record] = {}
    wanted = {identifier}
    asked: set[tuple[str, Identifier]] = set()
    rounds: list[list[str]] = []
    for _ in range(MAX_ROUNDS):
        per_region: dict[str, list[Identifier]] = {}
        for ident in sorted(wanted):
            for name, region in regions.items():
                if ident.kind in region.kinds and (name, ident) not in asked:
                    per_region.setdefault(name, []).append(ident)
                    asked.add((name, ident))
        if not per_region:
            break
        rounds.append(sorted(per_region))
        results = await asyncio.gather(*(regions[n].find(ids) for n, ids in per_region.items()))
        new = [r for rs in results for r in rs if (r["region"], r["local_id"]) not in found]
        found.update(((r["region"], r["local_id"]), r) for r in new)
        wanted |= {i for r in new for i in r["identifiers"]}

    person = next(
        (g for g in _group(list(found.values())) if any(identifier in r["identifiers"] for r in g)),
        None,
    )
    if person is None:
        return None

    by_region: dict[str, list[Record]] = {}
    for record in person:
        by_region.setdefault(record["region"], []).append(record)
    rounds.append(sorted(by_region))
    outcomes = await asyncio.gather(*(regions[n].details(rs) for n, rs in by_region.items()))
    custody: list[Item] = []
    movements: list[Item] = []
    supervision: list[Item] = []
    managers: list[Item] = []
    for name, (first, second) in zip(by_region, outcomes, strict=True):
        if regions[name].prison:
            custody += first
            movements += second
        else:
            supervision += first
            managers += second
    return {"person": _summary(person, custody, movements, supervision, managers), "rounds": rounds}


def _summary(
    records: list[Record],
    custody: list[Item],
    movements: list[Item],
    supervision: list[Item],
    managers: list[Item],
) -> dict[str, Any]:
    counts: dict[IdentifierKind, Counter[str]] = {}
    for record in records:
        for i in record["identifiers"]:
            counts.setdefault(i.kind, Counter())[i.value] += 1
    identifiers = {k.value: c.most_common(1)[0][0] for k, c in counts.items()}
    names = Counter((r["name"]["forename"], r["name"]["surname"]) for r in records)
    forename, surname = names.most_common(1)[0][0]
    if any(c["active"] for c in custody):
        status = "IN_CUSTODY"
    else:
        active = sorted((s for s in supervision if s["active"]), key=lambda s: s["startDate"])
        status = STATUS.get(active[-1]["kind"], "OTHER") if active else "NOT_SUPERVISED"
    responsible = [m for m in managers if m["responsibleOfficer"]]
    manager = max(responsible, key=lambda m: m["allocatedOn"] or "", default=None)
    timeline = [*movements]
    for s in supervision:
        timeline.append({"date": s["startDate"], "type": "SUPERVISION_STARTED", **s})
        if s["endDate"]:
            timeline.append({"date": s["endDate"], "type": "SUPERVISION_ENDED", **s})
    return {
        "identifiers": identifiers,
        "name": {"forename": forename, "surname": surname},
        "status": status,
        "offenderManager": manager,
        "custody": sorted(custody, key=lambda c: c["startDate"]),
        "supervision": sorted(supervision, key=lambda s: s["startDate"]),
        "timeline": sorted(timeline, key=lambda e: e["date"]),
    }


def create_floor_app(region_tables: Mapping[str, Mapping[str, Any]]) -> Starlette:
    """The floor for the estate described by ``RunningEstate.region_tables()``."""
    regions = {n: DIALECTS[t["dialect"]](n, t) for n, t in region_tables.items()}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.gather(*(r.start() for r in regions.values()))
        try:
            yield
        finally:
            await asyncio.gather(*(r.http.aclose() for r in regions.values()))

    async def offender(request: Request) -> Response:
        try:
            identifier = parse_identifier(request.path_params["identifier"])
        except InvalidIdentifier as exc:
            return JSONResponse({"errors": [str(exc)]}, status_code=400)
        try:
            found = await lookup(regions, identifier)
        except (httpx.HTTPError, RuntimeError, KeyError, etree.LxmlError) as exc:
            return JSONResponse({"errors": [f"{type(exc).__name__}: {exc}"]}, status_code=502)
        return JSONResponse(found or {"person": None})

    return Starlette(
        routes=[Route("/offender/{identifier:path}", offender)],
        lifespan=lifespan,
    )
