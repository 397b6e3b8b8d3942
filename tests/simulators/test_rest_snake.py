"""The rest-snake simulator over a real socket: API key, UPPER_SNAKE, errors in 200, NEXT links."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulators.faults import FaultInjection, SimState
from simulators.rest_snake import create_snake_app
from simulators.server import ServerGroup, free_port
from tests.fixtures.rest.cases import (
    API_KEY,
    BROKEN,
    LENNOX,
    LENNOX_CRN,
    LENNOX_EXCLUDED,
    LENNOX_RESTRICTED,
    OKAFOR,
    SMITHS,
    UNKNOWN,
    WATTS,
    WATTS_CRN,
    WATTS_PNC,
    WATTS_PNC_STORED,
    Sim,
    probation_store,
)


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    state = SimState()
    app = create_snake_app(probation_store("rest-snake"), state, api_key=API_KEY)
    with ServerGroup([(FaultInjection(app, state), free_port())]) as group:
        yield Sim(group.urls()[0], state, app)


@pytest.fixture
def api(sim: Sim) -> Iterator[httpx.Client]:
    sim.reset()
    with httpx.Client(base_url=sim.url, headers={"X-API-Key": API_KEY}, timeout=5) as http:
        yield http


def error_of(reply: httpx.Response) -> Any:
    assert reply.status_code == 200  # this vendor reports every error inside a 200
    return reply.json()["ERROR"]["CODE"]


@pytest.mark.parametrize("key", [None, "wrong", API_KEY.upper()])
def test_wrong_or_missing_api_key_is_unauthorised(sim: Sim, key: str | None) -> None:
    sim.reset()
    headers = {"X-API-Key": key} if key else {}
    reply = httpx.get(f"{sim.url}probation/offenders/{WATTS}", headers=headers)
    assert error_of(reply) == "UNAUTHORISED"
    assert reply.json()["ERROR"]["MESSAGE"]
    assert sim.state.counters["unauthorised"] == 1 and sim.state.counters["offender"] == 0


def test_offender_is_upper_snake_with_uk_dates_and_stored_dirt(api: httpx.Client) -> None:
    watts = api.get(f"/probation/offenders/{WATTS}").json()
    assert watts["OFFENDER_ID"] == WATTS and watts["CRN"] == WATTS_CRN
    assert watts["DATE_OF_BIRTH"] == "01/03/1980"
    assert watts["PNC_NUMBER"] == WATTS_PNC_STORED
    assert watts["ALIASES"] == [{"FIRST_NAME": "Johnny", "SURNAME": "Watt"}]
    assert api.get(f"/probation/offenders/{OKAFOR}").json()["NOMS_NUMBER"] is None


def test_limited_access_lists_are_flat_with_y_n_flags(api: httpx.Client) -> None:
    lennox = api.get(f"/probation/offenders/{LENNOX}").json()
    assert {k: v for k, v in lennox.items() if "EXCLU" in k or "RESTRICT" in k} == {
        "EXCLUSION": "Y",
        "EXCLUDED_USERS": LENNOX_EXCLUDED,
        "RESTRICTION": "Y",
        "RESTRICTED_TO_USERS": LENNOX_RESTRICTED,
    }
    found = api.get("/probation/offenders", params={"CRN": LENNOX_CRN}).json()["RESULTS"]
    assert found == [lennox]
    watts = api.get(f"/probation/offenders/{WATTS}").json()
    assert (watts["EXCLUSION"], watts["EXCLUDED_USERS"]) == ("N", [])
    assert (watts["RESTRICTION"], watts["RESTRICTED_TO_USERS"]) == ("N", [])


def test_unknown_offender_and_unknown_path_are_not_found(api: httpx.Client) -> None:
    assert error_of(api.get(f"/probation/offenders/{UNKNOWN}")) == "NOT_FOUND"
    assert error_of(api.get(f"/probation/offenders/{UNKNOWN}/managers")) == "NOT_FOUND"
    assert error_of(api.get("/probation/nothing-here")) == "NOT_FOUND"


def test_search_follows_next_links(api: httpx.Client, sim: Sim) -> None:
    page = api.get("/probation/offenders", params={"SURNAME": "SMITH", "LIMIT": 3}).json()
    ids, links = [], []
    while True:
        ids += [o["OFFENDER_ID"] for o in page["RESULTS"]]
        if page["NEXT"] is None:
            break
        links.append(page["NEXT"])
        page = api.get(page["NEXT"]).json()
    assert ids == SMITHS
    assert links[0].startswith("/probation/offenders?") and "OFFSET=3" in links[0]
    assert "SURNAME=SMITH" in links[0] and "LIMIT=3" in links[0]
    assert sim.state.counters["search"] == 3


def test_search_filters_by_forename_and_dob(api: httpx.Client) -> None:
    params = {"SURNAME": "Smith", "FORENAME": "a", "DOB": "15/06/1985"}
    page = api.get("/probation/offenders", params=params).json()
    assert [o["FIRST_NAME"] for o in page["RESULTS"]] == ["Adam", "Alan"]
    assert page["NEXT"] is None


def test_find_by_identifier_uses_the_same_page_shape(api: httpx.Client, sim: Sim) -> None:
    by_pnc = api.get("/probation/offenders", params={"PNC": WATTS_PNC}).json()
    assert [o["OFFENDER_ID"] for o in by_pnc["RESULTS"]] == [WATTS]
    assert by_pnc["NEXT"] is None
    unknown = api.get("/probation/offenders", params={"CRN": "X999999"}).json()
    assert unknown == {"RESULTS": [], "NEXT": None}
    assert sim.state.counters["findByIdentifier"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"SURNAME": "Smith", "CRN": WATTS_CRN},
        {"CRN": WATTS_CRN, "NOMS": "A1234AA"},
        {"SURNAME": "Smith", "DOB": "1985-06-15"},
        {"SURNAME": "Smith", "LIMIT": "1000"},
        {"SURNAME": "Smith", "OFFSET": "x"},
    ],
)
def test_bad_queries_are_bad_request(api: httpx.Client, params: dict[str, str]) -> None:
    assert error_of(api.get("/probation/offenders", params=params)) == "BAD_REQUEST"


def test_details_have_uk_dates_and_yes_no_flags(api: httpx.Client, sim: Sim) -> None:
    sups = api.get(f"/probation/offenders/{WATTS}/supervisions").json()
    assert sups["OFFENDER_ID"] == WATTS
    old = sups["SUPERVISIONS"][1]
    assert (old["START_DATE"], old["END_DATE"], old["ACTIVE"]) == ("05/01/2019", "04/01/2020", "N")
    assert old["REGION_CODE"] == "N57" and old["SUPERVISION_TYPE"] == "COMMUNITY_ORDER"
    managers = api.get(f"/probation/offenders/{WATTS}/managers").json()["MANAGERS"]
    assert [(m["ROLE"], m["RESPONSIBLE_OFFICER"]) for m in managers] == [("COM", "Y"), ("POM", "N")]
    regs = api.get(f"/probation/offenders/{WATTS}/registrations").json()["REGISTRATIONS"]
    assert regs[0]["REGISTER_LEVEL"] == "2" and regs[0]["REGISTER_CATEGORY"] == "2"
    assert regs[2]["ACTIVE"] == "N"
    counts = sim.state.counters
    assert (counts["supervisions"], counts["managers"], counts["registrations"]) == (1, 1, 1)


def test_a_row_the_server_cannot_render_is_internal(api: httpx.Client) -> None:
    assert error_of(api.get(f"/probation/offenders/{BROKEN}/supervisions")) == "INTERNAL"
