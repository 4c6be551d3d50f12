"""The byte tokenizer refuses by itself what the early look for refused text finds (policy.toml_arrays).

Before tokenizing, the reader looks for comment lines, escapes, multi-line
strings, ``\\r``, ``facts`` and ``sources`` in the first
``_LOOKED_AT`` characters of the node tables only (hand-written files show
them early); further on, the tokenizer itself must refuse them. Here the
early look sees nothing, and every odd spelling must still be declined by
the tokenizer alone, with the usual reader's game or message after it.
"""

from __future__ import annotations

import pytest

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
