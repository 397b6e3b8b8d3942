"""``offender-graph index build``: the index seeded from every region that lists its people,
checked against the simulated estate's truth, and a lookup it makes warm."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from connectors.identifiers import Identifier, IdentifierKind
from gateway.cli import main
from gateway.identity import group_records
from gateway.identity.index.sqlite_store import SqlitePersonIndex
from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.gateway.truth import spelled_alike, strongly_linked


def built(tmp_path: Path, running: RunningEstate, capsys: pytest.CaptureFixture[str]) -> str:
    database = tmp_path / "index.sqlite3"
    config = tmp_path / "gateway.toml"
    config.write_text(
        running.config_toml(index={"url": f"sqlite:///{database}"}, cache={"enabled": False}),
        encoding="utf-8",
    )
    main(["index", "build", "--config", str(config)])
    return capsys.readouterr().out


async def indexed_records(database: Path, noms: str) -> tuple[str, set[tuple[str, str]]] | None:
    index = SqlitePersonIndex(database)
    try:
        person = await index.locate(Identifier(IdentifierKind.NOMS, noms))
        return (person.id, {r.key for r in person.records}) if person else None
    finally:
        await index.aclose()


def conflicting_identifiers(estate: Estate) -> list[Identifier]:
    """Every strong identifier of the groups of records (as their connectors map them) that
    share one with another group: records strong links keep apart, as they contradict each
    other on another identifier. (A shared identifier alone is ambiguous in the index anyway;
    the group's other identifiers would lead a warm lookup past the conflict.)"""
    groups = group_records(estate.person_records())
    holders: dict[Identifier, set[int]] = {}
    for n, group in enumerate(groups):
        for record in group:
            for identifier in record.identifiers:
                holders.setdefault(identifier, set()).add(n)
    clashing = {n for held in holders.values() if len(held) > 1 for n in held}
    return sorted({i for n in clashing for r in groups[n] for i in r.identifiers}, key=str)


async def located(database: Path, identifier: Identifier) -> str | None:
    index = SqlitePersonIndex(database)
    try:
        person = await index.locate(identifier)
        return person.id if person else None
    finally:
        await index.aclose()


def test_build_indexes_every_linked_person_with_their_records(
    tmp_path: Path,
    estate: Estate,
    running_estate: RunningEstate,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OFFENDER_GRAPH_INDEX__URL", raising=False)  # the file's [index] counts
    out = built(tmp_path, running_estate, capsys)
    listed = dict(re.findall(r"^\s+(\S+)\s+(\d+) records in \d+ pages$", out, re.MULTILINE))
    assert listed == {
        name: str(len(system.store.records)) for name, system in running_estate.systems.items()
    }, out
    assert "remembered " in out and "people (" in out
    people = [
        p
        for p in estate.spanning(2)
        if p.noms and strongly_linked(estate, p) and spelled_alike(estate, p)
    ][:40]
    assert len(people) == 40
    database = tmp_path / "index.sqlite3"
    first = {}
    for person in people:
        found = asyncio.run(indexed_records(database, person.noms))
        assert found is not None, person
        truth = {(system, r.local_id) for system, r in estate.records_of(person.person_id)}
        assert found[1] == truth, person
        first[person.person_id] = found[0]
    clashing = conflicting_identifiers(estate)
    assert clashing, "the estate's dirt holds records claiming one person and contradicting"
    for identifier in clashing:  # left to the full walk, which reports the conflict
        assert asyncio.run(located(database, identifier)) is None, identifier
    out = built(tmp_path, running_estate, capsys)  # again: the same people, the same ids
    for person in people:
        again = asyncio.run(indexed_records(database, person.noms))
        assert again is not None and again[0] == first[person.person_id]
