"""Strict readers for a parsed XML reply, beside the JSON readers of :mod:`connectors.payload`.

A child is named by its local name (``"Surname"``: any namespace) or in full (``"{ns}Surname"``).
Text is stripped; an empty element reads as absent. Every reader raises :class:`PayloadError`
naming the element as ``Parent/Child`` (never its value); the payload boundary
(:func:`connectors.boundaries.payload_boundary`) turns that into ``UpstreamInvalid``.

```python
case = child(root, "Case")
local_id = text(case, "CaseRef")
born = opt_date(case, "DOB", UK)
held = boolean(case, "InCustody")
aliases = [text(a, "Name") for a in children(case, "Alias")]
```
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TypeVar

from lxml import etree

from connectors import parsing
from connectors.payload import DateFormat, PayloadError

__all__ = [
    "attribute",
    "boolean",
    "child",
    "children",
    "choice",
    "date_of",
    "flag",
    "opt_child",
    "opt_date",
    "opt_text",
    "text",
    "text_set",
]

Element = etree._Element
E = TypeVar("E", bound=Enum)
_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _name(element: Element) -> str:
    return etree.QName(element).localname


def _matches(element: Element, name: str) -> bool:
    return element.tag == name if name.startswith("{") else _name(element) == name


def _where(parent: Element, name: str) -> str:
    return f"{_name(parent)}/{etree.QName(name).localname if name.startswith('{') else name}"


def children(parent: Element, name: str) -> list[Element]:
    """Every child element called ``name``, in document order (none: an empty list)."""
    return [node for node in parent.iterchildren(etree.Element) if _matches(node, name)]


def opt_child(parent: Element, name: str) -> Element | None:
    """The one child called ``name``, or None; more than one is a payload error."""
    found = children(parent, name)
    if len(found) > 1:
        raise PayloadError(f"element '{_where(parent, name)}' appears more than once")
    return found[0] if found else None


def child(parent: Element, name: str) -> Element:
    """The one child called ``name``, required."""
    found = opt_child(parent, name)
    if found is None:
        raise PayloadError(f"element '{_where(parent, name)}' is missing")
    return found


def opt_text(parent: Element, name: str) -> str | None:
    """The text of the child ``name``; absent or blank reads as None."""
    node = opt_child(parent, name)
    if node is None:
        return None
    if len(node):
        raise PayloadError(f"element '{_where(parent, name)}' is not text")
    value = (node.text or "").strip()
    return value or None


def text(parent: Element, name: str) -> str:
    """The text of the child ``name``, required and not blank."""
    value = opt_text(parent, name)
    if value is None:
        raise PayloadError(f"element '{_where(parent, name)}' is missing or empty")
    return value


def text_set(parent: Element, name: str) -> frozenset[str]:
    """The texts of every child called ``name`` (none: empty), each not blank."""
    found = []
    for node in children(parent, name):
        value = (node.text or "").strip()
        if len(node) or not value:
            raise PayloadError(f"element '{_where(parent, name)}' is empty or not text")
        found.append(value)
    return frozenset(found)


def choice(parent: Element, name: str, kind: type[E]) -> E:
    """The text of the child ``name`` as one of the values of ``kind``, required."""
    value = text(parent, name)
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(str(member.value) for member in kind)
        raise PayloadError(f"element '{_where(parent, name)}' is not one of {known}") from None


def opt_date(parent: Element, name: str, fmt: DateFormat) -> date | None:
    """The child ``name`` as a date written in ``fmt`` (:mod:`connectors.parsing`); blank: None."""
    return parsing.opt_date(opt_text(parent, name), _where(parent, name), fmt)


def date_of(parent: Element, name: str, fmt: DateFormat) -> date:
    """The child ``name`` as a date written in ``fmt``, required."""
    return parsing.parse_date(opt_text(parent, name), _where(parent, name), fmt)


def boolean(parent: Element, name: str) -> bool:
    """The child ``name`` as an xs:boolean (``true``/``false``/``1``/``0``), required."""
    value = opt_text(parent, name)
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise PayloadError(f"element '{_where(parent, name)}' is not true or false")


def flag(parent: Element, name: str) -> bool:
    """The child ``name`` as a ``Y``/``N`` flag, required."""
    value = opt_text(parent, name)
    if value not in ("Y", "N"):
        raise PayloadError(f"element '{_where(parent, name)}' is not Y or N")
    return value == "Y"


def attribute(element: Element, name: str) -> str:
    """The attribute ``name`` of ``element``, required and not blank."""
    value = (element.get(name) or "").strip()
    if not value:
        raise PayloadError(f"attribute '{_name(element)}@{name}' is missing or empty")
    return value
