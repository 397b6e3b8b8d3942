"""The root Query: one offender by identifier, a search across regions, and the regions."""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import date

import strawberry
from graphql import GraphQLError

from connectors.base import PersonSearch
from connectors.identifiers import InvalidIdentifier, parse_identifier
from gateway.identity import MergedPerson, decode_offender_id
from gateway.resolution import complete, find_person, search_people
from schema import types
from schema.offender import GatewayInfo, Offender


def bad_input(message: str, code: str = "BAD_USER_INPUT") -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class OffenderEdge:
    cursor: str
    node: Offender


@strawberry.type(description="One page of offenders, in name order.")
class OffenderConnection:
    edges: list[OffenderEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description="People the name search matched across the regions asked (completing a "
        "page can reveal two of them to be one person, shown once)."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="One person by NOMS number, CRN, PNC or CRO number (any usual spelling), "
        "or by the offender id the gateway gave them. Null when no region knows them."
    )
    async def offender(self, info: GatewayInfo, identifier: str) -> Offender | None:
        try:
            parsed = parse_identifier(identifier)
        except InvalidIdentifier as exc:
            try:
                parsed = decode_offender_id(identifier.strip())
            except InvalidIdentifier:
                raise bad_input(str(exc), "BAD_IDENTIFIER") from None
        person = await find_person(info.context, parsed, tuple(info.path.as_list()))
        return Offender(person=person) if person else None

    @strawberry.field(
        description="People whose name (or an alias) matches, across every region or one. "
        "`name` is a surname, or a forename (prefix) and a surname."
    )
    async def offenders(
        self,
        info: GatewayInfo,
        name: str | None = None,
        date_of_birth: date | None = None,
        region: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> OffenderConnection:
        ctx = info.context
        query = _search_query(name, date_of_birth)
        if not 1 <= first <= ctx.max_page_size:
            raise bad_input(f"first must be between 1 and {ctx.max_page_size}")
        if region is not None and region not in ctx.connectors:
            raise bad_input(f"unknown region '{region}'; see the regions query")
        start = _decode_cursor(after) + 1 if after else 0
        path = tuple(info.path.as_list())
        people = await search_people(ctx, query, [region] if region else list(ctx.connectors), path)
        page = people[start : start + first]
        if region is None:  # complete each person on the page with their other regions' records
            page = list(await asyncio.gather(*(_completed(info, p) for p in page)))
        edges = [
            OffenderEdge(cursor=_encode_cursor(start + i), node=Offender(person=p))
            for i, p in _distinct(page)
        ]
        return OffenderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=start + first < len(people),
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(people),
        )

    @strawberry.field(description="The configured regional systems and what the gateway saw.")
    def regions(self, info: GatewayInfo) -> list[types.Region]:
        ctx = info.context
        found = []
        for name, connector in ctx.connectors.items():
            state = ctx.health.state(name)
            found.append(
                types.Region(
                    name=name,
                    title=connector.config.title,
                    kind=connector.config.kind,
                    dialect=connector.dialect,
                    status=state.status.value,
                    capabilities=sorted(c.value for c in connector.capabilities),
                    last_error=state.last_error,
                )
            )
        return found


async def _completed(info: GatewayInfo, person: MergedPerson) -> MergedPerson:
    merged = await complete(info.context, person.records, set(), tuple(info.path.as_list()))
    return next((p for p in merged if person.records[0] in p.records), person)


def _distinct(page: list[MergedPerson]) -> list[tuple[int, MergedPerson]]:
    """Each person once, with their position: completing two search hits can reveal that they
    are one person (linked only through a record the name search did not find)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for index, person in enumerate(page):
        keys = {(r.region, r.local_id) for r in person.records}
        if not keys & seen:
            kept.append((index, person))
        seen |= keys
    return kept


def _search_query(name: str | None, date_of_birth: date | None) -> PersonSearch:
    words = (name or "").split()
    if not words:
        raise bad_input("name is required: a surname, or a forename and a surname")
    if any(not w.replace("-", "").replace("'", "").isalpha() for w in words) or len(words) > 3:
        raise bad_input("name must be one to three words of letters, e.g. 'John Smith'")
    forename = words[0] if len(words) > 1 else None
    return PersonSearch(surname=words[-1], forename=forename, date_of_birth=date_of_birth)


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{index}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, number = text.split(":")
        if prefix != "offset" or int(number) < 0:
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_input(f"'{cursor}' is not a cursor from this API") from None
