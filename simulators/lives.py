"""One person's life in the justice system, written into the systems that see each part of it.

Custody terms move between prisons (sometimes into another prison group's system), releases lead
to licences, licences may end in recall, and cases move between probation regions (sometimes into
another probation system). Whatever is still going on at ``SIM_TODAY`` is active.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from simulators.builder import EstateBuilder
from simulators.layout import PRISONS, PROBATION_REGIONS
from simulators.stores import Booking, ManagerRow, MovementRow, ProbationCase, SupervisionRow
from simulators.truth import SIM_TODAY, TruePerson

EARLIEST = date(2012, 1, 1)
ESCAPE_RATE = 0.03  # of people serving a sentence now: escaped (unlawfully at large) since


class LifeWriter:
    """Writes the events of one person's life into the stores through the builder."""

    def __init__(self, builder: EstateBuilder, person: TruePerson) -> None:
        self.b = builder
        self.rng = builder.rng
        self.person = person
        self.current_case: tuple[str, ProbationCase] | None = None
        self.in_custody_at: str | None = None  # prison id where the person is now

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    # ---- the whole life ------------------------------------------------------------------------
    def live(self) -> None:
        rng = self.rng
        path = rng.choices(
            ("custody_licence", "community", "custody_only", "community_then_custody"),
            weights=(45, 28, 14, 13),
        )[0]
        when = EARLIEST + self.days(0, (SIM_TODAY - EARLIEST).days - 60)
        if path in ("community", "community_then_custody"):
            kind = "COMMUNITY_ORDER" if rng.random() < 0.8 else "SUSPENDED_SENTENCE_ORDER"
            end = when + self.days(365, 1095)
            self.supervise(when, end, kind, None)
            when = end + self.days(60, 700)
        if path == "community" or when >= SIM_TODAY:
            self.allocate()
            return
        legal = "REMAND" if path == "custody_only" and rng.random() < 0.4 else "SENTENCED"
        if legal == "SENTENCED" and rng.random() < 0.03:
            legal = "INDETERMINATE_SENTENCE"
        release, licence_end = self.custody(when, legal)
        if release is not None and licence_end is not None and path != "custody_only":
            self.licence(release, licence_end)
        self.allocate()

    # ---- custody -------------------------------------------------------------------------------
    def custody(
        self, start: date, legal: str, sentence_end: date | None = None
    ) -> tuple[date | None, date | None]:
        """A custody term; returns (release date or None if still inside, licence end).

        A recall passes the original ``sentence_end``: the person stays in until re-release or
        that date.
        """
        rng = self.rng
        length = rng.randint(120, 2400)
        if legal == "RECALL" and sentence_end is not None:
            release: date | None = min(start + self.days(14, 400), sentence_end)
        else:
            sentenced = legal in ("SENTENCED", "INDETERMINATE_SENTENCE")
            sentence_end = start + timedelta(days=length) if sentenced else None
            release = None if legal == "INDETERMINATE_SENTENCE" else start + self.days(20, 300)
            if legal == "SENTENCED":
                release = start + timedelta(days=length // 2 + rng.randint(-10, 10))
        if release is not None and release >= SIM_TODAY:
            release = None
        prison = rng.choice(list(PRISONS))
        system = self.b.system_for(prison)
        booking = self.admit(system, prison, start, legal, "COURT", sentence_end)
        sentence_start = booking.sentence_start
        end_of_stay = release or SIM_TODAY
        moves = sorted(
            start + self.days(5, max(6, (end_of_stay - start).days - 5))
            for _ in range(rng.choice((0, 0, 1, 1, 2)))
        )
        for moved_on in moves:
            if moved_on >= end_of_stay:
                break
            if rng.random() < 0.25:  # a day at court and back
                self.move(system, moved_on, "SENT_TO_COURT", prison, "COURT")
                self.move(system, moved_on, "RETURN_FROM_COURT", "COURT", prison)
                continue
            target = rng.choice([p for p in PRISONS if p != prison])
            target_system = self.b.system_for(target)
            self.move(system, moved_on, "TRANSFERRED", prison, target)
            if target_system == system:
                booking.prison_id = target
            else:  # leaves this system's view: the booking closes here, a new one opens there
                booking.end, booking.active, booking.in_out = moved_on, False, "OUT"
                booking = self.admit(target_system, target, moved_on, legal, prison, sentence_end)
                booking.sentence_start = sentence_start
                system = target_system
            prison = target
        if release is None:
            booking.in_out = "TRN" if rng.random() < 0.02 else "IN"
            self.in_custody_at = prison
            self.escape(system, booking, max([start, *moves]), legal)
            return None, None
        self.move(system, release, "RELEASED", prison, "OUT")
        booking.end, booking.active, booking.in_out, booking.release = (
            release,
            False,
            "OUT",
            release,
        )
        return release, sentence_end

    def escape(self, system: str, booking: Booking, since: date, legal: str) -> None:
        """Perhaps (:data:`ESCAPE_RATE`) an escape from the open ``booking`` after ``since``: the
        person is unlawfully at large, the booking still open and OUT. Drawn from the person's
        own stream, so no other record of the estate changes."""
        escapes = random.Random(f"escape-{self.b.seed}-{self.person.person_id}")
        if legal == "REMAND" or escapes.random() >= ESCAPE_RATE or (SIM_TODAY - since).days < 3:
            return
        escaped = since + timedelta(days=escapes.randint(1, (SIM_TODAY - since).days - 1))
        self.move(system, escaped, "ESCAPED", booking.prison_id, "UAL")
        booking.in_out = "OUT"

    def admit(
        self, system: str, prison: str, on: date, legal: str, came_from: str, sed: date | None
    ) -> Booking:
        rng = self.rng
        record = self.b.prisoner(self.person, system)
        sentenced = sed is not None
        booking = Booking(
            booking_id=self.b.next_booking_id(),
            book_number=f"{rng.randint(10000, 99999)}{rng.choice('ABCDEFGH')}",
            prison_id=prison,
            start=on,
            end=None,
            active=True,
            in_out="IN",
            legal_status=legal,
            security_category=rng.choice(("B", "C", "C", "D")),
            cell_location=f"{rng.choice('ABCDEFGH')}-{rng.randint(1, 4)}-{rng.randint(1, 40):03d}",
            sentence_start=on if sentenced else None,
            sentence_expiry=sed,
            conditional_release=on + (sed - on) / 2 if sed else None,
            licence_expiry=sed,
        )
        record.bookings.append(booking)
        self.move(system, on, "ADMISSION", came_from, prison)
        return booking

    def move(self, system: str, on: date, kind: str, source: str, target: str) -> None:
        record = self.b.prisoner(self.person, system)
        text = f"{kind.replace('_', ' ').capitalize()}: {_place(source)} to {_place(target)}"
        record.movements.append(MovementRow(on, kind, source, target, text))

    # ---- probation -----------------------------------------------------------------------------
    def licence(self, release: date, licence_end: date) -> None:
        """Licence from release to its end, perhaps recalled part-way."""
        licence_type = "AP_PSS" if self.rng.random() < 0.3 else "AP"
        if licence_end > release + timedelta(days=60) and self.rng.random() < 0.2:
            recalled = release + self.days(20, (licence_end - release).days - 20)
            if recalled < SIM_TODAY:
                self.supervise(release, recalled, "LICENCE", licence_type)
                back_out, _ = self.custody(recalled, "RECALL", licence_end)
                if back_out is not None and back_out < licence_end:
                    self.supervise(back_out, licence_end, "LICENCE", licence_type)
                return
        self.supervise(release, licence_end, "LICENCE", licence_type)
        if licence_type == "AP_PSS":
            self.supervise(
                licence_end, licence_end + timedelta(days=365), "POST_SENTENCE_SUPERVISION", "PSS"
            )

    def supervise(self, start: date, end: date, kind: str, licence_type: str | None) -> None:
        """Supervision in a probation region; a case may move to another region part-way."""
        if start >= SIM_TODAY:
            return
        region = self.current_region() or self.rng.choice(list(PROBATION_REGIONS))
        if self.rng.random() < 0.2 and end > start + timedelta(days=60):
            moved = start + self.days(30, (end - start).days - 30)
            if moved < SIM_TODAY:
                self.episode(region, start, moved, kind, licence_type)
                region = self.rng.choice([r for r in PROBATION_REGIONS if r != region])
                start = moved
        self.episode(region, start, end, kind, licence_type)

    def episode(
        self, region: str, start: date, end: date, kind: str, licence_type: str | None
    ) -> None:
        system = self.b.system_for(region)
        case = self.b.case(self.person, system)
        active = end > SIM_TODAY
        case.supervisions.append(
            SupervisionRow(
                episode_id=f"{case.local_id}-{len(case.supervisions) + 1}",
                kind=kind,
                licence_type=licence_type,
                probation_region=region,
                start=start,
                end=None if active else end,
                active=active,
                tier=f"{self.rng.choice('ABCD')}{self.rng.randint(0, 3)}",
            )
        )
        self.current_case = (region, case)

    def current_region(self) -> str | None:
        return self.current_case[0] if self.current_case else None

    def allocate(self) -> None:
        """Offender managers for the case that is live now; exactly one responsible officer."""
        rng = self.rng
        if self.in_custody_at is not None and rng.random() < 0.7:
            region = self.current_region() or rng.choice(list(PROBATION_REGIONS))
            case = self.b.case(self.person, self.b.system_for(region))
            self.current_case = (region, case)
            case.managers.append(self.manager("POM", region, True, self.in_custody_at))
            case.managers.append(self.manager("COM", region, False, None))
            return
        if self.current_case is None or self.in_custody_at is not None:
            return
        region, case = self.current_case
        if any(s.active for s in case.supervisions):
            case.managers.append(self.manager("COM", region, True, None))

    def manager(self, role: str, region: str, responsible: bool, prison: str | None) -> ManagerRow:
        rng = self.rng
        unallocated = role == "COM" and rng.random() < 0.05
        code = (
            f"{region}UATU"
            if unallocated
            else "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
            + f"{rng.randint(100, 999)}"
        )
        return ManagerRow(
            staff_code=code,
            forename=None if unallocated else rng.choice(self.b.staff_forenames),
            surname=None if unallocated else rng.choice(self.b.staff_surnames),
            role=role,
            team=f"{PRISONS[prison]} OMU"
            if prison
            else f"{PROBATION_REGIONS[region]} Team {rng.randint(1, 9)}",
            probation_delivery_unit=f"{PROBATION_REGIONS[region]} PDU {rng.randint(1, 4)}",
            probation_region=region,
            responsible_officer=responsible,
            allocated_on=SIM_TODAY - self.days(1, 300),
        )


def _place(code: str) -> str:
    return "unlawfully at large" if code == "UAL" else PRISONS.get(code, code.capitalize())
