"""The root Query: one offender by identifier, a search across regions, and the regions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from gateway.identity.name_match import NameMatch
from gateway.inputs import BadInput, encode_cursor
from gateway.search import MAX_FILTERED, MAX_LISTED, match_reasons
from schema import types
from schema.offender import (
    GatewayInfo,
    Node,
    Offender,
    bad_input,
    lookup_offender,
    selected_groups,
    shaped,
)


def _children(selections: list[Selection], name: str) -> list[Selection]:
    """The selections under the field ``name`` (fragments at this level are not followed)."""
    return [
        child
        for s in selections
        if isinstance(s, SelectedField) and s.name == name
        for child in s.selections
    ]


@strawberry.type(description="Where a page of a connection stands (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when a next page exists.")
    has_previous_page: bool = strawberry.field(
        description="True when this page does not start at the first person."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last edge: pass it as `after` for the next page."
    )


@strawberry.type(description="One person on a page, with their cursor and why they are on it.")
class OffenderEdge:
    cursor: str = strawberry.field(description="Opaque position of this edge, for `after`.")
    node: Offender = strawberry.field(description="The person.")
    match: types.NameMatch | None = strawberry.field(
        description="Why the person matched the name; null for a listing (no name), or for a "
        "person only a region's own search matched."
    )


def _match(found: NameMatch | None) -> types.NameMatch | None:
    if found is None:
        return None
    name = found.name
    return types.NameMatch(
        kind=found.kind,
        matched_name=types.PersonName(
            forename=name.forename, middle_names=name.middle_names, surname=name.surname
        ),
        score=found.score,
        reasons=match_reasons(found),
    )


@strawberry.type(
    description="One page of offenders: a name search best match first (EXACT, ALIAS, "
    "PHONETIC, FUZZY, each in name order), a listing in name order."
)
class OffenderConnection:
    edges: list[OffenderEdge] = strawberry.field(description="The people on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int | None = strawberry.field(
        description="People the search or listing matched across the regions asked; null when "
        "a searched region failed, or a status filter met a person whose status is UNKNOWN, "
        "since the count would be a guess (completing a page can reveal two of them to be one "
        "person, shown once)."
    )


@strawberry.type(description="The offender graph: people across every regional system.")
class Query:
    @strawberry.field(
        description="One person by NOMS number, CRN, PNC or CRO number (any usual spelling), "
        "or by the offender id the gateway gave them. Null when no region that answered knows "
        "them (with errors when some could not answer)."
    )
    async def offender(
        self,
        info: GatewayInfo,
        identifier: Annotated[
            str,
            strawberry.argument(
                description="A NOMS number (A1234AA), CRN (X123456), PNC number (2001/0123456A "
                "or 01/123456A), CRO number (123456/01A), or an `Offender.id`."
            ),
        ],
    ) -> Offender | None:
        try:
            parsed = info.context.service.parse_identifier(identifier)
        except BadInput as exc:
            raise bad_input(exc) from None
        return await lookup_offender(info, parsed)

    @strawberry.field(
        description="Any object by its global id (Relay): today every node is an `Offender`, "
        "and this equals `offender(identifier: id)` for an id the gateway gave."
    )
    async def node(
        self,
        info: GatewayInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id (`Node.id`).")],
    ) -> Node | None:
        try:
            parsed = info.context.service.parse_offender_id(id)
        except BadInput as exc:
            raise bad_input(exc) from None
        return await lookup_offender(info, parsed)

    @strawberry.field(
        description="People whose name (or an alias) matches, typing errors and sound-alikes "
        "too, best match first, each edge saying why; or, without a name, the people of a "
        "prison, a probation region or an offender manager's caseload, in name order (a listing "
        f"walks at most {MAX_LISTED} records a region: past that it is refused with "
        "BAD_USER_INPUT, narrow it). Give a name, prison, probationRegion or staffCode. Each "
        "person is completed with their records in every region. With `status`, every match "
        f"(at most {MAX_FILTERED}) is completed before paging."
    )
    async def offenders(
        self,
        info: GatewayInfo,
        name: Annotated[
            str | None,
            strawberry.argument(
                description="A surname, or a forename (or its first letters) and a surname."
            ),
        ] = None,
        date_of_birth: Annotated[
            date | None, strawberry.argument(description="Only people born on this day.")
        ] = None,
        region: Annotated[
            str | None,
            strawberry.argument(
                description="Only this system (a name from `regions`; a probation region code "
                "goes in `probationRegion`)."
            ),
        ] = None,
        prison: Annotated[
            str | None,
            strawberry.argument(
                description="List the people held in this prison now (an establishment code, "
                "e.g. MDI); an unknown prison lists nobody."
            ),
        ] = None,
        probation_region: Annotated[
            str | None,
            strawberry.argument(
                description="List the people supervised or managed in this probation region "
                "(a code, e.g. N03)."
            ),
        ] = None,
        staff_code: Annotated[
            str | None,
            strawberry.argument(description="List an offender manager's caseload."),
        ] = None,
        status: Annotated[
            types.OffenderStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only people of this status now."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="Page size, 1 to the gateway's maximum.")
        ] = 20,
        after: Annotated[
            str | None,
            strawberry.argument(description="`pageInfo.endCursor` of the page before."),
        ] = None,
    ) -> OffenderConnection:
        nodes = _children(_children(info.selected_fields[0].selections, "edges"), "node")
        try:
            page = await info.context.service.search(
                name,
                date_of_birth,
                region,
                first,
                after,
                selected_groups(nodes),
                prison=prison,
                probation_region=probation_region,
                staff_code=staff_code,
                status=status,
            )
        except BadInput as exc:
            raise bad_input(exc) from None
        path = tuple(info.path.as_list())
        info.context.report(page.failures, path)
        info.context.report(page.failures, (*path, "totalCount"))
        edges = [
            OffenderEdge(
                cursor=encode_cursor(h.position),
                node=shaped(h.person, nodes),
                match=_match(h.match),
            )
            for h in page.hits
        ]
        return OffenderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.people[0][0] > 0 if page.people else after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )

    @strawberry.field(description="The configured regional systems and what the gateway saw.")
    def regions(self, info: GatewayInfo) -> list[types.Region]:
        directory = info.context.directory
        found = []
        for region in directory:
            state = directory.health(region.name)
            found.append(
                types.Region(
                    name=region.name,
                    title=region.title,
                    kind=region.kind,
                    dialect=region.dialect,
                    status=state.status,
                    breaker=directory.breaker(region.name),
                    capabilities=sorted(region.capabilities),
                    last_error=state.last_error,
                )
            )
        return found
