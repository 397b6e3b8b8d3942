"""gateway.settings: the [gateway] table, its defaults and errors, and reading the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.errors import ConfigurationError
from gateway.settings import GatewaySettings, load_settings, parse_settings

REGION = {"dialect": "soap-prison", "kind": "CUSTODY", "base_url": "http://127.0.0.1:8101/"}
REGION_TOML = (
    '[regions.north]\ndialect = "soap-prison"\nkind = "CUSTODY"\n'
    'base_url = "http://127.0.0.1:8101/"\n'
)


def document(**gateway: Any) -> dict[str, Any]:
    return {"gateway": gateway, "regions": {"north": dict(REGION)}}


def test_defaults_without_a_gateway_table() -> None:
    settings = parse_settings({"regions": {"north": dict(REGION)}})
    assert settings.request_deadline == 5.0
    assert settings.max_depth == 12
    assert settings.max_page_size == 100
    assert settings.introspection is True
    assert settings.graphiql is True
    assert settings.max_body_bytes == 256 * 1024
    assert [r.name for r in settings.regions] == ["north"]


def test_every_setting_is_read() -> None:
    settings = parse_settings(
        document(
            request_deadline=2,
            max_depth=5,
            max_page_size=10,
            introspection=False,
            graphiql=False,
            max_body_bytes=1024,
        )
    )
    assert settings == GatewaySettings(
        regions=settings.regions,
        request_deadline=2.0,
        max_depth=5,
        max_page_size=10,
        introspection=False,
        graphiql=False,
        max_body_bytes=1024,
    )
    assert isinstance(settings.request_deadline, float)


def test_unknown_gateway_key_is_rejected_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"gateway\.max_dpeth"):
        parse_settings(document(max_dpeth=5))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_depth", "12"),
        ("max_depth", 2.5),
        ("max_depth", True),
        ("request_deadline", "5s"),
        ("request_deadline", False),
        ("max_body_bytes", [1024]),
        ("introspection", 1),
        ("graphiql", "yes"),
    ],
)
def test_wrong_type_is_rejected_by_name(key: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=rf"gateway\.{key}"):
        parse_settings(document(**{key: value}))


@pytest.mark.parametrize(
    "key", ["request_deadline", "max_depth", "max_page_size", "max_body_bytes"]
)
@pytest.mark.parametrize("value", [0, -1])
def test_numbers_must_be_positive(key: str, value: int) -> None:
    with pytest.raises(ConfigurationError, match=rf"gateway\.{key}"):
        parse_settings(document(**{key: value}))


def test_gateway_that_is_not_a_table() -> None:
    with pytest.raises(ConfigurationError, match=r"\[gateway\]"):
        parse_settings({"gateway": "fast", "regions": {"north": dict(REGION)}})


def test_regions_are_validated_too() -> None:
    with pytest.raises(ConfigurationError, match=r"regions\.north\.kind"):
        parse_settings({"regions": {"north": {**REGION, "kind": "JAIL"}}})
    with pytest.raises(ConfigurationError, match="regions"):
        parse_settings({"gateway": {}})


def test_settings_are_frozen() -> None:
    settings = parse_settings(document())
    with pytest.raises(AttributeError):
        settings.max_depth = 99  # type: ignore[misc]


# ---- the file ----------------------------------------------------------------------------------
def test_load_settings_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text("[gateway]\nmax_depth = 7\n\n" + REGION_TOML, encoding="utf-8")
    settings = load_settings(path)
    assert settings.max_depth == 7
    assert [r.name for r in settings.regions] == ["north"]


def test_load_settings_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigurationError) as caught:
        load_settings(missing)
    assert str(missing) in str(caught.value)


def test_load_settings_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text("[gateway\nmax_depth = = 7\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(path)


def test_load_settings_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_bytes(b"\xff\xfe[gateway]\n")
    with pytest.raises(ConfigurationError):
        load_settings(path)
