"""The service through the schema, in-process over fake regions: answers that stay true when
regions fail, per-region outcomes, error paths, conflicts and amplification."""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.base import Capability
from connectors.errors import RegionUnavailable, UpstreamInvalid
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from gateway.settings import CacheSettings
from tests.gateway.inprocess import (
    FakeRegion,
    Gateway,
    alert,
    booking,
    licence,
    manager,
    person,
)

NOMS = Identifier(IdentifierKind.NOMS, "A1234BC")
CRN = Identifier(IdentifierKind.CRN, "X123456")
OTHER_CRN = Identifier(IdentifierKind.CRN, "X654321")
OTHER_NOMS = Identifier(IdentifierKind.NOMS, "B2345CD")
C, P = Capability, SystemKind

QUERY = """
query($id: String!) {
  offender(identifier: $id) {
    id status
    offenderManager { staffCode }
    custody { region bookingId active }
    supervision { region episodeId active }
    alerts { code active }
    records { region localId matchedBy }
    sources { region outcome code stage reason fetchedAt }
  }
}
"""


def estate() -> tuple[FakeRegion, FakeRegion, FakeRegion]:
    """A person in custody once (ended), now on licence in probation-a, known to probation-b."""
    prison = FakeRegion(
        "prison",
        P.CUSTODY,
        [person("prison", "P1", NOMS)],
        {
            C.CUSTODY_FOR: [booking("prison", "P1", date(2020, 1, 1), active=False)],
            C.ALERTS_FOR: [],
        },
    )
    probation_a = FakeRegion(
        "probation-a",
        P.PROBATION,
        [person("probation-a", "A1", NOMS, CRN)],
        {
            C.SUPERVISION_FOR: [licence("probation-a", "A1", date(2026, 5, 1), active=True)],
            C.MANAGERS_FOR: [manager("probation-a", "A1", "COM001", date(2026, 5, 1))],
            C.ALERTS_FOR: [
                alert("probation-a", "A1", "LOW", active=False),
                alert("probation-a", "A1", "HIGH", active=True),
            ],
        },
    )
    probation_b = FakeRegion(
        "probation-b",
        P.PROBATION,
        [],
        {C.SUPERVISION_FOR: [], C.MANAGERS_FOR: [], C.ALERTS_FOR: []},
    )
    return prison, probation_a, probation_b


def outcomes(offender: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {s["region"]: (s["outcome"], s["code"], s["stage"]) for s in offender["sources"]}


def paths(errors: list[dict[str, Any]]) -> set[tuple[tuple[Any, ...], str, str]]:
    return {(tuple(e["path"]), e["extensions"]["region"], e["extensions"]["stage"]) for e in errors}


async def test_a_healthy_estate_answers_every_field_with_every_region_ok() -> None:
    gateway = Gateway(estate())
    data, errors = await gateway.execute(QUERY, id=NOMS.value)
    assert errors == []
    offender = data["offender"]
    assert offender["status"] == "ON_LICENCE"
    assert offender["offenderManager"] == {"staffCode": "COM001"}
    assert offender["custody"] == [{"region": "prison", "bookingId": "B20200101", "active": False}]
    assert offender["alerts"] == [
        {"code": "HIGH", "active": True},
        {"code": "LOW", "active": False},
    ]
    assert outcomes(offender) == {
        "prison": ("OK", None, None),
        "probation-a": ("OK", None, None),
        "probation-b": ("OK", None, None),
    }
    assert all(s["fetchedAt"] for s in offender["sources"])
    assert NOMS.value not in offender["id"] and CRN.value not in offender["id"]


async def test_a_region_down_at_identity_makes_status_unknown_not_a_wrong_value() -> None:
    prison, probation_a, probation_b = estate()
    probation_a.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-a", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["status"] == "UNKNOWN"  # the foundation said NOT_SUPERVISED here
    assert offender["offenderManager"] is None
    assert outcomes(offender)["probation-a"] == ("FAILED", "REGION_UNAVAILABLE", "IDENTITY")
    assert {
        (("offender",), "probation-a", "IDENTITY"),
        (("offender", "status"), "probation-a", "IDENTITY"),
        (("offender", "offenderManager"), "probation-a", "IDENTITY"),
        (("offender", "supervision"), "probation-a", "IDENTITY"),
    } <= paths(errors)
    assert all(e["extensions"]["code"] == "REGION_UNAVAILABLE" for e in errors)


async def test_a_region_failing_its_details_costs_only_the_fields_that_need_them() -> None:
    prison, probation_a, probation_b = estate()
    probation_a.fail[C.SUPERVISION_FOR] = RegionUnavailable("probation-a", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["status"] == "UNKNOWN"
    assert offender["supervision"] == []
    assert offender["offenderManager"] == {"staffCode": "COM001"}  # its own call succeeded
    assert paths(errors) == {
        (("offender", "status"), "probation-a", "DETAILS"),
        (("offender", "supervision"), "probation-a", "DETAILS"),
    }
    assert outcomes(offender)["probation-a"] == ("FAILED", "REGION_UNAVAILABLE", "DETAILS")


async def test_an_active_booking_is_decisive_even_when_another_region_failed() -> None:
    prison, probation_a, probation_b = estate()
    prison.facts[C.CUSTODY_FOR] = [booking("prison", "P1", date(2026, 1, 1), active=True)]
    probation_b.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-b", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    assert data["offender"]["status"] == "IN_CUSTODY"
    assert (("offender", "status"), "probation-b", "IDENTITY") not in paths(errors)


async def test_unrelated_records_in_a_reply_are_neither_followed_nor_merged() -> None:
    prison, probation_a, probation_b = estate()
    strangers = [
        person("probation-b", f"S{i}", Identifier(IdentifierKind.CRN, f"X90000{i}"))
        for i in range(5)
    ]
    probation_b.extra = strangers
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    assert errors == []
    assert {r["localId"] for r in data["offender"]["records"]} == {"P1", "A1"}
    asked = {k for c, keys in probation_a.calls if c is C.FIND_BY_IDENTIFIERS for k in keys}
    assert asked == {NOMS, CRN}  # none of the strangers' CRNs


async def test_a_record_with_the_asked_noms_and_another_persons_crn_is_a_conflict() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.records = [
        person("probation-b", "B1", NOMS, OTHER_CRN),  # hostile or dirty
        person("probation-b", "B2", OTHER_CRN, OTHER_NOMS),  # the other person
    ]
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert {r["localId"] for r in offender["records"]} == {"P1", "A1"}
    assert offender["status"] == "UNKNOWN"
    assert outcomes(offender)["probation-b"] == ("FAILED", "IDENTITY_CONFLICT", "IDENTITY")
    conflict = [e for e in errors if e["extensions"]["code"] == "IDENTITY_CONFLICT"]
    assert conflict and conflict[0]["path"] == ["offender"]
    assert "B1" in conflict[0]["message"]


async def test_regions_that_could_not_be_asked_are_skipped_with_a_reason() -> None:
    prison, probation_a, probation_b = estate()
    prison.identifier_kinds = frozenset({IdentifierKind.PNC})  # type: ignore[misc]
    data, _ = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    [source] = [s for s in data["offender"]["sources"] if s["region"] == "prison"]
    assert source["outcome"] == "SKIPPED"
    assert source["reason"] == "the region accepts none of the identifier kinds this person has"


async def test_not_found_with_a_region_down_is_null_with_the_error() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-b", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id="Z9999ZZ")
    assert data == {"offender": None}
    assert paths(errors) == {(("offender",), "probation-b", "IDENTITY")}


async def test_a_stale_answer_stands_in_for_a_failed_region_and_is_marked() -> None:
    prison, probation_a, probation_b = estate()
    gateway = Gateway(
        [prison, probation_a, probation_b],
        cache=CacheSettings(enabled=True, default_ttl=0.05, stale_grace=60),
    )
    await gateway.execute(QUERY, id=NOMS.value)
    import asyncio

    await asyncio.sleep(0.1)  # every answer is past its freshness, within the grace
    probation_a.fail[C.FIND_BY_IDENTIFIERS] = RegionUnavailable("probation-a", "down")
    probation_a.fail[C.SUPERVISION_FOR] = UpstreamInvalid("probation-a", "garbage")
    data, errors = await gateway.execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert errors == []
    assert offender["status"] == "ON_LICENCE"
    source = next(s for s in offender["sources"] if s["region"] == "probation-a")
    assert source["outcome"] == "STALE" and source["fetchedAt"] is not None


async def test_warm_cache_answers_without_asking_any_region() -> None:
    regions = estate()
    gateway = Gateway(regions, cache=CacheSettings(enabled=True, default_ttl=60))
    first, _ = await gateway.execute(QUERY, id=NOMS.value)
    before = [len(r.calls) for r in regions]
    second, errors = await gateway.execute(QUERY, id=NOMS.value)
    assert errors == []
    assert [len(r.calls) for r in regions] == before
    assert {k: v for k, v in second["offender"].items() if k != "sources"} == {
        k: v for k, v in first["offender"].items() if k != "sources"
    }


SEARCH = '{ offenders(name: "Smith") { totalCount edges { node { status records { localId } } } } }'


async def test_a_search_with_a_region_down_has_no_total_and_says_so() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.fail[C.SEARCH_PEOPLE] = RegionUnavailable("probation-b", "down")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(SEARCH)
    assert data["offenders"]["totalCount"] is None
    assert {
        (("offenders",), "probation-b", "SEARCH"),
        (("offenders", "totalCount"), "probation-b", "SEARCH"),
    } <= paths(errors)
    [edge] = data["offenders"]["edges"]
    assert {r["localId"] for r in edge["node"]["records"]} == {"P1", "A1"}
