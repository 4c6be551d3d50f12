"""review31: enummixed --float on bimatrix tables, checked against the exact method.

Found while reviewing 8b07a38..44ff3c8 (records made from the exact integers on
tables). The first test is a crash that predated that change (it happened at
8b07a38 too): scipy's qhull got a segmentation fault on payoffs near 1e300,
fixed since by scaling the float steps' payoffs.
The others pin what the change fixed: values that were off by hundreds of
orders of magnitude, and distinct exact equilibria that float mode merged.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest

from policy import from_matrices
from policy.solvers.enummixed import enummixed_solve

#: A 4 x 5 table with payoffs up to 8e300 in size (mixed with 1e15 to 1e100):
#: more than the integer path's size, so qhull enumerates P, and crashes.
HUGE_A = [
    ["1e300", "-8e15", "4e17", "-9e15", "-5e300"],
    ["0", "-8e17", "-8e300", "6e100", "-8e16"],
    ["-3e15", "2e17", "2e300", "-2e17", "1e100"],
    ["-8e300", "-5e16", "9e16", "-2e15", "-7e15"],
]
HUGE_B = [
    ["-8e16", "2e100", "-4e16", "-3e17", "-2e16"],
    ["-9e100", "1e300", "3e16", "1e16", "-6e100"],
    ["0", "3e300", "-6e16", "1e300", "2e100"],
    ["3e100", "0", "6e15", "6e15", "1e16"],
]


def test_float_enumeration_survives_payoffs_near_1e300():
    # scipy's qhull crashed the process (a segmentation fault, also at 8b07a38) on the
    # polar points of payoffs near 1e300; the float steps now take each player's payoffs
    # scaled by a power of two near 1 (vertex_float._in_range). In a child process, so
    # that a crash fails this test instead of ending pytest; the answer is the exact one.
    code = textwrap.dedent(
        f"""
        from policy import from_matrices
        from policy.solvers.enummixed import enummixed_solve
        game = from_matrices({HUGE_A!r}, {HUGE_B!r})
        floats = enummixed_solve(game, {{}}, exact=False)
        exact = enummixed_solve(game, {{}}, exact=True)
        want = sorted(tuple(float(p) for p in eq.probabilities) for eq in exact.equilibria)
        assert sorted(eq.probabilities for eq in floats.equilibria) == want
        print(len(floats.equilibria))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert done.stdout.strip() == "1"


def test_payoffs_are_scaled_only_far_from_one():
    # A power of two brings the largest magnitude near 1 only beyond 2**+-100; otherwise
    # the float steps see the payoffs unchanged (the same arrays, the same qhull run).
    import numpy as np

    from policy.solvers.vertex_float import RANGE_BITS, _in_range

    ordinary = np.array([[3.0, -200.0], [1e-30, 2.0**RANGE_BITS]])
    assert _in_range(ordinary) is ordinary
    assert _in_range(np.zeros((2, 2))).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    huge = np.array([[1e300, -8e300], [3.0, 0.0]])
    scaled = _in_range(huge)
    assert 0.5 <= np.abs(scaled).max() < 1.0
    assert scaled[0, 0] / huge[0, 0] == scaled[0, 1] / huge[0, 1] == scaled[1, 0] / huge[1, 0]  # one factor
    assert scaled[1, 1] == 0.0
    tiny = np.array([[1e-300, -3e-300], [0.0, 5e-301]])
    assert 0.5 <= np.abs(_in_range(tiny)).max() < 1.0


def _as_float_game(a: list[list[str]], b: list[list[str]]):
    """The table whose exact payoffs are the floats of ``a`` and ``b`` (what float mode solves)."""
    exact = [[[Fraction(float(Fraction(v))) for v in row] for row in m] for m in (a, b)]
    return from_matrices(*exact)


#: (A, B): tables of mixed magnitudes where float mode on 8b07a38 was off.
CASES = {
    # 8b07a38: P2's value 3.19e-31 where the exact value is -8.0e-300, and P1's
    # -9.5e-284 where it is -1.625e-283 (float sums of products of 1e17 and 1e-300).
    "values": (
        [["-1e17", "-9e-307"], ["-1e17", "-9e-307"], ["8e15", "-46"], ["-8e300", "13"], ["-3e-307", "-43"]],
        [["27", "-8e-300"], ["27", "-8e-300"], ["-5e15", "6e-300"], ["6", "44"], ["-1e-300", "-10"]],
    ),
    # 8b07a38: 2 equilibria (two within 1e-9 of each other merged); the exact method has 3.
    "distinct": (
        [["-8e-100", "1e-15"], ["5e-100", "-8e-307"], ["-2e-300", "7e-307"]],
        [["-3e-15", "3e-307"], ["3e-307", "-1e-307"], ["1e-15", "-7e-307"]],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_table_answers_are_the_exact_ones_rounded(name):
    game = _as_float_game(*CASES[name])
    floats = enummixed_solve(game, {}, exact=False)
    exact = enummixed_solve(game, {}, exact=True)
    assert floats.details["backend"] == "bases"  # the table path under review
    got = sorted((eq.probabilities, eq.values, eq.max_regret) for eq in floats.equilibria)
    want = sorted(
        (tuple(float(p) for p in eq.probabilities), tuple(float(v) for v in eq.values), 0.0)
        for eq in exact.equilibria
    )
    assert got == want
