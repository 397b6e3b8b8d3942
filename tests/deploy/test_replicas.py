"""The two gateway replicas of ``docker/compose.yaml``, started with its commands and environment
as the image's user (``tests/deploy/container.py``), share one cache through Redis: what one asked
a region, the other answers without asking again."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
import redis
import yaml

from gateway.ids import new_id_key
from simulators.runner import RunningEstate
from simulators.server import free_port
from tests.deploy.container import Container, container, wait_for
from tests.deploy.dockerfile import REPO
from tests.services import require_redis

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="running a command as the image's user needs root"
)
QUERY = "query($id: String!) { offender(identifier: $id) { id } }"
NO_PROBE = {"OFFENDER_GRAPH_RESILIENCE__PROBE_INTERVAL": "3600"}  # its calls would be counted


def upstream_calls(estate: RunningEstate) -> int:
    return sum(sum(system.state.counters.values()) for system in estate.systems.values())


@contextmanager
def replica(box: Container, service: dict[str, Any], environment: dict[str, str]) -> Iterator[str]:
    """One compose replica running as the image's user; yields its /graphql URL."""
    inside = int(service["command"][service["command"].index("--port") + 1])
    box.ports[inside] = free_port()
    process = box.popen(
        service["command"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{box.ports[inside]}"
    try:
        wait_for(f"{base}/health", process)
        yield f"{base}/graphql"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def ask(url: str, identifier: str) -> dict[str, Any]:
    response = httpx.post(url, json={"query": QUERY, "variables": {"id": identifier}}, timeout=15)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_compose_replicas_share_one_cache(running_estate: RunningEstate) -> None:
    redis_url = require_redis()
    services = yaml.safe_load((REPO / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    replicas = [services["services"][name] for name in ("gateway-1", "gateway-2")]
    namespace = f"test-{uuid.uuid4().hex}"
    noms = next(p.noms for p in running_estate.estate.spanning(3) if p.noms)
    with container("gateway") as box, ExitStack() as stack:
        box.mount("/estate/estate.toml", running_estate.config_toml({"id_key": new_id_key()}))
        box.drop_privileges()
        urls = []
        for service in replicas:
            environment = {**service["environment"], **NO_PROBE}
            assert environment["OFFENDER_GRAPH_CACHE__URL"].startswith("redis://redis:")
            environment["OFFENDER_GRAPH_CACHE__URL"] = redis_url  # the tests' Redis for "redis"
            environment["OFFENDER_GRAPH_CACHE__NAMESPACE"] = namespace
            urls.append(stack.enter_context(replica(box, service, environment)))
        try:
            for n, url in enumerate(urls):  # each opens its connections, WSDLs and tokens
                ask(url, f"Z{n:04d}ZZ")
            before = upstream_calls(running_estate)
            first = ask(urls[0], noms)
            assert first["data"]["offender"] is not None
            asked = upstream_calls(running_estate)
            assert asked > before  # the first replica asked the regions
            assert ask(urls[1], noms) == first
            assert upstream_calls(running_estate) == asked  # the second asked none of them
        finally:
            client = redis.Redis.from_url(redis_url)
            keys = client.keys(f"{namespace}:*")
            if keys:
                client.delete(*keys)
            client.close()
