"""Sweeps go on past a sample that cannot be solved: it is reported in its place, with why."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import numpy as np
import pytest

from policy.analysis import sweep as sweep_module
from policy.analysis.sweep import FAILED_PATH, SweepError, Vary, grid_samples, run_sweep
from policy.gamefile import loads_game
from policy.solvers import solve
from policy.solvers.errors import SolverError
from tests.conftest import invoke

# The tutorial's crisis (docs/tutorial.md): p_win is a chance probability, so a value
# above 1 makes the game invalid at that sample, and only there.
CRISIS = """
[game]
title = "A demand over a port"
players = ["Challenger", "Defender"]

[parameters.p_win]
description = "Probability that the challenger wins a war"
default = 0.5
range = [0, 1]

[parameters.war_cost]
description = "What a war costs each side"
default = 0.3

[nodes.demand]
player = "Challenger"
actions = { demand = "reply", stay_quiet = "status_quo" }

[nodes.reply]
player = "Defender"
actions = { concede = "conceded", stand_firm = "showdown" }

[nodes.showdown]
player = "Challenger"
actions = { back_down = "humiliation", go_to_war = "war" }

[nodes.war]
chance = true
actions = { challenger_wins = "won", defender_wins = "lost" }
probabilities = { challenger_wins = "p_win", defender_wins = "1 - p_win" }

[nodes.status_quo]
payoffs = { Challenger = 0, Defender = 0 }

[nodes.conceded]
payoffs = { Challenger = 1, Defender = -1 }

[nodes.humiliation]
payoffs = { Challenger = -0.5, Defender = 0.5 }

[nodes.won]
payoffs = { Challenger = "1 - war_cost", Defender = "-1 - war_cost" }

[nodes.lost]
payoffs = { Challenger = "-1 - war_cost", Defender = "1 - war_cost" }
"""


@pytest.fixture(scope="module")
def crisis():
    return loads_game(CRISIS, "crisis.toml")


def _path(game, p_win: float) -> str:
    """The path an exact solve gives at one point, as the sweep words it."""
    from policy.analysis.compare import path_text

    result = solve(game, {"p_win": Fraction(str(p_win)), "war_cost": Fraction(3, 10)}, method="spe")
    return path_text(result, result.equilibria[0])


# Scattered bad values (above 1, below 0), in blocks of 3 so that the batch solver's
# search for the bad samples crosses block boundaries.
P_WIN = [0.2, 1.2, 0.5, -0.1, 0.9, 0.95, 2.0, 0.3, 0.7, 0.66, 1.01]
BAD = {1, 3, 6, 10}


@pytest.mark.parametrize("method", ["auto", "lcp"])
@pytest.mark.parametrize("block_size", [3, None])
def test_failed_samples_are_reported_in_their_place(crisis, method, block_size):
    samples = {"p_win": np.array(P_WIN), "war_cost": np.full(len(P_WIN), 0.3)}
    result = run_sweep(crisis, samples, method=method, workers=1, block_size=block_size)
    assert result.done == result.requested == len(P_WIN) and not result.interrupted and not result.error
    assert set(result.failed) == BAD and result.solved == len(P_WIN) - len(BAD)
    for k in BAD:
        assert "nodes.war.probabilities" in result.failed[k] and "outside [0, 1]" in result.failed[k]
        assert "at sample" not in result.failed[k]  # the position is the key, not a batch's offset
    for k, p in enumerate(P_WIN):
        expected = FAILED_PATH if k in BAD else _path(crisis, p)
        assert result.paths[k] == expected
    # The means are over the samples solved: the same as a sweep over those alone.
    good = [p for k, p in enumerate(P_WIN) if k not in BAD]
    alone = run_sweep(crisis, {"p_win": np.array(good), "war_cost": np.full(len(good), 0.3)},
                      method=method, workers=1)
    for name, (mean, lo, hi) in result.outcome_probabilities().items():
        assert (mean, lo, hi) == pytest.approx(alone.outcome_probabilities()[name])
    assert result.mean_payoffs() == pytest.approx(alone.mean_payoffs())
    assert np.isnan(result.payoffs[sorted(BAD)]).all()
    shares = dict(result.path_shares())
    assert shares[FAILED_PATH] == pytest.approx(len(BAD) / len(P_WIN))


def test_a_sample_failing_in_floats_and_exactly_is_reported(crisis, monkeypatch):
    import policy.solvers as solvers

    real = solvers.solve
    calls: list[tuple[float, bool]] = []

    def flaky(game, values, method="auto", exact=None, **options):
        calls.append((float(values["p_win"]), bool(exact)))
        if float(values["p_win"]) == 0.5:  # fails both ways
            raise SolverError("made to fail at p_win = 0.5")
        if float(values["p_win"]) == 0.25 and not exact:  # floats fail, exact succeeds
            raise SolverError("made to fail in floats")
        return real(game, values, method=method, exact=exact, **options)

    monkeypatch.setattr(solvers, "solve", flaky)
    samples = grid_samples(crisis, {"p_win": Fraction(1, 2), "war_cost": Fraction(3, 10)},
                           [Vary("p_win", 0, 1, 5)])
    result = run_sweep(crisis, samples, method="lcp", workers=1)
    assert result.failed == {2: "made to fail at p_win = 0.5"}
    assert (0.5, True) in calls and (0.25, True) in calls  # both retried exactly
    assert result.paths[1] == _path(crisis, 0.25)


def test_an_error_naming_no_sample_sends_the_block_one_by_one(crisis, monkeypatch):
    def refuses(*args, **kwargs):
        raise SolverError("the batch solver gave up (no sample named)")

    monkeypatch.setattr(sweep_module, "_batch_solved", refuses)
    samples = {"p_win": np.array(P_WIN), "war_cost": np.full(len(P_WIN), 0.3)}
    result = run_sweep(crisis, samples, workers=1)
    assert set(result.failed) == BAD
    assert [p for k, p in enumerate(result.paths) if k not in BAD] == [
        _path(crisis, p) for k, p in enumerate(P_WIN) if k not in BAD
    ]


@pytest.mark.parametrize("method", ["auto", "lcp"])
def test_a_sweep_where_every_sample_fails_is_an_error(crisis, method):
    samples = {"p_win": np.array([1.5, 2.0, -1.0]), "war_cost": np.full(3, 0.3)}
    with pytest.raises(SweepError, match=r"every sample failed to solve; sample 0: .*outside \[0, 1\]"):
        run_sweep(crisis, samples, method=method, workers=1)


def test_the_command_lists_the_failures_in_every_format(tmp_path):
    game = tmp_path / "crisis.toml"
    game.write_text(CRISIS)
    code, out, err = invoke("sweep", str(game), "--vary", "p_win=0:1.5:16")
    assert code == 0
    assert err.startswith("warning: 5 of 16 samples failed to solve; the first, sample 11: ")
    assert err.count("\n") == 1
    assert " 1.1 to 1.5   (failed: no equilibrium found)" in out
    assert "5 of them failed to solve (listed below); the means are over the 11 solved" in out
    assert "Samples that failed to solve" in out and "p_win = 1.3" in out
    code, out, _ = invoke("sweep", str(game), "--vary", "p_win=0:1.5:16", "--format", "json")
    data = json.loads(out)
    assert (data["done"], data["solved"], data["failed"]) == (16, 11, 5)
    assert [f["sample"] for f in data["failures"]] == [11, 12, 13, 14, 15]
    assert data["failures"][0]["values"] == {"p_win": pytest.approx(1.1)}
    code, out, _ = invoke("sweep", str(game), "--vary", "p_win=0:1.5:16", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 16
    assert rows[12]["path"].startswith("failed: ") and "outside [0, 1]" in rows[12]["path"]
    assert rows[12]["won"] == "" and rows[12]["payoff_Challenger"] == ""
    assert rows[3]["path"] == "demand=stay_quiet" and rows[3]["status_quo"] == "1.0"


def test_the_api_returns_the_failures_with_a_warning(crisis):
    import policy

    with pytest.warns(UserWarning, match="5 of 16 samples failed to solve"):
        swept = policy.sweep(crisis, {"p_win": (0, 1.5, 16)})
    assert sorted(swept.failed) == [11, 12, 13, 14, 15] and swept.solved == 11
    assert swept.data()["failed"] == 5


def test_a_block_without_its_summary_has_the_same_paths_ties_and_failures(crisis):
    # The distance-to-a-flip search reads only these (solve_block(..., summary=False)).
    samples = {"p_win": np.array(P_WIN), "war_cost": np.full(len(P_WIN), 0.3)}
    full = sweep_module.solve_block(crisis, samples, 0, "spe")
    paths = sweep_module.solve_block(crisis, samples, 0, "spe", summary=False)
    assert set(paths.failed) == BAD and paths.failed == full.failed
    assert [paths.path_words[i] for i in paths.path_index] == [full.path_words[i] for i in full.path_index]
    assert (paths.tie == full.tie).all()
    assert paths.facts.shape == (len(P_WIN), 0) and not paths.outcome_mean.any()
    assert full.outcome_mean.any()
