"""``schema export`` and ``schema diff``: the GraphQL schema as a committed contract."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graphql import GraphQLError

from gateway.cli.arguments import command
from schema.sdl import classify_changes, export_sdl, export_subgraph_sdl


def schema(args: argparse.Namespace) -> None:
    if args.action == "export":
        sys.stdout.write(export_subgraph_sdl() if args.subgraph else export_sdl())
        return
    try:
        old, new = (path.read_text(encoding="utf-8") for path in (args.old, args.new))
        changes = classify_changes(old, new)
    except OSError as exc:
        print(f"cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        sys.exit(2)
    except (GraphQLError, TypeError) as exc:
        print(f"not a valid GraphQL schema: {exc}", file=sys.stderr)
        sys.exit(2)
    for group in ("breaking", "dangerous", "safe"):
        print(f"{group} ({len(changes[group])}):")
        for line in changes[group]:
            print(f"  {line}")
    if changes["breaking"]:
        sys.exit(1)


def register(commands: Any) -> None:
    sub = command(commands, "schema", "the GraphQL schema as a committed contract (SDL)")
    actions = sub.add_subparsers(dest="action", required=True)
    export = command(actions, "export", "print the schema's SDL to stdout")
    export.add_argument(
        "--subgraph",
        action="store_true",
        help="the federation subgraph SDL (with @link and @key, as _service { sdl } gives it) "
        "instead of the client-facing one",
    )
    diff = command(
        actions, "diff", "classify the changes between two SDL files (exit 1 on a breaking one)"
    )
    diff.add_argument("old", type=Path, help="the SDL before, e.g. the committed one")
    diff.add_argument("new", type=Path, help="the SDL after")
    sub.set_defaults(handler=schema)
