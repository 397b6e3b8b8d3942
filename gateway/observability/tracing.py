"""Tracing with OpenTelemetry, configured only by the standard ``OTEL_*`` variables.

Off by default, at no cost: unless the environment names an exporter (``OTEL_TRACES_EXPORTER``
other than ``none``, or an OTLP endpoint in ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), no SDK tracer provider is installed, the pipeline has no
tracing stage and the schema no tracing extension. ``OTEL_SDK_DISABLED=true`` turns it off
whatever else is set.

On, the SDK's provider is installed once per process, named by ``OTEL_SERVICE_NAME`` (default
``offender-graph``) and ``OTEL_RESOURCE_ATTRIBUTES``, exporting through a batch span processor:
spans leave on a background thread from a bounded queue, so a collector that is slow or gone
costs dropped spans, never a request. Exporters: ``otlp`` (OTLP over HTTP/protobuf; endpoint,
headers, timeout and compression from the ``OTEL_EXPORTER_OTLP_*`` variables) and ``console``.
A provider already installed (by ``opentelemetry-instrument``, or a test) is used as it is.
A client's ``traceparent`` on ``/graphql`` makes the operation's span part of the client's trace
(:func:`continued_trace`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import context, propagate, trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("offender_graph.tracing")

TRACER_NAME = "offender_graph"
DEFAULT_SERVICE_NAME = "offender-graph"
EXPORTERS = ("otlp", "console")
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_PROTOCOLS = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporters the environment asks for (``[]``: tracing off)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named:
        return ["otlp"] if any(environ.get(v, "").strip() for v in _ENDPOINTS) else []
    names = [n.strip() for n in named.split(",") if n.strip() and n.strip() != "none"]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        log.warning("OTEL_TRACES_EXPORTER: no exporter %s here (only otlp, console)", unknown)
    return [n for n in names if n in EXPORTERS]


def tracing_requested(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces."""
    return bool(exporter_names(environ))


def span_exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    """The SDK's exporters the environment names."""
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    exporters: list[SpanExporter] = []
    for name in exporter_names(environ):
        if name == "console":
            exporters.append(ConsoleSpanExporter())
            continue
        protocol = next((environ[v] for v in _PROTOCOLS if environ.get(v)), "http/protobuf")
        if protocol.strip().lower() != "http/protobuf":
            log.warning("OTLP protocol %s is not installed: exporting over http/protobuf", protocol)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    return exporters


def configure_tracing(environ: Mapping[str, str] | None = None) -> bool:
    """Install the SDK's tracer provider if the ``OTEL_*`` variables ask for traces (once per
    process); whether tracing is on."""
    environ = os.environ if environ is None else environ
    if not tracing_requested(environ):
        return False
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return True  # installed already: by an earlier app of this process, or by its host
    service = environ.get("OTEL_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    for exporter in span_exporters(environ):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    log.info("tracing on: service %s, exporters %s", service, exporter_names(environ))
    return True


def gateway_tracer() -> trace.Tracer | None:
    """The gateway's tracer if tracing is on (see :func:`configure_tracing`), else None."""
    return trace.get_tracer(TRACER_NAME) if configure_tracing() else None


@contextmanager
def continued_trace(headers: Mapping[str, str]) -> Iterator[None]:
    """Within the block, the client's W3C trace context (``traceparent``), if it sent one, is
    the parent of what the gateway traces."""
    if "traceparent" not in headers:
        yield
        return
    token = context.attach(propagate.extract(headers))
    try:
        yield
    finally:
        context.detach(token)
