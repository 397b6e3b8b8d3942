"""GraphQL operations in the metrics: one schema extension hook per operation, none per field.

The operation name is client-chosen, so the label is bounded: ``anonymous`` for an operation
without a name, the name itself for the first :data:`MAX_OPERATION_NAMES` distinct valid names a
process sees, ``other`` for every name after those, for anything that is not a GraphQL name of
at most :data:`MAX_NAME_LENGTH` characters, and for a name holding four digits in a row (it may
carry an identifier: no personal data in metrics, as in the logs).

The outcome is ``ok`` (no errors), ``partial`` (errors, and data in at least one root field) or
``error`` (errors and no data: refused, invalid, or every root field lost).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.observability.metrics import GatewayMetrics

log = logging.getLogger("offender_graph.metrics")

MAX_OPERATION_NAMES = 100
MAX_NAME_LENGTH = 64
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
DIGITS = re.compile(r"[0-9]{4}")


class OperationNames:
    """The bounded set of operation-name label values of one process."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self.limit = limit
        self.seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self.seen:
            return name
        valid = len(name) <= MAX_NAME_LENGTH and GRAPHQL_NAME.fullmatch(name) is not None
        if not valid or DIGITS.search(name) or len(self.seen) >= self.limit:
            return "other"
        self.seen.add(name)
        return name


def outcome(result: Any) -> str:
    """``ok``, ``partial`` or ``error`` for an execution result (``error`` when there is none)."""
    if result is None:
        return "error"
    if not result.errors:
        return "ok"
    data = result.data
    if isinstance(data, dict) and any(value is not None for value in data.values()):
        return "partial"
    return "error"


def operation_metrics(
    metrics: GatewayMetrics, names: OperationNames | None = None
) -> type[SchemaExtension]:
    """A schema extension counting and timing every operation, and the ones in flight. List it
    first, so that it sees the result after every other extension has finished with it."""
    labels = names or OperationNames()

    class OperationMetrics(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            started = time.perf_counter()
            metrics.graphql_in_flight.inc()
            try:
                yield
            finally:
                metrics.graphql_in_flight.dec()
                try:
                    self._record(time.perf_counter() - started)
                except Exception:  # metrics must never cost the request its answer
                    log.exception("GraphQL operation metrics failed")

        def _record(self, seconds: float) -> None:
            context = self.execution_context
            name = labels.label(context.operation_name)
            metrics.graphql_requests.labels(name, outcome(context.result)).inc()
            metrics.graphql_duration.labels(name).observe(seconds)

    return OperationMetrics
