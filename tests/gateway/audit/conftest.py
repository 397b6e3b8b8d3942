"""Fixtures of the audit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.audit.pg import fresh_database


@pytest.fixture
def database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database (real server), dropped afterwards."""
    with fresh_database() as url:
        yield url
