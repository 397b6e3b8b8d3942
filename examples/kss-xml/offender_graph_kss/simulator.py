"""The ``kss-xml`` simulator plugin: CaseLink over the estate's store, fresh credentials each time.

Declares one system, ``probation-kss``, which takes the probation region N57 (Kent, Surrey &
Sussex) over from the default estate: ``offender-graph simulate --extra-system probation-kss``.
The password (with a Latin-1 character, as CaseLink's are) is written to a private file that the
region's ``options.password = { file = ... }`` names; the file goes when the process ends.
"""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from offender_graph_kss.server import create_kss_app
from simulators.faults import SimState
from simulators.layout import SystemSpec
from simulators.plugin import SimulatedApp
from simulators.stores import SystemStore

KSS = SystemSpec(
    "probation-kss", "PROBATION", "kss-xml", "Kent, Surrey & Sussex probation (CaseLink)",
    ("N57",), id_prefix="KSS",
)  # fmt: skip
USERNAME = "gateway"


def secret_file(secret: str) -> Path:
    """A file only this user can read holding ``secret``, removed at exit."""
    descriptor, name = tempfile.mkstemp(prefix="kss-xml-", suffix=".secret")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret)
    path = Path(name)
    atexit.register(_unlink, path)
    return path


def _unlink(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


@dataclass(frozen=True)
class KssSimulator:
    dialect: str = "kss-xml"
    kind: str = "PROBATION"
    systems: tuple[SystemSpec, ...] = (KSS,)

    def create(self, store: SystemStore, state: SimState, base_url: str) -> SimulatedApp:
        password = "clé-" + secrets.token_urlsafe(18)
        app = create_kss_app(store, state, username=USERNAME, password=password)
        options = {"username": USERNAME, "password": {"file": str(secret_file(password))}}
        return SimulatedApp(app, {"options": options})


SIMULATOR = KssSimulator()
