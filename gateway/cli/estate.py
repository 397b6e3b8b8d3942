"""``demo`` and ``simulate``: the simulated estate (and, for the demo, the gateway over it).

They import the simulators when they run: the gateway image has none.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auth.dev_issuer import example_users
from gateway.cli.arguments import DEFAULT_CONFIG, command, config_option, port, positive
from gateway.cli.serving import ensure_port_free, listen_options, run, serve_gateway
from gateway.graphiql import ExamplePerson
from gateway.ids import new_id_key
from gateway.settings import load_settings

if TYPE_CHECKING:
    from simulators.runner import RunningEstate
    from simulators.truth import Estate, TruePerson

# The demo's config turns on what production leaves off: GraphiQL and introspection (its docs pane).
DEMO_GATEWAY: dict[str, Any] = {"graphiql": True, "introspection": True}
# The demo authenticates as production does, with tokens of the local development issuer
# (`offender-graph token <example-user>`); `simulate` (the compose estate) leaves auth off.
DEMO_AUTH: dict[str, Any] = {"mode": "jwt", "dev_issuer": True}
ESTATE_SCALES = ("regional", "national")  # simulators.layout.SCALES, named without importing it


def with_estate_defaults(args: argparse.Namespace) -> None:
    """Give ``--scale``, ``--people`` and ``--seed`` the simulators' defaults (people: the
    scale's), importing them only for the commands that run the simulators; say so where they
    are not installed."""
    try:
        from simulators.layout import SCALES
        from simulators.population import DEFAULT_SEED
    except ModuleNotFoundError as exc:
        if exc.name != "simulators":
            raise
        sys.exit(
            f"offender-graph {args.command} needs the simulators, which this installation does "
            "not have (the gateway image: use the estate image)"
        )
    args.scale = getattr(args, "scale", "regional")
    args.people = getattr(args, "people", SCALES[args.scale].people)
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


def start_estate(
    people: int,
    seed: int,
    config: Path,
    base_port: int,
    extra_systems: Sequence[str] = (),
    auth: Mapping[str, Any] | None = None,
    scale: str = "regional",
) -> RunningEstate:
    """Start the estate and write its config (credentials and the id key: owner-only);
    ``extra_systems``: systems installed simulator plugins declare, by name; ``auth``: the
    ``[auth]`` table (default: off); with the development issuer its key sits by the config;
    ``scale``: the simulators' estate layout (``regional``: 7 systems, ``national``: 17)."""
    from simulators.layout import LayoutError
    from simulators.plugin import SimulatorError
    from simulators.population import generate_estate
    from simulators.runner import RunningEstate

    try:
        estate = generate_estate(seed=seed, people=people, extra_systems=extra_systems, scale=scale)
        running = RunningEstate(estate, base_port=base_port).start()
    except (SimulatorError, LayoutError) as exc:  # a plugin or an extra system that cannot run
        sys.exit(f"offender-graph: {exc}")
    if not config.parent.exists() or config.parent == DEFAULT_CONFIG.parent:
        config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        config.parent.chmod(0o700)  # var/: the demo's config and anything else written there
    config.touch(mode=0o600)
    config.chmod(0o600)
    gateway = DEMO_GATEWAY | {"id_key": new_id_key()}
    tables: dict[str, Mapping[str, Any]] = {}
    if auth is not None:
        key_file = str(config.parent / "dev-issuer-key.pem")
        tables["auth"] = {**auth, "dev_key_file": key_file} if auth.get("dev_issuer") else auth
    config.write_text(running.config_toml(gateway, **tables), encoding="utf-8")
    return running


def systems_table(running: RunningEstate) -> list[str]:
    """One line per system: its name, dialect and URL, in columns as wide as the longest name."""
    width = max(len(name) for name in running.systems)
    return [
        f"  {name:<{width}} {system.store.dialect:<12} {system.url}"
        for name, system in running.systems.items()
    ]


def demo(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with_estate_defaults(args)
    ensure_port_free(args.host, args.port)
    running = start_estate(
        args.people,
        args.seed,
        args.config,
        args.base_port,
        args.extra_system,
        DEMO_AUTH,
        args.scale,
    )
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
                *systems_table(running),
                "",
                f"GraphiQL: {url}",
                "Every query needs a bearer token of the development issuer; in another shell:",
                f"  offender-graph token prison-officer --config {args.config}",
                f'  (example users: {", ".join(example_users())}; README "Security")',
                'and paste it into GraphiQL\'s Headers: {"Authorization": "Bearer <token>"}',
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


def simulate(args: argparse.Namespace) -> None:
    with_estate_defaults(args)
    running = start_estate(
        args.people, args.seed, args.config, args.base_port, args.extra_system, scale=args.scale
    )
    print(f"Simulated estate: {len(running.estate.people)} people, config in {args.config}")
    print(*systems_table(running), sep="\n")
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


def register(commands: Any) -> None:
    for name, helptext, handler in (
        ("demo", "run the simulated estate and the gateway with GraphiQL", demo),
        ("simulate", "run the simulated estate only and write its region config", simulate),
    ):
        sub = command(commands, name, helptext)
        # Their defaults are the simulators', filled in by with_estate_defaults.
        sub.add_argument(
            "--scale",
            choices=ESTATE_SCALES,
            default=argparse.SUPPRESS,
            help="regional: 7 systems, 5,000 people; national: 17 systems (5 prison groups, "
            "the 12 probation regions), 100,000 people (default: regional)",
        )
        sub.add_argument(
            "--people",
            type=positive,
            default=argparse.SUPPRESS,
            help="people in the estate (default: the scale's standard population)",
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
        sub.add_argument(
            "--extra-system",
            action="append",
            default=[],
            metavar="NAME",
            help="add a system an installed simulator plugin declares (repeatable)",
        )
        if name == "demo":
            listen_options(sub)
        sub.set_defaults(handler=handler)
