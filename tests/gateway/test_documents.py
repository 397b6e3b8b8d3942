"""Documents prepared once: a document is parsed and validated on its first request only (its
cost planned once per operation), distinct documents are kept apart, the cache's bound holds,
syntax and validation errors keep their codes from the cache, trusted documents never reach the
parser or the validator, and ``document_cache_size = 0`` prepares every request again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import DocumentNode, GraphQLError, parse

from connectors.config import ConfigProblems
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.documents import DocumentCache
from gateway.settings import parse_settings
from gateway.trusted_documents import TrustedDocuments, sha256_hex
from schema.build import GatewaySchema, build_schema
from schema.cost import Weigher
from tests.gateway.inprocess import FakeRegion, Gateway, app_client, person, settings

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
REGIONS = "query Regions { regions { name } }"
KINDS = "query Kinds { regions { kind } }"
LOOKUP = "query Lookup($id: String!) { offender(identifier: $id) { name { surname } } }"
PAGE = (
    'query Page($first: Int) { offenders(name: "Smith", first: $first) { edges { node { id } } } }'
)


class Counts:
    """How often graphql's parser and strawberry's validation ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.validated = 0
        import gateway.documents
        import schema.prepared

        real_validate = schema.prepared.validate_document

        def counting_parse(source: str, **options: Any) -> DocumentNode:
            self.parsed.append(source)
            return parse(source, **options)

        def counting_validate(*args: Any, **kwargs: Any) -> list[GraphQLError]:
            self.validated += 1
            return real_validate(*args, **kwargs)

        monkeypatch.setattr(gateway.documents, "parse", counting_parse)
        monkeypatch.setattr(schema.prepared, "validate_document", counting_validate)


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counts:
    return Counts(monkeypatch)


def fake_regions() -> list[FakeRegion]:
    return [FakeRegion("prison-a", SystemKind.CUSTODY, [person("prison-a", "P1", NOMS)])]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield Gateway(fake_regions())


def documents_of(gateway: Gateway) -> DocumentCache:
    assert isinstance(gateway.schema, GatewaySchema)
    return gateway.schema.documents


async def test_the_second_identical_request_is_neither_parsed_nor_validated_again(
    gateway: Gateway, counts: Counts
) -> None:
    answers = [await gateway.execute(LOOKUP, id=NOMS.value) for _ in range(3)]
    assert answers == [({"offender": {"name": {"surname": "Smith"}}}, [])] * 3
    assert counts.parsed == [LOOKUP]
    assert counts.validated == 1
    documents = documents_of(gateway)
    assert (documents.misses, documents.hits, len(documents)) == (1, 2, 1)


async def test_different_documents_are_kept_apart(gateway: Gateway, counts: Counts) -> None:
    for _ in range(2):
        names, _ = await gateway.execute(REGIONS)
        kinds, _ = await gateway.execute(KINDS)
        assert names == {"regions": [{"name": "prison-a"}]}
        assert kinds == {"regions": [{"kind": "CUSTODY"}]}
    assert counts.parsed == [REGIONS, KINDS]
    assert counts.validated == 2
    assert len(documents_of(gateway)) == 2


def test_the_bound_holds_and_the_least_recently_used_goes_first(counts: Counts) -> None:
    documents = DocumentCache(2)
    first, second, third = (f"{{ a{n} }}" for n in range(3))
    documents.prepare(first)
    documents.prepare(second)
    documents.prepare(first)  # now the most recent: the second is the one to go
    documents.prepare(third)
    assert len(documents) == 2
    documents.prepare(first)
    documents.prepare(third)
    assert counts.parsed == [first, second, third]  # both still kept
    documents.prepare(second)
    assert counts.parsed == [first, second, third, second]  # it had been evicted
    assert len(documents) == 2


def test_a_document_is_kept_under_the_sha256_of_its_text() -> None:
    documents = DocumentCache(10)
    prepared = documents.prepare(REGIONS)
    assert documents.prepare("".join(REGIONS)) is prepared  # another string, the same text
    assert documents.prepare(REGIONS + " ") is not prepared


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ regions { name ", "GRAPHQL_PARSE_FAILED"),
        ("{ regions { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ regions { " + "name " * 60 + "} }", "QUERY_TOO_COSTLY"),  # over the token cap
    ],
    ids=["syntax", "validation", "tokens"],
)
async def test_errors_keep_their_codes_when_the_document_comes_from_the_cache(
    query: str, code: str, counts: Counts
) -> None:
    gateway = Gateway(fake_regions())
    gateway.schema = build_schema(regions=1, max_tokens=50)
    answers = [await gateway.execute(query) for _ in range(3)]
    first_data, first_errors = answers[0]
    assert first_data is None
    assert [e["extensions"]["code"] for e in first_errors] == [code]
    assert answers == [answers[0]] * 3
    assert counts.parsed == [query]  # a document that failed is not parsed by us again
    assert counts.validated == (1 if code == "GRAPHQL_VALIDATION_FAILED" else 0)


async def test_the_cost_is_planned_once_and_weighed_with_each_requests_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned: list[str | None] = []
    real_plan = Weigher.plan

    def counting_plan(self: Weigher, node: Any) -> Any:
        planned.append(node.name.value if node.name else None)
        return real_plan(self, node)

    monkeypatch.setattr(Weigher, "plan", counting_plan)
    gateway = Gateway(fake_regions())
    gateway.schema = build_schema(regions=1, max_cost=50)
    small, errors = await gateway.execute(PAGE, first=10)  # 1 + 10 x 1
    assert errors == [] and small is not None
    _, errors = await gateway.execute(PAGE, first=60)  # 1 + 60 x 1 = 61
    assert [(e["extensions"]["code"], e["extensions"]["cost"]) for e in errors] == [
        ("QUERY_TOO_COSTLY", 61)
    ]
    _, errors = await gateway.execute(PAGE, first=49)
    assert errors == []
    assert planned == ["Page"]


def trusted(tmp_path: Path, *texts: str) -> TrustedDocuments:
    path = tmp_path / "persisted-documents.json"
    path.write_bytes(orjson.dumps({f"sha256:{sha256_hex(t)}": t for t in texts}))
    return TrustedDocuments.load(path, adhoc=True)


async def test_trusted_documents_skip_the_parser_and_the_validator(
    tmp_path: Path, counts: Counts
) -> None:
    manifest = trusted(tmp_path, REGIONS)
    assert counts.parsed == []  # the manifest parses with graphql's own parser
    gateway = Gateway(fake_regions())
    gateway.schema = build_schema(regions=1, prepared=manifest.parsed, document_cache_size=1)
    assert counts.validated == 1  # when the schema is built
    for adhoc in (KINDS, "{ regions { name kind } }", KINDS):  # a cache of 1, flooded
        await gateway.execute(adhoc)
    answer = await gateway.execute(REGIONS)
    assert answer == ({"regions": [{"name": "prison-a"}]}, [])
    assert REGIONS not in counts.parsed
    assert counts.validated == 1 + 3  # each ad-hoc one, as the cache of 1 lost it; never REGIONS


async def test_a_cache_size_of_zero_prepares_every_request_again(counts: Counts) -> None:
    gateway = Gateway(fake_regions())
    gateway.schema = build_schema(regions=1, document_cache_size=0)
    for _ in range(3):
        assert await gateway.execute(REGIONS) == ({"regions": [{"name": "prison-a"}]}, [])
    assert counts.parsed == [REGIONS] * 3
    assert counts.validated == 3
    assert len(documents_of(gateway)) == 0


async def test_the_app_keeps_its_documents_and_answers_json_written_by_orjson(
    counts: Counts,
) -> None:
    options = settings(document_cache_size=5)
    async with app_client(options, {r.region: r for r in fake_regions()}) as http:
        responses = [
            await http.post("/graphql", json={"query": LOOKUP, "variables": {"id": NOMS.value}})
            for _ in range(2)
        ]
        # the guard's json takes NaN, orjson does not: strawberry's 400, coded
        body = b'{"query": "{ regions { name } }", "variables": {"n": NaN}}'
        bad = await http.post("/graphql", content=body, headers=JSON)
    for response in responses:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == orjson.dumps(
            {"data": {"offender": {"name": {"surname": "Smith"}}}}
        )
    assert counts.parsed == [LOOKUP]
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


JSON = {"content-type": "application/json"}


def test_document_cache_size_is_a_setting_that_may_be_zero() -> None:
    region = {"dialect": "soap-prison", "kind": "CUSTODY", "base_url": "http://127.0.0.1:8101/"}

    def read(size: object) -> int:
        document = {"gateway": {"document_cache_size": size}, "regions": {"north": region}}
        return parse_settings({**document, "auth": {"mode": "off"}}).document_cache_size

    assert read(0) == 0
    assert read(250) == 250
    with pytest.raises(ConfigProblems, match="document_cache_size must be zero or more"):
        read(-1)


def test_the_default_app_settings_keep_a_thousand_documents() -> None:
    assert settings().document_cache_size == 1000
