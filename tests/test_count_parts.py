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


def test_the_bound_is_cpu_time_so_a_busy_machine_does_not_change_the_verdict(monkeypatch):
    """The count's bound is the process's CPU time: wall-clock time passing (other jobs on the
    machine) does not stop it. Before, `policy compare`'s count note changed with the load."""
    import time as real_time

    from policy.solvers import count_parts
    from tests.games import random_signalling

    class BusyClock:
        """The wall clock races (100 s a reading); CPU time is the real one."""

        now = 0.0

        @classmethod
        def monotonic(cls) -> float:
            cls.now += 100.0
            return cls.now

        process_time = staticmethod(real_time.process_time)

    game = random_signalling(2, 2, 2, seed=3)
    calm = count_by_parts(game, {}, True, max_seconds=30)
    monkeypatch.setattr(count_parts, "time", BusyClock)
    busy = count_by_parts(game, {}, True, max_seconds=30)
    assert calm.unique is not None and busy.unique == calm.unique and busy.text == calm.text
    assert "s of CPU" in busy.text
