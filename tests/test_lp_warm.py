"""``lp``'s warm starts: HiGHS's basis kept between programs of one shape (policy.solvers.lp).

A sweep solves one game at many parameter values; from the second value on
each program starts from the previous optimal basis. The answers must be
those of solving every program from scratch: the same values (exactly, in
exact mode), verified equilibria, the same profile where the equilibrium is
unique, and the same as Lemke's algorithm, an independent method.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from policy.expr import parse
from policy.model import NodeKind, NodeSpec, Outcome, Parameter, build_game
from policy.solvers import lp as lp_module
from policy.solvers.enummixed import enummixed_solve
from policy.solvers.lcp import lcp_solve
from policy.solvers.lp import lp_solve
from tests import games
from tests.conftest import chance, decision, terminal

pytest.importorskip("highspy")

F = Fraction
BETS = [F(1, 2), F(3, 4), F(1), F(5, 4), F(3, 2), F(2), F(3)]


def kuhn_with_bet():
    """Kuhn (1950) poker with the bet a parameter ``bet`` (ante 1); ``bet = 1`` is Kuhn's game."""
    cards = "JQK"
    deals = [one + two for one in cards for two in cards if one != two]
    specs = [chance("deal", dict.fromkeys(deals, "1/6"), **{d: d for d in deals})]
    for d in deals:
        one, two = d
        win = 1 if cards.index(one) > cards.index(two) else -1
        called = f"{win} * (1 + bet)"
        specs += [
            decision(d, "P1", f"P1_{one}", check=f"{d}_c", bet=f"{d}_b"),
            decision(f"{d}_c", "P2", f"P2_{two}_check", check=f"{d}_cc", bet=f"{d}_cb"),
            decision(f"{d}_b", "P2", f"P2_{two}_bet", fold=f"{d}_bf", call=f"{d}_bc"),
            terminal(f"{d}_cc", win, -win),
            decision(f"{d}_cb", "P1", f"P1_{one}_cb", fold=f"{d}_cbf", call=f"{d}_cbc"),
            terminal(f"{d}_bf", 1, -1),
            bet_terminal(f"{d}_bc", called),
            terminal(f"{d}_cbf", -1, 1),
            bet_terminal(f"{d}_cbc", called),
        ]
    bet = Parameter("bet", "the size of a bet (the ante is 1)", F(1))
    return build_game("Kuhn poker, bet as a parameter", ["P1", "P2"], specs, parameters={"bet": bet})


def bet_terminal(name: str, first: str) -> NodeSpec:
    """A terminal whose payoffs use the parameter ``bet`` (zero-sum)."""
    payoffs = (parse(first, ["bet"]), parse(f"-({first})", ["bet"]))
    return NodeSpec(name=name, kind=NodeKind.TERMINAL, outcome=Outcome(name, payoffs))


def sweep(game, points, exact, warm, monkeypatch):
    monkeypatch.setattr(lp_module, "WARM_START", warm)
    before = lp_module._WARM.solver().warm_runs
    results = [lp_solve(game, values, exact=exact) for values in points]
    return results, lp_module._WARM.solver().warm_runs - before


@pytest.mark.parametrize("canonical", [True, False], ids=["canonical", "plain"])
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_kuhn_bet_sweep_warm_equals_cold_and_lemke(monkeypatch, exact, canonical):
    # Plain (lp.CANONICAL off): HiGHS's own optimum, a warm one that may not be
    # unique solved again from scratch; the same answers warm and cold either way.
    monkeypatch.setattr(lp_module, "CANONICAL", canonical)
    game = kuhn_with_bet()
    points = [{"bet": b if exact else float(b)} for b in BETS]
    cold, cold_runs = sweep(game, points, exact, False, monkeypatch)
    warm, warm_runs = sweep(game, points, exact, True, monkeypatch)
    # Kept bases are used.
    assert cold_runs == 0 and warm_runs >= 1
    for point, c, w in zip(points, cold, warm, strict=True):
        # Kuhn's first player has a line of optimal strategies: the answer is
        # the canonical point of the optimal face (or, plain, the optimum
        # from scratch), the same from the previous point's basis as cold.
        if exact:
            assert w.equilibria[0].probabilities == c.equilibria[0].probabilities
        else:
            assert w.equilibria[0].probabilities == pytest.approx(c.equilibria[0].probabilities, abs=1e-9)
        if exact:
            assert w.details["value"] == c.details["value"]
            assert w.equilibria[0].max_regret == 0 == c.equilibria[0].max_regret
            # Every equilibrium of a zero-sum game has its value: Lemke's is an independent check.
            assert w.details["value"] == lcp_solve(game, point).equilibria[0].values[0]
        else:
            assert w.details["value"] == pytest.approx(c.details["value"], abs=1e-9)
    # Kuhn (1950): the value of his game (bet 1) to the first player is -1/18.
    assert warm[BETS.index(1)].details["value"] == pytest.approx(F(-1, 18), abs=0 if exact else 1e-9)


#: The shared hide-and-seek game, with the last outcome depending on the bonus too,
#: so that its one equilibrium moves with the parameter.
GUESS = games.GUESS.replace('[nodes.rr]\npayoffs = { Hider = -1, Seeker = 1 }',
                            '[nodes.rr]\npayoffs = { Hider = "-1 - bonus / 4", Seeker = "1 + bonus / 4" }')
assert GUESS != games.GUESS


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_unique_equilibria_are_the_same_warm_and_cold(monkeypatch, exact):
    # A hide-and-seek game with one equilibrium at each bonus (enummixed,
    # which lists every extreme equilibrium, finds one): the warm and cold
    # sweeps must give that same profile, not only the same value.
    from policy.gamefile import loads_game

    game = loads_game(GUESS, "guess.toml", known_claims=[])
    bonuses = [F(k, 4) for k in range(1, 13)]
    points = [{"bonus": b if exact else float(b)} for b in bonuses]
    cold, _ = sweep(game, points, exact, False, monkeypatch)
    warm, warm_runs = sweep(game, points, exact, True, monkeypatch)
    assert warm_runs >= len(points)
    for point, c, w in zip(points, cold, warm, strict=True):
        assert len(enummixed_solve(game, {"bonus": F(point["bonus"])}).equilibria) == 1
        if exact:
            assert w.equilibria[0].probabilities == c.equilibria[0].probabilities
            assert w.details["value"] == c.details["value"]
        else:
            assert w.equilibria[0].probabilities == pytest.approx(c.equilibria[0].probabilities, abs=1e-9)


def test_without_highspy_linprog_gives_the_same_answer(monkeypatch):
    game = kuhn_with_bet()
    with_highs = [lp_solve(game, {"bet": b}).details["value"] for b in BETS]
    monkeypatch.setattr(lp_module._WARM, "solver", lambda: None)
    with_linprog = [lp_solve(game, {"bet": b}).details["value"] for b in BETS]
    assert with_highs == with_linprog


def test_highs_prints_nothing():
    # HiGHS logs a banner to stdout unless told not to before its first call;
    # a solve in a fresh process must leave stdout empty (JSON output relies on it).
    code = "from tests.test_lp import kuhn_poker\nfrom policy.solvers.lp import lp_solve\nlp_solve(kuhn_poker(), {})\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout == ""


def _child_value(queue):
    queue.put(lp_solve(kuhn_with_bet(), {"bet": F(2)}).details["value"])


def test_a_forked_child_solves_with_its_own_highs():
    # The parent has a HiGHS object with kept bases; a child made by fork()
    # builds its own (and HiGHS runs without worker threads, which would not
    # survive the fork).
    parent = lp_solve(kuhn_with_bet(), {"bet": F(2)}).details["value"]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_value, args=(queue,))
    child.start()
    got = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0 and got == parent


def test_the_kept_shape_rebuilds_the_constraint_matrix():
    # The solver keeps each shape's structure and only gathers new values; the
    # matrix must be the one assembled directly, for both players, at two bets.
    from scipy import sparse

    from policy import tolerances
    from policy.representations.sequence import sequence_form
    from policy.solvers.verify import payoff_scales

    game = kuhn_with_bet()
    solver = lp_module._WARM.solver()
    for bet in (F(1), F(5, 2)):
        numbers = game.numbers({"bet": bet}, exact=False)
        form = sequence_form(game, {"bet": bet}, exact=False)
        programs = lp_module._programs(form, tolerances.payoff_units(payoff_scales(numbers)))
        for player, program in enumerate(programs):
            _, shape = solver.shape(player, program.G, program.E, program.F)
            values = sparse.csc_matrix(
                sparse.vstack(lp_module._constraints(program.G, program.E, program.F)).toarray()
            )
            data = np.concatenate([-program.G.data, program.E.data, program.F.data])[shape.gather]
            rebuilt = sparse.csc_matrix((data, shape.indices, shape.indptr), shape=values.shape)
            assert (rebuilt != values).nnz == 0 and shape.upper == program.G.shape[1]


def _fresh_solver(monkeypatch):
    """A new HiGHS object with no kept bases (as in a new process)."""
    monkeypatch.setattr(lp_module, "_WARM", lp_module._WarmStarts())
    return lp_module._WARM.solver()


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_the_answer_does_not_depend_on_the_programs_solved_before(monkeypatch, exact):
    # Kuhn's first player has a line of optimal strategies (Kuhn 1950: the
    # bluffing weight alpha anywhere in [0, 1/3] at bet 1), so which optimal
    # vertex HiGHS reaches depends on where it starts. The canonical point of
    # the optimal face must not: each bet solved alone from scratch, then in
    # sweeps in three orders (each program warm-started from the one before),
    # gives the same profile, entry by entry, not only the same value.
    game = kuhn_with_bet()
    points = [{"bet": b if exact else float(b)} for b in BETS]
    alone = []
    for point in points:
        _fresh_solver(monkeypatch)
        alone.append(lp_solve(game, point, exact=exact))
    orders = [list(range(len(points))), list(reversed(range(len(points)))), [3, 0, 6, 1, 5, 2, 4]]
    for order in orders:
        solver = _fresh_solver(monkeypatch)
        got = {k: lp_solve(game, points[k], exact=exact) for k in order}
        assert solver.warm_runs >= len(points) and solver.fallbacks == 0  # the warm starts were kept
        for k, result in got.items():
            assert result.equilibria[0].probabilities == alone[k].equilibria[0].probabilities, (order, k)
            assert result.details["value"] == alone[k].details["value"]
    # Kuhn (1950): the value of his game (bet 1) to the first player is -1/18.
    assert alone[BETS.index(1)].details["value"] == pytest.approx(F(-1, 18), abs=0 if exact else 1e-9)


def test_poker_like_answers_do_not_depend_on_the_order():
    # Leduc-like poker (benchmarks' builder) with the payoffs perturbed per
    # sample, as in bench_lp_warm.py: one program shape, many optimal faces.
    # Alone from scratch and in two sweep orders: the same profiles.
    from benchmarks.bench_lp_warm import sweep_games

    games_ = sweep_games(364, 5)
    monkeypatch = pytest.MonkeyPatch()
    try:
        alone = []
        for game in games_:
            _fresh_solver(monkeypatch)
            alone.append(lp_solve(game, {}, exact=False).equilibria[0].probabilities)
        for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1]):
            solver = _fresh_solver(monkeypatch)
            for k in order:
                assert lp_solve(games_[k], {}, exact=False).equilibria[0].probabilities == alone[k]
            assert solver.warm_runs >= len(order) and solver.fallbacks == 0
    finally:
        monkeypatch.undo()
