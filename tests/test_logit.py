"""Logit (``logit``): literature values, fixed points, Gambit and nashpy cross-checks, properties.

Every returned equilibrium is checked here again, with our ``behavior_regret``
and, where the game is small, with Gambit's ``max_regret``. Games from
Gambit's catalogue are converted to ours by ``tests.games.from_pygambit``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.expr import parse
from policy.model import Game, NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import logit
from policy.solvers.backward import spe_solve
from policy.solvers.errors import SolverError
from policy.solvers.logit import logit_solve
from policy.solvers.verify import behavior_regret, edge_weights, reach_probabilities
from tests.conftest import (
    chance,
    decision,
    gambit_regret,
    games_with_values,
    needs_pygambit,
    pygambit,
    terminal,
    to_pygambit,
)
from tests.games import (
    battle_of_the_sexes,
    centipede,
    entry_deterrence,
    from_pygambit,
    matching_pennies,
    selten_horse,
    table_game,
)

#: A float equilibrium's regret must be below this times max(1, largest |payoff|)
#: (the solver's own acceptance test, tolerances.REGRET).
REGRET_TOL = 1e-9
#: Our QRE at a given lambda against an independent computation of the same point.
QRE_TOL = 1e-7
#: Our equilibrium against Gambit's logit answer, which stops at regret 1e-8
#: times the payoff range and so is that close, not closer, to the limit.
GAMBIT_TOL = 1e-5


# ---------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------
def random_game(seed: int, n_players: int = 2, depth: int = 3, generic: bool = True,
                p_stop: float = 0.2) -> Game:
    """A random game with imperfect information and perfect recall.

    Each depth has one mover (a player, or chance below the root) and a number
    of actions; the mover sees some earlier moves, always including their own
    and everything they saw before (so recall is perfect), and nodes with the
    same visible history form an information set. ``generic`` payoffs are
    multiples of 1/1000, so ties (and continua of equilibria) are unlikely.
    """
    rng = random.Random(seed)
    movers: list[int] = []
    seen: list[set[int]] = []
    arity: list[int] = []
    for d in range(depth):
        mover = -1 if d and rng.random() < 0.2 else rng.randrange(n_players)
        movers.append(mover)
        arity.append(rng.randint(2, 3))
        sees: set[int] = set()
        if mover >= 0:
            for e in range(d):
                if movers[e] == mover:
                    sees |= {e} | seen[e]
                elif rng.random() < 0.5:
                    sees.add(e)
        seen.append(sees)
    players = [f"P{i + 1}" for i in range(n_players)]
    specs: list[NodeSpec] = []
    queue: list[tuple[str, tuple[int, ...]]] = [("r", ())]
    while queue:
        name, history = queue.pop(0)
        d = len(history)
        if d == depth or (d and rng.random() < p_stop):
            if generic:
                values = [Fraction(rng.randint(-9000, 9000), 1000) for _ in players]
            else:
                values = [Fraction(rng.randint(-9, 9)) for _ in players]
            specs.append(NodeSpec(name, NodeKind.TERMINAL,
                                  outcome=Outcome(name, tuple(parse(v) for v in values))))
            continue
        kids = [(f"a{j}", f"{name}_{j}") for j in range(arity[d])]
        queue.extend((kid, (*history, j)) for j, (_, kid) in enumerate(kids))
        if movers[d] < 0:
            weights = [rng.randint(1, 4) for _ in kids]
            probs = tuple(parse(Fraction(w, sum(weights))) for w in weights)
            specs.append(NodeSpec(name, NodeKind.CHANCE, actions=tuple(kids), probabilities=probs))
        else:
            visible = ",".join(str(history[e]) for e in sorted(seen[d]))
            specs.append(NodeSpec(name, NodeKind.DECISION, player=players[movers[d]],
                                  actions=tuple(kids), infoset=f"L{d}:{visible}"))
    return build_game(f"random {seed}", players, specs)


# ---------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------
def assert_equilibrium(game: Game, values: dict[str, Any], eq: Any, exact: bool) -> None:
    """Our own regret test, from scratch (and exactly 0 for an exact answer)."""
    numbers = game.numbers(values, exact=exact)
    regret, _ = behavior_regret(game, numbers, list(eq.probabilities))
    if exact:
        assert regret == 0
        assert all(isinstance(p, Fraction) for p in eq.probabilities)
    else:
        scale = max(1.0, float(np.max(np.abs(np.asarray(numbers.leaf_payoff, dtype=float)))))
        assert float(regret) <= REGRET_TOL * scale
    for s in game.infosets.values():
        block = eq.probabilities[s.offset : s.offset + len(s.actions)]
        assert all(p >= 0 for p in block)
        assert sum(block) == pytest.approx(1, abs=1e-12)


def same_on_path(game: Game, a: Sequence[float], b: Sequence[float], tol: float) -> bool:
    """Same outcome distribution, and the same behaviour wherever either reaches."""
    numbers = game.numbers({}, exact=False)
    ra = reach_probabilities(game, edge_weights(game, numbers, list(a)))
    rb = reach_probabilities(game, edge_weights(game, numbers, list(b)))
    if np.max(np.abs(ra - rb)) > tol:
        return False
    for s in game.infosets.values():
        if max(ra[m] for m in s.members) > 1e-6:
            k = slice(s.offset, s.offset + len(s.actions))
            if np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k]))) > tol:
                return False
    return True


def gambit_logit(game: Game) -> tuple[np.ndarray, float]:
    """Gambit's logit equilibrium of the same game, in our action order, and its regret."""
    g, actions = to_pygambit(game, {})
    profile = pygambit.nash.logit_solve(g).equilibria[0]
    flat = [float(profile[actions[(s.name, a)]]) for s in game.infosets.values() for a in s.actions]
    return np.array(flat), float(profile.max_regret())


# ---------------------------------------------------------------------------------
# Literature
# ---------------------------------------------------------------------------------
def ochs() -> Game:
    # Ochs (1995), "Games with unique, mixed strategy equilibria", GEB 10: matching
    # pennies where row wins 9 on (U, L). The equilibrium makes row indifferent,
    # so column plays L with 1/10, and row mixes 1/2; the logit QRE, though, has
    # row play U more than half the time at every finite lambda (McKelvey and
    # Palfrey 1995, section 5, the "own payoff effect").
    return table_game(([[9, 0], [0, 1]], [[0, 1], [1, 0]]), "Ochs asymmetric matching pennies",
                      [["U", "D"], ["L", "R"]])


def jordan() -> Game:
    # Jordan (1993), "Three problems in learning mixed-strategy Nash equilibria",
    # GEB 5: three players in a ring, each wants to match the next one but the last
    # wants to mismatch the first. The unique equilibrium: everyone mixes 1/2.
    a, b, c = np.indices((2, 2, 2))
    payoffs = [(a == b).astype(int).tolist(), (b == c).astype(int).tolist(),
               (c != a).astype(int).tolist()]
    return table_game(payoffs, "Jordan's three-player matching pennies")


def test_matching_pennies_is_one_half_each():
    result = logit_solve(matching_pennies(), {}, exact=True)
    assert result.method == "logit" and result.exact
    (eq,) = result.equilibria
    assert list(eq.probabilities) == [Fraction(1, 2)] * 4
    assert eq.payoffs == {"P1": 0, "P2": 0}
    assert eq.max_regret == 0
    assert result.details["qre"] is False and result.details["lambda"] > 0


def test_battle_of_the_sexes_ends_at_an_equilibrium():
    game = battle_of_the_sexes()
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert_equilibrium(game, {}, eq, exact=True)
    pure = [(1, 0, 1, 0), (0, 1, 0, 1)]
    mixed = (Fraction(2, 3), Fraction(1, 3), Fraction(1, 3), Fraction(2, 3))
    assert tuple(eq.probabilities) in [*pure, mixed]
    # The game is symmetric; the branch keeps its symmetry through the pitchfork
    # bifurcation (module docstring) and so ends at the symmetric, mixed equilibrium.
    assert tuple(eq.probabilities) == mixed


def test_ochs_game_limit_and_own_payoff_effect():
    game = ochs()
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert eq.behavior == {"P1": {"U": Fraction(1, 2), "D": Fraction(1, 2)},
                           "P2": {"L": Fraction(1, 10), "R": Fraction(9, 10)}}
    for lam in (0.5, 1.0, 2.0, 5.0):
        (qre,) = logit_solve(game, {}, lam=lam).equilibria
        assert qre.behavior["P1"]["U"] > 0.5  # own payoff effect
        assert qre.behavior["P2"]["L"] > 0.1


def logit_fixed_point_2x2(a: Any, b: Any, lam: float) -> tuple[float, float]:
    """The logit QRE of a 2x2 bimatrix game by scipy's fsolve, from the centroid.

    p = P(row plays 0), q = P(column plays 0); each is the logistic function of
    lambda times the difference of the expected payoffs of the two actions.
    """
    from scipy.optimize import fsolve

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)

    def equations(v: np.ndarray) -> list[float]:
        p, q = v
        row = a @ np.array([q, 1 - q])
        col = np.array([p, 1 - p]) @ b
        return [p - 1 / (1 + math.exp(-lam * (row[0] - row[1]))),
                q - 1 / (1 + math.exp(-lam * (col[0] - col[1])))]

    p, q = fsolve(equations, [0.5, 0.5], xtol=1e-14)
    return float(p), float(q)


@pytest.mark.parametrize("lam", [1.0, 2.0])
@pytest.mark.parametrize(
    "make, a, b",
    [(ochs, [[9, 0], [0, 1]], [[0, 1], [1, 0]]),
     (matching_pennies, [[1, -1], [-1, 1]], [[-1, 1], [1, -1]]),
     (lambda: table_game(([[3, 0], [5, 1]], [[3, 5], [0, 1]]), "prisoners", ["CD", "CD"]),
      [[3, 0], [5, 1]], [[3, 5], [0, 1]])],
    ids=["ochs", "pennies", "prisoners"],
)
def test_qre_at_lambda_is_the_logit_fixed_point(make, a, b, lam):
    game = make()
    result = logit_solve(game, {}, lam=lam)
    (qre,) = result.equilibria
    p, q = logit_fixed_point_2x2(a, b, lam)
    assert qre.probabilities[0] == pytest.approx(p, abs=QRE_TOL)
    assert qre.probabilities[2] == pytest.approx(q, abs=QRE_TOL)
    assert result.details == {"lambda": lam, "steps": result.details["steps"], "qre": True}
    assert f"quantal response equilibrium at lambda={lam:g}" in result.warnings[0]
    assert not result.exact


def test_qre_at_lambda_zero_is_uniform():
    (qre,) = logit_solve(jordan(), {}, lam=0.0).equilibria
    assert list(qre.probabilities) == [0.5] * 6


def test_three_player_ring_has_its_unique_mixed_equilibrium():
    game = jordan()
    result = logit_solve(game, {}, exact=True)
    (eq,) = result.equilibria
    assert result.exact and list(eq.probabilities) == [Fraction(1, 2)] * 6
    assert eq.values == (Fraction(1, 2),) * 3


def test_entry_deterrence_logit_limit_is_the_subgame_perfect_equilibrium():
    # Selten (1978), "The chain store paradox": the threat to fight is not
    # credible. (stay out, fight) is a Nash equilibrium too; logit, like
    # trembling-hand perfection (Selten 1975), selects (enter, accommodate).
    game = entry_deterrence()
    for cost in (Fraction(0), Fraction(1), Fraction(3)):
        values = {"fight_cost": cost}
        (eq,) = logit_solve(game, values, exact=True).equilibria
        (spe,) = spe_solve(game, values).equilibria
        assert eq.probabilities == spe.probabilities
        assert eq.behavior == {"entry": {"enter": 1, "stay_out": 0},
                               "response": {"fight": 0, "accommodate": 1}}


def test_centipede_logit_limit_is_backward_induction():
    # Rosenthal (1981), four legs: in this perfect-information game the logit
    # limit is the backward-induction equilibrium, player 1 taking at once.
    game = centipede(4)
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    (spe,) = spe_solve(game, {}).equilibria
    assert eq.probabilities == spe.probabilities
    assert eq.outcomes["took1"] == 1


def test_a_set_only_a_zero_probability_chance_move_reaches():
    # Set k is reached only if chance picks b, which it never does. Beliefs there
    # follow P1's mixing (as if b had a vanishing probability), and P2 chooses r.
    specs = [chance("root", {"a": "1", "b": "0"}, a="A", b="B"),
             decision("A", "P1", infoset="i", x="A1", y="A2"),
             decision("B", "P1", infoset="i", x="B1", y="B2"),
             decision("A1", "P2", infoset="j", l="t1", r="t2"),
             decision("A2", "P2", infoset="j", l="t3", r="t4"),
             decision("B1", "P2", infoset="k", l="t5", r="t6"),
             decision("B2", "P2", infoset="k", l="t7", r="t8"),
             terminal("t1", 1, -1), terminal("t2", -1, 1), terminal("t3", -1, 1),
             terminal("t4", 1, -1), terminal("t5", 3, 0), terminal("t6", 0, 3),
             terminal("t7", 0, 0), terminal("t8", 5, 5)]
    game = build_game("zero chance", ["P1", "P2"], specs)
    result = logit_solve(game, {}, exact=True)
    (eq,) = result.equilibria
    assert result.exact
    assert eq.behavior == {"i": {"x": Fraction(1, 2), "y": Fraction(1, 2)},
                           "j": {"l": Fraction(1, 2), "r": Fraction(1, 2)},
                           "k": {"l": 0, "r": 1}}
    (qre,) = logit_solve(game, {}, lam=2.0).equilibria
    assert qre.behavior["k"]["r"] > 0.99


# ---------------------------------------------------------------------------------
# Exact and float
# ---------------------------------------------------------------------------------
def test_float_mode_returns_floats_close_to_the_exact_answer():
    game = ochs()
    exact = logit_solve(game, {}, exact=True)
    floats = logit_solve(game, {}, exact=False)
    assert exact.exact and not floats.exact
    assert all(isinstance(p, float) for p in floats.equilibria[0].probabilities)
    assert [float(p) for p in exact.equilibria[0].probabilities] == pytest.approx(
        floats.equilibria[0].probabilities, abs=1e-9)


@needs_pygambit
def test_irrational_equilibrium_comes_back_in_floats_with_a_warning():
    # Nau, Gomez Canovas and Hansen (2004), IJGT 32, section 4: a three-player
    # game whose unique Nash equilibrium is in irrational numbers. No fractions
    # can be exact; the float answer is returned, flagged as such.
    game = from_pygambit(pygambit.catalog.load("journals/ijgt/nau2004/sec4"))
    result = logit_solve(game, {}, exact=True)
    assert not result.exact
    assert any("floating point" in w for w in result.warnings)
    (eq,) = result.equilibria
    assert_equilibrium(game, {}, eq, exact=False)
    assert gambit_regret(game, eq.behavior) < 1e-9
    theirs, their_regret = gambit_logit(game)
    assert their_regret < 1e-6
    assert np.asarray(eq.probabilities) == pytest.approx(theirs, abs=GAMBIT_TOL)


# ---------------------------------------------------------------------------------
# Cross-checks with Gambit
# ---------------------------------------------------------------------------------
#: Catalogue games (perfect recall) whose branch Gambit follows as we do.
SAME_BRANCH = [
    "books/myerson1991/fig2_1",
    "books/myerson1991/fig4_2",
    "books/shohamleytonbrown2008/fig5_1",
    "books/shohamleytonbrown2008/fig5_2",
    "books/shohamleytonbrown2008/fig5_9",
    "books/shohamleytonbrown2008/fig5_11",
    "books/shohamleytonbrown2008/fig6_2",
    "books/vonstengel2022/fig10.1",
    "books/vonstengel2022/fig10.5",
    "books/watson2013/exercise29_6",
    "books/watson2013/fig29_1",
    "conf/itcs/jakobsen2016/fig1a",
    "conf/itcs/jakobsen2016/fig1b",
    "conf/itcs/jakobsen2016/fig3",
    "journals/geb/bagwell1995",
    "journals/ijgt/nau2004/sec4",
    "journals/ijgt/nau2004/sec5",
    "journals/ijgt/nau2004/sec6",
    "journals/ijgt/selten1975/fig1",
    "journals/ijgt/selten1975/fig2",
    "journals/ijgt/selten1975/fig3",
    "journals/mor/vonstengelforges2008/fig1",
    "journals/mor/vonstengelforges2008/fig6",
    "journals/mor/vonstengelforges2008/fig9",
    "journals/other/reiley2008/fig1",
    "journals/other/shapley1974/fig2",
]
#: Games whose branch ends in a continuum of equilibria: the point returned is
#: near the QRE where the path was left, so near the limit, not at it (and
#: Gambit takes seconds to trace them to its own tolerance).
CONTINUUM = ["books/shohamleytonbrown2008/fig6_8", "books/vonstengel2022/fig10.12"]
#: Symmetric games where the branch meets a pitchfork bifurcation: Gambit turns
#: onto a side branch, we go straight on; both answers are equilibria.
BIFURCATING = [
    "books/shohamleytonbrown2008/fig5_10",
    "conf/itcs/jakobsen2016/fig1c",
    "journals/ijgt/nau2004/sec3",
    "journals/other/shapley1974/fig3",
]


@needs_pygambit
@pytest.mark.parametrize("slug", SAME_BRANCH + CONTINUUM + BIFURCATING)
def test_catalogue_games_against_gambit(slug):
    game = from_pygambit(pygambit.catalog.load(slug))
    result = logit_solve(game, {}, exact=False)
    (eq,) = result.equilibria
    assert_equilibrium(game, {}, eq, exact=False)
    assert gambit_regret(game, eq.behavior) < 1e-8
    if slug in SAME_BRANCH:
        theirs, their_regret = gambit_logit(game)
        if their_regret < 1e-6:
            assert same_on_path(game, eq.probabilities, theirs, GAMBIT_TOL)


def test_selten_horse_logit_selects_the_perfect_equilibrium():
    # Selten (1975), Figure 1 (the "horse"): the other equilibrium component
    # (1 stops) is not perfect.
    game = selten_horse()
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert eq.values == (1, 1, 1)
    assert eq.behavior == {"p1": {"C": 1, "D": 0}, "p2": {"c": 1, "d": 0},
                           "three": {"L": 0, "R": 1}}


@pytest.mark.parametrize("exact", [False, True])
def test_selten_horse_logit_limit_carries_the_beliefs_of_its_path(exact):
    # McKelvey and Palfrey (1998): the limit of the agent logit path is a
    # sequential equilibrium, its beliefs the limit of the QRE's. In the horse
    # player 3 plays R, optimal only if it believes y at least 2/3 likely
    # (R: 1 at y; L: 2 at x), so along the path it stays near indifference
    # and its belief tends to 2/3 from above.
    game = selten_horse()
    result = logit_solve(game, {}, exact=exact)
    (eq,) = result.equilibria
    assert eq.refinement == "logit limit" and eq.trembles is not None
    from policy.solvers.sequential import check_equilibrium

    check = check_equilibrium(result, eq)
    assert check.verdict is True
    belief = float(check.beliefs["three"]["y"])
    assert 2 / 3 <= belief < 0.75
    # The same belief as the QRE's own (Bayes' rule) at the lambda where the path was left.
    (qre,) = logit_solve(game, {}, exact=False, lam=result.details["lambda"]).equilibria
    b = qre.behavior
    bayes = b["p1"]["C"] * b["p2"]["d"] / (b["p1"]["D"] + b["p1"]["C"] * b["p2"]["d"])
    assert belief == pytest.approx(bayes, rel=1e-3)


GENERIC_SEEDS = list(range(12))


@needs_pygambit
@pytest.mark.parametrize("players", [2, 3])
@pytest.mark.parametrize("seed", GENERIC_SEEDS)
def test_random_generic_games_match_gambit(seed, players):
    game = random_game(seed, n_players=players)
    result = logit_solve(game, {}, exact=False)
    (eq,) = result.equilibria
    assert_equilibrium(game, {}, eq, exact=False)
    if not game.num_actions:
        return
    theirs, their_regret = gambit_logit(game)
    if their_regret < 1e-6:
        assert same_on_path(game, eq.probabilities, theirs, GAMBIT_TOL)


@needs_pygambit
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("lam", [0.3, 1.0])
def test_qre_at_lambda_matches_gambit(seed, lam):
    # Gambit's agent logit QRE uses conditional values with Bayes beliefs, as we do.
    game = random_game(seed)
    (qre,) = logit_solve(game, {}, lam=lam).equilibria
    g, actions = to_pygambit(game, {})
    (theirs,) = pygambit.qre.logit_solve_lambda(g, [lam])
    order = {a: i for i, a in enumerate(g.actions)}
    flat = [theirs[order[actions[(s.name, a)]]] for s in game.infosets.values() for a in s.actions]
    assert list(qre.probabilities) == pytest.approx(flat, abs=QRE_TOL)


@pytest.mark.parametrize(
    "a, b",
    [([[-8, 7, -6], [7, -3, 3], [2, 7, 0]], [[9, -5, -1], [-6, -1, 4], [1, -1, -6]]),
     ([[-2, 9, 8], [-5, 2, 6], [9, -7, -9]], [[6, -1, 8], [-2, -3, 6], [8, 8, 6]])],
    ids=["ends-mixed", "ends-pure"],
)
def test_bimatrix_answer_is_one_of_nashpys_equilibria(a, b):
    # Nondegenerate 3x3 games with several equilibria: logit picks one of them.
    nashpy = pytest.importorskip("nashpy")
    game = table_game((a, b), "3x3", [["a", "b", "c"], ["x", "y", "z"]])
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert_equilibrium(game, {}, eq, exact=True)
    ours = np.array([float(p) for p in eq.probabilities])
    # vertex_enumeration: support_enumeration misses equilibria of nondegenerate
    # games in nashpy 0.0.43 (nashpy issue #222).
    theirs = list(nashpy.Game(np.array(a), np.array(b)).vertex_enumeration())
    assert len(theirs) > 2
    assert sum(np.allclose(ours, np.concatenate(pair), atol=1e-9) for pair in theirs) == 1


# ---------------------------------------------------------------------------------
# Size
# ---------------------------------------------------------------------------------
def test_a_few_hundred_nodes_solve_in_few_steps():
    game = random_game(2, depth=6, p_stop=0.1)
    assert game.num_nodes > 400 and game.num_actions > 150
    result = logit_solve(game, {}, exact=False)
    assert_equilibrium(game, {}, result.equilibria[0], exact=False)
    # The step count, not the seconds, is what does not depend on the machine
    # (the time is in benchmarks/).
    assert result.details["steps"] < 100


def test_blas_is_kept_to_one_thread_when_threadpoolctl_is_there(monkeypatch):
    import contextlib
    import sys
    import types

    calls = []

    def threadpool_limits(limits, user_api):
        calls.append((limits, user_api))
        return contextlib.nullcontext()

    fake = types.ModuleType("threadpoolctl")
    fake.threadpool_limits = threadpool_limits  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "threadpoolctl", fake)
    logit_solve(matching_pennies(), {})
    assert calls == [(1, "blas")]


# ---------------------------------------------------------------------------------
# Options and errors
# ---------------------------------------------------------------------------------
def test_negative_lambda_is_refused():
    with pytest.raises(SolverError, match="lambda must be"):
        logit_solve(matching_pennies(), {}, lam=-1)


def test_all_equilibria_warns_that_logit_finds_one():
    result = logit_solve(matching_pennies(), {}, all_equilibria=True)
    assert len(result.equilibria) == 1
    assert any("one Nash equilibrium" in w for w in result.warnings)


def test_exact_qre_is_float_with_a_warning():
    result = logit_solve(ochs(), {}, exact=True, lam=1.0)
    assert not result.exact
    assert any("floating point" in w for w in result.warnings)


def test_path_that_does_not_converge_raises_instead_of_answering():
    # At lambda 0.1 the QRE of Ochs' game is far from its equilibrium.
    with pytest.raises(SolverError, match="did not converge"):
        logit_solve(ochs(), {}, max_lambda=0.1)


def test_candidates_that_fail_verification_are_never_returned(monkeypatch):
    # As if the finishing step went wrong (gambit issue #492 reported a
    # non-equilibrium at a bifurcation): every candidate is a pure profile that
    # is no equilibrium. The solver must refuse rather than return it.
    def wrong(tree, z, zero, sequential):
        probs = np.zeros(tree.n_actions)
        probs[tree.starts] = 1.0
        return logit._Polished(probs, 0.0, np.ones(tree.n_actions, dtype=bool))

    monkeypatch.setattr(logit, "_polish", wrong)
    with pytest.raises(SolverError, match="did not converge"):
        logit_solve(ochs(), {}, max_lambda=50)


def test_game_without_decisions():
    game = build_game("lottery", ["A", "B"], [
        chance("root", {"x": "1/3", "y": "2/3"}, x="tx", y="ty"),
        terminal("tx", 3, 0), terminal("ty", 0, 3)])
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert eq.probabilities == () and eq.values == (1, 2)


# ---------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------
@st.composite
def imperfect_games(draw: st.DrawFn, generic: bool | None = None) -> Game:
    return random_game(draw(st.integers(0, 10**6)), n_players=draw(st.integers(2, 3)),
                       depth=draw(st.integers(1, 3)),
                       generic=draw(st.booleans()) if generic is None else generic)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games())
def test_random_imperfect_information_games_end_at_an_equilibrium(game):
    result = logit_solve(game, {}, exact=True)
    (eq,) = result.equilibria
    assert_equilibrium(game, {}, eq, exact=result.exact)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(generic=True))
def test_exact_and_float_agree_in_generic_games(game):
    # On the path. Off it, behaviour that only has to deter deviations may take
    # any value in a range; the fractions may be another value of it.
    exact = logit_solve(game, {}, exact=True)
    floats = logit_solve(game, {}, exact=False).equilibria[0]
    if exact.exact:
        fractions = [float(p) for p in exact.equilibria[0].probabilities]
        assert same_on_path(game, fractions, floats.probabilities, 1e-6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games_with_values(max_nodes=30, symbolic=True))
def test_random_perfect_information_games_end_at_an_equilibrium(game_values):
    game, values = game_values
    result = logit_solve(game, values, exact=False)
    (eq,) = result.equilibria
    assert_equilibrium(game, values, eq, exact=False)
    assert result.details["qre"] is False


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(), st.floats(0, 3))
def test_qre_probabilities_are_positive_and_sum_to_one(game, lam):
    (qre,) = logit_solve(game, {}, lam=lam).equilibria
    for s in game.infosets.values():
        block = qre.probabilities[s.offset : s.offset + len(s.actions)]
        assert all(p > 0 for p in block)
        assert sum(block) == pytest.approx(1, abs=1e-12)


# ---------------------------------------------------------------------------------
# n players against pygambit; restarts; advice that fits the game (issue 12)
# ---------------------------------------------------------------------------------
NPLAYER_CASES = [(0, (2, 2, 2)), (1, (3, 2, 2)), (2, (3, 3, 3)), (3, (2, 2, 2, 2)), (4, (3, 2, 2, 2))]


@needs_pygambit
@pytest.mark.parametrize(("seed", "shape"), NPLAYER_CASES,
                         ids=[f"{s}-{'x'.join(map(str, t))}" for s, t in NPLAYER_CASES])
def test_random_n_player_tables_reach_gambits_equilibrium(seed, shape):
    from tests.games import gambit_table
    from tests.test_enumpoly import as_float_mixed, assert_confirmed_by_gambit, random_table

    payoffs = random_table(seed, shape)
    result = logit_solve(table_game(payoffs), {})
    assert_confirmed_by_gambit(payoffs, result.equilibria)
    g = gambit_table(payoffs)
    theirs = pygambit.nash.logit_solve(g).equilibria[0]
    mine = as_float_mixed(result.equilibria[0])
    for player, sigma in zip(g.players, mine, strict=True):
        for strategy, p in zip(player.strategies, sigma, strict=True):
            assert p == pytest.approx(float(theirs[strategy]), abs=GAMBIT_TOL)


@needs_pygambit
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_three_player_trees_confirmed_by_gambit(seed):
    game = random_game(seed, n_players=3, depth=3)
    result = logit_solve(game, {})
    assert float(gambit_regret(game, result.equilibria[0].behavior)) <= REGRET_TOL * 10


def test_lost_path_is_followed_again_with_shorter_steps():
    # A step budget too small for the first try: the restart, with a budget
    # four times larger and shorter steps, reaches the same equilibrium.
    from tests.test_enumpoly import random_table

    game = table_game(random_table(5, (2, 2, 2)))
    plain = logit_solve(game, {})
    again = logit_solve(game, {}, max_steps=20)
    assert any("followed again" in w for w in again.warnings)
    assert np.allclose(plain.equilibria[0].probabilities, again.equilibria[0].probabilities, atol=1e-7)


def test_failure_suggests_only_methods_that_fit_the_game():
    from tests.test_enumpoly import random_table

    game = table_game(random_table(2, (3, 3, 3)))
    with pytest.raises(SolverError, match="did not converge") as caught:
        logit_solve(game, {}, max_steps=5)
    message = str(caught.value)
    assert "gnm" in message and "--max-steps" in message
    for two_player_only in ("lcp", "enummixed", " lp"):
        assert two_player_only not in message


def test_step_options_on_the_command_line(tmp_path):
    from policy.gambit import write_nfg
    from tests.conftest import invoke
    from tests.test_enumpoly import random_table

    path = tmp_path / "three.nfg"
    path.write_text(write_nfg(table_game(random_table(0, (2, 2, 2)))))
    code, out, err = invoke("solve", str(path), "-m", "logit", "--max-lambda", "1e-3")
    assert code == 1 and "lambda passed" in err and "--max-lambda" in err
    code, out, err = invoke("solve", str(path), "-m", "logit", "--first-step", "0.01",
                            "--max-accel", "1.1", "--max-steps", "10000")
    assert code == 0, err
    code, out, err = invoke("solve", str(path), "-m", "logit", "--seed", "3")
    assert code == 1 and "--seed does not apply to method 'logit'" in err


@pytest.mark.xfail(strict=True, raises=SolverError, reason=(
    "known: on this random game the principal branch turns back at lambda about 45,000 "
    "(in units of the payoff spread) and the continuation loses it, with any step settings "
    "tried (first step 0.003-0.1, growth 1.05-2, up to 50,000 steps); Gambit's logit_solve "
    "follows it to an approximate equilibrium (regret 6.6e-5). Drawn by the property test "
    "above in a CI run of 2026-12-06."))
def test_a_branch_that_turns_back_at_a_high_precision() -> None:
    game = random_game(11581, n_players=3, depth=3, generic=True)
    (eq,) = logit_solve(game, {}, exact=True).equilibria
    assert_equilibrium(game, {}, eq, exact=True)


# ---------------------------------------------------------------------------------
# No numpy warnings far off the branch (user30, finding 6)
# ---------------------------------------------------------------------------------
def near_tie() -> Game:
    from pathlib import Path

    from policy.gamefile import loads_game

    path = Path(__file__).parent / "data" / "near_tie.toml"
    return loads_game(path.read_text(), path.name, known_claims=[])


@pytest.mark.parametrize("cost", [Fraction(21299, 16384), Fraction(5325, 4096)])
def test_a_branch_to_a_large_lambda_prints_no_numpy_warning(cost):
    # Near a tie the branch runs to lambda ~ 1e5, where the predictor's long
    # steps land on log-probabilities of hundreds: exp overflowed (19 lines of
    # RuntimeWarning in a compare), though every such point was rejected.
    import warnings

    game = near_tie()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = logit_solve(game, {"cost": cost, "gain": 1})
    assert [str(w.message) for w in caught] == []
    eq = result.equilibria[0]
    numbers = game.numbers({"cost": cost, "gain": 1}, exact=False)
    assert behavior_regret(game, numbers, eq.probabilities)[0] <= 1e-9


def test_a_point_far_off_the_branch_is_rejected_quietly():
    import warnings

    game = near_tie()
    numbers = game.numbers({"cost": Fraction(13, 10), "gain": 1}, exact=False)
    leaf = np.asarray(numbers.leaf_payoff, dtype=np.float64)
    tree = logit._prepare(game, numbers, (leaf - leaf.min()) / (leaf.max() - leaf.min()))
    far = np.append(np.full(tree.n_actions, 800.0), 1e5)  # exp(800) overflows
    along = np.zeros(tree.n_actions + 1)
    along[-1] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert logit._frame(tree, far, along) is None
