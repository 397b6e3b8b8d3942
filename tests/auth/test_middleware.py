"""The authentication middleware end to end, in a real gateway over the simulated estate: 401s
with their challenges, a good token's query, an issuer outage as 503, and what /ready, /status
and /metrics show to whom."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulators.runner import RunningEstate
from simulators.server import free_port
from tests.auth.issuer import AUDIENCE, ISSUER, Issuer, JwksServer
from tests.conftest import serve_gateway

QUERY = {"query": "{ regions { name } }"}


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def root(running_estate: RunningEstate, issuer: Issuer) -> Iterator[str]:
    """A gateway trusting ``issuer``, whose JWKS a real local server serves."""
    with JwksServer(issuer).running() as jwks:
        auth = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks.url}
        group, url = serve_gateway(running_estate, auth=auth, graphiql=True)
        try:
            yield url.removesuffix("/graphql")
        finally:
            group.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["errors"][0]["extensions"] == {"code": code}
    assert "data" not in body
    return body


def test_no_token_is_401_with_the_bearer_challenge(root: str) -> None:
    response = httpx.post(root + "/graphql", json=QUERY)
    _refused(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == 'Bearer realm="offender-graph"'
    get = httpx.get(root + "/graphql", params=QUERY)  # a GET with a query is a query too
    _refused(get, 401, "UNAUTHENTICATED")
    head = httpx.head(root + "/graphql", params=QUERY)  # and so is a HEAD
    assert head.status_code == 401


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("expired", lambda i: _bearer(i.token(exp=int(time.time()) - 300))),
        ("wrong audience", lambda i: _bearer(i.token(aud="elsewhere"))),
        ("forged", lambda i: _bearer(Issuer().token())),  # another key under kid rsa-1
        ("not bearer", lambda i: {"authorization": "Basic dXNlcjpwYXNz"}),
        ("empty bearer", lambda i: {"authorization": "Bearer"}),
    ],
)
def test_a_bad_token_is_401_invalid_token_without_echoing_it(
    root: str, issuer: Issuer, case: str, header: Any
) -> None:
    headers = header(issuer)
    response = httpx.post(root + "/graphql", json=QUERY, headers=headers)
    _refused(response, 401, "UNAUTHENTICATED")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    token = headers["authorization"].partition(" ")[2]
    assert not token or token not in response.text


def test_a_good_token_runs_the_query(root: str, issuer: Issuer) -> None:
    response = httpx.post(root + "/graphql", json=QUERY, headers=_bearer(issuer.token()))
    assert response.status_code == 200, response.text
    assert {r["name"] for r in response.json()["data"]["regions"]} >= {"prison-north"}


def test_the_graphiql_page_needs_no_token_and_shows_how_to_send_one(root: str) -> None:
    page = httpx.get(root + "/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "offender-graph token prison-officer" in page.text
    assert "Bearer <token>" in page.text


def test_health_is_open_and_ready_details_are_for_operators(root: str, issuer: Issuer) -> None:
    assert httpx.get(root + "/health").json() == {"status": "ok"}
    for headers in ({}, _bearer(issuer.token()), _bearer("bad")):  # nobody, a user, a bad token
        ready = httpx.get(root + "/ready", headers=headers)
        assert set(ready.json()) == {"ready"}
    operator = httpx.get(root + "/ready", headers=_bearer(issuer.token(roles=["OPERATOR"])))
    assert "prison-north" in operator.json()["regions"]


@pytest.mark.parametrize("path", ["/status", "/status.json", "/metrics"])
def test_status_and_metrics_are_for_operators(root: str, issuer: Issuer, path: str) -> None:
    _refused(httpx.get(root + path), 401, "UNAUTHENTICATED")
    _refused(httpx.get(root + path, headers=_bearer(issuer.token())), 403, "FORBIDDEN")
    operator = httpx.get(root + path, headers=_bearer(issuer.token(roles="OPERATOR")))
    assert operator.status_code == 200
    assert "prison-north" in operator.text


def test_the_dev_jwks_is_not_served_without_the_dev_issuer(root: str) -> None:
    assert httpx.get(root + "/.well-known/dev-jwks.json").status_code == 404


def test_an_issuer_that_is_down_is_503_not_500(
    running_estate: RunningEstate, issuer: Issuer
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/jwks.json"  # nothing listens
    auth = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": nowhere, "jwks_timeout": 1.0}
    group, url = serve_gateway(running_estate, auth=auth)
    try:
        response = httpx.post(url, json=QUERY, headers=_bearer(issuer.token()))
        _refused(response, 503, "AUTH_UNAVAILABLE")
        assert issuer.token() not in response.text
        assert set(httpx.get(url.removesuffix("/graphql") + "/ready").json()) == {"ready"}
    finally:
        group.stop()
