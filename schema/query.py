"""The root Query: one offender by identifier, a search across regions, and the regions."""

from __future__ import annotations

from datetime import date

import strawberry
from graphql import GraphQLError
from strawberry.types.nodes import SelectedField, Selection

from gateway.inputs import BadInput, encode_cursor
from schema import types
from schema.offender import GatewayInfo, Offender, selected_kinds


def _bad_input(exc: BadInput) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": exc.code})


def _children(selections: list[Selection], name: str) -> list[Selection]:
    """The selections under the field ``name`` (fragments at this level are not followed)."""
    return [
        child
        for s in selections
        if isinstance(s, SelectedField) and s.name == name
        for child in s.selections
    ]


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
    total_count: int | None = strawberry.field(
        description="People the name search matched across the regions asked; null when a "
        "searched region failed, since the count would be a guess (completing a page can reveal "
        "two of them to be one person, shown once)."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="One person by NOMS number, CRN, PNC or CRO number (any usual spelling), "
        "or by the offender id the gateway gave them. Null when no region that answered knows "
        "them (with errors when some could not answer)."
    )
    async def offender(self, info: GatewayInfo, identifier: str) -> Offender | None:
        service = info.context.service
        try:
            parsed = service.parse_identifier(identifier)
        except BadInput as exc:
            raise _bad_input(exc) from None
        found = await service.find(parsed)
        info.context.report(found.failures, tuple(info.path.as_list()))
        if found.person is None:
            return None
        kinds = selected_kinds(info.selected_fields[0].selections)
        return Offender(person=found.person, kinds=kinds)

    @strawberry.field(
        description="People whose name (or an alias) matches, across every region or one. "
        "`name` is a surname, or a forename (prefix) and a surname. Each person is completed "
        "with their records in every region."
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
        try:
            page = await info.context.service.search(name, date_of_birth, region, first, after)
        except BadInput as exc:
            raise _bad_input(exc) from None
        path = tuple(info.path.as_list())
        info.context.report(page.failures, path)
        info.context.report(page.failures, (*path, "totalCount"))
        nodes = _children(_children(info.selected_fields[0].selections, "edges"), "node")
        kinds = selected_kinds(nodes)
        edges = [
            OffenderEdge(cursor=encode_cursor(i), node=Offender(person=p, kinds=kinds))
            for i, p in page.people
        ]
        return OffenderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
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
                    status=state.status.value,
                    breaker=directory.breaker(region.name).value,
                    capabilities=sorted(c.value for c in region.capabilities),
                    last_error=state.last_error,
                )
            )
        return found
