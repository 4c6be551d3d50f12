"""The game tree: lookups by label, breadth-first layout, round trips, big trees."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from policy.gamefile import dump_game, load_game, loads_game
from policy.model import GameError, NodeKind, build_game, game_from_arrays, own_sequences
from policy.solvers import solve
from tests.conftest import (
    FLOAT_TOL,
    chance,
    decision,
    doc_example,
    games_with_values,
    terminal,
)
from tests.games import imperfect_games


@pytest.fixture
def entry(write_game):
    return load_game(write_game(doc_example()), known_claims=[])


def crisis():
    """A small game with a chance node and an information set (perfect recall)."""
    return build_game(
        "crisis",
        ["USSR", "Germany"],
        [
            decision("start", "USSR", appeal="west", deal="pact"),
            chance("west", {"honour": "3/5", "refuse": "2/5"}, honour="h", refuse="r"),
            decision("h", "Germany", infoset="germany_guess", attack="h_war", wait="h_peace"),
            decision("r", "Germany", infoset="germany_guess", attack="r_war", wait="r_peace"),
            terminal("pact", "1/2", 1),
            terminal("h_war", -2, -3),
            terminal("h_peace", 2, 0),
            terminal("r_war", -1, 2),
            terminal("r_peace", 1, 0),
        ],
    )


# -- lookups by label ---------------------------------------------------------------
def test_lookups_by_label(entry):
    assert entry.players["Entrant"].index == 0
    assert entry.players["Incumbent"].label == "Incumbent"
    response = entry.root.children["enter"]
    assert response.name == "response"
    assert response.player == entry.players["Incumbent"]
    assert response.parent == entry.root
    assert response.action_in == "enter"
    assert response.actions == ("fight", "accommodate")
    war = entry.nodes["war"]
    assert war.is_terminal and war.kind is NodeKind.TERMINAL
    assert war.parent == response
    assert response.children["fight"] == war
    assert entry.node("war") == war
    assert entry.infosets["response"].members == (response.index,)
    assert entry.infosets["response"].player.label == "Incumbent"
    assert entry.infosets["entry"].action_index("stay_out") == 1
    assert entry.root.name == "entry" and entry.root.parent is None


def test_information_sets_and_chance_by_label():
    game = crisis()
    guess = game.infosets["germany_guess"]
    assert [game.node_names[m] for m in guess.members] == ["h", "r"]
    assert guess.actions == ("attack", "wait")
    assert game.nodes["h"].infoset == guess
    west = game.root.children["appeal"]
    assert west.kind is NodeKind.CHANCE and west.player is None and west.infoset is None
    assert {a: e.constant for a, e in west.probabilities.items()} == {
        "honour": Fraction(3, 5), "refuse": Fraction(2, 5)
    }
    assert not game.is_perfect_information


LOOKUP_ERRORS = {
    "player": (lambda g: g.players["Britain"], "no player 'Britain'"),
    "action": (lambda g: g.root.children["surrender"], "no action 'surrender'"),
    "node": (lambda g: g.nodes["nowhere"], "no node 'nowhere'"),
    "infoset": (lambda g: g.infosets["nowhere"], "no information set 'nowhere'"),
    "infoset-action": (lambda g: g.infosets["entry"].action_index("fly"), "no action 'fly'"),
}


@pytest.mark.parametrize(("lookup", "message"), list(LOOKUP_ERRORS.values()),
                         ids=list(LOOKUP_ERRORS))
def test_unknown_labels_raise_key_error_naming_them(entry, lookup, message):
    with pytest.raises(KeyError, match=message):
        lookup(entry)


def test_constant_sum_and_used_parameters(entry):
    pennies = build_game("pennies", ["A", "B"], [
        decision("root", "A", heads="h", tails="t"),
        terminal("h", 1, -1), terminal("t", "-1/2", "1/2"),
    ])
    assert pennies.is_constant_sum
    assert not crisis().is_constant_sum
    assert not entry.is_constant_sum  # payoffs depend on fight_cost
    assert entry.used_parameters() == {"fight_cost"}
    assert crisis().used_parameters() == frozenset()


# -- breadth-first layout -----------------------------------------------------------------
def check_breadth_first(game):
    n = game.num_nodes
    parent, first, count = game.parent, game.first_child, game.num_children
    assert parent[0] == -1 and game.depth[0] == 0
    assert int(count.sum()) == n - 1
    expected_next = 1
    for i in range(n):
        kids = list(game.children_of(i))
        if kids:  # children contiguous, in breadth-first order of their parents
            assert kids[0] == first[i] == expected_next
            expected_next += len(kids)
        for c in kids:
            assert parent[c] == i < c  # parents before children
            assert game.depth[c] == game.depth[i] + 1
    assert expected_next == n
    # Levels: contiguous, covering all nodes, one per depth.
    levels = game.levels
    assert levels[0] == (0, 1)
    assert levels[-1][1] == n
    for d, (start, stop) in enumerate(levels):
        assert start < stop
        assert (game.depth[start:stop] == d).all()
        if d:
            assert start == levels[d - 1][1]
    assert list(game.terminals) == [i for i in range(n) if game.kind[i] == NodeKind.TERMINAL]


def test_breadth_first_invariants_of_a_built_game():
    check_breadth_first(crisis())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(interior_payoffs=True))
def test_breadth_first_invariants_hold_for_random_games(game_values):
    check_breadth_first(game_values[0])


def test_breadth_first_numbering_ignores_file_order(write_game):
    # Nodes listed deepest first still come out breadth-first from the root.
    text = """
[game]
title = "reversed"
players = ["A"]
[nodes.t2]
payoffs = { A = 2 }
[nodes.t1]
payoffs = { A = 1 }
[nodes.mid]
player = "A"
actions = { x = "t1", y = "t2" }
[nodes.t0]
payoffs = { A = 0 }
[nodes.top]
player = "A"
actions = { down = "mid", out = "t0" }
"""
    game = load_game(write_game(text), known_claims=[])
    assert game.node_names == ("top", "mid", "t0", "t1", "t2")
    check_breadth_first(game)


def test_own_sequences_tell_apart_a_players_histories():
    game = crisis()
    seq = own_sequences(game)
    h, r = game.nodes["h"].index, game.nodes["r"].index
    ussr, germany = 0, 1
    assert seq[0].tolist() == [0, 0]
    assert seq[h, ussr] == seq[r, ussr] != 0  # both after USSR's 'appeal'; chance is no one's
    assert seq[h, germany] == seq[r, germany] == 0
    wars = [game.nodes[x].index for x in ("h_war", "r_war")]
    assert seq[wars[0], germany] == seq[wars[1], germany] != 0  # same infoset, same action
    assert seq[game.nodes["h_peace"].index, germany] != seq[wars[0], germany]



def _plain_own_sequences(game):
    """own_sequences written the plain way: a numpy row per node, copied from its parent."""
    n = game.num_nodes
    seq = np.zeros((n, len(game.players)), dtype=np.int64)
    intern = {}
    for c in range(1, n):
        p = int(game.parent[c])
        seq[c] = seq[p]
        who = int(game.player[p])
        if who >= 0:
            key = (int(seq[p, who]), int(game.infoset[p]), c - int(game.first_child[p]))
            seq[c, who] = intern.setdefault(key, len(intern) + 1)
    return seq


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(1, 2, 3), max_nodes=40))
def test_own_sequences_are_the_plain_numbering(game):
    # own_sequences builds its rows as Python lists: the very ids, dtype and
    # shape of a numpy row copied per node.
    got = own_sequences(game)
    want = _plain_own_sequences(game)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert (got == want).all()

# -- building errors that files cannot express -------------------------------------------
BUILD_ERRORS = {
    "duplicate-player": (["A", "A"], [terminal("t", 0, 0)], "listed twice"),
    "no-players": ([], [terminal("t")], "at least one player"),
    "no-nodes": (["A"], [], "no nodes"),
    "duplicate-node": (["A"], [decision("r", "A", x="t"), terminal("t", 1), terminal("t", 2)],
                       "defined twice"),
    "orphan-below-a-cycle": (
        ["A"],
        [decision("r", "A", x="t"), terminal("t", 1), decision("a", "A", x="b", y="c"),
         decision("b", "A", x="a"), terminal("c", 0)],
        "'a' is on a cycle",
    ),
}


@pytest.mark.parametrize(("players", "specs", "message"), list(BUILD_ERRORS.values()),
                         ids=list(BUILD_ERRORS))
def test_build_game_errors(players, specs, message):
    with pytest.raises(GameError, match=message):
        build_game("bad", players, specs)


ARRAY_ERRORS = {
    "not-a-tree": (dict(num_children=[2, 0], kind=[0, 2], player=[0, -1], payoffs=[[1]]),
                   "not a tree"),
    "payoff-count": (dict(num_children=[1, 0], kind=[0, 2], player=[0, -1], payoffs=[]),
                     "1 terminals but 0 payoff vectors"),
    "not-breadth-first": (dict(num_children=[0, 2, 0], kind=[2, 0, 2], player=[-1, 0, -1],
                               payoffs=[[1], [2]]), "not in breadth-first order"),
    "decision-without-children": (dict(num_children=[1, 0], kind=[0, 0], player=[0, 0],
                                       payoffs=[]), "node 1: terminals have no children"),
    "terminal-with-children": (dict(num_children=[1, 0], kind=[2, 2], player=[-1, -1],
                                    payoffs=[[1], [2]]), "node 0: terminals have no children"),
    "unknown-kind": (dict(num_children=[1, 0], kind=[0, 7], player=[0, -1], payoffs=[]),
                     "node 1: unknown kind"),
    "player-out-of-range": (dict(num_children=[1, 0], kind=[0, 2], player=[1, -1],
                                 payoffs=[[1]]), "player index outside 0..0"),
    "payoff-length": (dict(num_children=[1, 0], kind=[0, 2], player=[0, -1], payoffs=[[1, 2]]),
                      "one value per player"),
    "chance-without-probabilities": (dict(num_children=[2, 0, 0], kind=[1, 2, 2],
                                          player=[-1, -1, -1], payoffs=[[1], [2]],
                                          probabilities={0: [1]}),
                                     "chance node 0 needs one probability per child"),
}


@pytest.mark.parametrize(("arrays", "message"), list(ARRAY_ERRORS.values()), ids=list(ARRAY_ERRORS))
def test_game_from_arrays_errors(arrays, message):
    with pytest.raises(GameError, match=message):
        game_from_arrays("bad", ["A"], **arrays)


# -- numbers ---------------------------------------------------------------------------------
def test_numbers_evaluate_at_the_values_given(entry):
    one = entry.numbers({"fight_cost": Fraction(1)})
    three = entry.numbers({"fight_cost": Fraction(3)})
    war = list(entry.terminals).index(entry.nodes["war"].index)
    assert one.leaf_payoff[war].tolist() == [-1, -1]
    assert three.leaf_payoff[war].tolist() == [-3, -3]
    floats = entry.numbers({"fight_cost": 0.5}, exact=False)
    assert floats.leaf_payoff[war].tolist() == [-0.5, -0.5]
    assert floats.leaf_payoff.dtype == np.float64


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_numbers_without_a_needed_value_name_the_place(entry, exact):
    with pytest.raises(GameError) as info:
        entry.numbers({}, exact=exact)
    assert info.value.path == "nodes.war.payoffs.Entrant"
    assert "no value for parameter(s) fight_cost" in str(info.value)


# -- round trip ---------------------------------------------------------------------------
def same_structure(a, b):
    assert a.title == b.title
    assert list(a.players) == list(b.players)
    assert a.node_names == b.node_names
    for field in ("parent", "kind", "player", "infoset", "outcome", "first_child",
                  "num_children", "depth"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.action_label == b.action_label
    assert a.chance_probability == b.chance_probability  # Expr equality: same trees
    assert a.outcomes == b.outcomes
    assert [(s.name, s.actions, s.members) for s in a.infosets.values()] == [
        (s.name, s.actions, s.members) for s in b.infosets.values()
    ]
    assert dict(a.parameters) == dict(b.parameters)


def test_dump_and_load_give_the_same_game(entry):
    again = loads_game(dump_game(entry), known_claims=[])
    same_structure(entry, again)
    assert again.description == entry.description
    assert [str(e) for o in again.outcomes for e in o.payoffs] == [
        "0", "2", "-fight_cost", "-fight_cost", "1", "1"
    ]


def test_dump_and_load_keep_information_sets_and_chance():
    game = crisis()
    same_structure(game, loads_game(dump_game(game), known_claims=[]))


def test_dump_quotes_awkward_labels():
    game = build_game(
        'the "odd" game',
        ["Soviet Union", "Reich"],
        [decision("r", "Soviet Union", **{"appeal west": "t1", "deal": "t2"}),
         terminal("t1", "1/3", 0), terminal("t2", 0, "-2/7")],
    )
    same_structure(game, loads_game(dump_game(game), known_claims=[]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(symbolic=True, interior_payoffs=True))
def test_round_trip_preserves_the_numbers(game_values):
    game, values = game_values
    again = loads_game(dump_game(game), known_claims=[])
    same_structure(game, again)
    try:
        before = game.numbers(values, exact=True)
    except GameError as err:  # q = 0 or 1 is fine; anything else is a bug in the strategy
        pytest.fail(f"random game has bad numbers: {err}")
    after = again.numbers(values, exact=True)
    assert before.leaf_payoff.tolist() == after.leaf_payoff.tolist()
    assert before.edge_prob.tolist() == after.edge_prob.tolist()


# -- big and deep trees ---------------------------------------------------------------------
DEPTH = 100_000


def chain_arrays(depth):
    """A chain of ``depth`` decision nodes, each with stop -> terminal and go -> next.

    Breadth-first: decision k is node 2k, its stop terminal node 2k+1, and the
    last go leads to the end terminal, node 2*depth. Stopping pays 0 to both
    players, reaching the end pays 1, so every mover goes on.
    """
    n = 2 * depth + 1
    num_children = np.zeros(n, dtype=np.int64)
    num_children[0 : 2 * depth : 2] = 2
    kind = np.full(n, int(NodeKind.TERMINAL))
    kind[0 : 2 * depth : 2] = int(NodeKind.DECISION)
    player = np.full(n, -1)
    player[0 : 2 * depth : 2] = np.arange(depth) % 2
    labels = [""] + ["stop", "go"] * depth
    payoffs = [(0, 0)] * depth + [(1, 1)]
    return dict(num_children=num_children, kind=kind, player=player, payoffs=payoffs,
                action_labels=labels)


def check_chain(result, depth, one):
    (eq,) = result.equilibria
    assert eq.values == (one, one)
    assert eq.reach[-1] == 1 and sum(eq.reach) == 1
    go = np.array(eq.probabilities[1::2])
    assert (go == 1).all() and len(go) == depth


def test_deep_chain_from_arrays_solves_without_recursion():
    game = game_from_arrays("chain", ["A", "B"], **chain_arrays(DEPTH))
    assert game.num_nodes == 2 * DEPTH + 1 and len(game.levels) == DEPTH + 1
    assert game.nodes[f"n{2 * DEPTH}"].parent.name == f"n{2 * DEPTH - 2}"
    check_chain(solve(game, {}, exact=False), DEPTH, 1.0)


@pytest.mark.slow
def test_deep_chain_from_toml_loads_and_solves(write_game):
    # Measured: 40-60 s in all (tomllib and the checks take about half), so slow.
    lines = ["[game]", 'title = "chain"', 'players = ["A", "B"]', 'root = "d0"']
    for k in range(DEPTH):
        following = f"d{k + 1}" if k + 1 < DEPTH else "end"
        lines += [
            f"[nodes.d{k}]", f'player = "{"AB"[k % 2]}"',
            f'actions = {{ stop = "s{k}", go = "{following}" }}',
            f"[nodes.s{k}]", "payoffs = { A = 0, B = 0 }",
        ]
    lines += ["[nodes.end]", "payoffs = { A = 1, B = 1 }"]
    game = load_game(write_game("\n".join(lines) + "\n"), known_claims=[])
    assert game.num_nodes == 2 * DEPTH + 1
    assert game.node_names[:3] == ("d0", "s0", "d1")
    check_chain(solve(game, {}), DEPTH, Fraction(1))


def random_tree_arrays(n, seed):
    """A random breadth-first tree of exactly ``n`` nodes: 3 players, chance nodes, int payoffs."""
    rng = np.random.default_rng(seed)
    while True:
        draws = rng.choice([0, 2, 3], size=n, p=[0.45, 0.35, 0.2]).astype(np.int64)
        created = 1 + np.cumsum(draws)
        m = int(np.argmax(created >= n))
        if created[m] >= n and (created[:m] > np.arange(1, m + 1)).all():
            break  # the tree reaches n nodes before running out of open nodes
    num_children = np.zeros(n, dtype=np.int64)
    num_children[:m] = draws[:m]
    num_children[m] = n - (created[m - 1] if m else 1)
    kind = np.where(num_children > 0, int(NodeKind.DECISION), int(NodeKind.TERMINAL))
    is_chance = (num_children > 0) & (rng.random(n) < 0.2)
    kind[is_chance] = int(NodeKind.CHANCE)
    player = np.where(kind == NodeKind.DECISION, rng.integers(0, 3, n), -1)
    payoffs = rng.integers(0, 1000, size=(int((num_children == 0).sum()), 3)).tolist()
    probabilities = {
        int(c): [Fraction(1, int(num_children[c]))] * int(num_children[c])
        for c in np.flatnonzero(is_chance)
    }
    return dict(num_children=num_children, kind=kind, player=player, payoffs=payoffs,
                probabilities=probabilities)


#: Float payoffs closer than this count as tied (ties go to the first action listed).
NEAR_TIE_FLOAT = 1e-7


def reference_root_value(arrays):
    """Backward induction by a plain loop from the last node to the first.

    Of the best actions (up to float rounding), the first listed is taken, as
    ``spe`` does.
    """
    nc, kind, player = arrays["num_children"], arrays["kind"], arrays["player"]
    n = len(nc)
    first = np.concatenate(([1], 1 + np.cumsum(nc)[:-1])).tolist()
    value = [None] * n
    leaves = iter(arrays["payoffs"])
    terminal_values = {i: next(leaves) for i in range(n) if nc[i] == 0}
    for i in range(n - 1, -1, -1):
        if nc[i] == 0:
            value[i] = [float(x) for x in terminal_values[i]]
            continue
        kids = range(first[i], first[i] + int(nc[i]))
        if kind[i] == NodeKind.CHANCE:
            value[i] = [sum(value[c][p] for c in kids) / nc[i] for p in range(3)]
        else:
            me = player[i]
            best = max(value[c][me] for c in kids)
            value[i] = next(value[c] for c in kids if value[c][me] >= best - NEAR_TIE_FLOAT)
    return value[0]


@pytest.mark.slow
def test_random_tree_of_a_million_nodes_solves_in_float():
    # Measured: 20-30 s (build about 8 s, solve 5 s, the reference loop the rest), so slow.
    arrays = random_tree_arrays(1_000_000, seed=7)
    game = game_from_arrays("big", ["A", "B", "C"], **arrays)
    result = solve(game, {}, exact=False)
    (eq,) = result.equilibria
    assert game.num_nodes == 1_000_000
    assert eq.max_regret <= FLOAT_TOL * 1000
    assert abs(sum(eq.reach) - 1) <= FLOAT_TOL
    assert eq.values == pytest.approx(reference_root_value(arrays), abs=FLOAT_TOL * 1000)


# -- numbers again after one parameter moved ----------------------------------------------
def _numbers_or_error(game, values):
    try:
        n = game.numbers(values)
    except GameError as err:
        return str(err)
    return (n.leaf_payoff.tolist(), n.edge_prob.tolist())


@pytest.mark.parametrize("file", ["two_stage.toml", "crisis.toml"])
def test_numbers_after_a_move_are_those_of_a_fresh_evaluation(file):
    # An exact evaluation starts from a kept one and evaluates again only the expressions
    # that use the parameters that moved; a game read afresh evaluates them all. Each
    # parameter is moved in turn (inside its range, to its ends, and far out of it, where
    # a probability may leave [0, 1]: the same error), then two at once, then back.
    from pathlib import Path

    from policy.loading import load

    path = Path(__file__).parent / "data" / "campaigns" / file
    game = load(path)
    base = {name: p.default for name, p in game.parameters.items()}
    game.numbers(base)
    trials = []
    for name, p in game.parameters.items():
        low, high = p.range if p.range is not None else (p.default - 1, p.default + 1)
        for x in (low, high, (low + 2 * high) / 3 + Fraction(1, 2**40 + 15), high + 7, -abs(low) - 5):
            trials.append({**base, name: Fraction(x)})
    names = list(game.parameters)
    trials.append({**base, names[0]: trials[0][names[0]], names[-1]: trials[-1][names[-1]]})
    trials.append(dict(base))
    errors = 0
    for values in trials:
        fresh = load(path)
        got, want = _numbers_or_error(game, values), _numbers_or_error(fresh, values)
        assert got == want
        errors += isinstance(want, str)
    assert errors < len(trials)


def test_imperfect_recall_names_the_first_set_and_member_that_differ():
    # Player A moves at the root, then at three nodes of one set "s" after a, b
    # and c: A forgets its own first move, and the first pair found to differ is
    # the set's first member and its second; a second set "t" of B is fine.
    from policy.expr import parse
    from policy.model import NodeSpec, Outcome

    def leaf(name: str) -> NodeSpec:
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse("0"), parse("0"))))

    specs = [
        NodeSpec("root", NodeKind.DECISION, player="A", actions=(("a", "x1"), ("b", "x2"), ("c", "x3"))),
        *(NodeSpec(f"x{k}", NodeKind.DECISION, player="A", infoset="s",
                   actions=(("l", f"y{k}"), ("r", f"z{k}"))) for k in (1, 2, 3)),
        *(NodeSpec(f"y{k}", NodeKind.DECISION, player="B", infoset="t",
                   actions=(("u", f"u{k}"), ("d", f"d{k}"))) for k in (1, 2, 3)),
        *(leaf(f"z{k}") for k in (1, 2, 3)),
        *(leaf(f"{a}{k}") for k in (1, 2, 3) for a in "ud"),
    ]
    with pytest.raises(GameError, match="imperfect recall: 'A' reaches 'x1' and 'x2' of infoset 's'"):
        build_game("forgets", ["A", "B"], specs)
