"""A cap on the result pages one gateway request may read, shared by all of its connector calls.

The gateway puts a request's :class:`PageBudget` in force around each connector call with
:func:`use_budget`; every paginating dialect calls :func:`spend_page` before each *follow-on*
page it fetches (the first page of an answer is bounded by the number of calls, which the
gateway's cost limit bounds; follow-on pages are what an endless next link would multiply).
Without a budget in force, pages are unlimited here (each dialect keeps its own per-call guard).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from connectors.errors import UpstreamInvalid

__all__ = ["PageBudget", "current_budget", "spend_page", "use_budget"]


@dataclass(slots=True)
class PageBudget:
    """Pages a request may still read (mutable: shared by every call of one request)."""

    pages: int
    limit: int = field(init=False)

    def __post_init__(self) -> None:
        self.limit = self.pages

    def spend(self, region: str) -> None:
        """Take one page, or raise :class:`UpstreamInvalid` when none is left."""
        if self.pages <= 0:
            raise UpstreamInvalid(
                region, f"the request read its limit of {self.limit} result pages"
            )
        self.pages -= 1


_budget: ContextVar[PageBudget | None] = ContextVar("page_budget", default=None)


def current_budget() -> PageBudget | None:
    """The budget in force for this task, if any."""
    return _budget.get()


@contextmanager
def use_budget(budget: PageBudget | None) -> Iterator[PageBudget | None]:
    """Put ``budget`` in force for the code inside (and the tasks it starts)."""
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def spend_page(region: str) -> None:
    """Spend one page of the budget in force; no budget means no limit."""
    budget = _budget.get()
    if budget is not None:
        budget.spend(region)
