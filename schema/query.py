"""The root Query: one offender by identifier, a search across regions, and the regions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from gateway.inputs import BadInput, encode_cursor
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


@strawberry.type(description="One person on a page, with their cursor.")
class OffenderEdge:
    cursor: str = strawberry.field(description="Opaque position of this edge, for `after`.")
    node: Offender = strawberry.field(description="The person.")


@strawberry.type(description="One page of offenders, in name order.")
class OffenderConnection:
    edges: list[OffenderEdge] = strawberry.field(description="The people on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int | None = strawberry.field(
        description="People the name search matched across the regions asked; null when a "
        "searched region failed, since the count would be a guess (completing a page can reveal "
        "two of them to be one person, shown once)."
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
        description="People whose name (or an alias) matches, across every region or one. "
        "`name` is a surname, or a forename (prefix) and a surname. Each person is completed "
        "with their records in every region."
    )
    async def offenders(
        self,
        info: GatewayInfo,
        name: Annotated[
            str,
            strawberry.argument(
                description="A surname, or a forename (or its first letters) and a surname."
            ),
        ],
        date_of_birth: Annotated[
            date | None, strawberry.argument(description="Only people born on this day.")
        ] = None,
        region: Annotated[
            str | None,
            strawberry.argument(description="Only this region (a name from `regions`)."),
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
                name, date_of_birth, region, first, after, selected_groups(nodes)
            )
        except BadInput as exc:
            raise bad_input(exc) from None
        path = tuple(info.path.as_list())
        info.context.report(page.failures, path)
        info.context.report(page.failures, (*path, "totalCount"))
        edges = [
            OffenderEdge(cursor=encode_cursor(i), node=shaped(p, nodes)) for i, p in page.people
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
