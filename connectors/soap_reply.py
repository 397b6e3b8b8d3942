"""SOAP replies: checked before zeep reads them, and the one SOAP error boundary.

:func:`check_reply` refuses a reply zeep would misread (SOAP 1.1 or 1.2); :class:`ReplyCheck` runs
it as a zeep plugin. :func:`soap_boundary` maps what a SOAP call raises: a SOAP Fault by its code
(:func:`fault_error`), zeep's transport error by its HTTP status, and a payload that does not read
(zeep's parse and validation errors, lxml's, our reply checks and mappings) to
:class:`UpstreamInvalid`. It catches nothing else: a bug propagates as itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lxml import etree
from zeep import exceptions as zeep_errors
from zeep.plugins import Plugin
from zeep.xsd.types.builtins import Boolean
from zeep.xsd.types.complex import ComplexType

from connectors.boundaries import payload_boundary, status_error
from connectors.errors import (
    ConnectorError,
    RegionUnavailable,
    UpstreamAuthFailed,
    UpstreamInvalid,
    UpstreamRejected,
)
from connectors.payload import PayloadError

__all__ = ["ReplyCheck", "check_reply", "fault_error", "soap_boundary"]

log = logging.getLogger(__name__)

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
ZEEP_PAYLOAD_ERRORS: tuple[type[Exception], ...] = (
    zeep_errors.XMLSyntaxError,
    zeep_errors.XMLParseError,
    zeep_errors.UnexpectedElementError,
    zeep_errors.ValidationError,
    zeep_errors.WsdlSyntaxError,
    zeep_errors.LookupError,
    zeep_errors.NamespaceError,
    zeep_errors.IncompleteMessage,
    zeep_errors.DTDForbidden,
    zeep_errors.EntitiesForbidden,
    zeep_errors.ExternalReferenceForbidden,
    etree.LxmlError,
)
"""What zeep and lxml raise for a reply or WSDL that does not read (beside what
:func:`connectors.boundaries.payload_boundary` catches)."""
CLIENT_FAULTS = frozenset(
    {"Client", "Sender", "VersionMismatch", "MustUnderstand", "DataEncodingUnknown"}
)
AUTH_FAULTS = frozenset(  # WS-Security 1.1, section 12
    {
        "FailedAuthentication",
        "InvalidSecurity",
        "InvalidSecurityToken",
        "SecurityTokenUnavailable",
        "FailedCheck",
        "UnsupportedSecurityToken",
    }
)
_LOGGABLE = re.compile(r"[^A-Za-z0-9_-]")


def _local(code: object) -> str:
    """``soap:Client.Auth`` or a QName as ``Client``."""
    text = code.localname if isinstance(code, etree.QName) else str(code or "")
    return text.rpartition(":")[2].rpartition("}")[2].split(".")[0]


def fault_error(region: str, fault: zeep_errors.Fault) -> ConnectorError:
    """The connector error a SOAP Fault means: a WS-Security failure (code or 1.2 subcode) is
    :class:`UpstreamAuthFailed`; a client fault :class:`UpstreamRejected`; any other (Server,
    Receiver) :class:`RegionUnavailable`. The fault string, the region's own text, is never kept."""
    codes = [_local(fault.code), *(_local(c) for c in getattr(fault, "subcodes", None) or ())]
    log.debug("region %s answered SOAP fault %s", region, _LOGGABLE.sub("?", "/".join(codes))[:80])
    if AUTH_FAULTS.intersection(codes):
        return UpstreamAuthFailed(region, "region refused the gateway's WS-Security credentials")
    if codes[0] in CLIENT_FAULTS:
        return UpstreamRejected(region, "region rejected the request (SOAP fault)")
    return RegionUnavailable(region, "region reported an internal error (SOAP fault)")


@contextmanager
def soap_boundary(region: str) -> Iterator[None]:
    """Translate what a zeep call raises into connector errors, keeping the cause."""
    try:
        with payload_boundary(region):
            yield
    except zeep_errors.Fault as exc:
        raise fault_error(region, exc) from exc
    except zeep_errors.TransportError as exc:
        error = status_error(region, exc.status_code or 0)
        raise (error or UpstreamInvalid(region, "region answered with invalid XML")) from exc
    except ZEEP_PAYLOAD_ERRORS as exc:
        log.debug("region %s answered data that does not read (%s)", region, type(exc).__name__)
        raise UpstreamInvalid(region, "region answered with data that does not map") from exc


def check_reply(envelope: Any, response: Any) -> None:
    """Refuse a SOAP 1.1 or 1.2 reply that zeep would read wrongly, before it does.

    zeep reads any body element as the operation's response (an unrelated or misrouted reply
    becomes an empty result: "no custody history") and turns a value it cannot parse, such as the
    date ``2020-13-45``, into None ("no end date"). ``response`` is the operation's xsd element.
    A reply that is not an envelope, or a Fault, is left to zeep.
    """
    namespace = etree.QName(envelope).namespace
    if namespace not in (SOAP11_ENV, SOAP12_ENV) or etree.QName(envelope).localname != "Envelope":
        return
    body = envelope.find(f"{{{namespace}}}Body")
    first = None if body is None else next((c for c in body if isinstance(c.tag, str)), None)
    if first is not None and first.tag == f"{{{namespace}}}Fault":
        return
    if first is None or response is None or first.tag != response.qname:
        raise PayloadError("the reply is not the operation's response element")
    _check_values(first, response)


def _check_values(node: Any, element: Any) -> None:
    """Parse every simple value under ``node`` as its schema type, raising where zeep would not."""
    xsd_type = element.type
    if isinstance(xsd_type, ComplexType):
        children = {child.qname: child for _, child in xsd_type.elements}
        for child_node in node:
            if isinstance(child_node.tag, str) and child_node.tag in children:
                _check_values(child_node, children[child_node.tag])
        return
    if node.text is None:
        return
    name = etree.QName(node).localname
    if isinstance(xsd_type, Boolean) and node.text.strip() not in ("true", "false", "1", "0"):
        raise PayloadError(f"{name} is not a boolean")
    try:
        xsd_type.pythonvalue(node.text)
    except (TypeError, ValueError):
        raise PayloadError(f"{name} is not a valid {xsd_type.name}") from None


class ReplyCheck(Plugin):
    """A zeep plugin running ``check`` (by default :func:`check_reply`) on every reply."""

    def __init__(self, check: Callable[[Any, Any], None] = check_reply) -> None:
        self.check = check

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self.check(envelope, operation.output.body)
        return envelope, http_headers
