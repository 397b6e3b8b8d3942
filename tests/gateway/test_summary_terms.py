"""gateway.summary: same-day causal order, custody terms, where a person is now, and flags."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.records import (
    CustodyEpisode,
    InOutStatus,
    Movement,
    SentenceDates,
    SupervisionEpisode,
    SupervisionKind,
)
from gateway.summary import (
    EVENT_RANK,
    OTHER_MOVEMENT_RANK,
    Location,
    LocationKind,
    TermEnding,
    current_location,
    custody_terms,
    event_rank,
    recalled,
    timeline,
    unlawfully_at_large,
)

DAY = date(2024, 6, 3)


def episode(
    region: str,
    local_id: str,
    booking_id: str,
    start: date,
    end: date | None,
    *,
    prison: str = "MDI",
    legal: str = "SENTENCED",
    released: bool = False,
) -> CustodyEpisode:
    return CustodyEpisode(
        region=region,
        local_id=local_id,
        booking_id=booking_id,
        book_number="1A",
        prison_id=prison,
        prison_name=f"HMP {prison}",
        active=end is None,
        in_out_status=InOutStatus.IN if end is None else InOutStatus.OUT,
        legal_status=legal,
        start_date=start,
        end_date=end,
        sentence=SentenceDates(release=end if released else None),
    )


def move(
    region: str, local_id: str, on: date, kind: str, source: str | None, target: str | None
) -> Movement:
    return Movement(region, local_id, on, kind, source, target, f"{kind} {source} {target}")


def licence(
    start: date, end: date | None, *, region: str = "probation-a", code: str = "N07"
) -> SupervisionEpisode:
    return SupervisionEpisode(
        region=region,
        local_id="X1",
        episode_id=f"E{start:%Y%m%d}",
        kind=SupervisionKind.LICENCE,
        probation_region=code,
        start_date=start,
        end_date=end,
        active=end is None,
    )


# --- the timeline's same-day order ------------------------------------------------------------


def test_the_rank_table_puts_causes_before_their_effects() -> None:
    rank = EVENT_RANK
    assert rank["TRANSFERRED"] < rank["ADMISSION"]  # a transfer out before the admission
    assert rank["SUPERVISION_ENDED"] < rank["ADMISSION"]  # licence ends before the recall
    assert rank["RELEASED"] < rank["SUPERVISION_STARTED"]  # release before the licence
    assert event_rank("SENT_TO_COURT") == event_rank("RETURN_FROM_COURT") == OTHER_MOVEMENT_RANK
    assert event_rank("SOMETHING_NEW") == OTHER_MOVEMENT_RANK


def test_a_transfer_out_comes_before_the_admission_it_caused_in_another_system() -> None:
    entries = timeline(
        [
            move("prison-b", "B1", DAY, "ADMISSION", "MDI", "LEI"),  # listed first
            move("prison-a", "A1", DAY, "TRANSFERRED", "MDI", "LEI"),
        ],
        [],
    )
    assert [(e.type, e.region) for e in entries] == [
        ("TRANSFERRED", "prison-a"),
        ("ADMISSION", "prison-b"),
    ]


def test_a_licence_ends_before_the_recall_admission_and_a_release_precedes_the_licence() -> None:
    recall_day, out_day = date(2024, 1, 10), date(2024, 5, 1)
    entries = timeline(
        [
            move("prison-a", "A1", recall_day, "ADMISSION", "COURT", "MDI"),
            move("prison-a", "A1", out_day, "RELEASED", "MDI", "OUT"),
        ],
        [licence(date(2023, 6, 1), recall_day), licence(out_day, None)],
    )
    assert [(e.on, e.type) for e in entries] == [
        (date(2023, 6, 1), "SUPERVISION_STARTED"),
        (recall_day, "SUPERVISION_ENDED"),
        (recall_day, "ADMISSION"),
        (out_day, "RELEASED"),
        (out_day, "SUPERVISION_STARTED"),
    ]


def test_a_case_moving_region_ends_in_one_before_it_starts_in_the_other() -> None:
    moved = date(2024, 3, 1)
    entries = timeline(
        [],
        [
            licence(moved, None, region="probation-b", code="N03"),
            licence(date(2024, 1, 1), moved, region="probation-a"),
        ],
    )
    assert [(e.type, e.region) for e in entries if e.on == moved] == [
        ("SUPERVISION_ENDED", "probation-a"),
        ("SUPERVISION_STARTED", "probation-b"),
    ]


# --- custody terms --------------------------------------------------------------------------------


def test_a_transfer_between_prison_systems_is_one_term_with_its_prisons_in_order() -> None:
    start, moved, inner, out = date(2020, 1, 5), date(2021, 2, 1), date(2020, 6, 1), None
    episodes = [
        episode("prison-b", "B1", "20", moved, out, prison="HMI"),
        episode("prison-a", "A1", "10", start, moved, prison="LEI"),
    ]
    movements = [
        move("prison-a", "A1", start, "ADMISSION", "COURT", "MDI"),
        move("prison-a", "A1", inner, "TRANSFERRED", "MDI", "LEI"),  # within prison-a
        move("prison-a", "A1", moved, "TRANSFERRED", "LEI", "HMI"),
        move("prison-b", "B1", moved, "ADMISSION", "LEI", "HMI"),
    ]
    [term] = custody_terms(episodes, movements)
    assert [e.booking_id for e in term.episodes] == ["10", "20"]
    assert term.prisons == ("MDI", "LEI", "HMI")
    assert (term.start, term.end, term.ending) == (start, None, TermEnding.IN_CUSTODY)
    assert not term.recall and not term.followed_by_recall


def test_an_admission_the_next_day_continues_the_term_but_two_days_later_does_not() -> None:
    moved = date(2021, 2, 1)
    for gap, terms in ((1, 1), (2, 2)):
        later = date.fromordinal(moved.toordinal() + gap)
        episodes = [
            episode("prison-a", "A1", "10", date(2020, 1, 5), moved),
            episode("prison-b", "B1", "20", later, None, prison="HMI"),
        ]
        movements = [
            move("prison-a", "A1", moved, "TRANSFERRED", "MDI", "HMI"),
            move("prison-b", "B1", later, "ADMISSION", "MDI", "HMI"),
        ]
        assert len(custody_terms(episodes, movements)) == terms


def test_a_new_admission_from_court_after_a_release_is_a_new_term_flagged_as_a_recall() -> None:
    released, recalled_on = date(2021, 1, 1), date(2021, 6, 1)
    episodes = [
        episode("prison-a", "A1", "10", date(2020, 1, 5), released, released=True),
        episode("prison-b", "B1", "20", recalled_on, None, legal="RECALL", prison="HMI"),
    ]
    movements = [
        move("prison-a", "A1", released, "RELEASED", "MDI", "OUT"),
        move("prison-b", "B1", recalled_on, "ADMISSION", "COURT", "HMI"),
    ]
    first, second = custody_terms(episodes, movements)
    assert (first.ending, first.end, first.followed_by_recall) == (
        TermEnding.RELEASED,
        released,
        True,
    )
    assert second.recall and second.ending is TermEnding.IN_CUSTODY and second.prisons == ("HMI",)


def test_without_movements_a_transfer_is_not_stitched_and_ends_unexplained() -> None:
    moved = date(2021, 2, 1)
    episodes = [
        episode("prison-a", "A1", "10", date(2020, 1, 5), moved),
        episode("prison-b", "B1", "20", moved, None, prison="HMI"),
    ]
    first, second = custody_terms(episodes, [])
    assert first.ending is TermEnding.ENDED and first.prisons == ("MDI",)
    assert second.prisons == ("HMI",)


def test_an_admission_of_another_transfer_does_not_stitch() -> None:
    moved = date(2021, 2, 1)
    episodes = [
        episode("prison-a", "A1", "10", date(2020, 1, 5), moved),
        episode("prison-b", "B1", "20", moved, None, prison="HMI"),
    ]
    movements = [
        move("prison-a", "A1", moved, "TRANSFERRED", "MDI", "LEI"),
        move("prison-b", "B1", moved, "ADMISSION", "COURT", "HMI"),
    ]
    assert len(custody_terms(episodes, movements)) == 2


# --- where a person is now, recall and unlawfully at large ------------------------------------


def test_an_open_booking_is_the_location_even_when_another_region_failed() -> None:
    held = episode("prison-b", "B1", "20", date(2024, 1, 1), None, prison="HMI")
    ended = episode("prison-a", "A1", "10", date(2020, 1, 1), date(2021, 1, 1))
    assert current_location([ended, held], [licence(date(2023, 1, 1), None)], False) == (
        Location(LocationKind.PRISON, "prison-b", "HMI", "HMP HMI")
    )


def test_the_running_supervision_is_the_location_only_when_every_region_answered() -> None:
    running = [licence(date(2023, 1, 1), None, code="N03"), licence(date(2020, 1, 1), None)]
    assert current_location([], running, True) == Location(
        LocationKind.PROBATION, "probation-a", probation_region="N03"
    )
    assert current_location([], running, False) is None
    assert current_location([], [licence(date(2020, 1, 1), date(2021, 1, 1))], True) is None


@pytest.mark.parametrize(
    ("legal", "active", "complete", "expected"),
    [
        ("RECALL", True, False, True),
        ("SENTENCED", True, False, False),
        ("RECALL", False, True, False),
        ("RECALL", False, False, None),
    ],
)
def test_recalled_is_decided_by_an_open_booking_else_only_when_complete(
    legal: str, active: bool, complete: bool, expected: bool | None
) -> None:
    end = None if active else date(2021, 1, 1)
    booking = episode("prison-a", "A1", "10", date(2020, 1, 1), end, legal=legal)
    assert recalled([booking], complete) is expected


def test_unlawfully_at_large_from_the_latest_movement_of_an_open_booking() -> None:
    start = date(2024, 1, 1)
    booking = episode("prison-a", "A1", "10", start, None)
    admitted = move("prison-a", "A1", start, "ADMISSION", "COURT", "MDI")
    escaped = move("prison-a", "A1", date(2024, 3, 1), "ESCAPE", "MDI", "OUT")
    back = move("prison-a", "A1", date(2024, 4, 1), "ADMISSION", "OUT", "MDI")
    assert unlawfully_at_large([booking], [admitted, escaped], False) is True
    assert unlawfully_at_large([booking], [escaped, back, admitted], True) is False
    assert unlawfully_at_large([booking], [admitted], False) is None
    assert unlawfully_at_large([], [], True) is False
