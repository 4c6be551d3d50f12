"""compare, report and the flip search go on past a piece that cannot be solved, marked in its place."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from policy.analysis import flip as flip_module
from policy.analysis.compare import compare, path_text
from policy.gamefile import loads_game
from policy.solvers import solve
from policy.solvers.errors import SolverError
from tests.conftest import invoke
from tests.test_sweep_failures import CRISIS

PROFILE = """
[leader]
name = "{name}"
description = "An example leader for the tests."

[values.p_win]
value = {p_win}
note = "judgement: an example value"

[values.war_cost]
value = {war_cost}
note = "judgement: an example value"
"""


@pytest.fixture
def files(tmp_path):
    """The crisis, a leader at whose values it is invalid (p_win 1.2) and one at whose it is not."""
    game = tmp_path / "crisis.toml"
    game.write_text(CRISIS)
    bad, good = tmp_path / "reckless.toml", tmp_path / "dove.toml"
    bad.write_text(PROFILE.format(name="Reckless", p_win=1.2, war_cost=0.1))
    good.write_text(PROFILE.format(name="Dove", p_win=0.4, war_cost=0.5))
    return game, bad, good


def test_a_leader_whose_values_cannot_be_solved_is_marked_and_the_others_go_on(files):
    game_file, bad, good = files
    game = loads_game(CRISIS, str(game_file))
    [c] = compare([(game_file, game)], [bad, good])
    assert c.results[0] is None and "outside [0, 1]" in c.failure(0)
    assert c.failure(1) == ""
    direct = solve(game, {"p_win": Fraction(2, 5), "war_cost": Fraction(1, 2)})
    assert path_text(c.results[1], c.results[1].equilibria[0]) == path_text(direct, direct.equilibria[0])
    assert c.swaps == ()  # no swaps against a leader with no solve
    assert "could not be solved" in c.flips[0].skipped and c.flips[1].path
    assert c.counts[0].unique is None and c.counts[1].unique is True


def test_the_command_marks_the_failed_column_and_warns(files):
    game, bad, good = files
    code, out, err = invoke("compare", str(game), "-l", f"{bad},{good}")
    assert code == 0
    assert "Reckless: cannot solve:" in out and "outside [0, 1]" in out
    assert " Challenger: demand                cannot solve   stay_quiet" in out
    assert err.startswith("warning: ") and "leader 'reckless': cannot solve" in err
    code, out, _ = invoke("compare", str(game), "-l", f"{bad},{good}", "--format", "json")
    data = json.loads(out)["games"][0]
    assert data["results"]["reckless"] is None and data["results"]["dove"]["equilibria"]
    assert "outside [0, 1]" in data["failures"]["reckless"]


def test_nothing_solved_is_an_error(files):
    game, bad, _ = files
    code, out, err = invoke("compare", str(game), "-l", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("Error: ") and "outside [0, 1]" in err and err.count("\n") == 1


def test_a_flip_search_that_fails_is_marked_for_that_leader_alone(files, monkeypatch):
    game_file, _, good = files
    game = loads_game(CRISIS, str(game_file))
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise SolverError("logit gave up (made to fail)")
        return real(*args, **kwargs)

    real = flip_module._search
    monkeypatch.setattr(flip_module, "_search", fails_once)
    [c] = compare([(game_file, game)], [good, good])
    assert c.flips[0].skipped == "not searched: logit gave up (made to fail)"
    assert not c.flips[1].skipped and c.flips[1].flips
    assert all(r is not None for r in c.results)


def test_the_report_marks_the_failed_leader_in_place(files, tmp_path):
    game, bad, good = files
    out = tmp_path / "report.html"
    code, _, err = invoke("report", str(game), "-l", f"{bad},{good}", "-o", str(out))
    assert code == 0, err
    page = out.read_text()
    assert "No tree: A demand over a port could not be solved under Reckless" in page
    assert "Reckless: no sweep: the game could not be solved" in page
    assert "Reckless: cannot solve:" in page
