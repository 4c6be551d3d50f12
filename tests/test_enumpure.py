"""``enumpure``: literature values, Gambit cross-checks, hypothesis properties.

Strategic-form games are written as trees (player 1 moves, player 2 moves in
one information set not knowing player 1's move, and so on), so that our
reduced normal form is exactly the table. The helpers here are shared with
tests/test_enummixed.py.
"""

from __future__ import annotations

import itertools
from collections import deque
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import Game, GameError, NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import SolverError
from policy.solvers.backward import spe_solve
from policy.solvers.enumpure import enumpure_solve, pure_equilibrium_cells
from tests.conftest import (
    doc_example,
    games_with_values,
    pygambit_profile,
    to_pygambit,
)

pygambit = pytest.importorskip("pygambit")

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ---------------------------------------------------------------------------------
# Helpers (also used by tests/test_enummixed.py)
# ---------------------------------------------------------------------------------
def table_game(payoffs: Any, title: str = "table", labels: Any = None) -> Game:
    """A simultaneous-move game as a tree, from per-player payoff arrays.

    ``payoffs[i][s_1, ..., s_n]`` is player ``i``'s payoff. Player ``k`` moves at
    depth ``k`` in one information set ``m<k>`` (not seeing earlier moves);
    action ``j`` of player ``k`` is ``labels[k][j]`` (default ``s<k>_<j>``).
    """
    arrays = [np.asarray(a, dtype=object) for a in payoffs]
    n = len(arrays)
    shape = arrays[0].shape
    labels = labels or [[f"s{k}_{j}" for j in range(size)] for k, size in enumerate(shape)]
    specs: list[NodeSpec] = []
    for depth in range(n + 1):
        for cell in itertools.product(*(range(s) for s in shape[:depth])):
            name = "n" + "_".join(map(str, cell))
            if depth == n:
                outcome = Outcome(name, tuple(parse(Fraction(a[cell])) for a in arrays))
                specs.append(NodeSpec(name, NodeKind.TERMINAL, outcome=outcome))
                continue
            kids = tuple(
                (labels[depth][j], "n" + "_".join(map(str, (*cell, j)))) for j in range(shape[depth])
            )
            specs.append(
                NodeSpec(name, NodeKind.DECISION, player=f"P{depth + 1}", actions=kids,
                         infoset=f"m{depth + 1}")
            )
    return build_game(title, [f"P{i + 1}" for i in range(n)], specs)


def mixed_of(eq: Any) -> tuple[tuple[Fraction, ...], ...]:
    """Each player's mixed strategy of a :func:`table_game` equilibrium."""
    behavior = eq.behavior
    return tuple(tuple(behavior[f"m{i + 1}"].values()) for i in range(len(behavior)))


def pure_cell(eq: Any) -> tuple[int, ...]:
    """The pure profile (strategy index per player) of a :func:`table_game` equilibrium."""
    cell = []
    for sigma in mixed_of(eq):
        (k,) = [j for j, p in enumerate(sigma) if p == 1]
        cell.append(k)
    return tuple(cell)


def gambit_table(payoffs: Any) -> Any:
    """The same table as a pygambit strategic game (exact payoffs)."""
    arrays = [np.vectorize(Fraction, otypes=[object])(np.asarray(a, dtype=object)) for a in payoffs]
    return pygambit.Game.from_arrays(*arrays)


def gambit_mixed(g: Any, profile: Any) -> tuple[tuple[Fraction, ...], ...]:
    """A pygambit mixed strategy profile as tuples of Fractions, player by player."""
    return tuple(
        tuple(Fraction(profile[s]) for s in player.strategies) for player in g.players
    )


def from_pygambit(g: Any) -> tuple[Game, list[Any]]:
    """A pygambit game as ours, and the pygambit node of each of our nodes ``n<k>``.

    Trees keep their structure (outcomes at inner nodes included; information
    sets named ``<player>:<number>``); strategic games become a
    :func:`table_game` (the node list is then empty).
    """
    if not g.is_tree:
        labels = []
        for player in g.players:
            raw = [s.label or f"s{j}" for j, s in enumerate(player.strategies)]
            labels.append(raw if len(set(raw)) == len(raw) else [f"s{j}" for j in range(len(raw))])
        return table_game(g.to_arrays(), title=g.title or "nfg", labels=labels), []
    players = [p.label or f"P{i + 1}" for i, p in enumerate(g.players)]
    by_label = {p.label: name for p, name in zip(g.players, players, strict=True)}
    specs: list[NodeSpec] = []
    nodes = [g.root]
    queue = deque([0])
    while queue:
        k = queue.popleft()
        node = nodes[k]
        name = f"n{k}"
        outcome = None
        if node.outcome:
            outcome = Outcome(f"o{k}", tuple(parse(Fraction(node.outcome[p])) for p in g.players))
        if node.is_terminal:
            if outcome is None:
                outcome = Outcome(f"o{k}", tuple(parse(0) for _ in players))
            specs.append(NodeSpec(name, NodeKind.TERMINAL, outcome=outcome))
            continue
        infoset = node.infoset
        raw = [a.label or f"a{j}" for j, a in enumerate(infoset.actions)]
        labels = [a if raw.count(a) == 1 else f"{a}#{j}" for j, a in enumerate(raw)]
        kids = []
        for label, child in zip(labels, node.children, strict=True):
            kids.append((label, f"n{len(nodes)}"))
            queue.append(len(nodes))
            nodes.append(child)
        if node.player.is_chance:
            probs = tuple(parse(Fraction(a.prob)) for a in infoset.actions)
            specs.append(NodeSpec(name, NodeKind.CHANCE, actions=tuple(kids), probabilities=probs,
                                  outcome=outcome))
        else:
            player = by_label[node.player.label]
            specs.append(NodeSpec(name, NodeKind.DECISION, player=player, actions=tuple(kids),
                                  infoset=f"{player}:{infoset.number + 1}", outcome=outcome))
    return build_game(g.title or "efg", players, specs), nodes


def signature(eq: Any) -> tuple[Any, ...]:
    """What an equilibrium does: payoffs and the probability of every terminal."""
    return (tuple(eq.values), tuple(eq.reach))


def gambit_signature(game: Game, nodes: list[Any], profile: Any) -> tuple[Any, ...]:
    """The same for a pygambit mixed strategy profile of the game ``from_pygambit`` made."""
    behavior = profile.as_behavior()
    g = profile.game
    values = tuple(Fraction(behavior.payoff(p)) for p in g.players)
    reach = tuple(
        Fraction(behavior.realiz_prob(nodes[int(game.node_names[t][1:])]))
        for t in game.terminals.tolist()
    )
    return values, reach


def table_signature(eq: Any) -> tuple[Any, ...]:
    """Payoffs and mixed strategies of a :func:`table_game` equilibrium."""
    return (tuple(eq.values), mixed_of(eq))


def gambit_table_signature(g: Any, profile: Any) -> tuple[Any, ...]:
    values = tuple(Fraction(profile.payoff(p)) for p in g.players)
    return values, gambit_mixed(g, profile)


def catalog_games(max_players: int | None = None) -> list[str]:
    """Slugs of pygambit's catalog games with perfect recall (as ours need), 2+ players."""
    import pygambit.catalog as catalog

    out = []
    for slug in catalog.games()["Game"]:
        g = catalog.load(slug)
        if len(g.players) < 2 or (max_players and len(g.players) > max_players):
            continue
        if g.is_tree and not g.is_perfect_recall:
            continue
        out.append(slug)
    return out


_PAYOFF = st.integers(-4, 4)


@st.composite
def tables(draw: st.DrawFn, players: int = 2, low: int = 2, high: int = 4) -> list[Any]:
    """Per-player integer payoff arrays of a random ``players``-player table."""
    shape = tuple(draw(st.integers(low, high)) for _ in range(players))
    size = int(np.prod(shape))
    return [
        np.array(draw(st.lists(_PAYOFF, min_size=size, max_size=size)), dtype=object).reshape(shape)
        for _ in range(players)
    ]


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
# Osborne and Rubinstein, *A Course in Game Theory* (1994), chapter 2: the
# Prisoner's Dilemma (Example 16.2) has the one equilibrium (Confess, Confess);
# BoS (Example 15.3) has two, (Bach, Bach) and (Stravinsky, Stravinsky);
# Matching Pennies (Example 17.1) has none in pure strategies.
PRISONERS = ([[3, 0], [4, 1]], [[3, 4], [0, 1]])  # actions: quiet, fink
BOS = ([[2, 0], [0, 1]], [[1, 0], [0, 2]])  # actions: Bach, Stravinsky
PENNIES = ([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])


def test_prisoners_dilemma_both_fink():
    result = enumpure_solve(table_game(PRISONERS), {})
    assert result.method == "enumpure" and result.exact
    assert [pure_cell(eq) for eq in result.equilibria] == [(1, 1)]
    assert result.equilibria[0].values == (1, 1)
    assert result.details["strategies"] == (("s0_1", "s1_1"),)


def test_battle_of_the_sexes_two_pure_equilibria_in_order():
    result = enumpure_solve(table_game(BOS), {})
    assert [pure_cell(eq) for eq in result.equilibria] == [(0, 0), (1, 1)]
    assert [eq.values for eq in result.equilibria] == [(2, 1), (1, 2)]
    assert all(eq.max_regret == 0 for eq in result.equilibria)
    assert not result.warnings


def test_matching_pennies_has_no_pure_equilibrium():
    result = enumpure_solve(table_game(PENNIES), {})
    assert result.equilibria == ()
    assert any("no pure-strategy equilibrium" in w for w in result.warnings)


def test_entry_deterrence_has_two_pure_nash_equilibria_one_subgame_perfect():
    # Selten (1978), "The chain store paradox", Theory and Decision 9: in one
    # stage, (enter, accommodate) is the subgame-perfect equilibrium; (stay out,
    # fight) is Nash too, held up by a threat that is not credible.
    from policy.gamefile import loads_game

    game = loads_game(doc_example(), "test.toml", known_claims=[])
    result = enumpure_solve(game, {"fight_cost": Fraction(1)})
    found = {(eq.choice("entry"), eq.choice("response")) for eq in result.equilibria}
    assert found == {("enter", "accommodate"), ("stay_out", "fight")}
    (spe,) = spe_solve(game, {"fight_cost": Fraction(1)}).equilibria
    assert spe.probabilities in {eq.probabilities for eq in result.equilibria}


def test_three_player_coordination():
    # Each player gets 1 when all three choose alike, else 0: exactly the two
    # unanimous profiles are equilibria (checked by hand: from any split, the odd
    # one out gains by joining the other two).
    same = np.zeros((2, 2, 2), dtype=object)
    same[0, 0, 0] = same[1, 1, 1] = 1
    result = enumpure_solve(table_game([same, same, same]), {})
    assert [pure_cell(eq) for eq in result.equilibria] == [(0, 0, 0), (1, 1, 1)]


def test_irrelevant_sets_are_filled_uniformly_or_as_asked():
    # P1 decides to stop (out) or go on and then chooses again; the second set
    # is irrelevant to the strategy 'out', so its behaviour there is filled.
    game = build_game("fill", ["P1", "P2"], [
        NodeSpec("a", NodeKind.DECISION, player="P1", actions=(("out", "t0"), ("in", "b"))),
        NodeSpec("b", NodeKind.DECISION, player="P1", actions=(("x", "t1"), ("y", "t2"))),
        NodeSpec("t0", NodeKind.TERMINAL, outcome=Outcome("t0", (parse(2), parse(0)))),
        NodeSpec("t1", NodeKind.TERMINAL, outcome=Outcome("t1", (parse(1), parse(0)))),
        NodeSpec("t2", NodeKind.TERMINAL, outcome=Outcome("t2", (parse(0), parse(0)))),
    ])
    (eq,) = enumpure_solve(game, {}).equilibria
    assert eq.behavior == {"a": {"out": 1, "in": 0}, "b": {"x": Fraction(1, 2), "y": Fraction(1, 2)}}
    (eq,) = enumpure_solve(game, {}, fill="first").equilibria
    assert eq.behavior["b"] == {"x": 1, "y": 0}


def test_too_many_profiles_is_a_solver_error():
    with pytest.raises(SolverError, match="pure strategy profiles"):
        enumpure_solve(table_game(BOS), {}, max_profiles=3)


def test_float_mode_gives_floats_and_the_same_profiles():
    exact = enumpure_solve(table_game(BOS), {})
    floats = enumpure_solve(table_game(BOS), {}, exact=False)
    assert not floats.exact
    assert [pure_cell(e) for e in floats.equilibria] == [pure_cell(e) for e in exact.equilibria]
    assert all(isinstance(v, float) for eq in floats.equilibria for v in eq.values)


def test_cells_follow_the_definition_on_a_hand_table():
    # Player 1's best responses are the column maxima of A, player 2's the row maxima of B.
    a = np.array([[1, 1], [0, 2]], dtype=object)
    b = np.array([[0, 0], [1, 1]], dtype=object)
    assert pure_equilibrium_cells(np.array([a, b]), exact=True) == [(0, 0), (1, 1)]
    assert pure_equilibrium_cells(np.array([a, b], dtype=np.float64), exact=False) == [(0, 0), (1, 1)]


# ---------------------------------------------------------------------------------
# Cross-checks with Gambit
# ---------------------------------------------------------------------------------
def gambit_pure_cells(payoffs: Any) -> set[tuple[int, ...]]:
    g = gambit_table(payoffs)
    cells = set()
    for eq in pygambit.nash.enumpure_solve(g).equilibria:
        mixed = gambit_mixed(g, eq)
        cells.add(tuple(sigma.index(Fraction(1)) for sigma in mixed))
    return cells


@SETTINGS
@given(tables(players=2))
def test_two_player_tables_match_gambit(payoffs):
    ours = enumpure_solve(table_game(payoffs), {})
    cells = [pure_cell(eq) for eq in ours.equilibria]
    assert len(cells) == len(set(cells))
    assert set(cells) == gambit_pure_cells(payoffs)


@SETTINGS
@given(tables(players=3, high=3))
def test_three_player_tables_match_gambit(payoffs):
    ours = enumpure_solve(table_game(payoffs), {})
    assert {pure_cell(eq) for eq in ours.equilibria} == gambit_pure_cells(payoffs)


@pytest.mark.parametrize("slug", catalog_games())
def test_catalog_games_match_gambit(slug):
    import pygambit.catalog as catalog

    g = catalog.load(slug)
    game, nodes = from_pygambit(g)
    ours = enumpure_solve(game, {})
    theirs = pygambit.nash.enumpure_solve(g).equilibria
    assert len(ours.equilibria) == len(theirs)
    if g.is_tree:
        assert {signature(eq) for eq in ours.equilibria} == {
            gambit_signature(game, nodes, eq) for eq in theirs
        }
    else:
        assert {table_signature(eq) for eq in ours.equilibria} == {
            gambit_table_signature(g, eq) for eq in theirs
        }


def test_imperfect_recall_catalog_games_are_refused_by_the_model():
    import pygambit.catalog as catalog

    g = catalog.load("books/shohamleytonbrown2008/fig5_12")
    assert not g.is_perfect_recall
    with pytest.raises(GameError, match="imperfect recall"):
        from_pygambit(g)


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@SETTINGS
@given(tables(players=2, high=3))
def test_equilibria_have_zero_regret_in_gambit(payoffs):
    game = table_game(payoffs)
    g, actions = to_pygambit(game, {})
    for eq in enumpure_solve(game, {}).equilibria:
        assert pygambit_profile(g, actions, eq.behavior).max_regret() == 0


@SETTINGS
@given(tables(players=3, high=3))
def test_exact_and_float_agree_on_integer_tables(payoffs):
    game = table_game(payoffs)
    exact = enumpure_solve(game, {})
    floats = enumpure_solve(game, {}, exact=False)
    assert [pure_cell(e) for e in floats.equilibria] == [pure_cell(e) for e in exact.equilibria]
    for e, f in zip(exact.equilibria, floats.equilibria, strict=True):
        assert f.values == pytest.approx([float(v) for v in e.values])


@SETTINGS
@given(games_with_values(max_nodes=14, max_depth=4))
def test_perfect_information_subgame_perfect_play_is_among_pure_equilibria(drawn):
    # Every subgame-perfect equilibrium is a Nash equilibrium; its reduced
    # strategies agree with it wherever they are defined, so its outcome and
    # payoffs are those of one of enumpure's equilibria.
    game, values = drawn
    try:
        result = enumpure_solve(game, values, max_profiles=20_000)
    except SolverError:
        assume(False)
    assert result.equilibria
    (spe,) = spe_solve(game, values).equilibria
    assert signature(spe) in {signature(eq) for eq in result.equilibria}
    for eq in result.equilibria:
        assert eq.max_regret == 0
        for s in game.infosets.values():
            assert sum(eq.behavior[s.name].values()) == 1
