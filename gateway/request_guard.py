"""``RequestGuard``: the HTTP checks in front of ``/graphql``; every refusal is JSON with a code.

POST: Content-Length at most ``max_bytes`` (413 ``BAD_USER_INPUT``) before anything is read, the
body read within ``max_bytes`` and ``body_timeout`` seconds in all (413, or 408
``REQUEST_TIMEOUT``), ``application/json`` in UTF-8 (415 ``BAD_REQUEST``), then a UTF-8 JSON
object (400 ``BAD_REQUEST``; an array is a batch: 400 ``BATCHING_NOT_SUPPORTED``) whose ``query``
is a string (absent only beside ``documentId`` or ``extensions.persistedQuery``: a trusted
document, see :mod:`gateway.trusted_documents`), ``variables`` and ``extensions``
objects or null, ``operationName`` a string or null (400 ``BAD_REQUEST``). The checked body is
replayed to the app unchanged.

GET (and HEAD): a ``query`` that parses to a mutation or subscription is refused (405
``BAD_REQUEST``, ``Allow: POST``); one longer than ``max_bytes`` is refused 413; one that does not
parse is left to the GraphQL layer; no ``query`` (the GraphiQL page) passes. Any other method:
405 ``BAD_REQUEST`` with ``Allow: GET, POST`` (a CORS middleware, if any, goes outside this one).
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.limits import (
    Disconnected,
    Refused,
    declared_length,
    read_body,
    send_refusal,
    too_large,
)

JSON_TYPE = "application/json"


class RequestGuard:
    """ASGI middleware guarding requests to ``path``; other paths and scopes pass untouched."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, body_timeout: float, path: str = "/graphql"
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        try:
            if method == "POST":
                receive = await self._checked_post(scope, receive)
            elif method in ("GET", "HEAD"):
                self._check_get(scope)
            else:
                raise Refused(
                    405, "BAD_REQUEST", f"{method} is not supported: use GET or POST",
                    {"allow": "GET, POST"},
                )  # fmt: skip
        except Refused as refused:
            await send_refusal(send, refused)
            return
        except Disconnected:
            return
        await self.app(scope, receive, send)

    async def _checked_post(self, scope: Scope, receive: Receive) -> Receive:
        """Check headers and body; a ``receive`` that replays the body that was read."""
        headers = Headers(scope=scope)
        declared_length(headers, self.max_bytes)
        check_content_type(headers.get("content-type"))
        body = await read_body(receive, max_bytes=self.max_bytes, within=self.body_timeout)
        check_document(body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    def _check_get(self, scope: Scope) -> None:
        params = QueryParams(scope["query_string"])
        query = params.get("query")
        if query is None:
            return
        if len(query) > self.max_bytes:
            raise too_large(self.max_bytes)
        if not is_read_only(query, params.get("operationName")):
            raise Refused(
                405,
                "BAD_REQUEST",
                "mutations and subscriptions are not allowed over GET: use POST",
                {"allow": "POST"},
            )


def check_content_type(value: str | None) -> None:
    """``application/json``, with no charset or ``charset=utf-8``; 415 otherwise."""
    mime, _, rest = (value or "").partition(";")
    params = {}
    for param in rest.split(";"):
        name, _, param_value = param.partition("=")
        params[name.strip().lower()] = param_value.strip().strip('"').lower()
    charset = params.get("charset", "utf-8")
    if mime.strip().lower() != JSON_TYPE or charset not in ("utf-8", "utf8"):
        raise Refused(
            415, "BAD_REQUEST", "the request body must be application/json in UTF-8 (content-type)"
        )


def check_document(body: bytes) -> None:
    """The body must be one GraphQL-over-HTTP request: a JSON object with well-typed members."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad("the request body is not valid UTF-8") from None
    except (ValueError, RecursionError):
        raise _bad("the request body is not valid JSON") from None
    if isinstance(data, list):
        raise Refused(
            400,
            "BATCHING_NOT_SUPPORTED",
            "batched requests (a JSON array) are not supported: send one operation per request",
        )
    if not isinstance(data, dict):
        raise _bad("the request body must be a JSON object with a `query` string")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise _bad("`extensions` must be an object or null")
    query = data.get("query")
    persisted = "documentId" in data or (
        isinstance(extensions, dict) and "persistedQuery" in extensions
    )
    if not isinstance(query, str) and not (query is None and persisted):
        raise _bad("`query` must be a string")
    if not isinstance(data.get("variables"), dict | None):
        raise _bad("`variables` must be an object or null")
    if not isinstance(data.get("operationName"), str | None):
        raise _bad("`operationName` must be a string or null")


def is_read_only(query: str, operation_name: str | None) -> bool:
    """False when the operation(s) a GET would run include a mutation or subscription (every
    operation when no name is given); a document that does not parse is not judged here."""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return True
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return all(o.operation is OperationType.QUERY for o in operations)


def _bad(message: str) -> Refused:
    return Refused(400, "BAD_REQUEST", message)
