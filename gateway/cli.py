"""The offender-graph command: demo, serve, simulate, config check, cache invalidate and schema
export / diff."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Coroutine
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from graphql import GraphQLError

from connectors.config import ConfigProblems
from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, InvalidIdentifier, parse_identifier
from gateway.app import create_app
from gateway.asgi import CONFIG_VARIABLE
from gateway.cache_store import build_store
from gateway.config_check import run_check
from gateway.graphiql import ExamplePerson
from gateway.ids import new_id_key
from gateway.invalidation import invalidate_person
from gateway.observability.logs import configure_logging, uvicorn_log_config
from gateway.observability.metrics_export import multiprocess_directory
from gateway.settings import GatewaySettings, load_settings
from schema.sdl import classify_changes, export_sdl, export_subgraph_sdl

# demo and simulate import the simulators when they run: the gateway image has none.
if TYPE_CHECKING:
    from simulators.runner import RunningEstate
    from simulators.truth import Estate, TruePerson

DEFAULT_CONFIG = Path("var/estate.toml")
DESCRIPTION = (
    "One GraphQL graph of offenders over regional prison (SOAP) and probation (REST) systems. "
    "Settings come from the config file; any OFFENDER_GRAPH_<TABLE>__<KEY> environment "
    "variable overrides its key."
)


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


def with_estate_defaults(args: argparse.Namespace) -> None:
    """Give ``--people`` and ``--seed`` the simulators' defaults, importing them only for the
    commands that run the simulators; say so where they are not installed."""
    try:
        from simulators.population import DEFAULT_PEOPLE, DEFAULT_SEED
    except ModuleNotFoundError as exc:
        if exc.name != "simulators":
            raise
        sys.exit(
            f"offender-graph {args.command} needs the simulators, which this installation does "
            "not have (the gateway image: use the estate image)"
        )
    args.people = getattr(args, "people", DEFAULT_PEOPLE)
    args.seed = getattr(args, "seed", DEFAULT_SEED)


def example_people(estate: Estate, count: int = 5) -> list[TruePerson]:
    """People whose records span custody and probation in at least three systems, those with an
    offender manager now (in custody or under supervision) first."""
    from simulators.stores import ProbationCase

    def managed(person: TruePerson) -> bool:
        return any(
            manager.responsible_officer
            for _, record in estate.records_of(person.person_id)
            if isinstance(record, ProbationCase)
            for manager in record.managers
        )

    spanning = [p for p in estate.spanning(3) if p.noms and p.crn]
    spanning.sort(key=lambda p: (not managed(p), -len(p.slices), p.person_id))
    return spanning[:count]


def describe(person: TruePerson) -> str:
    return (
        f"  {person.noms}  CRN {person.crn}  PNC {person.pnc}  "
        f"{person.forename} {person.surname}  ({', '.join(person.systems)})"
    )


def example_person(person: TruePerson) -> ExamplePerson:
    """GraphiQL's examples about ``person``: by their NOMS number (or CRN), name and birth date."""
    identifier = person.noms or person.crn or person.pnc
    name = f"{person.forename} {person.surname}"
    return ExamplePerson(identifier, name, person.date_of_birth.isoformat())


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
        app, host=host, port=port, log_level="warning", log_config=uvicorn_log_config()
    )
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


def start_estate(people: int, seed: int, config: Path, base_port: int) -> RunningEstate:
    """Start the estate and write its config (credentials and the id key: owner-only)."""
    from simulators.population import generate_estate
    from simulators.runner import RunningEstate

    estate = generate_estate(seed=seed, people=people)
    running = RunningEstate(estate, base_port=base_port).start()
    if not config.parent.exists() or config.parent == DEFAULT_CONFIG.parent:
        config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        config.parent.chmod(0o700)  # var/: the demo's config and anything else written there
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text(running.config_toml({"id_key": new_id_key()}), encoding="utf-8")
    return running


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


def cmd_demo(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with_estate_defaults(args)
    ensure_port_free(args.host, args.port)
    running = start_estate(args.people, args.seed, args.config, args.base_port)
    try:
        settings = load_settings(args.config)
        examples = example_people(running.estate)
        url = f"http://{args.host}:{args.port}/graphql"
        systems = len(running.systems)
        banner = "\n".join(
            [
                "",
                f"Offender Graph demo: {len(running.estate.people)} people in {systems} "
                f"regional systems (seed {args.seed}), region config in {args.config}",
                *(f"  {n:<18} {s.store.dialect:<12} {s.url}" for n, s in running.systems.items()),
                "",
                f"GraphiQL: {url}",
                "People whose records span custody and probation in different regions:",
                *(describe(p) for p in examples),
                "",
                f"Started in {time.perf_counter() - started:.1f} s. Ctrl-C stops everything.",
            ]
        )
        example = example_person(examples[0]) if examples else ExamplePerson()
        run(serve_gateway(settings, args.host, args.port, example, banner))
    finally:
        running.stop()


def cmd_serve(args: argparse.Namespace) -> None:
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
            log_level="warning",
            log_config=uvicorn_log_config(),
        )


def cmd_simulate(args: argparse.Namespace) -> None:
    with_estate_defaults(args)
    running = start_estate(args.people, args.seed, args.config, args.base_port)
    print(f"Simulated estate: {len(running.estate.people)} people, config in {args.config}")
    for name, system in running.systems.items():
        print(f"  {name:<18} {system.store.dialect:<12} {system.url}")
    print("\nExample people:", *(describe(p) for p in example_people(running.estate)), sep="\n")
    stop = asyncio.Event()

    async def wait() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    try:
        run(wait())
    finally:
        running.stop()


def cmd_config(args: argparse.Namespace) -> None:
    code, lines = run_check(args.file)
    print(*lines, sep="\n", file=sys.stderr if code else sys.stdout)
    sys.exit(code)


def cmd_cache_invalidate(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    if not settings.cache.url:
        sys.exit(
            "the in-memory cache lives inside each gateway process: there is nothing shared to "
            "invalidate (restart the gateway, or configure [cache] url)"
        )
    store = build_store(settings.cache)
    regions = [region.name for region in settings.regions]

    async def invalidate() -> int:
        try:
            return await invalidate_person(store, store.namespace, args.identifier, regions)
        finally:
            await store.aclose()

    count = asyncio.run(invalidate())
    if store.down:
        sys.exit("the Redis cache of [cache] url did not answer; nothing certain was invalidated")
    print(f"invalidated {count} cached answers for {args.identifier}")


def cmd_schema(args: argparse.Namespace) -> None:
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


def package_version() -> str:
    try:
        return version("offender-graph")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="offender-graph", description=DESCRIPTION)
    top.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(group: Any, name: str, helptext: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, help=helptext, description=helptext)
        return sub

    def config_option(sub: argparse.ArgumentParser, helptext: str) -> None:
        sub.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=helptext)

    for name, helptext in (
        ("demo", "run the simulated estate and the gateway with GraphiQL"),
        ("simulate", "run the simulated estate only and write its region config"),
    ):
        sub = command(commands, name, helptext)
        # Their defaults are the simulators', filled in by with_estate_defaults.
        sub.add_argument(
            "--people",
            type=positive,
            default=argparse.SUPPRESS,
            help="people in the estate (default: the simulators' standard population)",
        )
        sub.add_argument(
            "--seed",
            type=int,
            default=argparse.SUPPRESS,
            help="seed of the population (default: the simulators' standard seed)",
        )
        config_option(sub, "where to write the estate's config (owner-only)")
        sub.add_argument(
            "--base-port", type=port, default=0, help="first port of the systems (0: any free)"
        )
    serve = command(commands, "serve", "run the gateway against a config file")
    config_option(serve, "the config file")
    serve.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="worker processes; they share cache and breakers only through Redis",
    )
    for sub in (commands.choices["demo"], serve):
        sub.add_argument("--host", default="127.0.0.1", help="address the gateway listens on")
        sub.add_argument("--port", type=port, default=8000, help="port the gateway listens on")
    config = command(commands, "config", "validate a config file")
    config_actions = config.add_subparsers(dest="action", required=True)
    check = command(
        config_actions,
        "check",
        "validate a config file with the environment applied, starting nothing and contacting "
        "no region (exit 1 on a problem)",
    )
    check.add_argument("file", type=Path, help="the config file")
    cache = command(commands, "cache", "manage the shared (Redis) answer cache")
    actions = cache.add_subparsers(dest="action", required=True)
    invalidate = command(
        actions, "invalidate", "forget every cached answer about the person an identifier names"
    )
    invalidate.add_argument(
        "identifier", type=identifier, help="a NOMS number, CRN, PNC or CRO number"
    )
    config_option(invalidate, "the config file naming the Redis ([cache] url)")
    schema = command(commands, "schema", "the GraphQL schema as a committed contract (SDL)")
    schema_actions = schema.add_subparsers(dest="action", required=True)
    export = command(schema_actions, "export", "print the schema's SDL to stdout")
    export.add_argument(
        "--subgraph",
        action="store_true",
        help="the federation subgraph SDL (with @link and @key, as _service { sdl } gives it) "
        "instead of the client-facing one",
    )
    diff = command(
        schema_actions,
        "diff",
        "classify the changes between two SDL files (exit 1 on a breaking one)",
    )
    diff.add_argument("old", type=Path, help="the SDL before, e.g. the committed one")
    diff.add_argument("new", type=Path, help="the SDL after")
    return top


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    handlers = {
        "demo": cmd_demo,
        "serve": cmd_serve,
        "simulate": cmd_simulate,
        "config": cmd_config,  # its one action
        "cache": cmd_cache_invalidate,  # its one action
        "schema": cmd_schema,
    }
    try:
        handlers[args.command](args)
    except ConfigurationError as exc:
        problems = exc.problems if isinstance(exc, ConfigProblems) else (str(exc),)
        sys.exit("\n".join(f"configuration error: {problem}" for problem in problems))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
