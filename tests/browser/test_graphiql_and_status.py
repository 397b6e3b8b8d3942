"""GraphiQL and the status page in a real browser (Debian's chromium, driven by Playwright) against
a real gateway over the simulated estate: the example tabs run and show the example person, the
status page lists every region, and no request the pages make leaves 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.app import create_app
from gateway.cli.estate import example_people, example_person
from gateway.graphiql import EXAMPLES, ExamplePerson
from gateway.settings import parse_settings
from simulators.runner import RunningEstate
from simulators.server import ServerGroup, free_port
from simulators.truth import Estate, TruePerson
from tests.conftest import TEST_CACHE, TEST_RESILIENCE
from tests.services import require_chromium

TIMEOUT_MS = 20_000
# GraphiQL reads the operation name of the editor's query 100 ms after the query changes (a
# switched tab): a run before that would name the previous tab's operation.
GRAPHIQL_DEBOUNCE_MS = 300


@pytest.fixture(scope="module")
def person(estate: Estate) -> TruePerson:
    return example_people(estate)[0]


@pytest.fixture(scope="module")
def gateway(running_estate: RunningEstate, person: TruePerson) -> Iterator[str]:
    """A gateway whose GraphiQL examples ask about the demo's first example person, as
    ``make demo`` serves it."""
    settings = parse_settings(
        {
            "regions": running_estate.region_tables(),
            "gateway": {"graphiql": True, "introspection": True},  # the docs pane introspects
            "cache": TEST_CACHE,
            "resilience": TEST_RESILIENCE,
            "auth": {"mode": "off"},
        }
    )
    example: ExamplePerson = example_person(person)
    app = create_app(
        settings,
        example_identifier=example.identifier,
        example_name=example.name,
        example_date_of_birth=example.date_of_birth,
    )
    port = free_port()
    group = ServerGroup([(app, port)])
    group.start()
    yield f"http://127.0.0.1:{port}"
    group.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield browser
        browser.close()


def run_tab(page: Any, title: str) -> dict[str, Any]:
    """Open the tab called ``title``, press its run button; the answer it fetched."""
    page.locator(".graphiql-tab-button", has_text=title).click()
    page.wait_for_selector(f".graphiql-tab-active:has-text('{title}')")
    page.wait_for_timeout(GRAPHIQL_DEBOUNCE_MS)
    with page.expect_response(
        lambda r: (
            r.url.endswith("/graphql")
            and r.request.method == "POST"
            and "query " + title in (r.request.post_data or "")
        )
    ) as response:
        page.locator(".graphiql-execute-button").click()
    body: dict[str, Any] = response.value.json()
    return body


def result_text(page: Any) -> str:
    text: str = page.locator(".result-window").inner_text()
    return text


def test_graphiql_runs_the_examples_and_status_lists_every_region_offline(
    gateway: str, browser: Any, person: TruePerson, running_estate: RunningEstate
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(gateway + "/graphql")
    page.wait_for_selector(".graphiql-execute-button")
    titles = page.locator(".graphiql-tab-button").all_inner_texts()
    assert titles == [e.query.split("query ")[1].split("(")[0] for e in EXAMPLES]

    body = run_tab(page, "Offender")
    assert "errors" not in body, body.get("errors")
    offender = body["data"]["offender"]
    assert offender["identifiers"]["nomsNumber"] == person.noms
    assert offender["identifiers"]["crn"] == person.crn
    assert sorted(r["region"] for r in offender["records"]) == person.systems
    page.wait_for_function(
        "noms => document.querySelector('.result-window').innerText.includes(noms)",
        arg=person.noms,
    )
    assert person.surname in result_text(page)

    body = run_tab(page, "Search")
    assert "errors" not in body, body.get("errors")
    nodes = [edge["node"] for edge in body["data"]["offenders"]["edges"]]
    assert person.noms in [n["identifiers"]["nomsNumber"] for n in nodes]
    assert all(n["dateOfBirth"] == person.date_of_birth.isoformat() for n in nodes)
    page.wait_for_function(
        "text => document.querySelector('.result-window').innerText.includes(text)",
        arg='"totalCount"',
    )

    page.goto(gateway + "/status")
    assert page.title() == "Offender Graph: status of the regional systems"
    for name in running_estate.systems:
        cells = page.locator(f'tr[data-region="{name}"]')
        assert cells.count() == 1, name
        assert "Working" in cells.inner_text(), name

    page.goto(gateway + "/")
    page.locator("a", has_text="Status of the regional systems").click()
    page.wait_for_url(gateway + "/status")
    context.close()

    assert requested, "the pages made no request at all"
    outside = [u for u in requested if urlsplit(u).scheme != "data"]
    outside = [u for u in outside if urlsplit(u).hostname != "127.0.0.1"]
    assert outside == []
    posted = [u for u in requested if u == gateway + "/graphql"]
    assert len(posted) >= 3, json.dumps(requested)  # the page, introspection, the two runs
