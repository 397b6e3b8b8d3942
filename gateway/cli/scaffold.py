"""``new-connector``: scaffold an installable region package for a new dialect.

``offender-graph new-connector acme-xml --kind xml`` writes, into ``./acme-xml`` (or
``--into DIR``), a package ``offender_graph_acme_xml`` with the connector and its typed options
(``connector.py``, on the SDK's base for the kind), a simulator stub (``simulator.py``), a
contract-kit subclass (``tests/``), the regions-file entry (``regions.toml``), a
``pyproject.toml`` registering both entry points, and a README saying what to fill in. The
templates are package data (``gateway/templates/connector``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template
from typing import Any

from gateway.cli.arguments import command

KINDS = ("soap", "rest", "xml")
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
TEMPLATES = files("gateway") / "templates" / "connector"
REGION_OPTIONS = {  # the regions-file entry's options, and those the simulator writes
    "xml": (
        '{ username = "gateway", password = { env = "${env}_PASSWORD" } }',
        '{"username": "gateway", "password": password}',
    ),
    "rest": ('{ api_key = { env = "${env}_API_KEY" } }', '{"api_key": password}'),
    "soap": (
        '{ wsse_username = "gateway", wsse_password = { env = "${env}_PASSWORD" } }',
        '{"wsse_username": "gateway", "wsse_password": password}',
    ),
}


class ScaffoldError(Exception):
    """The package cannot be scaffolded (the message says why)."""


@dataclass(frozen=True)
class Scaffold:
    """What a new region package is called, derived from its dialect name."""

    dialect: str
    kind: str
    custody: bool = False

    @property
    def package(self) -> str:
        return "offender_graph_" + self.dialect.replace("-", "_")

    @property
    def values(self) -> dict[str, str]:
        words = self.dialect.split("-")
        region, simulated = REGION_OPTIONS[self.kind]
        env = self.dialect.replace("-", "_").upper()
        return {
            "dialect": self.dialect,
            "kind": self.kind,
            "package": self.package,
            "distribution": "offender-graph-" + self.dialect,
            "cls": "".join(word.capitalize() for word in words),
            "title": " ".join(word.capitalize() for word in words) + " region",
            "system": ("prison-" if self.custody else "probation-") + self.dialect,
            "system_kind": "CUSTODY" if self.custody else "PROBATION",
            "location": "LEI" if self.custody else "N57",
            "id_prefix": words[0][:3].upper(),
            "region_options": Template(region).substitute(env=env),
            "sim_options": simulated,
        }

    def files(self) -> dict[str, Traversable]:
        """Each file to write (a path under the target directory) and its template."""
        common = TEMPLATES / "common"
        return {
            "pyproject.toml": common / "pyproject.toml.tmpl",
            "README.md": common / "README.md.tmpl",
            "regions.toml": common / "regions.toml.tmpl",
            f"{self.package}/__init__.py": common / "__init__.py.tmpl",
            f"{self.package}/py.typed": common / "py.typed.tmpl",
            f"{self.package}/connector.py": TEMPLATES / self.kind / "connector.py.tmpl",
            f"{self.package}/simulator.py": common / "simulator.py.tmpl",
            f"tests/test_{self.package}_contract.py": common / "test_contract.py.tmpl",
        }


def scaffold(dialect: str, kind: str, into: Path, *, custody: bool = False) -> list[Path]:
    """Write the package of ``dialect`` into ``into`` (which must not exist or be empty); the
    files written."""
    if not NAME.fullmatch(dialect):
        raise ScaffoldError(
            f"{dialect!r} is not a dialect name: lower-case words joined by '-', e.g. acme-xml"
        )
    if kind not in KINDS:
        raise ScaffoldError(f"--kind must be one of {', '.join(KINDS)}")
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise ScaffoldError(f"{into} exists and is not an empty directory: nothing written")
    plan = Scaffold(dialect, kind, custody)
    values = plan.values
    written = []
    for relative, template in plan.files().items():
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(template.read_text(encoding="utf-8")).substitute(values))
        written.append(target)
    return written


def new_connector(args: argparse.Namespace) -> None:
    into: Path = args.into or Path(args.name)
    try:
        written = scaffold(args.name, args.kind, into, custody=args.custody)
    except ScaffoldError as exc:
        sys.exit(str(exc))
    print(f"wrote {len(written)} files into {into}:", *(f"  {p}" for p in written), sep="\n")
    print(f"next: fill in the TODOs ({into / 'README.md'}), then `pip install -e {into}`")


def register(commands: Any) -> None:
    sub = command(
        commands,
        "new-connector",
        "scaffold an installable region package: connector, options, simulator stub, "
        "contract-kit subclass, regions-file entry, README",
    )
    sub.add_argument("name", help="the dialect's name, lower-case words joined by '-'")
    sub.add_argument("--kind", choices=KINDS, required=True, help="the system's protocol")
    sub.add_argument("--into", type=Path, help="the directory to write (default: ./NAME)")
    sub.add_argument(
        "--custody", action="store_true", help="a prison system (default: a probation one)"
    )
    sub.set_defaults(handler=new_connector)
