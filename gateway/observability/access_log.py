"""One access line per HTTP request, and the per-request facts it reports.

:class:`AccessLog` is pure ASGI middleware, outermost in the app. For each request it takes the
client's ``X-Correlation-ID`` if it is a sane token (1 to 64 letters, digits and ``._:-``, not an
offender identifier), else makes one; echoes it in the response header; puts a
:class:`RequestFacts` in a context variable that the GraphQL view (operation name, outcome) and a
pipeline observer (:class:`RegionsTouched`) fill; and logs, when the response is done::

    method, path, status, duration_ms, correlation_id, operation, regions, outcome

``outcome`` is ``ok``, ``partial`` (GraphQL errors beside data) or ``error`` (HTTP 4xx/5xx, or
errors and no data). No query text, no variables and no query string are logged; a path that
matched no route is logged as ``(unmatched)``, as a client may have put anything in it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from graphql import GraphQLError, Lexer, Source, TokenKind
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.identifiers import InvalidIdentifier, parse_identifier
from gateway.pipeline.observe import Observation

log = logging.getLogger("offender_graph.access")

HEADER = "x-correlation-id"
KNOWN_PATHS = frozenset({"/graphql", "/health", "/ready"})
MAX_PATH = 200
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_DIGITS = re.compile(r"[0-9]{4}")  # a NOMS number or CRN hidden in an operation name
_OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})
MAX_NAME_TOKENS = 5000  # tokens read at most to find a document's operation name


@dataclass(slots=True)
class RequestFacts:
    """What one request's access line reports, filled while it runs."""

    correlation_id: str
    operation: str | None = None
    outcome: str | None = None  # GraphQL's verdict: ok, partial or error
    regions: set[str] = field(default_factory=set)
    failures: set[tuple[str, str]] = field(default_factory=set)  # (region, code) logged


_current: ContextVar[RequestFacts | None] = ContextVar("offender_graph_request", default=None)


def current_request() -> RequestFacts | None:
    """The facts of the request being served, None outside one."""
    return _current.get()


def _holds_identifier(token: str) -> bool:
    for part in re.split(r"[._:-]", token):
        try:
            parse_identifier(part)
        except InvalidIdentifier:
            continue
        return True
    return False


def correlation_id(given: str | None) -> str:
    """The client's id if it is a sane token, else a new random one."""
    if given and _TOKEN.fullmatch(given) and not _holds_identifier(given):
        return given
    return uuid.uuid4().hex


def operation_name(name: object, query: object) -> str | None:
    """The operation's name: the request's ``operationName``, else the document's first named
    operation; None if anonymous. A name that is no GraphQL name, or holds four digits in a row
    (it may carry an identifier), is ``(redacted)``."""
    if name is None and isinstance(query, str):
        name = _document_operation(query)
    if name is None:
        return None
    if not isinstance(name, str) or not _NAME.fullmatch(name) or _DIGITS.search(name):
        return "(redacted)"
    return name


def _document_operation(query: str) -> str | None:
    """The name of the first operation at the top level of ``query``, read with the lexer."""
    lexer, depth = Lexer(Source(query)), 0
    try:
        for _ in range(MAX_NAME_TOKENS):
            token = lexer.advance()
            if token.kind is TokenKind.EOF:
                return None
            if token.kind is TokenKind.BRACE_L:
                depth += 1
            elif token.kind is TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and token.kind is TokenKind.NAME and token.value in _OPERATION_KEYWORDS:
                following = lexer.advance()
                return following.value if following.kind is TokenKind.NAME else None
    except GraphQLError:
        return None
    return None


def note_operation(name: object, query: object) -> None:
    """Record the GraphQL operation's name on the current request."""
    facts = current_request()
    if facts is not None:
        facts.operation = operation_name(name, query)


def note_result(has_data: bool, has_errors: bool) -> None:
    """Record the GraphQL verdict on the current request."""
    facts = current_request()
    if facts is not None:
        facts.outcome = "partial" if has_data and has_errors else "error" if has_errors else "ok"


class RegionsTouched:
    """A pipeline observer: the regions the current request asked (cache hits, and calls a
    concurrent request led, ask none)."""

    def observe(self, observation: Observation) -> None:
        facts = current_request()
        if facts is not None:
            facts.regions.add(observation.call.region)


def _path(path: str, status: int | None) -> str:
    if path in KNOWN_PATHS or (status is not None and status < 400):
        return path[:MAX_PATH]
    return "(unmatched)"


class AccessLog:
    """ASGI middleware: a correlation id per request, echoed, and one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        facts = RequestFacts(correlation_id(Headers(scope=scope).get(HEADER)))
        echoed = (HEADER.encode(), facts.correlation_id.encode())
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        token = _current.set(facts)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = status or 500  # Starlette's outermost error middleware answers it
            raise
        finally:
            _current.reset(token)
            self._log(scope, status, time.perf_counter() - started, facts)

    @staticmethod
    def _log(scope: Scope, status: int | None, seconds: float, facts: RequestFacts) -> None:
        try:
            error = status is None or status >= 400
            path = _path(scope["path"], status)
            log.info(
                "%s %s %s",
                scope["method"],
                path,
                status,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "correlation_id": facts.correlation_id,
                    "operation": facts.operation,
                    "regions": sorted(facts.regions),
                    "outcome": "error" if error else facts.outcome or "ok",
                },
            )
        except Exception:  # a log line must never cost the request anything
            pass
