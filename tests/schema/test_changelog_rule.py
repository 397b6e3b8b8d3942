"""The changelog rule over a real git history: a breaking SDL change needs a CHANGELOG entry in
the same commit (or the same uncommitted edit); safe changes do not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from schema.changelog_rule import CHANGELOG, SDL, WORKTREE, main, violations

V1 = "type Query {\n  a: String\n  b: Int\n}\n"
V2_SAFE = "type Query {\n  a: String\n  b: Int\n  c: Int\n}\n"
V3_BREAKING = "type Query {\n  a: String\n  c: Int\n}\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def commit(repo: Path, message: str, **files: str) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "dev@example.invalid")
    git(tmp_path, "config", "user.name", "dev")
    commit(tmp_path, "first SDL", **{SDL: V1})
    commit(tmp_path, "a safe addition", **{SDL: V2_SAFE})
    return tmp_path


def test_safe_changes_need_no_entry(repo: Path) -> None:
    assert violations(repo) == []
    assert main([str(repo)]) == 0


def test_a_breaking_commit_without_an_entry_is_named_even_under_later_commits(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, "drop b", **{SDL: V3_BREAKING})
    commit(repo, "later work", **{"README.md": "hello\n"})
    (found,) = violations(repo)
    assert found.commit != WORKTREE
    assert found.breaking == ["FIELD_REMOVED: Field Query.b was removed."]
    assert main([str(repo)]) == 1
    assert "Query.b was removed" in capsys.readouterr().out


def test_a_breaking_commit_with_its_entry_passes(repo: Path) -> None:
    commit(repo, "drop b, noted", **{SDL: V3_BREAKING, CHANGELOG: "## 2\n- b removed\n"})
    assert violations(repo) == []


def test_the_working_tree_is_checked_before_it_is_committed(repo: Path) -> None:
    (repo / SDL).write_text(V3_BREAKING, encoding="utf-8")
    (found,) = violations(repo)
    assert found.commit == WORKTREE
    (repo / CHANGELOG).write_text("## 2\n- b removed\n", encoding="utf-8")  # new, untracked
    assert violations(repo) == []


def test_outside_a_checkout_there_is_nothing_to_check(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0


def test_this_repository_keeps_the_rule() -> None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    assert [v.commit for v in violations(root)] == []
