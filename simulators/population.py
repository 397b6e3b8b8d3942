"""A seeded population whose lives cross regions, sliced into the systems that see each part.

``generate_estate(seed, people, scale=...)`` is deterministic for a seed. Each person gets strong
identifiers (PNC, CRO; a NOMS number at first custody; a CRN at first supervision), then a life:
community orders, custody terms with transfers between prison groups, releases on licence, recalls
and moves between probation regions. Every system stores only its slice, under its own local id,
with dirt: missing NOMS numbers, short-form PNCs, other spellings, aliases, and
:data:`NAMESAKE_RATE` of different people who share a name and date of birth; then the dirt of
:mod:`simulators.dirt` (typing errors, transposed, Welsh and double-barrelled names, twins, bad
check characters, records without identifiers, merged CRNs and NOMS numbers); about 1% are
limited-access in probation (:mod:`simulators.access`). :class:`~simulators.truth.TruePerson` says
which are one person, the dirt of each record, and the limits each system holds. The ``scale``
(:data:`simulators.layout.SCALES`) chooses the systems: ``regional`` (7, 5,000 people by default)
or ``national`` (17: 5 prison groups and the 12 probation regions, 100,000 people by default).
"""

from __future__ import annotations

from collections.abc import Sequence

from simulators.access import limit_access
from simulators.builder import EstateBuilder
from simulators.dirt import Soiler
from simulators.layout import DEFAULT_SCALE, estate_systems, scale_named
from simulators.lives import LifeWriter
from simulators.plugin import declared_systems
from simulators.truth import Estate, TruePerson

DEFAULT_PEOPLE = 5000
DEFAULT_SEED = 20261128
NAMESAKE_RATE = 0.01  # share of people who share name and date of birth with someone else


def generate_estate(
    seed: int = DEFAULT_SEED,
    people: int | None = None,
    extra_systems: Sequence[str] = (),
    scale: str = DEFAULT_SCALE,
) -> Estate:
    """Generate ``people`` lives (default: the scale's) into every system of the ``scale``,
    deterministically for ``seed``.

    ``extra_systems`` names systems that installed simulator plugins declare; each takes over
    the prisons or probation regions it lists (:func:`simulators.layout.estate_systems`).
    Raises LayoutError for an unknown scale.
    """
    size = scale_named(scale)
    extra = declared_systems(extra_systems) if extra_systems else ()
    builder = EstateBuilder(seed, estate_systems(extra, size.systems))
    population: dict[int, TruePerson] = {}
    for person_id in range(1, (size.people if people is None else people) + 1):
        namesake_of = None
        if population and builder.rng.random() < NAMESAKE_RATE:
            namesake_of = population[builder.rng.randint(1, len(population))]
        person = builder.person(person_id, namesake_of)
        LifeWriter(builder, person).live()
        population[person_id] = person
    Soiler(builder, population, seed).soil()
    limit_access(population, builder.stores, seed)
    for store in builder.stores.values():
        store.build_index()
    return Estate(seed=seed, systems=builder.stores, people=population)
