"""The rest-camel simulator over a real socket: OAuth2, camelCase JSON, paging, batch calls."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from simulators.faults import FaultInjection, SimState
from simulators.rest_camel import create_camel_app
from simulators.server import ServerGroup, free_port
from tests.fixtures.rest.cases import (
    CLIENT_ID,
    CLIENT_SECRET,
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
def sims() -> Iterator[tuple[Sim, Sim]]:
    """A camel system with long-lived tokens and one whose tokens live 0.3 s."""
    made = []
    for lifetime in (3600.0, 0.3):
        state = SimState()
        app = create_camel_app(
            probation_store("rest-camel"),
            state,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_lifetime=lifetime,
            max_batch=5,
        )
        made.append((app, state))
    group = ServerGroup([(FaultInjection(app, state), free_port()) for app, state in made])
    with group:
        main, short = (
            Sim(url, state, app) for url, (app, state) in zip(group.urls(), made, strict=True)
        )
        yield main, short


@pytest.fixture
def sim(sims: tuple[Sim, Sim]) -> Sim:
    sims[0].reset()
    return sims[0]


@pytest.fixture
def client(sim: Sim) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, timeout=5) as http:
        yield http


def token_for(http: httpx.Client, secret: str = CLIENT_SECRET) -> httpx.Response:
    return http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, secret)
    )


@pytest.fixture
def api(client: httpx.Client) -> httpx.Client:
    """The client with a valid bearer token."""
    client.headers["Authorization"] = f"Bearer {token_for(client).json()['access_token']}"
    return client


def test_token_endpoint_issues_bearer_tokens(client: httpx.Client, sim: Sim) -> None:
    first, second = token_for(client).json(), token_for(client).json()
    assert first["token_type"] == "bearer"
    assert first["expires_in"] == 3600
    assert first["access_token"] != second["access_token"]
    assert sim.state.counters["token"] == 2


def test_token_accepts_credentials_in_the_form(client: httpx.Client) -> None:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    assert client.post("/oauth/token", data=form | {"client_secret": CLIENT_SECRET}).is_success
    assert client.post("/oauth/token", data=form | {"client_secret": "nope"}).status_code == 401


def test_token_refuses_wrong_secret_and_grant(client: httpx.Client) -> None:
    wrong = token_for(client, secret="guess")
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    grant = client.post("/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, "x"))
    assert grant.status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_api_refuses_missing_or_unknown_token(
    client: httpx.Client, sim: Sim, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    reply = client.get(f"/api/v1/offenders/{WATTS}", headers=headers)
    assert reply.status_code == 401
    assert reply.json()["status"] == 401 and reply.json()["userMessage"]
    assert sim.state.counters["unauthorised"] == 1 and sim.state.counters["offender"] == 0


def test_tokens_expire(sims: tuple[Sim, Sim]) -> None:
    short = sims[1]
    with httpx.Client(base_url=short.url) as http:
        http.headers["Authorization"] = f"Bearer {token_for(http).json()['access_token']}"
        assert http.get(f"/api/v1/offenders/{WATTS}").status_code == 200
        time.sleep(0.4)
        assert http.get(f"/api/v1/offenders/{WATTS}").status_code == 401


def test_revoked_tokens_are_refused(api: httpx.Client, sim: Sim) -> None:
    assert api.get(f"/api/v1/offenders/{WATTS}").status_code == 200
    sim.app.state.tokens.revoke_all()
    assert api.get(f"/api/v1/offenders/{WATTS}").status_code == 401


def test_offender_is_camel_case_with_iso_dates_and_stored_dirt(api: httpx.Client) -> None:
    watts = api.get(f"/api/v1/offenders/{WATTS}").json()
    assert watts["crn"] == WATTS_CRN
    assert watts["pncNumber"] == WATTS_PNC_STORED  # served as stored, short form
    assert watts["dateOfBirth"] == "1980-03-01"
    assert watts["aliases"] == [{"firstName": "Johnny", "surname": "Watt"}]
    okafor = api.get(f"/api/v1/offenders/{OKAFOR}").json()
    assert okafor["nomsNumber"] is None and okafor["pncNumber"] == "2012/0052494X"


def test_limited_access_flags_and_lists_as_ndelius_serves_them(api: httpx.Client) -> None:
    lennox = api.get(f"/api/v1/offenders/{LENNOX}").json()
    assert lennox["currentExclusion"] is True and lennox["currentRestriction"] is True
    assert lennox["limitedAccess"] == {
        "exclusions": [{"username": user} for user in LENNOX_EXCLUDED],
        "restrictions": [{"username": user} for user in LENNOX_RESTRICTED],
        "exclusionMessage": "You are excluded from viewing this offender record.",
        "restrictionMessage": "This is a restricted offender record.",
    }
    body = {"identifiers": [{"type": "CRN", "value": LENNOX_CRN}]}
    (found,) = api.post("/api/v1/offenders/identifiers", json=body).json()["results"]
    assert found["offenders"] == [lennox]  # the batch look-up carries the same lists
    watts = api.get(f"/api/v1/offenders/{WATTS}").json()
    assert watts["currentExclusion"] is False and watts["currentRestriction"] is False
    assert "limitedAccess" not in watts


def test_unknown_offender_is_404_json(api: httpx.Client) -> None:
    reply = api.get(f"/api/v1/offenders/{UNKNOWN}")
    assert reply.status_code == 404
    assert reply.json() == {"status": 404, "userMessage": "no offender with that id"}
    assert api.get(f"/api/v1/offenders/{UNKNOWN}/managers").status_code == 404


def test_search_pages_by_page_and_size(api: httpx.Client, sim: Sim) -> None:
    pages = [
        api.get("/api/v1/offenders", params={"surname": "smith", "page": n, "size": 3}).json()
        for n in range(4)
    ]
    assert pages[0]["page"] == {"number": 0, "size": 3, "totalElements": 7, "totalPages": 3}
    assert [len(p["content"]) for p in pages] == [3, 3, 1, 0]
    ids = [o["offenderId"] for p in pages for o in p["content"]]
    assert ids == SMITHS
    assert sim.state.counters["search"] == 4


def test_search_filters_by_forename_and_date_of_birth(api: httpx.Client) -> None:
    params = {"surname": "Smith", "dateOfBirth": "1985-06-15"}
    assert api.get("/api/v1/offenders", params=params).json()["page"]["totalElements"] == 2
    both = api.get("/api/v1/offenders", params=params | {"forename": "al"}).json()
    assert [o["firstName"] for o in both["content"]] == ["Alan"]  # not Alice: other birthday
    alias = api.get("/api/v1/offenders", params={"surname": "Watt"}).json()
    assert [o["offenderId"] for o in alias["content"]] == [WATTS]


@pytest.mark.parametrize(
    "params",
    [{}, {"surname": "Smith", "dateOfBirth": "15/06/1985"}, {"surname": "Smith", "size": 0}],
)
def test_search_rejects_bad_parameters(api: httpx.Client, params: dict[str, object]) -> None:
    reply = api.get("/api/v1/offenders", params=params)  # type: ignore[arg-type]
    assert reply.status_code == 400 and reply.json()["status"] == 400


def test_identifier_batch_answers_in_request_order(api: httpx.Client, sim: Sim) -> None:
    body = {
        "identifiers": [
            {"type": "CRN", "value": "X999999"},
            {"type": "PNC", "value": WATTS_PNC},  # long form finds the short form stored
            {"type": "NOMS", "value": "A1234AA"},
        ]
    }
    results = api.post("/api/v1/offenders/identifiers", json=body).json()["results"]
    assert [(r["type"], r["value"]) for r in results] == [
        (i["type"], i["value"]) for i in body["identifiers"]
    ]
    assert [[o["offenderId"] for o in r["offenders"]] for r in results] == [[], [WATTS], [WATTS]]
    assert sim.state.counters["findByIdentifiers"] == 1


def test_identifier_batch_rejects_unknown_types_and_oversized_batches(api: httpx.Client) -> None:
    bad_type = {"identifiers": [{"type": "NHS", "value": "123"}]}
    assert api.post("/api/v1/offenders/identifiers", json=bad_type).status_code == 400
    too_many = {"identifiers": [{"type": "CRN", "value": WATTS_CRN}] * 6}
    assert api.post("/api/v1/offenders/identifiers", json=too_many).status_code == 400
    assert api.post("/api/v1/offenders/identifiers", content=b"{not json").status_code == 400


def test_detail_batches_flag_unknown_ids(api: httpx.Client, sim: Sim) -> None:
    ids = [OKAFOR, UNKNOWN, WATTS]
    reply = api.post("/api/v1/offenders/supervisions", json={"offenderIds": ids}).json()
    results = reply["results"]
    assert [(r["offenderId"], r["found"]) for r in results] == [
        (OKAFOR, True),
        (UNKNOWN, False),
        (WATTS, True),
    ]
    licence = results[2]["supervisions"][0]
    assert licence["startDate"] == "2024-03-01" and licence["endDate"] is None
    assert licence["probationRegion"] == {"code": "N07", "description": "London"}
    assert (licence["type"], licence["licenceType"], licence["tier"]) == ("LICENCE", "AP", "D2")
    assert sim.state.counters["supervisions"] == 1


def test_managers_and_registrations_batches(api: httpx.Client) -> None:
    body = {"offenderIds": [WATTS]}
    managers = api.post("/api/v1/offenders/managers", json=body).json()["results"][0]["managers"]
    com = next(m for m in managers if m["role"] == "COM")
    assert com["responsibleOfficer"] is True and com["staffCode"] == "CHSE755"
    assert com["team"] == {"description": "Camden Team 2"}
    assert com["allocatedDate"] == "2024-03-02"
    regs = api.post("/api/v1/offenders/registrations", json=body).json()["results"][0]
    mappa = regs["registrations"][0]
    assert mappa["type"]["code"] == "MAPPA"
    assert (mappa["code"], mappa["level"], mappa["category"]) == ("M2", "2", "2")


def test_single_detail_gets(api: httpx.Client, sim: Sim) -> None:
    reply = api.get(f"/api/v1/offenders/{WATTS}/registrations").json()
    assert reply["offenderId"] == WATTS
    assert [r["type"]["code"] for r in reply["registrations"]] == ["MAPPA", "ROSH", "WEAPONS"]
    assert sim.state.counters["registrations"] == 1
