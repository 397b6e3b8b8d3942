"""Blocking: items filed under keys, so candidates are found without comparing every pair."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_BLOCK = 500  # a key shared by more items than this says too little to compare them all


class Blocks(Generic[T]):
    """Items by their blocking keys. ``keys_of`` gives an item's keys; two items are candidates
    when they share one. A key held by more than ``max_block`` items is not used for pairs."""

    def __init__(
        self,
        keys_of: Callable[[T], Iterable[str]],
        items: Iterable[T] = (),
        max_block: int = MAX_BLOCK,
    ) -> None:
        self._keys_of = keys_of
        self._max_block = max_block
        self._items: list[T] = []
        self._blocks: dict[str, list[int]] = {}
        for item in items:
            self.add(item)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: T) -> None:
        position = len(self._items)
        self._items.append(item)
        for key in set(self._keys_of(item)):
            self._blocks.setdefault(key, []).append(position)

    def candidates(self, keys: Iterable[str]) -> list[T]:
        """Items filed under any of ``keys``, once each, in the order they were added."""
        found: set[int] = set()
        for key in set(keys):
            found.update(self._blocks.get(key, ()))
        return [self._items[i] for i in sorted(found)]

    def pairs(self) -> Iterator[tuple[T, T]]:
        """Every pair of items sharing a key (a key held by too many skipped), once each."""
        seen: set[tuple[int, int]] = set()
        for members in self._blocks.values():
            if len(members) > self._max_block:
                continue
            for i, first in enumerate(members):
                for second in members[i + 1 :]:
                    if (first, second) not in seen:
                        seen.add((first, second))
                        yield self._items[first], self._items[second]
