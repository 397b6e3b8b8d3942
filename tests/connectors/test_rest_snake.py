"""SnakeProbationConnector against the rest-snake simulator on a real socket, and payload edge cases
in-process through httpx.MockTransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from connectors.base import PersonSearch
from connectors.errors import (
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import AlertSource, SupervisionKind
from connectors.registry import available_dialects
from connectors.rest_snake import SnakeProbationConnector
from simulators.faults import FaultInjection, SimState
from simulators.rest_snake import create_snake_app
from simulators.server import ServerGroup, free_port
from tests.fixtures.rest.cases import (
    API_KEY,
    BROKEN,
    OKAFOR,
    OKAFOR_CRN,
    SMITHS,
    UNKNOWN,
    WATTS,
    WATTS_CRN,
    WATTS_CRO,
    WATTS_NOMS,
    WATTS_PNC,
    Sim,
    probation_store,
    snake_config,
)

CRN, NOMS, PNC, CRO = (
    IdentifierKind.CRN,
    IdentifierKind.NOMS,
    IdentifierKind.PNC,
    IdentifierKind.CRO,
)


@pytest.fixture(scope="module")
def running() -> Iterator[Sim]:
    state = SimState()
    app = create_snake_app(probation_store("rest-snake"), state, api_key=API_KEY)
    with ServerGroup([(FaultInjection(app, state), free_port())]) as group:
        yield Sim(group.urls()[0], state, app)


@pytest.fixture
def sim(running: Sim) -> Sim:
    running.reset()
    return running


@pytest.fixture
async def snake(sim: Sim) -> AsyncIterator[SnakeProbationConnector]:
    connector = SnakeProbationConnector(snake_config(sim.url, page_size=3))
    await connector.start()
    yield connector
    await connector.aclose()


def test_is_registered_for_its_dialect() -> None:
    assert available_dialects()["rest-snake"] is SnakeProbationConnector
    assert SnakeProbationConnector.identifier_kinds == {CRN, NOMS, PNC, CRO}


async def test_find_by_identifiers_fans_out_one_call_per_identifier(
    snake: SnakeProbationConnector, sim: Sim
) -> None:
    keys = [
        Identifier(CRN, WATTS_CRN),
        Identifier(PNC, WATTS_PNC),
        Identifier(CRO, WATTS_CRO),
        Identifier(NOMS, WATTS_NOMS),
        Identifier(CRN, "X999999"),
        Identifier(CRN, OKAFOR_CRN),
    ]
    results = await snake.find_by_identifiers(keys)
    ids = [[p.local_id for p in r] for r in results]  # type: ignore[union-attr]
    assert ids == [[WATTS], [WATTS], [WATTS], [WATTS], [], [OKAFOR]]
    watts = results[0][0]  # type: ignore[index]
    assert watts.date_of_birth == date(1980, 3, 1)  # from 01/03/1980
    assert Identifier(PNC, WATTS_PNC) in watts.identifiers  # stored short, normalised long
    assert len(watts.identifiers) == 4
    assert results[5][0].identifiers == (Identifier(CRN, OKAFOR_CRN),)  # type: ignore[index]
    assert sim.state.counters["findByIdentifier"] == len(keys)


async def test_details_fan_out_and_map(snake: SnakeProbationConnector, sim: Sim) -> None:
    ids = [WATTS, UNKNOWN, OKAFOR]
    supervisions = await snake.supervision_for(ids)
    managers = await snake.managers_for(ids)
    alerts = await snake.alerts_for(ids)
    assert [len(r) for r in supervisions] == [2, 0, 0]  # type: ignore[arg-type]
    old = supervisions[0][1]  # type: ignore[index]
    assert (old.kind, old.start_date, old.end_date) == (
        SupervisionKind.COMMUNITY_ORDER,
        date(2019, 1, 5),
        date(2020, 1, 4),
    )
    assert (old.active, old.probation_region) == (False, "N57")
    com, pom = managers[0]  # type: ignore[misc]
    assert (com.staff_code, com.responsible_officer, com.allocated_on) == (
        "CHSE755",
        True,
        date(2024, 3, 2),
    )
    assert (pom.responsible_officer, pom.allocated) == (False, False)
    mappa = alerts[0][0]  # type: ignore[index]
    assert mappa.source is AlertSource.PROBATION_REGISTRATION
    assert (mappa.type, mappa.code, mappa.level, mappa.category) == ("MAPPA", "M2", "2", "2")
    assert [a.active for a in alerts[0]] == [True, True, False]  # type: ignore[union-attr]
    counts = sim.state.counters
    assert (counts["supervisions"], counts["managers"], counts["registrations"]) == (3, 3, 3)


async def test_search_follows_next_links(snake: SnakeProbationConnector, sim: Sim) -> None:
    everyone = await snake.search_people(PersonSearch(surname="Smith"))
    assert [p.local_id for p in everyone] == SMITHS
    assert sim.state.counters["search"] == 3
    sim.state.counters.clear()
    some = await snake.search_people(PersonSearch(surname="Smith", limit=4))
    assert [p.local_id for p in some] == SMITHS[:4]
    assert sim.state.counters["search"] == 2
    query = PersonSearch(surname="Smith", forename="Al", date_of_birth=date(1985, 6, 15))
    assert [p.name.forename for p in await snake.search_people(query)] == ["Alan"]


async def test_wrong_api_key_is_upstream_auth_failed(sim: Sim) -> None:
    connector = SnakeProbationConnector(snake_config(sim.url, api_key="guessed-key"))
    with pytest.raises(UpstreamAuthFailed) as caught:
        await connector.search_people(PersonSearch(surname="Smith"))
    assert "guessed-key" not in str(caught.value) and "guessed-key" not in repr(connector)
    with pytest.raises(UpstreamAuthFailed):  # refused for every key: the call fails whole
        await connector.managers_for([WATTS, OKAFOR])
    assert sim.state.counters["unauthorised"] == 3
    await connector.aclose()


async def test_vendor_errors_map_to_the_taxonomy(snake: SnakeProbationConnector) -> None:
    broken, fine = await snake.supervision_for([BROKEN, WATTS])
    assert isinstance(broken, RegionUnavailable) and len(fine) == 2  # type: ignore[arg-type]
    with pytest.raises(UpstreamRejected):
        await snake.search_people(PersonSearch(surname="  "))


# --- payloads that do not map, in-process ---------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]
PERSON = {"OFFENDER_ID": "1", "FIRST_NAME": "A", "SURNAME": "B"}


def offline(handler: Handler) -> SnakeProbationConnector:
    return SnakeProbationConnector(
        snake_config("http://snake.test/"), transport=httpx.MockTransport(handler)
    )


def answer(body: Any) -> Handler:
    return lambda request: httpx.Response(200, json=body)


@pytest.mark.parametrize(
    "handler",
    [
        answer([]),
        answer({"RESULTS": {}}),
        answer({"RESULTS": [PERSON | {"DATE_OF_BIRTH": "1980-03-01"}], "NEXT": None}),
        answer({"RESULTS": [PERSON | {"DATE_OF_BIRTH": "31/02/1980"}], "NEXT": None}),
        answer({"RESULTS": [PERSON], "NEXT": "https://elsewhere.test/steal?OFFSET=1"}),
        answer({"RESULTS": [PERSON], "NEXT": "//elsewhere.test/steal"}),
        answer({"RESULTS": [PERSON], "NEXT": "/probation/offenders?OFFSET=1"}),  # loops
        answer({"ERROR": {"CODE": "TEAPOT", "MESSAGE": "?"}}),
        answer({"ERROR": "NOT_FOUND"}),
        lambda r: httpx.Response(200, text="<!DOCTYPE html><title>Error</title>"),
    ],
)
async def test_search_replies_that_do_not_map_are_upstream_invalid(handler: Handler) -> None:
    with pytest.raises(UpstreamInvalid):
        await offline(handler).search_people(PersonSearch(surname="B"))


@pytest.mark.parametrize(
    "row",
    [
        {"EPISODE_ID": "e", "SUPERVISION_TYPE": "LICENCE", "REGION_CODE": "N07",
         "START_DATE": "01/03/2024", "ACTIVE": "true"},
        {"EPISODE_ID": "e", "SUPERVISION_TYPE": "LICENCE", "REGION_CODE": "N07", "ACTIVE": "Y"},
        {"EPISODE_ID": "e", "SUPERVISION_TYPE": "BAIL", "REGION_CODE": "N07",
         "START_DATE": "01/03/2024", "ACTIVE": "Y"},
    ],
)  # fmt: skip
async def test_detail_rows_that_do_not_map_fail_their_key_alone(row: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        rows = [row] if "/1/" in request.url.path else []
        return httpx.Response(200, json={"OFFENDER_ID": "1", "SUPERVISIONS": rows})

    connector = offline(handler)
    bad, good = await connector.supervision_for(["1", "2"])
    assert isinstance(bad, UpstreamInvalid) and bad.region == "probation-snake"
    assert good == []
    with pytest.raises(UpstreamInvalid):  # the only key's reply does not map: the call fails
        await connector.supervision_for(["1"])


async def test_next_links_stay_on_the_region_and_carry_the_api_key() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        offset = int(request.url.params.get("OFFSET", "0"))
        last = offset >= 2
        nxt = None if last else f"/probation/offenders?SURNAME=B&OFFSET={offset + 1}&LIMIT=1"
        return httpx.Response(
            200, json={"RESULTS": [PERSON | {"OFFENDER_ID": str(offset)}], "NEXT": nxt}
        )

    found = await offline(handler).search_people(PersonSearch(surname="B"))
    assert [p.local_id for p in found] == ["0", "1", "2"]
    assert {c.url.host for c in calls} == {"snake.test"}
    assert all(c.headers["X-API-Key"] == API_KEY for c in calls)


async def test_ids_are_path_quoted() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"ERROR": {"CODE": "NOT_FOUND", "MESSAGE": "no"}})

    assert await offline(handler).managers_for(["a/b?c"]) == [[]]
    assert paths == ["/probation/offenders/a%2Fb%3Fc/managers"]


async def test_a_found_record_carries_the_managers_managers_for_answers(
    snake: SnakeProbationConnector, sim: Sim
) -> None:
    [[watts]] = await snake.find_by_identifiers([Identifier(CRN, WATTS_CRN)])  # type: ignore[misc]
    [managers] = await snake.managers_for([WATTS])
    assert watts.included.managers == tuple(managers)  # type: ignore[arg-type]
    assert [m.staff_code for m in watts.included.managers] == ["CHSE755", "MDIP01U"]
    assert watts.included.supervision is None  # not carried: asked for the usual way


@pytest.mark.parametrize("managers", [[{"ROLE": "COM"}], "none", None])
async def test_carried_managers_that_are_absent_or_do_not_map_are_not_included(
    managers: Any,
) -> None:
    row = PERSON | {"MANAGERS": managers}
    connector = offline(answer({"RESULTS": [row], "NEXT": None}))
    [[person]] = await connector.find_by_identifiers([Identifier(CRN, "X1")])  # type: ignore[misc]
    assert person.local_id == "1"  # the record itself maps
    assert person.included.managers is None  # managers_for will be asked, and say what is wrong


async def test_carried_managers_map_as_managers_for_maps_them() -> None:
    manager = {"STAFF_CODE": "AB12", "ROLE": "COM", "RESPONSIBLE_OFFICER": "Y", "TEAM": "T1"}
    connector = offline(answer({"RESULTS": [PERSON | {"MANAGERS": [manager]}], "NEXT": None}))
    [person] = await connector.search_people(PersonSearch(surname="B"))
    assert person.included.managers is not None
    [carried] = person.included.managers
    assert (carried.region, carried.local_id) == ("probation-snake", "1")
    assert (carried.staff_code, carried.team, carried.responsible_officer) == ("AB12", "T1", True)
