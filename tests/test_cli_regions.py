"""`policy regions` from the command line."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SCENARIO_V1, invoke

# This module's hand-computed values were derived from the scenario as it stood
# before the review (tests/conftest.py SCENARIO_V1), so it keeps using it.
pytestmark = pytest.mark.usefixtures("scenario_v1")


GAME = str(SCENARIO_V1 / "diplomacy_1939.toml")


def run(*args: str) -> tuple[int, str, str]:
    return invoke("regions", *args)


def test_one_parameter_gives_exact_intervals():
    # Stalin's readiness boundaries: derived in tests/test_regions.py (9/25 and 2/5).
    code, out, _ = run(GAME, "-l", "stalin", "--vary", "readiness")
    assert code == 0
    assert "1/10 <= readiness <= 9/25: start=deal_germany, pact_reply=honour" in out
    assert "9/25 < readiness <= 2/5: start=turtle, turtle_reply=attack" in out
    assert "2/5 < readiness <= 9/10: start=deal_germany, pact_reply=honour" in out


def test_json_with_an_explicit_range():
    code, out, _ = run(GAME, "-l", "stalin", "--vary", "readiness=3/10:1/2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["box"] == {"readiness": ["3/10", "1/2"]}
    assert [b["value"] for b in data["boundaries"] if b["kind"] == "path"] == ["9/25", "2/5"]
    assert data["exact"] and data["complete"]
    assert [r["path"] for r in data["regions"]][1] == ["start=turtle", "turtle_reply=attack"]


def test_two_parameters_give_inequalities():
    code, out, _ = run(GAME, "-l", "stalin", "--vary", "readiness", "--vary", "ideology_cost")
    assert code == 0
    assert "ideology_cost <= -(25*readiness - 11)/20 and readiness <= 2/5" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--vary", "nerve"), 1, "unknown parameter 'nerve'"),
        (("--vary", "readiness=1:0"), 1, "readiness"),
        # One located line and exit 1, as sweep's --vary (once a usage error, exit 2).
        (("--vary", "readiness=abc"), 1, "expected NAME or NAME=LOW:HIGH"),
        (("--vary", "readiness=a:b"), 1, "LOW and HIGH must be numbers"),
        (("--vary", "readiness", "--vary", "oil_value", "--vary", "loss_weight"), 1, "one or two"),
    ],
)
def test_bad_requests(args, code, message):
    status, _, err = run(GAME, "-l", "stalin", *args)
    assert status == code
    assert message in err
    if code == 1:
        assert err.startswith("Error: ") and err.count("\n") == 1


def test_imperfect_information_is_refused_in_one_line():
    status, _, err = run(str(SCENARIO_V1 / "barbarossa_1941.toml"), "-l", "stalin", "--vary", "readiness")
    assert status == 1
    assert "perfect information" in err and err.count("\n") == 1


HOSTILE = """
[game]
title = "A war whose cost is a degree-64 polynomial"
players = ["Entrant", "Incumbent"]

[parameters.x]
description = "The cost"
default = 1
range = [0, 5]

[nodes.entry]
player = "Entrant"
actions = { stay_out = "out", enter = "response" }

[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }

[nodes.out]
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
payoffs = { Entrant = "-x", Incumbent = "x**64 - 3*x**31 + x" }

[nodes.shared]
payoffs = { Entrant = 1, Incumbent = 1 }
"""


def test_high_degree_ends_with_a_float_answer_that_says_so(tmp_path):
    # The hardening issue: past 420 s inside sympy before.
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE)
    code, out, _ = run(str(path), "--vary", "x")
    assert code == 0
    assert "0 <= x < ~1.03372543" in out and "not exact" in out
    code, out, _ = run(str(path), "--vary", "x", "--format", "json")
    assert code == 0 and json.loads(out)["exact"] is False


def test_time_budget_is_one_line(tmp_path):
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE)
    code, out, err = run(str(path), "--vary", "x", "--max-seconds", "0.000001")
    assert code == 1 and out == ""
    assert "not finished within 1e-06 s" in err and "--max-seconds" in err and err.count("\n") == 1
