"""Every error a client sees carries ``extensions.code`` from one documented set.

Region failures collected during execution are added here, each with its region and the path of
the field that lost data. Unexpected exceptions are masked: clients get ``INTERNAL_ERROR``, the
log gets the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from connectors.errors import ConnectorError
from gateway.context import GatewayContext
from gateway.outcomes import RegionFailure, Stage

log = logging.getLogger("offender_graph.errors")

ERROR_CODES = (
    "BAD_IDENTIFIER",
    "BAD_USER_INPUT",
    "BAD_REQUEST",
    "BATCHING_NOT_SUPPORTED",
    "REQUEST_TIMEOUT",
    "REGION_UNAVAILABLE",
    "REGION_TIMEOUT",
    "UPSTREAM_REJECTED",
    "UPSTREAM_AUTH",
    "UPSTREAM_INVALID",
    "IDENTITY_CONFLICT",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COSTLY",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "PERSISTED_QUERY_REQUIRED",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "INTERNAL_ERROR",
)


def region_error(failure: RegionFailure, path: tuple[str | int, ...] | None) -> GraphQLError:
    """The client's view of a region failure: public message, code, region and stage only;
    ``breaker: "open"`` when the region was failed fast by its circuit breaker."""
    extensions: dict[str, object] = {
        "code": failure.code,
        "region": failure.region,
        "stage": failure.stage.value,
    }
    if failure.breaker_open:
        extensions["breaker"] = "open"
    return GraphQLError(
        f"Region '{failure.region}': {failure.message}",
        path=list(path) if path else None,
        extensions=extensions,
    )


def classify(error: GraphQLError) -> GraphQLError:
    """Give an error its code, masking anything unexpected."""
    extensions = error.extensions or {}
    if "code" in extensions:
        return error
    original = error.original_error
    if isinstance(original, ConnectorError):
        failure = RegionFailure.of(original, Stage.DETAILS)
        return region_error(failure, tuple(error.path) if error.path else None)
    if original is not None and not isinstance(original, GraphQLError):
        log.error("unexpected error at %s", error.path, exc_info=original)
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR"},
        )
    if "contains more than" in error.message:
        code = "QUERY_TOO_COSTLY"  # the parser's token or length cap (depth, aliases and cost
        # refusals come from schema/cost.py with their code already set)
    elif error.message.startswith("Syntax Error"):
        code = "GRAPHQL_PARSE_FAILED"
    elif error.message.startswith("Variable '$"):
        code = "BAD_USER_INPUT"  # a variable's value does not fit its type (or is missing)
    else:
        code = "GRAPHQL_VALIDATION_FAILED"
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**extensions, "code": code},
    )


class GatewayErrors(SchemaExtension):
    """Adds the request's region errors to the result and gives every error its code."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not isinstance(result, GraphQLExecutionResult | ExecutionResult):
            return
        errors = [classify(e) for e in result.errors or []]
        context = self.execution_context.context
        if isinstance(context, GatewayContext):
            errors += [region_error(failure, path) for failure, path in context.failures]
        result.errors = errors or None
