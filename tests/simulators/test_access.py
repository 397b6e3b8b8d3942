"""Limited-access offenders in the seeded estate: the share, determinism, the example users on
the lists, and ground truth that agrees with what the probation stores hold."""

from __future__ import annotations

import pytest

from connectors.records import NO_LIMITS, AccessLimits
from simulators.access import EXCLUDED_USER, RESTRICTED_USER, staff_subject
from simulators.population import generate_estate
from simulators.stores import ProbationCase
from simulators.truth import Estate

OTHER_EXAMPLE_USERS = ("dev.prison.officer", "dev.global.search", "dev.operator")  # never listed
LIMITED_42 = {  # seed 42, 300 people
    141: {"probation-north": AccessLimits(frozenset({EXCLUDED_USER, "joseph.owen"}))},
    153: {"probation-london": AccessLimits(frozenset({EXCLUDED_USER, "amy.palmer", "paul.fox"}))},
    191: {"probation-south": AccessLimits(restricted_to=frozenset({RESTRICTED_USER}))},
}


@pytest.fixture(scope="module")
def estate() -> Estate:
    return generate_estate()


def test_about_one_percent_of_people_on_probation_are_limited_access(estate: Estate) -> None:
    on_probation = [
        p
        for p in estate.people.values()
        if any(estate.systems[s].kind == "PROBATION" for s in p.slices)
    ]
    limited = estate.limited_people()
    assert 0.005 <= len(limited) / len(on_probation) <= 0.02
    assert all(p in on_probation and p.limited for p in limited)
    excluded, restricted = estate.limited_people("excluded"), estate.limited_people("restricted")
    assert excluded and restricted and set(map(id, excluded)) & set(map(id, restricted))
    assert set(map(id, excluded)) | set(map(id, restricted)) == set(map(id, limited))
    assert any(len(p.access) > 1 for p in limited)  # limited in more than one system


def test_the_limits_are_pinned_for_a_seed() -> None:
    small = generate_estate(seed=42, people=300)
    assert {p.person_id: p.access for p in small.limited_people()} == LIMITED_42


def test_same_seed_same_limits_other_seed_other_people() -> None:
    first, second = generate_estate(seed=7, people=600), generate_estate(seed=7, people=600)
    assert [p.access for p in first.limited_people()] == [p.access for p in second.limited_people()]
    other = generate_estate(seed=8, people=600)
    ids = [p.person_id for p in first.limited_people()]
    assert ids != [p.person_id for p in other.limited_people()]


def test_truth_agrees_with_the_stores_and_prisons_hold_none(estate: Estate) -> None:
    for person in estate.people.values():
        assert set(person.access) <= set(person.slices)
        for system, local_id in person.slices.items():
            record = estate.systems[system].records[local_id]
            limits = estate.access_of(person.person_id, system)
            if not isinstance(record, ProbationCase):
                assert system not in person.access and limits == NO_LIMITS
                continue
            held = AccessLimits(frozenset(record.exclusions), frozenset(record.restrictions))
            assert held == limits, (person.person_id, system)
            assert len(record.exclusions) == len(set(record.exclusions))
            assert len(record.restrictions) == len(set(record.restrictions))
            assert (system in person.access) == limits.limited


def test_the_example_users_are_on_the_lists_they_stand_for(estate: Estate) -> None:
    for person in estate.limited_people():
        for system, limits in person.access.items():
            assert not limits.excluded & limits.restricted_to
            assert (EXCLUDED_USER in limits.excluded) == bool(limits.excluded)
            assert (RESTRICTED_USER in limits.restricted_to) == bool(limits.restricted_to)
            named = limits.excluded | limits.restricted_to
            assert not named & set(OTHER_EXAMPLE_USERS)
            staff = named - {EXCLUDED_USER, RESTRICTED_USER}
            assert all(s.islower() and s.count(".") == 1 for s in staff), named
            case = estate.systems[system].records[person.slices[system]]
            assert isinstance(case, ProbationCase)
            managers = {staff_subject(m.forename, m.surname) for m in case.managers if m.surname}
            assert not managers & limits.excluded  # never shut out of their own case
            if limits.restricted_to:
                assert managers <= limits.restricted_to


def test_staff_subjects_are_plain_lower_case() -> None:
    assert staff_subject("Siobhan", "O'Connor") == "siobhan.oconnor"


def test_an_unknown_kind_of_limit_is_refused(estate: Estate) -> None:
    with pytest.raises(ValueError, match="excluded"):
        estate.limited_people("hidden")
