"""The national scale (17 systems: 5 prison groups, the 12 probation regions), the stores' indexed
search at that size, and records mapped offline exactly as the connectors map them."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from connectors import rest_camel_mapping, rest_snake_mapping
from connectors.identifiers import IdentifierKind
from gateway.cli.estate import ESTATE_SCALES
from simulators import rest_camel, rest_snake
from simulators.layout import (
    NATIONAL_SYSTEMS,
    PRISONS,
    PROBATION_REGIONS,
    SCALES,
    LayoutError,
    scale_named,
)
from simulators.linkage import person_record
from simulators.population import generate_estate
from simulators.stores import ProbationCase, SystemStore
from simulators.truth import Estate


@pytest.fixture(scope="module")
def national() -> Estate:
    return generate_estate(people=3000, scale="national")


def test_the_national_layout_is_5_prison_groups_and_one_system_per_probation_region() -> None:
    custody = [s for s in NATIONAL_SYSTEMS if s.kind == "CUSTODY"]
    probation = [s for s in NATIONAL_SYSTEMS if s.kind == "PROBATION"]
    assert (len(custody), len(probation)) == (5, 12)
    assert sorted(p for s in custody for p in s.locations) == sorted(PRISONS)
    assert sorted(r for s in probation for r in s.locations) == sorted(PROBATION_REGIONS)
    assert all(len(s.locations) == 1 for s in probation)
    assert {s.dialect for s in probation} == {"rest-camel", "rest-snake"}
    assert [s.batch for s in custody].count(False) == 1  # the legacy group, as in the default
    assert len({s.name for s in NATIONAL_SYSTEMS}) == len({s.id_prefix for s in NATIONAL_SYSTEMS})


def test_the_cli_offers_every_scale_and_the_national_one_holds_100000_people() -> None:
    assert set(ESTATE_SCALES) == set(SCALES)
    assert scale_named("national").people == 100_000
    assert scale_named("regional").people == 5000
    with pytest.raises(LayoutError, match="'galactic' is not one of regional, national"):
        scale_named("galactic")


def test_a_national_estate_fills_every_system(national: Estate) -> None:
    assert list(national.systems) == [s.name for s in NATIONAL_SYSTEMS]
    assert all(len(store.records) > 40 for store in national.systems.values())
    for person in list(national.people.values())[:300]:
        for system, local_id in person.slices.items():
            record = national.systems[system].records[local_id]
            if isinstance(record, ProbationCase):
                regions = {e.probation_region for e in record.supervisions}
                assert regions <= set(national.systems[system].locations)


def test_indexed_search_finds_what_a_scan_finds(national: Estate) -> None:
    store = national.systems["prison-north-east"]
    surnames = Counter(r.surname for r in store.records.values()).most_common(40)
    for surname, _ in surnames:
        scanned = [
            r
            for r in store.records.values()
            if surname.casefold()
            in {r.surname.casefold(), *(a.surname.casefold() for a in r.aliases)}
        ]
        assert store.search(surname.upper()) == sorted(scanned, key=lambda r: r.local_id)


def test_the_indexes_follow_changes_and_removals(national: Estate) -> None:
    store = SystemStore("probation-x", "PROBATION", "rest-camel", "X", ("N07",))
    case = copy.deepcopy(next(iter(national.systems["probation-london"].records.values())))
    store.add(case)
    assert store.search(case.surname) == [case]
    old_surname, case.surname = case.surname, "Zzyzx"
    store.reindex(case.local_id)
    assert store.search("zzyzx") == [case] and store.search(old_surname) == []
    assert isinstance(case, ProbationCase)
    store.remove(case.local_id)
    assert store.search("zzyzx") == [] and store.find(IdentifierKind.CRN, case.crn) == []


@pytest.mark.parametrize(
    ("system", "as_json", "mapping"),
    [
        ("probation-london", rest_camel.offender_json, rest_camel_mapping.person),
        ("probation-wales", rest_snake.offender_json, rest_snake_mapping.person),
    ],
)
def test_records_are_mapped_as_their_connector_maps_them(
    estate: Estate, system: str, as_json: Any, mapping: Any
) -> None:
    for record in estate.systems[system].records.values():
        assert isinstance(record, ProbationCase)
        assert person_record(system, record) == mapping(system, as_json(record))
