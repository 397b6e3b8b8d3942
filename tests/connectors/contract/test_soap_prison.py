"""soap-prison certified by the contract kit: a prison group with batch operations, and the
legacy ``prison-wales`` system whose WSDL has none (one call per key)."""

from __future__ import annotations

import pytest

from connectors.registry import available_dialects
from connectors.testing import ConnectorContract, RegionUnderTest
from simulators.runner import RunningEstate
from tests.connectors.contract.conftest import certified

SOAP = available_dialects()["soap-prison"]  # the class the entry point names, as ported
# SearchOffenders answers in one reply (capped at 200): there is no page to follow.


class TestSoapPrisonBatch(ConnectorContract):
    dialect = SOAP

    @pytest.fixture
    def region(self, contract_estate: RunningEstate) -> RegionUnderTest:
        return certified(contract_estate, "prison-north", paged=False)  # one reply, capped


class TestSoapPrisonLegacy(ConnectorContract):
    dialect = SOAP

    @pytest.fixture
    def region(self, contract_estate: RunningEstate) -> RegionUnderTest:
        assert not contract_estate.systems["prison-wales"].store.batch
        return certified(contract_estate, "prison-wales", paged=False)
