"""Strong links over the whole harder estate: precision and recall against the ground truth.

Every record of every system, mapped as its connector maps it (``Estate.person_records``), is
grouped by ``gateway.identity.group_records`` (shared NOMS, CRN, PNC or CRO; never two values of
one kind). Measured over the records that carry a strong identifier (simulators/linkage.py
``LinkQuality``): by record and by pair, with wrong merges and splits counted, and the splits
explained by the dirt of their records. No server runs. Usage:

    python benchmarks/strong_links.py [--people N] [--seed S] [--scale regional|national]

Exits 1 when a figure misses its target (precision >= 0.999, recall >= 0.98).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from gateway.identity import group_records, record_key
from simulators.layout import SCALES
from simulators.linkage import LinkQuality, link_quality
from simulators.population import DEFAULT_SEED, generate_estate
from simulators.truth import Estate

PRECISION_TARGET = 0.999
RECALL_TARGET = 0.98


def strong_link_quality(estate: Estate) -> tuple[LinkQuality, list[list[tuple[str, str]]]]:
    """The quality of strong links over ``estate``, and the groups (of record keys) measured."""
    records = [r for r in estate.person_records() if r.identifiers]
    groups = [[record_key(r) for r in group] for group in group_records(records)]
    return link_quality(estate.owners(), groups), groups


def split_causes(estate: Estate, groups: list[list[tuple[str, str]]]) -> Counter[str]:
    """The dirt held by the records of split people outside their main group."""
    owners = estate.owners()
    where: dict[int, Counter[int]] = {}
    for n, group in enumerate(groups):
        for key in group:
            where.setdefault(owners[key], Counter())[n] += 1
    causes: Counter[str] = Counter()
    for n, group in enumerate(groups):
        for system, local_id in group:
            person = estate.people[owners[(system, local_id)]]
            if where[person.person_id].most_common(1)[0][0] != n:
                causes.update(person.dirt.get(system) or ["(no dirt)"])
    return causes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=None, help="default: the scale's")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", choices=sorted(SCALES), default="regional")
    args = parser.parse_args()
    started = time.perf_counter()
    estate = generate_estate(seed=args.seed, people=args.people, scale=args.scale)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    quality, groups = strong_link_quality(estate)
    grouped = time.perf_counter() - started
    total = sum(len(s.records) for s in estate.systems.values())
    print(
        f"Strong links: {len(estate.people)} people, {total} records in {len(estate.systems)} "
        f"systems (seed {args.seed}); generated in {generated:.1f} s, grouped in {grouped:.2f} s"
    )
    rows = [
        ("records with a strong identifier", f"{quality.records} ({quality.people} people)"),
        ("precision (by record)", f"{quality.precision:.5f}  target >= {PRECISION_TARGET}"),
        ("recall (by record)", f"{quality.recall:.5f}  target >= {RECALL_TARGET}"),
        ("precision (by pair)", f"{quality.pair_precision:.5f}"),
        ("recall (by pair)", f"{quality.pair_recall:.5f}"),
        ("wrong merges (groups of 2+ people)", str(quality.wrong_merges)),
        ("splits (people in 2+ groups)", str(quality.splits)),
    ]
    causes = split_causes(estate, groups)
    if causes:
        dirt = ", ".join(f"{label} {count}" for label, count in causes.most_common())
        rows.append(("dirt of the records split off", dirt))
    for label, value in rows:
        print(f"  {label:<36} {value}")
    met = quality.precision >= PRECISION_TARGET and quality.recall >= RECALL_TARGET
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
