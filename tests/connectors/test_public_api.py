"""The exported contract of ``connectors``: pinned, so that a change to it is deliberate."""

from __future__ import annotations

import tomllib
from pathlib import Path

import connectors

ROOT = Path(__file__).resolve().parents[2]

# Changing this list changes the contract integrators write against: bump it on purpose, say so in
# docs/connectors.md, and keep old names working for a release where possible.
CONTRACT = {
    # the connector base and its call shapes
    "Connector",
    "Capability",
    "PersonSearch",
    "PersonListing",
    "ListingPage",
    "BatchResult",
    "ConnectorOptions",
    "SecretOption",
    "RegionConfig",
    "AuthConfig",
    # the records and their enums
    "PersonRecord",
    "IncludedFacts",
    "PersonName",
    "CustodyEpisode",
    "SentenceDates",
    "InOutStatus",
    "Movement",
    "SupervisionEpisode",
    "SupervisionKind",
    "OffenderManager",
    "ManagerRole",
    "Alert",
    "AlertSource",
    "AccessLimits",
    "SystemKind",
    # identifiers
    "Identifier",
    "IdentifierKind",
    "InvalidIdentifier",
    "parse_identifier",
    "try_parse_identifier",
    "normalise_pnc",
    "normalise_cro",
    "format_pnc",
    "format_pnc_short",
    "format_cro",
    "pnc_check_character",
    "cro_check_character",
    # the error taxonomy
    "GatewayError",
    "ConfigurationError",
    "ConnectorError",
    "RegionUnavailable",
    "ConnectionDropped",
    "RegionTimeout",
    "UpstreamRejected",
    "UpstreamAuthFailed",
    "UpstreamInvalid",
}


def test_the_exported_names_are_the_pinned_contract() -> None:
    assert set(connectors.__all__) == CONTRACT
    assert len(connectors.__all__) == len(CONTRACT)  # no name listed twice


def test_every_exported_name_is_importable_from_the_package() -> None:
    missing = [name for name in connectors.__all__ if not hasattr(connectors, name)]
    assert missing == []


def test_the_exported_errors_form_one_taxonomy() -> None:
    for name in CONTRACT - {"GatewayError", "ConfigurationError"}:
        value = getattr(connectors, name)
        if isinstance(value, type) and issubclass(value, Exception) and name != "InvalidIdentifier":
            assert issubclass(value, connectors.ConnectorError), name
    assert issubclass(connectors.ConfigurationError, connectors.GatewayError)
    assert not issubclass(connectors.ConfigurationError, connectors.ConnectorError)


def test_the_package_is_marked_typed_and_ships_the_marker() -> None:
    assert (ROOT / "connectors" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["connectors"]
