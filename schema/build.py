"""Build the strawberry schema with the gateway's extensions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from gateway.documents import DocumentCache
from schema.cost import shape_rule
from schema.errors import GatewayErrors
from schema.prepared import CostLimit, pin_trusted, prepared_documents, validator
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

    documents: DocumentCache  # every document this schema has prepared (build_schema sets it)


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
    document_cache_size: int = 1000,
) -> GatewaySchema:
    """The offender graph schema; depth, aliases, tokens and cost limited, introspection
    switchable.

    Aliases fan out: every ``offender`` field asks every region. The cost rule
    (:mod:`schema.cost`) weighs that fan-out over ``regions`` before execution; depth and aliases
    are limited by a rule of the same module (strawberry's limiters are exponential in nested
    fragment spreads).

    Each distinct document is parsed, validated and its cost planned once
    (:mod:`schema.prepared`), kept in ``documents`` (a :class:`~gateway.documents.DocumentCache`
    of ``document_cache_size`` documents; 0: every request prepares its document again).

    ``observers`` are extensions that watch each operation (the gateway's metrics); they run
    outermost. ``prepared``: the trusted documents parsed in advance, by their text; they are
    validated here and kept for good, so they go straight to execution.
    """
    rules: list[type[ASTValidationRule]] = [*specified_rules, shape_rule(max_depth, max_aliases)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = DocumentCache(document_cache_size, max_tokens=max_tokens)
    extensions: list[Any] = [
        *observers,  # first: they see the result once every other extension is done with it
        GatewayErrors,
        prepared_documents(documents, rules, CostLimit(max_cost, regions, max_page_size)),
    ]
    schema = GatewaySchema(
        query=Query,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        federation_version=FEDERATION_VERSION,
    )
    schema.documents = documents
    pin_trusted(documents, prepared or {}, validator(schema, rules))
    return schema
