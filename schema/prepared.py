"""``PreparedDocuments``: trusted documents are parsed once, at start-up, not per request."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension


def prepared_documents(parsed: Mapping[str, DocumentNode]) -> Callable[[], SchemaExtension]:
    """An extension factory that hands the parser's step the document parsed in advance for a
    query text in ``parsed`` (the same node each time, so the validation cache hits by
    identity); any other text is parsed as usual."""

    class PreparedDocuments(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is None and context.query is not None:
                context.graphql_document = parsed.get(context.query)
            yield

    return PreparedDocuments
