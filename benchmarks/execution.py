"""GraphQL execution itself: the gateway's CPU per request and per person when the regions cost
nothing, "before" (every request's document parsed and validated again, strawberry's JSON) and
"after" (each document prepared once, orjson), side by side in one run.

The whole app (middleware, routes, strawberry, the schema, the service, the pipeline) runs in this
process over two instant fake regions (``tests/gateway/inprocess.py``): a prison and a probation
system that both hold the same :data:`PEOPLE` people, with custody, movements, supervision,
managers and alerts. Each request is a POST to ``/graphql`` handed straight to the ASGI app (no
client, no socket), so ``time.process_time`` around the loop is the gateway's own work; the best
of a few rounds is reported (the machine may be shared):

1. **List**: an ``offenders`` page of :data:`PEOPLE` people asking for every field an ``Offender``
   has (generated from the schema), per request and per person;
2. **Lookup**: one ``offender`` by NOMS number with every field, per request.

Then where the time went: parse plus validate of each document alone (what "after" no longer
does on a repeated document), the cache's hits and misses, and the page answer's encoding with
the standard library's ``json`` against orjson.

    .venv/bin/python benchmarks/execution.py            # 3 rounds of 10 pages, 100 lookups
    .venv/bin/python benchmarks/execution.py --quick    # 2 rounds of 3 pages, 30 lookups
    .venv/bin/python benchmarks/execution.py --profile  # and cProfile of an extra page (after)

Loops are bounded by a count. Exits 1 if an answer has errors or misses a person.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import pstats
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    specified_rules,
)
from starlette.applications import Starlette
from starlette.types import Message
from strawberry.asgi import GraphQL

from benchmarks.common import table
from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import Movement, SystemKind
from gateway.app import GatewayGraphQL, create_app
from gateway.documents import DocumentCache
from gateway.settings import GatewaySettings
from schema.build import build_schema
from schema.cost import shape_rule
from schema.prepared import validator
from tests.gateway.inprocess import (
    FakeRegion,
    alert,
    booking,
    licence,
    manager,
    person,
    settings,
)

PEOPLE = 100
SURNAME = "Smith"


def regions(people: int) -> list[FakeRegion]:
    """A prison and a probation system holding the same ``people``, every fact kind each."""
    prison, probation = [], []
    custody, movements, supervision, managers, alerts = [], [], [], [], []
    for n in range(people):
        noms = Identifier(IdentifierKind.NOMS, f"A{n:04d}AA")
        crn = Identifier(IdentifierKind.CRN, f"X{n:06d}")
        prison.append(person("prison", f"P{n}", noms))
        probation.append(person("probation", f"C{n}", crn, noms))
        custody.append(booking("prison", f"P{n}", date(2020, 1, 1), False))
        custody.append(booking("prison", f"P{n}", date(2024, 3, 1), True))
        movements.append(
            Movement("prison", f"P{n}", date(2024, 3, 1), "ADMISSION", "CRT", "MDI", "Admission")
        )
        supervision.append(licence("probation", f"C{n}", date(2021, 1, 1), False))
        managers.append(manager("probation", f"C{n}", "N07A", date(2021, 1, 2)))
        alerts.append(alert("prison", f"P{n}", "XEL", True))
        alerts.append(alert("probation", f"C{n}", "MAPP", True))
    return [
        FakeRegion(
            "prison",
            SystemKind.CUSTODY,
            prison,
            {
                Capability.CUSTODY_FOR: custody,
                Capability.MOVEMENTS_FOR: movements,
                Capability.ALERTS_FOR: [a for a in alerts if a.region == "prison"],
            },
        ),
        FakeRegion(
            "probation",
            SystemKind.PROBATION,
            probation,
            {
                Capability.SUPERVISION_FOR: supervision,
                Capability.MANAGERS_FOR: managers,
                Capability.ALERTS_FOR: [a for a in alerts if a.region == "probation"],
            },
        ),
    ]


LEFT_OUT = frozenset({"possibleMatches"})  # a search per person in every region: not execution


def every_field(schema: GraphQLSchema, type_name: str) -> str:
    """A selection set of every field of an object type, recursively (fields without required
    arguments, and not :data:`LEFT_OUT`, so the figures stay comparable with earlier runs; a
    field leading back to a type on its path is left out too)."""

    def named(kind: GraphQLType) -> GraphQLType:
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            kind = kind.of_type
        return kind

    def select(kind: GraphQLObjectType, path: frozenset[str]) -> str:
        parts = []
        for name, definition in kind.fields.items():
            if name in LEFT_OUT or any(
                isinstance(a.type, GraphQLNonNull) for a in definition.args.values()
            ):
                continue
            inner = named(definition.type)
            if not isinstance(inner, GraphQLObjectType):
                parts.append(name)
            elif inner.name not in path:
                parts.append(f"{name} {select(inner, path | {inner.name})}")
        return "{ " + " ".join(parts) + " }"

    kind = schema.type_map[type_name]
    assert isinstance(kind, GraphQLObjectType)
    return select(kind, frozenset({kind.name}))


def queries() -> tuple[str, str]:
    """(the list page, the lookup), every ``Offender`` field each."""
    offender = every_field(build_schema()._schema, "Offender")
    page = (
        f'query Page {{ offenders(name: "{SURNAME}", first: {PEOPLE}) {{ totalCount '
        f"pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} "
        f"edges {{ cursor node {offender} }} }} }}"
    )
    lookup = f"query Lookup($id: String!) {{ offender(identifier: $id) {offender} }}"
    return page, lookup


def gateway_settings(document_cache_size: int) -> GatewaySettings:
    return settings(
        max_cost=1_000_000,  # a whole page of every field is what is measured
        max_tokens=100_000,
        document_cache_size=document_cache_size,
    )


async def post(app: Starlette, body: bytes) -> tuple[int, bytes]:
    """One POST /graphql handed to the ASGI app: (status, body)."""
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # never: the request was read
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gateway"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("gateway", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return status, b"".join(chunks)


@dataclass(frozen=True)
class Run:
    cpu_ms: float  # gateway CPU per request, the best round's
    answers: list[bytes]  # the warm-up answers, for the checks
    hits: int  # document cache hits and misses over the measured requests
    misses: int


@contextlib.contextmanager
def strawberry_json() -> Iterator[None]:
    """The view reading and writing JSON with strawberry's own (the standard library's), as
    before orjson."""
    encode, decode = GatewayGraphQL.encode_json, GatewayGraphQL.decode_json
    GatewayGraphQL.encode_json = GraphQL.encode_json  # type: ignore[method-assign,assignment]
    GatewayGraphQL.decode_json = GraphQL.decode_json  # type: ignore[method-assign]
    try:
        yield
    finally:
        GatewayGraphQL.encode_json = encode  # type: ignore[method-assign]
        GatewayGraphQL.decode_json = decode  # type: ignore[method-assign]


async def measure(before: bool, bodies: list[bytes], plan: Plan) -> Run:
    """Each body sent ``plan.repeat`` times per round (after one warm-up each) to a fresh app;
    ``before``: the document cache off and strawberry's JSON."""
    options = gateway_settings(0 if before else 1000)
    with strawberry_json() if before else contextlib.nullcontext():
        app = create_app(options, connectors={r.region: r for r in regions(PEOPLE)})
    answers: list[bytes] = []
    rounds: list[float] = []
    async with app.router.lifespan_context(app):
        for body in bodies:
            status, answer = await post(app, body)  # warm-up: the person index, imports, caches
            answers.append(answer)
            if status != 200:
                return Run(math.nan, answers, 0, 0)
        documents: DocumentCache = app.state.documents
        hits, misses = documents.hits, documents.misses
        if plan.profile:
            plan.profile.enable()
        for _ in range(plan.rounds):
            started = time.process_time()
            for _ in range(plan.repeat):
                for body in bodies:
                    await post(app, body)
            rounds.append((time.process_time() - started) * 1000 / (plan.repeat * len(bodies)))
        if plan.profile:
            plan.profile.disable()
    return Run(min(rounds), answers, documents.hits - hits, documents.misses - misses)


@dataclass(frozen=True)
class Plan:
    rounds: int  # the best of these is reported
    repeat: int  # requests per body per round
    profile: cProfile.Profile | None = None


def complete(answer: bytes, people: int | None) -> bool:
    """No errors, and every person on the page (``people``) or the person found."""
    body = json.loads(answer)
    if body.get("errors") or not body.get("data"):
        return False
    data = body["data"]
    if people is None:
        return data.get("offender") is not None
    return len(data["offenders"]["edges"]) == people


def per_call_ms(function: Callable[[], Any], times: int) -> float:
    started = time.process_time()
    for _ in range(times):
        function()
    return (time.process_time() - started) * 1000 / times


def preparation_ms(document: str, times: int) -> float:
    """Parse plus validate of ``document`` with the gateway's rules, as "before" does it."""
    schema = build_schema(regions=2, max_tokens=100_000, document_cache_size=0)
    validate = validator(schema, [*specified_rules, shape_rule(12, 30)])

    def prepare() -> None:
        schema.documents.prepare(document).validated(validate)

    return per_call_ms(prepare, times)


def encoding_ms(answer: bytes, times: int) -> tuple[float, float]:
    """(json.dumps, orjson.dumps) of the answer's value: the response body's encoding."""
    value = orjson.loads(answer)
    return per_call_ms(lambda: json.dumps(value), times), per_call_ms(
        lambda: orjson.dumps(value), times
    )


def body_of(query: str, variables: Mapping[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


def top_functions(profile: cProfile.Profile, count: int = 25) -> None:
    print(f"\n   cProfile of a page, after, top {count} by own time:")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(count)


def ratio_row(label: str, before: float, after: float, digits: int) -> list[str]:
    return [label, f"{before:.{digits}f}", f"{after:.{digits}f}", f"{after / before:.2f}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 pages, 30 lookups")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    rounds, pages, lookups = (2, 3, 3) if args.quick else (3, 10, 10)
    page, lookup = queries()
    page_body = body_of(page)
    lookup_bodies = [body_of(lookup, {"id": f"A{n:04d}AA"}) for n in range(10)]
    profile = cProfile.Profile() if args.profile else None
    print(
        f"GraphQL execution over 2 instant regions, {PEOPLE} people, every Offender field; "
        f"best of {rounds} rounds of {pages} pages and {lookups * 10} lookups per side"
    )
    before_page = asyncio.run(measure(True, [page_body], Plan(rounds, pages)))
    after_page = asyncio.run(measure(False, [page_body], Plan(rounds, pages)))
    before_lookup = asyncio.run(measure(True, lookup_bodies, Plan(rounds, lookups)))
    after_lookup = asyncio.run(measure(False, lookup_bodies, Plan(rounds, lookups)))
    ok = all(complete(a, PEOPLE) for a in before_page.answers + after_page.answers)
    ok = ok and all(complete(a, None) for a in before_lookup.answers + after_lookup.answers)

    print("\n1. Gateway CPU (time.process_time); before: documents parsed and validated on every")
    print("   request, strawberry's JSON; after: documents prepared once, orjson")
    rows = [
        ratio_row("page of 100, ms per request", before_page.cpu_ms, after_page.cpu_ms, 1),
        ratio_row(
            "page of 100, ms per person",
            before_page.cpu_ms / PEOPLE,
            after_page.cpu_ms / PEOPLE,
            3,
        ),
        ratio_row("one lookup, ms per request", before_lookup.cpu_ms, after_lookup.cpu_ms, 2),
    ]
    print(table(["query", "before", "after", "after/before"], rows))

    page_prep, lookup_prep = preparation_ms(page, 20), preparation_ms(lookup, 50)
    print("\n2. Parse + validate of each document alone (what 'before' does on every request)")
    rows = [
        [
            name,
            f"{prep:.2f}",
            f"{prep / before.cpu_ms:.0%}",
            f"{after.hits} / {after.misses}",
        ]
        for name, prep, before, after in (
            ("page", page_prep, before_page, after_page),
            ("lookup", lookup_prep, before_lookup, after_lookup),
        )
    ]
    print(table(["document", "ms", "share of before", "after: hits / misses"], rows))

    answer = after_page.answers[0]
    stdlib, fast = encoding_ms(answer, 20)
    print(f"\n3. Encoding the page's answer ({len(answer) / 1024:.0f} KiB)")
    print(f"   json.dumps {stdlib:.2f} ms, orjson.dumps {fast:.2f} ms ({stdlib / fast:.0f}x)")

    if profile:  # an extra run of pages, so the figures above are not the profiler's
        asyncio.run(measure(False, [page_body], Plan(1, pages, profile)))
        top_functions(profile)
    if not ok:
        print("\nFAILED: an answer had errors or missed people", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
