"""The service through the schema, in-process over fake regions: answers that stay true when
regions fail, per-region outcomes, error paths, conflicts and amplification."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from auth.principal import Principal
from connectors.base import Capability, PersonSearch
from connectors.errors import RegionUnavailable, UpstreamInvalid
from connectors.identifiers import Identifier, IdentifierKind, InvalidIdentifier, parse_identifier
from connectors.records import Movement, PersonName, PersonRecord, SystemKind
from gateway.inputs import BadInput
from gateway.service import OffenderService
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
    assert asked == {NOMS}  # none of the strangers' CRNs (nor A1's own CRN: A1 was found)


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


# ---- timeline, list failures, status completeness ---------------------------------------------
TIMELINE = """
query($id: String!) {
  offender(identifier: $id) { timeline { date type description region location } }
}
"""


def moved(on: date, kind: str, to: str) -> Movement:
    return Movement("prison", "P1", on, kind, "COURT", to, f"{kind.lower()} to {to}")


def timeline_estate() -> tuple[FakeRegion, FakeRegion, FakeRegion]:
    prison, probation_a, probation_b = estate()
    prison.facts[C.MOVEMENTS_FOR] = [
        moved(date(2026, 5, 1), "RELEASED", "OUT"),
        moved(date(2020, 1, 1), "ADMISSION", "MDI"),
    ]
    prison.capabilities = prison.capabilities | {C.MOVEMENTS_FOR}  # type: ignore[misc]
    return prison, probation_a, probation_b


async def test_the_timeline_merges_movements_and_supervision_of_every_region() -> None:
    data, errors = await Gateway(timeline_estate()).execute(TIMELINE, id=NOMS.value)
    assert errors == []
    assert data["offender"]["timeline"] == [
        {
            "date": "2020-01-01",
            "type": "ADMISSION",
            "description": "admission to MDI",
            "region": "prison",
            "location": "MDI",
        },
        {
            "date": "2026-05-01",
            "type": "RELEASED",
            "description": "released to OUT",
            "region": "prison",
            "location": "OUT",
        },
        {
            "date": "2026-05-01",
            "type": "SUPERVISION_STARTED",
            "description": "licence started",
            "region": "probation-a",
            "location": "N07",
        },
    ]


async def test_the_timeline_reports_movement_and_supervision_failures_of_each_region() -> None:
    prison, probation_a, probation_b = timeline_estate()
    prison.fail[C.MOVEMENTS_FOR] = UpstreamInvalid("prison", "garbage")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(
        TIMELINE, id=NOMS.value
    )
    assert [e["type"] for e in data["offender"]["timeline"]] == ["SUPERVISION_STARTED"]
    assert paths(errors) == {(("offender", "timeline"), "prison", "DETAILS")}
    prison, probation_a, probation_b = timeline_estate()
    probation_a.fail[C.SUPERVISION_FOR] = UpstreamInvalid("probation-a", "garbage")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(
        TIMELINE, id=NOMS.value
    )
    assert [e["type"] for e in data["offender"]["timeline"]] == ["ADMISSION", "RELEASED"]
    assert paths(errors) == {(("offender", "timeline"), "probation-a", "DETAILS")}


async def test_a_custody_failure_makes_status_unknown_and_costs_the_custody_list() -> None:
    prison, probation_a, probation_b = estate()
    prison.fail[C.CUSTODY_FOR] = UpstreamInvalid("prison", "garbage")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["status"] == "UNKNOWN"
    assert offender["custody"] == []
    assert offender["offenderManager"] == {"staffCode": "COM001"}
    assert paths(errors) == {
        (("offender", "status"), "prison", "DETAILS"),
        (("offender", "custody"), "prison", "DETAILS"),
    }
    assert outcomes(offender)["prison"] == ("FAILED", "UPSTREAM_INVALID", "DETAILS")


async def test_an_alerts_failure_costs_only_the_alerts_list() -> None:
    prison, probation_a, probation_b = estate()
    probation_a.fail[C.ALERTS_FOR] = UpstreamInvalid("probation-a", "garbage")
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["status"] == "ON_LICENCE"
    assert offender["alerts"] == []
    assert paths(errors) == {(("offender", "alerts"), "probation-a", "DETAILS")}


async def test_a_manager_failure_makes_the_manager_null_with_the_error() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.fail[C.MANAGERS_FOR] = UpstreamInvalid("probation-b", "garbage")
    probation_b.records = [person("probation-b", "B1", NOMS)]
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    offender = data["offender"]
    assert offender["offenderManager"] is None
    assert offender["status"] == "ON_LICENCE"
    assert paths(errors) == {(("offender", "offenderManager"), "probation-b", "DETAILS")}


async def test_a_stale_detail_behind_a_fresh_identity_answer_marks_the_region_stale() -> None:
    prison, probation_a, probation_b = estate()
    gateway = Gateway(
        [prison, probation_a, probation_b],
        cache=CacheSettings(enabled=True, default_ttl=0.05, stale_grace=60),
    )
    await gateway.execute(QUERY, id=NOMS.value)
    await asyncio.sleep(0.1)
    probation_a.fail[C.SUPERVISION_FOR] = UpstreamInvalid("probation-a", "garbage")
    data, errors = await gateway.execute(QUERY, id=NOMS.value)
    assert errors == []
    assert data["offender"]["status"] == "ON_LICENCE"
    assert outcomes(data["offender"]) == {  # a warm lookup: only the person's regions
        "prison": ("OK", None, None),
        "probation-a": ("STALE", None, None),
        "probation-b": ("SKIPPED", None, None),
    }


# ---- records, sources ----------------------------------------------------------------------------
RECORDS = """
query($id: String!) {
  offender(identifier: $id) { records { region localId fetchedAt } sources { region outcome } }
}
"""


async def test_each_record_says_when_its_region_answered() -> None:
    data, errors = await Gateway(estate()).execute(RECORDS, id=NOMS.value)
    assert errors == []
    records = data["offender"]["records"]
    assert [(r["region"], r["localId"]) for r in records] == [
        ("prison", "P1"),
        ("probation-a", "A1"),
    ]
    assert all(isinstance(r["fetchedAt"], str) for r in records)


class CrnRefusingRegion(FakeRegion):
    """Finds by NOMS number, but its CRN lookups answer garbage."""

    async def find_by_identifiers(
        self, identifiers: Sequence[Identifier]
    ) -> list[list[PersonRecord]]:
        if any(i.kind is IdentifierKind.CRN for i in identifiers):
            self.calls.append((C.FIND_BY_IDENTIFIERS, tuple(identifiers)))
            raise UpstreamInvalid(self.region, "garbage")
        return await super().find_by_identifiers(identifiers)


async def test_a_record_whose_region_then_failed_keeps_when_it_was_fetched() -> None:
    _, probation_a, probation_b = estate()
    prison = CrnRefusingRegion("prison", P.CUSTODY, [person("prison", "P1", NOMS)])
    data, errors = await Gateway([prison, probation_a, probation_b]).execute(RECORDS, id=NOMS.value)
    records = {r["localId"]: r["fetchedAt"] for r in data["offender"]["records"]}
    assert isinstance(records["P1"], str) and isinstance(records["A1"], str)
    assert paths(errors) == {(("offender",), "prison", "IDENTITY")}


async def test_a_region_that_cannot_look_people_up_is_skipped_with_that_reason() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.capabilities = frozenset({C.SEARCH_PEOPLE})  # type: ignore[misc]
    data, _ = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    [source] = [s for s in data["offender"]["sources"] if s["region"] == "probation-b"]
    assert (source["outcome"], source["reason"]) == (
        "SKIPPED",
        "the region cannot look people up by identifier",
    )


async def test_a_conflict_error_names_the_record_it_did_not_merge() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.records = [person("probation-b", "B1", NOMS, OTHER_CRN)]
    _, errors = await Gateway([prison, probation_a, probation_b]).execute(QUERY, id=NOMS.value)
    [conflict] = [e for e in errors if e["path"] == ["offender"]]
    assert conflict["message"] == (
        "Region 'probation-b': record B1 shares an identifier with this person but "
        "contradicts another of theirs; it was not merged"
    )
    assert conflict["extensions"]["code"] == "IDENTITY_CONFLICT"


# ---- identifiers ---------------------------------------------------------------------------------
ID_ONLY = "query($id: String!) { offender(identifier: $id) { id } }"


async def test_a_malformed_identifier_is_bad_identifier_with_the_parser_message() -> None:
    with pytest.raises(InvalidIdentifier) as expected:
        parse_identifier("A12")
    data, errors = await Gateway(estate()).execute(ID_ONLY, id="A12")
    assert data == {"offender": None}
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (str(expected.value), "BAD_IDENTIFIER")
    ]


async def test_an_id_minted_from_a_record_cannot_be_looked_up_again() -> None:
    gateway = Gateway(estate())
    record_id = gateway.runtime.ids.encode_record("prison", "P9")
    data, errors = await gateway.execute(ID_ONLY, id=record_id)
    assert data == {"offender": None}
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (
            "this offender id names a record (prison P9) that holds no NOMS number, CRN, PNC or "
            "CRO number, so it cannot be looked up again; search by name instead",
            "BAD_IDENTIFIER",
        )
    ]


async def test_an_id_minted_from_an_identifier_finds_the_person() -> None:
    gateway = Gateway(estate())
    first, _ = await gateway.execute(ID_ONLY, id=NOMS.value)
    again, errors = await gateway.execute(ID_ONLY, id=first["offender"]["id"])
    assert errors == []
    assert again == first


# ---- search --------------------------------------------------------------------------------------
PAGE = """
query($first: Int!, $region: String, $dob: Date) {
  offenders(name: "Smith", first: $first, region: $region, dateOfBirth: $dob) {
    totalCount pageInfo { hasNextPage } edges { node { id records { region localId } } }
  }
}
"""


def named(
    region: str, local_id: str, forename: str, surname: str, *ids: Identifier
) -> PersonRecord:
    return PersonRecord(region, local_id, ids, PersonName(forename, surname), date(1980, 1, 1))


async def test_a_search_passes_the_date_of_birth_to_every_region() -> None:
    regions = estate()
    _, errors = await Gateway(regions).execute(PAGE, first=5, dob="1980-01-01")
    assert errors == []
    for region in regions:
        [query] = [keys[0] for c, keys in region.calls if c is C.SEARCH_PEOPLE]
        assert query == PersonSearch(surname="Smith", forename=None, date_of_birth=date(1980, 1, 1))


async def test_a_full_last_page_has_no_next_page() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.records = [person("probation-b", "B1", OTHER_CRN)]
    gateway = Gateway([prison, probation_a, probation_b])
    data, errors = await gateway.execute(PAGE, first=2)
    assert errors == []
    assert data["offenders"]["totalCount"] == 2
    assert data["offenders"]["pageInfo"] == {"hasNextPage": False}
    data, _ = await gateway.execute(PAGE, first=1)
    assert data["offenders"]["pageInfo"] == {"hasNextPage": True}


@pytest.mark.parametrize("first", [1, 100])
async def test_page_sizes_from_one_to_the_maximum_are_accepted(first: int) -> None:
    data, errors = await Gateway(estate()).execute(PAGE, first=first)
    assert errors == []
    assert data["offenders"]["totalCount"] == 1


@pytest.mark.parametrize("first", [0, 101])
async def test_page_sizes_outside_one_to_the_maximum_are_refused(first: int) -> None:
    _, errors = await Gateway(estate()).execute(PAGE, first=first)
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("first must be between 1 and 100", "BAD_USER_INPUT")
    ]


async def test_the_service_default_page_size_limit_is_one_hundred() -> None:
    gateway = Gateway(estate())
    context = gateway.runtime.context(Principal.development())
    service = OffenderService(context.service.loaders, context.directory, gateway.runtime.ids)
    with pytest.raises(BadInput, match=r"^first must be between 1 and 100$"):
        await service.search("Smith", None, None, 101, None)
    page = await service.search("Smith", None, None, 100, None)
    assert page.total == 1


async def test_an_unknown_region_is_refused_by_name() -> None:
    _, errors = await Gateway(estate()).execute(PAGE, first=5, region="atlantis")
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("unknown region 'atlantis'; see the regions query", "BAD_USER_INPUT")
    ]


async def test_a_hit_without_identifiers_gets_an_id_minted_from_its_record() -> None:
    prison, probation_a, probation_b = estate()
    probation_b.records = [person("probation-b", "B9")]
    gateway = Gateway([prison, probation_a, probation_b])
    data, errors = await gateway.execute(PAGE, first=5, region="probation-b")
    assert errors == []
    [edge] = data["offenders"]["edges"]
    assert gateway.runtime.ids.decode(edge["node"]["id"]) == ("probation-b", "B9")


async def test_one_person_found_twice_on_a_page_is_shown_once_wherever_the_repeat_is() -> None:
    # Ann and Cat Smith are one person, linked only by a "Smyth" record the search does not find;
    # Bob Smith, between them in name order, is someone else.
    crn_b = Identifier(IdentifierKind.CRN, "X222222")
    prison = FakeRegion(
        "prison",
        P.CUSTODY,
        [
            named("prison", "P1", "Ann", "Smith", NOMS),
            named("prison", "P2", "Bob", "Smith", OTHER_NOMS),
            named("prison", "P3", "Cat", "Smith", crn_b),
        ],
    )
    probation = FakeRegion(
        "probation", P.PROBATION, [named("probation", "L1", "Ann", "Smyth", NOMS, crn_b)]
    )
    data, errors = await Gateway([prison, probation]).execute(PAGE, first=3)
    assert errors == []
    assert data["offenders"]["totalCount"] == 3
    assert [
        sorted(r["localId"] for r in edge["node"]["records"]) for edge in data["offenders"]["edges"]
    ] == [["L1", "P1", "P3"], ["P2"]]


# ---- facts are asked once per person -------------------------------------------------------------
async def test_facts_of_one_kind_are_gathered_once_however_many_fields_need_them() -> None:
    gateway = Gateway(estate())
    service = gateway.runtime.context(Principal.development()).service
    asked: list[tuple[str, Capability]] = []
    try_load = service.loaders.try_load

    async def counting(region: str, operation: Any, key: Any) -> Any:
        asked.append((region, operation.capability))
        return await try_load(region, operation, key)

    service.loaders.try_load = counting  # type: ignore[method-assign]
    found = await service.find(NOMS)
    assert found.person is not None
    asked.clear()
    status, custody, timeline = await asyncio.gather(
        service.status(found.person), service.custody(found.person), service.timeline(found.person)
    )
    assert status.value == "ON_LICENCE" and len(custody.items) == 1
    assert sorted(asked) == [
        ("prison", C.CUSTODY_FOR),
        ("probation-a", C.SUPERVISION_FOR),
    ]
    assert timeline.items[0].type == "SUPERVISION_STARTED"
