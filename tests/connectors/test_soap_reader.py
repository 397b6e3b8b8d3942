"""connectors.soap_reader: replies read with lxml give exactly what zeep's reading gives, for every
operation of the prison WSDL (batch and legacy, SOAP 1.1 and 1.2), and refuse what zeep refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import pytest
from lxml import etree
from zeep.helpers import serialize_object

from connectors.config import RegionConfig
from connectors.payload import PayloadError
from connectors.records import SystemKind
from connectors.soap import SoapPrisonConnector
from connectors.soap_reader import compile_reader
from simulators.faults import FaultInjection, SimState
from simulators.server import ServerGroup, free_port
from simulators.soap_prison import create_prison_app
from tests.fixtures.soap.prisoners import SMITH, SMITH_NOMS, UNKNOWN, make_store

SYSTEMS = {"batch11": (True, "1.1"), "legacy11": (False, "1.1"), "batch12": (True, "1.2")}
CALLS: dict[str, dict[str, Any]] = {
    "FindOffender": {"identifierType": "NOMS", "value": SMITH_NOMS},
    "FindOffenders": {
        "identifier": [
            {"identifierType": "NOMS", "value": SMITH_NOMS},
            {"identifierType": "NOMS", "value": "Z9999ZZ"},
        ]
    },
    "SearchOffenders": {"lastName": "Smith", "dateOfBirth": date(1980, 1, 2), "maxResults": 5},
    "ListOffenders": {"pageSize": 1},
    "GetCustodyHistory": {"offenderId": SMITH},
    "GetCustodyHistories": {"offenderId": [SMITH, UNKNOWN]},
    "GetMovements": {"offenderId": SMITH},
    "GetMovementsBatch": {"offenderId": [SMITH, UNKNOWN]},
    "GetAlerts": {"offenderId": SMITH},
    "GetAlertsBatch": {"offenderId": [SMITH, UNKNOWN]},
}


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    apps = []
    for name, (batch, version) in SYSTEMS.items():
        state = SimState()
        app = create_prison_app(make_store(name, batch), state, soap_version=version)  # type: ignore[arg-type]
        apps.append((FaultInjection(app, state), free_port()))
    with ServerGroup(apps) as group:
        yield dict(zip(SYSTEMS, group.urls(), strict=True))


@pytest.fixture(params=list(SYSTEMS))
async def connector(request: pytest.FixtureRequest, urls: dict[str, str]) -> AsyncIterator[Any]:
    config = RegionConfig(
        name="prison-test",
        dialect="soap-prison",
        kind=SystemKind.CUSTODY,
        base_url=urls[request.param],
    )
    started = SoapPrisonConnector(config)
    await started.start()
    yield started
    await started.aclose()


async def test_every_operation_reads_as_zeep_reads_it(connector: Any) -> None:
    binding, client = connector._binding, connector._client
    assert set(connector._readers) == connector.operations  # the prison WSDL is plain throughout
    compared = 0
    for operation in connector.operations:
        response = await connector._service[operation](**CALLS[operation])
        mine = connector._read(
            connector._readers[operation], binding.get(operation), response.content
        )
        zeeps = serialize_object(
            binding.process_reply(client, binding.get(operation), response), dict
        )
        assert mine == (zeeps,), operation
        compared += 1
    assert compared == len(connector.operations) >= 5


async def test_a_fault_is_left_to_zeep(connector: Any) -> None:
    reader = connector._readers[
        "GetAlerts" if "GetAlerts" in connector.operations else "FindOffender"
    ]
    namespace = connector._binding.nsmap["soap-env"]
    fault = (
        f'<e:Envelope xmlns:e="{namespace}"><e:Body><e:Fault><faultcode>e:Server</faultcode>'
        "<faultstring>boom</faultstring></e:Fault></e:Body></e:Envelope>"
    ).encode()
    assert connector._read(reader, connector._binding.get("GetAlerts"), fault) is None


def test_undeclared_repeated_and_unparsable_values_are_refused(connector: Any) -> None:
    element = connector._binding.get("GetAlerts").output.body
    reader = compile_reader(element)
    assert reader is not None
    ns = element.qname.namespace

    def reply(inner: str) -> Any:
        return etree.fromstring(
            f'<r:GetAlertsResponse xmlns:r="{ns}">{inner}</r:GetAlertsResponse>'
        )

    alert = (
        "<r:alert><r:alertType>X</r:alertType><r:alertCode>XER</r:alertCode>"
        "<r:active>{}</r:active></r:alert>"
    )
    [read] = reader.read(reply(alert.format("true")))
    assert (read["alertType"], read["active"]) == ("X", True)
    for bad in (
        alert.format("yes"),
        "<r:surprise/>",
        alert.format("true").replace(
            "</r:alertCode>", "</r:alertCode><r:alertCode>X</r:alertCode>"
        ),
    ):
        with pytest.raises(PayloadError):
            reader.read(reply(bad))
