"""Weak links over the harder estate, against its ground truth: the issue's thresholds, twins."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pytest

from gateway.identity import MergedPerson, group_records, record_key
from gateway.identity.weak_links import all_possible_matches
from simulators.truth import Estate

Pair = tuple[int, int]  # positions of two groups, the lower first


@dataclass
class Linked:
    groups: list[MergedPerson]
    people: list[set[int]]  # the true people each group holds
    offered: set[Pair]

    def pairs_of_one_person(self) -> set[Pair]:
        by_person: dict[int, list[int]] = {}
        for position, people in enumerate(self.people):
            for person in people:
                by_person.setdefault(person, []).append(position)
        return {pair for positions in by_person.values() for pair in combinations(positions, 2)}

    def kinds_shared(self, pair: Pair) -> bool:
        a, b = (self.groups[i] for i in pair)
        return bool(a.identifiers.keys() & b.identifiers.keys())


@pytest.fixture(scope="module")
def linked(estate: Estate) -> Linked:
    owners = estate.owners()
    groups = [MergedPerson(tuple(g)) for g in group_records(estate.person_records())]
    position = {id(g): n for n, g in enumerate(groups)}
    offered = set()
    for one, match in all_possible_matches(groups):
        a, b = position[id(one)], position[id(match.person)]
        offered.add((min(a, b), max(a, b)))
    people = [{owners[record_key(r)] for r in g.records} for g in groups]
    return Linked(groups, people, offered)


def test_most_true_pairs_without_a_shared_identifier_kind_are_offered(linked: Linked) -> None:
    wanted = {p for p in linked.pairs_of_one_person() if not linked.kinds_shared(p)}
    assert len(wanted) >= 50  # the harder estate leaves enough of them to measure
    assert len(wanted & linked.offered) / len(wanted) >= 0.9


def test_most_offered_pairs_are_one_person(linked: Linked) -> None:
    assert len(linked.offered) >= 50
    true = linked.offered & linked.pairs_of_one_person()
    assert len(true) / len(linked.offered) >= 0.8


def test_no_offered_pair_shares_an_identifier_kind(linked: Linked) -> None:
    assert not [p for p in linked.offered if linked.kinds_shared(p)]


def test_twins_are_never_merged_and_offered_only_when_no_identifier_separates_them(
    estate: Estate, linked: Linked
) -> None:
    twins = [(p.person_id, p.twin_of) for p in estate.people.values() if p.twin_of]
    assert len(twins) >= 10
    groups_of: dict[int, list[int]] = {}
    for position, people in enumerate(linked.people):
        for person in people:
            groups_of.setdefault(person, []).append(position)
    separated = 0
    for one, other in twins:
        assert not any({one, other} <= people for people in linked.people)
        for a in groups_of[one]:
            for b in groups_of[other]:
                pair = (min(a, b), max(a, b))
                if linked.kinds_shared(pair):
                    separated += 1
                    assert pair not in linked.offered
    assert separated >= 10  # the usual case: each twin's own PNC tells them apart
    # offered when nothing separates them: test_weak_links.py (twins without identifiers)
