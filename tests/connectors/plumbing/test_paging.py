"""The paginators: stopping rules, the other-host guard, loops, the page budget and the cap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import pytest

from connectors.budget import PageBudget, use_budget
from connectors.errors import UpstreamInvalid
from connectors.paging import (
    CursorPage,
    LinkPage,
    Page,
    collect,
    cursor_pages,
    follow_link,
    next_link_pages,
    page_size_pages,
)

BASE = "http://region.test:8100/api/"
ITEMS = list(range(23))


def sized(
    total_pages: bool = False, total_items: bool = False
) -> tuple[list[int], Callable[[int, int], Awaitable[Page[int]]]]:
    asked: list[int] = []

    async def fetch(page: int, size: int) -> Page[int]:
        asked.append(page)
        return Page(
            ITEMS[page * size : (page + 1) * size],
            total_pages=-(-len(ITEMS) // size) if total_pages else None,
            total_items=len(ITEMS) if total_items else None,
        )

    return asked, fetch


async def test_page_size_stops_on_a_short_page() -> None:
    asked, fetch = sized()
    assert await collect(page_size_pages("r", fetch, size=10)) == ITEMS
    assert asked == [0, 1, 2]


async def test_page_size_stops_on_an_empty_page() -> None:
    asked: list[int] = []

    async def fetch(page: int, size: int) -> Page[int]:
        asked.append(page)
        return Page(list(range(5)) if page < 2 else [])

    assert await collect(page_size_pages("r", fetch, size=5)) == [0, 1, 2, 3, 4] * 2
    assert asked == [0, 1, 2]


async def test_page_size_stops_at_the_total_without_reading_an_empty_page() -> None:
    items = list(range(20))

    async def fetch(page: int, size: int) -> Page[int]:
        asked.append(page)
        return Page(items[page * size : (page + 1) * size], total_pages=2)

    asked: list[int] = []
    assert await collect(page_size_pages("r", fetch, size=10)) == items
    assert asked == [0, 1]
    asked_items, by_items = sized(total_items=True)
    assert await collect(page_size_pages("r", by_items, size=23)) == ITEMS
    assert asked_items == [0]


async def test_collect_stops_fetching_once_it_holds_the_limit() -> None:
    asked, fetch = sized()
    assert await collect(page_size_pages("r", fetch, size=5, first=1), limit=7) == ITEMS[5:12]
    assert asked == [1, 2]


async def test_only_follow_on_pages_spend_the_budget() -> None:
    _, fetch = sized()
    budget = PageBudget(2)
    with use_budget(budget):
        assert len(await collect(page_size_pages("r", fetch, size=10))) == 23
    assert budget.pages == 0
    with use_budget(PageBudget(1)), pytest.raises(UpstreamInvalid, match="limit of 1"):
        await collect(page_size_pages("r", fetch, size=10))


async def test_the_hard_cap_bounds_pages_that_never_end() -> None:
    async def fetch(page: int, size: int) -> Page[int]:
        return Page([page] * size)

    with pytest.raises(UpstreamInvalid, match="do not end"):
        await collect(page_size_pages("r", fetch, size=2, max_pages=4))


def links(
    pages: Mapping[str, LinkPage[int]],
) -> tuple[list[str], Callable[[str, Mapping[str, str] | None], Awaitable[LinkPage[int]]]]:
    asked: list[str] = []

    async def fetch(url: str, params: Mapping[str, str] | None) -> LinkPage[int]:
        asked.append(url if params is None else f"{url}?{dict(params)}")
        return pages[url]

    return asked, fetch


async def test_next_links_relative_and_absolute_are_followed() -> None:
    asked, fetch = links(
        {
            "/api/people": LinkPage([1, 2], "people?offset=2"),
            f"{BASE}people?offset=2": LinkPage([3], "http://region.test:8100/api/people?offset=3"),
            f"{BASE}people?offset=3": LinkPage([4], None),
        }
    )
    pages = next_link_pages("r", fetch, url="/api/people", params={"q": "x"}, base_url=BASE)
    assert await collect(pages) == [1, 2, 3, 4]
    assert asked == [
        "/api/people?{'q': 'x'}",
        f"{BASE}people?offset=2",
        f"{BASE}people?offset=3",
    ]


@pytest.mark.parametrize(
    "link",
    [
        "http://evil.test:8100/api/people?offset=2",
        "https://region.test:8100/api/people",
        "http://region.test:9999/api/people",
        "//evil.test/api/people",
        "http://user:pw@region.test:8100/api/people",
        "http://[::1",
    ],
)
async def test_a_next_link_to_another_place_is_refused(link: str) -> None:
    _, fetch = links({"/api/people": LinkPage([1], link)})
    with pytest.raises(UpstreamInvalid, match="link"):
        await collect(next_link_pages("r", fetch, url="/api/people", base_url=BASE))


def test_follow_link_resolves_against_the_base_url() -> None:
    assert follow_link("r", "/other/x", BASE) == "http://region.test:8100/other/x"
    assert follow_link("r", "x?p=2", BASE) == f"{BASE}x?p=2"


async def test_next_links_that_loop_are_refused() -> None:
    _, fetch = links(
        {
            "/api/people": LinkPage([1], "people?o=1"),
            f"{BASE}people?o=1": LinkPage([2], "people?o=1"),
        }
    )
    with pytest.raises(UpstreamInvalid, match="loop"):
        await collect(next_link_pages("r", fetch, url="/api/people", base_url=BASE))


async def test_next_link_pages_spend_the_budget_and_stop_at_the_cap() -> None:
    async def fetch(url: str, params: Mapping[str, str] | None) -> LinkPage[int]:
        number = int(url.rpartition("=")[2]) if "=" in url else 0
        return LinkPage([number], f"people?o={number + 1}")

    budget = PageBudget(3)
    with use_budget(budget), pytest.raises(UpstreamInvalid, match="limit of 3"):
        await collect(next_link_pages("r", fetch, url="/api/people", base_url=BASE))
    assert budget.pages == 0
    with pytest.raises(UpstreamInvalid, match="do not end"):
        await collect(next_link_pages("r", fetch, url="/api/people", base_url=BASE, max_pages=5))


async def test_cursor_pages_follow_cursors_until_none() -> None:
    asked: list[str | None] = []
    replies = {None: CursorPage([1], "c1"), "c1": CursorPage([2, 3], "c2"), "c2": CursorPage([4])}

    async def fetch(cursor: str | None) -> CursorPage[int]:
        asked.append(cursor)
        return replies[cursor]

    budget = PageBudget(5)
    with use_budget(budget):
        assert await collect(cursor_pages("r", fetch)) == [1, 2, 3, 4]
    assert asked == [None, "c1", "c2"]
    assert budget.pages == 3


async def test_a_repeated_cursor_is_a_loop() -> None:
    async def fetch(cursor: str | None) -> CursorPage[int]:
        return CursorPage([1], "same")

    with pytest.raises(UpstreamInvalid, match="loop"):
        await collect(cursor_pages("r", fetch))
