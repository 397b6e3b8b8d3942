"""Trusted documents (persisted queries): the documents a front-end build registered, by id.

The file the build produces is either a JSON object of ``id → document`` (graphql-codegen's
client preset, ``{"sha256:<hex>": "query ..."}`` or ``{"<hex>": ...}``) or Apollo's persisted
query manifest (``{"format": "apollo-persisted-query-manifest", "version": 1, "operations":
[{"id", "name", "type", "body"}]}``). An id that is a SHA-256 (bare or ``sha256:``-prefixed) must
be the hash of its document; any other id is a custom one, looked up as given.

A request names a document by ``documentId`` (the GraphQL-over-HTTP convention) or by
``extensions.persistedQuery.sha256Hash`` (APQ), with or without its text. :meth:`resolve` turns a
request into the document to run, or refuses it with a :class:`~gateway.limits.Refused` whose
code is one of :data:`CODES`; a refusal never repeats what the client sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import DocumentNode, GraphQLError, parse

from connectors.errors import ConfigurationError
from gateway.limits import Refused

CODES = ("PERSISTED_QUERY_REQUIRED", "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_HASH_MISMATCH")
APOLLO_FORMAT = "apollo-persisted-query-manifest"
_HEX = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo's clients retry with the text on this


def sha256_hex(document: str) -> str:
    """The lowercase hex SHA-256 of a document's UTF-8 text."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def document_key(identifier: str) -> tuple[str, bool]:
    """(the key an id is stored under, whether it is a SHA-256): ``sha256:ABC…`` and ``abc…``
    are the same key; a custom id is its own."""
    match = _HEX.fullmatch(identifier)
    return (match.group(1).lower(), True) if match else (identifier, False)


@dataclass(frozen=True)
class TrustedDocuments:
    """The registered documents by key, each parsed once; ``adhoc``: whether documents that are
    not registered may run too."""

    documents: Mapping[str, str] = field(default_factory=dict)
    adhoc: bool = True
    parsed: Mapping[str, DocumentNode] = field(default_factory=dict, repr=False)  # by text

    @classmethod
    def load(cls, path: Path, *, adhoc: bool) -> TrustedDocuments:
        """Read a manifest; :class:`ConfigurationError` naming the file and the entry (never its
        content) if it cannot be read, is neither format, or holds a document that does not
        parse or does not match its hash."""
        where = f"gateway.trusted_documents ({path.name})"
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            raise ConfigurationError(f"{where}: the file cannot be read") from None
        except (ValueError, RecursionError):
            raise ConfigurationError(f"{where}: the file is not valid JSON") from None
        entries = _entries(data, where)
        documents: dict[str, str] = {}
        parsed: dict[str, DocumentNode] = {}
        for number, (identifier, document) in enumerate(entries, 1):
            entry = f"{where}: entry {number}"
            if not isinstance(identifier, str) or not identifier:
                raise ConfigurationError(f"{entry}: the id must be a non-empty string")
            if not isinstance(document, str):
                raise ConfigurationError(f"{entry}: the document must be a string")
            key, hashed = document_key(identifier)
            if hashed and sha256_hex(document) != key:
                raise ConfigurationError(f"{entry}: the id is not the SHA-256 of its document")
            try:
                parsed[document] = parse(document)
            except GraphQLError:
                raise ConfigurationError(f"{entry}: the document is not valid GraphQL") from None
            documents[key] = document
        return cls(documents, adhoc, parsed)

    def resolve(
        self, query: str | None, document_id: object, extensions: Mapping[str, Any] | None
    ) -> str | None:
        """The document a request runs: its registered document when it names one, else its own
        text (when ad-hoc documents are allowed); ``None`` when it names nothing and sends no
        text (left to the GraphQL layer)."""
        identifier = _requested(document_id, extensions)
        if identifier is None:
            if query is not None and not self.adhoc:
                raise Refused(
                    400,
                    "PERSISTED_QUERY_REQUIRED",
                    "only trusted documents are accepted here: send a registered documentId",
                )
            return query
        key, hashed = document_key(identifier)
        if query is not None and hashed and sha256_hex(query) != key:
            raise Refused(
                400, "PERSISTED_QUERY_HASH_MISMATCH", "the document's SHA-256 is not the hash sent"
            )
        registered = self.documents.get(key)
        if registered is not None:
            return registered
        if query is not None and self.adhoc:
            return query
        raise Refused(404, "PERSISTED_QUERY_NOT_FOUND", NOT_FOUND_MESSAGE)


def load_trusted_documents(path: str, adhoc: bool) -> TrustedDocuments:
    """The settings' trusted documents (none when ``path`` is empty); refusing every ad-hoc
    document needs a file of trusted ones."""
    if not path:
        if not adhoc:
            raise ConfigurationError(
                "gateway.adhoc_documents = false needs gateway.trusted_documents (a manifest)"
            )
        return TrustedDocuments()
    return TrustedDocuments.load(Path(path), adhoc=adhoc)


def _entries(data: object, where: str) -> list[tuple[object, object]]:
    """(id, document) pairs of either manifest format."""
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        operations = data.get("operations")
        if data.get("version") != 1 or not isinstance(operations, list):
            raise ConfigurationError(f"{where}: an Apollo manifest needs version 1 and operations")
        if not all(isinstance(o, dict) for o in operations):
            raise ConfigurationError(f"{where}: every Apollo operation must be an object")
        return [(o.get("id"), o.get("body")) for o in operations]
    if isinstance(data, dict):
        return list(data.items())
    raise ConfigurationError(
        f"{where}: expected a JSON object of id → document, or an Apollo persisted query manifest"
    )


def _requested(document_id: object, extensions: Mapping[str, Any] | None) -> str | None:
    """The id a request names, by ``documentId`` or APQ's ``persistedQuery``; 400 if malformed."""
    persisted = (extensions or {}).get("persistedQuery")
    if document_id is not None:
        if not isinstance(document_id, str) or not document_id:
            raise Refused(400, "BAD_REQUEST", "`documentId` must be a non-empty string")
        return document_id
    if persisted is None:
        return None
    if (
        not isinstance(persisted, Mapping)
        or persisted.get("version") != 1
        or not isinstance(persisted.get("sha256Hash"), str)
        or not _HEX.fullmatch(persisted["sha256Hash"])
    ):
        raise Refused(
            400,
            "BAD_REQUEST",
            "`extensions.persistedQuery` must be {version: 1, sha256Hash: <64 hex digits>}",
        )
    hash_: str = persisted["sha256Hash"]
    return hash_
