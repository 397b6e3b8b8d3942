"""Paginators: the loops that read a result list page by page, so no dialect writes its own.

Each is an async iterator of pages (lists of items); :func:`collect` reads one to a list, stopping
once it holds ``limit`` items. Every *follow-on* page is spent from the request's page budget
(:func:`connectors.budget.spend_page`) and counts against a hard cap (``max_pages``, past which
the pages "do not end": :class:`UpstreamInvalid`). A dialect supplies only ``fetch``: one request.

- :func:`page_size_pages`: page number and size; stops on an empty or short page, or at the total.
- :func:`next_link_pages`: a first request, then the ``next`` links the replies give, absolute or
  relative to ``base_url``; a link to another scheme, host or port is refused
  (:func:`follow_link`), and so is a link seen before (a loop).
- :func:`cursor_pages`: an opaque cursor from each reply, until none.

```python
async def fetch(page: int, size: int) -> Page[PersonRecord]:
    data = await session.json("GET", "/people", params={**query, "page": str(page)})
    with payload_boundary(region):
        return Page(people(data["content"]), total_pages=data["totalPages"])

found = await collect(page_size_pages(region, fetch, size=50), limit=search.limit)
```
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from connectors.budget import spend_page
from connectors.errors import UpstreamInvalid

__all__ = [
    "MAX_PAGES",
    "CursorPage",
    "LinkPage",
    "Page",
    "collect",
    "cursor_pages",
    "follow_link",
    "next_link_pages",
    "page_size_pages",
]

T = TypeVar("T")
MAX_PAGES = 1000  # pages one call reads at most, whatever the budget


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a page/size list; a total (pages or items), when the reply says one."""

    items: Sequence[T]
    total_pages: int | None = None
    total_items: int | None = None


@dataclass(frozen=True, slots=True)
class LinkPage(Generic[T]):
    """One page and the link to the next (None: the last)."""

    items: Sequence[T]
    next: str | None = None


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    """One page and the cursor of the next (None or empty: the last)."""

    items: Sequence[T]
    cursor: str | None = None


def _follow_on(region: str, pages_read: int, max_pages: int) -> None:
    """Before a follow-on page: enforce the per-call cap, then spend the request's budget."""
    if pages_read >= max_pages:
        raise UpstreamInvalid(region, "region's result pages do not end")
    spend_page(region)


async def page_size_pages(
    region: str,
    fetch: Callable[[int, int], Awaitable[Page[T]]],
    *,
    size: int,
    first: int = 0,
    max_pages: int = MAX_PAGES,
) -> AsyncGenerator[Sequence[T], None]:
    """Pages ``first``, ``first + 1``, ... of ``size`` items, by ``fetch(page, size)``."""
    if size < 1:
        raise ValueError("a page holds at least one item")
    read = seen_items = 0
    while True:
        if read:
            _follow_on(region, read, max_pages)
        page = await fetch(first + read, size)
        read += 1
        seen_items += len(page.items)
        if page.items:
            yield page.items
        if (
            len(page.items) < size
            or (page.total_pages is not None and read >= page.total_pages)
            or (page.total_items is not None and seen_items >= page.total_items)
        ):
            return


def follow_link(region: str, link: str, base_url: str) -> str:
    """``link`` as an absolute URL (relative links resolve against ``base_url``), if it stays on
    the region's scheme, host and port; else :class:`UpstreamInvalid`."""
    try:
        base = httpx.URL(base_url)
        target = base.join(link.strip())
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise UpstreamInvalid(region, "region sent a bad next-page link") from exc
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port) or (
        target.userinfo
    ):
        raise UpstreamInvalid(region, "region sent a next-page link to another place")
    return str(target)


async def next_link_pages(
    region: str,
    fetch: Callable[[str, Mapping[str, str] | None], Awaitable[LinkPage[T]]],
    *,
    url: str,
    params: Mapping[str, str] | None = None,
    base_url: str,
    max_pages: int = MAX_PAGES,
) -> AsyncGenerator[Sequence[T], None]:
    """``fetch(url, params)`` first, then ``fetch(next_link, None)`` while the replies link on."""
    read = 0
    seen: set[str] = set()
    target: str = url
    query = params
    while True:
        if read:
            _follow_on(region, read, max_pages)
        page = await fetch(target, query)
        read += 1
        if page.items:
            yield page.items
        if not page.next:
            return
        target, query = follow_link(region, page.next, base_url), None
        if target in seen:
            raise UpstreamInvalid(region, "region's next-page links go round in a loop")
        seen.add(target)


async def cursor_pages(
    region: str,
    fetch: Callable[[str | None], Awaitable[CursorPage[T]]],
    *,
    max_pages: int = MAX_PAGES,
) -> AsyncGenerator[Sequence[T], None]:
    """``fetch(None)`` first, then ``fetch(cursor)`` while each reply gives a new cursor."""
    read = 0
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        if read:
            _follow_on(region, read, max_pages)
        page = await fetch(cursor)
        read += 1
        if page.items:
            yield page.items
        if not page.cursor:
            return
        if page.cursor in seen:
            raise UpstreamInvalid(region, "region's page cursors go round in a loop")
        cursor = page.cursor
        seen.add(cursor)


async def collect(pages: AsyncGenerator[Sequence[T], None], limit: int | None = None) -> list[T]:
    """Every item of ``pages``, or the first ``limit``: no page is fetched once enough are held."""
    found: list[T] = []
    if limit is not None and limit <= 0:
        return found
    async with aclosing(pages) as stream:
        async for page in stream:
            found.extend(page)
            if limit is not None and len(found) >= limit:
                return found[:limit]
    return found
