"""The byte tokenizer refuses by itself what the early look for refused text finds (policy.toml_arrays).

Before tokenizing, the reader looks for comment lines, escapes, multi-line
strings, ``\\r``, ``facts`` and ``sources`` in the first
``_LOOKED_AT`` characters of the node tables only (hand-written files show
them early); further on, the tokenizer itself must refuse them. Here the
early look sees nothing, and every odd spelling must still be declined by
the tokenizer alone, with the usual reader's game or message after it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policy.toml_arrays as toml_arrays
from tests.test_toml_fast import BASE, ODD_FILES, _loaded, _loaded_usually, check, fast

REFUSED_LATE = {
    "comment line": ("[nodes.end]", "# a comment\n[nodes.end]"),
    "escape in a label": ("[nodes.end]\n", '[nodes.end]\noutcome = "e\\u0041"\n'),  # the label "eA"
    "facts": ("payoffs = { P1 = 3, P2 = 4 }", 'payoffs = { P1 = 3, P2 = 4 }\nfacts = { war = "no" }'),
    "sources": ("payoffs = { P1 = 3, P2 = 4 }", 'payoffs = { P1 = 3, P2 = 4 }\nsources = ["c1"]'),
}


@pytest.mark.parametrize("name", sorted({**ODD_FILES, **REFUSED_LATE}))
def test_odd_spellings_are_refused_by_the_tokenizer_itself(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toml_arrays, "_LOOKED_AT", 0)
    old, new = {**ODD_FILES, **REFUSED_LATE}[name]
    text = BASE.replace(old, new, 1 if old != "\n" else -1)
    assert text != BASE
    check(text, must_take=False)  # the line patterns may read some of these (the same game); the tokenizer may not
    assert fast(text, way="tokens") is None
    assert _loaded(text) == _loaded_usually(text)


def test_the_plain_file_is_still_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toml_arrays, "_LOOKED_AT", 0)
    assert fast(BASE, way="tokens") is not None


def test_a_table_between_node_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    # The run of node tables is taken to end after the last '[nodes.' line: a table
    # between node tables is then inside it, and the tokenizer must refuse it.
    text = BASE.replace("[nodes.end]", "[fit]\n\n[nodes.end]")
    check(text, must_take=False)
    assert fast(text, way="tokens") is None
    assert _loaded(text) == _loaded_usually(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab:1 _", max_size=20), min_size=1, max_size=60))
def test_distinct_texts_in_sorted_order(texts: list[str]) -> None:
    # Sorted all at once (few=False): ids equal exactly for equal texts, the texts by id
    # sorted as bytes, whatever their lengths (a uint64 key, two of them, or bytes).
    data = ("|".join(texts) + "|").encode()
    lo = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]).astype(np.int32)
    hi = lo + np.array([len(t) for t in texts], dtype=np.int32)
    ids, distinct = toml_arrays._distinct(np.frombuffer(data, dtype=np.uint8), lo, hi)
    assert [distinct[i] for i in ids.tolist()] == texts
    assert len(distinct) == len(set(texts))
    if int((hi - lo).max()) > 8:  # (keys of up to 8 bytes are sorted as numbers)
        assert distinct == sorted(set(texts), key=str.encode)
