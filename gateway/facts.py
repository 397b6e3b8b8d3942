"""A person's facts of one kind, gathered from every region that holds a record of them, with the
failures that could have changed them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.outcomes import RegionFailure

T = TypeVar("T")


@dataclass(frozen=True)
class Facts(Generic[T]):
    """Items from the regions that answered; ``failures`` lists every region that could have
    added to them and did not (it failed finding the person or fetching these facts)."""

    items: tuple[T, ...]
    failures: tuple[RegionFailure, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One derived value and the failures that could have changed it."""

    value: T
    failures: tuple[RegionFailure, ...] = ()
