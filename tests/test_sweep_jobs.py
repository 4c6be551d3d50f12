"""A batched sweep's blocks in worker processes (``jobs``): the same answers, bit for bit, as in one process."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from policy.analysis import sweep as sweep_module
from policy.analysis.sweep import _batch_jobs, monte_carlo_samples, run_sweep
from policy.bundled import games_dir
from policy.gamefile import load_game
from policy.leaders import load_leader, resolve
from tests.test_batch_subgames import draws, small_campaign

FIELDS = ("behavior_sum", "outcome_mean", "outcome_m2", "facts", "payoffs", "tie", "path_index")


def _same(a, b) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert a.path_words == b.path_words
    assert dict(a.details) == dict(b.details) and dict(a.failed) == dict(b.failed)
    assert (a.rows is None) == (b.rows is None)
    if a.rows is not None:
        for name in ("start", "index", "value"):
            assert getattr(a.rows, name).tobytes() == getattr(b.rows, name).tobytes(), name


def _perfect():
    game = load_game(games_dir() / "diplomacy_1939.toml")
    stalin = load_leader("stalin")
    return game, monte_carlo_samples(game, stalin, resolve(game, stalin), 300, seed=7), "auto"


def _subgames():
    # Two-mover signalling subgames solved by Lemke in lockstep between backward induction.
    return small_campaign(1), draws(60, 4), "spe"


@pytest.mark.parametrize("make", [_perfect, _subgames], ids=["perfect information", "lockstep subgames"])
def test_two_worker_processes_give_the_one_process_sweep_bit_for_bit(monkeypatch, tmp_path: Path, make):
    game, samples, method = make()
    one = run_sweep(game, samples, method=method, block_size=16, jobs=1)
    # Each block leaves a mark naming its process, and waits (a minute at most) until
    # another process has left one: the sweep below ends with two workers' marks only
    # if two workers solved blocks side by side.
    real = sweep_module.solve_block

    def marked(game, samples, start, *rest):
        (tmp_path / f"{os.getpid()}-{start}").touch()
        deadline = time.monotonic() + 60
        while len({p.name.split("-")[0] for p in tmp_path.iterdir()}) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(game, samples, start, *rest)

    monkeypatch.setattr(sweep_module, "solve_block", marked)  # the workers are forked with it
    two = run_sweep(game, samples, method=method, block_size=16, jobs=2)
    marks = [p.name.split("-") for p in tmp_path.iterdir()]
    processes = {pid for pid, _ in marks}
    assert len(processes) == 2 and str(os.getpid()) not in processes
    assert sorted(int(start) for _, start in marks) == list(range(0, two.requested, 16))
    assert two.done == one.done == two.requested
    _same(one, two)
    if method == "spe":
        assert np.any(two.behavior_sum % 1)  # mixed behaviour in the subgames came back too


def test_a_short_sweep_stays_in_this_process_unless_asked(monkeypatch):
    game = load_game(games_dir() / "diplomacy_1939.toml")
    few = max(1, sweep_module.JOBS_CELLS // game.num_nodes - 1)
    assert _batch_jobs(None, game, few, 4) == 1
    cores = min(os.cpu_count() or 1, max(1, sweep_module._memory() // sweep_module.WORKER_MEMORY))
    assert _batch_jobs(None, game, 4 * few, 4) == min(4, cores)
    assert _batch_jobs(3, game, few, 4) == 3  # asked
    assert _batch_jobs(8, game, few, 2) == 2  # never more processes than blocks
    assert _batch_jobs(None, game, 4 * few, 1) == 1
    # By default no more workers than the memory holds at WORKER_MEMORY each.
    monkeypatch.setattr(sweep_module, "_memory", lambda: 3 * sweep_module.WORKER_MEMORY)
    monkeypatch.setattr(sweep_module.os, "cpu_count", lambda: 8)
    assert _batch_jobs(None, game, 8 * few, 8) == 3
    assert _batch_jobs(5, game, 8 * few, 8) == 5  # asked


def test_the_command_prints_the_same_whatever_the_jobs(monkeypatch):
    from tests.conftest import SCENARIO_V1, invoke

    monkeypatch.setattr(sweep_module, "BLOCK", 1000)  # three blocks
    started = []
    pool = sweep_module._batch_pool

    def counted(*args):
        started.append(args[-1])
        return pool(*args)

    monkeypatch.setattr(sweep_module, "_batch_pool", counted)
    game = str(SCENARIO_V1 / "diplomacy_1939.toml")
    outputs = [invoke("sweep", game, "-l", "stalin", "--samples", "2500", "--format", "json", "--jobs", jobs)
               for jobs in ("1", "2")]
    assert started == [2]  # --jobs 1 started no workers, --jobs 2 two
    assert outputs[0][0] == outputs[1][0] == 0
    assert outputs[0][1] == outputs[1][1]
