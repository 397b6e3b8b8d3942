"""The changelog rule, run by ``make lint``: a breaking change to the committed SDL lands only
together with a ``CHANGELOG.md`` entry.

Every commit that changed ``schema/schema.graphql`` (and the working tree, when the file is
edited but not committed) is compared with the version before it; where graphql-core finds a
breaking change, ``CHANGELOG.md`` must have changed in the same commit (or be edited too). The
whole history is checked, so a push of many commits cannot slip one through. Outside a git
checkout (an sdist) there is no history and the rule says so and passes.

``python -m schema.changelog_rule [REPO]`` prints each offending commit with its breaking
changes and exits 1.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from schema.sdl import classify_changes

SDL = "schema/schema.graphql"
CHANGELOG = "CHANGELOG.md"
WORKTREE = "working tree"


@dataclass(frozen=True)
class Violation:
    """A change of the SDL with breaking changes and no changelog entry beside it."""

    commit: str
    breaking: list[str]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _show(repo: Path, commit: str, path: str) -> str | None:
    try:
        return _git(repo, "show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return None  # the file did not exist in that commit


def _changed(repo: Path, commit: str) -> set[str]:
    return set(_git(repo, "show", "--format=", "--name-only", commit).split())


def violations(repo: Path) -> list[Violation]:
    """Every SDL change in the history (and working tree) that breaks without a changelog."""
    found: list[Violation] = []
    for commit in _git(repo, "log", "--format=%H", "--", SDL).split():
        old, new = _show(repo, f"{commit}~1", SDL), _show(repo, commit, SDL)
        if old is None or new is None:
            continue  # the SDL was first committed (or removed) here: nothing to break
        breaking = classify_changes(old, new)["breaking"]
        if breaking and CHANGELOG not in _changed(repo, commit):
            found.append(Violation(commit[:12], breaking))
    edited = set(_git(repo, "diff", "HEAD", "--name-only").split())
    edited |= set(_git(repo, "ls-files", "--others", "--exclude-standard").split())
    if SDL in edited:
        head = _show(repo, "HEAD", SDL)
        current = (repo / SDL).read_text(encoding="utf-8")
        breaking = classify_changes(head, current)["breaking"] if head is not None else []
        if breaking and CHANGELOG not in edited:
            found.append(Violation(WORKTREE, breaking))
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    repo = Path(args[0] if args else ".")
    if not (repo / ".git").exists():
        print("changelog rule: not a git checkout, no history to check")
        return 0
    found = violations(repo)
    for violation in found:
        print(f"{violation.commit}: breaking schema change without a {CHANGELOG} entry:")
        print("".join(f"  {line}\n" for line in violation.breaking), end="")
    if found:
        print(f"Add an entry to {CHANGELOG} in the same change (see its header for the form).")
        return 1
    print("changelog rule: every breaking schema change has a changelog entry")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
