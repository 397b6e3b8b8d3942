"""A seeded population whose lives cross regions, sliced into the systems that see each part.

``generate_estate(seed, people)`` is deterministic for a seed. Each person gets strong identifiers
(PNC, CRO; a NOMS number at first custody; a CRN at first supervision), then a life: community
orders, custody terms with transfers between prison groups, releases on licence, recalls and moves
between probation regions. Every system stores only its slice, under its own local id, with dirt:
missing NOMS numbers, short-form PNCs, other spellings, aliases, and some different people who
share a name and date of birth; about 1% are limited-access in probation (:mod:`simulators.access`).
:class:`~simulators.truth.TruePerson` says which are one person, and the limits each system holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulators.access import limit_access
from simulators.builder import EstateBuilder
from simulators.layout import estate_systems
from simulators.lives import LifeWriter
from simulators.plugin import declared_systems
from simulators.truth import Estate, TruePerson

DEFAULT_PEOPLE = 5000
DEFAULT_SEED = 20261128
TWIN_RATE = 0.01  # share of people who share name and date of birth with someone else


def generate_estate(
    seed: int = DEFAULT_SEED, people: int = DEFAULT_PEOPLE, extra_systems: Sequence[str] = ()
) -> Estate:
    """Generate ``people`` lives into every simulated system, deterministically for ``seed``.

    ``extra_systems`` names systems that installed simulator plugins declare; each takes over
    the prisons or probation regions it lists (:func:`simulators.layout.estate_systems`).
    """
    extra = declared_systems(extra_systems) if extra_systems else ()
    builder = EstateBuilder(seed, estate_systems(extra))
    population: dict[int, TruePerson] = {}
    for person_id in range(1, people + 1):
        twin_of = None
        if population and builder.rng.random() < TWIN_RATE:
            twin_of = population[builder.rng.randint(1, len(population))]
        person = builder.person(person_id, twin_of)
        LifeWriter(builder, person).live()
        population[person_id] = person
    limit_access(population, builder.stores, seed)
    return Estate(seed=seed, systems=builder.stores, people=population)
