"""Names as comparable values: folded spellings, name parts, phonetic codes and search keys.

One name is spelt many ways across regions: case, diacritics (Siân, Llŷr), apostrophes (O'Brien,
OBrien), hyphens or spaces in double-barrelled names (Smith-Jones, Smith Jones), Welsh patronymic
particles (ap Gwilym, ferch Rhys) kept or dropped, phonetic variants (Stephen, Steven) and typing
errors. :func:`fold` removes what is only spelling; :func:`compare` grades what is left, from
``EXACT`` to ``DIFFERENT``; :func:`search_keys` gives blocking keys under which one typing error
(a letter dropped, added, changed or two swapped) still meets the right name.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import OSA

PARTICLES = frozenset({"ap", "ab", "ferch", "verch"})  # Welsh "son of", "daughter of"
_DROPPED = re.compile(r"['\u2018\u2019`\u00b4.]")  # O'Brien = OBrien, St. John = St John
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013\u2014_,/]+")  # Smith-Jones = Smith Jones
MAX_TYPING_ERRORS = 1  # edits (OSA: an adjacent swap is one) that still count as one name
MIN_TYPO_LENGTH = 3  # shorter names are too close to one another for a typing error to tell


class NameLevel(StrEnum):
    """How alike two name parts are, best first."""

    EXACT = "EXACT"  # the same once folded
    PART = "PART"  # one is part of the other: a barrel of a double-barrelled name, no particle
    PHONETIC = "PHONETIC"  # sounds the same (equal Metaphone codes)
    TYPO = "TYPO"  # one typing error apart
    DIFFERENT = "DIFFERENT"


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, without diacritics or apostrophes, parts separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_SEPARATORS.split(_DROPPED.sub("", bare.casefold()))).strip()


@lru_cache(maxsize=65536)
def compact(text: str) -> str:
    """The folded name without spaces: the form typing errors and phonetic codes are taken on."""
    return fold(text).replace(" ", "")


@lru_cache(maxsize=65536)
def core(text: str) -> str:
    """The compact name without a leading particle (``ap Gwilym``: gwilym)."""
    words = fold(text).split()
    if len(words) > 1 and words[0] in PARTICLES:
        words = words[1:]
    return "".join(words)


@lru_cache(maxsize=65536)
def parts(text: str) -> frozenset[str]:
    """The forms the name may be held under: whole (compact), without a leading particle, and
    each part of a double-barrelled name (``Smith-Jones``: smithjones, smith, jones)."""
    words = [w for w in fold(text).split() if w not in PARTICLES]
    found = {compact(text), core(text)}
    if len(words) > 1:
        found.update(words)
    found.discard("")
    return frozenset(found)


@lru_cache(maxsize=65536)
def phonetic_code(word: str) -> str:
    """The Metaphone code of a compact name (NYSIIS and Soundex also equate typing errors:
    Smiht sounds like Smith to them, which would rank a typo as a phonetic match)."""
    return str(jellyfish.metaphone(word)) if word else ""


def typing_errors(a: str, b: str, limit: int = MAX_TYPING_ERRORS) -> int:
    """Edits between two compact names (optimal string alignment); ``limit + 1`` if more."""
    return int(OSA.distance(a, b, score_cutoff=limit))


@lru_cache(maxsize=262144)
def compare(a: str, b: str) -> NameLevel:
    """How alike two names (surnames or forenames, any spelling) are."""
    left, right = compact(a), compact(b)
    if not left or not right:
        return NameLevel.DIFFERENT
    if left == right:
        return NameLevel.EXACT
    if core(a) in parts(b) or core(b) in parts(a):
        return NameLevel.PART
    if phonetic_code(left) == phonetic_code(right):
        return NameLevel.PHONETIC
    if min(len(left), len(right)) >= MIN_TYPO_LENGTH and typing_errors(left, right) <= 1:
        return NameLevel.TYPO
    return NameLevel.DIFFERENT


def deletion_keys(word: str) -> set[str]:
    """The word and every form with one letter deleted: two words one typing error apart
    always share one (a swap of two letters deletes to the same form)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=65536)
def search_keys(name: str) -> frozenset[str]:
    """Blocking keys of a name: a query and a person that share one are worth comparing."""
    keys: set[str] = set()
    for form in parts(name):
        keys.update("d:" + k for k in deletion_keys(form))
        keys.add("m:" + phonetic_code(form))
    return frozenset(keys)
