"""Exact numbers: printed in full however long, and refused up front when they would grow too large.

The cases come from an adversarial run: twelve chance nodes whose
probabilities have 400-digit denominators (an 11 KB file) made reach
probabilities of about 4,800 digits, beyond Python's 4,300-digit limit on
``str(int)``, and the output crashed with ``ValueError: Exceeds the limit``; a
chance chain 10**5 deep made exact solving grow to 4.4 GB before that. Literals
beyond float's range are now refused where they are read, so the tests reach
the same lengths with sixteen 300-digit denominators.
"""

from __future__ import annotations

import json
import math
import sys
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.gambit import write_efg
from policy.gamefile import loads_game
from policy.model import Game, NodeKind, game_from_arrays
from policy.render.data import result_data
from policy.render.text import fmt
from policy.solvers import solve
from policy.solvers.errors import SolverError
from policy.solvers.exact_size import (
    ENVIRONMENT,
    MAX_DIGITS,
    ExactSizeError,
    check_exact_size,
    estimate_exact_size,
    max_digits,
)
from policy.solvers.result import integer_text, show_number
from tests.conftest import invoke
from tests.games import ENTRY_VALUES, entry_deterrence


# ---------------------------------------------------------------------------------
# Games
# ---------------------------------------------------------------------------------
def long_denominators(count: int = 16, digits: int = 300) -> str:
    """``count`` chance nodes in a row, each leaving with probability ``1/q`` (``q`` of ``digits`` digits).

    A literal may not pass float's range (about 1.8e308, docs/game-format.md),
    so the denominators are long through the products along the chain: 16 of
    300 digits make reach probabilities of about 4,800 digits.
    """
    lines = ["[game]", 'title = "Long denominators"', 'players = ["A", "B"]', ""]
    for k in range(count):
        q = 10 ** (digits - 1) + 2 * k + 1
        after = f"c{k + 1}" if k + 1 < count else "choice"
        lines += [
            f"[nodes.c{k}]", "chance = true", f'actions = {{ on = "{after}", off = "t{k}" }}',
            f'probabilities = {{ on = "1 - 1/{q}", off = "1/{q}" }}', "",
            f"[nodes.t{k}]", f"payoffs = {{ A = {k}, B = {-k} }}", "",
        ]
    lines += [
        "[nodes.choice]", 'player = "A"', 'actions = { left = "l", right = "r" }', "",
        "[nodes.l]", "payoffs = { A = 1, B = 2 }", "",
        "[nodes.r]", "payoffs = { A = 2, B = 1 }", "",
    ]
    return "\n".join(lines)


def chance_chain(depth: int, p: Fraction = Fraction(1, 3)) -> Game:
    """``depth`` chance nodes in a row, each stopping with probability ``p``; a choice at the end."""
    num_children, kind, player = [2], [NodeKind.CHANCE], [-1]
    payoffs: list[list[Fraction]] = []
    probabilities = {0: [p, 1 - p]}
    for k in range(1, depth):  # breadth-first: the stop of level k, then the next chance node
        num_children += [0, 2]
        kind += [NodeKind.TERMINAL, NodeKind.CHANCE]
        player += [-1, -1]
        payoffs.append([Fraction(k), Fraction(-k)])
        probabilities[2 * k] = [p, 1 - p]
    num_children += [0, 2, 0, 0]
    kind += [NodeKind.TERMINAL, NodeKind.DECISION, NodeKind.TERMINAL, NodeKind.TERMINAL]
    player += [-1, 0, -1, -1]
    payoffs += [[Fraction(depth), Fraction(-depth)], [Fraction(1), Fraction(2)], [Fraction(2), Fraction(1)]]
    return game_from_arrays("chance chain", ["A", "B"], num_children, kind, player, payoffs, probabilities)


# ---------------------------------------------------------------------------------
# Printing in full
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "n",
    [0, 7, -7, 10**100, 2**8192, 2**8193 + 1, -(3**20000), 10**5000, 10**5000 - 1, 7 * 10**9000 + 3],
    ids=lambda n: f"{'-' if n < 0 else ''}{n.bit_length()}bits",
)
def test_integer_text_is_str_without_the_limit(n):
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # only to compute the expected text here
    try:
        expected = str(n)
    finally:
        sys.set_int_max_str_digits(limit)
    assert integer_text(n) == expected
    assert sys.get_int_max_str_digits() == limit  # nothing global changed


def test_show_number_writes_long_fractions_in_full():
    x = Fraction(1, 3**10000)
    text = show_number(x)
    assert text.startswith("1/") and len(text) == 2 + 4772 and text.endswith(str(3**10000 % 10**9))
    assert fmt(x) == "~6.12989e-4772"  # a table shows an approximation, not ~0
    assert fmt(-Fraction(3**10000, 7)) == "~-2.3305e+4770"


def test_a_game_with_long_denominators_prints_as_table_and_json(write_game):
    path = str(write_game(long_denominators()))
    code, table, err = invoke("solve", path)
    assert code == 0, err
    assert "t15       ~1e-299" in table and "r         ~1" in table
    code, out, err = invoke("solve", path, "--format", "json")
    assert code == 0, err
    (eq,) = json.loads(out)["equilibria"]
    # The probability of stopping at the last chance node, exactly, in full.
    qs = [10**299 + 2 * k + 1 for k in range(16)]
    last = Fraction(1, qs[15])
    for q in qs[:15]:
        last *= 1 - Fraction(1, q)
    assert last.denominator.bit_length() > 15000  # about 4,800 digits: beyond str()'s 4,300
    assert eq["outcomes"]["t15"] == show_number(last)
    assert len(eq["outcomes"]["t15"]) > 9000


def test_long_denominators_in_the_library_round_trip():
    game = loads_game(long_denominators(), "long.toml", known_claims=[])
    result = solve(game, {})
    data = result_data(result)
    text = data["equilibria"][0]["outcomes"]["t0"]
    assert text == "1/" + integer_text(10**299 + 1)


# ---------------------------------------------------------------------------------
# Refusing up front
# ---------------------------------------------------------------------------------
def test_the_estimate_follows_the_paths():
    # p = 1/3: ceil(log2 3) = 2 bits per chance level; a terminal adds the
    # bits of its largest payoff.
    game = chance_chain(50)
    size = estimate_exact_size(game, game.numbers({}, exact=True))
    # The largest: the last stop, 50 levels down (100 bits), paying 50 (6 bits).
    assert size.largest == math.ceil((2 * 50 + 6) * math.log10(2))
    assert game.node_names[size.node] == "n99"
    # Nodes at chance depth k hold about 2k bits: about 2 * 50**2 bits in all (1,500 digits).
    assert 1500 < size.total < 1800
    # No chance, small payoffs: a few digits.
    entry = entry_deterrence()
    assert estimate_exact_size(entry, entry.numbers(ENTRY_VALUES)).largest <= 1


def test_bundled_sized_games_pass():
    game = loads_game(long_denominators(), "long.toml", known_claims=[])
    size = check_exact_size(game, game.numbers({}, exact=True))
    assert 4700 < size.largest < MAX_DIGITS  # 16 denominators of 300 digits


def test_a_deep_chance_chain_is_refused_fast_with_bounded_memory(monkeypatch):
    # The 10**5-deep chain, scaled down: 3,000 levels against a limit of 2,000
    # digits per number (2,000,000 in all); its numbers would hold about
    # 2.7 million digits in all. The refusal builds none of them.
    monkeypatch.setenv(ENVIRONMENT, "2000")
    game = chance_chain(3000)
    game.numbers({}, exact=True)  # evaluating the game's own numbers is not what is measured
    tracemalloc.start()
    try:
        with pytest.raises(ExactSizeError) as info:
            solve(game, {}, method="spe", exact=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "\n" not in message
    assert "digits of numbers in all (limit 2,000,000)" in message and "--float" in message
    assert ENVIRONMENT in message and "'chance chain'" in message
    assert peak < 5_000_000  # the numbers themselves would take about 1.2 MB per million digits
    # Floats solve it, and a higher limit lets exact solving through.
    assert solve(game, {}, method="spe", exact=False).equilibria
    monkeypatch.setenv(ENVIRONMENT, "10000")
    assert solve(game, {}, method="spe", exact=True).equilibria[0].max_regret == 0


def test_one_number_too_long_is_refused(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "1000")
    game = loads_game(long_denominators(), "long.toml", known_claims=[])
    with pytest.raises(ExactSizeError, match=r"numbers of about 4,7\d\d digits \(limit 1,000\)"):
        solve(game, {})
    assert solve(game, {}, exact=False).equilibria


def test_the_command_line_refuses_in_one_line_and_floats_solve(tmp_path, monkeypatch):
    path = tmp_path / "chain.efg"
    path.write_text(write_efg(chance_chain(1500)), encoding="utf-8")
    monkeypatch.setenv(ENVIRONMENT, "1000")
    code, out, err = invoke("solve", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("Error: exact arithmetic on")
    assert "solve with --float" in err
    code, out, err = invoke("solve", str(path), "--float")
    assert code == 0, err


@pytest.mark.parametrize("text", ["many", "0", "-5"])
def test_a_bad_limit_is_a_clear_error(monkeypatch, text):
    monkeypatch.setenv(ENVIRONMENT, text)
    with pytest.raises(SolverError, match=f"{ENVIRONMENT}='{text}': give a positive whole number"):
        max_digits()


@pytest.mark.slow
def test_the_adversarial_chain_of_depth_100000_is_refused_by_default(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    game = chance_chain(10**5)
    tracemalloc.start()
    try:
        with pytest.raises(ExactSizeError, match="--float"):
            solve(game, {}, method="spe", exact=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000_000  # the old code reached 4.4 GB


def test_regions_use_the_same_bound(write_game, monkeypatch):
    # regions computes exactly too: a chance chain under a parametrised choice.
    depth = 200
    lines = ["[game]", 'title = "Chain with a choice"', 'players = ["A"]', "",
             "[parameters.x]", 'description = "a payoff"', "default = 1", "range = [0, 2]", ""]
    for k in range(depth):
        after = f"c{k + 1}" if k + 1 < depth else "choice"
        lines += [f"[nodes.c{k}]", "chance = true", f'actions = {{ on = "{after}", off = "t{k}" }}',
                  'probabilities = { on = "2/3", off = "1/3" }', "",
                  f"[nodes.t{k}]", "payoffs = { A = 0 }", ""]
    lines += ["[nodes.choice]", 'player = "A"', 'actions = { left = "l", right = "r" }', "",
              "[nodes.l]", 'payoffs = { A = "x" }', "", "[nodes.r]", "payoffs = { A = 1 }", ""]
    path = str(write_game("\n".join(lines)))
    code, out, err = invoke("regions", path, "--vary", "x")
    assert code == 0, err
    monkeypatch.setenv(ENVIRONMENT, "50")
    code, out, err = invoke("regions", path, "--vary", "x")
    assert code == 1 and err.count("\n") == 1
    assert "use policy sweep (floats) instead" in err and ENVIRONMENT in err


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**300), min_size=1, max_size=40), st.booleans())
def test_bit_lengths_of_object_arrays_are_python_bit_lengths(values: list[int], one_numpy_int: bool) -> None:
    from policy.solvers.exact_size import _bit_lengths

    held: list[object] = list(values)
    if one_numpy_int:  # a numpy integer inside an object array takes the slower way, same answer
        held[0] = np.int64(values[0] % 2**62)
        values = [values[0] % 2**62, *values[1:]]
    array = np.empty(len(held), dtype=object)
    array[:] = held
    assert _bit_lengths(array).tolist() == [v.bit_length() for v in values]
