"""The Nash benchmark's helpers on tiny sizes (benchmarks/bench_nash.py; the timings are not tested).

The random games must be what the benchmark says (exact size, information sets
with several nodes, perfect recall, zero-sum when asked, the same for a seed),
the regret checks must tell an equilibrium from a non-equilibrium, and a tiny
run must find every tool's answers verified and the equilibrium counts equal.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

import numpy as np
import pytest

from tests.conftest import REPO

pytest.importorskip("pygambit")
pytest.importorskip("nashpy")
sys.path.insert(0, str(REPO / "benchmarks"))
import bench_nash  # noqa: E402

F = Fraction


def test_random_games_have_information_sets_and_the_asked_size():
    game = bench_nash.imperfect_game(200, seed=7, zero_sum=True)
    assert game.num_nodes == 200
    assert not game.is_perfect_information
    assert max(len(s.members) for s in game.infosets.values()) >= 2
    pay = game.numbers({}, exact=True).leaf_payoff
    assert all(row[0] + row[1] == 0 for row in pay.tolist())
    again = bench_nash.imperfect_game(200, seed=7, zero_sum=True)
    assert [s.members for s in again.infosets.values()] == [
        s.members for s in game.infosets.values()
    ]
    general = bench_nash.imperfect_game(200, seed=7, zero_sum=False)
    assert any(row[0] + row[1] != 0 for row in general.numbers({}, exact=True).leaf_payoff.tolist())


def test_bimatrix_regret_is_exact_and_sees_a_profitable_deviation():
    a = np.array([[1, -1], [-1, 1]])  # matching pennies
    half = [F(1, 2), F(1, 2)]
    assert bench_nash.bimatrix_regret(a, -a, half, half) == 0
    assert bench_nash.bimatrix_regret(a, -a, [F(1), F(0)], [F(1), F(0)]) == 2
    assert bench_nash.bimatrix_regret(a, -a, [1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)


def test_tree_regret_of_a_non_equilibrium_is_positive():
    game = bench_nash.imperfect_game(50, seed=3, zero_sum=False)
    (found,) = bench_nash.ours_sequence(game, "lcp", exact=True)
    assert bench_nash.tree_regret(game, found, exact=True)[0] == 0
    # Put every set on an action the equilibrium does not play with certainty:
    # somebody should then regret it.
    worst = [F(0)] * len(found)
    for s in game.infosets.values():
        probs = found[s.offset : s.offset + len(s.actions)]
        worst[s.offset + min(range(len(probs)), key=probs.__getitem__)] = F(1)
    assert bench_nash.tree_regret(game, worst, exact=True)[0] > 0


def test_a_tool_stops_after_its_first_call_over_the_budget():
    tool = bench_nash.Tool("t", "t", ours=True, exact=True)
    bench_nash.account(tool, 50, bench_nash.Cell(seconds=0.5), budget=1.0, kill=6.0)
    assert tool.on and tool.largest_under == 50
    bench_nash.account(tool, 100, bench_nash.Cell(seconds=1.5), budget=1.0, kill=6.0)
    assert not tool.on and (tool.largest_under, tool.first_over, tool.over_time) == (50, 100, 1.5)
    killed = bench_nash.Tool("k", "k", ours=False, exact=False)
    bench_nash.account(killed, 50, bench_nash.Cell(status="killed"), budget=1.0, kill=6.0)
    assert not killed.on and killed.over_killed and killed.largest_under is None


def test_a_tiny_run_verifies_every_answer_and_counts_agree(monkeypatch):
    # In this process, once per call (the forked, repeated timing is not under test).
    monkeypatch.setattr(bench_nash, "timed_forked", lambda fn, limit: (0.001, fn()))
    args = argparse.Namespace(sizes=[50], dims=[2, 3], budget=20.0, kill=60.0, seed=11)
    tools, rows, _ = bench_nash.bench_sequence("lcp", args)
    (row,) = rows
    assert set(row.cells) == {t.key for t in tools}
    for key, cell in row.cells.items():
        assert cell.seconds is not None and cell.regret is not None, key
        assert cell.regret <= 1e-9, key
    assert row.cells["ours lcp exact"].exact_zero
    assert row.cells["gambit lcp rational"].exact_zero
    tools, rows, _ = bench_nash.bench_enummixed(args)
    for row in rows:
        exact = row.cells["ours enummixed exact"]
        assert exact.exact_zero
        assert exact.equilibria == row.cells["gambit enummixed rational"].equilibria >= 1
