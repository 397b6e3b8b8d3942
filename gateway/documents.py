"""``DocumentCache``: each distinct GraphQL document parsed and validated once per process.

A document is kept under the SHA-256 of its text, in a least-recently-used cache of at most
``size`` documents (``[gateway] document_cache_size``; 0 turns it off: every request parses and
validates again). A kept document holds its syntax tree (``None`` when it does not parse), its
validation errors once validated, and what the schema plans once per operation (its cost).
Documents that failed are kept too: the same bad text costs its parse once.

Trusted documents are **pinned**: parsed when the manifest is read and validated when the schema
is built, never evicted and not counted against ``size``, so they go straight to execution.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError, parse

Validator = Callable[[DocumentNode], Sequence[GraphQLError]]


@dataclass(slots=True)
class PreparedDocument:
    """One document as parsed (``None``: it does not parse), its validation errors (``None``
    until validated; empty when valid) and the schema's plans by operation name."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] | None = None
    plans: dict[str | None, object] = field(default_factory=dict)

    def validated(self, validate: Validator) -> tuple[GraphQLError, ...]:
        """Its validation errors, validating it the first time."""
        if self.errors is None:
            assert self.document is not None, "a document that did not parse is not validated"
            self.errors = tuple(validate(self.document))
        return self.errors


class DocumentCache:
    """Prepared documents by the SHA-256 of their text: at most ``size`` (least recently used
    evicted first) plus the pinned trusted documents. ``max_tokens``: the parser's token cap.
    ``hits`` and ``misses`` count :meth:`prepare`'s answers from the cache and from the
    parser."""

    def __init__(self, size: int, *, max_tokens: int | None = None) -> None:
        self.size = size
        self.max_tokens = max_tokens
        self.hits = 0
        self.misses = 0
        self._recent: OrderedDict[bytes, PreparedDocument] = OrderedDict()
        self._pinned: dict[bytes, PreparedDocument] = {}

    def __len__(self) -> int:
        """How many documents are kept, pinned ones included."""
        return len(self._recent) + len(self._pinned)

    def prepare(self, text: str) -> PreparedDocument:
        """The prepared document of ``text``: the kept one, or parsed now (and kept)."""
        key = hashlib.sha256(text.encode("utf-8")).digest()
        prepared = self._pinned.get(key) or self._recent.get(key)
        if prepared is not None:
            self.hits += 1
            if key in self._recent:
                self._recent.move_to_end(key)
            return prepared
        self.misses += 1
        prepared = PreparedDocument(self._parse(text))
        if self.size > 0:
            self._recent[key] = prepared
            if len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return prepared

    def pin(self, text: str, document: DocumentNode, validate: Validator) -> None:
        """Keep a trusted document (parsed in advance) for good, validated now."""
        prepared = PreparedDocument(document)
        prepared.validated(validate)
        self._pinned[hashlib.sha256(text.encode("utf-8")).digest()] = prepared

    def _parse(self, text: str) -> DocumentNode | None:
        try:
            return parse(text, max_tokens=self.max_tokens)
        except GraphQLError:  # strawberry parses it again and answers the syntax error
            return None
