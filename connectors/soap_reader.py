"""SOAP replies read with lxml directly, off zeep's object mapping: a plan compiled once per
operation from zeep's schema, then one walk of the reply per call.

:func:`compile_reader` turns an operation's response element into a :class:`ReplyReader` when its
schema is plain (sequences of elements, simple or complex, no attributes, choices or wildcards);
anything else returns None and the connector keeps zeep's reading. A reader gives what
``serialize_object(binding.process_reply(...), dict)`` gives (every declared child, None or []
when absent; a response element with a single child unwrapped to that child's value), and refuses
what zeep in strict mode refuses: an element the schema does not declare, a single element
repeated, a value that does not parse as its type (:class:`~connectors.payload.PayloadError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from zeep.xsd.elements.element import Element
from zeep.xsd.elements.indicators import Sequence
from zeep.xsd.types.builtins import Boolean
from zeep.xsd.types.complex import ComplexType

from connectors.payload import PayloadError

__all__ = ["ReplyReader", "compile_reader", "parse_reply"]

BOOLEANS = frozenset({"true", "false", "1", "0"})


@dataclass(frozen=True, slots=True)
class Field:
    """One declared element: its tag, whether it repeats, and its simple type or children."""

    name: str
    tag: str  # Clark notation, {namespace}local
    many: bool
    simple: Any = None  # zeep's simple type (pythonvalue) when the element is simple
    children: dict[str, Field] | None = None  # by tag, when complex

    def read(self, node: Any) -> Any:
        if self.children is None:
            return self._value(node)
        values: dict[str, Any] = {f.name: [] if f.many else None for f in self.children.values()}
        for child in node:
            if not isinstance(child.tag, str):
                continue  # a comment or processing instruction
            field = self.children.get(child.tag)
            if field is None:
                raise PayloadError(f"{etree.QName(child).localname} is not in the schema")
            value = field.read(child)
            if field.many:
                values[field.name].append(value)
            elif values[field.name] is not None:
                raise PayloadError(f"{field.name} appears more than once")
            else:
                values[field.name] = value
        return values

    def _value(self, node: Any) -> Any:
        text = node.text
        if text is None:
            return None
        if isinstance(self.simple, Boolean) and text.strip() not in BOOLEANS:
            raise PayloadError(f"{self.name} is not a boolean")
        try:
            return self.simple.pythonvalue(text)
        except (TypeError, ValueError):
            raise PayloadError(f"{self.name} is not a valid {self.simple.name}") from None


@dataclass(frozen=True, slots=True)
class ReplyReader:
    """Reads one operation's response element as zeep's plain-dict reply."""

    root: Field

    def read(self, node: Any) -> Any:
        """The reply's value; ``node`` is the Body's response element (checked by the caller)."""
        values = self.root.read(node)
        if isinstance(values, dict) and len(values) == 1:
            return next(iter(values.values()))  # zeep unwraps a response of a single child
        return values


def compile_reader(element: Any) -> ReplyReader | None:
    """A reader for ``element`` (an operation's ``output.body``), or None when its schema is
    outside what :class:`ReplyReader` reads."""
    if element is None:
        return None
    root = _field(element)
    return None if root is None or root.children is None else ReplyReader(root)


def _field(element: Any, depth: int = 0) -> Field | None:
    if not isinstance(element, Element) or depth > 20:
        return None
    many = element.max_occurs != 1
    xsd_type = element.type
    if not isinstance(xsd_type, ComplexType):
        return Field(str(element.name), element.qname.text, many, simple=xsd_type)
    if xsd_type.attributes or not isinstance(xsd_type._element, Sequence):
        return None
    children: dict[str, Field] = {}
    for item in xsd_type._element:
        child = _field(item, depth + 1)
        if child is None:
            return None
        children[child.tag] = child
    return Field(str(element.name), element.qname.text, many, children=children)


FEED_BYTES = 32 * 1024  # lxml holds the GIL while it parses: a large reply is fed in pieces


def parse_reply(content: bytes, *, forbid_dtd: bool = True, huge_tree: bool = False) -> Any:
    """The root of a reply, parsed as zeep's ``parse_xml`` parses it (comments dropped, entities
    unresolved, no network, a DTD or an entity refused) but fed to lxml a piece at a time, so a
    worker thread parsing a large reply lets the event loop run between pieces."""
    from zeep.exceptions import DTDForbidden, EntitiesForbidden, XMLSyntaxError

    parser = etree.XMLParser(
        remove_comments=True, resolve_entities=False, no_network=True, huge_tree=huge_tree
    )
    try:
        for start in range(0, len(content), FEED_BYTES):
            parser.feed(content[start : start + FEED_BYTES])
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        message = f"Invalid XML content received ({exc.msg})"
        raise XMLSyntaxError(message, content=content) from None  # type: ignore[no-untyped-call]
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack doctype, system_url, entities
    if docinfo.doctype and forbid_dtd:
        raise DTDForbidden(docinfo.doctype, docinfo.system_url, docinfo.public_id)  # type: ignore[no-untyped-call]
    for dtd in (docinfo.internalDTD, docinfo.externalDTD):
        for entity in dtd.iterentities() if dtd is not None else ():
            raise EntitiesForbidden(entity.name, entity.content)  # type: ignore[no-untyped-call]
    return root
