"""A query's cost, weighed before execution: the estimated number of region operations.

With ``R`` configured regions:

- ``offender(...)`` costs ``R`` (finding the person in every region) plus ``R`` per **kind of
  fact** its selection asks for (:data:`schema.offender.FIELD_KINDS`: ``status`` needs custody and
  supervision, ``timeline`` movements and supervision, ``custody``, ``supervision``, ``alerts``
  and ``offenderManager`` one kind each). A kind is fetched once per person, so ``status`` with
  ``custody`` is 2 kinds, not 3. Identifiers, names, ``records``, ``sources`` and ``id`` are free.
- ``offenders(first: N)`` costs ``R`` (the search) plus ``N x (R + kinds x R)``: each person on
  the page is completed in every region, then asked for the kinds under ``edges { node }``.
  ``N`` is the literal or the variable's value (0 when outside ``1..max_page_size``: the service
  refuses it before asking any region), or the argument's default.
- ``possibleMatches`` on a person costs ``R`` (every region's search by the person's surname)
  plus, for each of the at most ``MAX_POSSIBLE`` people offered, ``R`` (completing them) and the
  cost of its ``offender`` selection (its kinds, and its own ``possibleMatches``).
- A listing (``offenders`` with ``prison``, ``probationRegion`` or ``staffCode``) costs
  ``R x MAX_LISTED / LISTING_PAGE`` for its pages instead of ``R`` for a search; ``status``
  counts as the kinds status needs for each person on the page (completing the candidates it
  filters, at most ``MAX_FILTERED``, is bounded when it runs).
- Every other field is free. Fragments, named and inline, are followed; root fields add up per
  response key (aliases), as the executor runs them; directives are ignored (the worst case).

An operation over ``max_cost`` is refused with ``QUERY_TOO_COSTLY`` (``cost`` and ``maxCost`` in
its extensions, :func:`too_costly`) before any resolver runs. The weighing is not a validation
rule: validation never sees the variables, and a page size given as ``$first`` is how front-ends
write their queries. So a :class:`Weigher` walks each operation once into a :class:`CostPlan`
(kept with its document, :mod:`schema.prepared`), and each request only puts its variables into
the plan, as the first step of execution.

:func:`shape_rule` limits depth (``QUERY_TOO_DEEP``) and aliases (``QUERY_TOO_COSTLY``) with the
semantics of strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter``, but in linear time:
those follow every fragment spread anew, so 30 fragments that each spread the next twice (a few
hundred tokens) take hours to validate. Here each fragment is measured once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)
from graphql.language.visitor import SKIP, VisitorAction

from connectors.base import Capability
from gateway.search import LISTING_PAGE, MAX_LISTED, MAX_POSSIBLE
from schema.offender import FIELD_KINDS

DEFAULT_PAGE_SIZE = 20  # the default of offenders(first:)
LISTING_ARGUMENTS = frozenset({"prison", "probationRegion", "staffCode"})
STATUS_KINDS = FIELD_KINDS["status"]


def too_costly(cost: int, max_cost: int, operation: OperationDefinitionNode) -> GraphQLError:
    """The refusal of an operation that costs ``cost``, over ``max_cost``."""
    return GraphQLError(
        f"Query cost {cost} exceeds the maximum cost {max_cost} (estimated region operations).",
        operation,
        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
    )


def find_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation the executor will run (None when it cannot pick one: it reports that)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


@dataclass(frozen=True, slots=True)
class PageSize:
    """Where the size of an ``offenders`` page comes from: a ``literal`` (already bounded), or
    a ``variable`` with the ``default`` it has when not sent."""

    literal: int = 0
    variable: str | None = None
    default: object = DEFAULT_PAGE_SIZE

    def of(self, variables: Mapping[str, Any], max_page_size: int) -> int:
        if self.variable is None:
            return self.literal
        return bounded(variables.get(self.variable, self.default), max_page_size)


def bounded(first: object, max_page_size: int) -> int:
    """A page size as the cost counts it: ``max_page_size`` when it is not a whole number, 0
    outside ``1..max_page_size`` (the service refuses it before asking any region)."""
    if not isinstance(first, int) or isinstance(first, bool):
        return max_page_size
    return first if 1 <= first <= max_page_size else 0


@dataclass(frozen=True, slots=True)
class CostPlan:
    """An operation's cost as a function of its variables: ``fixed`` plus, per ``offenders``
    page, its cost per person times its page size. Worked out once per document."""

    operation: OperationDefinitionNode
    max_page_size: int
    fixed: int = 0
    pages: tuple[tuple[int, PageSize], ...] = ()

    def cost(self, variables: Mapping[str, Any]) -> int:
        paged = sum(each * size.of(variables, self.max_page_size) for each, size in self.pages)
        return self.fixed + paged


class Weigher:
    """Plans the cost of one operation of a validated document (see the module docstring)."""

    def __init__(self, document: DocumentNode, regions: int, max_page_size: int) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.regions = regions
        self.max_page_size = max_page_size
        self.defaults: dict[str, object] = {}

    def plan(self, node: OperationDefinitionNode) -> CostPlan:
        for definition in node.variable_definitions or ():
            if isinstance(definition.default_value, IntValueNode):
                self.defaults[definition.variable.name.value] = int(definition.default_value.value)
        fixed = 0
        pages: list[tuple[int, PageSize]] = []
        for fields in self.by_response_key(node.selection_set).values():
            field = fields[0].name.value
            if field == "offender":
                fixed += self.regions + self.person(fields)
            elif field == "offenders":
                nodes = self.children(self.children(fields, "edges"), "node")
                arguments = {a.name.value for f in fields for a in f.arguments or ()}
                listing = bool(arguments & LISTING_ARGUMENTS)
                fixed += self.regions * (MAX_LISTED // LISTING_PAGE if listing else 1)
                extra = STATUS_KINDS if "status" in arguments else ()
                each = self.regions + self.person(nodes, extra)
                pages.append((each, self.page_size(fields[0])))
        return CostPlan(node, self.max_page_size, fixed, tuple(pages))

    def page_size(self, field: FieldNode) -> PageSize:
        for argument in field.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, VariableNode):
                    name = value.name.value
                    return PageSize(
                        variable=name, default=self.defaults.get(name, DEFAULT_PAGE_SIZE)
                    )
                if isinstance(value, IntValueNode):
                    return PageSize(bounded(int(value.value), self.max_page_size))
                return PageSize(self.max_page_size)
        return PageSize(DEFAULT_PAGE_SIZE)

    def person(self, fields: list[FieldNode], extra: Iterable[Capability] = ()) -> int:
        """What one found person costs beyond finding them: ``R`` per fact kind asked (and
        ``extra``), and their ``possibleMatches``."""
        cost = self.regions * len(self.kinds(fields) | set(extra))
        for matches in self.children(fields, "possibleMatches"):
            offered = self.children([matches], "offender")
            cost += self.regions + MAX_POSSIBLE * (self.regions + self.person(offered))
        return cost

    def kinds(self, fields: Iterable[FieldNode]) -> set[Capability]:
        """The fact kinds the selections of ``fields`` (Offender fields) ask for."""
        found: set[Capability] = set()
        for child in self.fields_of(fields):
            found.update(FIELD_KINDS.get(child.name.value, ()))
        return found

    def children(self, fields: Iterable[FieldNode], name: str) -> list[FieldNode]:
        """Every field called ``name`` (whatever its alias) under ``fields``."""
        return [child for child in self.fields_of(fields) if child.name.value == name]

    def fields_of(self, fields: Iterable[FieldNode]) -> Iterator[FieldNode]:
        visited: set[str] = set()
        for field in fields:
            if field.selection_set:
                yield from self.collect(field.selection_set, visited)

    def by_response_key(self, selection_set: SelectionSetNode) -> dict[str, list[FieldNode]]:
        """The fields of a selection set grouped as the executor merges them."""
        grouped: dict[str, list[FieldNode]] = {}
        for field in self.collect(selection_set, set()):
            key = field.alias.value if field.alias else field.name.value
            grouped.setdefault(key, []).append(field)
        return grouped

    def collect(self, selection_set: SelectionSetNode, visited: set[str]) -> Iterator[FieldNode]:
        """The fields of a selection set through its fragments, each named fragment once (as
        the executor collects them; this also stops cycles and fragment bombs)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.collect(selection.selection_set, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                yield from self.collect(fragment.selection_set, visited)


def shape_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """The validation rule refusing operations deeper than ``max_depth`` (fields nested in
    fields; leaves and introspection fields are 0) or with more than ``max_aliases`` aliases
    (counted through every fragment spread). Build it once per schema."""

    class QueryShapeRule(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> VisitorAction:
            shape = Shape(self.context)
            name = node.name.value if node.name else "anonymous"
            if shape.depth(node.selection_set) > max_depth:
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}",
                        node,
                        extensions={"code": "QUERY_TOO_DEEP"},
                    )
                )
            aliases = shape.aliases(node.selection_set)
            if aliases > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"{aliases} aliases found. Allowed: {max_aliases}",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY"},
                    )
                )
            return SKIP

    return QueryShapeRule


class Shape:
    """Depth and alias count of selection sets, each named fragment measured once (a fragment
    in a cycle, which validation refuses anyway, counts as empty)."""

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}

    def depth(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection, self._depths, self.depth))
        return deepest

    def aliases(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1 if selection.alias else 0
                if selection.selection_set:
                    count += self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection, self._aliases, self.aliases)
        return count

    def _fragment(
        self,
        spread: FragmentSpreadNode,
        memo: dict[str, int],
        measure: Callable[[SelectionSetNode], int],
    ) -> int:
        name = spread.name.value
        if name not in memo:
            memo[name] = 0  # while it is measured: a cycle back to it counts as empty
            fragment = self.context.get_fragment(name)
            memo[name] = measure(fragment.selection_set) if fragment else 0
        return memo[name]
