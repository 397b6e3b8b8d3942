"""``create_app(settings)``: the only way to build the gateway's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from auth.middleware import principal_of
from auth.principal import Principal
from connectors.base import Connector
from gateway.audit.build import queue_depth
from gateway.authentication import dev_issuer, dev_jwks_route, is_operator, not_an_operator
from gateway.context import GatewayContext
from gateway.graphiql import ASSETS_URL, STATIC_DIR, ExamplePerson, graphiql_page
from gateway.health import ready_payload
from gateway.http_stack import middleware
from gateway.limits import Refused, error_body
from gateway.observability.access_log import note_operation, note_result
from gateway.observability.metrics_export import LiveCollector, MetricsExport, worker_exited
from gateway.observability.metrics_graphql import operation_metrics
from gateway.observability.status_page import render_index, render_status, status_payload
from gateway.observability.tracing import continued_trace
from gateway.observability.tracing_graphql import OperationTracing
from gateway.runtime import Runtime, build_runtime
from gateway.settings import GatewaySettings
from gateway.trusted_documents import load_trusted_documents
from schema.build import build_schema


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Strawberry's ASGI view with our per-request context, our offline GraphiQL page, JSON
    read and written by orjson, and each distinct document prepared once (``documents``)."""

    def __init__(self, runtime: Runtime, example: ExamplePerson) -> None:
        settings = runtime.settings
        self.trusted = load_trusted_documents(settings.trusted_documents, settings.adhoc_documents)
        schema = build_schema(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            regions=len(runtime.directory.names),
            max_page_size=settings.max_page_size,
            introspection=settings.introspection,
            prepared=self.trusted.parsed,
            document_cache_size=settings.document_cache_size,
            observers=[
                operation_metrics(runtime.metrics),
                *([OperationTracing] if runtime.tracer else []),
            ],
        )
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.documents = schema.documents
        self.runtime = runtime
        self.example = example

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.runtime.tracer is None or scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        with continued_trace(Headers(scope=scope)):  # the client's traceparent, if it sent one
            return await super().__call__(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> GatewayContext:
        principal = principal_of(request.scope)  # proved by auth/middleware.py
        if principal is None:  # never reached with a token required; nobody sees nothing
            off = self.runtime.settings.auth.mode == "off"
            principal = Principal.development() if off else Principal("anonymous", "")
        return self.runtime.context(principal)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except Refused as refused:  # a trusted-documents refusal: coded JSON, like the guard's
            body = error_body(refused.code, refused.message)
            return Response(body, refused.status, media_type="application/json")
        except HTTPException as refused:  # strawberry's own (no query, unknown operation, ...)
            body = error_body("BAD_REQUEST", refused.reason)
            return Response(body, refused.status_code, media_type="application/json")

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: strawberry answers it 400

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def should_render_graphql_ide(self, request: Any) -> bool:
        params = request.query_params  # a GET naming a trusted document is not the page
        named = "documentId" in params or "extensions" in params
        return not named and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            raw = (
                self.parse_query_params(request.query_params)
                if request.method == "GET"
                else self.parse_json(await request.get_body())  # read once, kept by Starlette
            )
            data.query = self.trusted.resolve(data.query, raw.get("documentId"), data.extensions)
            note_operation(data.operation_name, data.query)  # for the access line
        return data

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        note_result(result.data is not None, bool(result.errors))  # for the access line
        return await super().process_result(request, result)

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        token = self.runtime.settings.auth.mode == "jwt"  # show how to send one
        return HTMLResponse(graphiql_page(self.example, token))


def create_app(
    settings: GatewaySettings,
    *,
    connectors: Mapping[str, Connector] | None = None,
    example_identifier: str = "A1234AA",
    example_name: str = "Smith",
    example_date_of_birth: str | None = None,
) -> Starlette:
    """The gateway app: ``/graphql`` (GraphiQL on GET, its examples about the example person),
    ``/health``, ``/ready``, ``/status`` (and ``.json``), ``/`` and the GraphiQL assets; with the
    development issuer, its key set at ``/.well-known/dev-jwks.json``. ``/ready``'s details,
    ``/status`` and ``/metrics`` are for operators (``[auth] operator_role``)."""
    runtime = build_runtime(settings, connectors)
    example = ExamplePerson(example_identifier, example_name, example_date_of_birth)
    graphql = GatewayGraphQL(runtime, example)

    live = LiveCollector(
        list(runtime.connectors), runtime.breakers, audit_queue_depth=queue_depth(runtime.audit)
    )
    metrics = MetricsExport(runtime.metrics, live)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.aclose()
            worker_exited()

    async def health_check(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def operator(request: Request) -> bool:
        return is_operator(principal_of(request.scope), settings.auth)

    async def ready(request: Request) -> Response:
        body, status = ready_payload(runtime.health, runtime.breakers)
        if not operator(request):  # regions and their errors are for operators only
            body = {"ready": body["ready"]}
        return JSONResponse(body, status_code=status)

    def status_json() -> dict[str, Any]:
        return status_payload(runtime.directory, runtime.health, runtime.breakers, runtime.stats)

    async def status(request: Request) -> Response:
        if not operator(request):
            return not_an_operator()
        return HTMLResponse(render_status(status_json()))

    async def status_data(request: Request) -> Response:
        if not operator(request):
            return not_an_operator()
        return JSONResponse(status_json())

    async def metrics_data(request: Request) -> Response:
        if not operator(request):
            return not_an_operator()
        return await metrics.endpoint(request)

    async def index(request: Request) -> Response:
        return HTMLResponse(render_index(settings.graphiql))

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health_check),
        Route("/ready", ready),
        Route("/metrics", metrics_data),
        Route("/status", status),
        Route("/status.json", status_data),
        Route("/", index),
        Mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR / "graphiql"), name="graphiql"),
    ]
    if settings.auth.mode == "jwt" and settings.auth.dev_issuer:
        routes.append(dev_jwks_route(dev_issuer(settings.auth)))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware(settings))
    app.state.runtime = runtime
    app.state.documents = graphql.documents
    return app
