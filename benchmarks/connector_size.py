"""Lines of connector code per dialect: what an integrator writes (or wrote) for a region.

Counts code lines only: no blank lines, comments or docstrings (module, class and function
docstrings), as the connector SDK issue counts them. Usage:

    python benchmarks/connector_size.py [--before REV] [FILE ...]

Without files: the shipped dialects, and with ``--before REV`` the same files at that git
revision beside them (the port onto the SDK's plumbing: before and after in one run).
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIALECTS: dict[str, list[str]] = {
    "soap-prison": ["connectors/soap.py", "connectors/soap_mapping.py"],
    "rest-camel": ["connectors/rest_camel.py", "connectors/rest_camel_mapping.py"],
    "rest-snake": ["connectors/rest_snake.py", "connectors/rest_snake_mapping.py"],
}
SHARED = {"REST base (shared by both REST dialects)": ["connectors/rest.py"]}


def docstring_lines(tree: ast.AST) -> set[int]:
    """Line numbers covered by docstrings."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def source(path: str, revision: str | None) -> str | None:
    """The file's text now, or at ``revision``; None where it does not exist."""
    if revision is None:
        file = ROOT / path
        return file.read_text(encoding="utf-8") if file.exists() else None
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:{path}"], capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else None


def code_lines(text: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    skip = docstring_lines(ast.parse(text))
    code: set[int] = set()
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in ignored or token.type == tokenize.ENDMARKER:
            continue
        for line in range(token.start[0], token.end[0] + 1):
            if line not in skip:
                code.add(line)
    return len(code)


def size(files: list[str], revision: str | None) -> tuple[int, str]:
    texts = {f: source(f, revision) for f in files}
    sizes = {f: code_lines(t) for f, t in texts.items() if t is not None}
    return sum(sizes.values()), ", ".join(f"{Path(f).name} {n}" for f, n in sizes.items())


def report(groups: dict[str, list[str]], before: str | None) -> None:
    for name, files in groups.items():
        now, detail = size(files, None)
        line = f"  {name:<44} {now:>5} lines  ({detail})"
        if before is not None:
            then, _ = size(files, before)
            line += f"   before: {then} ({now / then:.2f}x)" if then else "   before: -"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="also count the files at this revision")
    parser.add_argument("files", nargs="*", help="files to count instead of the dialects")
    args = parser.parse_args()
    if args.files:
        report({f: [f] for f in args.files}, args.before)
        return
    print("Connector code per dialect (code lines; no blanks, comments or docstrings):")
    report(DIALECTS, args.before)
    report(SHARED, args.before)


if __name__ == "__main__":
    main()
