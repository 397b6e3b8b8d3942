"""`offender-graph schema export` and `schema diff` as a user runs them: a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema.sdl import export_sdl, export_subgraph_sdl
from tests.schema.test_sdl import OLD  # the same small schema the classifier tests use


def schema_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "schema", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_export_prints_the_sdl() -> None:
    result = schema_command("export")
    assert result.returncode == 0, result.stderr
    assert result.stdout == export_sdl()
    assert "type Query {" in result.stdout
    assert "_entities" not in result.stdout and "@key" not in result.stdout


def test_export_subgraph_prints_what_routers_compose() -> None:
    result = schema_command("export", "--subgraph")
    assert result.returncode == 0, result.stderr
    assert result.stdout == export_subgraph_sdl()
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in result.stdout
    assert '@key(fields: "id")' in result.stdout
    assert "_entities(representations: [_Any!]!): [_Entity]!" in result.stdout


def test_diff_of_the_same_schema_reports_nothing_and_exits_0(tmp_path: Path) -> None:
    old = write(tmp_path / "old.graphql", OLD)
    result = schema_command("diff", old, old)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "breaking (0):\ndangerous (0):\nsafe (0):\n"


def test_diff_with_a_breaking_change_exits_1(tmp_path: Path) -> None:
    old = write(tmp_path / "old.graphql", OLD)
    new = write(tmp_path / "new.graphql", OLD.replace("  age: Int\n", ""))
    result = schema_command("diff", old, new)
    assert result.returncode == 1
    assert result.stdout == (
        "breaking (1):\n  FIELD_REMOVED: Field Person.age was removed.\ndangerous (0):\nsafe (0):\n"
    )


def test_diff_with_dangerous_and_safe_changes_only_exits_0(tmp_path: Path) -> None:
    changed = (
        OLD.replace("  RELEASED\n", "  RELEASED\n  DECEASED\n") + "type Alert {\n  code: ID\n}\n"
    )
    old = write(tmp_path / "old.graphql", OLD)
    new = write(tmp_path / "new.graphql", changed)
    result = schema_command("diff", old, new)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "breaking (0):\n"
        "dangerous (1):\n"
        "  VALUE_ADDED_TO_ENUM: Enum value Status.DECEASED was added.\n"
        "safe (1):\n"
        "  TYPE_ADDED: Alert was added.\n"
    )


def test_diff_of_the_committed_sdl_against_the_export_is_clean(tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
    exported = write(tmp_path / "exported.graphql", schema_command("export").stdout)
    result = schema_command("diff", str(committed), exported)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "breaking (0):\ndangerous (0):\nsafe (0):\n"


def test_diff_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    old = write(tmp_path / "old.graphql", OLD)
    result = schema_command("diff", old, str(tmp_path / "missing.graphql"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "missing.graphql" in result.stderr
    assert result.stdout == ""


def test_diff_of_invalid_sdl_exits_2(tmp_path: Path) -> None:
    old = write(tmp_path / "old.graphql", OLD)
    bad = write(tmp_path / "bad.graphql", "type Query {")
    result = schema_command("diff", old, bad)
    assert result.returncode == 2
    assert "not a valid GraphQL schema" in result.stderr
    assert result.stdout == ""


def test_schema_without_an_action_is_a_usage_error() -> None:
    result = schema_command()
    assert result.returncode == 2
    assert "export" in result.stderr and "diff" in result.stderr
