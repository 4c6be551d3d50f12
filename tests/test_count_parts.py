"""The part-by-part count of subgame-perfect equilibria (:mod:`policy.solvers.count_parts`).

Cross-check: on random two-player games with information sets, the verdict
agrees with the count that lists every subgame-perfect equilibrium built
from the extreme equilibria of the subgames (``spe --all`` with
``enummixed``, :func:`policy.solvers.count.count_spe_subgames`), an
independent route through the same definition (Selten 1965).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from policy.solvers.count import count_spe_subgames
from policy.solvers.count_parts import count_by_parts
from tests.games import two_player_games


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_player_games(max_nodes=20, max_depth=4))
def test_agrees_with_the_listing_count(game):
    listed = count_spe_subgames(game, {}, True)
    parts = count_by_parts(game, {}, True)
    if listed.unique is not None and parts.unique is not None:
        assert parts.unique == listed.unique, (parts.text, listed.text)
