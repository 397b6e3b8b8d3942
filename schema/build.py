"""Build the strawberry schema with the gateway's extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from schema.errors import GatewayErrors
from schema.query import Query


class GatewaySchema(strawberry.Schema):
    """Client errors are answers, not incidents: only unexpected ones are logged (by
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
    introspection: bool = True,
) -> strawberry.Schema:
    """The offender graph schema; depth, aliases and tokens limited, introspection switchable.

    Aliases fan out: every ``offender`` field asks every region, so a query of a thousand aliases
    would make a thousand lookups. The cost limits of the security work will refine this.

    Validation results are cached per document. Parsing is not: strawberry's ``ParserCache``
    raises syntax errors outside the operation hook, where they would escape our error codes.
    """
    extensions: list[Any] = [
        GatewayErrors,
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ValidationCache(maxsize=1024),
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return GatewaySchema(query=Query, extensions=extensions)
