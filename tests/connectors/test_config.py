"""connectors.config (region tables validated with errors naming the key) and connectors.registry
(dialects found through entry points)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from connectors.config import AuthConfig, RegionConfig, load_regions, parse_region, parse_regions
from connectors.errors import ConfigurationError
from connectors.records import SystemKind
from connectors.registry import available_dialects, build_connectors

SECRET = "s3cret-Xy91-do-not-log"


def table(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "dialect": "soap-prison",
        "kind": "CUSTODY",
        "base_url": "http://127.0.0.1:8101/",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def oauth(**overrides: Any) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "type": "oauth2",
        "token_url": "http://127.0.0.1:8200/oauth/token",
        "client_id": "offender-graph",
        "client_secret": SECRET,
    }
    auth.update(overrides)
    return {k: v for k, v in auth.items() if v is not None}


# ---- a valid table -----------------------------------------------------------------------------
def test_minimal_table_gets_the_documented_defaults() -> None:
    region = parse_region("north", table())
    assert region == RegionConfig(
        name="north",
        dialect="soap-prison",
        kind=SystemKind.CUSTODY,
        base_url="http://127.0.0.1:8101/",
        title="north",
        timeout=2.0,
        concurrency=8,
        auth=AuthConfig(),
        options={},
    )


def test_full_table_is_read() -> None:
    region = parse_region(
        "london",
        table(
            dialect="rest-camel",
            kind="PROBATION",
            base_url="https://probation.example/",
            title="London",
            timeout=0.5,
            concurrency=3,
            auth=oauth(),
            options={"page_size": 50},
        ),
    )
    assert region.kind is SystemKind.PROBATION
    assert (region.title, region.timeout, region.concurrency) == ("London", 0.5, 3)
    assert region.auth.type == "oauth2"
    assert region.auth.client_secret == SECRET
    assert region.options == {"page_size": 50}


def test_api_key_auth_is_read_with_default_header() -> None:
    auth = parse_region("r", table(auth={"type": "api_key", "api_key": SECRET})).auth
    assert (auth.type, auth.header, auth.api_key) == ("api_key", "X-API-Key", SECRET)


def test_regions_keep_file_order() -> None:
    document = {"regions": {"b": table(), "a": table(), "c": table()}}
    assert [r.name for r in parse_regions(document)] == ["b", "a", "c"]


# ---- each error names its key ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"kind": None}, "regions.north.kind"),
        ({"kind": "JAIL"}, "regions.north.kind"),
        ({"kind": 1}, "regions.north.kind"),
        ({"dialect": None}, "regions.north.dialect"),
        ({"base_url": None}, "regions.north.base_url"),
        ({"base_url": "ftp://127.0.0.1/"}, "regions.north.base_url"),
        ({"base_url": "127.0.0.1:8101"}, "regions.north.base_url"),
        ({"timeout": -1}, "regions.north.timeout"),
        ({"timeout": 0}, "regions.north.timeout"),
        ({"timeout": True}, "regions.north.timeout"),
        ({"timeout": "2"}, "regions.north.timeout"),
        ({"concurrency": -4}, "regions.north.concurrency"),
        ({"concurrency": False}, "regions.north.concurrency"),
        ({"options": "fast"}, "regions.north.options"),
        ({"auth": {"type": "kerberos"}}, "regions.north.auth.type"),
        ({"auth": {"type": "api_key"}}, "regions.north.auth.api_key"),
        ({"auth": oauth(client_secret=None)}, "regions.north.auth.client_secret"),
        ({"auth": oauth(client_id=None)}, "regions.north.auth.client_id"),
        ({"auth": oauth(token_url=None)}, "regions.north.auth.token_url"),
    ],
)
def test_validation_error_names_the_key(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_region("north", table(**overrides))
    assert key in str(caught.value)


def test_region_that_is_not_a_table() -> None:
    with pytest.raises(ConfigurationError, match=r"regions\.north"):
        parse_regions({"regions": {"north": "soap-prison"}})


@pytest.mark.parametrize("document", [{}, {"regions": {}}, {"regions": "north"}])
def test_a_config_without_regions_is_rejected(document: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=r"regions"):
        parse_regions(document)


def test_fractional_concurrency_below_one_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"regions\.north\.concurrency"):
        parse_region("north", table(concurrency=0.5))


def test_auth_that_is_not_a_table_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"regions\.north\.auth"):
        parse_region("north", table(auth="oauth2"))


# ---- secrets -----------------------------------------------------------------------------------
def test_secrets_absent_from_repr() -> None:
    auth = AuthConfig(type="oauth2", client_id="id", client_secret=SECRET, api_key=SECRET)
    assert SECRET not in repr(auth)
    assert "client_id='id'" in repr(auth)  # the repr still says something useful
    region = parse_region("north", table(auth=oauth()))
    assert region.auth.client_secret == SECRET
    assert SECRET not in repr(region)
    assert SECRET not in str(region)


def test_secret_of_wrong_type_is_not_echoed_in_the_error() -> None:
    secret = 918273645
    with pytest.raises(ConfigurationError) as caught:
        parse_region("north", table(auth=oauth(client_secret=secret)))
    assert "client_secret" in str(caught.value)
    assert str(secret) not in str(caught.value)


# ---- the file ----------------------------------------------------------------------------------
def test_load_regions_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "regions.toml"
    path.write_text(
        '[regions.north]\ndialect = "soap-prison"\nkind = "CUSTODY"\n'
        'base_url = "http://127.0.0.1:8101/"\ntimeout = 1\n',
        encoding="utf-8",
    )
    (region,) = load_regions(path)
    assert (region.name, region.timeout) == ("north", 1.0)


def test_load_regions_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_regions(tmp_path / "nope.toml")


def test_load_regions_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "regions.toml"
    path.write_text("[regions.north\nkind = ", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_regions(path)


def test_load_regions_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "regions.toml"
    path.write_bytes(b"\xff\xfe[regions.north]\n")
    with pytest.raises(ConfigurationError):
        load_regions(path)


# ---- registry ----------------------------------------------------------------------------------
def test_available_dialects_come_from_entry_points() -> None:
    dialects = available_dialects()
    assert {"soap-prison", "rest-camel", "rest-snake"} <= set(dialects)
    for name, cls in dialects.items():
        assert issubclass(cls, Connector)
        assert cls.dialect == name


def test_soap_dialect_serves_custody_and_rest_dialects_probation() -> None:
    dialects = available_dialects()
    assert dialects["soap-prison"].kinds == {SystemKind.CUSTODY}
    assert dialects["rest-camel"].kinds == {SystemKind.PROBATION}
    assert dialects["rest-snake"].kinds == {SystemKind.PROBATION}


def test_unknown_dialect_lists_the_installed_ones() -> None:
    region = parse_region("north", table(dialect="carrier-pigeon"))
    with pytest.raises(ConfigurationError) as caught:
        build_connectors([region])
    message = str(caught.value)
    assert "regions.north.dialect" in message
    assert "carrier-pigeon" in message
    for name in ("soap-prison", "rest-camel", "rest-snake"):
        assert name in message


def test_unknown_dialect_with_nothing_installed() -> None:
    region = parse_region("north", table())
    with pytest.raises(ConfigurationError, match="none"):
        build_connectors([region], dialects={})


def test_kind_mismatch_is_rejected() -> None:
    region = parse_region("london", table(dialect="soap-prison", kind="PROBATION"))
    with pytest.raises(ConfigurationError, match=r"regions\.london\.kind"):
        build_connectors([region])


class FakeProbation(Connector):
    dialect = "fake"
    kinds = frozenset({SystemKind.PROBATION})


def test_build_connectors_makes_one_per_region_with_its_config() -> None:
    regions = [
        parse_region("a", table(dialect="fake", kind="PROBATION")),
        parse_region("b", table(dialect="fake", kind="PROBATION")),
    ]
    built = build_connectors(regions, dialects={"fake": FakeProbation})
    assert list(built) == ["a", "b"]
    assert all(isinstance(c, FakeProbation) for c in built.values())
    assert built["b"].config is regions[1]
    assert built["b"].region == "b"


async def test_build_connectors_with_installed_dialects() -> None:
    regions = [
        parse_region("prison", table()),
        parse_region("probation", table(dialect="rest-camel", kind="PROBATION", auth=oauth())),
    ]
    built = build_connectors(regions)
    try:
        assert type(built["prison"]).__name__ == "SoapPrisonConnector"
        assert type(built["probation"]).__name__ == "CamelProbationConnector"
    finally:
        for connector in built.values():
            await connector.aclose()
