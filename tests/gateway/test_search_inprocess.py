"""Name search in-process over fake regions: the index's candidates (a typing error found, an
entry gone from its region not shown, a failing index costing only its candidates) and the
status filter."""

from __future__ import annotations

from typing import Any

import pytest

from auth.principal import Principal
from gateway import search
from tests.gateway.inprocess import Gateway
from tests.gateway.test_service import NOMS, estate

LOOKUP = "query($id: String!) { offender(identifier: $id) { id } }"
PAGE = """
query($name: String!, $status: OffenderStatus) {
  offenders(name: $name, first: 10, status: $status) {
    totalCount
    edges {
      match { kind score reasons matchedName { forename surname } }
      node { id records { region localId } }
    }
  }
}
"""


async def remembered() -> Gateway:
    """A gateway whose index knows Ann Smith (looked up once)."""
    gateway = Gateway(list(estate()))
    data, errors = await gateway.execute(LOOKUP, id=NOMS.value)
    assert errors == [] and data["offender"]
    return gateway


async def test_a_typing_error_finds_the_person_the_index_knows() -> None:
    gateway = await remembered()
    data, errors = await gateway.execute(PAGE, name="Ann Smiht")
    assert errors == []
    [edge] = data["offenders"]["edges"]
    assert data["offenders"]["totalCount"] == 1
    assert edge["match"]["kind"] == "FUZZY"
    assert edge["match"]["matchedName"] == {"forename": "Ann", "surname": "Smith"}
    assert "surname 'Smiht' matched surname 'Smith' (TYPO)" in edge["match"]["reasons"]
    assert "forename 'Ann' matched forename 'Ann' (EXACT)" in edge["match"]["reasons"]
    assert {(r["region"], r["localId"]) for r in edge["node"]["records"]} == {
        ("prison", "P1"),
        ("probation-a", "A1"),
    }


async def test_without_the_index_a_typing_error_finds_nobody() -> None:
    gateway = Gateway(list(estate()))
    data, errors = await gateway.execute(PAGE, name="Ann Smiht")
    assert errors == [] and data["offenders"]["edges"] == []


async def test_an_index_entry_its_regions_no_longer_hold_is_not_shown() -> None:
    gateway = await remembered()
    for region in gateway.regions.values():
        region.records = []
    data, errors = await gateway.execute(PAGE, name="Ann Smiht")
    assert errors == []
    assert data["offenders"]["edges"] == []


async def test_a_failing_index_costs_only_its_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = await remembered()

    async def broken(*_: Any) -> list[Any]:
        raise OSError("disk gone")

    assert gateway.runtime.index is not None
    monkeypatch.setattr(gateway.runtime.index, "candidates", broken)
    data, errors = await gateway.execute(PAGE, name="Smith")
    assert errors == []
    [edge] = data["offenders"]["edges"]  # the regions' own hit
    assert edge["match"]["kind"] == "EXACT"
    data, errors = await gateway.execute(PAGE, name="Smiht")
    assert errors == [] and data["offenders"]["edges"] == []


async def test_a_status_filter_keeps_only_people_of_that_status() -> None:
    gateway = Gateway(list(estate()))  # Ann Smith is on licence
    data, errors = await gateway.execute(PAGE, name="Smith", status="ON_LICENCE")
    assert errors == [] and data["offenders"]["totalCount"] == 1
    data, errors = await gateway.execute(PAGE, name="Smith", status="IN_CUSTODY")
    assert errors == []
    assert data["offenders"] == {"totalCount": 0, "edges": []}


async def test_a_status_filter_over_too_many_matches_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "MAX_FILTERED", 0)
    data, errors = await Gateway(list(estate())).execute(PAGE, name="Smith", status="ON_LICENCE")
    assert data is None
    [error] = errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "narrow the search" in error["message"]


async def test_a_status_filter_never_tells_what_the_status_field_would_not() -> None:
    gateway = Gateway(list(estate()))
    searcher = Principal("analyst", "app", roles=frozenset({"ROLE_GLOBAL_SEARCH"}))  # no SENTENCE
    for status, expected in (("ON_LICENCE", 0), (None, 1)):
        result = await gateway.schema.execute(
            PAGE,
            variable_values={"name": "Smith", "status": status},
            context_value=gateway.runtime.context(searcher),
        )
        assert result.errors is None
        assert result.data is not None
        assert result.data["offenders"]["totalCount"] == expected
