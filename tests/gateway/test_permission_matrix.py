"""The permission matrix: every role, scope and limited-access combination over a fixed set of
people, asserting exactly which fields come back (zero leaks, zero over-redactions).

The expected answer is computed here, from a restatement of the shipped policy (``ROLES``) and
of the field groups (``FIELDS``), never from ``auth.policy``: each person's unrestricted answer,
with the fields of groups the user may not see emptied. Lookups, ``node``, ``_entities`` and
every page of a search are compared field by field; the audit events are checked too.
"""

from __future__ import annotations

import base64
import dataclasses
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import pytest

from auth.policy import parse_policy
from auth.principal import Principal
from connectors.base import Capability
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import AccessLimits, Movement, PersonName, PersonRecord, SystemKind
from gateway.audit.events import AuditEvent, AuditOutcome
from tests.gateway.inprocess import FakeRegion, Gateway, alert, booking, licence, manager

ALL = frozenset({"IDENTITY", "LOCATION", "SENTENCE", "RISK", "MANAGER"})
# The shipped policy (auth/default_policy.toml), restated: role → (scope, field groups).
ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "ROLE_PRISON_USER": ("caseload", ALL),
    "ROLE_PROBATION_USER": ("regions", ALL - {"LOCATION"}),
    "ROLE_GLOBAL_SEARCH": ("global", frozenset({"IDENTITY", "LOCATION"})),
}
# Every Offender field but id and restricted, with its group (README "Roles, scopes ...").
FIELDS: dict[str, str] = {
    "identifiers": "IDENTITY",
    "name": "IDENTITY",
    "aliases": "IDENTITY",
    "dateOfBirth": "IDENTITY",
    "records": "IDENTITY",
    "sources": "IDENTITY",
    "custody": "LOCATION",
    "timeline": "LOCATION",
    "status": "SENTENCE",
    "supervision": "SENTENCE",
    "alerts": "RISK",
    "offenderManager": "MANAGER",
}
LISTS = {"aliases", "records", "sources", "custody", "timeline", "supervision", "alerts"}
SELECTION = """
    id restricted
    identifiers { nomsNumber crn pncNumber croNumber }
    name { forename surname } aliases { forename surname } dateOfBirth
    records { region localId } sources { region outcome }
    custody { prisonId active } timeline { type location }
    status supervision { probationRegion active }
    alerts { code } offenderManager { staffCode }
"""


@dataclass(frozen=True)
class Case:
    """One person of the fixed set: where they are held and supervised, and their lists."""

    forename: str  # sets the search order (every surname is Smith)
    prison: str | None = None  # prison of a booking
    active: bool = True  # whether that booking is active
    region: str | None = None  # probation region code of a supervision
    excluded: frozenset[str] = frozenset()
    restricted_to: frozenset[str] = frozenset()


CASES = [
    Case("Ada", prison="MDI"),
    Case("Ben", prison="LEI"),
    Case("Cal", prison="MDI", active=False),  # released: out of every caseload
    Case("Dee", region="N07"),
    Case("Eve", region="N50"),
    Case("Fay", prison="MDI", region="N07"),
    Case("Gus", prison="LEI", region="N07", excluded=frozenset({"alice"})),
    Case("Hal", prison="MDI", region="N50", restricted_to=frozenset({"alice"})),
    Case("Ivy", prison="MDI", region="N07", restricted_to=frozenset({"carol"})),
    Case("Jon", region="N07", excluded=frozenset({"bob"})),
]
ROLE_SETS = {
    "prison": {"ROLE_PRISON_USER"},
    "probation": {"ROLE_PROBATION_USER"},
    "global": {"ROLE_GLOBAL_SEARCH"},
    "prison+global": {"ROLE_PRISON_USER", "ROLE_GLOBAL_SEARCH"},
    "prison+probation": {"ROLE_PRISON_USER", "ROLE_PROBATION_USER"},
    "operator": {"OPERATOR"},
    "none": set(),
}
SUBJECTS = ("alice", "bob")
MODES = ("redact", "hide")
COMBINATIONS = [(r, s, m) for r in ROLE_SETS for s in SUBJECTS for m in MODES]


def noms(i: int) -> Identifier:
    return Identifier(IdentifierKind.NOMS, f"A{1000 + i}AA")


def crn(i: int) -> Identifier:
    return Identifier(IdentifierKind.CRN, f"X{100000 + i}")


def estate() -> list[FakeRegion]:
    """A prison system and a probation system holding the cases; linked by NOMS number."""
    prison_records, bookings, movements = [], [], []
    probation_records, supervision, managers, alerts = [], [], [], []
    for i, case in enumerate(CASES):
        name = PersonName(case.forename, "Smith")
        born = date(1980, 1, 1)
        if case.prison:
            local = noms(i).value
            prison_records.append(PersonRecord("prison", local, (noms(i),), name, born))
            start = date(2024, 1, 1)
            bookings.append(booking("prison", local, start, case.active, prison=case.prison))
            movements.append(
                Movement("prison", local, start, "ADMISSION", None, case.prison, "Admitted")
            )
            alerts.append(dataclasses.replace(alert("prison", local, "XEL", True), region="prison"))
        if case.region:
            local = crn(i).value
            ids = (crn(i), noms(i)) if case.prison else (crn(i),)
            access = AccessLimits(case.excluded, case.restricted_to)
            probation_records.append(
                PersonRecord("probation", local, ids, name, born, access=access)
            )
            episode = licence("probation", local, date(2025, 1, 1), True)
            supervision.append(dataclasses.replace(episode, probation_region=case.region))
            managers.append(manager("probation", local, f"S{i}", date(2025, 1, 2)))
            alerts.append(alert("probation", local, "HIGH", True))
    prison = FakeRegion(
        "prison",
        SystemKind.CUSTODY,
        prison_records,
        {
            Capability.CUSTODY_FOR: bookings,
            Capability.MOVEMENTS_FOR: movements,
            Capability.ALERTS_FOR: [a for a in alerts if a.region == "prison"],
        },
    )
    probation = FakeRegion(
        "probation",
        SystemKind.PROBATION,
        probation_records,
        {
            Capability.SUPERVISION_FOR: supervision,
            Capability.MANAGERS_FOR: managers,
            Capability.ALERTS_FOR: [a for a in alerts if a.region == "probation"],
        },
    )
    return [prison, probation]


def identifier(i: int) -> str:
    case = CASES[i]
    return noms(i).value if case.prison else crn(i).value


def principal(roles: str, subject: str) -> Principal:
    return Principal(
        subject,
        "matrix-client",
        roles=frozenset(ROLE_SETS[roles]),
        prisons=frozenset({"MDI"}),
        probation_regions=frozenset({"N07"}),
    )


def expected(who: Principal, case: Case, mode: str) -> str | frozenset[str]:
    """HIDDEN, REDACTED, or the field groups shown, from the restated policy."""
    groups: set[str] = set()
    for role in who.roles:
        if role not in ROLES:
            continue
        scope, granted = ROLES[role]
        reaches = {
            "global": True,
            "caseload": case.active and case.prison in who.prisons,
            "regions": case.region in who.probation_regions,
        }[scope]
        if reaches:
            groups |= granted
    if not groups:
        return "HIDDEN"
    kept_out = who.subject in case.excluded or (
        bool(case.restricted_to) and who.subject not in case.restricted_to
    )
    if kept_out:
        return "REDACTED" if mode == "redact" else "HIDDEN"
    return frozenset(groups)


def masked(full: dict[str, Any], outcome: str | frozenset[str]) -> dict[str, Any] | None:
    """The answer a user with this outcome must get: the unrestricted one, masked."""
    if outcome == "HIDDEN":
        return None
    groups = frozenset() if outcome == "REDACTED" else outcome
    answer = {"id": full["id"], "restricted": outcome == "REDACTED"}
    for field, group in FIELDS.items():
        empty: Any = [] if field in LISTS else None
        answer[field] = full[field] if group in groups else empty
    return answer


class Collect:
    """An audit sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


ID_KEY = base64.b64encode(bytes(range(64))).decode()  # one key: every gateway mints the same ids


def gateway(mode: str) -> tuple[Gateway, Collect]:
    gw = Gateway(estate(), id_key=ID_KEY)
    gw.runtime.index = None  # answers compared across gateways and paths: every lookup walks
    text = resources.files("auth").joinpath("default_policy.toml").read_text("utf-8")
    document = tomllib.loads(text)
    document["limited_access"] = mode
    gw.runtime.policy = parse_policy(document)
    sink = Collect()
    gw.runtime.audit = sink
    return gw, sink


async def run(gw: Gateway, who: Principal, query: str, **variables: Any) -> dict[str, Any]:
    result = await gw.schema.execute(
        query, variable_values=variables, context_value=gw.runtime.context(who)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


LOOKUPS = (
    "query {"
    + "".join(
        f' p{i}: offender(identifier: "{identifier(i)}") {{ {SELECTION} }}'
        for i in range(len(CASES))
    )
    + " }"
)


@pytest.fixture(scope="module")
async def unrestricted() -> list[dict[str, Any]]:
    """Every person's whole answer, as the unrestricted development principal sees it."""
    gw, _ = gateway("redact")
    data = await run(gw, Principal.development(), LOOKUPS)
    people = [data[f"p{i}"] for i in range(len(CASES))]
    assert all(p is not None and p["restricted"] is False for p in people)
    assert all(p["custody"] or p["supervision"] for p in people)  # the data is there to leak
    return people


def test_the_matrix_covers_every_outcome() -> None:
    outcomes = {
        str(expected(principal(r, s), case, m))
        if isinstance(expected(principal(r, s), case, m), str)
        else "SHOWN"
        for r, s, m in COMBINATIONS
        for case in CASES
    }
    assert outcomes == {"HIDDEN", "REDACTED", "SHOWN"}
    assert len(COMBINATIONS) * len(CASES) == 280


@pytest.mark.parametrize(("roles", "subject", "mode"), COMBINATIONS)
async def test_lookup_returns_exactly_the_allowed_fields_and_audits_each_person(
    roles: str, subject: str, mode: str, unrestricted: list[dict[str, Any]]
) -> None:
    gw, sink = gateway(mode)
    who = principal(roles, subject)
    data = await run(gw, who, LOOKUPS)
    for i, case in enumerate(CASES):
        outcome = expected(who, case, mode)
        assert data[f"p{i}"] == masked(unrestricted[i], outcome), (case.forename, outcome)
    assert len(sink.events) == len(CASES)  # once per person per request
    by_id = {e.person_id: e for e in sink.events}
    for i, case in enumerate(CASES):
        outcome = expected(who, case, mode)
        event = by_id[unrestricted[i]["id"]]  # a hidden person's real id is recorded
        assert (event.subject, event.client) == (subject, "matrix-client")
        if outcome == "HIDDEN":
            assert (event.outcome, event.field_groups) == (AuditOutcome.NOT_FOUND, ())
        elif outcome == "REDACTED":
            assert (event.outcome, event.field_groups) == (AuditOutcome.REDACTED, ())
        else:
            assert event.outcome is AuditOutcome.SHOWN
            assert event.field_groups == tuple(sorted(outcome))
        ids = [noms(i)] if case.prison else []
        ids += [crn(i)] if case.region else []
        assert sorted(event.person_keys) == sorted(gw.runtime.ids.digest(x) for x in ids)


PAGE = (
    'query($after: String) { offenders(name: "Smith", first: 3, after: $after) {'
    " totalCount pageInfo { hasNextPage endCursor } edges { cursor node { " + SELECTION + " } } } }"
)


@pytest.mark.parametrize(("roles", "subject", "mode"), COMBINATIONS)
async def test_search_pages_totals_and_cursors_see_only_visible_people_each_once(
    roles: str, subject: str, mode: str, unrestricted: list[dict[str, Any]]
) -> None:
    gw, sink = gateway(mode)
    who = principal(roles, subject)
    visible = [
        masked(unrestricted[i], expected(who, c, mode))
        for i, c in enumerate(CASES)
        if expected(who, c, mode) != "HIDDEN"
    ]
    nodes: list[dict[str, Any]] = []
    after = None
    requests = 0
    for _ in range(len(CASES) + 1):
        page = (await run(gw, who, PAGE, after=after))["offenders"]
        requests += 1
        assert page["totalCount"] == len(visible)
        nodes += [edge["node"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert nodes == visible  # in name order, each once, every field as allowed
    shown = [e for e in sink.events if e.outcome is not AuditOutcome.NOT_FOUND]
    assert sorted(e.person_id for e in shown) == sorted(n["id"] for n in visible)
    assert {e.outcome for e in shown} <= {AuditOutcome.SHOWN, AuditOutcome.REDACTED}
    # each person a page request resolved but the user may not see: NOT_FOUND, no field groups
    hidden = [
        unrestricted[i]["id"] for i, c in enumerate(CASES) if expected(who, c, mode) == "HIDDEN"
    ]
    not_found = [e for e in sink.events if e.outcome is AuditOutcome.NOT_FOUND]
    assert sorted(e.person_id for e in not_found) == sorted(hidden * requests)
    assert all(e.field_groups == () for e in not_found)


NODES = (
    "query {"
    + "".join(
        f' n{i}: node(id: "ID{i}") {{ ... on Offender {{ {SELECTION} }} }}'
        for i in range(len(CASES))
    )
    + " }"
)
ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Offender { "
    + SELECTION
    + " } } }"
)


@pytest.mark.parametrize(("roles", "subject", "mode"), COMBINATIONS)
async def test_node_and_entities_follow_the_same_rules(
    roles: str, subject: str, mode: str, unrestricted: list[dict[str, Any]]
) -> None:
    gw, sink = gateway(mode)
    who = principal(roles, subject)
    want = [masked(unrestricted[i], expected(who, c, mode)) for i, c in enumerate(CASES)]
    query = NODES
    for i, person in enumerate(unrestricted):
        query = query.replace(f'"ID{i}"', f'"{person["id"]}"')
    data = await run(gw, who, query)
    assert [data[f"n{i}"] for i in range(len(CASES))] == want
    representations = [{"__typename": "Offender", "id": p["id"]} for p in unrestricted]
    entities = (await run(gw, who, ENTITIES, r=representations))["_entities"]
    assert entities == want
    assert len(sink.events) == 2 * len(CASES)  # one per person in each of the two requests


async def test_unrestricted_principal_sees_every_field_of_everyone(
    unrestricted: list[dict[str, Any]],
) -> None:
    gw, sink = gateway("hide")
    data = await run(gw, Principal.development(), PAGE, after=None)
    assert data["offenders"]["totalCount"] == len(CASES)
    assert [e["node"] for e in data["offenders"]["edges"]] == unrestricted[:3]
    assert [e.outcome for e in sink.events] == [AuditOutcome.SHOWN] * 3


async def test_decisions_come_after_the_cache_and_never_mix_users() -> None:
    """Gus excludes alice: with the cache on, alice, bob and alice again each get their own
    answer, and the later requests cost the regions nothing."""
    from gateway.settings import CacheSettings

    regions = estate()
    gw = Gateway(regions, cache=CacheSettings(enabled=True), id_key=ID_KEY)
    query = (
        f'query {{ offender(identifier: "{identifier(6)}") {{ restricted name {{ forename }} }} }}'
    )
    alice, bob = principal("probation", "alice"), principal("probation", "bob")
    first = await run(gw, alice, query)
    calls = sum(len(r.calls) for r in regions)
    assert await run(gw, bob, query) == {
        "offender": {"restricted": False, "name": {"forename": "Gus"}}
    }
    assert await run(gw, alice, query) == first == {"offender": {"restricted": True, "name": None}}
    assert sum(len(r.calls) for r in regions) == calls  # served from the cache
