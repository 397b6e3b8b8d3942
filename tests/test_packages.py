"""The top-level packages imported are this repository's, not same-named packages from PyPI."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["schema", "auth", "gateway", "connectors", "simulators"])
def test_imported_package_is_ours(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    location = Path(module.__file__).resolve()
    assert location.is_relative_to(REPO), location
    assert ".venv" not in location.relative_to(REPO).parts
    assert location == REPO / name / "__init__.py"
