"""Weak links and name search over the estate's records, measured against its ground truth.

Every record of every system is mapped to a PersonRecord as its connector would
(Estate.person_records) and grouped by strong identifiers (gateway.identity.group_records); the
people that leaves are then linked weakly, and checked against the truth (Estate.owners):

- possible matches: of true pairs not joined by a strong identifier (records of one person left
  in two groups), the share offered (target >= 0.9), and the share of offered pairs of groups that
  are one person (target >= 0.8);
- search: a query with one typing error in the surname (a letter swapped, dropped, doubled or a
  neighbouring key), with the forename (and with the date of birth), ranked over the blocking
  keys' candidates: the share of people on the first page of 20 (target >= 0.95);
- the time to score one pair, one person's candidate set, and one search.

    python benchmarks/weak_links.py [--scale regional|national] [--people N] [--seed S]
                                    [--queries Q]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from itertools import combinations
from typing import TypeVar

from gateway.identity import MergedPerson, group_records, record_key
from gateway.identity.blocking import Blocks
from gateway.identity.name_match import NameIndex, NameMatch, NameQuery
from gateway.identity.weak_links import (
    all_possible_matches,
    blocking_keys,
    possible_matches,
    profile,
    score,
    separated,
)
from simulators.layout import DEFAULT_SCALE, SCALES
from simulators.population import DEFAULT_SEED, generate_estate

PAGE = 20
NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wqretyuiopsadfghjklxzcvbnm", strict=True))
Group = MergedPerson
R = TypeVar("R")
Found = tuple[Group, NameMatch]
QUERIES: list[tuple[str, Callable[[Group, str], NameQuery]]] = [
    ("surname + forename", lambda g, typed: NameQuery(typed, g.name.forename)),
    (
        "surname + forename + date of birth",
        lambda g, typed: NameQuery(typed, g.name.forename, g.date_of_birth),
    ),
    ("surname only", lambda g, typed: NameQuery(typed)),
]


def typo(word: str, rng: random.Random) -> str:
    """The word with one typing error, never the word itself."""
    while True:
        i = rng.randrange(len(word))
        kind = rng.choice(("swap", "drop", "double", "neighbour"))
        if kind == "swap" and i + 1 < len(word):
            wrong = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "drop" and len(word) > 3:
            wrong = word[:i] + word[i + 1 :]
        elif kind == "double":
            wrong = word[:i] + word[i] + word[i:]
        elif kind == "neighbour" and word[i].lower() in NEIGHBOURS:
            wrong = word[:i] + NEIGHBOURS[word[i].lower()] + word[i + 1 :]
        else:
            continue
        if wrong.casefold() != word.casefold():
            return wrong


def timed(run: Callable[[], R]) -> tuple[R, float]:
    t0 = time.perf_counter()
    result = run()
    return result, time.perf_counter() - t0


def weak_link_figures(groups: list[Group], truth: dict[tuple[str, str], int]) -> None:
    """Pairs of groups holding one true person, by what their identifiers say: nothing in
    common (weak links' job), a shared identifier with another kind disagreeing (a conflict,
    shown by conflicts_with), or only disagreeing kinds (never offered, by rule)."""
    owners = [Counter(truth[record_key(r)] for r in g.records) for g in groups]
    by_person: dict[int, list[int]] = {}
    for index, owner in enumerate(owners):
        for person in owner:
            by_person.setdefault(person, []).append(index)
    record_pairs: Counter[tuple[int, int]] = Counter()
    for person, indexes in by_person.items():
        for a, b in combinations(indexes, 2):
            record_pairs[(a, b)] += owners[a][person] * owners[b][person]
    kinds: dict[str, set[tuple[int, int]]] = {
        "weak": set(),
        "conflict": set(),
        "contradicted": set(),
    }
    for a, b in record_pairs:
        kinds[split_kind(groups[a], groups[b])].add((a, b))
    position = {id(g): i for i, g in enumerate(groups)}
    found, seconds = timed(lambda: list(all_possible_matches(groups)))
    offered: set[tuple[int, int]] = set()
    for one, match in found:
        a, b = position[id(one)], position[id(match.person)]
        offered.add((min(a, b), max(a, b)))
    true_pairs = kinds["weak"]
    hits = offered & true_pairs
    true_records = sum(record_pairs[p] for p in true_pairs)
    offered_records = sum(record_pairs[p] for p in hits)
    print(f"people {len(by_person)}, groups after strong links {len(groups)}")
    print(
        f"true pairs left apart by strong links: {sum(record_pairs.values())} record pairs; "
        f"as group pairs {len(kinds['conflict'])} conflicts (an identifier shared, another "
        f"disagreeing), {len(kinds['contradicted'])} whose identifiers only disagree (never "
        f"offered), {len(true_pairs)} sharing no identifier kind"
    )
    if true_pairs:
        print(
            f"  of those sharing none ({true_records} record pairs), offered as a possible match: "
            f"{offered_records / true_records:.3f} of record pairs, "
            f"{len(hits) / len(true_pairs):.3f} of group pairs (target >= 0.9)"
        )
    if offered:
        print(
            f"  offered pairs that are one person: {len(hits)}/{len(offered)} = "
            f"{len(hits) / len(offered):.3f} (target >= 0.8)"
        )
    for a, b in sorted(true_pairs - offered)[:5]:
        print(f"  missed: {describe(groups[a])} / {describe(groups[b])}")
    for a, b in sorted(offered - true_pairs)[:5]:
        print(f"  wrong: {describe(groups[a])} / {describe(groups[b])}")
    print(f"  all pairs through blocking: {seconds:.2f} s")


def split_kind(a: Group, b: Group) -> str:
    if a.all_identifiers & b.all_identifiers:
        return "conflict"
    return "contradicted" if a.identifiers.keys() & b.identifiers.keys() else "weak"


def describe(group: Group) -> str:
    r = group.records[0]
    ids = ",".join(sorted(i.kind for i in group.all_identifiers)) or "no ids"
    return f"{r.name.forename} {r.name.surname} {r.date_of_birth} {r.gender} ({ids})"


def timing_figures(groups: list[Group]) -> None:
    profiles = [profile(g) for g in groups]
    blocks: Blocks[int] = Blocks(lambda i: blocking_keys(profiles[i]), range(len(groups)))
    pairs = list(blocks.pairs())
    _, seconds = timed(lambda: [score(profiles[a], profiles[b], groups[b]) for a, b in pairs])
    open_pairs = [(a, b) for a, b in pairs if not separated(profiles[a], profiles[b])]
    _, open_s = timed(lambda: [score(profiles[a], profiles[b], groups[b]) for a, b in open_pairs])
    print(
        f"scoring: {len(pairs)} blocked pairs of {len(groups) * (len(groups) - 1) // 2}, "
        f"{seconds / max(len(pairs), 1) * 1e6:.1f} us per pair; the {len(open_pairs)} not "
        f"separated by identifiers {open_s / max(len(open_pairs), 1) * 1e6:.1f} us per pair"
    )
    sample = groups[: min(len(groups), 500)]
    sizes: list[int] = []

    def per_person() -> None:
        for group in sample:
            candidates = [groups[i] for i in blocks.candidates(blocking_keys(profile(group)))]
            sizes.append(len(candidates))
            possible_matches(group, [c for c in candidates if c is not group])

    _, seconds = timed(per_person)
    print(
        f"  one person's candidate set: {seconds / len(sample) * 1e3:.2f} ms "
        f"(mean {sum(sizes) / len(sizes):.1f} candidates, blocking included)"
    )


def search_figures(
    groups: list[Group], truth: dict[tuple[str, str], int], queries: int, seed: int
) -> None:
    index, build_s = timed(lambda: NameIndex(groups))
    owner = {id(g): {truth[record_key(r)] for r in g.records} for g in groups}
    rng = random.Random(seed)
    sample = rng.sample(groups, min(queries, len(groups)))
    print(
        f"search: {len(sample)} queries, one typing error in the surname "
        f"(index of {len(groups)} people built in {build_s:.2f} s)"
    )
    for label, make in QUERIES:
        asked = [make(group, typo(group.name.surname, rng)) for group in sample]
        pages, seconds = timed(partial(first_pages, index, asked))
        hits = sum(
            any(owner[id(p)] & owner[id(group)] for p, _ in page)
            for group, page in zip(sample, pages, strict=True)
        )
        candidates = sum(len(index.candidates(query)) for query in asked)
        seconds /= len(sample)
        print(
            f"  {label}: first-page recall {hits / len(sample):.3f} (target >= 0.95), "
            f"{seconds * 1e3:.2f} ms per search, {candidates / len(sample):.0f} candidates"
        )


def first_pages(index: NameIndex[Group], asked: list[NameQuery]) -> list[list[Found]]:
    return [index.search(query)[:PAGE] for query in asked]


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default=DEFAULT_SCALE)
    parser.add_argument("--people", type=int, help="default: the scale's")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args(list(argv) if argv is not None else None)
    estate, generate_s = timed(
        lambda: generate_estate(seed=args.seed, people=args.people, scale=args.scale)
    )
    records = estate.person_records()
    truth = estate.owners()
    groups, group_s = timed(lambda: [MergedPerson(tuple(g)) for g in group_records(records)])
    print(
        f"estate: {len(estate.people)} people ({args.scale}, {len(estate.systems)} systems), "
        f"seed {args.seed}, {len(records)} records (generated in {generate_s:.1f} s, grouped "
        f"in {group_s:.2f} s)"
    )
    weak_link_figures(groups, truth)
    timing_figures(groups)
    search_figures(groups, truth, args.queries, args.seed)


if __name__ == "__main__":
    main()
