"""A signalling game with both a separating and a pooling equilibrium.

Spence's (1973, "Job market signaling", QJE 87) education game in its textbook
two-type form (e.g. Gibbons, *A Primer in Game Theory*, 1992, section 4.2.B):
a worker of high type (probability 2/3) or low type chooses education (E) or
none (N); the firm sees only the choice and pays a high wage (W = 2) or a low
one (w = 1). Education costs the high type 1/2 and the low type 3/2; the firm
scores 1 for paying each type its own wage.

By hand: separating (H: E, L: N; firm: E -> W, N -> w) is an equilibrium:
H gets 3/2 against 1 by not studying, L gets 1 against 1/2 by studying.
Pooling on N (firm: N -> W, E -> w) is one too: at N the firm's belief is the
prior, so W earns 2/3 against 1/3; each type gets 2 and studying would give
1 minus its cost.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from policy.model import build_game
from policy.solvers import solve
from tests.conftest import chance, decision, terminal

COST = {"H": F(1, 2), "L": F(3, 2)}
WAGE = {"W": F(2), "w": F(1)}


def job_market():
    specs = [chance("nature", {"high": F(2, 3), "low": F(1, 3)}, high="H", low="L")]
    for t in ("H", "L"):
        specs.append(decision(t, "Worker", infoset=f"type_{t}", E=f"{t}E", N=f"{t}N"))
        for m in ("E", "N"):
            specs.append(decision(f"{t}{m}", "Firm", infoset=f"heard_{m}",
                                  W=f"{t}{m}W", w=f"{t}{m}w"))
            for wage in ("W", "w"):
                worker = WAGE[wage] - (COST[t] if m == "E" else 0)
                firm = 1 if (wage == "W") == (t == "H") else 0
                specs.append(terminal(f"{t}{m}{wage}", worker, firm))
    return build_game("Job market signalling", ["Worker", "Firm"], specs)


def pure(eq):
    return {s: eq.choice(s) for s in eq.behavior}


SEPARATING = {"type_H": "E", "type_L": "N", "heard_E": "W", "heard_N": "w"}
POOLING = {"type_H": "N", "type_L": "N", "heard_E": "w", "heard_N": "W"}


@pytest.mark.parametrize("method", ["enumpure", "enummixed"])
def test_both_the_separating_and_a_pooling_equilibrium_are_found(method):
    result = solve(job_market(), {}, method=method)
    found = [pure(eq) for eq in result.equilibria]
    assert SEPARATING in found
    assert POOLING in found
    for eq in result.equilibria:
        assert eq.max_regret == 0


def test_payoffs_and_outcomes_of_the_two_equilibria():
    result = solve(job_market(), {}, method="enumpure")
    by_kind = {("sep" if pure(eq) == SEPARATING else "pool"): eq for eq in result.equilibria
               if pure(eq) in (SEPARATING, POOLING)}
    # Separating: H studies and is paid W (2 - 1/2), L is paid w: 2/3 * 3/2 + 1/3 * 1.
    assert by_kind["sep"].payoffs == {"Worker": F(4, 3), "Firm": F(1)}
    assert by_kind["sep"].outcomes["HEW"] == F(2, 3) and by_kind["sep"].outcomes["LNw"] == F(1, 3)
    # Pooling: everyone is paid W without studying; the firm is right 2/3 of the time.
    assert by_kind["pool"].payoffs == {"Worker": F(2), "Firm": F(2, 3)}


def test_lcp_finds_an_equilibrium_of_it():
    [eq, *_] = solve(job_market(), {}, method="lcp").equilibria
    assert eq.max_regret == 0
