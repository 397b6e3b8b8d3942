"""Stored records as the connectors map them, and how well links match the truth, offline.

A connector reads the identifiers a record carries with
:func:`~connectors.identifiers.try_parse_identifier` (a dirty one is dropped), and copies names,
aliases, date of birth, gender and the limited-access lists as the system stores them;
:func:`person_record` does the same without the wire, so a benchmark or a test can group a whole
estate's records in a second, and score the groups with :func:`link_quality`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from connectors.identifiers import IdentifierKind, try_parse_identifier
from connectors.records import AccessLimits, PersonName, PersonRecord
from simulators.stores import ProbationCase, Record

RecordKey = tuple[str, str]  # (system name, local id), as gateway.identity keys records


def person_record(system: str, record: Record) -> PersonRecord:
    """``record`` of ``system`` as its connector maps it (identifiers in the connectors' order:
    CRN, NOMS, PNC, CRO)."""
    pairs = [
        (IdentifierKind.NOMS, record.noms_number),
        (IdentifierKind.PNC, record.pnc_number),
        (IdentifierKind.CRO, record.cro_number),
    ]
    access = AccessLimits()
    if isinstance(record, ProbationCase):
        pairs.insert(0, (IdentifierKind.CRN, record.crn))
        access = AccessLimits(frozenset(record.exclusions), frozenset(record.restrictions))
    return PersonRecord(
        region=system,
        local_id=record.local_id,
        identifiers=tuple(i for kind, raw in pairs if (i := try_parse_identifier(raw, kind))),
        name=PersonName(record.forename, record.surname, record.middle_names),
        date_of_birth=record.date_of_birth,
        aliases=tuple(PersonName(a.forename, a.surname) for a in record.aliases),
        gender=record.gender,
        access=access,
    )


def pairs_split_by(
    owners: Mapping[RecordKey, int], groups: Iterable[Iterable[RecordKey]]
) -> list[tuple[RecordKey, RecordKey]]:
    """Pairs of records of one person (by ``owners``) that ``groups`` put apart, sorted."""
    group_of = {key: n for n, group in enumerate(groups) for key in group}
    by_person: dict[int, list[RecordKey]] = {}
    for key, person_id in sorted(owners.items()):
        by_person.setdefault(person_id, []).append(key)
    return [
        (a, b)
        for keys in by_person.values()
        for a, b in combinations(keys, 2)
        if group_of.get(a, a) != group_of.get(b, b)
    ]


@dataclass(frozen=True)
class LinkQuality:
    """How well groups of records match the truth, over records that carry a strong identifier.

    By record: a person's records belong to the group holding most of them (their main group);
    ``recall`` is the share of records in their person's main group, ``precision`` the share of
    records in a group whose main person (the one with most records there) is theirs. By pair:
    ``pair_precision`` is the share of linked pairs that are one person, ``pair_recall`` the
    share of one person's pairs that are linked. ``wrong_merges``: groups holding more than one
    person; ``splits``: people whose records lie in more than one group.
    """

    records: int
    people: int
    precision: float
    recall: float
    pair_precision: float
    pair_recall: float
    wrong_merges: int
    splits: int


def link_quality(
    owners: Mapping[RecordKey, int], groups: Iterable[Iterable[RecordKey]]
) -> LinkQuality:
    """Compare ``groups`` (every record in exactly one) with ``owners``."""
    grouped = [list(group) for group in groups]
    by_person: dict[int, Counter[int]] = defaultdict(Counter)  # person -> group -> records
    by_group: list[Counter[int]] = []  # group -> person -> records
    for n, group in enumerate(grouped):
        people = Counter(owners[key] for key in group)
        by_group.append(people)
        for person_id, count in people.items():
            by_person[person_id][n] = count
    records = sum(len(group) for group in grouped)
    in_main_group = sum(max(groups_of.values()) for groups_of in by_person.values())
    with_main_person = sum(max(people.values()) for people in by_group if people)
    linked = sum(_pairs(len(group)) for group in grouped)
    true_linked = sum(_pairs(c) for people in by_group for c in people.values())
    true_pairs = sum(_pairs(sum(g.values())) for g in by_person.values())
    return LinkQuality(
        records=records,
        people=len(by_person),
        precision=with_main_person / records if records else 1.0,
        recall=in_main_group / records if records else 1.0,
        pair_precision=true_linked / linked if linked else 1.0,
        pair_recall=true_linked / true_pairs if true_pairs else 1.0,
        wrong_merges=sum(len(people) > 1 for people in by_group),
        splits=sum(len(groups_of) > 1 for groups_of in by_person.values()),
    )


def _pairs(n: int) -> int:
    return n * (n - 1) // 2
