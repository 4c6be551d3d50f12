"""Classes of identical subtrees: nodes share a class exactly when their subtrees are the same game."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import Game, NodeKind, NodeSpec, Outcome, Parameter, build_game
from policy.subtrees import node_heights, subtree_classes
from tests.conftest import PARAMETERS, games_with_values

# One object per expression: a game's expressions are told apart by identity, and
# copies of a subtree are made from the same objects, as a campaign's splice does.
PAYOFFS = tuple(parse(t, PARAMETERS) for t in ("a", "b - a", "2*a + 1", "1", "0", "min(a, b)", "-1"))
TIE_PRONE = tuple(parse(t, PARAMETERS) for t in ("0", "1", "a"))
CHANCE = (
    (parse("q", PARAMETERS), parse("1 - q", PARAMETERS)),
    (parse("1/2"), parse("1/2")),
    (parse("1/3"), parse("2/3")),
)
PARAMETER_SPECS = {
    "a": Parameter("a", "a payoff parameter", None, None),
    "b": Parameter("b", "another payoff parameter", None, None),
    "q": Parameter("q", "a probability", None, None),
}

_KINDS = st.sampled_from(("terminal", "decision", "decision", "chance"))
_INNER = st.sampled_from(("decision", "decision", "chance"))
_BRANCHING = st.integers(1, 3)


def _shape(
    draw: st.DrawFn, depth: int, players: int, pool: tuple[Any, ...], copies: int, root: bool = False
) -> Any:
    """A random subtree as nested tuples; leaves may be ``("copy", k)``, a copy of template k."""
    kind = (draw(_INNER) if root else draw(_KINDS)) if depth > 0 else "terminal"
    if kind == "terminal" and copies and draw(st.integers(0, 3)) > 0:
        return ("copy", draw(st.integers(0, copies - 1)))
    outcome = None
    if kind == "terminal" or draw(st.integers(0, 3)) == 0:
        outcome = tuple(draw(st.integers(0, len(pool) - 1)) for _ in range(players))
    if kind == "terminal":
        return ("terminal", outcome)
    if kind == "chance":
        pair = draw(st.integers(0, len(CHANCE) - 1))
        kids = [_shape(draw, depth - 1, players, pool, copies) for _ in range(2)]
        return ("chance", pair, outcome, kids)
    player = draw(st.integers(0, players - 1))
    kids = [_shape(draw, depth - 1, players, pool, copies) for _ in range(draw(_BRANCHING))]
    return ("decision", player, outcome, kids)


@st.composite
def games_with_copies(draw: st.DrawFn, tie_prone: bool = False) -> Game:
    """A perfect-information game in which a few templates are copied at several places.

    Templates are small random subtrees; the tree above them is random, and
    each of its leaves is a terminal or a copy of a template. Payoffs and
    probabilities come from small pools of expression objects, so that
    different places also often hold equal subtrees by chance. Outcomes may
    sit on interior nodes (they add up along the path).
    """
    players = draw(st.integers(2, 3))
    pool = TIE_PRONE if tie_prone else PAYOFFS
    templates = [
        _shape(draw, draw(st.integers(1, 2)), players, pool, 0, root=True) for _ in range(draw(st.integers(1, 3)))
    ]
    top = _shape(draw, draw(st.integers(2, 4)), players, pool, len(templates), root=True)
    specs: list[NodeSpec] = []
    names = [f"P{i + 1}" for i in range(players)]

    def add(shape: Any) -> str:
        if shape[0] == "copy":
            return add(templates[shape[1]])
        name = f"n{len(specs)}"
        specs.append(NodeSpec(name, NodeKind.TERMINAL))  # a placeholder, for the numbering
        at = len(specs) - 1
        kind = shape[0]
        payoffs = shape[1] if kind == "terminal" else shape[2]
        outcome = Outcome(f"o{at}", tuple(pool[k] for k in payoffs)) if payoffs is not None else None
        if kind == "terminal":
            specs[at] = NodeSpec(name, NodeKind.TERMINAL, outcome=outcome)
            return name
        kids = [add(k) for k in shape[3]]
        actions = tuple((f"x{j}", kid) for j, kid in enumerate(kids))
        if kind == "chance":
            specs[at] = NodeSpec(name, NodeKind.CHANCE, actions=actions, probabilities=CHANCE[shape[1]],
                                 outcome=outcome)
        else:
            specs[at] = NodeSpec(name, NodeKind.DECISION, player=names[shape[1]], actions=actions,
                                 outcome=outcome)
        return name

    add(top)
    return build_game("copies", names, specs, root="n0", parameters=PARAMETER_SPECS)


def canonical_terms(game: Game) -> list[Any]:
    """Each node's subtree as a nested tuple of ids (the definition, computed naively)."""
    table = game._expression_table()
    payoff = {int(n): tuple(table.payoff_index[k].tolist()) for k, n in enumerate(table.outcome_nodes)}
    prob = {int(c): int(table.chance_index[k]) for k, c in enumerate(table.chance_edges)}
    terms: list[Any] = [None] * game.num_nodes
    for n in range(game.num_nodes - 1, -1, -1):
        kind = int(game.kind[n])
        mover = int(game.player[n]) if kind == NodeKind.DECISION else -1
        kids = tuple((terms[c], prob.get(c, -1)) for c in game.children_of(n))
        terms[n] = (kind, mover, payoff.get(n), kids)
    return terms


def check_classes(game: Game) -> None:
    classes = subtree_classes(game)
    terms = canonical_terms(game)
    # Same class exactly when the same subtree.
    first: dict[Any, int] = {}
    for n, term in enumerate(terms):
        cls = first.setdefault(term, int(classes.of_node[n]))
        assert cls == int(classes.of_node[n]), game.node_names[n]
    assert classes.count == len(first)
    # Each class's first node, its size, its children.
    for c in range(classes.count):
        members = np.flatnonzero(classes.of_node == c)
        assert classes.node[c] == members[0]
        assert classes.size[c] == len(members)
        rep = int(classes.node[c])
        kids = list(game.children_of(rep))
        start = int(classes.first_kid[c])
        assert classes.num_kids[c] == len(kids)
        assert classes.kid_node[start : start + len(kids)].tolist() == kids
        assert classes.kids[start : start + len(kids)].tolist() == classes.of_node[kids].tolist()
        # Children before parents, classes grouped by height.
        assert all(k < c for k in classes.of_node[kids].tolist())
    height = node_heights(game)
    for h, (lo, hi) in enumerate(classes.heights):
        assert (height[classes.node[lo:hi]] == h).all()


@settings(max_examples=80, deadline=None)
@given(games_with_copies())
def test_nodes_share_a_class_exactly_when_their_subtrees_are_the_same(game):
    check_classes(game)


@settings(max_examples=40, deadline=None)
@given(games_with_values(symbolic=True, interior_payoffs=True))
def test_classes_of_random_games(case):
    check_classes(case[0])


def test_copies_of_a_stage_share_one_class_and_different_payoffs_do_not():
    one, two = parse("1"), parse("2")
    specs = [
        NodeSpec("root", NodeKind.DECISION, player="A", actions=(("l", "x"), ("m", "y"), ("r", "z"))),
        NodeSpec("x", NodeKind.DECISION, player="B", actions=(("u", "x1"), ("d", "x2"))),
        NodeSpec("y", NodeKind.DECISION, player="B", actions=(("u", "y1"), ("d", "y2"))),
        NodeSpec("z", NodeKind.DECISION, player="B", actions=(("u", "z1"), ("d", "z2"))),
        NodeSpec("x1", NodeKind.TERMINAL, outcome=Outcome("x1", (one, two))),
        NodeSpec("x2", NodeKind.TERMINAL, outcome=Outcome("x2", (two, one))),
        NodeSpec("y1", NodeKind.TERMINAL, outcome=Outcome("y1", (one, two))),
        NodeSpec("y2", NodeKind.TERMINAL, outcome=Outcome("y2", (two, one))),
        NodeSpec("z1", NodeKind.TERMINAL, outcome=Outcome("z1", (two, two))),
        NodeSpec("z2", NodeKind.TERMINAL, outcome=Outcome("z2", (two, one))),
    ]
    game = build_game("g", ["A", "B"], specs)
    classes = subtree_classes(game)
    of = {name: int(classes.of_node[game.nodes[name].index]) for name in game.node_names}
    assert of["x"] == of["y"] != of["z"]  # z differs in one payoff
    assert of["x1"] == of["y1"] != of["z1"]
    assert of["x2"] == of["y2"] == of["z2"]
    assert classes.count == 6  # root, {x, y}, z, {x1, y1}, z1, {x2, y2, z2}
    assert classes.size[of["x2"]] == 3


def test_without_merging_every_node_is_a_class():
    game = _two_copies()
    merged, separate = subtree_classes(game), subtree_classes(game, merge=False)
    assert merged.count < game.num_nodes
    assert separate.count == game.num_nodes
    assert sorted(separate.of_node.tolist()) == list(range(game.num_nodes))
    assert (separate.size == 1).all()


def _two_copies() -> Game:
    one = parse("1")
    specs = [
        NodeSpec("root", NodeKind.CHANCE, actions=(("l", "x"), ("r", "y")), probabilities=CHANCE[1]),
        NodeSpec("x", NodeKind.DECISION, player="A", actions=(("u", "x1"), ("d", "x2"))),
        NodeSpec("y", NodeKind.DECISION, player="A", actions=(("u", "y1"), ("d", "y2"))),
        *(NodeSpec(n, NodeKind.TERMINAL, outcome=Outcome(n, (one, one))) for n in ("x1", "x2", "y1", "y2")),
    ]
    return build_game("two copies", ["A", "B"], specs)
