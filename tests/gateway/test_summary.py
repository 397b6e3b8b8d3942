"""gateway.summary: status precedence, the responsible officer, the time line."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.records import (
    CustodyEpisode,
    Movement,
    OffenderManager,
    SupervisionEpisode,
    SupervisionKind,
)
from gateway.summary import (
    custody_order,
    derive_status,
    responsible_officer,
    supervision_order,
    timeline,
)

LICENCE = SupervisionKind.LICENCE
PSS = SupervisionKind.POST_SENTENCE_SUPERVISION
CO = SupervisionKind.COMMUNITY_ORDER
SSO = SupervisionKind.SUSPENDED_SENTENCE_ORDER


def custody(
    active: bool,
    start: date = date(2020, 1, 1),
    *,
    region: str = "prison-north",
    booking_id: str = "1200001",
) -> CustodyEpisode:
    return CustodyEpisode(
        region=region,
        local_id="PN1",
        booking_id=booking_id,
        book_number="38412A",
        prison_id="MDI",
        prison_name="Moorland",
        active=active,
        in_out_status="IN" if active else "OUT",
        legal_status="SENTENCED",
        start_date=start,
        end_date=None if active else date(2021, 1, 1),
    )


def supervision(
    kind: SupervisionKind,
    start: date,
    end: date | None = None,
    *,
    active: bool | None = None,
    region: str = "probation-london",
    probation_region: str = "N07",
    episode_id: str | None = None,
) -> SupervisionEpisode:
    return SupervisionEpisode(
        region=region,
        local_id="25-1",
        episode_id=episode_id or f"E-{start.isoformat()}",
        kind=kind,
        probation_region=probation_region,
        start_date=start,
        end_date=end,
        active=end is None if active is None else active,
    )


def manager(code: str, responsible: bool, allocated_on: date | None) -> OffenderManager:
    return OffenderManager(
        region="probation-london",
        local_id="25-1",
        staff_code=code,
        forename="Sarah",
        surname="Khan",
        role="COM",
        team=None,
        probation_delivery_unit=None,
        probation_region="N07",
        responsible_officer=responsible,
        allocated_on=allocated_on,
    )


def movement(on: date, kind: str, to: str = "MDI") -> Movement:
    return Movement(
        region="prison-north",
        local_id="PN1",
        occurred_on=on,
        movement_type=kind,
        from_location="COURT",
        to_location=to,
        description=f"{kind} on {on}",
    )


# ---- status ------------------------------------------------------------------------------------
def test_active_custody_beats_active_supervision() -> None:
    assert derive_status([custody(True)], [supervision(LICENCE, date(2024, 1, 1))], True) == (
        "IN_CUSTODY"
    )


def test_active_custody_counts_even_when_a_region_did_not_answer() -> None:
    assert derive_status([custody(False), custody(True)], [], False) == "IN_CUSTODY"


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (LICENCE, "ON_LICENCE"),
        (PSS, "POST_SENTENCE_SUPERVISION"),
        (CO, "COMMUNITY_ORDER"),
        (SSO, "COMMUNITY_ORDER"),
    ],
)
def test_active_supervision_gives_its_status(kind: SupervisionKind, status: str) -> None:
    assert derive_status([custody(False)], [supervision(kind, date(2024, 1, 1))], True) == status


def test_latest_started_active_supervision_wins_whatever_the_order() -> None:
    episodes = [
        supervision(CO, date(2023, 5, 1)),
        supervision(LICENCE, date(2024, 6, 1)),
        supervision(PSS, date(2022, 1, 1)),
    ]
    assert derive_status([], episodes, True) == "ON_LICENCE"
    assert derive_status([], episodes[::-1], True) == "ON_LICENCE"


def test_ended_supervision_does_not_count() -> None:
    episodes = [
        supervision(LICENCE, date(2024, 6, 1), date(2025, 6, 1)),
        supervision(CO, date(2023, 1, 1)),
    ]
    assert derive_status([], episodes, True) == "COMMUNITY_ORDER"


def test_nothing_active_is_not_supervised_when_every_region_answered() -> None:
    ended = [supervision(LICENCE, date(2020, 1, 1), date(2021, 1, 1))]
    assert derive_status([custody(False)], ended, True) == "NOT_SUPERVISED"
    assert derive_status([], [], True) == "NOT_SUPERVISED"


def test_nothing_active_is_unknown_when_a_region_did_not_answer() -> None:
    ended = [supervision(LICENCE, date(2020, 1, 1), date(2021, 1, 1))]
    assert derive_status([custody(False)], ended, False) == "UNKNOWN"
    assert derive_status([], [], False) == "UNKNOWN"


# ---- responsible officer -----------------------------------------------------------------------
def test_responsible_officer_is_the_flagged_one() -> None:
    flagged = manager("CHSE755", True, date(2024, 1, 1))
    others = [manager("AAAA100", False, date(2025, 1, 1)), flagged]
    assert responsible_officer(others) is flagged


def test_latest_allocation_wins_when_regions_disagree() -> None:
    old = manager("OLD0001", True, date(2023, 1, 1))
    new = manager("NEW0002", True, date(2024, 9, 1))
    undated = manager("UND0003", True, None)
    assert responsible_officer([old, new, undated]) is new
    assert responsible_officer([undated, new, old]) is new


def test_a_dated_allocation_beats_an_undated_one() -> None:
    undated = manager("UND0003", True, None)
    dated = manager("OLD0001", True, date(2001, 1, 1))
    assert responsible_officer([undated, dated]) is dated


def test_no_responsible_officer() -> None:
    assert responsible_officer([]) is None
    assert responsible_officer([manager("AAAA100", False, date(2025, 1, 1))]) is None


# ---- time line ---------------------------------------------------------------------------------
def test_timeline_merges_movements_and_supervision_in_time_order() -> None:
    entries = timeline(
        [movement(date(2022, 3, 1), "RELEASED", "OUT"), movement(date(2020, 1, 1), "ADMISSION")],
        [supervision(LICENCE, date(2022, 3, 1), date(2023, 3, 1), probation_region="N03")],
    )
    assert [(e.on, e.type) for e in entries] == [
        (date(2020, 1, 1), "ADMISSION"),
        (date(2022, 3, 1), "RELEASED"),
        (date(2022, 3, 1), "SUPERVISION_STARTED"),
        (date(2023, 3, 1), "SUPERVISION_ENDED"),
    ]
    started, ended = entries[2], entries[3]
    assert started.region == "probation-london"
    assert started.location == "N03" and ended.location == "N03"
    assert "licence" in started.description and "started" in started.description
    assert "licence" in ended.description and "ended" in ended.description
    assert entries[1].location == "OUT"
    assert entries[0].description == "ADMISSION on 2020-01-01"


def test_ongoing_supervision_has_a_start_and_no_end() -> None:
    entries = timeline([], [supervision(CO, date(2024, 1, 1))])
    assert [e.type for e in entries] == ["SUPERVISION_STARTED"]
    assert "community order" in entries[0].description


def test_same_day_entries_keep_their_order() -> None:
    day = date(2021, 5, 5)
    entries = timeline(
        [movement(day, "SENT_TO_COURT", "COURT"), movement(day, "RETURN_FROM_COURT")], []
    )
    assert [e.type for e in entries] == ["SENT_TO_COURT", "RETURN_FROM_COURT"]


def test_empty_timeline() -> None:
    assert timeline([], []) == []


def test_timeline_entries_carry_the_region_of_their_record() -> None:
    entries = timeline(
        [movement(date(2020, 1, 1), "ADMISSION")],
        [supervision(LICENCE, date(2022, 3, 1), date(2023, 3, 1), region="probation-wales")],
    )
    assert [(e.type, e.region) for e in entries] == [
        ("ADMISSION", "prison-north"),
        ("SUPERVISION_STARTED", "probation-wales"),
        ("SUPERVISION_ENDED", "probation-wales"),
    ]


# ---- list orders -------------------------------------------------------------------------------
def test_custody_is_oldest_first_then_by_region_and_booking() -> None:
    day = date(2022, 2, 2)
    episodes = [
        custody(True, date(2024, 1, 1), region="prison-a", booking_id="9"),
        custody(False, day, region="prison-b", booking_id="1"),
        custody(False, day, region="prison-a", booking_id="2"),
        custody(False, day, region="prison-a", booking_id="1"),
        custody(False, date(2019, 1, 1), region="prison-z", booking_id="5"),
    ]
    expected = [
        ("prison-z", "5"),
        ("prison-a", "1"),
        ("prison-a", "2"),
        ("prison-b", "1"),
        ("prison-a", "9"),
    ]
    for order in (episodes, episodes[::-1]):
        assert [(c.region, c.booking_id) for c in custody_order(order)] == expected


def test_supervision_is_oldest_first_then_by_region_and_episode() -> None:
    day = date(2022, 2, 2)
    episodes = [
        supervision(LICENCE, date(2024, 1, 1), region="probation-a", episode_id="9"),
        supervision(CO, day, date(2023, 1, 1), region="probation-b", episode_id="1"),
        supervision(CO, day, date(2023, 1, 1), region="probation-a", episode_id="2"),
        supervision(CO, day, date(2023, 1, 1), region="probation-a", episode_id="1"),
        supervision(PSS, date(2019, 1, 1), date(2020, 1, 1), region="probation-z", episode_id="5"),
    ]
    expected = [
        ("probation-z", "5"),
        ("probation-a", "1"),
        ("probation-a", "2"),
        ("probation-b", "1"),
        ("probation-a", "9"),
    ]
    for order in (episodes, episodes[::-1]):
        assert [(s.region, s.episode_id) for s in supervision_order(order)] == expected
