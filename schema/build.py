"""Build the strawberry schema with the gateway's extensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from schema.cost import cost_limit, shape_rule
from schema.errors import GatewayErrors
from schema.prepared import prepared_documents
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES

FEDERATION_VERSION: Final = "2.9"  # accepted by both The Guild's and Apollo's composition libraries


class GatewaySchema(strawberry.federation.Schema):
    """An Apollo Federation v2 subgraph (``_service { sdl }``, ``_entities``; ``Offender`` is the
    entity). Client errors are answers, not incidents: only unexpected ones are logged (by
    :class:`~schema.errors.GatewayErrors`, with their traceback)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    max_cost: int = 1500,
    regions: int = 7,
    max_page_size: int = 100,
    introspection: bool = True,
    observers: Sequence[type[SchemaExtension]] = (),
    prepared: Mapping[str, DocumentNode] | None = None,
) -> strawberry.Schema:
    """The offender graph schema; depth, aliases, tokens and cost limited, introspection
    switchable.

    Aliases fan out: every ``offender`` field asks every region. The cost rule
    (:mod:`schema.cost`) weighs that fan-out over ``regions`` before execution; depth and aliases
    are limited by a rule of the same module (strawberry's limiters are exponential in nested
    fragment spreads).

    The validation rules are built once, here: strawberry's ``ValidationCache`` keys its results
    by the rule classes, so rules made per request would never hit it. Parsing is not cached:
    strawberry's ``ParserCache`` raises syntax errors outside the operation hook, where they
    would escape our error codes.

    ``observers`` are extensions that watch each operation (the gateway's metrics); they run
    outermost. ``prepared``: documents parsed in advance, by their text (the trusted documents,
    which are known to parse), so those skip the parser.
    """
    rules: list[type[ASTValidationRule]] = [
        shape_rule(max_depth, max_aliases),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Any] = [
        *observers,  # first: they see the result once every other extension is done with it
        GatewayErrors,
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=1024),
        cost_limit(max_cost, regions, max_page_size),
    ]
    if prepared:
        extensions.append(prepared_documents(prepared))
    return GatewaySchema(
        query=Query,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        federation_version=FEDERATION_VERSION,
    )
