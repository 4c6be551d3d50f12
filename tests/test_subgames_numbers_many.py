"""Parts' numbers made together are the numbers made part by part.

:meth:`policy.solvers.subgames._Parts.numbers_of_many` shifts and keys the
parts whose numbers are all small int64 in one pass over stacked arrays; the
others go to :meth:`~policy.solvers.subgames._Parts.numbers_of`. Every field
must be what :func:`policy.solvers.subgames._part_numbers` gives for the part
alone: the key (so that kept solves are found again), the shift, the
integers, the payoffs and the edge probabilities.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.loading import load
from policy.model import Game
from policy.solvers.subgames import _part_numbers, _Parts, _structure
from tests.games import imperfect_games

GAMES = Path(__file__).resolve().parent.parent / "games"
#: Cut values: small ones, and some past the int64 bound of the batched pass.
VALUES = st.one_of(
    st.fractions(min_value=-50, max_value=50, max_denominator=12),
    st.sampled_from([Fraction(1, 2**40 + 15), Fraction(3**45, 7)]),
)


def same_as_alone(game: Game, asked: list[tuple[int, list[tuple[Fraction, ...]]]]) -> None:
    values = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    numbers = game.numbers(values, exact=True)
    parts = _Parts(game, _structure(game), numbers)
    together = parts.numbers_of_many(asked)
    assert sorted(together) == sorted(r for r, _ in asked)
    fresh = _Parts(game, _structure(game), numbers)
    for r, cut in asked:
        alone = _part_numbers(game, numbers, fresh.shape(r), cut, shift=r > 0, ratios=fresh.ratios)
        got = together[r]
        assert got.key == alone.key
        assert got.shift == alone.shift
        assert all(type(x) is Fraction for x in got.shift)
        assert (got.integers is None) == (alone.integers is None)
        if alone.integers is not None:
            assert got.integers is not None
            for a, b in zip(got.integers, alone.integers, strict=True):
                assert a.tolist() == b.tolist()
        assert got.payoff.tolist() == alone.payoff.tolist()
        assert got.edge_prob.tolist() == alone.edge_prob.tolist()
        # The check of a profile finds each part again by its cut values.
        assert parts.numbers_of(r, cut) is got


@st.composite
def asks(draw: st.DrawFn) -> tuple[Game, list[tuple[int, list[tuple[Fraction, ...]]]]]:
    game = draw(imperfect_games(players=(2, 3), max_nodes=40))
    parts = _Parts(game, _structure(game), game.numbers({}, exact=True))
    roots = parts.roots()
    chosen = draw(st.lists(st.sampled_from(roots), unique=True, min_size=1)) if roots else []
    players = len(game.players)
    asked = []
    for r in chosen:
        cuts = parts.shape(r).cut_nodes
        asked.append((r, [tuple(draw(VALUES) for _ in range(players)) for _ in cuts]))
    return game, asked


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asks())
def test_random_parts_together_are_the_parts_alone(case):
    game, asked = case
    same_as_alone(game, asked)


def test_a_bundled_campaign_at_random_values_below_each_part():
    game = load(GAMES / "ussr_1939_1941_stalin.toml")
    values = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    parts = _Parts(game, _structure(game), game.numbers(values, exact=True))
    rng = np.random.default_rng(3)
    players = len(game.players)
    asked = []
    for r in parts.roots():
        cuts = parts.shape(r).cut_nodes
        tops, bottoms = rng.integers(-90, 90, (len(cuts), players)), rng.integers(1, 30, (len(cuts), players))
        asked.append((r, [tuple(map(Fraction, a, b)) for a, b in zip(tops.tolist(), bottoms.tolist(), strict=True)]))
    # One part's values past the int64 bound: it alone is made part by part.
    r, cut = next((r, cut) for r, cut in asked if cut)
    cut[0] = (Fraction(3**45, 7),) * players
    same_as_alone(game, asked)
