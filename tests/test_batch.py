"""The batch solver: N samples at once must agree with solving each sample exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.analysis.batch import BatchGame
from policy.bundled import games_dir
from policy.expr import parse
from policy.gamefile import load_game
from policy.leaders import load_leader, resolve
from policy.model import GameError, NodeKind, NodeSpec, Outcome, Parameter, build_game
from policy.solvers import solve
from policy.solvers.backward import spe_solve
from policy.solvers.errors import SolverError
from tests.conftest import chance, decision, games_with_values, terminal
from tests.test_subtrees import games_with_copies


def exact_reference(game, values):
    """Choices (action positions per decision node), payoffs, outcome probabilities, ties."""
    result = spe_solve(game, values, exact=True)
    eq = result.equilibria[0]
    nodes = np.flatnonzero(game.kind == NodeKind.DECISION)
    behavior = eq.behavior
    choice = []
    for n in nodes.tolist():
        s = game.infosets.at(int(game.infoset[n]))
        actions = list(behavior[s.name])
        choice.append(next(k for k, a in enumerate(actions) if behavior[s.name][a] == 1))
    return np.array(choice), [float(v) for v in eq.values], [float(r) for r in eq.reach], result.ties


@settings(max_examples=60, deadline=None)
@given(games_with_values(symbolic=True, interior_payoffs=True), st.integers(1, 6), st.randoms())
def test_batch_equals_exact_backward_induction_sample_by_sample(case, n, rng):
    game, base = case
    draws = [
        {"a": base["a"] + Fraction(rng.randint(-8, 8), 4), "b": base["b"] + Fraction(rng.randint(-8, 8), 4),
         "q": Fraction(rng.randint(0, 8), 8)}
        for _ in range(n)
    ]
    samples = {k: np.array([float(d[k]) for d in draws]) for k in ("a", "b", "q")}
    batch = BatchGame(game).solve(samples)
    assert batch.size == n
    for i, values in enumerate(draws):
        choice, payoffs, reach, ties = exact_reference(game, values)
        assert batch.payoffs[i] == pytest.approx(payoffs, abs=1e-9)
        if ties:
            # Both take the first best action, but float and exact may see a tie differently
            # only within the tolerance; exact ties must be flagged.
            tied = {game.node_names[n] for n in batch.decision_nodes[batch.tie[i]]}
            assert set(ties) <= tied
            continue
        assert not batch.tie[i].any()
        assert batch.choice[i].tolist() == choice.tolist()
        assert batch.outcome_probability[i] == pytest.approx(reach, abs=1e-12)


def outcome_node(name, *payoffs, names=("cost",)):
    """A terminal whose payoffs may use the given parameters."""
    return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, tuple(parse(p, names) for p in payoffs)))


def entry_game():
    """Entry deterrence with a cost of fighting; the entrant enters iff the incumbent accommodates."""
    specs = [
        decision("root", "Entrant", stay_out="out", enter="response"),
        decision("response", "Incumbent", fight="war", accommodate="shared"),
        outcome_node("out", "0", "2"),
        outcome_node("war", "-1", "1 - cost"),
        outcome_node("shared", "1", "1"),
    ]
    params = {"cost": Parameter("cost", "cost of fighting", Fraction(1), (Fraction(-1), Fraction(2)))}
    return build_game("entry", ["Entrant", "Incumbent"], specs, parameters=params)


def test_entry_game_flips_where_fighting_stops_paying():
    game = entry_game()
    cost = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    batch = BatchGame(game).solve({"cost": cost})
    # The incumbent fights iff 1 - cost > 1, i.e. cost < 0; at cost = 0 it is indifferent.
    response = list(batch.decision_nodes).index(game.nodes["response"].index)
    assert batch.choice[:, response].tolist() == [0, 0, 1, 1, 1]
    assert batch.tie[:, response].tolist() == [False, True, False, False, False]
    root = list(batch.decision_nodes).index(0)
    assert batch.choice[:, root].tolist() == [0, 0, 1, 1, 1]
    war = list(game.terminals).index(game.nodes["war"].index)
    assert batch.outcome_probability[:, war].tolist() == [0, 0, 0, 0, 0]
    # The tie at cost = 0 is off the path: the entrant stays out, expecting a fight.
    assert not batch.any_tie_on_path().any()
    # Off the path, the response is still recorded; path_choices masks it.
    assert batch.path_choices()[0].tolist() == [0, -1]


def test_a_tie_on_the_path_is_reported():
    specs = [
        decision("root", "A", left="x", right="y"),
        outcome_node("x", "cost", "0"),
        outcome_node("y", "0", "1"),
    ]
    params = {"cost": Parameter("cost", "c", None, None)}
    game = build_game("tie", ["A", "B"], specs, parameters=params)
    batch = BatchGame(game).solve({"cost": np.array([-1.0, 0.0, 1.0])})
    assert batch.any_tie_on_path().tolist() == [False, True, False]
    assert batch.choice[:, 0].tolist() == [1, 0, 0]
    assert batch.payoffs.tolist() == [[0, 1], [0, 0], [1, 0]]


def test_scalar_values_broadcast_and_chunks_join():
    game = entry_game()
    whole = BatchGame(game).solve({"cost": np.linspace(-1, 2, 101)})
    pieces = BatchGame(game).solve({"cost": np.linspace(-1, 2, 101)}, chunk=7)
    assert np.array_equal(whole.choice, pieces.choice)
    assert np.array_equal(whole.outcome_probability, pieces.outcome_probability)
    one = BatchGame(game).solve({"cost": 0.5})
    assert one.size == 1


def test_chance_probability_outside_unit_interval_names_the_sample():
    specs = [
        NodeSpec("root", NodeKind.CHANCE, actions=(("l", "x"), ("r", "y")),
                 probabilities=(parse("q", ["q"]), parse("1 - q", ["q"]))),
        terminal("x", 1, 0),
        terminal("y", 0, 1),
    ]
    game = build_game("c", ["A", "B"], specs, parameters={"q": Parameter("q", "p", None, None)})
    with pytest.raises(GameError, match="at sample 2, the probability of 'l' is 1.5"):
        BatchGame(game).solve({"q": np.array([0.1, 0.5, 1.5])})


def test_imperfect_information_of_two_movers_is_solved_as_spe_solves_it():
    # A subgame of imperfect information (B does not see A's move): solved by
    # Lemke's method on its sequence form, as spe does (tests/test_batch_subgames.py).
    specs = [
        decision("root", "A", l="x", r="y"),
        decision("x", "B", "guess", u="t1", d="t2"),
        decision("y", "B", "guess", u="t3", d="t4"),
        *(terminal(f"t{k}", k, -k) for k in range(1, 5)),
    ]
    game = build_game("guess", ["A", "B"], specs)
    result = BatchGame(game).solve({})
    eq = solve(game, {}, method="spe", exact=False).equilibria[0]
    np.testing.assert_allclose(result.payoffs[0], eq.values, atol=1e-12)
    np.testing.assert_allclose(result.outcome_probability[0], eq.reach, atol=1e-12)


def test_one_mover_subgame_is_refused_with_the_reason():
    # A decision problem under uncertainty: A does not see the chance move.
    specs = [
        chance("root", {"l": "1/2", "r": "1/2"}, l="x", r="y"),
        decision("x", "A", "blind", u="t1", d="t2"),
        decision("y", "A", "blind", u="t3", d="t4"),
        *(terminal(f"t{k}", k, -k) for k in range(1, 5)),
    ]
    with pytest.raises(SolverError, match="1 player"):
        BatchGame(build_game("blind", ["A", "B"], specs))


@pytest.mark.parametrize("leader", ["stalin", "tukhachevsky"])
def test_bundled_scenario_at_leader_values_matches_spe(leader):
    game = load_game(games_dir() / "diplomacy_1939.toml")
    values = resolve(game, load_leader(leader))
    batch = BatchGame(game).solve({k: float(v) for k, v in values.items()})
    choice, payoffs, reach, _ = exact_reference(game, values)
    assert batch.choice[0].tolist() == choice.tolist()
    assert batch.payoffs[0] == pytest.approx(payoffs)
    assert batch.outcome_probability[0] == pytest.approx(reach)


# ---------------------------------------------------------------------------------
# Identical subtrees solved once (policy.subtrees)
# ---------------------------------------------------------------------------------
def assert_same_answers(merged, separate):
    """Every answer of two batch results, bit for bit."""
    assert np.array_equal(merged.choice, separate.choice)
    assert np.array_equal(merged.tie, separate.tie)
    assert np.array_equal(merged.payoffs, separate.payoffs)
    assert np.array_equal(merged.outcome_probability, separate.outcome_probability)
    assert np.array_equal(merged.decision_reach, separate.decision_reach)
    assert np.array_equal(merged.path_choices(), separate.path_choices())
    assert np.array_equal(merged.any_tie_on_path(), separate.any_tie_on_path())
    assert np.array_equal(merged.action_counts(), separate.action_counts())


@settings(max_examples=80, deadline=None)
@given(games_with_copies(), st.booleans(), st.integers(1, 40), st.randoms())
def test_solving_each_class_once_equals_solving_every_node(game, tie_prone, n, rng):
    if tie_prone:
        # Payoffs 0, 1 or a with a in {0, 1}: movers are often indifferent.
        samples = {"a": np.array([float(rng.randint(0, 1)) for _ in range(n)]), "b": 0.0, "q": 0.5}
    else:
        samples = {
            "a": np.array([rng.randint(-8, 8) / 4 for _ in range(n)]),
            "b": np.array([rng.randint(-8, 8) / 4 for _ in range(n)]),
            "q": np.array([rng.randint(0, 8) / 8 for _ in range(n)]),
        }
    merged = BatchGame(game).solve(samples, chunk=rng.randint(1, 50))
    separate = BatchGame(game, merge=False).solve(samples)
    assert_same_answers(merged, separate)


@settings(max_examples=40, deadline=None)
@given(games_with_copies(tie_prone=True))
def test_each_class_once_on_tie_prone_games(game):
    samples = {"a": np.array([0.0, 1.0, -1.0]), "b": 0.0, "q": np.array([0.0, 0.5, 1.0])}
    assert_same_answers(BatchGame(game).solve(samples), BatchGame(game, merge=False).solve(samples))


@settings(max_examples=40, deadline=None)
@given(games_with_copies(), st.randoms())
def test_each_class_once_agrees_with_exact_backward_induction(game, rng):
    draws = [
        {"a": Fraction(rng.randint(-8, 8), 4), "b": Fraction(rng.randint(-8, 8), 4), "q": Fraction(rng.randint(0, 8), 8)}
        for _ in range(4)
    ]
    samples = {k: np.array([float(d[k]) for d in draws]) for k in ("a", "b", "q")}
    batch = BatchGame(game).solve(samples)
    for i, values in enumerate(draws):
        choice, payoffs, reach, ties = exact_reference(game, values)
        assert batch.payoffs[i] == pytest.approx(payoffs, abs=1e-9)
        if not ties:
            assert batch.choice[i].tolist() == choice.tolist()
            assert batch.outcome_probability[i] == pytest.approx(reach, abs=1e-12)


def test_action_counts_add_up_the_choices():
    game = entry_game()
    batch = BatchGame(game).solve({"cost": np.array([-0.5, 0.0, 0.5, 1.0, 1.5, 2.0])})
    offsets = game.infoset_offsets[game.infoset[batch.decision_nodes]]
    expected = np.bincount((offsets[None, :] + batch.choice).ravel(), minlength=game.num_actions)
    assert batch.action_counts().tolist() == expected.tolist()


def copied_stage(first: str, second: str) -> list[NodeSpec]:
    """A chance move between two copies of one stage, payoffs on the stage roots too."""
    stage_payoff = Outcome("stage", (parse(first, ["big"]), parse(second, ["big"])))
    specs = [
        NodeSpec("root", NodeKind.CHANCE, actions=(("l", "s1"), ("r", "s2")),
                 probabilities=(parse("1/2"), parse("1/2"))),
    ]
    for s in ("s1", "s2"):
        specs += [
            NodeSpec(s, NodeKind.DECISION, player="A", actions=(("u", f"{s}u"), ("d", f"{s}d")),
                     outcome=stage_payoff),
            NodeSpec(f"{s}u", NodeKind.TERMINAL, outcome=stage_payoff),
            outcome_node(f"{s}d", "0", "1", names=("big",)),
        ]
    return specs


def test_a_sum_of_payoffs_that_overflows_names_the_terminal_and_the_sample():
    params = {"big": Parameter("big", "b", None, None)}
    game = build_game("overflow", ["A", "B"], copied_stage("big", "0"), parameters=params)
    assert game._expression_table().interior_outcomes
    # At sample 1 the stage root and its terminal each pay 1e308: their sum is not finite.
    for merge in (True, False):
        with pytest.raises(GameError, match="at sample 1, a payoff is not a finite number") as err:
            BatchGame(game, merge=merge).solve({"big": np.array([1.0, 1e308, 2.0])})
        assert "s1u" in str(err.value) or "nodes.s1u" in err.value.path


def test_large_payoffs_whose_sums_stay_finite_are_solved():
    # Beyond the quick bound (largest payoff times outcomes on a path, under 2**1000)
    # the sums are walked; 8e307 twice is 1.6e308, still a float: no error.
    params = {"big": Parameter("big", "b", None, None)}
    game = build_game("large", ["A", "B"], copied_stage("big", "0"), parameters=params)
    got = BatchGame(game).solve({"big": np.array([1.0, 8e307, 1e300])})
    np.testing.assert_array_equal(got.payoffs[:, 0], [2.0, 1.6e308, 2e300])


def test_a_payoff_that_is_not_finite_names_the_first_terminal_below_it():
    params = {"big": Parameter("big", "b", None, None)}
    game = build_game("nan", ["A", "B"], copied_stage("log(big)", "0"), parameters=params)
    with pytest.raises(GameError, match="at sample 2, a payoff is not a finite number") as err:
        BatchGame(game).solve({"big": np.array([1.0, 2.0, -1.0])})
    assert "s1u" in str(err.value) or "nodes.s1u" in err.value.path


def test_a_bad_probability_in_copied_subtrees_names_the_first_copy():
    q = parse("q", ["q"])
    rest = parse("1 - q", ["q"])
    one = parse("1")
    specs = [decision("root", "A", l="c1", r="c2")]
    for c in ("c1", "c2"):
        specs += [
            NodeSpec(c, NodeKind.CHANCE, actions=(("h", f"{c}h"), ("t", f"{c}t")), probabilities=(q, rest)),
            NodeSpec(f"{c}h", NodeKind.TERMINAL, outcome=Outcome("h", (one, one))),
            NodeSpec(f"{c}t", NodeKind.TERMINAL, outcome=Outcome("t", (one, one))),
        ]
    game = build_game("copies", ["A", "B"], specs, parameters={"q": Parameter("q", "p", None, None)})
    assert BatchGame(game).classes.of_node[1] == BatchGame(game).classes.of_node[2]
    for merge in (True, False):
        with pytest.raises(GameError, match="at sample 1, the probability of 'h' is -0.5") as err:
            BatchGame(game, merge=merge).solve({"q": np.array([0.5, -0.5, 2.0])})
        assert "c1" in str(err.value) and "c2" not in str(err.value)
