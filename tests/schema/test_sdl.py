"""The committed SDL matches the code, and schema changes are classified as graphql-core says."""

from __future__ import annotations

from pathlib import Path

from schema.sdl import classify_changes, export_sdl

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

OLD = """
type Query {
  person(id: ID!): Person
  people(first: Int): [Person!]!
}

type Person {
  name: String!
  age: Int
  status: Status!
}

enum Status {
  ACTIVE
  RELEASED
}
"""


def test_the_committed_sdl_is_the_codes_schema() -> None:
    assert export_sdl() == COMMITTED.read_text(encoding="utf-8"), (
        "schema/schema.graphql differs from the code's schema; if the change is intended, "
        "regenerate it with: offender-graph schema export > schema/schema.graphql"
    )


def test_export_is_deterministic_and_ends_in_one_newline() -> None:
    sdl = export_sdl()
    assert sdl == export_sdl()
    assert sdl.endswith("}\n") and not sdl.endswith("\n\n")
    assert "type Query {" in sdl


def test_no_change_is_no_change() -> None:
    assert classify_changes(OLD, OLD) == {"breaking": [], "dangerous": [], "safe": []}
    assert classify_changes(export_sdl(), COMMITTED.read_text(encoding="utf-8")) == {
        "breaking": [],
        "dangerous": [],
        "safe": [],
    }


def test_removing_a_field_is_breaking() -> None:
    new = OLD.replace("  age: Int\n", "")
    assert classify_changes(OLD, new) == {
        "breaking": ["FIELD_REMOVED: Field Person.age was removed."],
        "dangerous": [],
        "safe": [],
    }


def test_adding_an_optional_argument_is_dangerous() -> None:
    new = OLD.replace("person(id: ID!)", "person(id: ID!, region: String)")
    assert classify_changes(OLD, new) == {
        "breaking": [],
        "dangerous": ["OPTIONAL_ARG_ADDED: An optional argument Query.person(region:) was added."],
        "safe": [],
    }


def test_adding_a_required_argument_is_breaking() -> None:
    new = OLD.replace("person(id: ID!)", "person(id: ID!, region: String!)")
    assert classify_changes(OLD, new) == {
        "breaking": ["REQUIRED_ARG_ADDED: A required argument Query.person(region:) was added."],
        "dangerous": [],
        "safe": [],
    }


def test_adding_an_enum_value_is_dangerous() -> None:
    new = OLD.replace("  RELEASED\n", "  RELEASED\n  DECEASED\n")
    assert classify_changes(OLD, new) == {
        "breaking": [],
        "dangerous": ["VALUE_ADDED_TO_ENUM: Enum value Status.DECEASED was added."],
        "safe": [],
    }


def test_adding_a_type_is_safe() -> None:
    new = OLD + "\ntype Alert {\n  code: String!\n}\n"
    assert classify_changes(OLD, new) == {
        "breaking": [],
        "dangerous": [],
        "safe": ["TYPE_ADDED: Alert was added."],
    }


def test_adding_a_field_is_safe() -> None:
    new = OLD.replace("  age: Int\n", "  age: Int\n  alerts: [String!]!\n")
    assert classify_changes(OLD, new) == {
        "breaking": [],
        "dangerous": [],
        "safe": ["FIELD_ADDED: Person.alerts was added."],
    }


def test_a_changed_description_alone_is_safe() -> None:
    new = OLD.replace("type Person {", '"""One person."""\ntype Person {')
    assert classify_changes(OLD, new) == {
        "breaking": [],
        "dangerous": [],
        "safe": ["SDL_CHANGED: descriptions, deprecations or directives changed."],
    }
