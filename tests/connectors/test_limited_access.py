"""Limited-access lists mapped into ``PersonRecord.access`` by both REST dialects: over real HTTP
from their simulators, and in-process for payloads that do not map (``UpstreamInvalid`` for that
key alone, or for the whole search)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from connectors.base import Connector, PersonSearch
from connectors.config import AuthConfig
from connectors.errors import UpstreamInvalid
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import NO_LIMITS, AccessLimits
from connectors.rest_camel import CamelProbationConnector
from connectors.rest_snake import SnakeProbationConnector
from simulators.faults import FaultInjection, SimState
from simulators.rest_camel import create_camel_app
from simulators.rest_snake import create_snake_app
from simulators.server import ServerGroup, free_port
from tests.fixtures.rest.cases import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    LENNOX,
    LENNOX_CRN,
    LENNOX_EXCLUDED,
    LENNOX_RESTRICTED,
    WATTS_CRN,
    camel_config,
    probation_store,
    snake_config,
)

LENNOX_LIMITS = AccessLimits(frozenset(LENNOX_EXCLUDED), frozenset(LENNOX_RESTRICTED))
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    camel_state, snake_state = SimState(), SimState()
    camel = create_camel_app(
        probation_store("rest-camel"), camel_state, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    snake = create_snake_app(probation_store("rest-snake"), snake_state, api_key=API_KEY)
    apps = [(FaultInjection(camel, camel_state), free_port())]
    apps.append((FaultInjection(snake, snake_state), free_port()))
    with ServerGroup(apps) as group:
        camel_url, snake_url = group.urls()
        yield {"rest-camel": camel_url, "rest-snake": snake_url}


@pytest.fixture(params=["rest-camel", "rest-snake"])
async def connector(
    request: pytest.FixtureRequest, urls: dict[str, str]
) -> AsyncIterator[Connector]:
    made: Connector
    if request.param == "rest-camel":
        made = CamelProbationConnector(camel_config(urls["rest-camel"]))
    else:
        made = SnakeProbationConnector(snake_config(urls["rest-snake"]))
    await made.start()
    yield made
    await made.aclose()


async def test_lookup_and_search_carry_the_lists(connector: Connector) -> None:
    lennox, watts = await connector.find_by_identifiers(
        [Identifier(IdentifierKind.CRN, LENNOX_CRN), Identifier(IdentifierKind.CRN, WATTS_CRN)]
    )
    assert isinstance(lennox, list) and isinstance(watts, list)
    assert [(r.local_id, r.access) for r in lennox] == [(LENNOX, LENNOX_LIMITS)]
    assert watts[0].access == NO_LIMITS and not watts[0].access.limited
    (found,) = await connector.search_people(PersonSearch(surname="Lennox"))
    assert found.access == LENNOX_LIMITS


# --- payloads, in-process ------------------------------------------------------------------------

CAMEL = {"offenderId": "1", "crn": "X1", "firstName": "A", "surname": "B"}
SNAKE = {"OFFENDER_ID": "1", "FIRST_NAME": "A", "SURNAME": "B"}


def camel_offline(handler: Handler) -> CamelProbationConnector:
    config = replace(camel_config("http://camel.test/"), auth=AuthConfig())
    return CamelProbationConnector(config, transport=httpx.MockTransport(handler))


def snake_offline(handler: Handler) -> SnakeProbationConnector:
    return SnakeProbationConnector(
        snake_config("http://snake.test/"), transport=httpx.MockTransport(handler)
    )


KEYS = [Identifier(IdentifierKind.CRN, "X100001"), Identifier(IdentifierKind.CRN, "X100002")]


async def camel_pair(first: dict[str, Any]) -> list[object]:
    """A two-key look-up answered with ``first`` for the first key and a plain person after."""
    body = {"results": [{"offenders": [first]}, {"offenders": [CAMEL]}]}
    connector = camel_offline(lambda request: httpx.Response(200, json=body))
    try:
        return list(await connector.find_by_identifiers(KEYS))
    finally:
        await connector.aclose()


async def snake_pair(first: dict[str, Any]) -> list[object]:
    """Two look-ups (one GET each): ``first`` for the first key, a plain person for the other."""

    def handler(request: httpx.Request) -> httpx.Response:
        found = first if request.url.params.get("CRN") == KEYS[0].value else SNAKE
        return httpx.Response(200, json={"RESULTS": [found], "NEXT": None})

    connector = snake_offline(handler)
    try:
        return list(await connector.find_by_identifiers(KEYS))
    finally:
        await connector.aclose()


def users(*names: str) -> list[dict[str, str]]:
    return [{"username": name} for name in names]


@pytest.mark.parametrize(
    ("offender", "limits"),
    [
        (CAMEL, NO_LIMITS),
        (CAMEL | {"currentExclusion": False, "currentRestriction": False}, NO_LIMITS),
        (CAMEL | {"limitedAccess": None}, NO_LIMITS),
        (
            CAMEL
            | {
                "currentExclusion": True,
                "currentRestriction": True,
                "limitedAccess": {
                    "exclusions": users("probation.excluded", " tom.baker "),
                    "restrictions": users("probation.restricted"),
                    "exclusionMessage": "You are excluded from viewing this offender record.",
                },
            },
            AccessLimits(
                frozenset({"probation.excluded", "tom.baker"}), frozenset({"probation.restricted"})
            ),
        ),
        (
            CAMEL | {"limitedAccess": {"restrictions": users("a.b")}},  # flags not sent
            AccessLimits(restricted_to=frozenset({"a.b"})),
        ),
    ],
)
async def test_camel_maps_limited_access(offender: dict[str, Any], limits: AccessLimits) -> None:
    mapped, plain = await camel_pair(offender)
    assert isinstance(mapped, list) and mapped[0].access == limits
    assert isinstance(plain, list) and plain[0].access == NO_LIMITS


@pytest.mark.parametrize(
    "offender",
    [
        CAMEL | {"limitedAccess": "none"},
        CAMEL | {"limitedAccess": {"exclusions": users("a.b")[0]}},  # an object, not a list
        CAMEL | {"limitedAccess": {"exclusions": ["probation.excluded"]}},  # names, not users
        CAMEL | {"limitedAccess": {"exclusions": users("  ")}},
        CAMEL | {"limitedAccess": {"restrictions": [{"username": 7}]}},
        CAMEL | {"limitedAccess": {"restrictions": [{}]}},
        CAMEL | {"currentExclusion": True},  # excluded, but no one named
        CAMEL | {"currentRestriction": False, "limitedAccess": {"restrictions": users("a.b")}},
        CAMEL | {"currentExclusion": "Y"},
    ],
)
async def test_camel_malformed_lists_fail_their_key_alone(offender: dict[str, Any]) -> None:
    bad, good = await camel_pair(offender)
    assert isinstance(bad, UpstreamInvalid) and bad.region == "probation-camel"
    assert isinstance(good, list) and [r.local_id for r in good] == ["1"]


@pytest.mark.parametrize(
    ("offender", "limits"),
    [
        (SNAKE, NO_LIMITS),
        (SNAKE | {"EXCLUSION": "N", "EXCLUDED_USERS": [], "RESTRICTION": "N"}, NO_LIMITS),
        (
            SNAKE
            | {
                "EXCLUSION": "Y",
                "EXCLUDED_USERS": ["probation.excluded", "tom.baker"],
                "RESTRICTION": "Y",
                "RESTRICTED_TO_USERS": ["probation.restricted"],
            },
            AccessLimits(
                frozenset({"probation.excluded", "tom.baker"}), frozenset({"probation.restricted"})
            ),
        ),
        (SNAKE | {"RESTRICTED_TO_USERS": ["a.b"]}, AccessLimits(restricted_to=frozenset({"a.b"}))),
    ],
)
async def test_snake_maps_limited_access(offender: dict[str, Any], limits: AccessLimits) -> None:
    mapped, plain = await snake_pair(offender)
    assert isinstance(mapped, list) and mapped[0].access == limits
    assert isinstance(plain, list) and plain[0].access == NO_LIMITS


@pytest.mark.parametrize(
    "offender",
    [
        SNAKE | {"EXCLUDED_USERS": "probation.excluded,tom.baker"},  # a string, not a list
        SNAKE | {"EXCLUDED_USERS": [""]},
        SNAKE | {"RESTRICTED_TO_USERS": [None]},
        SNAKE | {"RESTRICTED_TO_USERS": [{"USER": "a.b"}]},
        SNAKE | {"EXCLUSION": "Y", "EXCLUDED_USERS": []},  # excluded, but no one named
        SNAKE | {"RESTRICTION": "N", "RESTRICTED_TO_USERS": ["a.b"]},
        SNAKE | {"EXCLUSION": "yes"},
    ],
)
async def test_snake_malformed_lists_fail_their_key_alone(offender: dict[str, Any]) -> None:
    bad, good = await snake_pair(offender)
    assert isinstance(bad, UpstreamInvalid) and bad.region == "probation-snake"
    assert isinstance(good, list) and [r.local_id for r in good] == ["1"]


async def test_a_malformed_list_in_a_search_fails_the_search() -> None:
    page = {"content": [CAMEL | {"currentExclusion": True}], "page": {"totalPages": 1}}
    camel = camel_offline(lambda request: httpx.Response(200, json=page))
    snake = snake_offline(
        lambda request: httpx.Response(
            200, json={"RESULTS": [SNAKE | {"EXCLUDED_USERS": [7]}], "NEXT": None}
        )
    )
    for connector in (camel, snake):
        with pytest.raises(UpstreamInvalid):
            await connector.search_people(PersonSearch(surname="B"))
        await connector.aclose()
