"""The person index's interface: where records of people are kept under stable ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from connectors.identifiers import Identifier
from gateway.identity.index.model import IndexedPerson, IndexedRecord, IndexStats, Sighting


class PersonIndex(Protocol):
    """Records of people under stable ids (SQLite or PostgreSQL)."""

    async def open(self) -> None:
        """Connect, and create the tables if missing."""

    async def locate(self, identifier: Identifier) -> IndexedPerson | None:
        """The one person whose records hold ``identifier``; None when nobody does, or when two
        people do (a conflict: the walk reports it). Freshness is the caller's to judge."""

    async def person(self, person_id: str) -> IndexedPerson | None:
        """The person with this id, or with the id it was retired to (the survivor's id then)."""

    async def remember(self, sighting: Sighting, now: datetime) -> str:
        """Store one walk's group as one person (merging and splitting as the records say);
        returns their stable id."""

    async def remember_all(self, sightings: Sequence[Sighting], now: datetime) -> list[str]:
        """:meth:`remember` for many groups in one transaction (seeding the index)."""

    async def forget(self, region: str, local_id: str) -> None:
        """Drop one record (its region no longer holds it)."""

    async def candidates(self, keys: Sequence[str], limit: int) -> list[IndexedRecord]:
        """Records holding any of the search ``keys``, those holding most first."""

    async def stats(self) -> IndexStats: ...

    async def aclose(self) -> None: ...
