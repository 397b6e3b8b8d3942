"""The shape of the simulated estate: its systems and the prisons or regions each covers.

The default (``regional``) estate is :data:`SYSTEMS`: 7 systems. The ``national`` scale
(:data:`SCALES`) is :data:`NATIONAL_SYSTEMS`: 5 prison groups and 12 probation systems, one per
probation region, in the same mix of dialects. :func:`estate_systems` adds systems a simulator
plugin declares: each takes over the prisons or probation regions it lists from the system that
covered them, so the people and lives are those of the same seed, sliced differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

PRISONS: dict[str, str] = {
    "MDI": "Moorland",
    "LEI": "Leeds",
    "BMI": "Birmingham",
    "WWI": "Wandsworth",
    "PVI": "Pentonville",
    "MRI": "Manchester",
    "LPI": "Liverpool",
    "DMI": "Durham",
    "EXI": "Exeter",
    "BLI": "Bristol",
    "CFI": "Cardiff",
    "SWI": "Swansea",
    "BWI": "Berwyn",
    "WDI": "Wakefield",
}

PROBATION_REGIONS: dict[str, str] = {
    "N03": "Wales",
    "N07": "London",
    "N50": "Greater Manchester",
    "N51": "North West",
    "N52": "West Midlands",
    "N53": "East Midlands",
    "N54": "North East",
    "N55": "Yorkshire & The Humber",
    "N56": "East of England",
    "N57": "Kent, Surrey & Sussex",
    "N58": "South West",
    "N59": "South Central",
}


KINDS = ("CUSTODY", "PROBATION")


class LayoutError(ValueError):
    """A system cannot join the estate (the message names it)."""


@dataclass(frozen=True)
class SystemSpec:
    """One simulated regional system."""

    name: str
    kind: str  # CUSTODY (locations: prison ids) or PROBATION (locations: region codes)
    dialect: str  # the simulator plugin serving it (simulators/plugin.py)
    title: str
    locations: tuple[str, ...]
    batch: bool = True
    id_prefix: str = ""  # starts every local id of the system
    short_pnc: bool = False  # stores about half its PNC numbers in the short form


SYSTEMS: tuple[SystemSpec, ...] = (
    SystemSpec(
        "prison-north",
        "CUSTODY",
        "soap-prison",
        "North prison group",
        ("LEI", "MDI", "DMI", "WDI", "MRI", "LPI"),
        id_prefix="PN",
    ),
    SystemSpec(
        "prison-south",
        "CUSTODY",
        "soap-prison",
        "South prison group",
        ("WWI", "PVI", "EXI", "BLI"),
        id_prefix="PS",
    ),
    SystemSpec(
        "prison-wales",
        "CUSTODY",
        "soap-prison",
        "Wales and Midlands prison group (legacy)",
        ("CFI", "SWI", "BWI", "BMI"),
        batch=False,
        id_prefix="7",
    ),
    SystemSpec(
        "probation-london",
        "PROBATION",
        "rest-camel",
        "London and South East probation",
        ("N07", "N57"),
        id_prefix="25",
    ),
    SystemSpec(
        "probation-north",
        "PROBATION",
        "rest-camel",
        "Northern probation",
        ("N50", "N51", "N54", "N55"),
        id_prefix="31",
    ),
    SystemSpec(
        "probation-wales",
        "PROBATION",
        "rest-snake",
        "Wales and Midlands probation",
        ("N03", "N52", "N53"),
        id_prefix="WAL",
        short_pnc=True,
    ),
    SystemSpec(
        "probation-south",
        "PROBATION",
        "rest-snake",
        "South and East probation",
        ("N56", "N58", "N59"),
        id_prefix="SOU",
        short_pnc=True,
    ),
)


def _prison_group(name: str, title: str, prisons: str, prefix: str) -> SystemSpec:
    return SystemSpec(
        name, "CUSTODY", "soap-prison", title, tuple(prisons.split()), id_prefix=prefix
    )


def _probation(name: str, region: str, dialect: str, prefix: str) -> SystemSpec:
    return SystemSpec(
        f"probation-{name}",
        "PROBATION",
        dialect,
        f"{PROBATION_REGIONS[region]} probation",
        (region,),
        id_prefix=prefix,
        short_pnc=dialect == "rest-snake",
    )


NATIONAL_SYSTEMS: tuple[SystemSpec, ...] = (
    _prison_group("prison-north-east", "North East prison group", "LEI MDI DMI WDI", "PNE"),
    _prison_group("prison-north-west", "North West prison group", "MRI LPI", "PNW"),
    _prison_group("prison-london", "London prison group", "WWI PVI", "PL"),
    _prison_group("prison-south-west", "South West prison group", "EXI BLI", "PSW"),
    replace(
        _prison_group(
            "prison-wales", "Wales and Midlands prison group (legacy)", "CFI SWI BWI BMI", "7"
        ),
        batch=False,
    ),
    _probation("wales", "N03", "rest-snake", "WAL"),
    _probation("london", "N07", "rest-camel", "20"),
    _probation("manchester", "N50", "rest-camel", "21"),
    _probation("north-west", "N51", "rest-camel", "22"),
    _probation("west-midlands", "N52", "rest-snake", "WMD"),
    _probation("east-midlands", "N53", "rest-snake", "EMD"),
    _probation("north-east", "N54", "rest-camel", "23"),
    _probation("yorkshire", "N55", "rest-camel", "24"),
    _probation("east", "N56", "rest-snake", "EOE"),
    _probation("kss", "N57", "rest-camel", "25"),
    _probation("south-west", "N58", "rest-snake", "SWE"),
    _probation("south-central", "N59", "rest-snake", "SCE"),
)


@dataclass(frozen=True)
class Scale:
    """A size of estate: its systems and how many people it holds unless told otherwise."""

    name: str
    people: int
    systems: tuple[SystemSpec, ...]


SCALES: dict[str, Scale] = {
    "regional": Scale("regional", 5000, SYSTEMS),
    "national": Scale("national", 100_000, NATIONAL_SYSTEMS),
}
DEFAULT_SCALE = "regional"


def scale_named(name: str) -> Scale:
    """The scale called ``name``; LayoutError names the known ones."""
    if name not in SCALES:
        raise LayoutError(f"scale {name!r} is not one of {', '.join(SCALES)}")
    return SCALES[name]


def estate_systems(
    extra: Sequence[SystemSpec] = (), base: Sequence[SystemSpec] = SYSTEMS
) -> tuple[SystemSpec, ...]:
    """The ``base`` systems, less the locations ``extra`` systems take over, then ``extra``.

    Raises LayoutError naming the system when an extra system's name is taken, its kind is
    unknown, or it lists a location that is not a prison (CUSTODY) or probation region
    (PROBATION) of the estate, or one another extra system already took.
    """
    taken: dict[str, str] = {}
    names = {spec.name for spec in base}
    for spec in extra:
        where = f"system {spec.name!r}"
        if spec.name in names:
            raise LayoutError(f"{where}: the estate already has a system of that name")
        names.add(spec.name)
        if spec.kind not in KINDS:
            raise LayoutError(f"{where}: kind {spec.kind!r} is not one of {', '.join(KINDS)}")
        known = PRISONS if spec.kind == "CUSTODY" else PROBATION_REGIONS
        for location in spec.locations:
            if location not in known:
                raise LayoutError(
                    f"{where}: {location!r} is not a {spec.kind.lower()} location of the estate "
                    f"(known: {', '.join(known)})"
                )
            if location in taken:
                raise LayoutError(f"{where}: {location!r} is taken by {taken[location]!r}")
            taken[location] = spec.name
    kept = tuple(
        replace(spec, locations=tuple(loc for loc in spec.locations if loc not in taken))
        for spec in base
    )
    return kept + tuple(extra)


def system_for(location: str, systems: Sequence[SystemSpec] = SYSTEMS) -> SystemSpec:
    """The system that covers a prison id or probation region code."""
    for spec in systems:
        if location in spec.locations:
            return spec
    raise KeyError(location)
