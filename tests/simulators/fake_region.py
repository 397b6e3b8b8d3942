"""A simulator plugin as an installed package would ship one: a tiny JSON probation system.

``tests/simulators/test_plugins.py`` registers it through a stand-in for the entry-point lookup.
It declares one system, ``probation-kent``, which takes the region N57 over from the default
estate's London system.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.faults import SimState
from simulators.layout import SystemSpec
from simulators.plugin import SimulatedApp
from simulators.stores import ProbationCase, SystemStore

KENT = SystemSpec(
    "probation-kent", "PROBATION", "fake-json", "Kent, Surrey & Sussex probation", ("N57",),
    id_prefix="KSS",
)  # fmt: skip


def create_fake_app(store: SystemStore, state: SimState, token: str) -> Starlette:
    """``GET /cases`` lists every case (CRN and regions), behind ``Authorization: Token ...``."""

    async def cases(request: Request) -> Response:
        given = request.headers.get("authorization", "").removeprefix("Token ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"error": "unauthorised"}, 401)
        state.count("cases")
        rows = [
            {
                "id": r.local_id,
                "crn": r.crn,
                "regions": sorted({s.probation_region for s in r.supervisions}),
            }
            for r in store.records.values()
            if isinstance(r, ProbationCase)
        ]
        return JSONResponse(rows)

    return Starlette(routes=[Route("/cases", cases)])


@dataclass(frozen=True)
class FakeSimulator:
    """The ``fake-json`` simulator plugin."""

    dialect: str = "fake-json"
    kind: str = "PROBATION"
    systems: tuple[SystemSpec, ...] = (KENT,)

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        token = secrets.token_urlsafe(16)
        region = {
            "timeout": 5.0,
            "auth": {"type": "api_key", "header": "Authorization", "api_key": f"Token {token}"},
            "options": {"page_size": 20, "charset": "utf-8"},
        }
        return SimulatedApp(create_fake_app(store, state, token), region)


SIMULATOR = FakeSimulator()


class NoCreate:
    """Looks like a factory, but cannot build an app."""

    dialect = "no-create"
    kind = "PROBATION"
    systems = ()


BAD_KIND = FakeSimulator(dialect="bad-kind", kind="PRISON")
