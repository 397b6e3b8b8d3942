"""Every registered dialect has a contract-kit subclass somewhere under tests/ (or an example's
tests): a dialect nobody certifies fails here, named."""

from __future__ import annotations

import ast
from pathlib import Path

from connectors.registry import available_dialects

ROOT = Path(__file__).resolve().parents[3]
KIT = "ConnectorContract"


def module_paths() -> list[Path]:
    return [*ROOT.glob("tests/**/test_*.py"), *ROOT.glob("examples/*/tests/**/test_*.py")]


def certified_names(path: Path) -> set[str]:
    """Names in a module that might be a certified dialect: in a ConnectorContract subclass, the
    name ``dialect`` is bound to (a class name, or the string key of ``available_dialects()``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    aliases = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(
            isinstance(b, ast.Name | ast.Attribute) and KIT in ast.unparse(b) for b in node.bases
        ):
            continue
        for item in node.body:
            if (
                isinstance(item, ast.Assign | ast.AnnAssign)
                and "dialect" in ast.unparse(item).split("=")[0]
            ):
                value = item.value
                if isinstance(value, ast.Name) and value.id in aliases:
                    value = aliases[value.id]
                if value is not None:
                    found |= {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                    found |= {
                        n.value
                        for n in ast.walk(value)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    }
    return found


def test_every_registered_dialect_has_a_contract_kit_subclass() -> None:
    named = set().union(*(certified_names(path) for path in module_paths()))
    missing = [
        name
        for name, cls in sorted(available_dialects().items())
        if name not in named and cls.__name__ not in named
    ]
    assert not missing, (
        f"dialect(s) {', '.join(missing)} have no ConnectorContract subclass under tests/ or "
        "examples/*/tests: certify each with the contract kit (docs/connectors.md)"
    )


def test_a_dialect_without_a_subclass_is_named(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text(
        "class TestA(ConnectorContract):\n    dialect = CamelProbationConnector\n"
        "SOAP = available_dialects()['soap-prison']\n"
        "class TestB(kit.ConnectorContract):\n    dialect = SOAP\n"
        "class TestC:\n    dialect = SnakeProbationConnector\n",
        encoding="utf-8",
    )
    names = certified_names(module)
    assert {"CamelProbationConnector", "soap-prison"} <= names
    assert "SnakeProbationConnector" not in names  # not a kit subclass
