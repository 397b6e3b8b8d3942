"""rest-snake certified by the contract kit against its simulator (API key, one GET per key)."""

from __future__ import annotations

import pytest

from connectors.rest_snake import SnakeProbationConnector
from connectors.testing import ConnectorContract, RegionUnderTest
from simulators.runner import RunningEstate
from tests.connectors.contract.conftest import certified


class TestRestSnake(ConnectorContract):
    dialect = SnakeProbationConnector

    @pytest.fixture
    def region(self, contract_estate: RunningEstate) -> RegionUnderTest:
        return certified(contract_estate, "probation-wales", page_size=3)
