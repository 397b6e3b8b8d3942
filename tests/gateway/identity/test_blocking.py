"""gateway.identity.blocking: candidates and pairs through shared keys only."""

from __future__ import annotations

from gateway.identity.blocking import Blocks


def test_candidates_are_the_items_sharing_a_key_once_each_in_order() -> None:
    blocks = Blocks(lambda word: set(word), ["ab", "bc", "cd", "ba"])
    assert blocks.candidates({"b"}) == ["ab", "bc", "ba"]
    assert blocks.candidates({"a", "c"}) == ["ab", "bc", "cd", "ba"]
    assert blocks.candidates({"z"}) == []
    assert len(blocks) == 4


def test_pairs_share_a_key_and_come_once() -> None:
    blocks = Blocks(lambda word: set(word), ["ab", "bc", "cd", "ba"])
    pairs = {frozenset(p) for p in blocks.pairs()}
    assert pairs == {
        frozenset(("ab", "bc")),
        frozenset(("ab", "ba")),
        frozenset(("bc", "ba")),
        frozenset(("bc", "cd")),
    }
    assert len(list(blocks.pairs())) == 4  # "ab" and "ba" share two keys, paired once


def test_a_key_held_by_too_many_items_makes_no_pairs() -> None:
    blocks = Blocks(lambda word: {word[0], word}, ["a1", "a2", "a3", "a1"], max_block=2)
    assert list(blocks.pairs()) == [("a1", "a1")]  # only the key "a1", held twice
    assert len(blocks.candidates({"a"})) == 4  # a search still sees every holder
