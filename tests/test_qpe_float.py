"""qpe in floats, one by one and in lockstep over samples, against the exact qpe.

The float run follows the perturbed Lemke path of Miltersen and Sørensen (2010)
in float64 with the lexicographic ratio test over the columns ``q_0, ..., q_K``
of the perturbation, as the exact solver's float path does, and reads its end
in floats. The exact solver (policy.solvers.qpe, rational arithmetic) is the
reference: the same supports and the same profile, to a tolerance. The
lockstep run (policy.analysis.batch_lemke) must give every sample what the
one-by-one float run gives it, and the batch solver's draw at the values of a
point must select the equilibrium that ``policy solve`` returns there.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.analysis.batch import BatchGame
from policy.analysis.batch_lemke import PERTURBED, lemke_lockstep, perturbed_basis_behavior
from policy.model import Game
from policy.representations.sequence import sequence_form
from policy.solvers import solve
from policy.solvers.errors import SolverError
from policy.solvers.lcp import SequenceLCP
from policy.solvers.qpe import PlanLayout, _lengths
from policy.solvers.sequential import check_equilibrium
from tests.games import (
    beer_quiche,
    flat_behavior,
    imperfect_games,
    kuhn_poker,
    random_signalling,
    two_stage,
)
from tests.test_sequential import entry_with_two_ways_in

#: Behaviour probabilities of the float run within this of the exact ones.
PROFILE_TOL = 1e-9


def exact_and_float(game: Game, values=None):  # type: ignore[no-untyped-def]
    values = values or {}
    exact = solve(game, values, method="qpe").equilibria[0]
    result = solve(game, values, method="qpe", exact=False)
    floats = result.equilibria[0]
    assert floats.refinement == "quasi-perfect"
    assert check_equilibrium(result, floats).verdict is True
    return result, np.array([float(p) for p in exact.probabilities]), np.array(floats.probabilities, dtype=float)


def same_profile(a: np.ndarray, b: np.ndarray) -> None:
    # The same supports (an action played or not) and the same probabilities.
    assert ((a > PROFILE_TOL) == (b > PROFILE_TOL)).all()
    np.testing.assert_allclose(a, b, atol=PROFILE_TOL, rtol=0)


GAMES = {
    "kuhn_poker": kuhn_poker,  # Kuhn (1950)
    "beer_quiche": beer_quiche,  # Cho and Kreps (1987)
    "two_stage": two_stage,
    "entry_two_ways": entry_with_two_ways_in,  # after Mas-Colell, Whinston and Green (1995), 9.C.1
    **{f"signalling_{k}_{seed}": (lambda k=k, seed=seed: random_signalling(k, k, k, seed))
       for k, seed in [(3, 0), (4, 1), (5, 2)]},
}


@pytest.mark.parametrize("name", list(GAMES))
def test_the_float_run_is_the_exact_quasi_perfect_equilibrium(name: str) -> None:
    result, exact, floats = exact_and_float(GAMES[name]())
    assert result.details["arithmetic"] == "float"  # the float run vouched for its end
    same_profile(exact, floats)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=25))
def test_random_games_float_equals_exact(game: Game) -> None:
    # Chance (probabilities 0 included), information sets, perfect recall.
    # Where the float run cannot vouch, the exact solve is converted: equal too.
    _, exact, floats = exact_and_float(game)
    same_profile(exact, floats)


def test_the_layout_s_lengths_are_the_sequences_lengths() -> None:
    for make in GAMES.values():
        game = make()
        form = sequence_form(game, {}, exact=False)
        lcp = SequenceLCP(form, game.numbers({}, exact=False))
        layout = PlanLayout.of_structure(form.structure, lcp.n, game.num_actions)
        plans = np.concatenate([_lengths(ps) for ps in form.structure])
        np.testing.assert_array_equal(layout.lengths[: len(plans)], plans)
        assert not layout.lengths[len(plans) :].any()


def stacked(games: list[Game]):  # type: ignore[no-untyped-def]
    """The float sequence-form LCPs of games of one shape, samples last, and their layout."""
    Ms = []
    for game in games:
        form = sequence_form(game, {}, exact=False)
        lcp = SequenceLCP(form, game.numbers({}, exact=False))
        Ms.append(np.asarray(lcp.M, dtype=float))
    layout = PlanLayout.of_structure(form.structure, lcp.n, games[0].num_actions)
    return np.stack(Ms, axis=2), np.asarray(lcp.c, dtype=float), layout


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 3, 3), (4, 3, 2)])
def test_lockstep_equals_the_one_by_one_float_run(shape: tuple[int, int, int]) -> None:
    # Games of one tree with different payoffs and priors (tests/games.py, by seed).
    games = [random_signalling(*shape, seed) for seed in range(25)]
    M, c, layout = stacked(games)
    run = lemke_lockstep(M, c, layout=layout)
    assert run.behavior is not None
    for s, game in enumerate(games):
        one = solve(game, {}, method="qpe", exact=False)
        assert one.details["arithmetic"] == "float"
        assert run.solved[s] and run.reason[s] == 0
        assert run.pivots[s] == one.details["pivots"]  # the same path
        same_profile(np.array(one.equilibria[0].probabilities, dtype=float), run.behavior[:, s])
    # The final bases read again in the same numbers give the same behaviour.
    again, ok = perturbed_basis_behavior(M, c, run.basis, layout)
    assert ok.all()
    np.testing.assert_allclose(again, run.behavior, atol=1e-12)


def test_lockstep_gives_up_where_the_pivot_bound_is_reached() -> None:
    games = [random_signalling(3, 3, 3, seed) for seed in range(4)]
    M, c, layout = stacked(games)
    run = lemke_lockstep(M, c, layout=layout, max_pivots=3)
    assert not run.solved.any() and (run.reason == PERTURBED).all()


@pytest.mark.parametrize(
    ("file", "leader"),
    [
        ("barbarossa_1941.toml", "stalin"),
        ("barbarossa_1941.toml", "tukhachevsky"),
        ("ussr_1939_1941_stalin.toml", "stalin"),
        ("ussr_1939_1941_tukhachevsky.toml", "tukhachevsky"),
    ],
)
def test_a_draw_at_the_point_selects_what_policy_solve_returns(file: str, leader: str) -> None:
    from policy.bundled import games_dir
    from policy.leaders import load_leader, resolve
    from policy.loading import load

    game = load(games_dir() / file)
    values = resolve(game, load_leader(leader))
    exact = solve(game, values, method="spe", exact=True)
    floats = solve(game, {k: float(v) for k, v in values.items()}, method="spe", exact=False)
    point = np.array([float(p) for p in exact.equilibria[0].probabilities])
    # Every two-player subgame with imperfect information is solved by qpe, in both modes.
    qpe_parts = [k for k, m in exact.details["subgame_methods"].items() if m == "qpe"]
    assert qpe_parts, "the game has a subgame that qpe solves"
    assert all(floats.details["subgame_methods"][k] == "qpe" for k in qpe_parts)
    np.testing.assert_allclose(np.array(floats.equilibria[0].probabilities, dtype=float), point, atol=PROFILE_TOL)
    batch = BatchGame(game).solve({k: np.array([float(v)] * 3) for k, v in values.items()})
    assert not batch.resolved  # the lockstep run vouched for every part
    for s in range(3):
        np.testing.assert_allclose(flat_behavior(batch, s), point, atol=PROFILE_TOL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=25), st.integers(0, 2**32 - 1))
def test_lockstep_follows_the_one_by_one_path_on_degenerate_games(game: Game, seed: int) -> None:
    # Small integer payoffs make many ratio-test ties. Samples: the game's LCP, and copies
    # with each payoff entry scaled by its own factor in [0.5, 1.5] (the payoffs stay
    # negative, the structure the same). Each sample's lockstep run must make the
    # one-by-one float path's pivots (the same final basis) and read the same end.
    from policy.solvers.lemke import default_max_pivots
    from policy.solvers.qpe import _float_path, perturbed_end, perturbed_rhs

    form = sequence_form(game, {}, exact=False)
    lcp = SequenceLCP(form, game.numbers({}, exact=False))
    layout = PlanLayout.of_structure(form.structure, lcp.n, game.num_actions)
    base = np.asarray(lcp.M, dtype=float)
    n1, n2, _, _ = lcp.sizes
    rng = np.random.default_rng(seed)
    samples = [base]
    for _ in range(5):
        M = base.copy()
        M[:n1, n1 : n1 + n2] *= rng.uniform(0.5, 1.5, (n1, n2))
        M[n1 : n1 + n2, :n1] *= rng.uniform(0.5, 1.5, (n2, n1))
        samples.append(M)
    stack = np.stack(samples, axis=2)
    run = lemke_lockstep(stack, lcp.c, layout=layout)
    for s, M in enumerate(samples):
        Q = perturbed_rhs(M[:, :, None], lcp.c, layout.lengths)
        try:
            basis, pivots = _float_path(M, Q[:, :, 0], default_max_pivots(lcp.n))
        except SolverError:  # the one-by-one path gives up: so must the lockstep run
            assert not run.solved[s] and run.reason[s] == PERTURBED
            continue
        end = perturbed_end(M[:, :, None], Q, np.asarray(basis)[:, None], layout)
        assert run.solved[s] == bool(end.ok[0])
        assert run.pivots[s] == pivots
        assert run.basis[:, s].tolist() == basis
        if run.solved[s]:
            np.testing.assert_allclose(run.behavior[:, s], end.behavior[:, 0], atol=1e-12)


def test_spe_in_floats_falls_back_to_lcp_where_qpe_cannot_solve(monkeypatch) -> None:
    # Where qpe fails in floats (its exact fallback refused, say), the subgame goes to lcp
    # in floats, as before qpe had a float mode, and a warning says so.
    import policy.solvers.qpe as qpe_module
    from policy.bundled import games_dir
    from policy.loading import load
    from policy.solvers.errors import SolverError

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SolverError("refused here")

    game = load(games_dir() / "barbarossa_1941.toml")
    values = {k: float(p.default) for k, p in game.parameters.items()}  # type: ignore[arg-type]
    monkeypatch.setattr(qpe_module, "qpe_solve", refuse)
    result = solve(game, values, method="spe", exact=False)
    assert set(result.details["subgame_methods"].values()) - {"backward induction", "decision problem"} == {"lcp"}
    assert any("qpe could not solve this subgame in floats (refused here)" in w for w in result.warnings)
