"""Structured logs: JSON lines with their fields, one access line per request, one line per
upstream failure, no forged lines, and no personal data in any line a real gateway writes."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from zeep.exceptions import Fault

from connectors.base import Capability
from connectors.errors import ConfigurationError, RegionUnavailable, UpstreamInvalid
from connectors.http import send
from connectors.identifiers import Identifier, IdentifierKind
from connectors.records import SystemKind
from connectors.soap import soap_errors
from gateway.observability.access_log import (
    RequestFacts,
    _current,
    correlation_id,
    operation_name,
)
from gateway.observability.logs import (
    FORMAT_VARIABLE,
    LEVEL_VARIABLE,
    QUIET_LIBRARIES,
    configure_logging,
    log_options,
    uvicorn_log_config,
)
from gateway.observability.upstream_log import UpstreamFailureLog
from gateway.pipeline.call import Deadline, Fetched, Outcome, RegionCall
from gateway.pipeline.observe import Observation
from simulators.runner import RunningEstate
from simulators.server import free_port
from simulators.truth import Estate, TruePerson
from tests.conftest import HEALTHY, serve_gateway
from tests.gateway.inprocess import FakeRegion, Gateway, person

Lines = Callable[[], list[dict[str, Any]]]
FORGED = '{"level": "INFO", "logger": "forged", "message": "forged line"}'


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger (handlers, level) and the quiet libraries back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def captured(restore_logging: None) -> Iterator[tuple[io.StringIO, Lines]]:
    """The gateway's JSON logging at DEBUG into a buffer; ``lines()`` parses every line."""
    buffer = io.StringIO()
    configure_logging("DEBUG", json=True, stream=buffer)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield buffer, lines


# --- the format --------------------------------------------------------------------------------


def test_a_connector_record_is_one_json_line_with_its_fields(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    logging.getLogger("connectors.soap").warning(
        "region %s slow", "prison-north", extra={"region": "prison-north", "keys": 3}
    )
    [line] = lines()
    assert set(line) == {"time", "level", "logger", "message", "region", "keys"}
    assert line["level"] == "WARNING"
    assert line["logger"] == "connectors.soap"
    assert line["message"] == "region prison-north slow"
    assert (line["region"], line["keys"]) == ("prison-north", 3)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])


def test_a_record_during_a_request_carries_its_correlation_id(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    token = _current.set(RequestFacts("req-42"))
    try:
        logging.getLogger("gateway.pipeline.breaker").info("inside")
    finally:
        _current.reset(token)
    logging.getLogger("gateway.pipeline.breaker").info("outside")
    inside, outside = lines()
    assert inside["correlation_id"] == "req-42"
    assert "correlation_id" not in outside


def test_a_traceback_keeps_frames_and_types_but_no_foreign_message(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    date, noms = "-".join(("1988", "03", "02")), "A1234" + "AA"  # not in the frames' source
    try:
        try:
            raise ValueError(f"Invalid isoformat string: {date!r} for {noms}")
        except ValueError as exc:
            raise UpstreamInvalid("prison-north", "region sent data that does not map") from exc
    except UpstreamInvalid:
        logging.getLogger("connectors.rest").exception("mapping failed")
    [line] = lines()
    trace = line["exc_info"]
    assert "1988-03-02" not in trace and "A1234AA" not in trace
    assert "\nValueError\n" in trace
    assert trace.endswith(
        "connectors.errors.UpstreamInvalid: [prison-north] region sent data that does not map"
    )
    assert "test_logs.py" in trace  # the frames are there


def test_text_mode_escapes_control_characters_and_indents_tracebacks(
    restore_logging: None,
) -> None:
    buffer = io.StringIO()
    configure_logging("INFO", json=False, stream=buffer)
    log = logging.getLogger("connectors.soap")
    log.warning("fault %s", "one\n" + FORGED, extra={"region": "r\r\nx"})
    try:
        raise KeyError("A1234AA")
    except KeyError:
        log.exception("bug")
    first, second, *trace = buffer.getvalue().splitlines()
    assert first.endswith(f"WARNING connectors.soap: fault one\\n{FORGED} region=r\\r\\nx")
    assert second.endswith("ERROR connectors.soap: bug")
    assert trace and all(line.startswith("  | ") for line in trace)
    assert trace[-1] == "  | KeyError"


def test_level_and_format_come_from_the_environment_unless_given() -> None:
    assert log_options(environ={}) == ("INFO", True)
    env = {LEVEL_VARIABLE: "debug", FORMAT_VARIABLE: "text"}
    assert log_options(environ=env) == ("DEBUG", False)
    assert log_options("WARNING", True, environ=env) == ("WARNING", True)
    with pytest.raises(ConfigurationError, match=LEVEL_VARIABLE):
        log_options(environ={LEVEL_VARIABLE: "loud"})
    with pytest.raises(ConfigurationError, match=FORMAT_VARIABLE):
        log_options(environ={FORMAT_VARIABLE: "xml"})


def test_libraries_that_log_urls_stay_at_warning_even_at_debug(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    logging.getLogger("httpx").info("HTTP Request: GET http://region/people?noms=A1234AA")
    logging.getLogger("zeep.transports").debug("HTTP Post to http://region/: <envelope/>")
    logging.getLogger("httpx").warning("kept")
    assert [line["message"] for line in lines()] == ["kept"]


def test_uvicorn_logs_through_the_same_handler_and_its_access_log_is_off(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    before = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate) for n in names}
    try:
        logging.config.dictConfig(uvicorn_log_config())
        logging.getLogger("uvicorn.error").warning("uvicorn speaks")
        assert not logging.getLogger("uvicorn.access").hasHandlers()  # uvicorn then skips it
    finally:
        for name, (handlers, propagate) in before.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).propagate = propagate
    [line] = lines()
    assert (line["logger"], line["message"]) == ("uvicorn.error", "uvicorn speaks")


# --- correlation ids and operation names --------------------------------------------------------


def test_a_sane_correlation_id_is_kept_and_anything_else_replaced() -> None:
    assert correlation_id("3f2c9a7e-1b2d-4c5e-9f00-aa11bb22cc33") == (
        "3f2c9a7e-1b2d-4c5e-9f00-aa11bb22cc33"
    )
    assert correlation_id("trace:abc.1_2") == "trace:abc.1_2"
    for bad in (None, "", "x" * 65, "a b", "a\nb", "-leading", "A1234AA", "req-X123456"):
        made = correlation_id(bad)
        assert re.fullmatch("[0-9a-f]{32}", made), bad


def test_the_operation_name_comes_from_the_request_or_the_document() -> None:
    assert operation_name("Lookup", "query Other { a }") == "Lookup"
    document = "# c\nfragment F on Offender { id } query Named($x: Int = 1) { offender { ...F } }"
    assert operation_name(None, document) == "Named"
    assert operation_name(None, "{ offender { id } }") is None
    assert operation_name(None, "query { a }") is None
    assert operation_name(None, "query {") is None
    assert operation_name(None, "{ a ") is None  # a syntax error: the GraphQL layer says so
    for bad in ("Find A1234AA", "FindA1234AA", "X123456", 7, "n" * 65):
        assert operation_name(bad, None) == "(redacted)"


# --- upstream failures -------------------------------------------------------------------------


def _call(region: str, keys: int) -> RegionCall:
    return RegionCall(
        region, Capability.FIND_BY_IDENTIFIERS, tuple(f"k{i}" for i in range(keys)), Deadline(5)
    )


def test_a_soap_fault_string_with_a_newline_cannot_forge_a_line(
    captured: tuple[io.StringIO, Lines],
) -> None:
    buffer, lines = captured
    fault = Fault(f"no such person A1234AA\n{FORGED}", code="soap:Server\nforged")  # type: ignore[no-untyped-call]
    with pytest.raises(RegionUnavailable) as raised, soap_errors("prison-north"):
        raise fault
    UpstreamFailureLog().observe(Observation(_call("prison-north", 2), 0.01, (), raised.value))
    text = buffer.getvalue()
    assert "forged line" not in text and "A1234AA" not in text
    fault_line, failure = lines()  # every line parses
    assert fault_line["message"] == "region prison-north answered SOAP fault Server?forged"
    assert failure == failure | {
        "logger": "offender_graph.upstream",
        "region": "prison-north",
        "code": "REGION_UNAVAILABLE",
        "operation": "find_by_identifiers",
        "public_message": "region reported an internal error (SOAP fault)",
        "keys": 2,
        "failed_keys": 2,
    }


async def test_a_connector_bug_is_logged_as_one_without_its_message_and_costs_only_its_region(
    captured: tuple[io.StringIO, Lines],
) -> None:
    buffer, lines = captured
    noms = "A1234" + "BC"

    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"cannot send {request.url}")  # the URL holds the identifier

    async with httpx.AsyncClient(transport=httpx.MockTransport(explode)) as client:
        with pytest.raises(RuntimeError):  # a bug is no region's state: send lets it through
            await send(client, "probation-wales", "GET", f"http://region/people?noms={noms}")

    identifier = Identifier(IdentifierKind.NOMS, noms)
    prison = FakeRegion("prison", SystemKind.CUSTODY, [person("prison", "P1", identifier)])
    broken = FakeRegion("probation", SystemKind.PROBATION, [])
    broken.fail[Capability.FIND_BY_IDENTIFIERS] = RuntimeError(f"bug near {noms}")  # type: ignore[assignment]
    data, errors = await Gateway([prison, broken]).execute(
        "query($id: String!) { offender(identifier: $id) { records { region localId } } }",
        id=noms,
    )
    assert data == {"offender": {"records": [{"region": "prison", "localId": "P1"}]}}
    assert [(e["extensions"]["region"], e["extensions"]["code"]) for e in errors] == [
        ("probation", "INTERNAL_ERROR")
    ]
    [line] = [line for line in lines() if line["logger"] == "offender_graph.pipeline"]
    assert line["level"] == "ERROR"
    assert (
        line["message"] == "region probation: its connector failed in find_by_identifiers (a bug)"
    )
    assert line["exc_info"].endswith("\nRuntimeError")
    assert noms not in buffer.getvalue()


def test_a_failure_is_logged_once_per_request_region_and_code(
    captured: tuple[io.StringIO, Lines],
) -> None:
    _, lines = captured
    observer = UpstreamFailureLog()
    down = RegionUnavailable("probation-wales", "region answered HTTP 503")
    bad = UpstreamInvalid("probation-wales", "region sent data that does not map")
    mixed: tuple[Outcome, ...] = (Fetched([], 0.0), bad, bad)
    token = _current.set(RequestFacts("one"))
    try:
        observer.observe(Observation(_call("probation-wales", 1), 0.1, (), down))
        observer.observe(Observation(_call("probation-wales", 4), 0.1, (), down))  # same again
        observer.observe(Observation(_call("probation-wales", 3), 0.1, mixed, None))
    finally:
        _current.reset(token)
    got = [(line["code"], line["failed_keys"], line["correlation_id"]) for line in lines()]
    assert got == [("REGION_UNAVAILABLE", 1, "one"), ("UPSTREAM_INVALID", 2, "one")]


# --- through a real gateway ---------------------------------------------------------------------

LOOKUP = (
    "query Lookup($id: String!) { offender(identifier: $id) { id identifiers { nomsNumber crn "
    "pncNumber croNumber } name { forename middleNames surname } aliases { forename middleNames "
    "surname } dateOfBirth records { region localId } } }"
)
SEARCH = (
    "query Search($name: String, $dob: Date) { offenders(name: $name, dateOfBirth: $dob, "
    "first: 5) { edges { node { identifiers { nomsNumber crn pncNumber croNumber } "
    "name { forename surname } dateOfBirth records { localId } } } } }"
)


@pytest.fixture(scope="module")
def gateway(running_estate: RunningEstate) -> Iterator[str]:
    """An in-process gateway on a real socket whose breakers never open in these tests."""
    group, url = serve_gateway(running_estate, resilience={"failure_threshold": 1000})
    yield url
    group.stop()


def _faults(running: RunningEstate, system: str, faults: dict[str, Any]) -> None:
    url = running.systems[system].url + "_sim/faults"
    httpx.put(url, json=faults, timeout=5).raise_for_status()


def _access(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "offender_graph.access"]


def test_one_access_line_per_request_with_the_given_correlation_id_echoed(
    gateway: str, captured: tuple[io.StringIO, Lines], estate: Estate
) -> None:
    _, lines = captured
    person = estate.spanning(3)[0]
    response = httpx.post(
        gateway,
        json={"query": LOOKUP, "variables": {"id": person.pnc}, "operationName": "Lookup"},
        headers={"X-Correlation-ID": "client-7"},
        timeout=15,
    )
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.headers["x-correlation-id"] == "client-7"
    [line] = _access(lines())
    assert line == line | {
        "method": "POST",
        "path": "/graphql",
        "status": 200,
        "correlation_id": "client-7",
        "operation": "Lookup",
        "outcome": "ok",
        "message": "POST /graphql 200",
        "level": "INFO",
    }
    assert set(line["regions"]) >= set(person.systems)
    assert line["regions"] == sorted(line["regions"])
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0


def test_a_generated_correlation_id_is_echoed_and_logged(
    gateway: str, captured: tuple[io.StringIO, Lines]
) -> None:
    _, lines = captured
    health = httpx.get(gateway.removesuffix("/graphql") + "/health", timeout=5)
    refused = httpx.post(gateway, json={"query": "{ a"}, headers={"X-Correlation-ID": "a b"})
    missing = httpx.get(gateway.removesuffix("/graphql") + "/offender/A1234AA", timeout=5)
    ids = [r.headers["x-correlation-id"] for r in (health, refused, missing)]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3
    got = [
        (line["correlation_id"], line["path"], line["status"], line["outcome"], line["regions"])
        for line in _access(lines())
    ]
    assert got == [
        (ids[0], "/health", 200, "ok", []),
        (ids[1], "/graphql", 200, "error", []),  # a parse error: errors and no data
        (ids[2], "(unmatched)", 404, "error", []),
    ]


def test_a_region_answering_503_logs_exactly_one_failure_line_per_request(
    gateway: str,
    captured: tuple[io.StringIO, Lines],
    running_estate: RunningEstate,
    estate: Estate,
) -> None:
    _, lines = captured
    person = next(p for p in estate.spanning(3) if "probation-wales" in p.slices)
    _faults(running_estate, "probation-wales", {"outage": True})
    try:
        for n in (1, 2):
            body = httpx.post(
                gateway,
                json={"query": LOOKUP, "variables": {"id": person.pnc}},
                headers={"X-Correlation-ID": f"outage-{n}"},
                timeout=15,
            ).json()
            assert body["data"]["offender"] is not None and body["errors"]
    finally:
        _faults(running_estate, "probation-wales", HEALTHY)
    logged = lines()
    failures = [line for line in logged if line["logger"] == "offender_graph.upstream"]
    assert [(f["correlation_id"], f["region"], f["code"]) for f in failures] == [
        ("outage-1", "probation-wales", "REGION_UNAVAILABLE"),
        ("outage-2", "probation-wales", "REGION_UNAVAILABLE"),
    ]
    assert failures[0]["public_message"] == "region answered HTTP 503"
    assert [(a["outcome"], a["operation"]) for a in _access(logged)] == [("partial", "Lookup")] * 2


# --- no personal data, from a real gateway process ----------------------------------------------


def _personal(value: Any, into: set[str]) -> None:
    """Every string and date the answer served (ids excepted: they are opaque by design)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("id", "region"):
                _personal(item, into)
    elif isinstance(value, list):
        for item in value:
            _personal(item, into)
    elif isinstance(value, str) and value:
        into.add(value)


def _forms(person: TruePerson) -> set[str]:
    dob = person.date_of_birth
    values = {person.forename, person.surname, person.pnc, dob.isoformat()}
    values |= {dob.strftime("%d/%m/%Y"), *(v for v in (person.cro, person.noms, person.crn) if v)}
    return values


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the gateway exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not start")


def test_no_identifier_name_or_date_of_birth_reaches_any_log_line(
    tmp_path: Path, running_estate: RunningEstate, estate: Estate
) -> None:
    config = tmp_path / "estate.toml"
    config.write_text(running_estate.config_toml(), encoding="utf-8")
    stderr = tmp_path / "gateway.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    env = {**os.environ, LEVEL_VARIABLE: "DEBUG", FORMAT_VARIABLE: "json"}
    command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)]
    people = estate.spanning(3)[:12]
    served: set[str] = set()
    with (
        stderr.open("wb") as sink,
        subprocess.Popen(
            [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=sink, env=env
        ) as process,
    ):
        try:
            _wait_for(url.removesuffix("/graphql") + "/health", process)
            _faults(running_estate, "prison-south", {"error_rate": 0.5, "malformed_rate": 0.2})
            _faults(running_estate, "probation-north", {"outage": True})
            requests = 0
            for person in people:
                for identifier in (person.noms, person.crn, person.pnc, person.cro):
                    if identifier:
                        body = httpx.post(
                            url,
                            json={"query": LOOKUP, "variables": {"id": identifier}},
                            headers={"X-Correlation-ID": identifier},  # replaced, not logged
                            timeout=15,
                        ).json()
                        _personal(body["data"], served)
                        requests += 1
                variables = {"name": f"{person.forename} {person.surname}"}
                for search in (variables, {**variables, "dob": person.date_of_birth.isoformat()}):
                    body = httpx.post(url, json={"query": SEARCH, "variables": search}).json()
                    _personal(body["data"], served)
                    requests += 1
            get = httpx.get(
                url, params={"query": LOOKUP, "variables": json.dumps({"id": people[0].pnc})}
            )
            assert get.json()["data"]["offender"] is not None
            bad = httpx.post(url, json={"query": LOOKUP, "variables": {"id": "A1234A"}}).json()
            assert bad["errors"][0]["extensions"]["code"] == "BAD_IDENTIFIER"
            assert httpx.get(url + "/" + people[0].pnc).status_code == 404
            requests += 3
        finally:
            for system in ("prison-south", "probation-north"):
                _faults(running_estate, system, HEALTHY)
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
    text = stderr.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    assert len([a for a in _access(lines) if a["path"] != "/health"]) == requests
    failures = {(f["region"], f["code"]) for f in lines if f["logger"] == "offender_graph.upstream"}
    assert ("probation-north", "REGION_UNAVAILABLE") in failures
    assert any(region == "prison-south" for region, _ in failures)
    for person in people:
        served |= _forms(person)
    served |= {"A1234A"}
    assert len(served) > 100
    leaked = sorted(v for v in served if re.search(rf"(?<![\w/]){re.escape(v)}(?![\w/])", text))
    assert leaked == []
