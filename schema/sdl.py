"""The schema as a committed contract: its printed SDL, and how two versions of it differ.

``schema/schema.graphql`` holds :func:`export_sdl`'s output; a test fails when the code's schema
and that file differ, and ``offender-graph schema diff OLD NEW`` groups the differences between
two SDL files with :func:`classify_changes`.
"""

from __future__ import annotations

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    find_breaking_changes,
    find_dangerous_changes,
    is_specified_scalar_type,
    print_schema,
    specified_directives,
)
from graphql import build_schema as parse_sdl
from graphql.utilities.print_schema import print_type

from schema.build import build_schema


def api_schema(schema: GraphQLSchema) -> GraphQLSchema:
    """What clients query: the schema without what federation adds for routers (``_service``,
    ``_entities``, ``_Any``, ``_Entity``, ``_Service``, ``@link``, ``@key``)."""
    query = schema.query_type
    assert query is not None
    fields = {name: f for name, f in query.fields.items() if not name.startswith("_")}
    api_query = GraphQLObjectType(query.name, fields, description=query.description)
    types = [
        t
        for name, t in schema.type_map.items()
        if not name.startswith("_") and "__" not in name and name != query.name  # link__Import
    ]
    return GraphQLSchema(
        query=api_query,
        types=types,
        directives=specified_directives,
        description=schema.description,
    )


def export_sdl() -> str:
    """The client-facing SDL of :func:`schema.build.build_schema`, sorted, ending in a newline:
    the contract front-end teams generate types from (routers read the subgraph SDL from
    ``_service { sdl }`` instead: :func:`export_subgraph_sdl`)."""
    api = api_schema(build_schema()._schema)
    named = sorted(
        (t for name, t in api.type_map.items() if not name.startswith("__")),
        key=lambda t: t.name,
    )
    printed = [print_type(t) for t in named if not is_specified_scalar_type(t)]
    return "\n\n".join(printed) + "\n"


def export_subgraph_sdl() -> str:
    """The federation subgraph SDL (with ``@link`` and ``@key``), as ``_service { sdl }`` gives."""
    return build_schema().as_str() + "\n"


def _output_fields(schema: GraphQLSchema) -> dict[str, set[str]]:
    """Field names of every object and interface type, by type name (introspection excluded)."""
    return {
        name: set(kind.fields)
        for name, kind in schema.type_map.items()
        if not name.startswith("__") and isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
    }


def classify_changes(old_sdl: str, new_sdl: str) -> dict[str, list[str]]:
    """The differences from ``old_sdl`` to ``new_sdl`` as ``breaking``, ``dangerous`` and ``safe``
    lines, each ``CHANGE_TYPE: description``.

    ``breaking`` and ``dangerous`` are graphql-core's :func:`~graphql.find_breaking_changes` and
    :func:`~graphql.find_dangerous_changes`. ``safe`` is what graphql-core reports neither way:

    * ``TYPE_ADDED``: a named type in ``new_sdl`` only;
    * ``FIELD_ADDED``: a field of an object or interface type that is in both, in ``new_sdl`` only;
    * ``SDL_CHANGED``: one line when the two schemas, both printed by graphql-core, still differ
      but no other line was found (descriptions, deprecations, directives).

    Added arguments, input fields, enum values, union members and interfaces are not listed as
    safe: graphql-core classifies each as breaking or dangerous.
    """
    old, new = parse_sdl(old_sdl), parse_sdl(new_sdl)
    breaking = [f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)]
    dangerous = [f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)]
    old_fields, new_fields = _output_fields(old), _output_fields(new)
    safe = [
        f"TYPE_ADDED: {name} was added."
        for name in sorted(new.type_map)
        if name not in old.type_map and not name.startswith("__")
    ]
    safe += [
        f"FIELD_ADDED: {name}.{field} was added."
        for name in sorted(new_fields.keys() & old_fields.keys())
        for field in sorted(new_fields[name] - old_fields[name])
    ]
    if not (breaking or dangerous or safe) and print_schema(old) != print_schema(new):
        safe.append("SDL_CHANGED: descriptions, deprecations or directives changed.")
    return {"breaking": breaking, "dangerous": dangerous, "safe": safe}
