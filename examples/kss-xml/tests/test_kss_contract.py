"""kss-xml certified by the contract kit against its own simulator, in a small estate with
CaseLink in it (``extra_systems``), as an integrator's repository would do it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest
from offender_graph_kss.connector import KssConnector
from offender_graph_kss.simulator import KSS

from connectors import AccessLimits, IdentifierKind, try_parse_identifier
from connectors.testing import ConnectorContract, KnownPeople, RegionUnderTest
from simulators.population import generate_estate
from simulators.runner import RunningEstate
from simulators.stores import ProbationCase


@pytest.fixture(scope="module")
def caselink() -> Iterator[RunningEstate]:
    """1,500 people, N57's cases in CaseLink (the kit sets faults on it: an estate of its own)."""
    with RunningEstate(generate_estate(people=1500, extra_systems=[KSS.name])) as running:
        yield running


class TestKssXml(ConnectorContract):
    dialect = KssConnector

    @pytest.fixture
    def region(self, caselink: RunningEstate) -> RegionUnderTest:
        (config,) = (c for c in caselink.region_configs() if c.name == KSS.name)
        config = replace(config, options={**config.options, "page_size": 2})  # several pages
        system = caselink.systems[KSS.name]
        cases = [
            r
            for r in system.store.records.values()
            if isinstance(r, ProbationCase) and r.supervisions and r.managers and r.registrations
        ][:3]
        pncs = [try_parse_identifier(r.pnc_number, IdentifierKind.PNC) for r in cases]
        common, hits = Counter(r.surname for r in system.store.records.values()).most_common(1)[0]
        assert hits > 2, "no surname spans more than one page of 2"
        held = [r for r in system.store.records.values() if isinstance(r, ProbationCase)]
        limited = [r for r in held if r.exclusions or r.restrictions]
        assert limited, "CaseLink holds no limited-access case"
        known = KnownPeople(
            identifiers=[*(r.crn for r in cases), *(p for p in pncs if p)],
            local_ids=[r.local_id for r in cases],
            surnames=sorted({r.surname for r in cases}),
            paged_surname=common,
            limited_access={  # and one person it does not limit
                r.crn: AccessLimits(frozenset(r.exclusions), frozenset(r.restrictions))
                for r in [*limited, cases[0]]
            },
        )
        return RegionUnderTest(config=config, simulator_url=system.url, known=known)
