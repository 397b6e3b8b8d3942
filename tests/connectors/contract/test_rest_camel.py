"""rest-camel certified by the contract kit against its simulator (OAuth2, batch endpoints)."""

from __future__ import annotations

import pytest

from connectors.rest_camel import CamelProbationConnector
from connectors.testing import ConnectorContract, RegionUnderTest
from simulators.runner import RunningEstate
from tests.connectors.contract.conftest import certified


class TestRestCamel(ConnectorContract):
    dialect = CamelProbationConnector

    @pytest.fixture
    def region(self, contract_estate: RunningEstate) -> RegionUnderTest:
        return certified(contract_estate, "probation-london", page_size=3)
