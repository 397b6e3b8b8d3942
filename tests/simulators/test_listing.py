"""The stores' listing query and the servers' keyset cursors: who is of a prison, a probation
region and a caseload, page by page."""

from __future__ import annotations

from datetime import date

import pytest

from simulators.listing import BadCursor, decode_cursor, encode_cursor, listing_page
from simulators.stores import (
    Booking,
    ManagerRow,
    PrisonerRecord,
    ProbationCase,
    SupervisionRow,
    SystemStore,
    located_at,
    managed_by,
)

DOB = date(1980, 1, 2)


def prisoner(local_id: str, *bookings: tuple[str, bool]) -> PrisonerRecord:
    return PrisonerRecord(
        local_id=local_id, noms_number=None, pnc_number=None, cro_number=None,
        forename="Ann", middle_names=None, surname="Lee", date_of_birth=DOB, gender="F",
        bookings=[
            Booking(i, "1A", prison, date(2020, 1, 1), None, active, "IN", "SENTENCED", None, None)
            for i, (prison, active) in enumerate(bookings)
        ],
    )  # fmt: skip


def case(local_id: str, supervised: tuple[str, bool] | None, managers: list[str]) -> ProbationCase:
    supervisions = (
        [SupervisionRow("e1", "LICENCE", "AP", supervised[0], DOB, None, supervised[1], None)]
        if supervised
        else []
    )
    return ProbationCase(
        local_id=local_id, crn=local_id, noms_number=None, pnc_number=None, cro_number=None,
        forename="Bo", middle_names=None, surname="Ng", date_of_birth=DOB, gender="M",
        supervisions=supervisions,
        managers=[
            ManagerRow(code, None, None, "COM", "T", "P", region, True, DOB)
            for code, region in (m.split("@") for m in managers)
        ],
    )  # fmt: skip


def test_a_prisoner_is_of_the_prison_of_an_active_booking_only() -> None:
    record = prisoner("P1", ("LEI", False), ("MDI", True))
    assert located_at(record, "MDI")
    assert not located_at(record, "LEI")  # released from there
    assert not managed_by(record, "ABCD123")


def test_a_case_is_of_the_region_supervising_or_managing_it() -> None:
    supervised = case("X1", ("N03", True), [])
    ended = case("X2", ("N03", False), [])
    managed = case("X3", None, ["ABCD123@N07"])
    assert located_at(supervised, "N03") and not located_at(ended, "N03")
    assert located_at(managed, "N07") and managed_by(managed, "ABCD123")
    assert not managed_by(managed, "ABCD124")


def store_of(*records: PrisonerRecord | ProbationCase) -> SystemStore:
    store = SystemStore("s", "PROBATION", "rest-camel", "S", ("N03", "N07"))
    for record in records:
        store.add(record)
    return store


def test_pages_follow_local_id_order_and_say_whether_more_follow() -> None:
    store = store_of(*(case(f"X{i}", ("N03", i % 2 == 0), []) for i in (5, 1, 4, 2, 3, 6)))
    assert store.listing("N03", limit=2) == ([store.records["X2"], store.records["X4"]], True)
    assert store.listing("N03", after="X4", limit=2) == ([store.records["X6"]], False)
    assert store.listing(limit=10)[0] == [store.records[f"X{i}"] for i in range(1, 7)]
    assert store.listing("N99") == ([], False)


def test_a_walk_by_cursor_lists_everyone_once_even_after_a_removal() -> None:
    store = store_of(*(case(f"X{i}", ("N03", True), []) for i in range(1, 8)))
    first, cursor = listing_page(store, "N03", None, None, 3)
    assert cursor is not None
    store.remove(first[0].local_id)  # already listed: the next page does not shift
    rest: list[str] = []
    while cursor is not None:
        page, cursor = listing_page(store, "N03", None, cursor, 3)
        rest += [r.local_id for r in page]
    assert [r.local_id for r in first] + rest == [f"X{i}" for i in range(1, 8)]


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_cursor(encode_cursor("PN000123")) == "PN000123"
    for forged in ("not base64!", "eHl6", ""):
        with pytest.raises(BadCursor):
            decode_cursor(forged)
