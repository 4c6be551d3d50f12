"""What :func:`policy.render.tree.tree_view` draws against the whole-tree functions it stands in for.

The view finds reach only down to the depth it draws (and the depth of the
members of the sets it draws), and Bayes' beliefs only at the drawn sets of
several members. At every depth each drawn node must carry what
:func:`policy.solvers.verify.reach_probabilities` and
:func:`policy.solvers.verify.beliefs` give for the whole tree (the check's
consistent beliefs where a set is not reached and the profile is
sequential), exact and float.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policy.model import Game
from policy.render.tree import _reach_down_to, show, tree_view
from policy.solvers import solve
from policy.solvers.result import SolveResult
from policy.solvers.sequential import check_equilibrium
from policy.solvers.verify import beliefs, edge_weights, reach_probabilities
from tests.games import imperfect_games, kuhn_poker, selten_horse


def expected_drawing(game: Game, result: SolveResult) -> tuple[list[object], dict[str, dict[str, object]]]:
    """Reach at every node and the belief drawn at every member of a set of several, from the whole tree."""
    eq = result.equilibria[0]
    numbers = game.numbers(result.parameters, exact=result.exact)
    reach = reach_probabilities(game, edge_weights(game, numbers, eq.probabilities)).tolist()
    check = check_equilibrium(result, eq)
    held = {**{k: dict(v) for k, v in check.beliefs.items()}, **beliefs(game, numbers, eq.probabilities)} \
        if check.verdict else beliefs(game, numbers, eq.probabilities)
    return reach, held


def assert_drawn_as_whole(game: Game, result: SolveResult) -> None:
    reach, held = expected_drawing(game, result)
    for depth in [None, *range(int(game.depth.max()) + 1)]:
        view = tree_view(game, result.parameters, result, depth=depth)
        for node in view.nodes:
            if node.kind == "collapsed":
                continue
            assert show(node.reach) == show(reach[node.index])
            if node.kind != "decision":
                continue
            s = game.infosets.at(int(game.infoset[node.index]))
            want = held.get(s.name, {}).get(node.name) if len(s.members) > 1 else None
            assert node.belief == (None if want is None else show(want))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=30), st.booleans())
def test_random_games_drawn_at_every_depth_as_the_whole_tree_gives(game, exact):
    assert_drawn_as_whole(game, solve(game, {}, method="lcp", exact=exact))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(3,), max_nodes=25))
def test_three_player_games_drawn_as_the_whole_tree_gives(game):
    result = solve(game, {}, method="enumpure", exact=True)
    # Some of these games have no pure equilibrium (enumpure then returns none):
    # nothing is drawn for those.
    assume(result.equilibria)
    assert_drawn_as_whole(game, result)


def test_textbook_games_drawn_as_the_whole_tree_gives():
    # Kuhn poker (lcp: beliefs off the path from the check), Selten's horse (3 players).
    assert_drawn_as_whole(kuhn_poker(), solve(kuhn_poker(), {}, method="lcp", exact=True))
    horse = selten_horse()
    result = solve(horse, {}, method="enumpure", exact=True)
    assert len(result.equilibria) > 1
    for eq in result.equilibria:
        assert_drawn_as_whole(horse, dataclasses.replace(result, equilibria=(eq,)))


@settings(max_examples=40, deadline=None)
@given(imperfect_games(players=(2, 3), max_nodes=30), st.data())
def test_reach_down_to_a_depth_is_the_whole_reach_there(game, data):
    result = solve(game, {}, method="enumpure", exact=True)
    if not result.equilibria:
        return
    numbers = game.numbers({}, exact=True)
    weight = edge_weights(game, numbers, result.equilibria[0].probabilities)
    whole = reach_probabilities(game, weight)
    deepest = data.draw(st.integers(0, int(game.depth.max())))
    part = _reach_down_to(game, weight, deepest)
    for i in range(game.num_nodes):
        if game.depth[i] <= deepest:
            assert part[i] == whole[i]
        else:
            assert part[i] is None  # below: not computed, and not mistaken for a reach


def test_a_campaign_held_in_integers_is_drawn_with_the_whole_trees_numbers():
    # The branch campaign's numbers are integer arrays (outcomes above terminals):
    # the drawn payoffs come from them and the boxes' values from the
    # equilibrium's integers; both must be what the Fraction arrays give.
    from pathlib import Path

    from policy import api
    from policy.solvers.verify import subgame_values

    result = api.solve(Path(__file__).resolve().parent.parent / "games" / "ussr_1939_1941_stalin.toml",
                       leader="stalin", exact=True)
    game = result.game
    numbers = game.numbers(result.parameters, exact=True)
    assert numbers.ratios is not None
    eq = result.equilibria[0]
    values = subgame_values(game, numbers, edge_weights(game, numbers, eq.probabilities))
    row = {int(t): k for k, t in enumerate(game.terminals.tolist())}
    terminals = boxes = 0
    for depth in (4, 9, None):
        view = tree_view(game, result.parameters, result, depth=depth)
        for node in view.nodes:
            if node.kind == "terminal":
                assert node.payoffs == tuple(show(v) for v in numbers.leaf_payoff[row[node.index]])
                terminals += 1
            elif node.kind == "collapsed":
                assert node.expected == tuple(show(v) for v in values[node.index])
                boxes += 1
    assert terminals and boxes
