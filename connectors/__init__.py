"""Connectors: adapt one region's legacy system to the small async contract the gateway uses.

The names below are the contract an integrator's dialect is written against (pinned by
``tests/connectors/test_public_api.py``); everything else in this package is the gateway's own or
plumbing that may change. See ``docs/connectors.md``.
"""

from connectors.base import BatchResult, Capability, Connector, PersonSearch
from connectors.config import AuthConfig, RegionConfig
from connectors.errors import (
    ConfigurationError,
    ConnectionDropped,
    ConnectorError,
    GatewayError,
    RegionTimeout,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.identifiers import (
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    cro_check_character,
    format_cro,
    format_pnc,
    format_pnc_short,
    normalise_cro,
    normalise_pnc,
    parse_identifier,
    pnc_check_character,
    try_parse_identifier,
)
from connectors.options import ConnectorOptions, SecretOption
from connectors.records import (
    AccessLimits,
    Alert,
    AlertSource,
    CustodyEpisode,
    IncludedFacts,
    InOutStatus,
    ManagerRole,
    Movement,
    OffenderManager,
    PersonName,
    PersonRecord,
    SentenceDates,
    SupervisionEpisode,
    SupervisionKind,
    SystemKind,
)

__all__ = [
    "AccessLimits",
    "Alert",
    "AlertSource",
    "AuthConfig",
    "BatchResult",
    "Capability",
    "ConfigurationError",
    "ConnectionDropped",
    "Connector",
    "ConnectorError",
    "ConnectorOptions",
    "CustodyEpisode",
    "GatewayError",
    "Identifier",
    "IdentifierKind",
    "IncludedFacts",
    "InOutStatus",
    "InvalidIdentifier",
    "ManagerRole",
    "Movement",
    "OffenderManager",
    "PersonName",
    "PersonRecord",
    "PersonSearch",
    "RegionConfig",
    "RegionTimeout",
    "RegionUnavailable",
    "SecretOption",
    "SentenceDates",
    "SupervisionEpisode",
    "SupervisionKind",
    "SystemKind",
    "UpstreamAuthFailed",
    "UpstreamInvalid",
    "UpstreamRejected",
    "cro_check_character",
    "format_cro",
    "format_pnc",
    "format_pnc_short",
    "normalise_cro",
    "normalise_pnc",
    "parse_identifier",
    "pnc_check_character",
    "try_parse_identifier",
]
