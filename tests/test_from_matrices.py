"""``policy.from_matrices``: games from payoff arrays, checked against nashpy and pygambit."""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policy
from policy.gambit import assert_same_game
from policy.nfg_arrays import integer_table

nashpy = pytest.importorskip("nashpy")
gbt = pytest.importorskip("pygambit")

DECIMALS = 9


def _strategies(game: Any) -> list[tuple[str, list[str]]]:
    """Each player's information set and its actions, in player order."""
    return [(s.name, list(s.actions)) for s in game.infosets.values()]


def _ours(game: Any, method: str) -> set[tuple[float, ...]]:
    found = policy.solve(game, method=method, all_equilibria=True)
    sets = _strategies(game)
    return {
        tuple(round(float(e.behavior[name][a]), DECIMALS) for name, actions in sets for a in actions)
        for e in found.equilibria
    }


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Battle of the sexes: two pure equilibria and one mixed, (2/3, 1/3) against (1/3, 2/3).
        ([[2, 0], [0, 1]], [[1, 0], [0, 2]]),
        # A 3x2 game: the orientation (rows are the first player's) matters.
        ([[3, 1], [0, 2], [1, 1]], [[2, 1], [1, 3], [0, 0]]),
        # Fractions, floats and exact strings as entries.
        ([[Fraction(1, 2), 0.25], ["0", 1]], [[0.75, 0], ["1/3", 1]]),
    ],
    ids=["battle-of-the-sexes", "three-by-two", "fractions"],
)
def test_two_players_agree_with_nashpy(a: Any, b: Any) -> None:
    game = policy.from_matrices(a, b)
    fa = np.array([[float(Fraction(str(x)) if isinstance(x, str) else x) for x in row] for row in a])
    fb = np.array([[float(Fraction(str(x)) if isinstance(x, str) else x) for x in row] for row in b])
    theirs = {
        tuple(round(float(x), DECIMALS) for x in np.concatenate([row, column]))
        for row, column in nashpy.Game(fa, fb).vertex_enumeration()
    }
    assert _ours(game, "enummixed") == theirs


def test_one_matrix_is_zero_sum() -> None:
    # Matching pennies: each side mixes 1/2-1/2, value 0 (von Neumann's minimax).
    game = policy.from_matrices([[1, -1], [-1, 1]], strategies=[["H", "T"], ["H", "T"]], players=["Even", "Odd"])
    assert game.is_constant_sum
    eq = policy.solve(game).equilibria[0]
    assert eq.payoffs == {"Even": 0, "Odd": 0}
    assert [a for _, actions in _strategies(game) for a in actions] == ["H", "T", "H", "T"]


def test_three_players_agree_with_pygambit() -> None:
    # Every payoff different, so that any mix-up of axes or players changes the answer.
    rng = np.random.default_rng(7)
    arrays = [rng.integers(-5, 6, size=(2, 3, 2)) for _ in range(3)]
    game = policy.from_matrices(*arrays, players=["Austria", "Russia", "Germany"])
    assert list(game.players) == ["Austria", "Russia", "Germany"]
    theirs_game = gbt.Game.from_arrays(*arrays)
    theirs = {
        tuple(round(float(e[s]), DECIMALS) for p in theirs_game.players for s in p.strategies)
        for e in gbt.nash.enumpure_solve(theirs_game).equilibria
    }
    assert theirs  # the seed gives a game with pure equilibria
    assert _ours(game, "enumpure") == theirs
    # Each cell's payoffs as given: the pure profile (1, 2, 0) pays arrays[p][1, 2, 0].
    found = policy.solve(game, method="enumpure", all_equilibria=True)
    for e in found.equilibria:
        at = tuple(next(k for k, a in enumerate(actions) if e.behavior[name][a] == 1)
                   for name, actions in _strategies(game))
        assert [e.payoffs[p] for p in game.players] == [int(arr[at]) for arr in arrays]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[1, 2]], [[1], [2]]), "differ in shape"),
        (([1, 2],), "must be a matrix"),
        (([[1, 2]], [[1, 2]], [[1, 2]]), "3 players need arrays with 3 axes"),
        (([[1, "x"]], [[1, 2]]), "player 1's payoff at (0, 1)"),
    ],
)
def test_bad_arrays_are_one_clear_error(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        policy.from_matrices(*args)


def test_labels_must_fit_the_arrays() -> None:
    with pytest.raises(ValueError, match="strategy labels"):
        policy.from_matrices([[1, 2]], [[1, 2]], strategies=[["a", "b"], ["c", "d"]])


_LABEL = st.lists(st.sampled_from(["a", "b", "x", " ", ",", "é", "{", "}", "_1", "\n"]), max_size=3).map("".join)


@st.composite
def integer_games(draw: st.DrawFn) -> tuple[list[Any], list[list[str]] | None, list[str] | None, str]:
    """Integer payoff arrays (numpy or lists, 1 to 3 players; one array alone is zero-sum) and labels."""
    n = draw(st.integers(1, 3))
    players = 2 if n == 1 else n
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=players, max_size=players)))
    big = draw(st.booleans())
    bound = 10**17 if big else 5
    arrays: list[Any] = []
    for _ in range(n):
        flat = draw(st.lists(st.integers(-bound, bound), min_size=int(np.prod(shape)),
                             max_size=int(np.prod(shape))))
        a = np.array(flat, dtype=np.int64).reshape(shape)
        kind = draw(st.sampled_from(["list", "int64", "int32", "uint8", "object"]))
        if kind == "list":
            arrays.append(a.tolist())
        elif kind == "object" or big:
            arrays.append(a.astype(object) if kind == "object" else a)
        else:
            arrays.append(np.abs(a).astype(kind) if kind == "uint8" else a.astype(kind))
    strategies = None
    if draw(st.booleans()):
        strategies = [draw(st.lists(_LABEL, min_size=s, max_size=s)) for s in shape]
    names = draw(st.lists(_LABEL, min_size=players, max_size=players)) if draw(st.booleans()) else None
    return arrays, strategies, names, draw(_LABEL)


@settings(max_examples=150, deadline=None)
@given(integer_games())
def test_integer_arrays_make_the_game_the_nfg_text_makes(case: Any) -> None:
    # from_matrices builds a game of integer arrays directly; writing the .nfg
    # text and reading it back (the path for other entries) gives the same game.
    arrays, strategies, names, title = case
    with patch("policy.nfg_arrays.integer_table", wraps=integer_table) as spy:
        fast = policy.from_matrices(*arrays, strategies=strategies, players=names, title=title)
    assert spy.call_count == 1  # built from the arrays
    with patch("policy.api._integer_game", return_value=None):
        slow = policy.from_matrices(*arrays, strategies=strategies, players=names, title=title)
    assert_same_game(fast, slow)
    assert fast.action_label == slow.action_label
    assert fast.title == slow.title and fast.comment == slow.comment and fast.origin == slow.origin
    assert [o.label for o in fast.outcomes] == [o.label for o in slow.outcomes]
    assert fast.outcomes == slow.outcomes


@pytest.mark.parametrize(
    "a",
    [
        [[True, 0], [0, 1]],  # bools are refused by the file's path, with its message
        [[10**18, 0], [0, 1]],  # more digits than the reader's plain integers
        [[np.int64(1), 0.5], [0, 1]],
        np.array([[1, 2], [3, 4]], dtype=np.float64),
        np.array([[2**63, 0], [0, 1]], dtype=np.uint64),
    ],
    ids=["bool", "19-digits", "a-float", "float-array", "uint64-too-big"],
)
def test_other_entries_go_through_the_nfg_text(a: Any) -> None:
    assert policy.api._integer_game((a,), [["r1", "r2"], ["c1", "c2"]], ["Row", "Column"], "t") is None
    assert policy.api._integer_game((np.asarray(a, dtype=object),), [["r1", "r2"], ["c1", "c2"]],
                                    ["Row", "Column"], "t") is None


def test_quotes_and_backslashes_go_through_the_nfg_text() -> None:
    for title in ['a "b"', "a\\b"]:
        assert policy.api._integer_game(([[1]],), [["r"], ["c"]], ["Row", "Column"], title) is None
        game = policy.from_matrices([[1]], title=title)
        assert game.title == title
