"""``token``: a bearer token of the local development issuer for one of its example users."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from auth.dev_issuer import example_users
from gateway.authentication import dev_issuer
from gateway.cli.arguments import command, config_option, positive
from gateway.settings import load_settings


def token(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    if settings.auth.mode != "jwt" or not settings.auth.dev_issuer:
        sys.exit(
            f'{args.config} does not trust the development issuer ([auth] mode = "jwt" and '
            "dev_issuer = true, as `offender-graph demo` writes)"
        )
    issuer = dev_issuer(settings.auth)
    print(issuer.token(example_users()[args.user], minutes=args.minutes))


def register(commands: Any) -> None:
    users = example_users()
    sub = command(
        commands,
        "token",
        "print a bearer token of the development issuer for an example user "
        "(the config must have [auth] dev_issuer = true, as the demo's has)",
    )
    sub.add_argument(
        "user",
        choices=sorted(users),
        help="; ".join(f"{name}: {user.description}" for name, user in users.items()),
    )
    config_option(sub, "the gateway config whose development issuer signs (default: the demo's)")
    sub.add_argument(
        "--minutes", type=positive, default=60, help="how long the token is valid (default: 60)"
    )
    sub.set_defaults(handler=token)
