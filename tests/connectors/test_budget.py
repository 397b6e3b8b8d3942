"""connectors.budget: one request's cap on result pages, spent by every paginating dialect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from connectors import rest_snake
from connectors.base import PersonSearch
from connectors.budget import PageBudget, current_budget, spend_page, use_budget
from connectors.config import AuthConfig
from connectors.errors import UpstreamInvalid
from connectors.identifiers import Identifier, IdentifierKind
from connectors.rest_camel import CamelProbationConnector
from connectors.rest_snake import SnakeProbationConnector
from connectors.soap import SoapPrisonConnector
from tests.connectors.test_soap import ENV, WSDL, config, xml
from tests.fixtures.rest.cases import camel_config, snake_config

REGION = "probation-snake"
SPENT = "the request read its limit of {} result pages"


def test_a_budget_is_spent_page_by_page_then_refuses() -> None:
    budget = PageBudget(3)
    for left in (2, 1, 0):
        budget.spend(REGION)
        assert budget.pages == left
    with pytest.raises(UpstreamInvalid) as info:
        budget.spend(REGION)
    assert info.value.public_message == SPENT.format(3)
    assert info.value.region == REGION
    assert (budget.pages, budget.limit) == (0, 3)


def test_use_budget_puts_it_in_force_and_restores_the_previous_one() -> None:
    outer, inner = PageBudget(5), PageBudget(1)
    assert current_budget() is None
    with use_budget(outer):
        with use_budget(inner):
            assert current_budget() is inner
            spend_page(REGION)
            with pytest.raises(UpstreamInvalid, match="limit of 1 result pages"):
                spend_page(REGION)
        assert current_budget() is outer
        spend_page(REGION)
    assert current_budget() is None
    assert (outer.pages, inner.pages) == (4, 0)


def test_without_a_budget_pages_are_unlimited() -> None:
    for _ in range(10_000):
        spend_page(REGION)
    assert current_budget() is None


async def test_tasks_started_inside_share_the_one_budget() -> None:
    budget = PageBudget(10)

    async def read(pages: int) -> None:
        for _ in range(pages):
            spend_page(REGION)
            await asyncio.sleep(0)

    with use_budget(budget):
        await asyncio.gather(read(3), read(4))
    assert budget.pages == 3


# --- the dialects spend it ------------------------------------------------------------------
PERSON = {"OFFENDER_ID": "1", "FIRST_NAME": "A", "SURNAME": "B"}
Handler = Callable[[httpx.Request], httpx.Response]


def endless_snake(calls: list[httpx.Request]) -> SnakeProbationConnector:
    """A snake region whose NEXT links never end (each one new, so no loop is seen)."""

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        offset = int(request.url.params.get("OFFSET", "0"))
        nxt = f"/probation/offenders?SURNAME=B&OFFSET={offset + 1}&LIMIT=1"
        return httpx.Response(
            200, json={"RESULTS": [PERSON | {"OFFENDER_ID": str(offset)}], "NEXT": nxt}
        )

    return SnakeProbationConnector(
        snake_config("http://snake.test/"), transport=httpx.MockTransport(handler)
    )


async def test_snake_next_links_stop_when_the_request_budget_is_spent() -> None:
    calls: list[httpx.Request] = []
    connector = endless_snake(calls)
    with use_budget(PageBudget(5)), pytest.raises(UpstreamInvalid) as info:
        await connector.search_people(PersonSearch("B", limit=1000))
    assert info.value.public_message == SPENT.format(5)
    assert len(calls) == 6  # the first page and the five follow-on pages the budget paid for


async def test_snake_calls_of_one_request_share_its_budget() -> None:
    calls: list[httpx.Request] = []
    connector = endless_snake(calls)
    budget = PageBudget(5)
    with use_budget(budget):
        first = await connector.search_people(PersonSearch("B", limit=4))  # 3 follow-on pages
        with pytest.raises(UpstreamInvalid, match="limit of 5 result pages"):
            await connector.search_people(PersonSearch("B", limit=4))
    assert len(first) == 4
    assert len(calls) == 4 + 3 and budget.pages == 0


async def test_single_page_lookups_do_not_spend_the_budget() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"RESULTS": [], "NEXT": None})

    connector = SnakeProbationConnector(
        replace(snake_config("http://snake.test/"), concurrency=1),
        transport=httpx.MockTransport(handler),
    )
    keys = [Identifier(IdentifierKind.CRN, f"X10000{n}") for n in range(3)]
    budget = PageBudget(0)
    with use_budget(budget):
        results = await connector.find_by_identifiers(keys)
    assert results == [[], [], []]
    assert len(calls) == 3 and budget.pages == 0


async def test_snake_keeps_its_own_guard_without_a_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rest_snake, "MAX_PAGES", 20)
    calls: list[httpx.Request] = []
    with pytest.raises(UpstreamInvalid) as info:
        await endless_snake(calls).search_people(PersonSearch("B", limit=1000))
    assert info.value.public_message == "region's result pages do not end"
    assert len(calls) == 20


async def test_camel_pages_are_spent_from_the_budget() -> None:
    calls: list[httpx.Request] = []
    person = {"offenderId": "1", "crn": "X1", "firstName": "A", "surname": "B"}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        page = {"totalPages": 10_000, "number": int(request.url.params["page"])}
        return httpx.Response(200, json={"content": [person], "page": page})

    cfg = replace(camel_config("http://camel.test/", page_size=1), auth=AuthConfig())
    connector = CamelProbationConnector(cfg, transport=httpx.MockTransport(handler))
    budget = PageBudget(3)
    with use_budget(budget), pytest.raises(UpstreamInvalid) as info:
        await connector.search_people(PersonSearch("B", limit=50))
    assert info.value.public_message == SPENT.format(3)
    assert [c.url.params["page"] for c in calls] == ["0", "1", "2", "3"]
    with use_budget(PageBudget(3)):
        assert len(await connector.search_people(PersonSearch("B", limit=2))) == 2


async def test_soap_searches_do_not_page_and_spend_nothing() -> None:
    search = ENV.format(
        "<p:SearchOffendersResponse><p:truncated>false</p:truncated></p:SearchOffendersResponse>"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return xml(200, search)
        head, tail = WSDL[True]
        return httpx.Response(200, content=head + b'"http://region.test/"' + tail)

    connector = SoapPrisonConnector(
        config("http://region.test/"), transport=httpx.MockTransport(handler)
    )
    budget = PageBudget(0)
    with use_budget(budget):
        assert await connector.search_people(PersonSearch("Smith")) == []
    await connector.aclose()
    assert budget.pages == 0
