"""Trusted documents: by ``documentId`` and by APQ hash, over POST and GET; ad-hoc documents
refused in production mode and allowed otherwise; both manifest formats; a bad manifest stops
the start-up, naming the file and not its content."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.app import create_app
from gateway.trusted_documents import (
    TrustedDocuments,
    document_key,
    load_trusted_documents,
    sha256_hex,
)
from schema.build import build_schema
from schema.errors import ERROR_CODES
from tests.gateway.inprocess import FakeRegion, app_client, person, settings

REGIONS = "query Regions { regions { name } }"
LOOKUP = "query Lookup($id: String!) { offender(identifier: $id) { identifiers { nomsNumber } } }"
ADHOC = "{ regions { kind } }"
NOMS = "A1234BC"


def regions() -> dict[str, FakeRegion]:
    record = person("prison-a", "P1", Identifier(IdentifierKind.NOMS, NOMS))
    return {"prison-a": FakeRegion("prison-a", SystemKind.CUSTODY, [record])}


def codegen_manifest(path: Path, *documents: str) -> Path:
    """graphql-codegen's client preset: ``{"sha256:<hex>": document}``."""
    path.write_text(json.dumps({f"sha256:{sha256_hex(d)}": d for d in documents}), "utf-8")
    return path


def apollo_manifest(path: Path, operations: list[dict[str, Any]]) -> Path:
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest), "utf-8")
    return path


@contextlib.asynccontextmanager
async def client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings(**overrides), regions()) as http:
        yield http


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    message: str = error["message"]
    return message


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return codegen_manifest(tmp_path / "persisted-documents.json", REGIONS, LOOKUP)


def test_the_codes_are_documented_error_codes() -> None:
    for code in ("PERSISTED_QUERY_REQUIRED", "PERSISTED_QUERY_NOT_FOUND"):
        assert code in ERROR_CODES
    assert "PERSISTED_QUERY_HASH_MISMATCH" in ERROR_CODES


# ---- trusted documents only (production) --------------------------------------------------------
async def test_a_registered_document_runs_by_document_id(manifest: Path) -> None:
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        answer = await http.post(
            "/graphql",
            json={"documentId": f"sha256:{sha256_hex(LOOKUP)}", "variables": {"id": NOMS}},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"offender": {"identifiers": {"nomsNumber": NOMS}}}}
        bare = await http.post("/graphql", json={"documentId": sha256_hex(REGIONS)})
        assert bare.json() == {"data": {"regions": [{"name": "prison-a"}]}}


async def test_a_registered_document_runs_by_apq_hash_with_or_without_its_text(
    manifest: Path,
) -> None:
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(REGIONS)}}
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        alone = await http.post("/graphql", json={"extensions": persisted})
        assert alone.json() == {"data": {"regions": [{"name": "prison-a"}]}}
        both = await http.post("/graphql", json={"query": REGIONS, "extensions": persisted})
        assert both.json() == {"data": {"regions": [{"name": "prison-a"}]}}


async def test_a_registered_document_runs_over_get(manifest: Path) -> None:
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        by_id = await http.get(
            "/graphql",
            params={"documentId": f"sha256:{sha256_hex(LOOKUP)}", "variables": '{"id": "A1234BC"}'},
            headers={"accept": "text/html,application/json"},  # a browser's: not the IDE page
        )
        assert by_id.status_code == 200, by_id.text
        assert by_id.json()["data"]["offender"]["identifiers"]["nomsNumber"] == NOMS
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(REGIONS)}}
        by_hash = await http.get("/graphql", params={"extensions": json.dumps(extensions)})
        assert by_hash.json() == {"data": {"regions": [{"name": "prison-a"}]}}


async def test_an_adhoc_document_is_refused_with_its_code(manifest: Path) -> None:
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        post = await http.post("/graphql", json={"query": ADHOC})
        refused(post, 400, "PERSISTED_QUERY_REQUIRED")
        get = await http.get("/graphql", params={"query": ADHOC})
        refused(get, 400, "PERSISTED_QUERY_REQUIRED")
        # a registered document's text sent alone is still ad hoc: the id is what is trusted
        same_text = await http.post("/graphql", json={"query": REGIONS})
        refused(same_text, 400, "PERSISTED_QUERY_REQUIRED")


async def test_an_unknown_id_is_not_found_and_not_echoed(manifest: Path) -> None:
    unknown = sha256_hex(ADHOC)
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        by_id = await http.post("/graphql", json={"documentId": f"sha256:{unknown}"})
        assert refused(by_id, 404, "PERSISTED_QUERY_NOT_FOUND") == "PersistedQueryNotFound"
        assert unknown not in by_id.text
        apq = {"persistedQuery": {"version": 1, "sha256Hash": unknown}}
        by_hash = await http.post("/graphql", json={"extensions": apq})
        refused(by_hash, 404, "PERSISTED_QUERY_NOT_FOUND")
        # APQ's second step (hash and text) does not register anything in this mode
        both = await http.post("/graphql", json={"query": ADHOC, "extensions": apq})
        refused(both, 404, "PERSISTED_QUERY_NOT_FOUND")
        custom = await http.post("/graphql", json={"documentId": "my-app/Regions"})
        refused(custom, 404, "PERSISTED_QUERY_NOT_FOUND")


async def test_a_hash_that_is_not_the_text_s_is_a_mismatch(manifest: Path) -> None:
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(REGIONS)}}
    for adhoc in (False, True):
        async with client(trusted_documents=str(manifest), adhoc_documents=adhoc) as http:
            answer = await http.post("/graphql", json={"query": ADHOC, "extensions": apq})
            refused(answer, 400, "PERSISTED_QUERY_HASH_MISMATCH")
            by_id = await http.post(
                "/graphql", json={"query": ADHOC, "documentId": f"sha256:{sha256_hex(REGIONS)}"}
            )
            refused(by_id, 400, "PERSISTED_QUERY_HASH_MISMATCH")


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": 7},
        {"documentId": ""},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "not a hash"}}},
        {"extensions": {"persistedQuery": "yes"}},
    ],
)
async def test_a_malformed_reference_is_a_bad_request(manifest: Path, body: dict[str, Any]) -> None:
    async with client(trusted_documents=str(manifest), adhoc_documents=False) as http:
        answer = await http.post("/graphql", json=body)
        refused(answer, 400, "BAD_REQUEST")


# ---- ad-hoc documents allowed (the default) -----------------------------------------------------
async def test_with_adhoc_documents_allowed_both_kinds_run(manifest: Path) -> None:
    async with client(trusted_documents=str(manifest)) as http:
        adhoc = await http.post("/graphql", json={"query": ADHOC})
        assert adhoc.json() == {"data": {"regions": [{"kind": "CUSTODY"}]}}
        trusted = await http.post("/graphql", json={"documentId": sha256_hex(REGIONS)})
        assert trusted.json() == {"data": {"regions": [{"name": "prison-a"}]}}
        apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(ADHOC)}}
        retried = await http.post("/graphql", json={"query": ADHOC, "extensions": apq})
        assert retried.json() == {"data": {"regions": [{"kind": "CUSTODY"}]}}
        alone = await http.post("/graphql", json={"extensions": apq})
        refused(alone, 404, "PERSISTED_QUERY_NOT_FOUND")  # an APQ client resends with the text


async def test_without_a_manifest_adhoc_documents_run() -> None:
    async with client() as http:
        answer = await http.post("/graphql", json={"query": ADHOC})
        assert answer.json() == {"data": {"regions": [{"kind": "CUSTODY"}]}}


def test_refusing_adhoc_documents_needs_a_manifest() -> None:
    with pytest.raises(ConfigurationError, match=r"needs gateway\.trusted_documents"):
        create_app(settings(adhoc_documents=False), connectors=regions())


# ---- manifests ----------------------------------------------------------------------------------
def test_both_manifest_formats_load(tmp_path: Path) -> None:
    codegen = TrustedDocuments.load(
        codegen_manifest(tmp_path / "codegen.json", REGIONS), adhoc=False
    )
    operations = [
        {"id": sha256_hex(REGIONS), "name": "Regions", "type": "query", "body": REGIONS},
        {"id": "lookup-v1", "name": "Lookup", "type": "query", "body": LOOKUP},  # a custom id
    ]
    apollo = TrustedDocuments.load(
        apollo_manifest(tmp_path / "apollo.json", operations), adhoc=True
    )
    assert codegen.documents == {sha256_hex(REGIONS): REGIONS}
    assert apollo.documents == {sha256_hex(REGIONS): REGIONS, "lookup-v1": LOOKUP}
    assert apollo.resolve(None, "lookup-v1", None) == LOOKUP
    assert apollo.resolve(None, f"sha256:{sha256_hex(REGIONS).upper()}", None) == REGIONS
    assert set(apollo.parsed) == {REGIONS, LOOKUP}


def test_ids_are_normalised() -> None:
    digest = sha256_hex(REGIONS)
    assert document_key(f"sha256:{digest.upper()}") == (digest, True)
    assert document_key(digest) == (digest, True)
    assert document_key("my-app/Regions") == ("my-app/Regions", False)


SECRET_LOOKING = "query Leak { regions { name } } # s3cr3t-content"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        (json.dumps({"sha256:" + "0" * 64: SECRET_LOOKING}), "entry 1: the id is not the SHA-256"),
        (json.dumps({"x": "query { s3cr3t-content"}), "entry 1: the document is not valid GraphQL"),
        (json.dumps({"x": 5}), "entry 1: the document must be a string"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}), "version 1"),
        (
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [{"id": "", "body": SECRET_LOOKING}],
                }
            ),
            "entry 1: the id must be a non-empty string",
        ),
    ],
)
def test_a_malformed_manifest_fails_at_start_up_naming_the_file_not_its_content(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "persisted-documents.json"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigurationError) as failure:
        create_app(settings(trusted_documents=str(path)), connectors=regions())
    message = str(failure.value)
    assert "persisted-documents.json" in message and fragment in message
    assert "s3cr3t" not in message and "{ regions" not in message and "Leak" not in message


def test_a_missing_manifest_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"absent\.json\): the file cannot be read"):
        load_trusted_documents(str(tmp_path / "absent.json"), adhoc=True)


# ---- prepared once ------------------------------------------------------------------------------
async def test_a_trusted_document_is_parsed_once_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted = TrustedDocuments.load(codegen_manifest(tmp_path / "m.json", REGIONS), adhoc=True)
    schema = build_schema(regions=1, prepared=trusted.parsed)
    parsed: list[str] = []

    def counting_parse(source: str, **options: Any) -> Any:
        parsed.append(source)
        return parse(source, **options)

    monkeypatch.setattr("gateway.documents.parse", counting_parse)
    for _ in range(3):
        result = await schema.execute(REGIONS)
        assert result.errors and result.errors[0].path == ["regions"]  # no context: it ran
    await schema.execute(ADHOC)
    assert parsed == [ADHOC]  # the trusted document never reached the parser
