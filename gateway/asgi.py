"""The app factory uvicorn imports in each worker process (``serve --workers N``).

The config file comes from ``OFFENDER_GRAPH_CONFIG``; every worker builds its own app, so workers
share cache and breaker state only through Redis (``[cache] url``).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.observability.logs import configure_logging
from gateway.settings import load_settings

CONFIG_VARIABLE = "OFFENDER_GRAPH_CONFIG"


def app() -> Starlette:
    """A gateway app for the config file named by ``OFFENDER_GRAPH_CONFIG``."""
    configure_logging()  # OFFENDER_GRAPH_LOG_LEVEL / _FORMAT, inherited from the command
    return create_app(load_settings(Path(os.environ[CONFIG_VARIABLE])))
