"""``PreparedDocuments``: each request's document from the
:class:`~gateway.documents.DocumentCache`, parsed once, validated once and its cost planned once
per operation; a request only puts its variables into the plan.

A document that does not parse is left to strawberry's parser (with the same token cap), so its
syntax error is answered, and coded, as before. Trusted documents are pinned in the cache when the
schema is built (:func:`pin_trusted`), already validated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import strawberry
from graphql import DocumentNode, ExecutionResult
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document  # strawberry's own rules added

from gateway.documents import DocumentCache, PreparedDocument, Validator
from schema.cost import CostPlan, Weigher, find_operation, too_costly


@dataclass(frozen=True)
class CostLimit:
    """The most an operation may cost (:mod:`schema.cost`), over ``regions`` and pages of at
    most ``max_page_size``."""

    max_cost: int
    regions: int
    max_page_size: int

    def plan(self, document: DocumentNode, operation_name: str | None) -> CostPlan | None:
        operation = find_operation(document, operation_name)
        if operation is None:  # the executor reports it
            return None
        return Weigher(document, self.regions, self.max_page_size).plan(operation)


def validator(schema: strawberry.Schema, rules: Sequence[type[ASTValidationRule]]) -> Validator:
    """Validation against ``schema`` with ``rules`` (strawberry adds its own two)."""
    return partial(validate_document, schema._schema, validation_rules=tuple(rules))


def pin_trusted(
    documents: DocumentCache,
    trusted: Mapping[str, DocumentNode],
    validate: Validator,
) -> None:
    """Keep the trusted documents (by text, parsed in advance) validated, for good."""
    for text, document in trusted.items():
        documents.pin(text, document, validate)


def prepared_documents(
    documents: DocumentCache,
    rules: Sequence[type[ASTValidationRule]],
    limit: CostLimit,
) -> type[SchemaExtension]:
    """The extension taking parse, validation and cost from ``documents``."""

    class PreparedDocuments(SchemaExtension):
        prepared: PreparedDocument | None = None

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            if context.query is not None and context.graphql_document is None:
                prepared = documents.prepare(context.query)
                if prepared.document is None:  # strawberry parses it and answers the error
                    if documents.max_tokens is not None:
                        context.parse_options["max_tokens"] = documents.max_tokens
                else:
                    context.graphql_document = prepared.document
                    self.prepared = prepared
            yield

        def on_validate(self) -> Iterator[None]:
            prepared = self.prepared
            if prepared is not None:
                errors = prepared.errors
                if errors is None:
                    errors = prepared.validated(validator(self.execution_context.schema, rules))
                self.execution_context.pre_execution_errors = list(errors)
            yield

        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            prepared = self.prepared
            if prepared is not None and prepared.document is not None:
                name = context.operation_name
                if name not in prepared.plans:
                    prepared.plans[name] = limit.plan(prepared.document, name)
                plan = prepared.plans[name]
                if isinstance(plan, CostPlan):
                    cost = plan.cost(context.variables or {})
                    if cost > limit.max_cost:
                        error = too_costly(cost, limit.max_cost, plan.operation)
                        context.result = ExecutionResult(data=None, errors=[error])
            yield

    return PreparedDocuments
