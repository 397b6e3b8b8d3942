"""``offender-graph new-connector``: each kind scaffolds a package that imports, passes ruff and
mypy --strict, and whose contract-kit tests are collected (and skipped, saying why, until the
mapping is filled in)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.cli.scaffold import KINDS, ScaffoldError, scaffold

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def package_of(kind: str) -> str:
    return f"offender_graph_acme_{kind}"


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One package of each kind, written by the command itself, on sys.path while the module
    runs."""
    root = tmp_path_factory.mktemp("scaffolds")
    for kind in KINDS:
        main(["new-connector", f"acme-{kind}", "--kind", kind, "--into", str(root / kind)])
    sys.path[:0] = [str(root / kind) for kind in KINDS]
    yield root
    for kind in KINDS:
        sys.path.remove(str(root / kind))
        for name in [m for m in sys.modules if m.startswith(package_of(kind))]:
            del sys.modules[name]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_files_of_each_kind(scaffolded: Path, kind: str) -> None:
    into, package = scaffolded / kind, package_of(kind)
    files = sorted(str(p.relative_to(into)) for p in into.rglob("*") if p.is_file())
    assert files == sorted(
        [
            "README.md",
            "pyproject.toml",
            "regions.toml",
            f"{package}/__init__.py",
            f"{package}/connector.py",
            f"{package}/py.typed",
            f"{package}/simulator.py",
            f"tests/test_{package}_contract.py",
        ]
    )
    project = tomllib.loads((into / "pyproject.toml").read_text())
    points = project["project"]["entry-points"]
    assert points["offender_graph.connectors"] == {
        f"acme-{kind}": f"{package}.connector:Acme{kind.capitalize()}Connector"
    }
    assert points["offender_graph.simulators"] == {f"acme-{kind}": f"{package}.simulator:SIMULATOR"}
    regions = tomllib.loads((into / "regions.toml").read_text())["regions"]
    assert regions[f"probation-acme-{kind}"]["dialect"] == f"acme-{kind}"
    assert "TODO" in (into / package / "connector.py").read_text()


@pytest.mark.parametrize("kind", KINDS)
def test_it_imports_and_declares_a_dialect_and_a_simulator(scaffolded: Path, kind: str) -> None:
    connector = importlib.import_module(f"{package_of(kind)}.connector")
    simulator = importlib.import_module(f"{package_of(kind)}.simulator")
    dialect = getattr(connector, f"Acme{kind.capitalize()}Connector")
    assert dialect.dialect == simulator.SIMULATOR.dialect == f"acme-{kind}"
    assert dialect.capabilities == frozenset()  # nothing declared until it is written
    assert [s.name for s in simulator.SIMULATOR.systems] == [f"probation-acme-{kind}"]


def test_ruff_and_mypy_strict_accept_every_kind(scaffolded: Path) -> None:
    dirs = [scaffolded / kind for kind in KINDS]
    for into in dirs:
        lint = run([str(BIN / "ruff"), "check", "--no-cache", "."], into)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        formatted = run([str(BIN / "ruff"), "format", "--check", "--no-cache", "."], into)
        assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    # As against an installed offender-graph (editable installs hide it from mypy): the repo.
    paths = [str(d / sub) for d in dirs for sub in (package_of(d.name), "tests")]
    mypy = run(
        [str(BIN / "mypy"), "--strict", "--cache-dir", str(scaffolded / ".mypy"), *paths],
        scaffolded,
        MYPYPATH=os.pathsep.join([str(ROOT), *map(str, dirs)]),
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_its_contract_tests_are_collected_and_skipped_until_filled_in(
    scaffolded: Path, kind: str
) -> None:
    into = scaffolded / kind
    tests = run([str(BIN / "pytest"), "-rs", "-p", "no:cacheprovider"], into, PYTHONPATH=str(into))
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " skipped" in tests.stdout and " passed" not in tests.stdout
    assert "the mapping is not filled in yet" in tests.stdout
    listed = run([str(BIN / "pytest"), "--collect-only", "-q"], into, PYTHONPATH=str(into))
    collected = [line for line in listed.stdout.splitlines() if "::" in line]
    assert any(
        f"TestAcme{kind.capitalize()}::test_declares_a_valid_dialect" in c for c in collected
    )
    assert len(collected) > 20  # the kit's checks, every one


def test_it_refuses_a_bad_name_an_unknown_kind_and_a_directory_in_use(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="not a dialect name"):
        scaffold("Acme_XML", "xml", tmp_path / "a")
    with pytest.raises(ScaffoldError, match="--kind must be one of"):
        scaffold("acme-xml", "graphql", tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "mine.txt").write_text("keep")
    with pytest.raises(ScaffoldError, match="not an empty directory"):
        scaffold("acme-xml", "xml", tmp_path / "c")
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["mine.txt"]
    with pytest.raises(SystemExit, match="not a dialect name"):
        main(["new-connector", "9lives", "--kind", "rest", "--into", str(tmp_path / "d")])


def test_custody_scaffolds_a_prison_system(tmp_path: Path) -> None:
    scaffold("acme-gaol", "soap", tmp_path, custody=True)
    regions = tomllib.loads((tmp_path / "regions.toml").read_text())["regions"]
    assert regions["prison-acme-gaol"]["kind"] == "CUSTODY"
    simulator = (tmp_path / "offender_graph_acme_gaol" / "simulator.py").read_text()
    assert 'kind="CUSTODY"' in simulator and '("LEI",)' in simulator
