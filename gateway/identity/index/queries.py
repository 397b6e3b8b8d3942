"""The index's tables and statements, the same text for SQLite and PostgreSQL (``?`` marks a
parameter; :func:`postgres` spells it ``%s``), and the row codecs both stores use.

``index_records`` holds each record under its person, with its identifiers, snapshot and search
keys as JSON; ``index_identifiers`` and ``index_keys`` index the record by each identifier and
key; ``index_people`` holds when each id was minted (the older id survives a merge) and
``index_retired`` maps every retired id to the id it moved to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.identifiers import Identifier
from connectors.records import PersonRecord
from gateway.identity.grouping import RecordKey, record_key
from gateway.identity.index.linking import Changes, Held
from gateway.identity.index.model import (
    IndexedPerson,
    IndexedRecord,
    Sighting,
    from_snapshot,
    identifier_text,
    parse_identifier_text,
    snapshot,
)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS index_people (
        id TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS index_retired (
        id TEXT PRIMARY KEY, survivor TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS index_records (
        region TEXT NOT NULL, local_id TEXT NOT NULL, person_id TEXT NOT NULL,
        identifiers TEXT NOT NULL, snapshot TEXT NOT NULL, keys TEXT NOT NULL,
        confirmed_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (region, local_id))""",
    "CREATE INDEX IF NOT EXISTS index_records_person ON index_records (person_id)",
    """CREATE TABLE IF NOT EXISTS index_identifiers (
        identifier TEXT NOT NULL, region TEXT NOT NULL, local_id TEXT NOT NULL,
        PRIMARY KEY (identifier, region, local_id))""",
    "CREATE INDEX IF NOT EXISTS index_identifiers_record ON index_identifiers (region, local_id)",
    """CREATE TABLE IF NOT EXISTS index_keys (
        key TEXT NOT NULL, region TEXT NOT NULL, local_id TEXT NOT NULL,
        PRIMARY KEY (key, region, local_id))""",
    "CREATE INDEX IF NOT EXISTS index_keys_record ON index_keys (region, local_id)",
)
RECORD_COLUMNS = "region, local_id, person_id, identifiers, snapshot, keys, confirmed_at"

OWNER_OF_RECORD = "SELECT person_id FROM index_records WHERE region = ? AND local_id = ?"
OWNERS_OF_IDENTIFIER = (
    "SELECT DISTINCT r.person_id FROM index_identifiers i JOIN index_records r "
    "ON r.region = i.region AND r.local_id = i.local_id WHERE i.identifier = ?"
)
RECORDS_OF = f"SELECT {RECORD_COLUMNS} FROM index_records WHERE person_id = ?"
CREATED = "SELECT created_at FROM index_people WHERE id = ?"
SURVIVOR = "SELECT survivor FROM index_retired WHERE id = ?"
CANDIDATES = (
    f"SELECT {', '.join('r.' + c.strip() for c in RECORD_COLUMNS.split(','))} "
    "FROM index_keys k JOIN index_records r ON r.region = k.region AND r.local_id = k.local_id "
    "WHERE k.key IN ({marks}) GROUP BY r.region, r.local_id "
    "ORDER BY count(*) DESC, r.region, r.local_id LIMIT ?"
)

MINT = "INSERT INTO index_people (id, created_at) VALUES (?, ?)"
RETIRE = (
    "INSERT INTO index_retired (id, survivor, at) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET survivor = excluded.survivor, at = excluded.at"
)
FORWARD_RETIRED = "UPDATE index_retired SET survivor = ? WHERE survivor = ?"
DROP_PERSON = "DELETE FROM index_people WHERE id = ?"
MOVE = "UPDATE index_records SET person_id = ? WHERE region = ? AND local_id = ?"
SET_IDENTIFIERS = "UPDATE index_records SET identifiers = ? WHERE region = ? AND local_id = ?"
UPSERT = (
    f"INSERT INTO index_records ({RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (region, local_id) DO UPDATE SET person_id = excluded.person_id, "
    "identifiers = excluded.identifiers, snapshot = excluded.snapshot, keys = excluded.keys, "
    "confirmed_at = excluded.confirmed_at"
)
ADD_IDENTIFIER = (
    "INSERT INTO index_identifiers (identifier, region, local_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
ADD_KEY = "INSERT INTO index_keys (key, region, local_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
FORGET = tuple(
    f"DELETE FROM {table} WHERE region = ? AND local_id = ?"
    for table in ("index_records", "index_identifiers", "index_keys")
)
CLEAR_IDENTIFIERS, CLEAR_KEYS = FORGET[1], FORGET[2]
COUNTS = "SELECT count(DISTINCT person_id), count(*) FROM index_records"


def postgres(sql: str) -> str:
    """The statement with PostgreSQL's parameter marks."""
    return sql.replace("?", "%s")


def candidates_sql(count: int) -> str:
    return CANDIDATES.format(marks=", ".join("?" * count))


def epoch(moment: datetime) -> float:
    """``moment`` as epoch seconds (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def record_row(
    record: PersonRecord, person_id: str, keys: Sequence[str], now: float
) -> tuple[Any, ...]:
    """The ``index_records`` row of a record seen now."""
    identifiers = [identifier_text(i) for i in record.identifiers]
    return (
        record.region,
        record.local_id,
        person_id,
        json.dumps(identifiers),
        json.dumps(snapshot(record), separators=(",", ":")),
        json.dumps(list(keys)),
        now,
    )


def indexed(row: Sequence[Any]) -> IndexedRecord:
    region, local_id, person_id, identifiers, data, keys, confirmed = row
    return IndexedRecord(
        person_id,
        from_snapshot(region, local_id, json.loads(identifiers), json.loads(data)),
        datetime.fromtimestamp(confirmed, UTC),
        tuple(json.loads(keys)),
    )


def held(row: Sequence[Any]) -> tuple[RecordKey, Held]:
    region, local_id, person_id, identifiers = row[:4]
    found = frozenset(parse_identifier_text(i) for i in json.loads(identifiers))
    return (region, local_id), Held(person_id, found)


def person(person_id: str, rows: Sequence[Sequence[Any]]) -> IndexedPerson | None:
    if not rows:
        return None
    return IndexedPerson(person_id, tuple(indexed(r) for r in rows))


def identifiers_json(identifiers: frozenset[Identifier]) -> str:
    return json.dumps(sorted(identifier_text(i) for i in identifiers))


Statement = tuple[str, tuple[Any, ...]]


def writes(sighting: Sighting, changes: Changes, now: float) -> list[Statement]:
    """The statements that apply ``changes`` and store the sighting's records, in order."""
    out: list[Statement] = [(MINT, (person_id, now)) for person_id in changes.minted]
    for old, survivor in changes.retired.items():
        out += [(RETIRE, (old, survivor, now)), (FORWARD_RETIRED, (survivor, old))]
        out.append((DROP_PERSON, (old,)))
    out += [(sql, key) for key in sorted(changes.dropped) for sql in FORGET]
    out += [(MOVE, (owner, *key)) for key, owner in sorted(changes.owners.items())]
    for key, identifiers in sorted(changes.identifiers.items()):
        out += [(SET_IDENTIFIERS, (identifiers_json(identifiers), *key)), (CLEAR_IDENTIFIERS, key)]
        out += [(ADD_IDENTIFIER, (identifier_text(i), *key)) for i in sorted(identifiers, key=str)]
    for record in sighting.records:
        key = record_key(record)
        keys = sighting.keys.get(key, ())
        out += [(UPSERT, record_row(record, changes.person_id, keys, now))]
        out += [(CLEAR_IDENTIFIERS, key), (CLEAR_KEYS, key)]
        out += [(ADD_IDENTIFIER, (identifier_text(i), *key)) for i in record.identifiers]
        out += [(ADD_KEY, (k, *key)) for k in dict.fromkeys(keys)]
    return out
