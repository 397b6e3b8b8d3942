"""Limited-access offenders: a seeded share of people whose probation cases carry an exclusion
list (named users may not see the case) and/or a restriction list (only named users may).

Drawn after the lives are written, from a random generator of its own per person (seeded by the
estate's seed and the person's id), so the rest of the estate is what the same seed gave before:
the same people, records and slices. Lists name token subjects: the example users
(:data:`EXCLUDED_USER` on every exclusion list, :data:`RESTRICTED_USER` on every restriction
list), the case's own offender managers on its restriction list, and a few other staff.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from connectors.records import AccessLimits
from simulators import names
from simulators.stores import ProbationCase, SystemStore
from simulators.truth import TruePerson

LIMITED_ACCESS_RATE = 0.01  # share of people with a probation case who are limited-access
EXCLUDED_USER = "dev.excluded.officer"  # auth/example_users.toml: on every exclusion list
RESTRICTED_USER = "dev.probation.officer"  # ... and on every restriction list
KINDS = ("exclusion", "restriction", "both")
KIND_WEIGHTS = (50, 35, 15)
_STAFF_FORENAMES = names.MALE_FORENAMES[:40] + names.FEMALE_FORENAMES[:40]


def staff_subject(forename: str, surname: str) -> str:
    """A staff member's token subject as the estate writes it: ``alice.oconnor``."""
    return ".".join("".join(c for c in part if c.isalpha()).lower() for part in (forename, surname))


def _other_staff(rng: random.Random, low: int, high: int) -> list[str]:
    return [
        staff_subject(rng.choice(_STAFF_FORENAMES), rng.choice(names.SURNAMES[:120]))
        for _ in range(rng.randint(low, high))
    ]


def _managers(case: ProbationCase) -> list[str]:
    return [staff_subject(m.forename, m.surname) for m in case.managers if m.forename and m.surname]


def _unique(subjects: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(subjects))


def limit_access(
    people: Mapping[int, TruePerson], stores: Mapping[str, SystemStore], seed: int
) -> None:
    """Make about :data:`LIMITED_ACCESS_RATE` of the people with a probation case limited-access
    in one or more of their probation systems: the lists go on the cases, the truth on
    :attr:`TruePerson.access`."""
    for person_id, person in sorted(people.items()):
        cases = [
            (system, local_id)
            for system, local_id in sorted(person.slices.items())
            if stores[system].kind == "PROBATION"
        ]
        rng = random.Random(f"limited-access/{seed}/{person_id}")
        if not cases or rng.random() >= LIMITED_ACCESS_RATE:
            continue
        chosen = [c for c in cases if rng.random() < 0.7] or [rng.choice(cases)]
        for system, local_id in chosen:
            case = stores[system].records[local_id]
            assert isinstance(case, ProbationCase)
            kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
            managers = _managers(case)
            if kind != "restriction":  # never the case's own managers
                excluded = [EXCLUDED_USER, *_other_staff(rng, 0, 2)]
                case.exclusions = _unique(s for s in excluded if s not in managers)
            if kind != "exclusion":  # the managers may see their case; never an excluded user
                named = [RESTRICTED_USER, *managers, *_other_staff(rng, 0, 2)]
                case.restrictions = _unique(s for s in named if s not in case.exclusions)
            person.access[system] = AccessLimits(
                frozenset(case.exclusions), frozenset(case.restrictions)
            )
