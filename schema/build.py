"""Build the strawberry schema with the gateway's extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema.errors import GatewayErrors
from schema.query import Query


def build_schema(*, max_depth: int = 12, introspection: bool = True) -> strawberry.Schema:
    """The offender graph schema; depth-limited, introspection switchable."""
    extensions: list[Any] = [GatewayErrors, lambda: QueryDepthLimiter(max_depth=max_depth)]
    if not introspection:
        extensions.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, extensions=extensions, config=StrawberryConfig())
