"""The offender-graph command. Each command group registers itself from its own module:
``estate`` (demo, simulate), ``serving`` (serve), ``admin`` (config check, cache invalidate),
``contract`` (schema export, schema diff), ``connector`` (check-connector), ``audit`` and
``auth`` (token), ``index`` (stats, build, forget)."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version

from connectors.config import ConfigProblems
from connectors.errors import ConfigurationError
from gateway.cli import admin, audit, auth, connector, contract, estate, index, scaffold, serving
from gateway.cli.arguments import Parser

DESCRIPTION = (
    "One GraphQL graph of offenders over regional prison (SOAP) and probation (REST) systems. "
    "Settings come from the config file; any OFFENDER_GRAPH_<TABLE>__<KEY> environment "
    "variable overrides its key."
)
COMMAND_GROUPS = (estate, serving, admin, contract, scaffold, connector, audit, auth, index)


def package_version() -> str:
    try:
        return version("offender-graph")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="offender-graph", description=DESCRIPTION)
    top.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return top


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        args.handler(args)
    except ConfigurationError as exc:
        problems = exc.problems if isinstance(exc, ConfigProblems) else (str(exc),)
        sys.exit("\n".join(f"configuration error: {problem}" for problem in problems))
    except KeyboardInterrupt:
        pass
