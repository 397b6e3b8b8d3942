"""The gateway's logs: one line per record on stderr, JSON (or text for a developer's terminal).

Every stdlib logger goes through one handler on the root logger, uvicorn's included
(:func:`uvicorn_log_config`; its plain access log is off:
:mod:`gateway.observability.access_log` replaces it).
A record logged during a request carries that request's ``correlation_id``.

Nothing a log line holds can forge another line, and no exception message reaches it unchecked:
JSON escapes every value; text mode escapes control characters; a traceback keeps its frames and
exception types but drops the messages of foreign exceptions (they may carry upstream text or
personal data); only our own errors, whose messages are public, keep theirs. Libraries that log
URLs, payloads or cache keys (httpx, httpcore, zeep, aiocache, redis) are held at WARNING
whatever the level.

``OFFENDER_GRAPH_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR; default INFO) and
``OFFENDER_GRAPH_LOG_FORMAT`` (``json``, default, or ``text``) choose when the caller does not.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import re
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from connectors.errors import ConfigurationError, GatewayError
from gateway.observability.access_log import current_request

LEVEL_VARIABLE = "OFFENDER_GRAPH_LOG_LEVEL"
FORMAT_VARIABLE = "OFFENDER_GRAPH_LOG_FORMAT"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# They log URLs, headers, payloads or cache keys (which hold identifiers).
QUIET_LIBRARIES = ("httpx", "httpcore", "zeep", "hpack", "aiocache", "redis")
# Not fields of a line: the standard record attributes, and uvicorn's coloured copy of a message.
SKIPPED = frozenset(RESERVED_ATTRS) | {"color_message", "taskName"}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def escape(text: str) -> str:
    """``text`` with control characters (newlines included) written as escapes."""
    return _CONTROL.sub(lambda m: jsonlib.dumps(m.group())[1:-1], text)


def _describe(exc: BaseException) -> str:
    cls = type(exc)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    return f"{name}: {exc}" if isinstance(exc, GatewayError) else name


def safe_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes: frames and types, no foreign message."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        + _describe(item)
        for item in reversed(chain)
    ]
    return "\n\nwhich caused:\n\n".join(parts)


class RequestFields(logging.Filter):
    """Put the current request's correlation id on every record logged during it."""

    def filter(self, record: logging.LogRecord) -> bool:
        facts = current_request()
        if facts is not None and not hasattr(record, "correlation_id"):
            record.correlation_id = facts.correlation_id
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, then the record's own fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=sorted(SKIPPED),
            json_ensure_ascii=True,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
        super().add_fields(log_data, record, message_dict)

    def formatException(self, ei: Any) -> str:  # logging's name
        return safe_traceback(ei[1]) if ei and ei[1] is not None else ""


class TextLogFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``, control characters escaped; a traceback
    follows with every line indented, so it cannot pass for a line of its own."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape(record.getMessage())
        record.asctime = self.formatTime(record)
        line = self.formatMessage(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in SKIPPED}
        line += "".join(f" {k}={escape(_text(v))}" for k, v in fields.items())
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + "\n".join(
                f"  | {escape(t)}" for t in safe_traceback(record.exc_info[1]).splitlines()
            )
        return line


def _text(value: object) -> str:
    return value if isinstance(value, str) else jsonlib.dumps(value, default=str)


def log_options(
    level: str | None = None, json: bool | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, bool]:
    """The level and format: the arguments if given, else the environment, else INFO and JSON.
    A bad value fails with the variable named."""
    env = os.environ if environ is None else environ
    chosen = (level or env.get(LEVEL_VARIABLE) or "INFO").strip().upper()
    if chosen not in LEVELS:
        raise ConfigurationError(f"{LEVEL_VARIABLE} must be one of {', '.join(LEVELS)}")
    if json is None:
        form = (env.get(FORMAT_VARIABLE) or "json").strip().lower()
        if form not in ("json", "text"):
            raise ConfigurationError(f"{FORMAT_VARIABLE} must be json or text")
        json = form == "json"
    return chosen, json


class _GatewayHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler :func:`configure_logging` installs (found again to be replaced)."""


def configure_logging(
    level: str | None = None, json: bool | None = None, *, stream: TextIO | None = None
) -> logging.Handler:
    """Send every logger to one handler on ``stream`` (stderr) at ``level``, as JSON or text.

    Idempotent: the handler of an earlier call, and a plain ``basicConfig`` one, are replaced;
    other handlers (a test's capture) stay."""
    chosen, as_json = log_options(level, json)
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _GatewayHandler) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    handler = _GatewayHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter() if as_json else TextLogFormatter())
    handler.addFilter(RequestFields())
    root.addHandler(handler)
    root.setLevel(chosen)
    floor = max(logging.WARNING, logging.getLevelName(chosen))
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(floor)
    return handler


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's ``log_config``: its loggers propagate to the root handler (uvicorn's
    ``log_level`` still sets their level); its access log has no handler, so it is off."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
