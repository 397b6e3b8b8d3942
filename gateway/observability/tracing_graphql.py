"""GraphQL operations in the traces: one span per operation, none per field.

strawberry's own ``OpenTelemetryExtension`` wraps every resolver in a span (and records the whole
query text, identifiers included); this extension makes one server span per operation, current
while it runs, so every loader batch of the request is its child. It is named by the operation
(``query OffenderCard``; ``query`` when it has no name, or a name that is not a GraphQL name of
at most :data:`MAX_NAME_LENGTH` characters) and carries ``graphql.operation.type``,
``graphql.operation.name`` and, when the answer has errors, ``offender_graph.error_codes``; its
status is ``ERROR`` when errors left no data at all. Only added when tracing is on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from strawberry.extensions import SchemaExtension

from gateway.observability.tracing import TRACER_NAME

log = logging.getLogger("offender_graph.tracing")

MAX_NAME_LENGTH = 64
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class OperationTracing(SchemaExtension):
    """One span per GraphQL operation, named by the operation."""

    def on_operation(self) -> Iterator[None]:
        tracer = trace.get_tracer(TRACER_NAME)
        with tracer.start_as_current_span(
            "graphql",
            kind=SpanKind.SERVER,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            yield
            try:
                self._describe(span)
            except Exception:  # a span's description must never cost the answer
                log.exception("could not describe an operation's span")

    def _describe(self, span: Span) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # no document (it did not parse), or no operation of that name
            kind = "graphql"
        name = context.operation_name
        span.set_attribute("graphql.operation.type", kind)
        if name and len(name) <= MAX_NAME_LENGTH and GRAPHQL_NAME.fullmatch(name):
            span.set_attribute("graphql.operation.name", name)
            span.update_name(f"{kind} {name}")
        else:
            span.update_name(kind)
        result = context.result
        if result is None or not result.errors:
            return
        codes = {str((e.extensions or {}).get("code", "")) for e in result.errors}
        span.set_attribute("offender_graph.error_codes", sorted(codes - {""}))
        data = result.data
        if not (isinstance(data, dict) and any(v is not None for v in data.values())):
            span.set_status(Status(StatusCode.ERROR, "the operation answered no data"))
