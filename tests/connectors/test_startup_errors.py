"""A region the gateway cannot serve fails at start-up, naming the region and the key, never a
value: through ``build_connectors``, ``offender-graph config check`` and ``build_runtime``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import PositiveInt

from connectors import registry
from connectors.base import BatchResult, Capability, Connector
from connectors.config import ConfigProblems, RegionConfig
from connectors.errors import ConfigurationError
from connectors.options import ConnectorOptions, SecretOption
from connectors.records import Alert, CustodyEpisode, SystemKind
from connectors.registry import build_connectors
from connectors.rest_camel import CamelProbationConnector
from connectors.soap import SoapPrisonConnector
from gateway.config_check import run_check
from gateway.runtime import build_runtime
from gateway.settings import load_settings

SECRET = "s3cr3t-Qx81-never-shown"
UNSET = "OG_TEST_SURELY_UNSET_VARIABLE"


class Custody(Connector):
    """Declares custody and implements it."""

    dialect = "custody"
    kinds = frozenset({SystemKind.CUSTODY})
    capabilities = frozenset({Capability.CUSTODY_FOR})

    async def custody_for(self, local_ids: Sequence[str]) -> BatchResult[list[CustodyEpisode]]:
        return [[] for _ in local_ids]


class Forgetful(Custody):
    """Declares alerts but never implements them."""

    dialect = "forgetful"
    capabilities = frozenset({Capability.CUSTODY_FOR, Capability.ALERTS_FOR})


class Quiet(Custody):
    """Implements alerts but does not declare them."""

    dialect = "quiet"

    async def alerts_for(self, local_ids: Sequence[str]) -> BatchResult[list[Alert]]:
        return [[] for _ in local_ids]


class TokenOptions(ConnectorOptions):
    token: SecretOption
    page_size: PositiveInt = 10


class Secretive(Custody):
    dialect = "secretive"
    Options = TokenOptions


DIALECTS: dict[str, type[Connector]] = {
    "custody": Custody,
    "forgetful": Forgetful,
    "quiet": Quiet,
    "secretive": Secretive,
    "soap-prison": SoapPrisonConnector,
    "rest-camel": CamelProbationConnector,
}


def region(dialect: str, name: str = "north", **options: Any) -> RegionConfig:
    kind = SystemKind.PROBATION if dialect.startswith("rest") else SystemKind.CUSTODY
    return RegionConfig(name, dialect, kind, "http://127.0.0.1:9/", options=options)


def problems(*regions: RegionConfig) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        build_connectors(regions, dialects=DIALECTS)
    error = raised.value
    return list(error.problems) if isinstance(error, ConfigProblems) else [str(error)]


# ---- build_connectors --------------------------------------------------------------------------
def test_an_unknown_dialect_is_named_with_the_installed_ones() -> None:
    [problem] = problems(region("custdy"))
    assert problem.startswith("regions.north.dialect: unknown dialect 'custdy'; installed: ")
    assert "custody" in problem


def test_an_unknown_option_is_named_with_the_known_ones() -> None:
    [problem] = problems(region("rest-camel", pagesize=20))
    assert problem == (
        "regions.north.options.pagesize is not an option of this dialect; "
        "known: batch_size, max_batch, page_size"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ten", "regions.north.options.max_batch must be a whole number"),
        (2.5, "regions.north.options.max_batch must be a whole number"),
        (True, "regions.north.options.max_batch must be a whole number"),
        (0, "regions.north.options.max_batch must be more than 0"),
        (-3, "regions.north.options.max_batch must be more than 0"),
    ],
)
def test_a_bad_max_batch_fails_at_start_up_without_its_value(value: object, expected: str) -> None:
    assert problems(region("soap-prison", max_batch=value)) == [expected]


def test_a_dialects_own_option_is_typed_too() -> None:
    assert problems(region("rest-camel", page_size="50")) == [
        "regions.north.options.page_size must be a whole number"
    ]


def test_a_missing_secret_names_the_key_and_the_variable() -> None:
    assert problems(region("secretive", token={"env": UNSET})) == [
        f"regions.north.options.token: environment variable {UNSET} is not set"
    ]
    assert problems(region("secretive")) == ["regions.north.options.token is required"]


def test_a_secret_written_in_place_is_refused_without_being_echoed() -> None:
    [problem] = problems(region("secretive", token=SECRET))
    assert problem.startswith("regions.north.options.token must be a reference")
    assert SECRET not in problem


def test_a_secret_option_is_read_at_start_up_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OG_TEST_TOKEN", SECRET)
    config = region("secretive", token={"env": "OG_TEST_TOKEN"}, page_size=3)
    connector = build_connectors([config], dialects=DIALECTS)["north"]
    assert isinstance(connector.options, TokenOptions)
    assert connector.options.token.get_secret_value() == SECRET
    assert connector.options.page_size == 3
    assert SECRET not in repr(connector.options) and SECRET not in str(connector.options)
    assert "OG_TEST_TOKEN" not in repr(config)  # the raw options table is not in the repr


def test_a_declared_capability_without_its_method_is_refused() -> None:
    assert problems(region("forgetful")) == [
        "regions.north.dialect: dialect 'forgetful' declares capability alerts_for "
        "but does not implement alerts_for()"
    ]


def test_a_method_not_declared_is_built_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.registry"):
        built = build_connectors([region("quiet")], dialects=DIALECTS)
    assert isinstance(built["north"], Quiet)
    assert "regions.north: dialect quiet implements alerts_for() but does not declare it" in (
        caplog.text
    )


def test_the_shipped_dialects_declare_exactly_what_they_implement() -> None:
    for name, cls in registry.available_dialects().items():
        declared = {c for c in Capability if registry.implements(cls, c)}
        assert declared == set(cls.capabilities), name


def test_every_regions_problems_are_reported_at_once() -> None:
    found = problems(
        region("forgetful", name="a"), region("custody", name="b", max_batch="x"), region("?", "c")
    )
    assert [p.split(":")[0].split(" ")[0] for p in found] == [
        "regions.a.dialect",
        "regions.b.options.max_batch",
        "regions.c.dialect",
    ]


def test_max_batch_comes_from_the_dialect_unless_a_region_overrides_it() -> None:
    built = build_connectors(
        [region("custody", "a"), region("custody", "b", max_batch=5), region("soap-prison", "c")],
        dialects=DIALECTS,
    )
    assert [c.batch_limit for c in built.values()] == [None, 5, 100]
    soap = build_connectors([region("soap-prison", max_batch=7)], dialects=DIALECTS)["north"]
    assert soap.batch_limit == 7


# ---- through `offender-graph config check` and build_runtime -----------------------------------
CONFIG = """
[regions.prison-north]
dialect = "{dialect}"
kind = "CUSTODY"
base_url = "http://10.255.255.1:9/"
{options}

[auth]
mode = "off"
"""


def write(tmp_path: Path, dialect: str, options: str = "") -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(CONFIG.format(dialect=dialect, options=options), encoding="utf-8")
    return path


BAD = [
    ("soap-prisn", "", "regions.prison-north.dialect: "),
    ("soap-prison", "options = { maxbatch = 5 }", "regions.prison-north.options.maxbatch is not"),
    (
        "soap-prison",
        'options = { max_batch = "ten" }',
        "regions.prison-north.options.max_batch must be a whole number",
    ),
    ("soap-prison", "options = { max_batch = 0 }", "regions.prison-north.options.max_batch must"),
    (
        "secretive",
        f'options = {{ token = {{ env = "{UNSET}" }} }}',
        f"regions.prison-north.options.token: environment variable {UNSET} is not set",
    ),
    ("forgetful", "", "regions.prison-north.dialect: dialect 'forgetful' declares capability"),
]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test dialects as if installed through the entry-point group."""
    monkeypatch.setattr(registry, "available_dialects", lambda: dict(DIALECTS))
    monkeypatch.setattr("gateway.config_check.available_dialects", lambda: dict(DIALECTS))


@pytest.mark.parametrize(("dialect", "options", "expected"), BAD)
@pytest.mark.usefixtures("installed")
def test_config_check_names_the_region_and_key(
    tmp_path: Path, dialect: str, options: str, expected: str
) -> None:
    path = write(tmp_path, dialect, options)
    code, lines = run_check(path)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"{path}: {expected}"), lines
    assert "ten" not in lines[0].removeprefix(str(path))


@pytest.mark.parametrize(("dialect", "options", "expected"), BAD)
@pytest.mark.usefixtures("installed")
def test_build_runtime_refuses_to_start(
    tmp_path: Path, dialect: str, options: str, expected: str
) -> None:
    settings = load_settings(write(tmp_path, dialect, options))
    with pytest.raises(ConfigurationError) as raised:
        build_runtime(settings)
    assert str(raised.value).startswith(expected)


def test_the_command_exits_1_naming_a_wrong_typed_option(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("offender-graph")
    path = write(tmp_path, "soap-prison", 'options = { max_batch = "ten" }')
    done = subprocess.run(
        [str(cli), "config", "check", str(path)], capture_output=True, text=True, env=os.environ
    )
    assert done.returncode == 1
    said = (done.stdout + done.stderr).replace(str(path), "FILE")
    assert "regions.prison-north.options.max_batch must be a whole number" in said
    assert "ten" not in said
