"""GraphiQL's example tabs: valid against the schema, their variables about the example
person, embedded safely in the page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from graphql import parse, validate

from gateway.graphiql import EXAMPLES, ExamplePerson, example_tabs, graphiql_page
from schema.build import build_schema

PERSON = ExamplePerson("A3396NB", "Aaron Watkins", "1971-03-04")


def tabs_in(page: str) -> list[dict[str, str]]:
    match = re.search(r"const EXAMPLE_TABS = (.*);\n", page)
    assert match is not None
    tabs: list[dict[str, str]] = json.loads(match.group(1))
    return tabs


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.query.split("query ")[1][:20])
def test_every_example_is_valid_against_the_schema(example: Any) -> None:
    # The served schema, which tests/schema/test_sdl.py holds equal to schema/schema.graphql.
    assert validate(build_schema()._schema, parse(example.query)) == []


def test_the_examples_cover_what_analysts_ask_first() -> None:
    fields = [set(re.findall(r"\b(\w+)\s*[{(]", e.query)) for e in EXAMPLES]
    wanted = ["timeline", "alerts", "custody", "supervision", "records", "sources"]
    wanted += ["possibleMatches", "conflicts", "disagreements", "custodyTerms", "currentLocation"]
    for field in ["offender", "offenders", *wanted]:
        assert any(field in f for f in fields), field
    names = [re.search(r"query (\w+)", e.query).group(1) for e in EXAMPLES]  # type: ignore[union-attr]
    assert len(set(names)) == len(names) == 9  # distinct tab titles


def test_each_tab_asks_about_the_example_person() -> None:
    variables = [json.loads(tab["variables"]) for tab in example_tabs(PERSON)]
    assert variables[0] == {"identifier": "A3396NB"}
    assert variables[1] == {"name": "Aaron Watkins", "dateOfBirth": "1971-03-04"}
    assert all(v == {"identifier": "A3396NB"} for v in variables[2:-1])
    assert variables[-1] == {"prison": "MDI"}  # a listing: the same for every person


def test_the_page_opens_with_every_tab_and_cannot_be_broken_out_of() -> None:
    hostile = ExamplePerson('A1234AA</script><script>alert("x")</script>', "O'Brien")
    page = graphiql_page(hostile)
    assert "</script><script>alert" not in page
    tabs = tabs_in(page)
    assert [t["query"] for t in tabs] == [e.query for e in EXAMPLES]
    assert json.loads(tabs[0]["variables"])["identifier"] == hostile.identifier
    assert "defaultTabs: defaultTabs" in page
