"""One upstream call as the pipeline sees it, what every stage returns, and how stages compose.

A call names a region, an operation (a :class:`~connectors.base.Capability`) and the keys to
fetch. A search is a call with one key, the :class:`~connectors.base.PersonSearch`. Every stage
returns **one outcome per key, in order**: a :class:`Fetched` value or the
:class:`~connectors.errors.ConnectorError` that fails only that key. A failure of the whole call
(region down, breaker open, deadline passed) is *raised* as a ``ConnectorError``.

Stages compose like Starlette middleware: each is built around the next handler and is itself a
handler (``await stage(call)``). :func:`compose` builds the chain from plain :class:`Stage`
records, outermost first.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from connectors.base import Capability
from connectors.budget import PageBudget
from connectors.errors import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A value from a region, with when the region gave it and whether it is a stale stand-in."""

    value: T
    fetched_at: float  # seconds since the epoch (time.time()) when the region answered
    stale: bool = False


Outcome = Fetched[Any] | ConnectorError


class Deadline:
    """A request's one deadline, on the monotonic clock."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at


@dataclass
class RequestScope:
    """What one request's calls share: the pages it may still read, and the regions that already
    failed in it (asked again in the same request, they fail at once: see ``failfast.py``)."""

    pages: PageBudget = field(default_factory=lambda: PageBudget(200))
    failed: dict[str, ConnectorError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegionCall:
    """One call of ``operation`` on ``region`` for ``keys``, under a request's deadline."""

    region: str
    operation: Capability
    keys: tuple[Hashable, ...]
    deadline: Deadline
    scope: RequestScope = field(default_factory=RequestScope, compare=False)

    def with_keys(self, keys: Sequence[Hashable]) -> RegionCall:
        """The same call for a subset of its keys (a cache hit or a retry answers the rest)."""
        return RegionCall(self.region, self.operation, tuple(keys), self.deadline, self.scope)


class Handler(Protocol):
    """Anything that answers a call: a stage, or the connector at the end of the chain."""

    def __call__(self, call: RegionCall) -> Awaitable[list[Outcome]]: ...


StageFactory = Callable[..., Handler]


@dataclass(frozen=True)
class Stage:
    """A plain record of a stage to build: ``factory(next_handler, **options)``."""

    factory: StageFactory
    options: dict[str, Any] = field(default_factory=dict)


def compose(stages: Sequence[Stage], innermost: Handler) -> Handler:
    """Build the chain: ``stages[0]`` is outermost, ``innermost`` (the connector) is last."""
    handler = innermost
    for stage in reversed(stages):
        handler = stage.factory(handler, **stage.options)
    return handler
