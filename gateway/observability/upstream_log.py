"""A pipeline observer that logs every upstream failure once per request, region and code.

A line says the region, the operation, the error code, its public message (fixed text of ours,
never the region's own words), how many keys the call asked and how many failed, and
``breaker: open`` when the breaker failed it fast. Keys are never logged: they are identifiers.
Outside a request (no access-log facts), each distinct failure of one call is logged.
"""

from __future__ import annotations

import logging

from connectors.errors import ConnectorError
from gateway.observability.access_log import current_request
from gateway.pipeline.breaker import CircuitOpen
from gateway.pipeline.observe import Observation

log = logging.getLogger("offender_graph.upstream")


def failures(observation: Observation) -> dict[tuple[str, str], tuple[ConnectorError, int]]:
    """The call's failures by (region, code): the first error of each and how many keys it cost
    (all of them when the whole call failed)."""
    found: dict[tuple[str, str], tuple[ConnectorError, int]] = {}
    errors = [o for o in observation.outcomes if isinstance(o, ConnectorError)]
    if observation.error is not None and not errors:
        errors = [observation.error] * max(1, len(observation.call.keys))
    for error in errors:
        key = (error.region, error.code)
        first, count = found.get(key, (error, 0))
        found[key] = (first, count + 1)
    return found


class UpstreamFailureLog:
    """Log each (region, code) that failed a call, once per request."""

    def observe(self, observation: Observation) -> None:
        facts = current_request()
        call = observation.call
        for (region, code), (error, count) in failures(observation).items():
            if facts is not None:
                if (region, code) in facts.failures:
                    continue
                facts.failures.add((region, code))
            fields: dict[str, object] = {
                "region": region,
                "operation": str(call.operation),
                "code": code,
                "public_message": error.public_message,
                "keys": len(call.keys),
                "failed_keys": count,
                "duration_ms": round(observation.seconds * 1000, 1),
            }
            if isinstance(error, CircuitOpen):
                fields["breaker"] = "open"
            log.warning("region %s failed: %s", region, code, extra=fields)
