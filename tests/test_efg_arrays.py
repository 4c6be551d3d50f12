"""The two fast readers of ``.efg`` files (policy/efg_arrays.py) build the very same game.

Small files are read token by token in Python (``_read_small``), larger ones
with numpy over the whole file (``_read``); both hand their arrays to
``game_from_parts``. Here every file is read both ways (the size threshold
forced) and the arguments they pass are compared exactly, dtypes included;
whatever the small reader refuses goes to the array reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policy.efg_arrays as efg_arrays
from policy.gambit import (
    GambitFormatError,
    _efg_header,
    _read_efg,
    _Reader,
    assert_same_game,
    read_efg,
    write_efg,
)
from policy.model import ConstantOutcomes, ConstantProbabilities, NumberedNames
from tests.games import kuhn_poker, random_signalling, selten_horse
from tests.test_constant_arrays import expression_game, trees

DATA = Path(__file__).parent / "data"


def _parts(text: str, small: bool) -> dict | str | None:
    """The arguments the reader gives ``game_from_parts``.

    None if it left the file to the token reader, which read it; the error
    message if the file is refused.
    """
    seen: list[dict] = []
    real = efg_arrays.game_from_parts

    def spy(**parts):
        seen.append(parts)
        return real(**parts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(efg_arrays, "game_from_parts", spy)
        patch.setattr(efg_arrays, "SMALL_FILE", 10**9 if small else -1)
        try:
            read_efg(text)
        except GambitFormatError as err:
            return str(err)
    return seen[-1] if seen else None


def _plain(value):
    """A value with its arrays written out (dtype, shape, entries), for exact comparison."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tolist())
    if isinstance(value, ConstantOutcomes | ConstantProbabilities):
        return (type(value).__name__, {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")})
    if isinstance(value, NumberedNames):
        return ("names", len(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value).__name__, [_plain(v) for v in value]
    return value


def assert_same_reading(text: str) -> bool:
    """Both fast readers give the same parts; returns whether the small reader read the file."""
    small = _parts(text, small=True)
    big = _parts(text, small=False)
    if not isinstance(small, dict) or not isinstance(big, dict):
        assert small == big  # neither fast reader takes it: read, or refused, the same way
        return False
    assert _plain(small) == _plain(big)
    return True


@settings(max_examples=100, deadline=None)
@given(trees())
def test_small_files_are_read_as_the_array_reader_reads_them(tree):
    assert assert_same_reading(write_efg(expression_game(tree)))


@pytest.mark.parametrize("game", [kuhn_poker, selten_horse, lambda: random_signalling(3, 2, 3, 4)])
def test_games_with_information_sets(game):
    text = write_efg(game())
    assert assert_same_reading(text)
    assert_same_game(read_efg(text), _read_efg(_Reader(text, "<string>")))


@pytest.mark.parametrize("name", ["bayes.efg", "stages.efg", "hostile/del_label.efg", "hostile/pennies_tiny_payoffs.efg"])
def test_files_of_the_test_data(name):
    assert_same_reading((DATA / name).read_text())


BASE = """EFG 2 R "t" { "A" "B" }
""
c "r" 1 "ch" { "x" 1/3 "y" 2/3 } 0
p "a" 1 1 "s" { "L" "R" } 0
t "l" 1 "o1" { 1, -2 }
t "r" 2 "o2" { 3/4, 0.5 }
p "b" 1 1 "s" { "L" "R" } 0
t "l2" 1
t "r2" 3 "o3" { -1 2 }
"""


EDITS = [
    ("", ""),
    ('{ "x" 1/3 "y" 2/3 }', '{ "x" 0.25 "y" .75 }'),
    ("{ 1, -2 }", "{ +1, -2, }"),
    ("{ 1, -2 }", "{ 1 -2.50 }"),
    ('"L" "R" } 0\nt "l" 1', '"L" "L" } 0\nt "l" 1'),  # the second declaration differs: refused
    ('p "b" 1 1 "s" { "L" "R" } 0', 'p "b" 1 1 "s" {"L" "R"} 0'),  # white space differs: refused
    ('p "b" 1 1 "s" { "L" "R" } 0', 'p "b" 1 1 0'),  # not declared again
    ('t "l2" 1\n', 't "l2" 1 "o1" { 1, -2 }\n'),  # the same outcome, declared again
    ('t "l2" 1\n', 't "l2" 1 "o1" { 1, -3 }\n'),
    ("{ 1, -2 }", "{ 1e3, -2 }"),
    ("{ 1, -2 }", "{ , 1 -2 }"),
    ("{ 1, -2 }", "{ 1,, -2 }"),
    ("{ 1, -2 }", "{ 1 }"),
    ("{ 1, -2 }", "{ 1/0 2 }"),
    ('p "a" 1 1', 'p "a" 1 1.0'),
    ('p "a" 1 1', 'p "a" 3 1'),
    ('"y" 2/3', '"y" 1/3'),
    ('"y" 2/3', '"y" 5/3'),
    ('t "r2" 3 "o3" { -1 2 }\n', 't "r2" 3 "o3" { -1 2 }\nt "x" 0\n'),
    ('t "r2" 3 "o3" { -1 2 }\n', ""),
    ('"r" 1', '"r\\" 1'),
    ('"s" { "L" "R" } 0\nt "l" 1', '"s" { } 0\nt "l" 1'),
    ('"A"', '"A\u00e9"'),
    ('"o2"', '""'),
    ('{ "L" "R" } 0\nt "l" 1', '{ "" "" } 0\nt "l" 1'),
]


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_edited_files(old, new):
    # Each edit either keeps the file readable by both fast readers (the same
    # parts, the game the token-by-token reader reads) or makes both pass it
    # on to the token reader (which reads it, or says what is wrong).
    text = BASE.replace(old, new, 1)
    assert text != BASE or not old
    if assert_same_reading(text):
        assert_same_game(read_efg(text), _read_efg(_Reader(text, "<string>")))


# The small reader reads a file node by node (one regular expression a node)
# when every node has its usual layout, else token by token. The two must give
# the same lists for every file the node reader takes, and it must pass on
# (raise _NotHere) every file the token reader refuses.
def _small_lists(text: str, how) -> tuple | str:
    from policy.gambit import _efg_header

    (_, players, _), end = _efg_header(text)
    try:
        return how(text[end:], len(players))
    except efg_arrays._NotHere:
        return "passed on"


def assert_same_small_lists(text: str) -> bool:
    """The node reader's lists are the token reader's, or it passes on; returns whether it read the file."""
    nodes = _small_lists(text, efg_arrays._read_nodes)
    tokens = _small_lists(text, efg_arrays._read_tokens)
    if nodes == "passed on":
        return False
    assert tokens != "passed on", text
    # Sets: label, actions and probabilities (the last entry is each reader's record of the declaration).
    strip = lambda lists: (*lists[:5], {k: v[:3] for k, v in lists[5].items()}, *lists[6:])  # noqa: E731
    assert strip(nodes) == strip(tokens)
    return True


SPACES = ["", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", " \n\t"]


@settings(max_examples=100, deadline=None)
@given(trees(), st.data())
def test_nodes_and_tokens_give_the_same_lists(tree, data):
    # Random trees as written, and with their white space changed: each run
    # of spaces becomes another run (possibly empty, which joins tokens or
    # makes one a different word: then either both read the same or the
    # node reader passes on).
    text = write_efg(expression_game(tree))
    assert assert_same_small_lists(text)
    head, body = text.split("\n", 1)
    parts = body.split(" ")
    spaced = head + "\n" + parts[0] + "".join(data.draw(st.sampled_from(SPACES)) + p for p in parts[1:])
    assert_same_small_lists(spaced)


@pytest.mark.parametrize("game", [kuhn_poker, selten_horse, lambda: random_signalling(3, 2, 3, 4)])
def test_nodes_and_tokens_on_games_with_information_sets(game):
    assert assert_same_small_lists(write_efg(game()))


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_nodes_and_tokens_on_edited_files(old, new):
    assert_same_small_lists(BASE.replace(old, new, 1))


@pytest.mark.parametrize("text", [
    BASE,
    BASE.replace(" ", "  "),
    BASE.replace('" {', '"{').replace("} 0", "}0"),
    BASE.replace("{ 1, -2 }", "{1,-2}").replace('1 "o1"', '1"o1"'),
    BASE.replace('p "a"', 'p"a"').replace('t "l"', 't"l"'),
    BASE.replace('"x" 1/3 "y" 2/3', '"x" 1/3"y" 2/3'),
    BASE.replace('"L" "R"', '"L{" "R}"'),
    BASE.replace('"L" "R"', '"L,R" "R"'),
    BASE + " \n",
    BASE + "x",
    BASE.replace('t "r2" 3 "o3" { -1 2 }\n', 't "r2" 3 "o3" { -1 2 }'),
    BASE.replace("p \"a\" 1 1", "p \"a\" 1 01"),
    BASE.replace("1 \"o1\"", "01 \"o1\""),
    BASE.replace('"y" 2/3 }', '"y" 2/3, }'),
    BASE.replace('{ "L" "R" } 0\nt "l" 1', '{ "L" "R" } 0 t "l" 1'),
])
def test_nodes_and_tokens_on_layouts(text):
    read = assert_same_small_lists(text)
    if text == BASE:
        assert read


_NUMBER_TOKENS = st.one_of(
    st.integers(-(10**19), 10**19).map(str),  # past int64 at the ends: the grid refuses those too
    st.integers(0, 10**6).map(lambda k: f"+{k}"),
    st.integers(0, 999).map(lambda k: f"00{k}"),
    st.integers(-99, 99).map(lambda k: f"{k}/7"),
    st.integers(-99, 99).map(lambda k: f"{k}.25"),
    st.sampled_from(["-", "1-2", "12a", "0", "-0", "9" * 18, "-" + "9" * 18, "1" + "0" * 18]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NUMBER_TOKENS, min_size=1, max_size=12), st.booleans())
def test_plain_integers_read_what_the_grid_reads(tokens, integers_only):
    """The text parser's path gives the grid's values wherever it answers, and answers
    exactly when every token is a plain integer within range."""
    text = " , ".join(tokens).encode()
    b = np.frombuffer(text, dtype=np.uint8)
    starts, ends, at = [], [], 0
    for token in tokens:
        starts.append(at)
        ends.append(at + len(token))
        at += len(token) + 3
    s, e = np.array(starts, dtype=np.int32), np.array(ends, dtype=np.int32)
    fast = efg_arrays._plain_integers(b, s, e)
    plain = all(
        t.lstrip("-").isdigit() and t.count("-") <= 1 and (t[0] != "-" or len(t) > 1) and 1 <= len(t.lstrip("-")) <= 18
        for t in tokens
    ) and all("-" not in t[1:] for t in tokens)
    assert (fast is not None) == plain
    chunk = efg_arrays._CHUNK
    efg_arrays._CHUNK = 3  # in pieces of three tokens: the same answer
    try:
        pieces = efg_arrays._plain_integers(b, s, e)
    finally:
        efg_arrays._CHUNK = chunk
    assert (pieces is None) == (fast is None)
    if fast is None or pieces is None:
        return
    assert pieces.tolist() == fast.tolist()
    assert fast.tolist() == [int(t) for t in tokens]
    try:
        num, den = efg_arrays._grid_numbers(b, s, e, integers_only)
    except efg_arrays._NotHere:
        pytest.fail("the grid refused tokens the text parser read")
    assert num.tolist() == fast.tolist() and den.tolist() == [1] * len(tokens)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=60).map(lambda raw: bytes(b'ab1-/{}, \n"t'[x % 12] for x in raw)))
def test_tokens_are_the_same_whatever_the_pieces(data):
    """The tokenizer classifies the bytes piece by piece: strings, words and braces cut at any
    byte give the tokens (starts, ends, kinds) of one piece, and an open string is refused."""
    whole_chunk = efg_arrays._TOKEN_CHUNK
    try:
        whole = efg_arrays._tokens(data)
    except efg_arrays._NotHere:
        whole = None
    for size in (1, 2, 3, 5, 8):
        efg_arrays._TOKEN_CHUNK = size
        try:
            pieces = efg_arrays._tokens(data)
        except efg_arrays._NotHere:
            pieces = None
        finally:
            efg_arrays._TOKEN_CHUNK = whole_chunk
        assert (pieces is None) == (whole is None)
        if whole is not None and pieces is not None:
            for a, b in zip(whole[1:], pieces[1:], strict=True):
                assert a.tolist() == b.tolist()


def test_a_large_game_read_in_small_pieces_is_the_same_game(monkeypatch):
    """A file's tokens classified a few bytes at a time: the same game as in one piece."""
    text = write_efg(random_signalling(3, 3, 3, seed=5))
    header, end = _efg_header(text)
    one = efg_arrays._read(text, header, end)
    monkeypatch.setattr(efg_arrays, "_TOKEN_CHUNK", 7)
    pieces = efg_arrays._read(text, header, end)
    assert write_efg(pieces) == write_efg(one)


def test_a_long_header_only_file_gets_the_located_error():
    """A file that is a header and then only white space (long enough for the array reader)."""
    text = 'EFG 2 R "only a header" { "A" "B" }\n""\n' + " " * (efg_arrays.SMALL_FILE + 100)
    with pytest.raises(GambitFormatError, match=r"<string>:3: the file ends here"):
        read_efg(text)


def test_a_long_text_with_a_lone_surrogate_is_read_by_the_token_reader():
    """A ``str`` (not a file) may hold a lone surrogate, which has no UTF-8 bytes: the array reader
    steps aside for the token-by-token reader instead of failing."""
    text = (
        'EFG 2 R "s" { "A" "B" }\n""\np "\ud800" 1 1 "" { "x" "y" } 0\n'
        't "" 1 "" { 1, 2 }\nt "" 2 "" { 3, 4 }\n' + " " * (efg_arrays.SMALL_FILE + 100)
    )
    assert read_efg(text).num_nodes == 3
