"""Tests of policy.gambit (Gambit's .efg and .nfg files) and policy.loading.

Three kinds, as elsewhere: hand-written files from the format's documentation
(``tests/data``) read to the game they describe; every game of pygambit's
catalog, and the files pygambit writes for them, read to the game pygambit sees
(node by node, exact numbers), and what we write reads back in pygambit;
hypothesis properties (a game written and read back is the same game, writing
is idempotent). Malformed files give a GambitFormatError with file and line.
"""

from __future__ import annotations

import io
import os
import sys
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pygambit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.bundled import PROJECT
from policy.expr import parse
from policy.gambit import (
    GambitFormatError,
    assert_same_game,
    game_difference,
    normalize_labels,
    read_efg,
    read_nfg,
    same_game,
    strategic_form_problem,
    write_efg,
    write_nfg,
)
from policy.gamefile import GameFileError, dump_game, loads_game
from policy.loading import UnknownFormatError, convert, load, save
from policy.model import Game, NodeKind, NodeSpec, Outcome, build_game
from tests.conftest import chance, decision, games_with_values, terminal

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parent.parent
CATALOG = Path(pygambit.__file__).resolve().parent / "catalog_data"
SLUGS = sorted(pygambit.catalog.games()["Game"])


def _catalog_file(slug: str) -> Path:
    for suffix in (".efg", ".nfg"):
        path = CATALOG / f"{slug}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(slug)


EFG_SLUGS = [s for s in SLUGS if _catalog_file(s).suffix == ".efg"]
NFG_SLUGS = [s for s in SLUGS if _catalog_file(s).suffix == ".nfg"]
#: Catalog games that our model refuses: pygambit agrees they have imperfect recall.
IMPERFECT_RECALL = {s for s in EFG_SLUGS if not pygambit.catalog.load(s).is_perfect_recall}


def _fraction(x: Any) -> Fraction:
    """A pygambit number (Rational or Decimal) as a Fraction, exactly."""
    return Fraction(str(x))


def _roundtrip(game: Game) -> Game:
    return read_efg(write_efg(game), "<written>")


# ---------------------------------------------------------------------------------
# A node-by-node description of a game, from our model and from pygambit's tree
# ---------------------------------------------------------------------------------
def _ours(game: Game) -> list[tuple[Any, ...]]:
    """Per node, breadth-first: what Gambit would show, with outcome labels as Gambit makes them."""
    numbers = game.numbers({}, exact=True)
    outcome_labels = normalize_labels([o.label for o in game.outcomes])
    rows = []
    for i in range(game.num_nodes):
        kind = NodeKind(int(game.kind[i]))
        kids = game.children_of(i)
        row: list[Any] = [kind.name, game.node_labels[i] if game.node_labels else ""]
        if kind is NodeKind.DECISION:
            s = game.infosets.at(int(game.infoset[i]))
            player, number = s.name.rsplit(":", 1)
            assert player == s.player.label
            row += [player, int(number), game.node_infoset_labels[i], s.actions]
        elif kind is NodeKind.CHANCE:
            row += [
                game.node_infoset_labels[i],
                tuple((game.action_label[c], numbers.edge_prob[c]) for c in kids),
            ]
        o = int(game.outcome[i])
        if o >= 0:
            out = game.outcomes[o]
            row.append((o, outcome_labels[o], tuple(e.constant for e in out.payoffs)))
        else:
            row.append(None)
        rows.append(tuple(row))
    return rows


def _pygambit(g: Any) -> list[tuple[Any, ...]]:
    """The same description from pygambit's own tree walk."""
    order = [g.root]
    head = 0
    while head < len(order):
        order.extend(order[head].children)
        head += 1
    outcome_index = {o.label: k for k, o in enumerate(g.outcomes)}
    rows = []
    for n in order:
        if n.is_terminal:
            row: list[Any] = ["TERMINAL", n.label]
        elif n.infoset.is_chance:
            row = [
                "CHANCE",
                n.label,
                n.infoset.label,
                tuple((a.label, _fraction(a.prob)) for a in n.infoset.actions),
            ]
        else:
            row = [
                "DECISION",
                n.label,
                n.player.label,
                n.infoset.number + 1,
                n.infoset.label,
                tuple(a.label for a in n.infoset.actions),
            ]
        if n.outcome:
            o = n.outcome
            payoffs = tuple(_fraction(o[p]) for p in g.players)
            row.append((outcome_index[o.label], o.label, payoffs))
        else:
            row.append(None)
        rows.append(tuple(row))
    return rows


# ---------------------------------------------------------------------------------
# Files from the format's documentation
# ---------------------------------------------------------------------------------
def test_bayes_sample_reads_to_the_game_it_describes() -> None:
    # The sample file of Gambit's doc/formats.efg.rst.
    game = load(DATA / "bayes.efg")
    assert game.origin == "efg"
    assert game.title == "General Bayes game, one stage"
    assert list(game.players) == ["Player 1", "Player 2"]
    assert game.num_nodes == 31 and len(game.terminals) == 16
    assert list(game.infosets) == ["Player 1:1", "Player 1:2", "Player 2:1", "Player 2:2"]
    assert game.infosets["Player 2:1"].actions == ("h", "l")
    assert len(game.infosets["Player 2:1"].members) == 4
    assert game.node_labels[0] == "ROOT" and game.node_infoset_labels[0] == "(0,1)"
    assert game.root.probabilities == {"1G": parse("1/2"), "1B": parse("1/2")}
    assert [o.label for o in game.outcomes] == [f"Outcome {k}" for k in range(1, 17)]
    assert game.outcomes[0].payoffs == (parse(10), parse(2))
    # Node names are breadth-first indices.
    assert game.node_names == tuple(f"n{k}" for k in range(31))


def test_bayes_sample_matches_pygambit_node_by_node() -> None:
    assert _ours(load(DATA / "bayes.efg")) == _pygambit(pygambit.read_efg(str(DATA / "bayes.efg")))


def test_stages_file_features() -> None:
    game = load(DATA / "stages.efg")
    # Duplicate and empty labels are made unique as Gambit 16.7 does.
    assert list(game.players) == ["Chooser", "x_1", "x_2"]
    assert game.root.actions == ("a_1", "a_2", "_1")
    assert game.title == 'Two stages, "quoted"'
    assert game.comment.startswith("Hand-written") and "\n" in game.comment
    # Numbers in several spellings, exactly.
    fee = game.outcomes[0]
    assert fee.label == "entry fee"
    assert [e.constant for e in fee.payoffs] == [Fraction(-1, 3), Fraction(3, 20), Fraction(1, 2)]
    assert [e.constant for e in game.outcomes[3].payoffs] == [100, 0, Fraction(-1, 4)]
    # Outcome 2 ("win") at two nodes is one outcome; outcome 3 too.
    assert [o.label for o in game.outcomes] == ["entry fee", "win", "lose", "far"]
    win = [int(n) for n in np.flatnonzero(game.outcome == 1)]
    assert len(win) == 2
    # Payoffs add up along the path; a terminal without an outcome pays only the fee.
    numbers = game.numbers({}, exact=True)
    payoff = {game.node_names[t]: tuple(numbers.leaf_payoff[k]) for k, t in enumerate(game.terminals)}
    fee_only = (Fraction(-1, 3), Fraction(3, 20), Fraction(1, 2))
    assert sum(1 for v in payoff.values() if v == fee_only) == 2
    # The repeated information set without a description joined the first.
    assert len(game.infosets["x_1:1"].members) == 2
    assert game.node_labels[:3] == ("root", "nature", "end")


def test_stages_file_matches_pygambit() -> None:
    ours = _ours(load(DATA / "stages.efg"))
    assert ours == _pygambit(pygambit.read_efg(str(DATA / "stages.efg")))


@pytest.mark.parametrize("name", ["e02.nfg", "e02_outcomes.nfg"])
def test_selten_normal_form_both_versions(name: str) -> None:
    # Gambit's doc/formats.nfgpay.rst and formats.nfgout.rst: the same game twice.
    game = load(DATA / name)
    assert game.origin == "nfg"
    assert list(game.infosets) == ["Player 1:1", "Player 2:1"]
    assert game.root.actions == ("1", "2", "3")
    assert strategic_form_problem(game) is None
    table = _table(game)
    # Payoffs listed with player 1's strategy changing fastest.
    assert table[(0, 0)] == (1, 1) and table[(1, 0)] == (0, 2) and table[(2, 0)] == (0, 2)
    assert table[(0, 1)] == (1, 1) and table[(1, 1)] == (0, 3) and table[(2, 1)] == (2, 0)


def test_both_nfg_versions_are_the_same_game() -> None:
    assert_same_game(load(DATA / "e02.nfg"), load(DATA / "e02_outcomes.nfg"))


def _table(game: Game) -> dict[tuple[int, ...], tuple[Fraction, ...]]:
    """Strategy profile (0-based indices) -> payoffs, from the tree of a strategic form."""
    numbers = game.numbers({}, exact=True)
    out = {}
    for k, t in enumerate(game.terminals.tolist()):
        profile = []
        node = t
        while node:
            parent = int(game.parent[node])
            profile.append(node - int(game.first_child[parent]))
            node = parent
        out[tuple(reversed(profile))] = tuple(numbers.leaf_payoff[k])
    return out


def test_nfg_with_shared_outcomes_and_empty_cells() -> None:
    game = load(DATA / "three.nfg")
    assert list(game.players) == ["A", "B", "C"]
    assert [o.label for o in game.outcomes] == ["tie", "A wins", "odd"]
    table = _table(game)
    assert len(table) == 12
    assert table[(0, 0, 0)] == (1, 1, 1)
    assert table[(1, 0, 0)] == (2, 0, 0)
    assert table[(0, 1, 0)] == (0, 0, 0)  # outcome 0: no outcome
    assert table[(1, 1, 0)] == (0, Fraction(1, 2), Fraction(-3, 2))
    assert table[(1, 0, 2)] == (0, 0, 0)
    # Cells that name the same outcome share it: 10 cells, 3 outcomes.
    used = [int(o) for o in game.outcome[game.terminals] if o >= 0]
    assert len(used) == 10 and sorted(set(used)) == [0, 1, 2]
    assert game.comment.startswith("Outcomes shared")


@pytest.mark.parametrize("name", ["bayes.efg", "stages.efg", "e02.nfg", "e02_outcomes.nfg", "three.nfg"])
def test_data_files_round_trip_exactly(name: str) -> None:
    game = load(DATA / name)
    again = _roundtrip(game) if name.endswith(".efg") else read_nfg(write_nfg(game))
    assert_same_game(game, again)
    # Writing is idempotent.
    write = write_efg if name.endswith(".efg") else write_nfg
    assert write(again) == write(game)


@pytest.mark.parametrize("name", ["e02.nfg", "e02_outcomes.nfg", "three.nfg"])
def test_nfg_as_efg_is_the_same_tree(name: str) -> None:
    game = load(DATA / name)
    # The .efg numbers outcomes by first appearance in the tree, not as listed.
    assert_same_game(game, _roundtrip(game), names=False)


def test_written_files_read_in_pygambit(tmp_path: Path) -> None:
    for name in ("bayes.efg", "stages.efg"):
        path = tmp_path / name
        path.write_text(write_efg(load(DATA / name)), encoding="utf-8")
        assert _pygambit(pygambit.read_efg(str(path))) == _pygambit(pygambit.read_efg(str(DATA / name)))
    for name in ("e02.nfg", "e02_outcomes.nfg", "three.nfg"):
        path = tmp_path / name
        path.write_text(write_nfg(load(DATA / name)), encoding="utf-8")
        theirs, mine = pygambit.read_nfg(str(DATA / name)), pygambit.read_nfg(str(path))
        assert _pygambit_table(theirs) == _pygambit_table(mine)


def _pygambit_table(g: Any) -> dict[tuple[int, ...], tuple[Fraction, ...]]:
    sizes = [len(p.strategies) for p in g.players]
    out = {}
    for profile in np.ndindex(*sizes):
        o = g[list(profile)]
        out[tuple(int(s) for s in profile)] = tuple(_fraction(o[p]) if o else Fraction(0) for p in g.players)
    return out


# ---------------------------------------------------------------------------------
# pygambit's catalog
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", SLUGS)
def test_catalog_game_reads_writes_and_reads_again(slug: str) -> None:
    path = _catalog_file(slug)
    if slug in IMPERFECT_RECALL:
        with pytest.raises(GambitFormatError, match="imperfect recall") as info:
            load(path)
        assert info.value.file == str(path) and info.value.line is not None
        return
    game = load(path)
    again = _roundtrip(game)
    assert_same_game(game, again, names=path.suffix == ".efg")
    assert write_efg(again) == write_efg(game)
    if path.suffix == ".nfg":
        assert_same_game(game, read_nfg(write_nfg(game)))


@pytest.mark.parametrize("slug", sorted(set(EFG_SLUGS) - IMPERFECT_RECALL))
def test_catalog_efg_written_by_gambit_matches_pygambit(slug: str) -> None:
    g = pygambit.catalog.load(slug)
    ours = read_efg(g.to_efg(), f"{slug}.efg")
    assert ours.title == g.title and ours.comment == g.description
    assert _ours(ours) == _pygambit(g)
    # And the original catalog file (labels not yet normalized) reads to the same,
    # but for information set numbers: ours are the file's, Gambit renumbers them.
    assert _without_numbers(_ours(load(_catalog_file(slug)))) == _without_numbers(_pygambit(g))


def _without_numbers(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [row[:3] + row[4:] if row[0] == "DECISION" else row for row in rows]


def test_information_sets_keep_the_files_numbers() -> None:
    # The catalog file numbers player 2's sets 2, 3, 4; Gambit would renumber them 1, 2, 3.
    game = load(_catalog_file("books/shohamleytonbrown2008/fig5_1"))
    assert list(game.infosets) == ["1:1", "2:2", "2:3", "2:4"]
    assert "p \"\" 2 4 \"\"" in write_efg(game)


@pytest.mark.parametrize("slug", sorted(set(EFG_SLUGS) - IMPERFECT_RECALL))
def test_catalog_efg_we_write_reads_in_pygambit(slug: str, tmp_path: Path) -> None:
    path = tmp_path / "game.efg"
    path.write_text(write_efg(load(_catalog_file(slug))), encoding="utf-8")
    assert _pygambit(pygambit.read_efg(str(path))) == _pygambit(pygambit.catalog.load(slug))


@pytest.mark.parametrize("slug", NFG_SLUGS)
def test_catalog_nfg_matches_pygambit(slug: str, tmp_path: Path) -> None:
    g = pygambit.catalog.load(slug)
    for text in (_catalog_file(slug).read_text(encoding="utf-8"), g.to_nfg()):
        game = read_nfg(text)
        assert list(game.players) == [p.label for p in g.players]
        strategies = [game.infosets.at(k).actions for k in range(len(game.players))]
        assert strategies == [tuple(s.label for s in p.strategies) for p in g.players]
        assert _table(game) == _pygambit_table(g)
    path = tmp_path / "game.nfg"
    path.write_text(write_nfg(read_nfg(g.to_nfg())), encoding="utf-8")
    assert _pygambit_table(pygambit.read_nfg(str(path))) == _pygambit_table(g)


def test_imperfect_recall_games_are_the_expected_ones() -> None:
    # Our model refuses imperfect recall; these five catalog games have it.
    assert IMPERFECT_RECALL == {
        "books/shohamleytonbrown2008/fig5_12",
        "books/vonstengel2022/fig10.7",
        "journals/geb/gilboa1997/fig1",
        "journals/geb/gilboa1997/fig2",
        "journals/geb/wichardt2008",
    }


# ---------------------------------------------------------------------------------
# Labels, strings, numbers
# ---------------------------------------------------------------------------------
def test_normalize_labels_like_gambit() -> None:
    assert normalize_labels(["a", "b"]) == ["a", "b"]
    assert normalize_labels([""]) == ["_1"]
    assert normalize_labels(["x", "x", "x_1"]) == ["x_2", "x_3", "x_1"]
    assert normalize_labels(["", "x", "x", "x_1"]) == ["_1", "x_2", "x_3", "x_1"]


def test_unicode_quotes_and_backslashes_round_trip(tmp_path: Path) -> None:
    text = (
        'EFG 2 R "Ploiești \\"oil\\" back\\\\slash" { "Советский Союз" "Deutschland" }\n'
        '"line one\nline two"\n'
        'p "début" 1 1 "Москва" { "Ploiești" "говорить \\"да\\"" } 0\n'
        't "" 1 "ending \\\\" { 1, -1 }\n'
        't "" 2 "двa" { 0, 0 }\n'
    )
    game = read_efg(text)
    assert game.title == 'Ploiești "oil" back\\slash'
    assert list(game.players) == ["Советский Союз", "Deutschland"]
    assert game.root.actions == ("Ploiești", 'говорить "да"')
    assert game.outcomes[0].label == "ending \\"
    assert game.comment == "line one\nline two"
    assert list(game.infosets) == ["Советский Союз:1"]
    path = tmp_path / "ploiesti.efg"
    save(game, path)
    assert "Ploiești" in path.read_bytes().decode("utf-8")
    assert_same_game(game, load(path))


SHARED_CHANCE = """EFG 2 R "g" { "A" }
c "" 1 "coin" { "h" 1/2 "t" 1/2 } 0
c "" 2 "again" { "h" 1/3 "t" 2/3 } 0
t "" 1 "a" { 1 }
t "" 2 "b" { 2 }
c "" 2 0
t "" 3 "c" { 3 }
t "" 4 "d" { 4 }
"""


def test_chance_events_shared_by_several_nodes() -> None:
    game = read_efg(SHARED_CHANCE)
    assert game.chance_probability[3:7] == tuple(parse(x) for x in ("1/3", "2/3", "1/3", "2/3"))
    assert game.node_infoset_labels[:3] == ("coin", "again", "again")
    # Written back, each chance node is its own event; the game is the same.
    text = write_efg(game)
    assert 'c "" 3 "again" { "h" 1/3 "t" 2/3 } 0' in text
    assert_same_game(game, read_efg(text))
    with pytest.raises(GambitFormatError, match="chance event 2 was declared with other probabilities"):
        read_efg(SHARED_CHANCE.replace('c "" 2 0', 'c "" 2 "again" { "h" 1/2 "t" 1/2 } 0'))


def test_backslash_before_other_characters_is_kept() -> None:
    game = read_efg('EFG 2 R "a\\b" { "P" } t "" 1 "C:\\dir" { 1 }')
    assert game.title == "a\\b" and game.outcomes[0].label == "C:\\dir"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", Fraction(3)),
        ("-3", Fraction(-3)),
        ("+2", Fraction(2)),
        ("0.500000", Fraction(1, 2)),
        (".25", Fraction(1, 4)),
        ("1.", Fraction(1)),
        ("-1/3", Fraction(-1, 3)),
        ("2/4", Fraction(1, 2)),
        ("1.5e-3", Fraction(3, 2000)),
        ("1e2", Fraction(100)),
        ("1E+2", Fraction(100)),
        ("0.1", Fraction(1, 10)),
        ("007", Fraction(7)),
    ],
)
def test_numbers_are_exact(text: str, value: Fraction) -> None:
    game = read_efg(f'EFG 2 R "" {{ "P" }} t "" 1 "" {{ {text} }}')
    assert game.outcomes[0].payoffs[0].constant == value


def test_reader_accepts_paths_streams_and_text(tmp_path: Path) -> None:
    text = (DATA / "bayes.efg").read_text(encoding="utf-8")
    by_path = read_efg(DATA / "bayes.efg")
    assert same_game(by_path, read_efg(str(DATA / "bayes.efg")))
    assert same_game(by_path, read_efg(text))
    assert same_game(by_path, read_efg(io.StringIO(text)))
    assert same_game(by_path, read_efg(io.BytesIO(text.encode())))
    assert same_game(load(DATA / "e02.nfg"), read_nfg((DATA / "e02.nfg").read_text()))
    latin = tmp_path / "latin.efg"
    # Older files may hold Latin-1 bytes; they are read as Latin-1 when not UTF-8.
    latin.write_bytes('EFG 2 R "caf\u00e9" { "P" } t "" 1 "\u00e9" { 1 }'.encode("latin-1"))
    assert read_efg(latin).title == "caf\u00e9"


# ---------------------------------------------------------------------------------
# Malformed files
# ---------------------------------------------------------------------------------
GOOD = """EFG 2 R "g" { "A" "B" }
""

p "" 1 1 "" { "L" "R" } 0
p "" 2 1 "" { "l" "r" } 0
t "" 1 "o1" { 1, 2 }
t "" 2 "o2" { 3, 4 }
c "" 1 "" { "h" 1/2 "t" 1/2 } 0
t "" 3 "o3" { 5, 6 }
t "" 1
"""


def _edit(line: int, new: str) -> str:
    lines = GOOD.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


MALFORMED_EFG = {
    "empty": ("", 1, "expected 'EFG'"),
    "missing header": (GOOD.split("\n", 1)[1], 1, "expected 'EFG'"),
    "nfg header": ('NFG 1 R "g" { "A" }\n', 1, "expected 'EFG'"),
    "version": (GOOD.replace("EFG 2", "EFG 3"), 1, "version 2"),
    "no players": (GOOD.replace('{ "A" "B" }', "{ }"), 1, "no players"),
    "truncated": (GOOD.rsplit("t ", 1)[0], 10, "ends before the tree is complete"),
    "truncated in node": (GOOD.rsplit("{ 5", 1)[0], 9, "the file ends here (expected '{')"),
    "truncated in payoffs": (GOOD.rsplit(" 6 }", 1)[0], 9, "the file ends here (expected a payoff or '}')"),
    "too few payoffs": (_edit(6, 't "" 1 "o1" { 1 }'), 6, "has 1 payoff, but the game has 2"),
    "too many payoffs": (_edit(6, 't "" 1 "o1" { 1, 2, 3 }'), 6, "has 3 payoffs"),
    "bad number": (_edit(6, 't "" 1 "o1" { 1, 2x }'), 6, "found '2x'"),
    "division by zero": (_edit(6, 't "" 1 "o1" { 1, 1/0 }'), 6, "division by zero"),
    "huge exponent": (_edit(6, 't "" 1 "o1" { 1, 1e999999 }'), 6, "magnitude"),
    "unknown outcome": (_edit(10, 't "" 7'), 10, "outcome 7 is used before it is declared"),
    "outcome payoffs differ": (_edit(10, 't "" 1 "o1" { 1, 3 }'), 10, "declared with payoffs"),
    "outcome label differs": (_edit(10, 't "" 1 "other" { 1, 2 }'), 10, "declared with label"),
    "outcome 0 with payoffs": (_edit(10, 't "" 0 "x" { 1, 2 }'), 10, "outcome 0"),
    "infoset actions differ": (
        _edit(5, 'p "" 2 1 "" { "l" "m" } 0').replace('c "" 1 "" { "h" 1/2 "t" 1/2 } 0',
                                                     'p "" 2 1 "" { "l" "r" } 0'),
        8,
        "declared with actions ['l', 'm'], here ['l', 'r']",
    ),
    "infoset before declared": (_edit(5, 'p "" 2 1 0'), 5, "used before it is declared"),
    "player out of range": (_edit(5, 'p "" 3 1 "" { "l" "r" } 0'), 5, "between 1 and 2"),
    "node type": (_edit(5, 'x "" 2 1 "" { "l" "r" } 0'), 5, "expected a node"),
    "probabilities sum": (_edit(8, 'c "" 1 "" { "h" 1/2 "t" 1/3 } 0'), 8, "sum to 5/6"),
    "probability above 1": (_edit(8, 'c "" 1 "" { "h" 3/2 "t" -1/2 } 0'), 8, "outside [0, 1]"),
    "unterminated string": (_edit(10, 't "" 1 "o1 { 1, 2 }'), 10, "never closed"),
    "text after the tree": (GOOD + 't "" 1\n', 11, "text after the last node"),
    "no actions": (_edit(4, 'p "" 1 1 "" { } 0'), 4, "expected an action label"),
    "imperfect recall": (
        'EFG 2 R "g" { "A" }\n'
        'p "" 1 1 "" { "L" "R" } 0\n'
        'p "" 1 2 "" { "l" "r" } 0\n'
        't "" 0\nt "" 0\n'
        'p "" 1 2 "" { "l" "r" } 0\n'
        't "" 0\nt "" 0\n',
        6,
        "imperfect recall",
    ),
}


def test_good_file_reads() -> None:
    game = read_efg(GOOD)
    assert game.num_nodes == 7
    assert int(game.outcome[game.terminals[-1]]) == 0


@pytest.mark.parametrize("case", sorted(MALFORMED_EFG))
def test_malformed_efg(case: str) -> None:
    text, line, fragment = MALFORMED_EFG[case]
    with pytest.raises(GambitFormatError) as info:
        read_efg(text, "bad.efg")
    err = info.value
    assert err.file == "bad.efg"
    assert err.line == line, str(err)
    assert fragment in str(err)
    assert str(err).startswith(f"bad.efg:{line}: ")


GOOD_NFG = 'NFG 1 R "g" { "A" "B" } { 2 2 }\n""\n1 1\n2 2\n3 3\n4 4\n'
GOOD_NFG_OUTCOMES = """NFG 1 R "g" { "A" "B" }
{ { "a1" "a2" } { "b1" "b2" } }
{
{ "x" 1, 1 }
{ "y" 2, 2 }
}
1 2 0 1
"""

MALFORMED_NFG = {
    "missing header": (GOOD_NFG.replace("NFG 1 R ", ""), 1, "expected 'NFG'"),
    "version": (GOOD_NFG.replace("NFG 1", "NFG 2"), 1, "version 1"),
    "too few payoffs": (GOOD_NFG.rsplit(" ", 1)[0], 6, "ends inside the payoffs of strategy profile 4"),
    "too many payoffs": (GOOD_NFG + "5\n", 7, "more than 8 payoffs"),
    "bad payoff": (GOOD_NFG.replace("3 3", "3 x"), 5, "found 'x'"),
    "strategy count": (GOOD_NFG.replace("{ 2 2 }", "{ 2 0 }"), 1, "at least 1"),
    "strategy lists": (GOOD_NFG_OUTCOMES.replace('{ "b1" "b2" } }', "}"), 2, "expected '{'"),
    "outcome index": (GOOD_NFG_OUTCOMES.replace("1 2 0 1", "1 2 3 1"), 7, "between 0 and 2"),
    "too few indices": (GOOD_NFG_OUTCOMES.replace("1 2 0 1", "1 2 0"), 8, "after 3 outcome numbers"),
    "too many indices": (GOOD_NFG_OUTCOMES.replace("1 2 0 1", "1 2 0 1 1"), 7, "more than 4"),
    "outcome payoffs": (GOOD_NFG_OUTCOMES.replace('{ "y" 2, 2 }', '{ "y" 2 }'), 5, "has 1 payoff"),
    "no body": ('NFG 1 R "g" { "A" } { 2 }\n', 2, "expected '{' starting the outcomes"),
}


def test_good_nfg_files_read() -> None:
    assert len(read_nfg(GOOD_NFG).terminals) == 4
    table = _table(read_nfg(GOOD_NFG_OUTCOMES))
    assert table[(1, 0)] == (2, 2) and table[(0, 1)] == (0, 0) and table[(1, 1)] == (1, 1)


@pytest.mark.parametrize("case", sorted(MALFORMED_NFG))
def test_malformed_nfg(case: str) -> None:
    text, line, fragment = MALFORMED_NFG[case]
    with pytest.raises(GambitFormatError) as info:
        read_nfg(text, "bad.nfg")
    err = info.value
    assert (err.file, err.line) == ("bad.nfg", line), str(err)
    assert fragment in str(err)


def test_unreadable_path_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(GambitFormatError, match="cannot read"):
        read_efg(tmp_path / "missing.efg")


# ---------------------------------------------------------------------------------
# Writing: games from our own format, parameters, strategic forms
# ---------------------------------------------------------------------------------
PLAIN_TOML = """
[game]
title = "Entry, plainly"
players = ["Entrant", "Incumbent"]
description = "A parameter-free entry game."

[nodes.start]
player = "Entrant"
actions = { enter = "entered", "stay out" = "out" }

[nodes.entered]
chance = true
actions = { strong = "strong", weak = "weak" }
probabilities = { strong = "0.3", weak = "7/10" }

[nodes.strong]
player = "Incumbent"
infoset = "guess"
actions = { fight = "f1", accommodate = "a1" }

[nodes.weak]
player = "Incumbent"
infoset = "guess"
actions = { fight = "f2", accommodate = "a2" }

[nodes.out]
outcome = "status quo"
payoffs = { Entrant = 0, Incumbent = "2.5" }

[nodes.f1]
payoffs = { Entrant = "-1/3", Incumbent = "-0.1" }

[nodes.a1]
payoffs = { Entrant = 1, Incumbent = 1 }

[nodes.f2]
payoffs = { Entrant = "-1e-2", Incumbent = 0 }

[nodes.a2]
outcome = "shared profits"
payoffs = { Entrant = 1, Incumbent = 1 }
"""


def test_toml_to_efg_to_toml_keeps_labels_and_numbers(tmp_path: Path) -> None:
    original = tmp_path / "entry.toml"
    original.write_text(PLAIN_TOML, encoding="utf-8")
    game = load(original)
    convert(original, tmp_path / "entry.efg")
    efg = load(tmp_path / "entry.efg")
    # Names become Gambit labels; the description becomes the comment.
    assert efg.node_labels[0] == "start"
    assert efg.node_infoset_labels[int(game.infosets["guess"].members[0])] == "guess"
    assert list(efg.infosets) == ["Entrant:1", "Incumbent:1"]
    assert efg.comment == game.description
    convert(tmp_path / "entry.efg", tmp_path / "back.toml")
    back = load(tmp_path / "back.toml")
    assert back.description == game.description
    assert_same_game(game, back, names=False)
    assert [o.label for o in back.outcomes] == [o.label for o in game.outcomes]


def test_efg_with_unlabelled_zero_terminals_saves_as_toml(tmp_path: Path) -> None:
    game = load(DATA / "stages.efg")
    save(game, tmp_path / "stages.toml")
    back = load(tmp_path / "stages.toml")
    assert back.numbers({}).leaf_payoff.tolist() == game.numbers({}).leaf_payoff.tolist()
    assert list(back.players) == list(game.players) and back.description == game.comment


def test_parameters_are_evaluated_at_values() -> None:
    game = load(REPO / "games" / "diplomacy_1939.toml")
    assert game.used_parameters()
    defaults = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    at_defaults = read_efg(write_efg(game))
    assert not at_defaults.parameters
    expected = game.numbers(defaults, exact=True)
    got = at_defaults.numbers({}, exact=True)
    assert got.leaf_payoff.tolist() == expected.leaf_payoff.tolist()
    assert got.edge_prob.tolist() == expected.edge_prob.tolist()
    values = dict(defaults)
    name = sorted(game.used_parameters())[0]
    low, high = game.parameters[name].range or (Fraction(0), Fraction(1))
    values[name] = (low + high) / 3
    other = read_efg(write_efg(game, values))
    assert other.numbers({}).leaf_payoff.tolist() == game.numbers(values).leaf_payoff.tolist()


def _parametric() -> Game:
    from policy.model import Parameter

    p = Parameter("p", "a probability", None, (Fraction(0), Fraction(1)))
    w = Parameter("w", "a payoff", Fraction(2), None)
    specs = [
        NodeSpec("root", NodeKind.CHANCE, actions=(("a", "x"), ("b", "y")),
                 probabilities=(parse("p", ["p"]), parse("1 - p", ["p"]))),
        NodeSpec("x", NodeKind.TERMINAL, outcome=Outcome("x", (parse("w", ["w"]),))),
        NodeSpec("y", NodeKind.TERMINAL, outcome=Outcome("y", (parse("sqrt(w)", ["w"]),))),
    ]
    return build_game("param", ["P"], specs, parameters={"p": p, "w": w})


def test_parameters_without_values_or_irrational_values() -> None:
    game = _parametric()
    with pytest.raises(GambitFormatError, match="give values for p"):
        write_efg(game)
    with pytest.raises(GambitFormatError, match="cannot write 'param' exactly.*irrational"):
        write_efg(game, {"p": Fraction(1, 3)})
    with pytest.raises(GambitFormatError, match="cannot write 'param'.*outside"):
        write_efg(game, {"p": Fraction(2), "w": Fraction(4)})
    text = write_efg(game, {"p": Fraction(1, 3), "w": Fraction(9, 4)})
    assert '"a" 1/3 "b" 2/3' in text and "{ 9/4 }" in text and "{ 3/2 }" in text


def test_write_nfg_refuses_trees_that_are_not_strategic_forms() -> None:
    for game in (load(DATA / "bayes.efg"), load(DATA / "stages.efg"), load(REPO / "games" / "diplomacy_1939.toml")):
        with pytest.raises(GambitFormatError, match="is not a strategic-form game.*write .efg"):
            write_nfg(game)


def test_efg_of_a_strategic_form_writes_as_nfg() -> None:
    # A tree that is a strategic form, written by hand as .efg, with an interior outcome.
    text = """EFG 2 R "matching pennies" { "Row" "Column" }
p "" 1 1 "" { "H" "T" } 1 "ante" { -1/2, -1/2 }
p "" 2 1 "" { "h" "t" } 0
t "" 2 "" { 1, -1 }
t "" 3 "" { -1, 1 }
p "" 2 1 "" { "h" "t" } 0
t "" 3 "" { -1, 1 }
t "" 2 "" { 1, -1 }
"""
    game = read_efg(text)
    assert strategic_form_problem(game) is None
    nfg = read_nfg(write_nfg(game))
    assert _table(nfg) == _table(game)
    assert nfg.root.actions == ("H", "T")


def test_random_strategic_forms_round_trip() -> None:
    rng = np.random.default_rng(7)
    for trial in range(20):
        sizes = [int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 4)))]
        players = [f"P{k}" for k in range(len(sizes))]
        cells = int(np.prod(sizes))
        payoffs = rng.integers(-9, 10, size=cells * len(players)).tolist()
        text = (
            f'NFG 1 R "random {trial}" {{ {" ".join(chr(34) + p + chr(34) for p in players)} }} '
            f'{{ {" ".join(map(str, sizes))} }}\n' + " ".join(f"{v}/3" for v in payoffs) + "\n"
        )
        game = read_nfg(text)
        assert write_nfg(game).split("\n", 2)[0] == text.split("\n", 1)[0]
        again = read_nfg(write_nfg(game))
        assert_same_game(game, again)
        table = _table(game)
        for c in range(cells):
            profile, rest = [], c
            for s in sizes:
                profile.append(rest % s)
                rest //= s
            want = tuple(Fraction(v, 3) for v in payoffs[c * len(players):(c + 1) * len(players)])
            assert table[tuple(profile)] == want


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(interior_payoffs=True))
def test_random_games_round_trip(case: tuple[Game, dict[str, Fraction]]) -> None:
    game, _ = case
    text = write_efg(game)
    again = read_efg(text)
    assert_same_game(game, again, names=False)
    assert again.node_labels == game.node_names
    assert write_efg(again) == text
    assert_same_game(again, read_efg(write_efg(again)))


@settings(max_examples=40, deadline=None)
@given(games_with_values(symbolic=True))
def test_random_parametric_games_are_written_at_values(case: tuple[Game, dict[str, Fraction]]) -> None:
    game, values = case
    try:
        expected = game.numbers(values, exact=True)
    except ValueError:
        return  # probabilities outside [0, 1] at these values
    written = read_efg(write_efg(game, values)).numbers({}, exact=True)
    assert written.leaf_payoff.tolist() == expected.leaf_payoff.tolist()
    assert written.edge_prob.tolist() == expected.edge_prob.tolist()


_LABEL = st.text(st.characters(codec="utf-8"), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    title=_LABEL,
    comment=_LABEL,
    players=st.lists(_LABEL, min_size=2, max_size=2),
    actions=st.lists(_LABEL, min_size=1, max_size=3),
    outcome_labels=st.lists(_LABEL, min_size=3, max_size=3),
    payoffs=st.lists(st.fractions(max_denominator=50), min_size=6, max_size=6),
)
def test_any_labels_round_trip(
    title: str,
    comment: str,
    players: list[str],
    actions: list[str],
    outcome_labels: list[str],
    payoffs: list[Fraction],
) -> None:
    q = [f'"{s.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for s in
         [title, comment, *players, *actions, *outcome_labels]]
    qt, qc, qp, qa, qo = q[0], q[1], q[2:4], q[4:4 + len(actions)], q[4 + len(actions):]
    lines = [f"EFG 2 R {qt} {{ {' '.join(qp)} }}", qc, f'p "" 1 1 "" {{ {" ".join(qa)} }} 0']
    for k in range(len(actions)):
        o = k % 3
        lines.append(f't "" {o + 1} {qo[o]} {{ {payoffs[2 * o]}, {payoffs[2 * o + 1]} }}')
    game = read_efg("\n".join(lines))
    assert game.title == title and game.comment == comment
    assert list(game.players) == normalize_labels(players)
    assert game.root.actions == tuple(normalize_labels(actions))
    assert [o.label for o in game.outcomes] == outcome_labels[: min(3, len(actions))]
    again = _roundtrip(game)
    assert_same_game(game, again)
    assert write_efg(again) == write_efg(game)


# ---------------------------------------------------------------------------------
# same_game
# ---------------------------------------------------------------------------------
def test_same_game_sees_differences() -> None:
    base = read_efg(GOOD)
    assert same_game(base, read_efg(GOOD))
    variants = {
        "payoffs": GOOD.replace("{ 3, 4 }", "{ 3, 5 }"),
        "title": GOOD.replace('"g"', '"h"', 1),
        "labels": GOOD.replace('"o2"', '"o9"'),
        "actions": GOOD.replace('{ "l" "r" }', '{ "l" "s" }'),
        "probabilities": GOOD.replace('"h" 1/2 "t" 1/2', '"h" 1/3 "t" 2/3'),
        "infoset numbers": GOOD.replace('p "" 2 1 ""', 'p "" 2 4 ""'),
        "node labels": GOOD.replace('t "" 3 "o3"', 't "leaf" 3 "o3"'),
        "sharing": GOOD.replace('t "" 1\n', 't "" 4 "o1" { 1, 2 }\n'),
    }
    for what, text in variants.items():
        other = read_efg(text)
        assert not same_game(base, other), what
        assert game_difference(base, other) is not None
    with pytest.raises(AssertionError, match="games differ"):
        assert_same_game(base, read_efg(variants["payoffs"]))
    # Names and labels only count with names=True.
    assert same_game(base, read_efg(variants["node labels"]), names=False)


# ---------------------------------------------------------------------------------
# loading: dispatch on suffix, atomic saving
# ---------------------------------------------------------------------------------
def test_load_dispatches_on_suffix(tmp_path: Path) -> None:
    assert load(DATA / "bayes.efg").origin == "efg"
    assert load(DATA / "e02.nfg").origin == "nfg"
    assert load(REPO / "games" / "diplomacy_1939.toml").origin == "toml"
    upper = tmp_path / "GAME.EFG"
    upper.write_text(GOOD, encoding="utf-8")
    assert load(upper).num_nodes == 7
    with pytest.raises(UnknownFormatError, match=r"unknown game file type \(\.gbt\)"):
        load(tmp_path / "game.gbt")
    with pytest.raises(UnknownFormatError, match="no suffix"):
        save(read_efg(GOOD), tmp_path / "game")
    with pytest.raises(GameFileError):
        load(tmp_path / "missing.toml")


def test_save_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out.nfg"
    target.write_text("old content", encoding="utf-8")
    with pytest.raises(GambitFormatError, match="not a strategic-form game"):
        save(load(DATA / "bayes.efg"), target)
    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(os.listdir(tmp_path)) == ["out.nfg"]
    save(load(DATA / "e02.nfg"), target)
    assert target.read_text(encoding="utf-8").startswith("NFG 1 R")
    assert sorted(os.listdir(tmp_path)) == ["out.nfg"]


def test_save_failure_during_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.efg"
    target.write_text("old", encoding="utf-8")

    def broken(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        save(load(DATA / "bayes.efg"), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["out.efg"]


def test_convert_between_all_formats(tmp_path: Path) -> None:
    convert(DATA / "three.nfg", tmp_path / "three.efg")
    convert(tmp_path / "three.efg", tmp_path / "three.toml")
    convert(tmp_path / "three.toml", tmp_path / "three2.nfg")
    first, last = load(DATA / "three.nfg"), load(tmp_path / "three2.nfg")
    assert _table(first) == _table(last)
    assert [p for p in first.players] == [p for p in last.players]
    # The TOML file is one our reader checks fully.
    loads_game(dump_game(load(tmp_path / "three.toml")), known_claims=[])


def test_tree_written_as_toml_reads_back() -> None:
    game = build_game(
        "small",
        ["A", "B"],
        [
            decision("root", "A", go="mid", stop="end"),
            chance("mid", {"l": "1/4", "r": "3/4"}, l="x", r="y"),
            terminal("end", 0, 0),
            terminal("x", 1, "1/2"),
            terminal("y", -1, "0.25"),
        ],
    )
    again = _roundtrip(game)
    assert_same_game(game, again, names=False)
    back = loads_game(dump_game(again), known_claims=[])
    assert_same_game(game, back, names=False)


# ---------------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------------
def _big_efg(k: int) -> str:
    """A two-level game with k*k terminals, each its own outcome (all distinct)."""
    lines = ['EFG 2 R "big" { "A" "B" }', '""', ""]
    lines.append('p "" 1 1 "" { ' + " ".join(f'"a{i}"' for i in range(k)) + " } 0")
    o = 0
    for i in range(k):
        lines.append(f'p "" 2 {i + 1} "" {{ ' + " ".join(f'"b{j}"' for j in range(k)) + " } 0")
        for _ in range(k):
            o += 1
            lines.append(f't "" {o} "o{o}" {{ {o}/7, -{o}.5 }}')
    return "\n".join(lines) + "\n"


def _reading_work(text: str) -> tuple[Any, int, int]:
    """Read ``text`` counting its work without a clock: the game, the Python-level
    steps (lines, calls and calls into C, as the tracing hooks see them) and the
    peak of memory traced while reading (numpy's arrays included)."""
    steps = 0

    def count_lines(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        return count_lines

    def count_c_calls(frame: Any, event: str, arg: Any) -> None:
        nonlocal steps
        steps += event == "c_call"

    sys.setprofile(count_c_calls)
    sys.settrace(count_lines)
    try:
        read_efg(text)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    tracemalloc.start()
    try:
        game = read_efg(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return game, steps, peak


@pytest.mark.slow
def test_reading_is_linear_in_distinct_outcomes() -> None:
    # Gambit 16.7 takes about 10 s for 59,000 distinct outcomes (quadratic). The
    # work is counted, not timed (the seconds are in benchmarks/bench_efg_distinct.py);
    # work done inside one call into C or numpy is seen only through its memory.
    small, big = _big_efg(61), _big_efg(245)  # 3,721 and 60,025 outcomes
    _, small_steps, small_peak = _reading_work(small)
    game, big_steps, big_peak = _reading_work(big)
    assert len(game.outcomes) == 60_025
    assert game.outcomes[-1].payoffs[1].constant == Fraction(-120_051, 2)
    # 16 times the outcomes: linear is ~16x (measured: 11x steps, 18x memory),
    # quadratic ~256x.
    assert big_steps < 32 * small_steps, (small_steps, big_steps)
    assert big_peak < 32 * small_peak, (small_peak, big_peak)


@pytest.mark.parametrize("stem", ["barbarossa_1941", "diplomacy_1939"])
def test_names_survive_a_round_trip_through_efg(stem: str, tmp_path: Path) -> None:
    """TOML -> .efg -> TOML keeps node and information-set names (the .efg holds them as labels)."""
    from policy.leaders import load_leader, resolve
    from policy.loading import load, save

    game = load(PROJECT / "games" / f"{stem}.toml")
    efg = tmp_path / "g.efg"
    save(game, efg, values=resolve(game, load_leader("stalin")))
    back_path = tmp_path / "g.toml"
    save(load(efg), back_path)
    back = load(back_path)
    assert back.node_names == game.node_names
    assert list(back.infosets) == list(game.infosets)


def test_unusable_efg_labels_leave_numbered_names(tmp_path: Path) -> None:
    """Labels that repeat or are not names (Gambit allows both) keep the n<k> names."""
    from policy.loading import load, save

    text = (
        'EFG 2 R "t" { "A" "B" }\n'
        'p "same" 1 1 "my set" { "l" "r" } 0\n'
        't "same" 1 "x" { 1, 0 }\n'
        't "" 2 "y" { 0, 1 }\n'
    )
    (tmp_path / "g.efg").write_text(text)
    save(load(tmp_path / "g.efg"), tmp_path / "g.toml")
    back = load(tmp_path / "g.toml")
    assert back.node_names == ("n0", "n1", "n2")
    assert list(back.infosets) == ["A:1"]


def test_a_campaigns_names_survive_a_round_trip_through_efg(tmp_path: Path) -> None:
    """user30, finding 8e: a spliced campaign's names hold dots and hyphens ("crisis-3.war");
    TOML -> .efg -> TOML kept none of them (n0, n1, ...), though the .efg had them as labels."""
    from tests.test_campaign import standoff_campaign

    for source in (DATA / "campaigns" / "two_stage.toml", standoff_campaign(tmp_path)):
        game = load(source)
        assert any("." in name and "-" in name for name in game.node_names)
        efg = tmp_path / "c.efg"
        convert(source, efg)
        assert read_efg(efg.read_text()).node_names == game.node_names
        convert(efg, tmp_path / "back.toml")
        back = load(tmp_path / "back.toml")
        assert back.node_names == game.node_names
        assert list(back.infosets) == list(game.infosets)
    assert any(name.endswith(".guess") for name in game.infosets)  # the standoff's, with a dot


def test_solving_an_efg_names_outcomes_by_the_files_labels(tmp_path: Path) -> None:
    """user30, finding 8e: the JSON of a solved .efg keyed outcomes n4, n6, ... although the
    file labels every node with a usable, unique name."""
    import json

    from tests.conftest import invoke

    efg = tmp_path / "g.efg"
    convert(DATA / "campaigns" / "standoff.toml", efg)
    code, out, err = invoke("solve", str(efg), "--format", "json")
    assert code == 0, err
    outcomes = json.loads(out)["equilibria"][0]["outcomes"]
    assert set(outcomes) <= {"aa", "ab", "ba", "bb"} and outcomes
