"""Production defaults: introspection and GraphiQL off unless configured (federation's
``_service`` still served), config errors that never echo a secret or a rejected value, and no
internals (traceback, file, module, exception class, upstream text) in any error answer."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.config import ConfigProblems
from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.cli.estate import DEMO_GATEWAY
from gateway.config_check import run_check
from gateway.settings import parse_settings
from schema.errors import ERROR_CODES
from tests.gateway.inprocess import FakeRegion, app_client, person, settings

NOMS = "A1234BC"
SECRET = "s3cr3t-Pa55word-9f2c"  # stands for any secret or rejected value in a config
UPSTREAM = "ORA-00942 at /srv/upstream/handler.py line 7"  # a connector bug's own text
REGION = {"kind": "CUSTODY", "dialect": "soap-prison", "base_url": "http://127.0.0.1:9/"}


class Exploding(FakeRegion):
    """A region whose connector has a bug: every lookup raises a RuntimeError."""

    async def find_by_identifiers(self, identifiers: Any) -> Any:
        raise RuntimeError(UPSTREAM)


def regions() -> dict[str, FakeRegion]:
    record = person("prison-a", "P1", Identifier(IdentifierKind.NOMS, NOMS))
    return {
        "prison-a": FakeRegion("prison-a", SystemKind.CUSTODY, [record]),
        "prison-b": Exploding("prison-b", SystemKind.CUSTODY, []),
    }


@contextlib.asynccontextmanager
async def client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings(**overrides), regions()) as http:
        yield http


# ---- introspection and GraphiQL -----------------------------------------------------------------
def test_introspection_and_graphiql_are_off_unless_configured() -> None:
    defaults = parse_settings({"regions": {"north": REGION}, "auth": {"mode": "off"}})
    assert (defaults.introspection, defaults.graphiql) == (False, False)
    demo = parse_settings(
        {"gateway": DEMO_GATEWAY, "regions": {"north": REGION}, "auth": {"mode": "off"}}
    )
    assert (demo.introspection, demo.graphiql) == (True, True)  # the demo's config turns them on


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { name } } }",
        '{ __type(name: "Offender") { fields { name } } }',
        "query { regions { name } __schema { queryType { name } } }",
    ],
)
async def test_introspection_is_refused_by_default(query: str) -> None:
    async with client() as http:
        body = (await http.post("/graphql", json={"query": query})).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert body.get("data") is None


async def test_the_graphiql_page_is_not_found_by_default() -> None:
    async with client() as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert page.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "graphiql" not in page.text.lower()
        index = await http.get("/")
        assert 'href="/status"' in index.text and 'href="/graphql"' not in index.text


async def test_federation_s_service_sdl_and_typename_are_served_with_introspection_off() -> None:
    async with client() as http:
        answer = await http.post("/graphql", json={"query": "{ _service { sdl } __typename }"})
        body = answer.json()
        assert "errors" not in body, body
        assert "type Offender" in body["data"]["_service"]["sdl"]
        assert body["data"]["__typename"] == "Query"


async def test_introspection_and_graphiql_can_be_turned_on() -> None:
    async with client(introspection=True, graphiql=True) as http:
        body = await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert "errors" not in body.json()
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "Offender Graph" in page.text


# ---- config errors never echo what they refuse --------------------------------------------------
@pytest.mark.parametrize(
    "document",
    [
        {"gateway": {"id_key": 12345, "max_depth": SECRET}},
        {"gateway": {"id_key": {"env": SECRET.upper(), "file": "x"}}},
        {"cache": {"url": ["redis://:" + SECRET + "@127.0.0.1/0"]}},
        {"cache": {"enabled": SECRET}},
        {"regions": {"north": {**REGION, "base_url": f"ftp://user:{SECRET}@host/"}}},
        {"regions": {"north": {**REGION, "timeout": SECRET}}},
        {"regions": {"north": {**REGION, "auth": {"type": "api_key", "api_key": [SECRET]}}}},
        {"regions": {"north": {**REGION, "auth": SECRET}}},
        {"resilience": {"retries": -1, "backoff_max": SECRET}},
    ],
)
def test_a_settings_error_never_echoes_the_value_it_refuses(document: dict[str, Any]) -> None:
    document = {"regions": {"north": REGION}, "auth": {"mode": "off"}, **document}
    with pytest.raises(ConfigurationError) as failure:
        parse_settings(document)
    problems = failure.value.problems if isinstance(failure.value, ConfigProblems) else []
    text = " ".join([str(failure.value), *problems])
    assert text  # a problem is named
    for leaked in (SECRET, SECRET.upper(), "12345", "ftp://"):
        assert leaked not in text


def test_an_environment_value_of_the_wrong_type_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_GATEWAY__MAX_DEPTH", SECRET)
    monkeypatch.setenv("OFFENDER_GRAPH_CACHE__ENABLED", SECRET)
    with pytest.raises(ConfigProblems) as failure:
        parse_settings({"regions": {"north": REGION}, "auth": {"mode": "off"}})
    assert "OFFENDER_GRAPH_GATEWAY__MAX_DEPTH" in " ".join(failure.value.problems)
    assert SECRET not in " ".join(failure.value.problems)


@pytest.mark.parametrize(
    "toml",
    [
        f'[cache]\nurl = "http://user:{SECRET}@cache.internal/0"\n',  # not a redis URL
        f'[gateway]\nid_key = "{SECRET}"\n',  # not 64 base64 bytes
        f'[gateway]\ncors_origins = "https://ok.example {SECRET}"\n',
        f'[cache]\nurl = "redis://:{SECRET}@127.0.0.1/0"\nenabled = maybe\n',  # not TOML
    ],
)
def test_config_check_never_echoes_a_secret_or_a_rejected_value(tmp_path: Path, toml: str) -> None:
    regions = '[regions.north]\nkind = "CUSTODY"\ndialect = "soap-prison"\n'
    path = tmp_path / "gateway.toml"
    path.write_text(
        '[auth]\nmode = "off"\n' + toml + regions + 'base_url = "http://127.0.0.1:9/"\n'
    )
    code, lines = run_check(path)
    assert code == 1, lines
    output = "\n".join(lines)
    assert SECRET not in output
    assert "user:" not in output and "https://ok.example" not in output


def test_config_check_reads_the_trusted_documents(tmp_path: Path) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(
        json.dumps({"sha256:" + "0" * 64: f"query {{ regions {{ name }} }} # {SECRET}"})
    )
    path = tmp_path / "gateway.toml"
    path.write_text(
        f'[auth]\nmode = "off"\n[gateway]\ntrusted_documents = "{manifest}"\n'
        '[regions.north]\nkind = "CUSTODY"\ndialect = "soap-prison"\n'
        'base_url = "http://127.0.0.1:9/"\n'
    )
    code, lines = run_check(path)
    assert code == 1
    assert any("persisted-documents.json" in line and "SHA-256" in line for line in lines), lines
    assert SECRET not in "\n".join(lines)


# ---- no internals in any error ------------------------------------------------------------------
INTERNALS = (
    "Traceback",
    ".py",
    "Error(",
    "RuntimeError",
    "ValueError",
    "KeyError",
    "TypeError",
    "JSONDecodeError",
    "GraphQLError",
    "HTTPException",
    "Exception",
    "strawberry",
    "starlette",
    "pydantic",
    "ORA-00942",
    "/srv/",
)
MODULE = re.compile(r"\b(gateway|connectors|schema|auth|simulators|graphql)\.[a-z_]")
LOOKUP = "query Lookup($id: String!) { offender(identifier: $id) { name { surname } } }"
JSON = {"content-type": "application/json"}


def bad_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, what, httpx request options) of every kind of bad request."""
    post = "POST"
    return [
        (post, "malformed JSON", {"content": b'{"query": ', "headers": JSON}),
        (post, "not UTF-8", {"content": b'{"query": "\xff"}', "headers": JSON}),
        (post, "deep JSON", {"content": b"[" * 4000 + b"]" * 4000, "headers": JSON}),
        (post, "not an object", {"content": b'"query"', "headers": JSON}),
        (post, "a batch", {"json": [{"query": "{ regions { name } }"}]}),
        (post, "query a number", {"json": {"query": 5}}),
        (post, "variables a string", {"json": {"query": LOOKUP, "variables": "x"}}),
        (post, "operationName a list", {"json": {"query": LOOKUP, "operationName": []}}),
        (post, "extensions a list", {"json": {"query": LOOKUP, "extensions": []}}),
        (post, "wrong content type", {"content": b"{}", "headers": {"content-type": "text/xml"}}),
        (post, "huge", {"json": {"query": "{ regions { name } }" + " " * 10_000}}),
        (post, "syntax error", {"json": {"query": "{ regions { name "}}),
        (post, "unknown field", {"json": {"query": "{ regions { secretColumn } }"}}),
        (post, "unknown operation", {"json": {"query": LOOKUP, "operationName": "Nope"}}),
        (
            post,
            "two operations, no name",
            {"json": {"query": LOOKUP + " query B { regions { name } }"}},
        ),
        (post, "missing variable", {"json": {"query": LOOKUP}}),
        (post, "wrong variable type", {"json": {"query": LOOKUP, "variables": {"id": [1]}}}),
        (post, "bad identifier", {"json": {"query": LOOKUP, "variables": {"id": "no such id!"}}}),
        (post, "too deep", {"json": {"query": "{" + " offender(identifier: 1) {" * 20 + "}" * 21}}),
        (post, "introspection", {"json": {"query": "{ __schema { types { name } } }"}}),
        (
            post,
            "bad page size",
            {"json": {"query": '{ offenders(name: "Smith", first: 0) { totalCount } }'}},
        ),
        (post, "mutation", {"json": {"query": "mutation { x }"}}),
        (post, "unknown document id", {"json": {"documentId": "sha256:" + "0" * 64}}),
        (post, "malformed APQ", {"json": {"extensions": {"persistedQuery": {"version": 9}}}}),
        (
            post,
            "internal error in a connector",
            {"json": {"query": LOOKUP, "variables": {"id": NOMS}}},
        ),
        ("GET", "no query", {"headers": {"accept": "application/json"}}),
        ("GET", "variables not JSON", {"params": {"query": LOOKUP, "variables": "{x"}}),
        ("GET", "a mutation", {"params": {"query": "mutation { x }"}}),
        ("GET", "huge", {"params": {"query": "{ regions { name } }" + " " * 10_000}}),
        ("PUT", "another method", {"json": {"query": "{ regions { name } }"}}),
        ("DELETE", "another method", {}),
    ]


@pytest.mark.parametrize(
    ("method", "what", "options"), bad_requests(), ids=[w for _, w, _ in bad_requests()]
)
async def test_no_error_answer_reveals_internals(
    method: str, what: str, options: dict[str, Any]
) -> None:
    async with client(max_body_bytes=8192) as http:
        answer = await http.request(method, "/graphql", **options)
    assert answer.status_code < 500, (what, answer.status_code, answer.text)
    text = answer.text
    assert "error" in text.lower() or answer.status_code >= 400, (what, text)
    for internal in INTERNALS:
        assert internal not in text, (what, internal, text)
    assert not MODULE.search(text), (what, text)
    assert answer.headers["content-type"].startswith("application/json"), (what, text)
    errors = answer.json()["errors"]
    assert errors, what
    for error in errors:
        assert error["extensions"]["code"] in ERROR_CODES, (what, error)
        assert set(error["extensions"]) <= {"code", "region", "stage", "cost", "maxCost"}


async def test_a_connector_bug_is_internal_error_for_its_region_alone() -> None:
    async with client() as http:
        answer = await http.post("/graphql", json={"query": LOOKUP, "variables": {"id": NOMS}})
    body = answer.json()
    assert body["data"]["offender"] == {"name": {"surname": "Smith"}}
    codes = {(e["extensions"]["code"], e["extensions"].get("region")) for e in body["errors"]}
    assert ("INTERNAL_ERROR", "prison-b") in codes
    assert UPSTREAM not in json.dumps(body)
