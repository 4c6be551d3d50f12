"""The whole-file TOML reader (policy/toml_arrays.py) reads exactly what tomllib and the usual reader read, or declines.

For random game files in the common shape (and in less common but valid
spellings: quoted keys and names, comments, numbers written several ways,
keys in any order, interior payoffs, facts), the fast reader must take the
file and build the same game as the usual reader (``tomllib`` and
``policy.gamefile._Reader``): the same arrays with the same dtypes, names,
paths, information sets, outcomes (labels, facts, texts, numerators and
denominators) and probabilities. For those files changed at random (a
character dropped or added, a line doubled or moved, a key dotted, an escape, a
multi-line string, a parameter in a payoff...), it must either decline or
build the same game, and must decline whenever the usual reader refuses the
file, so that every error message stays the usual reader's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policy.toml_arrays as toml_arrays
from policy.gambit import game_difference
from policy.gamefile import GameFileError, _Reader, dump_game, loads_game
from policy.model import ConstantOutcomes, Game

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ["c1", "c2"]


def fast(
    text: str, claims: list[str] | None = CLAIMS, base: Path | None = None, way: str = "as shipped"
) -> Game | None:
    """The fast reader's game: as shipped, or by the line patterns only, or by the byte tokenizer only."""
    text = text.removeprefix("\ufeff")
    saved = toml_arrays.TOKENS_FROM, toml_arrays.TOKENS_ONLY
    if way == "lines":
        toml_arrays.TOKENS_FROM = 1 << 62
    elif way == "tokens":
        toml_arrays.TOKENS_FROM, toml_arrays.TOKENS_ONLY = 0, True
    try:
        return toml_arrays.read_toml_arrays(text, _Reader(text, "<string>"), claims, base)
    finally:
        toml_arrays.TOKENS_FROM, toml_arrays.TOKENS_ONLY = saved


def usual(text: str, claims: list[str] | None = CLAIMS, base: Path | None = None) -> Game | str:
    """The usual reader's game, or its error message."""
    real = toml_arrays.read_toml_arrays
    toml_arrays.read_toml_arrays = lambda *args: None  # type: ignore[assignment]
    try:
        return loads_game(text, known_claims=claims, base=base)
    except GameFileError as err:
        return str(err)
    finally:
        toml_arrays.read_toml_arrays = real


def difference(a: Game, b: Game) -> str | None:
    """The first way two games differ in anything a reader sets, or None."""
    got = game_difference(a, b)
    if got is not None:
        return got
    for field in (
        "title", "description", "sources", "origin", "comment", "node_names",
        "node_labels", "node_infoset_labels", "action_label", "parameters",
    ):
        if getattr(a, field) != getattr(b, field):
            return field
    # The byte tokenizer keeps no paths (every one is "nodes.NAME"): the same places in messages.
    if [a.location(i) for i in range(a.num_nodes)] != [b.location(i) for i in range(b.num_nodes)]:
        return "node locations"
    for field in ("parent", "kind", "player", "infoset", "outcome", "first_child", "num_children", "depth"):
        x, y = getattr(a, field), getattr(b, field)
        if x.dtype != y.dtype or not np.array_equal(x, y):
            return field
    if [a.infosets.at(k) for k in range(len(a.infosets))] != [b.infosets.at(k) for k in range(len(b.infosets))]:
        return "information sets"
    for what in ("outcomes", "chance_probability"):
        x, y = getattr(a, what), getattr(b, what)
        if type(x) is not type(y):
            return f"{what}: {type(x).__name__} and {type(y).__name__}"
        for part in ("num", "den", "edges"):
            if hasattr(x, part):
                p, q = getattr(x, part), getattr(y, part)
                if p.dtype != q.dtype or p.shape != q.shape or not np.array_equal(p, q):
                    return f"{what}.{part}"
        for part in ("labels", "facts", "texts", "size"):
            if getattr(x, part, None) != getattr(y, part, None):
                return f"{what}.{part}"
    if isinstance(a.outcomes, ConstantOutcomes):
        if [o for o in a.outcomes] != [o for o in b.outcomes]:
            return "outcome objects"
    return None


def check(
    text: str, *, must_take: bool, claims: list[str] | None = CLAIMS, base: Path | None = None,
    tokens_must_take: bool = False,
) -> None:
    """Each way of the fast reader builds the usual reader's game, or declines (only where allowed).

    The ways: as shipped, the line patterns alone, and the byte tokenizer alone
    (which reads fewer spellings: it must take the file only with ``tokens_must_take``).
    """
    expected = usual(text, claims, base)
    for way, must in (("as shipped", must_take), ("lines", must_take), ("tokens", tokens_must_take)):
        got = fast(text, claims, base, way)
        if got is None:
            assert not must, f"{way}: declined: {expected if isinstance(expected, str) else 'a good file'}"
            continue
        assert not isinstance(expected, str), f"{way}: took a file the usual reader refuses: {expected}"
        assert difference(got, expected) is None, f"{way}: {difference(got, expected)}"


# ---------------------------------------------------------------------------------
# Random game files
# ---------------------------------------------------------------------------------
WHOLE = st.integers(-10**6, 10**6)
NUMBER_TEXTS = st.one_of(
    WHOLE.map(str),  # bare TOML integers
    WHOLE.map(lambda v: f'"{v}"'),  # as str writes them
    st.sampled_from(['"-0"', '"007"', "+3", "-0", '"1/2"', '"2/4"', '"-3/7"', "0.5", "-1.25", "1e3",
                     "2E-2", '"0.5"', '" 4 "', '"1e-3"', "'5'", '"3*2"', '"123456789012345678"',
                     "123456789012345678", '"999999999999999999999"', '"10**5"']),
)
PROBABILITY_SETS = st.sampled_from([
    ['"1/2"', '"1/2"'], ['"1/3"', '"2/3"'], ["0.25", "0.75"], ['"1/4"', "0.5", '"1/4"'], ["1"],
    ['"2/6"', '"4/6"'], ['"0.1"', '"9/10"'],
])


#: Number spellings the byte tokenizer reads too (all but literal strings).
PLAIN_NUMBER_TEXTS = NUMBER_TEXTS.filter(lambda t: "'" not in t)


@st.composite
def game_files(draw: Any, plain: bool | None = None) -> str:
    """A valid game file of perfect or imperfect information, spelt in varied ways.

    ``plain``: only in spellings the byte tokenizer reads (no comments, quoted
    names, facts, sources or literal strings); drawn when None.
    """
    if plain is None:
        plain = draw(st.booleans())
    n_players = draw(st.integers(1, 3))
    players = [f"P{k + 1}" for k in range(n_players)]
    quoted_names = draw(st.booleans()) and not plain
    comments = draw(st.booleans()) and not plain
    numbers = PLAIN_NUMBER_TEXTS if plain else NUMBER_TEXTS
    size = draw(st.integers(1, 25))
    # A random tree: node 0 the root; each new node hangs below an inner node.
    kids: list[list[int]] = [[]]
    inner = [0]
    while len(kids) < size:
        at = draw(st.sampled_from(inner))
        kids[at].append(len(kids))
        kids.append([])
        if draw(st.booleans()):
            inner.append(len(kids) - 1)
    names = [f"n.{k}" if quoted_names and k % 3 == 1 else f"n{k}" for k in range(len(kids))]
    if draw(st.integers(0, 3)) == 0:  # names that are not n0, n1, ...
        names = [f"{draw(st.sampled_from(['s', 'N_', 'x-']))}{k}" if name[:2] != "n." else name
                 for k, name in enumerate(names)]

    def key(name: str) -> str:
        return f'"{name}"' if "." in name or (not plain and draw(st.integers(0, 9)) == 0) else name

    order = list(range(len(kids)))
    if draw(st.booleans()):
        order = draw(st.permutations(order))
    lines = ["[game]", 'title = "random"', "players = [" + ", ".join(f'"{p}"' for p in players) + "]"]
    if draw(st.booleans()):
        lines.append(f'root = "{names[0]}"')
    if draw(st.booleans()):
        lines += ['description = """', "a game", "[not.a.table]", '"""']
    lines += ["", "[parameters.x]", 'description = "unused"', "default = 1"]
    if comments:
        lines.append("# the nodes")
    for k in order:
        body: list[str] = []
        children = kids[k]
        if children:
            labels = [f"a{j}" if draw(st.integers(0, 5)) else f'"a {j}"' for j in range(len(children))]
            actions = "{ " + ", ".join(f"{lab} = \"{names[c]}\"" for lab, c in zip(labels, children, strict=True)) + " }"
            probs = draw(PROBABILITY_SETS)
            if len(probs) == len(children) and draw(st.booleans()):
                body.append("chance = true")
                body.append(f"actions = {actions}")
                body.append("probabilities = { " + ", ".join(
                    f"{lab} = {p}" for lab, p in zip(labels, probs, strict=True)) + " }")
            else:
                body.append(f'player = "{draw(st.sampled_from(players))}"')
                if draw(st.integers(0, 3)) == 0:
                    body.append(f'infoset = "s{k}"')
                if draw(st.booleans()):
                    body.append("chance = false")
                body.append(f"actions = {actions}")
        if not children or draw(st.integers(0, 4)) == 0:
            ps = draw(st.permutations(players)) if draw(st.booleans()) else players
            body.append("payoffs = { " + ", ".join(f"{p} = {draw(numbers)}" for p in ps) + " }")
            if draw(st.booleans()):
                body.append(f'outcome = "{draw(st.sampled_from(["", "won", "lost"]))}"')
            if not plain and draw(st.integers(0, 3)) == 0:
                body.append('facts = { war = "yes", year = 1941 }')
        if draw(st.integers(0, 5)) == 0:
            body.append('description = "a node"')
        if not plain and draw(st.integers(0, 5)) == 0:
            body.append('sources = ["c1", "c2",]')
        if not plain and not children and draw(st.integers(0, 6)) == 0:
            body.append('infoset = 3')  # ignored on a terminal, as the usual reader ignores it
        body = draw(st.permutations(body))
        if comments:
            body = [line + "  # note" if draw(st.integers(0, 3)) == 0 else line for line in body]
        lines.append("")
        lines.append(f"[nodes.{key(names[k])}]" + (" # a node" if comments and k == 0 else ""))
        lines += body
    if draw(st.booleans()):
        lines += ["", "[fit]", 'payoffs = ["x"]']
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game_files())
def test_random_files_are_read_as_the_usual_reader_reads_them(text):
    # Numbers the usual reader refuses ("007") make both refuse; the rest must be taken.
    check(text, must_take=not isinstance(usual(text), str))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game_files(plain=True))
def test_plain_random_files_are_read_by_the_byte_tokenizer(text):
    # In the spellings it reads, the byte tokenizer takes every file the usual reader takes.
    good = not isinstance(usual(text), str)
    check(text, must_take=good, tokens_must_take=good)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game_files(plain=True), st.integers(1, 200), st.integers(1, 9), st.integers(0, 3), st.integers(1, 3))
def test_the_byte_tokenizer_in_small_steps(text, part, rows, levels, few):
    # Parts of a few lines, byte grids of a few rows, trees walked in Python after a few
    # levels, distinct texts found from a sample of one: the steps the tokenizer takes
    # on big files, on small ones.
    names = ("_PART", "_ROWS", "_LEVELS", "_SAMPLE", "_FEW")
    saved = [getattr(toml_arrays, name) for name in names]
    for name, value in zip(names, (part, rows, levels, 1, few), strict=True):
        setattr(toml_arrays, name, value)
    try:
        good = not isinstance(usual(text), str)
        check(text, must_take=good, tokens_must_take=good)
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(toml_arrays, name, value)


MUTATIONS = [
    ("drop a character", lambda text, at, ch: text[:at] + text[at + 1 :]),
    ("add a character", lambda text, at, ch: text[:at] + ch + text[at:]),
    ("double a line", lambda text, at, ch: _lines(text, at, lambda ls, i: ls[: i + 1] + ls[i:])),
    ("move a line down", lambda text, at, ch: _lines(text, at, lambda ls, i: ls[:i] + ls[i + 1 : i + 3] + ls[i : i + 1] + ls[i + 3 :])),
    ("drop a line", lambda text, at, ch: _lines(text, at, lambda ls, i: ls[:i] + ls[i + 1 :])),
]
ODD = ['"', "'", "\\", "{", "}", "[", "]", ",", ".", "=", "#", "\n", "\r", "\t", " ", "x", "1", "é", "\x01", '"""', "\\u00e9"]


def _lines(text: str, at: int, change: Any) -> str:
    lines = text.split("\n")
    return "\n".join(change(lines, at % len(lines)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(game_files(), st.sampled_from(MUTATIONS), st.integers(0, 10**6), st.sampled_from(ODD))
def test_changed_files_are_read_the_same_or_declined(text, mutation, at, ch):
    changed = mutation[1](text, at % (len(text) + 1), ch)
    check(changed, must_take=False)


ODD_FILES = {
    "dotted key": ("payoffs = { P1 = 1, P2 = 2 }", "payoffs.P1 = 1\npayoffs.P2 = 2"),
    "escape in a string": ('player = "P1"', 'player = "\\u0050\\u0031"'),
    "multi-line string in a node": ('player = "P1"', 'player = """P1"""'),
    "unicode name": ("[nodes.end]", "[nodes.énd]"),
    "nested inline table": ("payoffs = { P1 = 1, P2 = 2 }", "payoffs = { P1 = 1, P2 = { a = 2 } }"),
    "sub-table": ('player = "P1"', 'player = "P1"\n[nodes.root.extra]\nx = 1'),
    "parameter in a payoff": ("P1 = 1,", 'P1 = "x",'),
    "hexadecimal number": ("P1 = 1,", "P1 = 0x1,"),
    "number with _": ("P1 = 1,", "P1 = 1_0,"),
    "infinity": ("P1 = 1,", "P1 = inf,"),
    "boolean payoff": ("P1 = 1,", "P1 = true,"),
    "comment inside an inline table": ("P1 = 1,", "P1 = 1, # no\n"),
    "duplicate key": ('player = "P1"', 'player = "P1"\nplayer = "P1"'),
    "duplicate payoff key": ("P1 = 1,", "P1 = 1, P1 = 1,"),
    "duplicate action label": ('stop = "other"', 'go = "other"'),
    "duplicate fact": ("payoffs = { P1 = 3, P2 = 4 }", 'payoffs = { P1 = 3, P2 = 4 }\nfacts = { war = "no", war = "yes" }'),
    "probability above 1": ('player = "P1"', 'chance = true\nprobabilities = { go = "3/2", stop = "-1/2" }'),
    "a second run of node tables": (
        "payoffs = { P1 = 3, P2 = 4 }\n", "payoffs = { P1 = 3, P2 = 4 }\n[fit]\n[nodes.late]\npayoffs = { P1 = 0, P2 = 0 }\n"
    ),
    "node tables inside a multi-line string": (
        'title = "odd"', 'title = "odd"\ndescription = """\n[nodes.fake]\npayoffs = { P1 = 0, P2 = 0 }\n[fake] """'
    ),
    "node tables inside a multi-line array": (
        'title = "odd"', 'title = "odd"\nsources = [\n[nodes.fake]\npayoffs = { P1 = 0, P2 = 0 }\n["c1"]]'
    ),
    "node table twice": ("[nodes.end]", "[nodes.end]\npayoffs = { P1 = 1, P2 = 2 }\n[nodes.end]"),
    "windows line ends": ("\n", "\r\n"),
    "array of tables": ("[nodes.end]", "[[nodes.end]]"),
}
BASE = """[game]
title = "odd"
players = ["P1", "P2"]

[parameters.x]
description = "x"
default = 1

[nodes.root]
player = "P1"
actions = { go = "end", stop = "other" }

[nodes.end]
payoffs = { P1 = 1, P2 = 2 }

[nodes.other]
payoffs = { P1 = 3, P2 = 4 }
"""


def test_the_plain_file_is_taken():
    check(BASE, must_take=True)
    check(BASE.rstrip("\n"), must_take=True)  # the last line without its newline
    check(BASE + "[fit]\npayoffs = []", must_take=True)  # node tables read in place, up to [fit]


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_spellings_are_declined(name):
    old, new = ODD_FILES[name]
    text = BASE.replace(old, new, 1 if old != "\n" else -1)
    assert text != BASE
    assert fast(text) is None
    assert fast(text, way="tokens") is None
    # The usual reader then reads it, or gives its error, as before.
    loads_result = _loaded(text)
    assert loads_result == _loaded_usually(text)


def _loaded(text: str) -> str:
    try:
        return dump_game(loads_game(text, known_claims=CLAIMS))
    except GameFileError as err:
        return str(err)


def _loaded_usually(text: str) -> str:
    got = usual(text)
    return got if isinstance(got, str) else dump_game(got)


def _toml_files() -> list[Path]:
    files = sorted((ROOT / "games").glob("*.toml")) + sorted((ROOT / "tests" / "data").rglob("*.toml"))
    return [f for f in files if "[nodes." in f.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("path", _toml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_and_test_games(path):
    text = path.read_text(encoding="utf-8")
    # Games whose numbers are all constants may be taken; the others are declined.
    check(text, must_take=False, claims=None, base=path.parent)
    written = usual(text, None, path.parent)
    if isinstance(written, Game) and isinstance(written.outcomes, ConstantOutcomes):
        # Written out again as one file in the common shape: taken when its nodes are ASCII.
        again = dump_game(written)
        check(again, must_take=again.isascii(), claims=None, base=path.parent,
              tokens_must_take=_tokens_shape(again))


def _tokens_shape(text: str) -> bool:
    """Whether a file's node tables are in the shape the byte tokenizer reads (as ``dump_game`` writes most)."""
    nodes = text[text.index("[nodes."):]
    return (
        nodes.isascii()
        and not any(c in nodes for c in "#'\\\t\r")
        and all(
            re.fullmatch(r"\[nodes\.[A-Za-z_][A-Za-z0-9_-]*\]", line) is not None
            for line in nodes.splitlines() if line.startswith("[")
        )
        and not any(line.startswith(("facts", "sources")) for line in nodes.splitlines())
    )


def test_a_big_tree_as_dump_game_writes_it(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from bench_efg_distinct import efg_text

    from policy.gambit import read_efg

    for players in (2, 3):
        check(dump_game(read_efg(efg_text(3000, players, 0))), must_take=True, tokens_must_take=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab:1 _", max_size=12), min_size=1, max_size=60), st.integers(1, 5),
       st.integers(1, 4), st.booleans())
def test_distinct_texts_of_byte_ranges(texts, sample, few_limit, few):
    # Ids equal exactly for equal texts, and the texts by id are the texts, whichever way
    # (a uint64 key up to 8 bytes, bytes beyond; a sample then binary search, or a sort).
    data = ("|".join(texts) + "|").encode()  # (the reader's bytes are never empty)
    lo, at = [], 0
    for t in texts:
        lo.append(at)
        at += len(t) + 1
    lo_a = np.array(lo, dtype=np.int32)
    hi_a = lo_a + np.array([len(t) for t in texts], dtype=np.int32)
    saved = toml_arrays._SAMPLE, toml_arrays._FEW
    toml_arrays._SAMPLE, toml_arrays._FEW = sample, few_limit
    try:
        ids, distinct = toml_arrays._distinct(np.frombuffer(data, dtype=np.uint8), lo_a, hi_a, few=few)
    finally:
        toml_arrays._SAMPLE, toml_arrays._FEW = saved
    assert [distinct[i] for i in ids.tolist()] == texts
    assert len(distinct) == len(set(texts))
