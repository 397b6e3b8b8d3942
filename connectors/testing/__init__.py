"""The connector contract kit: certify a dialect against its region with one pytest subclass.

``ConnectorContract`` holds the checks (it needs pytest and pytest-asyncio, imported only when it
is: ``check-connector`` uses the rest of this package without them); ``KnownPeople`` and
``RegionUnderTest`` say what to point them at; ``FaultTransport`` and ``Fault`` inject faults
into any connector's calls. See ``docs/connectors.md`` ("The contract kit").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.testing.subject import KnownPeople, RegionUnderTest
from connectors.testing.transport import Exchange, Fault, FaultTransport

if TYPE_CHECKING:
    from connectors.testing.contract import ConnectorContract

__all__ = [
    "ConnectorContract",
    "Exchange",
    "Fault",
    "FaultTransport",
    "KnownPeople",
    "RegionUnderTest",
]


def __getattr__(name: str) -> Any:
    if name == "ConnectorContract":  # imports pytest: only when asked for
        from connectors.testing.contract import ConnectorContract

        return ConnectorContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
