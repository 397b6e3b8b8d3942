"""Argument types and parser helpers shared by every command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from connectors.identifiers import Identifier, InvalidIdentifier, parse_identifier

DEFAULT_CONFIG = Path("var/estate.toml")


def identifier(text: str) -> Identifier:
    """An argparse type: a NOMS number, CRN, PNC or CRO number, normalised."""
    try:
        return parse_identifier(text)
    except InvalidIdentifier as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port(text: str) -> int:
    """An argparse type: a TCP port number (0 to 65535)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to 65535)")
    return value


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


class Parser(argparse.ArgumentParser):
    """The parser of the command and of each subcommand: help shows every option's default."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(**kwargs)


def command(group: Any, name: str, helptext: str) -> argparse.ArgumentParser:
    """A subcommand of ``group`` whose help is ``helptext``."""
    sub: argparse.ArgumentParser = group.add_parser(name, help=helptext, description=helptext)
    return sub


def config_option(sub: argparse.ArgumentParser, helptext: str) -> None:
    """``--config FILE``, defaulting to the demo's config."""
    sub.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=helptext)
