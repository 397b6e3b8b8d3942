"""The shape of the simulated estate: its systems and the prisons or regions each covers."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SystemSpec:
    """One simulated regional system."""

    name: str
    kind: str  # CUSTODY or PROBATION
    dialect: str  # soap-prison, rest-camel, rest-snake
    title: str
    locations: tuple[str, ...]
    batch: bool = True


SYSTEMS: tuple[SystemSpec, ...] = (
    SystemSpec(
        "prison-north",
        "CUSTODY",
        "soap-prison",
        "North prison group",
        ("LEI", "MDI", "DMI", "WDI", "MRI", "LPI"),
    ),
    SystemSpec(
        "prison-south", "CUSTODY", "soap-prison", "South prison group", ("WWI", "PVI", "EXI", "BLI")
    ),
    SystemSpec(
        "prison-wales",
        "CUSTODY",
        "soap-prison",
        "Wales and Midlands prison group (legacy)",
        ("CFI", "SWI", "BWI", "BMI"),
        batch=False,
    ),
    SystemSpec(
        "probation-london",
        "PROBATION",
        "rest-camel",
        "London and South East probation",
        ("N07", "N57"),
    ),
    SystemSpec(
        "probation-north",
        "PROBATION",
        "rest-camel",
        "Northern probation",
        ("N50", "N51", "N54", "N55"),
    ),
    SystemSpec(
        "probation-wales",
        "PROBATION",
        "rest-snake",
        "Wales and Midlands probation",
        ("N03", "N52", "N53"),
    ),
    SystemSpec(
        "probation-south",
        "PROBATION",
        "rest-snake",
        "South and East probation",
        ("N56", "N58", "N59"),
    ),
)


def system_for(location: str) -> SystemSpec:
    """The system that covers a prison id or probation region code."""
    for spec in SYSTEMS:
        if location in spec.locations:
            return spec
    raise KeyError(location)
