"""The end of the chain: one connector call, typed dispatch, one attempt's timeout.

Each attempt may take the region's own ``timeout`` as a *total* time (not per read), and never
more than the request has left, so a region that trickles its reply is cut on time. The
request's page budget is put in force for the connector's paginators. The split stage before it
(``split.py``) keeps every call within the connector's ``batch_limit``.

A connector reports the region's failures as :class:`~connectors.errors.ConnectorError`s and
lets its own bugs propagate (no ``except Exception`` in a dialect). Here, at the edge of the
gateway, such a bug is logged with its traceback as what it is and becomes a
:class:`ConnectorBug` (``INTERNAL_ERROR``) for that region alone: never disguised as the region's
bad data, and never another region's loss.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import cast

from connectors.base import Capability, Connector, PersonListing, PersonSearch
from connectors.budget import use_budget
from connectors.errors import ConnectorError, RegionTimeout, UpstreamInvalid
from connectors.identifiers import Identifier
from gateway.pipeline.call import Fetched, Outcome, RegionCall

log = logging.getLogger("offender_graph.pipeline")


class ConnectorBug(ConnectorError):
    """The region's connector failed in a way it did not report (a bug): this region's loss."""

    code = "INTERNAL_ERROR"


async def invoke(
    connector: Connector, operation: Capability, keys: Sequence[Hashable]
) -> Sequence[object]:
    """Call the connector method behind ``operation``: one result per key, in order."""
    if operation is Capability.SEARCH_PEOPLE:
        return [await connector.search_people(cast(PersonSearch, key)) for key in keys]
    if operation is Capability.LIST_PEOPLE:
        return [await connector.list_people(cast(PersonListing, key)) for key in keys]
    if operation is Capability.FIND_BY_IDENTIFIERS:
        return await connector.find_by_identifiers(cast(Sequence[Identifier], keys))
    local_ids = cast(Sequence[str], keys)
    match operation:
        case Capability.CUSTODY_FOR:
            return await connector.custody_for(local_ids)
        case Capability.MOVEMENTS_FOR:
            return await connector.movements_for(local_ids)
        case Capability.SUPERVISION_FOR:
            return await connector.supervision_for(local_ids)
        case Capability.MANAGERS_FOR:
            return await connector.managers_for(local_ids)
        case Capability.ALERTS_FOR:
            return await connector.alerts_for(local_ids)
    raise AssertionError(f"no dispatch for {operation}")  # pragma: no cover - enum is closed


class ConnectorStage:
    """Answer a call with the region's connector."""

    def __init__(self, connectors: Mapping[str, Connector]) -> None:
        self.connectors = connectors

    async def __call__(self, call: RegionCall) -> list[Outcome]:
        connector = self.connectors[call.region]
        timeout = min(connector.config.timeout, call.deadline.remaining())
        try:
            with use_budget(call.scope.pages):
                async with asyncio.timeout(timeout):
                    results = await invoke(connector, call.operation, call.keys)
        except TimeoutError:
            raise RegionTimeout(
                call.region, f"region did not answer within {timeout:.2g} s"
            ) from None
        except ConnectorError:
            raise
        except Exception as exc:  # a bug of the connector, not a state of the region
            log.error(
                "region %s: its connector failed in %s (a bug)",
                call.region,
                call.operation.value,
                exc_info=exc,
            )
            raise ConnectorBug(call.region, "the region's connector failed unexpectedly") from exc
        if len(results) != len(call.keys):
            raise UpstreamInvalid(call.region, "connector returned the wrong number of results")
        now = time.time()
        return [r if isinstance(r, ConnectorError) else Fetched(r, now) for r in results]
