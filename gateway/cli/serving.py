"""``serve``: the gateway on uvicorn, one process or several workers; and how ``demo`` runs it."""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib.util
import os
import socket
from collections.abc import Coroutine
from typing import Any

import uvicorn

from gateway.app import create_app
from gateway.asgi import CONFIG_VARIABLE
from gateway.cli.arguments import command, config_option, port, positive
from gateway.graphiql import ExamplePerson
from gateway.observability.logs import configure_logging, uvicorn_log_config
from gateway.observability.metrics_export import multiprocess_directory
from gateway.settings import GatewaySettings, load_settings


def event_loop() -> str:
    """uvicorn's ``loop``: uvloop where it is installed (uvicorn[standard] ships it), else
    asyncio's own."""
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def http_protocol() -> str:
    """uvicorn's ``http``: httptools where it is installed (uvicorn[standard] ships it), else
    h11."""
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def run(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` on uvloop where it is installed, as ``simulators.server.run`` does: the
    gateway image has no simulators, so ``serve`` cannot borrow theirs."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def serve_gateway(
    settings: GatewaySettings, host: str, port: int, example: ExamplePerson, banner: str
) -> None:
    """Run the gateway with uvicorn until interrupted; print ``banner`` once it is up."""
    configure_logging()
    app = create_app(
        settings,
        example_identifier=example.identifier,
        example_name=example.name,
        example_date_of_birth=example.date_of_birth,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http_protocol(),
        log_level="warning",
        log_config=uvicorn_log_config(),
    )  # the loop is run()'s
    server = uvicorn.Server(config)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        print(banner, flush=True)

    announcer = asyncio.create_task(announce())
    await server.serve()
    announcer.cancel()
    if not server.started:
        raise SystemExit(f"the gateway could not listen on {host}:{port} (is the port taken?)")


def ensure_port_free(host: str, port: int) -> None:
    """Exit with one line, before anything starts, when ``host:port`` cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            message = f"port {port} on {host} is taken (is another gateway running?)"
        else:
            message = f"cannot listen on {host}:{port}: {exc.strerror or type(exc).__name__}"
        raise SystemExit(message) from None


def serve(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)  # fail here, once, on a bad config
    ensure_port_free(args.host, args.port)  # both paths: uvicorn's own bind error is raw
    banner = f"Offender Graph gateway on http://{args.host}:{args.port}/graphql"
    if args.workers == 1:
        run(serve_gateway(settings, args.host, args.port, ExamplePerson(), banner))
        return
    configure_logging()
    os.environ[CONFIG_VARIABLE] = str(args.config.resolve())
    print(f"{banner} ({args.workers} worker processes)", flush=True)
    with multiprocess_directory():  # each worker's metrics go there; /metrics adds them up
        uvicorn.run(
            "gateway.asgi:app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            loop=event_loop(),
            http=http_protocol(),
            log_level="warning",
            log_config=uvicorn_log_config(),
        )


def listen_options(sub: argparse.ArgumentParser) -> None:
    """``--host`` and ``--port`` of the gateway."""
    sub.add_argument("--host", default="127.0.0.1", help="address the gateway listens on")
    sub.add_argument("--port", type=port, default=8000, help="port the gateway listens on")


def register(commands: Any) -> None:
    sub = command(commands, "serve", "run the gateway against a config file")
    config_option(sub, "the config file")
    sub.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="worker processes; they share cache and breakers only through Redis",
    )
    listen_options(sub)
    sub.set_defaults(handler=serve)
