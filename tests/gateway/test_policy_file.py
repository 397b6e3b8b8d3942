"""The policy file: the shipped default, validation at start-up naming the key, the engine's
limited-access rule per record, and the audit event's request facts through the real app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.policy import (
    ALL_GROUPS,
    FieldGroup,
    LimitedAccess,
    PersonView,
    Scope,
    Visibility,
    decide,
    load_policy,
    parse_policy,
)
from auth.principal import Principal
from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import AccessLimits, SystemKind
from gateway.app import create_app
from gateway.audit.events import AuditEvent, AuditOutcome
from gateway.runtime import build_runtime
from gateway.settings import PolicySettings, parse_settings
from tests.gateway.inprocess import FakeRegion, person, settings

GOOD_ROLE = {"scope": "global", "field_groups": ["IDENTITY"]}
REGION = {"dialect": "soap-prison", "kind": "CUSTODY", "base_url": "http://127.0.0.1:8101/"}


def config(policy: dict[str, Any]) -> dict[str, Any]:
    return {"regions": {"north": REGION}, "auth": {"mode": "off"}, "policy": policy}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OFFENDER_GRAPH_POLICY variable of the shell running the tests leaks in."""
    monkeypatch.delenv("OFFENDER_GRAPH_POLICY", raising=False)


def test_the_shipped_policy_gives_each_role_its_scope_and_groups() -> None:
    policy = load_policy()
    assert policy.limited_access is LimitedAccess.REDACT
    assert {name: rule.scope for name, rule in policy.roles.items()} == {
        "ROLE_PRISON_USER": Scope.CASELOAD,
        "ROLE_PROBATION_USER": Scope.REGIONS,
        "ROLE_GLOBAL_SEARCH": Scope.GLOBAL,
    }
    assert policy.roles["ROLE_PRISON_USER"].field_groups == ALL_GROUPS
    assert FieldGroup.LOCATION not in policy.roles["ROLE_PROBATION_USER"].field_groups
    assert policy.roles["ROLE_GLOBAL_SEARCH"].field_groups == {
        FieldGroup.IDENTITY,
        FieldGroup.LOCATION,
    }


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (
            {"roles": {"R": {"scope": "global", "field_groups": ["ADDRESS"]}}},
            "roles.R.field_groups",
        ),
        ({"roles": {"R": {"scope": "everywhere", "field_groups": ["RISK"]}}}, "roles.R.scope"),
        ({"roles": {"R": {"scope": "global", "field_groups": []}}}, "roles.R.field_groups"),
        ({"roles": {"R": {**GOOD_ROLE, "write": True}}}, "roles.R.write"),
        ({"roles": {"R": "global"}}, "roles.R must be a table"),
        ({"roles": [], "limited_access": "redact"}, "roles must be a table"),
        ({"limited_access": "blur"}, "limited_access"),
        ({"role": {}}, "role is not a known key"),
    ],
)
def test_a_wrong_policy_is_refused_naming_the_key(document: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_policy(document, "policy.file")
    assert named in str(refused.value)
    assert "ADDRESS" not in str(refused.value) and "everywhere" not in str(refused.value)


def test_the_policy_file_setting_is_read_at_start_up(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text(
        'limited_access = "hide"\n[roles.AUDITOR]\nscope = "global"\nfield_groups = ["IDENTITY"]\n',
        encoding="utf-8",
    )
    parsed = parse_settings(config({"file": str(file)}))
    assert parsed.policy == PolicySettings(file=str(file))
    runtime = build_runtime(settings(policy=parsed.policy), {})
    assert runtime.policy.limited_access is LimitedAccess.HIDE
    assert set(runtime.policy.roles) == {"AUDITOR"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (None, "policy.file cannot be read"),
        ("roles = [", "policy.file is not valid TOML"),
        ('[roles.X]\nscope = "caseload"\nfield_groups = ["HEALTH"]\n', "roles.X.field_groups"),
    ],
)
def test_a_wrong_policy_file_stops_start_up(tmp_path: Path, text: str | None, named: str) -> None:
    file = tmp_path / "policy.toml"
    if text is not None:
        file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=named):
        build_runtime(settings(policy=PolicySettings(file=str(file))), {})


def test_an_unknown_policy_setting_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"policy\.path is not a known setting"):
        parse_settings(config({"path": "x.toml"}))


def test_each_records_limits_hold_on_their_own() -> None:
    """One record restricts the case to alice, another excludes her: she is kept out, and a
    user on neither list is kept out by the restriction."""
    policy = parse_policy({"roles": {"R": GOOD_ROLE}})
    view = PersonView(
        limits=(
            AccessLimits(restricted_to=frozenset({"alice"})),
            AccessLimits(frozenset({"alice"})),
        )
    )
    for subject in ("alice", "bob"):
        who = Principal(subject, "c", roles=frozenset({"R"}))
        assert decide(policy, who, view).visibility is Visibility.REDACTED
    only_restricted = PersonView(limits=(AccessLimits(restricted_to=frozenset({"alice"})),))
    alice = Principal("alice", "c", roles=frozenset({"R"}))
    assert decide(policy, alice, only_restricted).field_groups == {FieldGroup.IDENTITY}
    assert decide(policy, Principal.development(), view).field_groups == ALL_GROUPS


class Collect:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


async def test_an_audit_event_carries_the_requests_correlation_id_and_operation() -> None:
    noms = Identifier(IdentifierKind.NOMS, "A1234BC")
    region = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", noms)])
    app = create_app(settings(), connectors={"prison": region})
    query = 'query WhoIsIt { offender(identifier: "A1234BC") { id name { surname } } }'
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as http,
    ):
        sink = Collect()
        app.state.runtime.audit = sink
        answer = await http.post(
            "/graphql",
            json={"query": query, "operationName": "WhoIsIt"},
            headers={"x-correlation-id": "corr-42"},
        )
    assert answer.status_code == 200 and answer.json()["data"]["offender"]["name"]
    (event,) = sink.events
    assert (event.correlation_id, event.operation) == ("corr-42", "WhoIsIt")
    assert event.outcome is AuditOutcome.SHOWN and event.field_groups == ("IDENTITY",)
    assert event.person_id == answer.json()["data"]["offender"]["id"]
