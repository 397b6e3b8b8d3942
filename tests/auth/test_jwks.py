"""auth.jwks: the key set cached, rotation by one refetch, refetches rate limited, an issuer
outage (cached keys still used; none: unavailable)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from auth.jwks import KeySetUnavailable, RemoteKeySet, StaticKeys, UnknownKey
from auth.jwt import InvalidToken, TokenValidator
from tests.auth.issuer import AUDIENCE, ISSUER, Issuer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Provider:
    """An httpx MockTransport answering with the issuer's JWKS (or 503 while down)."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self.down = False
        self.requests = 0
        self.transport = httpx.MockTransport(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json=self.issuer.jwks())


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def provider(issuer: Issuer) -> Provider:
    return Provider(issuer)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(provider: Provider, clock: Clock) -> RemoteKeySet:
    return RemoteKeySet(
        "https://login.test.invalid/jwks.json",
        cache_seconds=300.0,
        refetch_seconds=30.0,
        transport=provider.transport,
        clock=clock,
    )


async def test_keys_are_fetched_once_and_cached(keys: RemoteKeySet, provider: Provider) -> None:
    for _ in range(5):
        assert (await keys.key("rsa-1"))["kty"] == "RSA"
    assert (await keys.key("ec-1"))["kty"] == "EC"
    assert provider.requests == 1


async def test_a_rotated_key_is_found_by_one_refetch_and_accepted(
    keys: RemoteKeySet, provider: Provider, issuer: Issuer, clock: Clock
) -> None:
    validator = TokenValidator(keys, ISSUER, AUDIENCE)
    await validator.principal(issuer.token())
    clock.now += 31  # past the refetch interval, well within the cache's life
    issuer.add_key("rsa-2")  # the issuer rotates
    principal = await validator.principal(issuer.token(kid="rsa-2", sub="rotated"))
    assert principal.subject == "rotated"
    assert provider.requests == 2


async def test_a_flood_of_unknown_kids_costs_one_refetch_per_interval(
    keys: RemoteKeySet, provider: Provider, clock: Clock
) -> None:
    await keys.key("rsa-1")
    for round_ in range(3):
        clock.now += 30
        results = await asyncio.gather(
            *(keys.key(f"made-up-{round_}-{n}") for n in range(50)), return_exceptions=True
        )
        assert all(isinstance(r, UnknownKey) for r in results)
        assert provider.requests == 2 + round_  # the first fetch, then one per interval


async def test_the_issuer_down_with_nothing_cached_is_unavailable_not_invalid(
    keys: RemoteKeySet, provider: Provider, issuer: Issuer
) -> None:
    provider.down = True
    with pytest.raises(KeySetUnavailable):
        await TokenValidator(keys, ISSUER, AUDIENCE).principal(issuer.token())
    with pytest.raises(KeySetUnavailable):  # rate limited: no second request yet
        await keys.key("rsa-1")
    assert provider.requests == 1


async def test_cached_keys_are_used_while_the_issuer_is_down(
    keys: RemoteKeySet, provider: Provider, issuer: Issuer, clock: Clock
) -> None:
    validator = TokenValidator(keys, ISSUER, AUDIENCE)
    await validator.principal(issuer.token())
    provider.down = True
    clock.now += 301  # the cache is stale: a refresh is tried, fails, the keys stay
    assert (await validator.principal(issuer.token(sub="still"))).subject == "still"
    stranger = Issuer()
    stranger.add_key("rsa-9")
    with pytest.raises(InvalidToken, match="unknown"):  # an unknown kid: refused, not a 503
        await validator.principal(stranger.token(kid="rsa-9"))
    provider.down = False
    clock.now += 31
    await keys.key("rsa-1")
    assert provider.requests == 3  # the first, the failed refresh, the recovery


async def test_a_stale_key_set_is_refreshed(
    keys: RemoteKeySet, provider: Provider, clock: Clock
) -> None:
    await keys.key("rsa-1")
    clock.now += 301
    await keys.key("rsa-1")
    assert provider.requests == 2


async def test_a_set_that_is_not_a_jwks_is_unavailable(clock: Clock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"nope": 1}))
    keys = RemoteKeySet("https://x.invalid/jwks", transport=transport, clock=clock)
    with pytest.raises(KeySetUnavailable):
        await keys.key("rsa-1")


async def test_a_set_of_one_key_answers_a_token_without_a_kid(issuer: Issuer) -> None:
    del issuer.keys["ec-1"]
    keys = StaticKeys(issuer.jwks())
    assert (await keys.key(None))["kid"] == "rsa-1"
    with pytest.raises(UnknownKey):
        await keys.key("other")
