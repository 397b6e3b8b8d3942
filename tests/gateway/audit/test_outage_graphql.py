"""None lost through real reads: a gateway with its audit log on PostgreSQL answers a burst of
GraphQL lookups while the database refuses connections, and every person it resolved is a row."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import httpx

from simulators.runner import RunningEstate
from simulators.truth import Estate
from tests.conftest import serve_gateway
from tests.gateway.audit.helpers import settle
from tests.gateway.audit.pg import refuse_connections, rows

LOOKUP = "query Lookup($id: String!) { offender(identifier: $id) { id name { surname } } }"
READS = 600
READERS = 12


async def test_none_lost_through_graphql_reads_during_an_outage(
    running_estate: RunningEstate, estate: Estate, database: str, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    # A small queue: a 3 s outage overflows it into the spill however slowly a busy machine reads.
    audit = {"url": database, "spill_dir": str(spill), "queue_size": 20, "batch_size": 10}
    group, url = serve_gateway(running_estate, cache={"enabled": True}, audit=audit)
    people = [p.noms for p in itertools.islice(estate.people.values(), 400) if p.noms][:40]
    found = 0
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            turns = iter(range(READS))

            async def reader() -> None:
                nonlocal found
                for n in turns:
                    variables = {"id": people[n % len(people)]}
                    response = await client.post(
                        url, json={"query": LOOKUP, "variables": variables}
                    )
                    found += response.json()["data"]["offender"] is not None
                    await asyncio.sleep(0.05)

            async def watch() -> bool:
                """Whether a spill file appears while the burst lasts (replay deletes it)."""
                while not burst.done():
                    if any(spill.glob("spill-*.jsonl")):
                        return True
                    await asyncio.sleep(0.02)
                return False

            began = time.monotonic()
            burst = asyncio.gather(*(reader() for _ in range(READERS)))
            watching = asyncio.create_task(watch())
            await asyncio.sleep(0.5)
            await asyncio.to_thread(refuse_connections, database, 3.0)
            await burst
            spilled = await watching
            took = time.monotonic() - began
        await settle(lambda: rows(database)[0] >= found, within=60)
        stored = rows(database)
        print(
            f"\naudit through GraphQL: {READS} reads ({found} found) in {took:.1f}s; rows "
            f"{stored[0]} ({stored[1]} distinct) {time.monotonic() - began:.1f}s after the start"
        )
    finally:
        group.stop()
    assert spilled, "the outage should have sent events to the spill"
    assert found == READS  # every lookup answered, outage or not
    assert stored == (found, found)
    assert rows(database) == stored  # nothing more came after: no duplicates at shutdown
