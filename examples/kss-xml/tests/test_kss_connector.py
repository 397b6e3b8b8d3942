"""The kss-xml connector against its own simulator (CaseLink) over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

import httpx
import pytest
from offender_graph_kss.connector import KssConnector
from offender_graph_kss.server import MAX_BATCH, Maintenance, create_kss_app

from connectors import (
    AccessLimits,
    ConnectorError,
    Identifier,
    IdentifierKind,
    PersonName,
    PersonSearch,
    RegionConfig,
    RegionUnavailable,
    SupervisionKind,
    SystemKind,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from simulators.faults import SimState
from simulators.server import ServerGroup, free_port
from simulators.stores import (
    Alias,
    ManagerRow,
    ProbationCase,
    RegistrationRow,
    SupervisionRow,
    SystemStore,
)

PASSWORD = "clé-secrète"  # not ASCII: CaseLink reads credentials as ISO-8859-1
SMITHS = 25  # three pages of ten hits
EXCLUDED, RESTRICTED = ["probation.excluded", "tom.baker"], ["probation.restricted", "ann.ward"]
T = TypeVar("T")
Served = tuple[str, SimState, Maintenance]


def case(n: int, surname: str = "Smith", forename: str = "John", **extra: object) -> ProbationCase:
    crn = f"K{n:06d}"
    fields: dict[str, object] = {
        "local_id": f"KSS{n:06d}",
        "noms_number": None,
        "pnc_number": None,
        "cro_number": None,
        "forename": forename,
        "middle_names": None,
        "surname": surname,
        "date_of_birth": date(1980, 1, 1 + n % 28),
        "gender": "M",
        "crn": crn,
        "supervisions": [
            SupervisionRow(f"E{n}", "LICENCE", "AP", "N57", date(2024, 5, 1), None, True, "B2")
        ],
        "managers": [
            ManagerRow(
                f"KSS{n:03d}A", "Ann", "Ward", "COM", "T1", "PDU1", "N57", True, date(2024, 5, 2)
            ),
            ManagerRow("KSSU", None, None, "POM", "T2", "PDU1", "N57", False, date(2023, 1, 1)),
        ],
        "registrations": [
            RegistrationRow(
                "MAPPA", "M2", "MAPPA level 2", date(2024, 5, 3), True, level="2", category="1"
            )
        ],
    }
    fields.update(extra)
    return ProbationCase(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def store() -> SystemStore:
    store = SystemStore("probation-kss", "PROBATION", "kss-xml", "KSS", ("N57",))
    for n in range(SMITHS):
        store.add(case(n))
    store.add(
        case(
            100, "Brontë", "Zoë", middle_names="Élodie", pnc_number="12/394773H",
            cro_number="29906/12J", noms_number="A1234AA", aliases=[Alias("Zoé", "Müller")],
        )
    )  # fmt: skip
    bogus = SupervisionRow("X", "BOGUS", None, "N57", date(2024, 1, 1), None, True, None)
    store.add(case(101, "Broken", supervisions=[bogus]))
    store.add(case(102, "Lennox", exclusions=EXCLUDED, restrictions=RESTRICTED))
    store.add(case(103, "Blank", exclusions=["probation.excluded", "  "]))
    return store


@pytest.fixture(scope="module")
def served(store: SystemStore) -> Iterator[Served]:
    state, window = SimState(), Maintenance()
    app = create_kss_app(store, state, username="gateway", password=PASSWORD, maintenance=window)
    port = free_port()
    group = ServerGroup([(app, port)])
    group.start()
    yield f"http://127.0.0.1:{port}/", state, window
    group.stop()


@pytest.fixture
def state(served: Served) -> SimState:
    served[1].counters.clear()
    return served[1]


def ok(result: list[T] | ConnectorError) -> list[T]:
    assert isinstance(result, list), result
    return result


def config(url: str, secret: Path, **options: object) -> RegionConfig:
    table = {"username": "gateway", "password": {"file": str(secret)}, **options}
    return RegionConfig("kss", "kss-xml", SystemKind.PROBATION, url, options=table)


class Connect(Protocol):
    def __call__(self, password: str = PASSWORD, **options: object) -> KssConnector: ...


@pytest.fixture
async def connect(served: Served, tmp_path: Path) -> AsyncIterator[Connect]:
    """Connectors to the served CaseLink, the password in a secret file; closed afterwards."""
    made: list[KssConnector] = []

    def connect(password: str = PASSWORD, **options: object) -> KssConnector:
        secret = tmp_path / f"password-{len(made)}"
        secret.write_text(password, encoding="utf-8")
        made.append(KssConnector(config(served[0], secret, **options)))
        return made[-1]

    yield connect
    for connector in made:
        await connector.aclose()


async def test_find_by_identifiers_fetches_each_hit_one_result_per_key(
    connect: Connect, state: SimState
) -> None:
    kss = connect()
    found = await kss.find_by_identifiers(
        [
            Identifier(IdentifierKind.CRN, "K000003"),
            Identifier(IdentifierKind.PNC, "2012/0394773H"),  # stored in the short form
            Identifier(IdentifierKind.CRN, "Z999999"),
        ]
    )
    assert isinstance(found[0], list) and [r.local_id for r in found[0]] == ["KSS000003"]
    assert isinstance(found[1], list) and [r.local_id for r in found[1]] == ["KSS000100"]
    assert found[2] == []
    assert state.counters["lookup"] == 3 and state.counters["cases"] == 2  # nobody: no fetch
    zoe = found[1][0]
    assert set(zoe.identifiers) == {
        Identifier(IdentifierKind.CRN, "K000100"),
        Identifier(IdentifierKind.NOMS, "A1234AA"),
        Identifier(IdentifierKind.PNC, "2012/0394773H"),
        Identifier(IdentifierKind.CRO, "29906/12J"),
    }


async def test_latin1_names_with_diacritics_are_decoded(connect: Connect, served: Served) -> None:
    async with httpx.AsyncClient() as client:
        raw = await client.post(
            served[0] + "caselink/cases",
            content=b"<Fetch><CaseRef>KSS000100</CaseRef></Fetch>",
            auth=(b"gateway", PASSWORD.encode("iso-8859-1")),
        )
    assert "charset=ISO-8859-1" in raw.headers["content-type"]
    assert "Brontë".encode("iso-8859-1") in raw.content  # the bytes on the wire are Latin-1
    assert "Brontë".encode() not in raw.content
    kss = connect()
    [zoe] = await kss.search_people(PersonSearch("Brontë", "Zo"))
    assert zoe.name == PersonName("Zoë", "Brontë", "Élodie")
    assert zoe.aliases == (PersonName("Zoé", "Müller"),)
    assert zoe.date_of_birth == date(1980, 1, 1 + 100 % 28)


async def test_search_then_fetch_reads_every_page_within_the_batch_limit(
    connect: Connect, state: SimState
) -> None:
    kss = connect()
    found = await kss.search_people(PersonSearch("smith"))
    limited = await kss.search_people(PersonSearch("Smith", limit=12))
    assert sorted(r.local_id for r in found) == [f"KSS{n:06d}" for n in range(SMITHS)]
    assert len(limited) == 12
    # 3 pages then 2 pages; 25 hits fetched 20 + 5, then 12 fetched at once
    assert state.counters["search"] == 5 and state.counters["cases"] == 3


async def test_supervision_managers_and_registrations_per_key_in_order(connect: Connect) -> None:
    kss = connect()
    ids = ["KSS000100", "KSS999999", "KSS000001"]
    supervision = await kss.supervision_for(ids)
    managers = await kss.managers_for(ids)
    alerts = await kss.alerts_for(ids)
    assert supervision[1] == managers[1] == alerts[1] == []
    [episode] = ok(supervision[0])
    assert (episode.local_id, episode.kind, episode.active) == (
        "KSS000100",
        SupervisionKind.LICENCE,
        True,
    )
    assert episode.start_date == date(2024, 5, 1) and episode.end_date is None
    com, pom = ok(managers[2])
    assert (com.staff_code, com.surname, com.responsible_officer, com.allocated) == (
        "KSS001A", "Ward", True, True,
    )  # fmt: skip
    assert (pom.forename, pom.allocated, pom.responsible_officer) == (None, False, False)
    [mappa] = ok(alerts[0])
    assert (mappa.type, mappa.code, mappa.level, mappa.category) == ("MAPPA", "M2", "2", "1")


async def test_a_case_that_does_not_map_fails_alone(connect: Connect) -> None:
    kss = connect()
    results = await kss.supervision_for(["KSS000101", "KSS000002"])
    assert isinstance(results[0], UpstreamInvalid) and "Type" in str(results[0])
    assert isinstance(results[1], list) and len(results[1]) == 1


async def test_limited_access_lists_are_mapped(connect: Connect, served: Served) -> None:
    async with httpx.AsyncClient() as client:
        raw = await client.post(
            served[0] + "caselink/cases",
            content=b"<Fetch><CaseRef>KSS000102</CaseRef></Fetch>",
            auth=(b"gateway", PASSWORD.encode("iso-8859-1")),
        )
    assert b"<Excluded>probation.excluded</Excluded><Excluded>tom.baker</Excluded>" in raw.content
    assert b"<RestrictedTo>probation.restricted</RestrictedTo>" in raw.content
    kss = connect()
    lennox, plain = await kss.find_by_identifiers(
        [Identifier(IdentifierKind.CRN, "K000102"), Identifier(IdentifierKind.CRN, "K000001")]
    )
    limits = AccessLimits(frozenset(EXCLUDED), frozenset(RESTRICTED))
    assert [r.access for r in ok(lennox)] == [limits]
    assert [r.access for r in ok(plain)] == [AccessLimits()]
    [found] = await kss.search_people(PersonSearch("Lennox"))
    assert found.access == limits


async def test_a_blank_user_on_a_list_fails_that_key_alone(connect: Connect) -> None:
    kss = connect()
    blank, plain = await kss.find_by_identifiers(
        [Identifier(IdentifierKind.CRN, "K000103"), Identifier(IdentifierKind.CRN, "K000001")]
    )
    assert isinstance(blank, UpstreamInvalid) and "Case/Excluded" in str(blank)
    assert len(ok(plain)) == 1
    with pytest.raises(UpstreamInvalid):  # a search is one answer, never partly right
        await kss.search_people(PersonSearch("Blank"))


async def test_the_batch_limit_is_honoured(connect: Connect, state: SimState) -> None:
    ids = [f"KSS{n:06d}" for n in range(SMITHS)] * 2  # 50 keys
    kss, small = connect(), connect(max_batch=7)
    assert kss.batch_limit == MAX_BATCH and small.batch_limit == 7
    answers = await kss.managers_for(ids)
    assert state.counters["cases"] == 3  # 20 + 20 + 10
    assert [ok(a)[0].local_id for a in answers] == ids
    state.counters.clear()
    await small.managers_for(ids)
    assert state.counters["cases"] == 8  # 7 * 7 + 1
    too_many = connect(max_batch=MAX_BATCH + 1)
    with pytest.raises(UpstreamRejected):  # CaseLink's own limit: 413
        await too_many.managers_for(ids[: MAX_BATCH + 1])


async def test_a_wrong_password_is_upstream_auth_failed(
    connect: Connect, served: Served, state: SimState
) -> None:
    wrong = connect(password="not-the-password")
    with pytest.raises(UpstreamAuthFailed):
        await wrong.managers_for(["KSS000001"])
    with pytest.raises(UpstreamAuthFailed):
        await wrong.search_people(PersonSearch("Smith"))
    assert state.counters["unauthorised"] == 2 and state.counters["cases"] == 0
    async with httpx.AsyncClient() as client:
        utf8 = await client.get(served[0] + "caselink/lookup", auth=("gateway", PASSWORD))
    assert utf8.status_code == 401  # the right password, but sent in UTF-8 (httpx's default)


async def test_a_maintenance_window_is_region_unavailable(
    connect: Connect, served: Served, state: SimState
) -> None:
    window: Maintenance = served[2]
    kss = connect()
    window.open = True
    try:
        async with httpx.AsyncClient() as client:
            reply = await client.get(served[0] + "caselink/search?surname=Smith")
        assert reply.status_code == 503 and reply.headers["retry-after"] == "300"
        with pytest.raises(RegionUnavailable):
            await kss.find_by_identifiers([Identifier(IdentifierKind.CRN, "K000001")])
        with pytest.raises(RegionUnavailable):
            await kss.alerts_for(["KSS000001", "KSS000002"])
        with pytest.raises(RegionUnavailable):
            await kss.search_people(PersonSearch("Smith"))
    finally:
        window.open = False
    assert [r.local_id for r in (await kss.search_people(PersonSearch("Brontë")))] == ["KSS000100"]
