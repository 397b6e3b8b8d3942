"""The shape of the simulated estate: its systems and the prisons or regions each covers.

The default estate is :data:`SYSTEMS`. :func:`estate_systems` adds systems a simulator plugin
declares: each takes over the prisons or probation regions it lists from the default system that
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


def estate_systems(extra: Sequence[SystemSpec] = ()) -> tuple[SystemSpec, ...]:
    """The default systems, less the locations ``extra`` systems take over, then ``extra``.

    Raises LayoutError naming the system when an extra system's name is taken, its kind is
    unknown, or it lists a location that is not a prison (CUSTODY) or probation region
    (PROBATION) of the estate, or one another extra system already took.
    """
    taken: dict[str, str] = {}
    names = {spec.name for spec in SYSTEMS}
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
        for spec in SYSTEMS
    )
    return kept + tuple(extra)


def system_for(location: str, systems: Sequence[SystemSpec] = SYSTEMS) -> SystemSpec:
    """The system that covers a prison id or probation region code."""
    for spec in systems:
        if location in spec.locations:
            return spec
    raise KeyError(location)
