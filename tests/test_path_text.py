"""The equilibrium path in words: the decisions reached, found from the terminals' reach (exact)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.analysis.compare import path_decisions, path_text
from policy.solvers.verify import evaluate_profile
from tests.test_subgames import games_with_infosets, tiny_solve


def words_from_decisions(result, eq):
    """The path as :func:`path_decisions` gives it (each node's reach computed top-down)."""
    words = []
    for d in path_decisions(result, eq):
        words.append(f"{d.infoset}={d.choice or '/'.join(a for a, p in d.behavior.items() if p > 0)}")
    return ", ".join(dict.fromkeys(words))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(games_with_infosets(), st.data())
def test_path_text_names_the_decisions_the_profile_reaches(game, data):
    from policy.solvers.subgames import spe_subgames_solve

    result = spe_subgames_solve(game, {}, solve=tiny_solve)
    numbers = game.numbers({})
    # Any profile, pure or mixed, with some actions never taken (so that parts of the tree are not reached).
    probs = []
    for s in game.infosets.values():
        weights = [data.draw(st.integers(0, 2)) for _ in s.actions]
        weights[0] += not any(weights)
        probs.extend(Fraction(w, sum(weights)) for w in weights)
    eq = evaluate_profile(game, numbers, probs, Fraction(0))
    assert path_text(result, eq) == words_from_decisions(result, eq)
    floats = replace(result, exact=False)
    float_eq = evaluate_profile(game, game.numbers({}, exact=False), [float(p) for p in probs], 0.0)
    assert path_text(floats, float_eq) == words_from_decisions(floats, float_eq)
