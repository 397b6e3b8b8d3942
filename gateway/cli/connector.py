"""``check-connector``: certify a configured region's connector against its live system."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from connectors.registry import available_dialects, dialect_for
from connectors.testing.live import DEFAULT_SURNAMES, check_live
from gateway.cli.arguments import command, config_option, identifier
from gateway.settings import load_settings


def check_connector(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    regions = {region.name: region for region in settings.regions}
    region = regions.get(args.region)
    if region is None:
        sys.exit(f"no region {args.region!r} in {args.config}; configured: {', '.join(regions)}")
    dialect = dialect_for(region, available_dialects())
    surnames = args.surname or list(DEFAULT_SURNAMES)
    report = asyncio.run(check_live(dialect, region, args.identifier, surnames))
    print(*report.lines(), sep="\n")
    sys.exit(0 if report.passed else 1)


def register(commands: Any) -> None:
    check = command(
        commands,
        "check-connector",
        "run the contract kit's read-only checks against a configured live region and print a "
        "report: pass/fail per capability, latency, identifier coverage, mapping failures "
        "(exit 1 on a failure)",
    )
    check.add_argument("region", help="the region's name ([regions.NAME] in the config)")
    config_option(check, "the config file naming the region")
    check.add_argument(
        "--identifier",
        type=identifier,
        action="append",
        default=[],
        help="an identifier the region holds (repeatable); a well-formed identifier no one "
        "holds is always tried too",
    )
    check.add_argument(
        "--surname",
        action="append",
        default=[],
        help=f"a surname to search for (repeatable; default: {', '.join(DEFAULT_SURNAMES)})",
    )
    check.set_defaults(handler=check_connector)
