"""Simulator plugins: found through ``offender_graph.simulators``, the default estate as it was,
a plugin's own system served and configured, and the errors that name what is wrong."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest

import simulators.plugin
from gateway.cli import main
from gateway.cli.estate import start_estate
from simulators.layout import SYSTEMS, LayoutError, SystemSpec, estate_systems
from simulators.plugin import (
    ENTRY_POINT_GROUP,
    SimulatorError,
    SimulatorFactory,
    check_factory,
    declared_systems,
    load_simulators,
)
from simulators.population import generate_estate
from simulators.rest_camel import CamelSimulator
from simulators.rest_snake import SnakeSimulator
from simulators.runner import RunningEstate, build_system
from simulators.soap_prison import PrisonSimulator
from simulators.stores import ProbationCase, SystemStore
from simulators.truth import Estate
from tests.simulators import fake_region

SHIPPED = {
    "soap-prison": PrisonSimulator,
    "rest-camel": CamelSimulator,
    "rest-snake": SnakeSimulator,
}
FAKE = EntryPoint("fake-json", "tests.simulators.fake_region:SIMULATOR", ENTRY_POINT_GROUP)

# Captured from the estate before simulators became plugins (seed 42, 300 people; the default),
# then again once simulators/dirt.py soiled its values, and once people escaped (lives.escape;
# the slices below are those of before).
FINGERPRINT_42 = "70b4f1d1aae0ac3922ad9a36d3602d7f7dd6ec1e45fef4f9a53106b1b4ee18f8"
FINGERPRINT_DEFAULT = "a60ef6a192f9ec7c2b82704bc4198739ceccca77c5e0ff1bab21ac99f0e62928"
SLICES_42 = {
    1: {"probation-wales": "WAL000001"},
    2: {"probation-south": "SOU000001"},
    50: {
        "probation-london": "25000008",
        "prison-north": "PN000020",
        "prison-south": "PS000016",
        "prison-wales": "7000006",
    },
    299: {"prison-wales": "7000079", "prison-north": "PN000118"},
}
SLICES_DEFAULT = {
    7: {
        "prison-north": "PN000002",
        "probation-london": "25000002",
        "prison-south": "PS000004",
        "probation-south": "SOU000002",
    },
    1234: {"prison-south": "PS000384", "probation-north": "31000383"},
    4999: {"prison-north": "PN002087", "probation-south": "SOU001276"},
}
SYSTEMS_BEFORE = [
    ("prison-north", "CUSTODY", "soap-prison", "North prison group",
     ("LEI", "MDI", "DMI", "WDI", "MRI", "LPI"), True),
    ("prison-south", "CUSTODY", "soap-prison", "South prison group",
     ("WWI", "PVI", "EXI", "BLI"), True),
    ("prison-wales", "CUSTODY", "soap-prison", "Wales and Midlands prison group (legacy)",
     ("CFI", "SWI", "BWI", "BMI"), False),
    ("probation-london", "PROBATION", "rest-camel", "London and South East probation",
     ("N07", "N57"), True),
    ("probation-north", "PROBATION", "rest-camel", "Northern probation",
     ("N50", "N51", "N54", "N55"), True),
    ("probation-wales", "PROBATION", "rest-snake", "Wales and Midlands probation",
     ("N03", "N52", "N53"), True),
    ("probation-south", "PROBATION", "rest-snake", "South and East probation",
     ("N56", "N58", "N59"), True),
]  # fmt: skip
AUTH_KEYS_BEFORE: dict[str, dict[str, Any]] = {  # ...: a fresh secret or this system's URL
    "soap-prison": {"type": "none"},
    "rest-camel": {"type": "oauth2", "token_url": ..., "client_id": ..., "client_secret": ...},
    "rest-snake": {"type": "api_key", "header": "X-API-Key", "api_key": ...},
}


LIMITED_ACCESS_FIELDS = ("exclusions", "restrictions")  # drawn apart: simulators/access.py


def fingerprint(estate: Estate) -> str:
    """Of every record as it was before the limited-access lists, which are pinned apart."""
    records = {
        name: [
            {k: v for k, v in dataclasses.asdict(r).items() if k not in LIMITED_ACCESS_FIELDS}
            for r in store.records.values()
        ]
        for name, store in estate.systems.items()
    }
    return hashlib.sha256(json.dumps(records, default=str, sort_keys=True).encode()).hexdigest()


@pytest.fixture
def with_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed entry points plus the fake plugin, as if its package were installed."""
    installed = list(entry_points(group=ENTRY_POINT_GROUP))

    def lookup(group: str) -> list[EntryPoint]:
        assert group == ENTRY_POINT_GROUP
        return [*installed, FAKE]

    monkeypatch.setattr(simulators.plugin, "entry_points", lookup)


# ---- the shipped simulators ----------------------------------------------------------------------
def test_the_three_shipped_simulators_are_found_through_the_entry_point_group() -> None:
    names = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert set(SHIPPED) <= names
    found = load_simulators()
    for dialect, cls in SHIPPED.items():
        assert isinstance(found[dialect], cls)
        assert isinstance(found[dialect], SimulatorFactory)
        assert found[dialect].dialect == dialect
    assert {found[d].kind for d in SHIPPED} == {"CUSTODY", "PROBATION"}


def test_the_runner_names_no_dialect() -> None:
    source = Path(simulators.plugin.__file__).with_name("runner.py").read_text(encoding="utf-8")
    for dialect in {*SHIPPED, *load_simulators()}:
        assert dialect not in source
    for word in ("soap", "camel", "snake", "prison"):
        assert word not in source.lower()


# ---- the default estate, unchanged ---------------------------------------------------------------
def test_the_default_layout_is_what_it_was() -> None:
    assert estate_systems() == SYSTEMS
    described = [(s.name, s.kind, s.dialect, s.title, s.locations, s.batch) for s in SYSTEMS]
    assert described == SYSTEMS_BEFORE


def test_the_same_seed_gives_the_same_data_as_before(estate: Estate) -> None:
    small = generate_estate(seed=42, people=300)
    assert fingerprint(small) == FINGERPRINT_42
    assert {i: small.people[i].slices for i in SLICES_42} == SLICES_42
    assert fingerprint(estate) == FINGERPRINT_DEFAULT
    assert {i: estate.people[i].slices for i in SLICES_DEFAULT} == SLICES_DEFAULT
    described = [
        (s.name, s.kind, s.dialect, s.title, s.locations, s.batch) for s in estate.systems.values()
    ]
    assert described == SYSTEMS_BEFORE


def test_the_region_tables_and_ports_are_what_they_were() -> None:
    running = RunningEstate(generate_estate(seed=42, people=50), base_port=9100)  # not started
    tables = running.region_tables()
    assert list(tables) == [row[0] for row in SYSTEMS_BEFORE]
    for port, (name, kind, dialect, title, _, _) in enumerate(SYSTEMS_BEFORE, start=9100):
        table = tables[name]
        url = f"http://127.0.0.1:{port}/"
        assert list(table) == [
            *("dialect", "kind", "title", "base_url", "timeout", "concurrency", "auth")
        ]
        assert {k: v for k, v in table.items() if k != "auth"} == {
            "dialect": dialect,
            "kind": kind,
            "title": title,
            "base_url": url,
            "timeout": 2.0,
            "concurrency": 8,
        }
        expected = AUTH_KEYS_BEFORE[dialect]
        assert list(table["auth"]) == list(expected)
        assert {k: v for k, v in table["auth"].items() if expected[k] is not ...} == {
            k: v for k, v in expected.items() if v is not ...
        }
        if dialect == "rest-camel":
            assert table["auth"]["token_url"] == url + "oauth/token"
            assert table["auth"]["client_id"] == f"gateway-{name}"
    secrets = [t["auth"].get("client_secret") or t["auth"].get("api_key") for t in tables.values()]
    assert len({s for s in secrets if s}) == 4  # fresh for every REST system
    parsed = tomllib.loads(running.config_toml({"id_key": "k"}))
    auth_off = {"auth": {"mode": "off"}}  # the simulated estate's demo config: no issuer
    assert parsed == {"gateway": {"id_key": "k"}, **auth_off, "regions": tables}


# ---- a plugin adds a system ----------------------------------------------------------------------
@pytest.fixture
def kent(with_fake: None) -> Iterator[RunningEstate]:
    estate = generate_estate(seed=42, people=600, extra_systems=["probation-kent"])
    with RunningEstate(estate) as running:
        yield running


def test_a_plugin_system_takes_its_regions_over_and_is_served_over_http(
    kent: RunningEstate,
) -> None:
    estate = kent.estate
    assert list(estate.systems) == [*(row[0] for row in SYSTEMS_BEFORE), "probation-kent"]
    assert estate.systems["probation-london"].locations == ("N07",)
    store = estate.systems["probation-kent"]
    assert (store.dialect, store.kind, store.locations) == ("fake-json", "PROBATION", ("N57",))
    cases = [r for r in store.records.values() if isinstance(r, ProbationCase)]
    assert cases and all(r.local_id.startswith("KSS") for r in cases)
    regions = {s.probation_region for r in cases for s in r.supervisions}
    assert regions == {"N57"}
    london = [r for r in estate.systems["probation-london"].records.values()]
    assert all(isinstance(r, ProbationCase) for r in london)
    assert "N57" not in {
        s.probation_region for r in london if isinstance(r, ProbationCase) for s in r.supervisions
    }

    table = kent.region_tables()["probation-kent"]
    assert table["dialect"] == "fake-json"
    assert table["timeout"] == 5.0  # the plugin's, over the runner's default
    assert table["concurrency"] == 8
    headers = {table["auth"]["header"]: table["auth"]["api_key"]}
    answer = httpx.get(table["base_url"] + "cases", headers=headers, timeout=5)
    assert answer.status_code == 200
    assert {row["crn"] for row in answer.json()} == {r.crn for r in cases}
    assert httpx.get(table["base_url"] + "cases", timeout=5).status_code == 401
    assert kent.systems["probation-kent"].state.counters["cases"] == 1
    outage = httpx.put(table["base_url"] + "_sim/faults", json={"outage": True}, timeout=5)
    assert outage.status_code == 200  # wrapped in fault injection, as every system is
    assert httpx.get(table["base_url"] + "cases", headers=headers, timeout=5).status_code == 503

    parsed = tomllib.loads(kent.config_toml())
    assert parsed["regions"]["probation-kent"] == table
    assert parsed["regions"]["probation-kent"]["options"] == {"page_size": 20, "charset": "utf-8"}


def test_a_plugin_system_is_deterministic_for_a_seed(with_fake: None) -> None:
    first = generate_estate(seed=7, people=300, extra_systems=["probation-kent"])
    second = generate_estate(seed=7, people=300, extra_systems=["probation-kent"])
    assert fingerprint(first) == fingerprint(second)


def test_a_plugin_system_joins_only_when_asked_for(with_fake: None) -> None:
    assert fingerprint(generate_estate(seed=42, people=300)) == FINGERPRINT_42
    assert "probation-kent" in {s.name for f in load_simulators().values() for s in f.systems}


# ---- errors --------------------------------------------------------------------------------------
def test_an_unknown_dialect_names_the_system_and_the_dialect() -> None:
    store = SystemStore("probation-mars", "PROBATION", "rest-martian", "Mars", ("N99",))
    with pytest.raises(SimulatorError) as caught:
        build_system(store)
    message = str(caught.value)
    assert "'probation-mars'" in message and "'rest-martian'" in message
    assert "rest-camel" in message  # what is installed


def test_a_simulator_of_the_other_kind_is_refused() -> None:
    store = SystemStore("probation-x", "PROBATION", "soap-prison", "X", ("N07",))
    with pytest.raises(SimulatorError, match=r"'probation-x'.*serves CUSTODY, not PROBATION"):
        build_system(store)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("no-create", "tests.simulators.fake_region:NoCreate", "no create"),
        ("bad-kind", "tests.simulators.fake_region:BAD_KIND", "kind 'PRISON'"),
        ("not-fake", "tests.simulators.fake_region:SIMULATOR", "dialect is 'fake-json'"),
        ("spec", "tests.simulators.fake_region:KENT", "systems is not a sequence"),
        ("gone", "tests.simulators.no_such_module:SIMULATOR", "cannot be loaded"),
    ],
)
def test_an_entry_point_that_is_no_factory_is_named(name: str, value: str, problem: str) -> None:
    entry = EntryPoint(name, value, ENTRY_POINT_GROUP)
    with pytest.raises(SimulatorError) as caught:
        load_simulators([FAKE, entry])
    message = str(caught.value)
    assert f"simulator entry point {name!r} ({value})" in message
    assert problem in message


def test_a_class_is_instantiated_and_checked() -> None:
    assert isinstance(check_factory(fake_region.FakeSimulator, "x"), fake_region.FakeSimulator)
    with pytest.raises(SimulatorError, match=r"^thing is not a simulator factory: .*no create"):
        check_factory(fake_region.NoCreate, "thing")


def test_an_undeclared_extra_system_is_named(with_fake: None) -> None:
    with pytest.raises(SimulatorError, match=r"'probation-moon'.*declared: probation-kent"):
        generate_estate(seed=1, people=10, extra_systems=["probation-moon"])
    assert declared_systems(["probation-kent"]) == (fake_region.KENT,)


def spec(name: str, kind: str, *locations: str) -> SystemSpec:
    return SystemSpec(name, kind, "fake-json", name, locations)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((spec("probation-london", "PROBATION", "N57"),), "'probation-london': the estate already"),
        ((spec("x", "PROBATION", "N99"),), "'x': 'N99' is not a probation location"),
        ((spec("x", "CUSTODY", "N57"),), "'x': 'N57' is not a custody location"),
        ((spec("x", "PRISON", "LEI"),), "'x': kind 'PRISON' is not one of CUSTODY, PROBATION"),
        ((spec("x", "CUSTODY", "LEI"), spec("y", "CUSTODY", "LEI")), "'y': 'LEI' is taken by 'x'"),
    ],
)
def test_a_system_that_cannot_join_is_named(extra: tuple[SystemSpec, ...], message: str) -> None:
    with pytest.raises(LayoutError, match=message):
        estate_systems(extra)


def test_simulate_with_an_undeclared_system_exits_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "estate.toml"
    argv = ["simulate", "--people", "10", "--config", str(config), "--extra-system", "nowhere"]
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert str(caught.value).startswith("offender-graph: no simulator plugin declares")
    assert "'nowhere'" in str(caught.value)
    assert not config.exists()


def test_simulate_writes_the_extra_system_into_the_config(with_fake: None, tmp_path: Path) -> None:
    config = tmp_path / "estate.toml"
    running = start_estate(100, 42, config, 0, ["probation-kent"])
    try:
        regions = tomllib.loads(config.read_text(encoding="utf-8"))["regions"]
        assert list(regions) == [*(row[0] for row in SYSTEMS_BEFORE), "probation-kent"]
        assert regions == running.region_tables()
        kent = regions["probation-kent"]
        headers = {kent["auth"]["header"]: kent["auth"]["api_key"]}
        assert httpx.get(kent["base_url"] + "cases", headers=headers, timeout=5).status_code == 200
    finally:
        running.stop()
