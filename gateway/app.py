"""``create_app(settings)``: the only way to build the gateway's ASGI app."""

from __future__ import annotations

import contextlib
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
from gateway.context import GatewayContext
from gateway.graphiql import ASSETS_URL, STATIC_DIR, graphiql_page
from gateway.health import ready_payload
from gateway.request_guard import RequestGuard
from gateway.runtime import Runtime, build_runtime
from gateway.settings import GatewaySettings
from schema.build import build_schema


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Strawberry's ASGI view with our per-request context and our offline GraphiQL page."""

    def __init__(self, runtime: Runtime, example_identifier: str) -> None:
        settings = runtime.settings
        super().__init__(
            build_schema(
                max_depth=settings.max_depth,
                max_aliases=settings.max_aliases,
                max_tokens=settings.max_tokens,
                max_cost=settings.max_cost,
                regions=len(runtime.directory.names),
                max_page_size=settings.max_page_size,
                introspection=settings.introspection,
            ),
            graphql_ide="graphiql" if settings.graphiql else None,
        )
        self.runtime = runtime
        self.example_identifier = example_identifier

    async def get_context(self, request: Any, response: Any) -> GatewayContext:
        return self.runtime.context()

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        return HTMLResponse(graphiql_page(self.example_identifier))


def create_app(
    settings: GatewaySettings,
    *,
    connectors: Mapping[str, Connector] | None = None,
    example_identifier: str = "A1234AA",
) -> Starlette:
    """The gateway app: ``/graphql`` (GraphiQL on GET), ``/health``, ``/ready``, GraphiQL assets."""
    runtime = build_runtime(settings, connectors)
    graphql = GatewayGraphQL(runtime, example_identifier)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.aclose()

    async def health_check(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        body, status = ready_payload(runtime.health, runtime.breakers)
        return JSONResponse(body, status_code=status)

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health_check),
        Route("/ready", ready),
        Mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR / "graphiql"), name="graphiql"),
    ]
    guard = Middleware(
        RequestGuard, max_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout
    )
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[guard])
    app.state.runtime = runtime
    return app
