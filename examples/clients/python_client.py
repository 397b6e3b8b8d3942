"""A front-end team's Python client, with gql: queries are validated against the committed SDL
before they are sent, so a schema change breaks this client's tests, not its users.

    python examples/clients/python_client.py http://127.0.0.1:8000/graphql A1234AA
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
OPERATIONS = gql(Path(__file__).with_name("operations.graphql").read_text(encoding="utf-8"))


async def lookup(url: str, identifier: str) -> dict[str, Any]:
    """One person by any identifier, as the ``OffenderLookup`` operation shapes them."""
    client = Client(transport=HTTPXAsyncTransport(url=url, timeout=15), schema=SCHEMA)
    async with client as session:
        request = GraphQLRequest(
            OPERATIONS, variable_values={"identifier": identifier}, operation_name="OffenderLookup"
        )
        result: dict[str, Any] = await session.execute(request)
    return result


async def search(url: str, name: str) -> list[dict[str, Any]]:
    """Every person a name search finds, following the cursors to the last page."""
    client = Client(transport=HTTPXAsyncTransport(url=url, timeout=15), schema=SCHEMA)
    people: list[dict[str, Any]] = []
    after: str | None = None
    async with client as session:
        while True:
            request = GraphQLRequest(
                OPERATIONS,
                variable_values={"name": name, "after": after},
                operation_name="OffenderSearch",
            )
            page = (await session.execute(request))["offenders"]
            people += [edge["node"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return people
            after = page["pageInfo"]["endCursor"]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(lookup(sys.argv[1], sys.argv[2])), indent=2))
