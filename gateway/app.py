"""``create_app(settings)``: the only way to build the gateway's ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from connectors.base import Connector
from connectors.errors import ConnectorError
from connectors.registry import build_connectors
from gateway.context import GatewayContext, new_context
from gateway.graphiql import ASSETS_URL, STATIC_DIR, graphiql_page
from gateway.health import RegionHealth, RegionStatus
from gateway.limits import BodySizeLimit
from gateway.settings import GatewaySettings
from schema.build import build_schema

log = logging.getLogger("offender_graph.gateway")
START_TIMEOUT = 10.0


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Strawberry's ASGI view with our per-request context and our offline GraphiQL page."""

    def __init__(
        self,
        settings: GatewaySettings,
        connectors: Mapping[str, Connector],
        health: RegionHealth,
        example_identifier: str,
    ) -> None:
        super().__init__(
            build_schema(
                max_depth=settings.max_depth,
                max_aliases=settings.max_aliases,
                max_tokens=settings.max_tokens,
                introspection=settings.introspection,
            ),
            graphql_ide="graphiql" if settings.graphiql else None,
        )
        self.settings = settings
        self.connectors = connectors
        self.health = health
        self.example_identifier = example_identifier

    async def get_context(self, request: Any, response: Any) -> GatewayContext:
        return new_context(
            self.connectors,
            self.health,
            deadline_seconds=self.settings.request_deadline,
            max_page_size=self.settings.max_page_size,
        )

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        return HTMLResponse(graphiql_page(self.example_identifier))


async def start_connectors(connectors: Mapping[str, Connector], health: RegionHealth) -> None:
    """Start every connector in parallel; a region that is down is marked so, not fatal."""

    async def start(name: str, connector: Connector) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await connector.start()
            health.record_success(name)
        except ConnectorError as exc:
            log.warning("region %s did not start: %s", name, exc)
            health.record_failure(name, exc)
        except TimeoutError:
            log.warning("region %s did not start within %ss", name, START_TIMEOUT)

    await asyncio.gather(*(start(n, c) for n, c in connectors.items()))


def create_app(
    settings: GatewaySettings,
    *,
    connectors: Mapping[str, Connector] | None = None,
    example_identifier: str = "A1234AA",
) -> Starlette:
    """The gateway app: ``/graphql`` (GraphiQL on GET), ``/health``, ``/ready``, GraphiQL assets."""
    regions = dict(connectors) if connectors is not None else build_connectors(settings.regions)
    health = RegionHealth(list(regions))
    graphql = GatewayGraphQL(settings, regions, health, example_identifier)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await start_connectors(regions, health)
        try:
            yield
        finally:
            await asyncio.gather(*(c.aclose() for c in regions.values()), return_exceptions=True)

    async def health_check(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        states = {name: health.state(name) for name in regions}
        body = {
            name: {"status": s.status.value, "lastError": s.last_error}
            for name, s in states.items()
        }
        any_up = any(s.status is not RegionStatus.DOWN for s in states.values())
        return JSONResponse({"ready": any_up, "regions": body}, status_code=200 if any_up else 503)

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health_check),
        Route("/ready", ready),
        Mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR / "graphiql"), name="graphiql"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)],
    )
    app.state.connectors = regions
    app.state.health = health
    return app
