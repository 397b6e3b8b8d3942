"""CamelProbationConnector against the rest-camel simulator on a real socket, and payload edge cases
in-process through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from connectors.base import Capability, PersonSearch
from connectors.config import AuthConfig
from connectors.errors import (
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import AlertSource, SupervisionKind
from connectors.registry import available_dialects
from connectors.rest_camel import CamelProbationConnector
from simulators.faults import FaultInjection, Faults, SimState
from simulators.rest_camel import create_camel_app
from simulators.server import ServerGroup, free_port
from tests.fixtures.rest.cases import (
    CLIENT_ID,
    CLIENT_SECRET,
    OKAFOR,
    OKAFOR_CRN,
    SMITHS,
    UNKNOWN,
    WATTS,
    WATTS_CRN,
    WATTS_NOMS,
    WATTS_PNC,
    Sim,
    camel_config,
    probation_store,
)

CRN, NOMS, PNC = IdentifierKind.CRN, IdentifierKind.NOMS, IdentifierKind.PNC


@pytest.fixture(scope="module")
def sims() -> Iterator[tuple[Sim, Sim]]:
    """A camel system with hour-long tokens and one whose tokens live one second."""
    made = []
    for lifetime in (3600.0, 1.0):
        state = SimState()
        app = create_camel_app(
            probation_store("rest-camel"),
            state,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_lifetime=lifetime,
        )
        made.append((app, state))
    with ServerGroup([(FaultInjection(app, state), free_port()) for app, state in made]) as group:
        yield tuple(  # type: ignore[misc]
            Sim(url, state, app) for url, (app, state) in zip(group.urls(), made, strict=True)
        )


@pytest.fixture
def sim(sims: tuple[Sim, Sim]) -> Sim:
    for each in sims:
        each.reset()
    return sims[0]


@pytest.fixture
async def camel(sim: Sim) -> AsyncIterator[CamelProbationConnector]:
    connector = CamelProbationConnector(camel_config(sim.url, page_size=3))
    await connector.start()
    yield connector
    await connector.aclose()


def test_declares_dialect_capabilities_and_entry_point() -> None:
    assert available_dialects()["rest-camel"] is CamelProbationConnector
    assert CamelProbationConnector.identifier_kinds == {CRN, NOMS, PNC, IdentifierKind.CRO}
    assert Capability.ALERTS_FOR in CamelProbationConnector.capabilities
    assert Capability.CUSTODY_FOR not in CamelProbationConnector.capabilities


async def test_find_by_identifiers_is_one_call_per_batch(
    camel: CamelProbationConnector, sim: Sim
) -> None:
    keys = [
        Identifier(CRN, WATTS_CRN),
        Identifier(CRN, "X999999"),
        Identifier(PNC, WATTS_PNC),
        Identifier(NOMS, WATTS_NOMS),
        Identifier(CRN, OKAFOR_CRN),
    ]
    results = await camel.find_by_identifiers(keys)
    ids = [[p.local_id for p in r] for r in results]  # type: ignore[union-attr]
    assert ids == [[WATTS], [], [WATTS], [WATTS], [OKAFOR]]
    watts = results[0][0]  # type: ignore[index]
    assert Identifier(PNC, WATTS_PNC) in watts.identifiers  # stored short, normalised long
    assert watts.date_of_birth == date(1980, 3, 1)
    assert watts.name.middle_names == "Paul" and watts.aliases[0].surname == "Watt"
    okafor = results[4][0]  # type: ignore[index]
    assert okafor.identifiers == (Identifier(CRN, OKAFOR_CRN),)  # bad PNC dropped, no NOMS
    assert sim.state.counters["findByIdentifiers"] == 1
    assert sim.state.counters["token"] == 1


async def test_large_batches_are_chunked(camel: CamelProbationConnector, sim: Sim) -> None:
    keys = [Identifier(CRN, f"X9{n:05d}") for n in range(249)] + [Identifier(CRN, WATTS_CRN)]
    results = await camel.find_by_identifiers(keys)
    assert len(results) == 250 and results[-1][0].local_id == WATTS  # type: ignore[index]
    assert all(r == [] for r in results[:-1])
    assert sim.state.counters["findByIdentifiers"] == 3  # chunks of 100


async def test_details_are_batched_and_mapped(camel: CamelProbationConnector, sim: Sim) -> None:
    ids = [WATTS, UNKNOWN, OKAFOR]
    supervisions = await camel.supervision_for(ids)
    managers = await camel.managers_for(ids)
    alerts = await camel.alerts_for(ids)
    assert [len(r) for r in supervisions] == [2, 0, 0]  # type: ignore[arg-type]
    licence = supervisions[0][0]  # type: ignore[index]
    assert (licence.kind, licence.licence_type, licence.tier) == (
        SupervisionKind.LICENCE,
        "AP",
        "D2",
    )
    assert (licence.probation_region, licence.start_date, licence.active) == (
        "N07",
        date(2024, 3, 1),
        True,
    )
    assert supervisions[0][1].end_date == date(2020, 1, 4)  # type: ignore[index]
    com, pom = managers[0]  # type: ignore[misc]
    assert (com.role, com.responsible_officer, com.allocated) == ("COM", True, True)
    assert (com.team, com.probation_delivery_unit) == ("Camden Team 2", "Camden and Islington")
    assert (pom.role, pom.allocated, pom.forename) == ("POM", False, None)
    mappa, rosh, weapons = alerts[0]  # type: ignore[misc]
    assert mappa.source is AlertSource.PROBATION_REGISTRATION
    assert (mappa.type, mappa.code, mappa.level, mappa.category) == ("MAPPA", "M2", "2", "2")
    assert (rosh.type, rosh.level, weapons.active) == ("ROSH", "HIGH", False)
    assert all(r.local_id == WATTS and r.region == "probation-camel" for r in alerts[0])  # type: ignore[union-attr]
    counts = sim.state.counters
    assert (counts["supervisions"], counts["managers"], counts["registrations"]) == (1, 1, 1)


async def test_search_follows_pages(camel: CamelProbationConnector, sim: Sim) -> None:
    everyone = await camel.search_people(PersonSearch(surname="Smith"))
    assert [p.local_id for p in everyone] == SMITHS
    assert sim.state.counters["search"] == 3  # 7 people, 3 a page
    sim.state.counters.clear()
    some = await camel.search_people(PersonSearch(surname="Smith", limit=4))
    assert [p.local_id for p in some] == SMITHS[:4]
    assert sim.state.counters["search"] == 2


async def test_search_by_forename_and_date_of_birth(camel: CamelProbationConnector) -> None:
    query = PersonSearch(surname="smith", forename="A", date_of_birth=date(1985, 6, 15))
    assert [p.name.forename for p in await camel.search_people(query)] == ["Adam", "Alan"]
    assert await camel.search_people(PersonSearch(surname="Nobody")) == []


async def test_token_fetched_once_for_many_concurrent_calls(
    camel: CamelProbationConnector, sim: Sim
) -> None:
    await asyncio.gather(*(camel.supervision_for([WATTS]) for _ in range(20)))
    await camel.search_people(PersonSearch(surname="Watts"))
    assert sim.state.counters["token"] == 1
    assert sim.state.counters["supervisions"] == 20


async def test_expiring_token_is_refreshed_before_expiry(sims: tuple[Sim, Sim]) -> None:
    short = sims[1]
    short.reset()
    connector = CamelProbationConnector(camel_config(short.url))
    try:
        await connector.supervision_for([WATTS])
        await connector.supervision_for([WATTS])
        assert short.state.counters["token"] == 1
        await asyncio.sleep(1.05)
        assert [len(r) for r in await connector.supervision_for([WATTS])] == [2]  # type: ignore[arg-type]
        assert short.state.counters["token"] == 2
        assert short.state.counters["unauthorised"] == 0  # refreshed before the server said 401
    finally:
        await connector.aclose()


async def test_revoked_token_is_replaced_with_one_retry(
    camel: CamelProbationConnector, sim: Sim
) -> None:
    await camel.managers_for([WATTS])
    sim.app.state.tokens.revoke_all()
    result = await camel.managers_for([WATTS])
    assert len(result[0]) == 2  # type: ignore[arg-type]
    assert (sim.state.counters["token"], sim.state.counters["unauthorised"]) == (2, 1)


async def test_wrong_secret_is_upstream_auth_failed(sim: Sim) -> None:
    connector = CamelProbationConnector(camel_config(sim.url, secret="not-the-secret"))
    with pytest.raises(UpstreamAuthFailed) as caught:
        await connector.search_people(PersonSearch(surname="Smith"))
    assert "not-the-secret" not in str(caught.value) and "not-the-secret" not in repr(connector)
    with pytest.raises(UpstreamAuthFailed):  # refused for every key: the call fails whole
        await connector.supervision_for([WATTS, OKAFOR])
    assert sim.state.counters["supervisions"] == 0
    await connector.aclose()


async def test_garbage_to_every_chunk_fails_the_call(sim: Sim) -> None:
    connector = CamelProbationConnector(camel_config(sim.url, max_batch=1))
    await connector.alerts_for([WATTS])  # token fetched before the fault
    sim.state.faults = Faults(malformed_rate=1.0)
    with pytest.raises(UpstreamInvalid):
        await connector.alerts_for([WATTS, OKAFOR, UNKNOWN])
    assert sim.state.counters["registrations"] == 4  # three chunks, one key each
    await connector.aclose()


def test_batch_limit_is_max_batch_or_its_older_name_batch_size() -> None:
    assert CamelProbationConnector(camel_config("http://c.test/")).batch_limit == 100
    assert CamelProbationConnector(camel_config("http://c.test/", batch_size=7)).batch_limit == 7
    both = camel_config("http://c.test/", batch_size=7, max_batch=5)
    assert CamelProbationConnector(both).batch_limit == 5


async def test_aclose_is_idempotent(sim: Sim) -> None:
    connector = CamelProbationConnector(camel_config(sim.url))
    await connector.aclose()  # never started
    await connector.start()
    await connector.aclose()
    await connector.aclose()
    assert len((await connector.managers_for([WATTS]))[0]) == 2  # type: ignore[arg-type]
    await connector.aclose()  # a call after closing opened a new client; closed again


# --- payloads that do not map, in-process ---------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def offline(handler: Handler) -> CamelProbationConnector:
    config = replace(camel_config("http://camel.test/"), auth=AuthConfig())
    return CamelProbationConnector(config, transport=httpx.MockTransport(handler))


def answer(body: Any, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


PERSON = {"offenderId": "1", "crn": "X1", "firstName": "A", "surname": "B"}


@pytest.mark.parametrize(
    "handler",
    [
        answer([]),
        answer({"results": "none"}),
        answer({"results": [{"offenders": []}]}),  # two results were asked for
        lambda r: httpx.Response(200, text="<html><body>Service error</body></html>"),
        lambda r: httpx.Response(200, content=b"\xff\xfe not utf-8"),
        lambda r: httpx.Response(
            200, content=b"garbage", headers={"content-encoding": "gzip"}
        ),  # does not decode
    ],
)
async def test_a_batch_reply_that_does_not_read_fails_the_call(handler: Handler) -> None:
    with pytest.raises(UpstreamInvalid) as caught:
        await offline(handler).find_by_identifiers([Identifier(CRN, WATTS_CRN)] * 2)
    assert caught.value.region == "probation-camel"


@pytest.mark.parametrize(
    "offender",
    [
        {"offenderId": "1"},  # no names
        PERSON | {"dateOfBirth": "01/03/1980"},
        PERSON | {"dateOfBirth": "1980-02-30"},
        PERSON | {"aliases": "none"},
    ],
)
async def test_one_result_that_does_not_map_fails_its_key_alone(offender: Any) -> None:
    results = [{"offenders": [offender]}, {"offenders": [PERSON]}]
    bad, good = await offline(answer({"results": results})).find_by_identifiers(
        [Identifier(CRN, WATTS_CRN), Identifier(CRN, OKAFOR_CRN)]
    )
    assert isinstance(bad, UpstreamInvalid) and bad.region == "probation-camel"
    assert [p.local_id for p in good] == ["1"]  # type: ignore[union-attr]


async def test_a_detail_reply_answering_other_ids_fails_the_call() -> None:
    connector = offline(answer({"results": [{"offenderId": "2", "supervisions": []}]}))
    with pytest.raises(UpstreamInvalid):
        await connector.supervision_for(["1"])


@pytest.mark.parametrize(
    "item",
    [
        {"offenderId": "1", "supervisions": [{"type": "PAROLE", "startDate": "2024-01-01"}]},
        {"offenderId": "1", "supervisions": [{"episodeId": "e", "type": "LICENCE"}]},
    ],
)
async def test_detail_rows_that_do_not_map_fail_their_key_alone(item: Any) -> None:
    fine = {"offenderId": "2", "supervisions": []}
    bad, good = await offline(answer({"results": [item, fine]})).supervision_for(["1", "2"])
    assert isinstance(bad, UpstreamInvalid) and good == []


async def test_search_reply_without_page_is_upstream_invalid() -> None:
    with pytest.raises(UpstreamInvalid):
        await offline(answer({"content": [PERSON]})).search_people(PersonSearch(surname="B"))


@pytest.mark.parametrize(
    ("status", "error"),
    [(502, RegionUnavailable), (429, RegionUnavailable), (400, UpstreamRejected)],
)
async def test_html_error_pages_map_by_status(status: int, error: type[Exception]) -> None:
    page = lambda request: httpx.Response(status, text="<html>Bad Gateway</html>")  # noqa: E731
    with pytest.raises(error):
        await offline(page).search_people(PersonSearch(surname="Smith"))


async def test_batch_body_and_numeric_ids() -> None:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"results": [{"offenders": [PERSON | {"offenderId": 7}]}]})

    [[person]] = await offline(handler).find_by_identifiers([Identifier(PNC, WATTS_PNC)])  # type: ignore[misc]
    assert seen == [{"identifiers": [{"type": "PNC", "value": WATTS_PNC}]}]
    assert person.local_id == "7"


async def test_credentials_refused_for_every_chunk_fail_the_call() -> None:
    config = replace(camel_config("http://camel.test/", max_batch=1), auth=AuthConfig())
    refused = httpx.MockTransport(lambda request: httpx.Response(401, json={}))
    connector = CamelProbationConnector(config, transport=refused)
    with pytest.raises(UpstreamAuthFailed):
        await connector.managers_for(["1", "2", "3"])


async def test_one_chunk_refused_among_answered_chunks_fails_its_keys_alone() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        [key] = json.loads(request.content)["offenderIds"]
        if key == "2":
            return httpx.Response(503)
        return httpx.Response(200, json={"results": [{"offenderId": key, "managers": []}]})

    config = replace(camel_config("http://camel.test/", max_batch=1), auth=AuthConfig())
    connector = CamelProbationConnector(config, transport=httpx.MockTransport(handler))
    first, down, third = await connector.managers_for(["1", "2", "3"])
    assert first == [] and third == [] and isinstance(down, RegionUnavailable)


async def test_a_found_record_carries_the_managers_managers_for_answers(
    camel: CamelProbationConnector, sim: Sim
) -> None:
    [[watts]] = await camel.find_by_identifiers([Identifier(CRN, WATTS_CRN)])  # type: ignore[misc]
    [managers] = await camel.managers_for([WATTS])
    assert watts.included.managers == tuple(managers)  # type: ignore[arg-type]
    assert [m.staff_code for m in watts.included.managers] == ["CHSE755", "MDIP01U"]
    assert watts.included.alerts is None  # not carried: asked for the usual way
    [smith, *_] = await camel.search_people(PersonSearch(surname="Smith"))
    assert smith.included.managers is not None  # a search's records carry them too


@pytest.mark.parametrize("managers", [[{"role": "COM"}], {"staffCode": "X"}, None])
async def test_carried_managers_that_are_absent_or_do_not_map_are_not_included(
    managers: Any,
) -> None:
    offender = PERSON | {"offenderManagers": managers}
    reply = {"results": [{"type": "CRN", "value": "X1", "offenders": [offender]}]}
    [[person]] = await offline(answer(reply)).find_by_identifiers([Identifier(CRN, "X1")])  # type: ignore[misc]
    assert person.local_id == "1"  # the record itself maps
    assert person.included.managers is None  # managers_for will be asked, and say what is wrong
