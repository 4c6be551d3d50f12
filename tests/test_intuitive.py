"""Perfect Bayesian equilibria of signalling games and the Intuitive Criterion.

Cho and Kreps (1987), "Signaling games and stable equilibria", QJE 102,
179-221: in beer-quiche both pooling equilibria are sequential; pooling on
quiche fails the Intuitive Criterion (the surly type, who alone could gain
from beer, would drink it once the receiver must think the deviator surly),
pooling on beer passes. Cross-checks: the equilibria pygambit's
``enummixed_solve`` lists for random signalling games, judged by our module
and by a separate brute-force reading of the criterion written here for two
types (beliefs are one number; a reply is a best reply to some belief in an
interval exactly when it is best at an end or a crossing point).
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from typing import Any

import pytest
from click.testing import CliRunner

from policy.cli import main
from policy.model import Game
from policy.solvers import SolverError, solve
from policy.solvers.intuitive import intuitive_check, signalling_form
from policy.solvers.sequential import sequential_check
from tests.conftest import REPO, needs_pygambit, to_pygambit
from tests.games import beer_quiche, entry_deterrence, kuhn_poker, signalling_game
from tests.test_signalling import job_market

F = Fraction
BEER_QUICHE = REPO / "tests" / "data" / "beer_quiche.toml"


def senders(eq: Any, game: Game) -> tuple[str | None, ...]:
    """What each sender type chooses (None if it mixes)."""
    return tuple(eq.choice(game.infosets.at(int(game.infoset[n])).name) for n in game.children_of(0))


# -- beer-quiche (Cho and Kreps 1987, section II) ----------------------------------------
@pytest.mark.parametrize("exact", [True, False])
def test_beer_quiche_keeps_pooling_on_beer_and_discards_pooling_on_quiche(exact):
    game = beer_quiche()
    result = solve(game, {}, refinement="intuitive", exact=exact)
    assert result.method == "enummixed"
    assert result.equilibria
    assert {senders(eq, game) for eq in result.equilibria} == {("beer", "beer")}
    gone = result.details["discarded"]
    assert gone and {senders(eq, game) for eq, _ in gone} == {("quiche", "quiche")}
    for _, check in gone:
        # Quiche pooling: at beer the wimp is ruled out (its 3 from quiche beats
        # anything beer brings), and the surly type, left alone, is not fought.
        assert check.verdict == "fails"
        assert (check.infoset, check.type) == ("after_beer", "surly")
        assert check.excluded["after_beer"] == ("wimp",)
        assert check.payoffs == {"surly": 2, "wimp": 3}
    for check in result.details["intuitive"]:
        assert check.passes
        # Beer pooling: quiche is equilibrium-dominated for the surly type only.
        assert check.excluded["after_quiche"] == ("surly",)
        assert check.payoffs == {"surly": 3, "wimp": 2}


def test_beer_quiche_plausible_beliefs_are_on_the_wimp():
    game = beer_quiche()
    result = solve(game, {}, refinement="intuitive")
    pure = [(eq, c) for eq, c in zip(result.equilibria, result.details["intuitive"], strict=True)
            if eq.choice("after_quiche") == "duel"]
    [(eq, check)] = pure
    assert check.restricted and eq.refinement == "intuitive criterion"
    assert check.beliefs["after_quiche"] == {"sq": 0, "wq": 1}
    # The mixed reply at quiche needs belief 1/2 on the wimp: an outcome that
    # passes, off-path behaviour the criterion's beliefs do not support.
    mixed = [c for eq, c in zip(result.equilibria, result.details["intuitive"], strict=True)
             if eq.choice("after_quiche") is None]
    assert [c.restricted for c in mixed] == [False]


def test_job_market_pooling_survives_when_no_type_could_gain_by_studying():
    # By hand (tests/test_signalling.py's Spence game): pooling on N pays both
    # types 2; education brings at most 2 - 1/2 to H and 2 - 3/2 to L, so it is
    # equilibrium-dominated for both and the criterion restricts nothing.
    game = job_market()
    result = solve(game, {}, method="enumpure", refinement="intuitive")
    kept = {senders(eq, game) for eq in result.equilibria}
    assert ("N", "N") in kept and ("E", "N") in kept
    for eq, check in zip(result.equilibria, result.details["intuitive"], strict=True):
        if senders(eq, game) == ("N", "N"):
            assert set(check.excluded["heard_E"]) == {"high", "low"}


def test_a_reply_no_belief_justifies_is_not_perfect_bayesian():
    # At m1 the receiver's a0 costs it 1 whoever sent m1, so pooling on m0
    # held up by a0 at m1 is Nash but no belief makes a0 optimal.
    pay = [F(x) for x in (1, 0, 1, 0, 0, -1, 2, 0,   # type 0: m0 -> a0, a1; m1 -> a0, a1
                          1, 0, 1, 0, 0, -1, 2, 0)]  # type 1
    game = signalling_game(2, 2, 2, pay, [F(1, 2), F(1, 2)])
    result = solve(game, {}, method="enumpure")
    pooling = [eq for eq in result.equilibria if eq.choice("heard_m1") == "a0"]
    assert pooling  # both types send m0 (either reply there pays the same)
    form = signalling_form(game, {})
    for eq in pooling:
        check = intuitive_check(form, game, eq.probabilities, True)
        assert check.verdict == "not perfect Bayesian" and check.infoset == "heard_m1"
        assert sequential_check(game, game.numbers({}), eq.probabilities).verdict is False
    refined = solve(game, {}, method="enumpure", refinement="intuitive")
    assert all(eq.choice("heard_m1") != "a0" for eq in refined.equilibria)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (entry_deterrence, "root"),
        (kuhn_poker, "does not know its type"),
    ],
)
def test_other_games_are_refused_with_the_reason(make, why):
    from tests.games import ENTRY_VALUES

    game = make()
    values = ENTRY_VALUES if make is entry_deterrence else {}
    with pytest.raises(SolverError, match=why):
        solve(game, values, refinement="intuitive")


def test_unknown_refinement_is_refused():
    with pytest.raises(SolverError, match="unknown refinement"):
        solve(beer_quiche(), {}, refinement="divine")


# -- against pygambit and a brute-force reading, on random signalling games --------------
def _best_at(values: list[tuple[Fraction, Fraction]], p: Fraction) -> set[int]:
    """Replies best at belief p on type 0; ``values[a]`` = receiver payoff (type 0, type 1)."""
    worth = [p * v0 + (1 - p) * v1 for v0, v1 in values]
    top = max(worth)
    return {a for a, w in enumerate(worth) if w == top}


def _points(values: list[tuple[Fraction, Fraction]], types: set[int]) -> list[Fraction]:
    if types == {0}:
        return [F(1)]
    if types == {1}:
        return [F(0)]
    out = {F(0), F(1)}
    for a, (x0, x1) in enumerate(values):
        for y0, y1 in values[a + 1:]:
            slope = (x0 - x1) - (y0 - y1)
            if slope:
                p = (y1 - x1) / slope
                if 0 < p < 1:
                    out.add(p)
    return sorted(out)


def brute_force(pay: list[Fraction], messages: int, replies: int, behavior: dict[str, dict[str, Fraction]]) -> str:
    """The verdict for a 2-type :func:`tests.games.signalling_game`, straight from the definitions."""
    def at(k: int, m: int, a: int) -> tuple[Fraction, Fraction]:
        i = 2 * ((k * messages + m) * replies + a)
        return pay[i], pay[i + 1]

    sigma = [[behavior[f"s{k}"][f"m{m}"] for m in range(messages)] for k in range(2)]
    rho = [[behavior[f"heard_m{m}"][f"a{a}"] for a in range(replies)] for m in range(messages)]
    star = [sum(sigma[k][m] * rho[m][a] * at(k, m, a)[0] for m in range(messages) for a in range(replies))
            for k in range(2)]
    verdict = "passes"
    for m in range(messages):
        if sigma[0][m] or sigma[1][m]:
            continue
        values = [(at(0, m, a)[1], at(1, m, a)[1]) for a in range(replies)]
        support = {a for a in range(replies) if rho[m][a]}
        if not any(support <= _best_at(values, p) for p in _points(values, {0, 1})):
            return "not perfect Bayesian"

        def br(types: set[int], values: list[tuple[Fraction, Fraction]] = values) -> set[int]:
            return set().union(*(_best_at(values, p) for p in _points(values, types)))

        every = br({0, 1})
        rest = {k for k in range(2) if star[k] <= max(at(k, m, a)[0] for a in every)}
        if not rest:
            continue
        plausible = br(rest)
        if any(min(at(k, m, a)[0] for a in plausible) > star[k] for k in range(2)):
            verdict = "fails"
    return verdict


@needs_pygambit
def test_random_signalling_games_against_pygambit_and_a_brute_force_reading():
    import pygambit

    rng = random.Random(20260512)
    seen: dict[str, int] = {}
    for _ in range(50):
        # Two messages: with three, pygambit's enumeration takes seconds per game.
        messages, replies = rng.choice([(2, 2), (2, 3)])
        pay = [F(rng.randint(-2, 3)) for _ in range(2 * 2 * messages * replies)]
        prior = F(rng.randint(1, 9), 10)
        game = signalling_game(2, messages, replies, pay, [prior, 1 - prior])
        form = signalling_form(game, {})
        g, actions = to_pygambit(game, {})
        theirs = pygambit.nash.enummixed_solve(g, rational=True).equilibria
        ours = solve(game, {}, method="enummixed").equilibria
        # The same extreme equilibria: in a signalling game no move of a player
        # cuts off another of its sets, so the strategic form is already reduced.
        assert {tuple(eq.probabilities) for eq in ours} == {
            tuple(F(eq.as_behavior()[actions[(s.name, a)]]) for s in game.infosets.values() for a in s.actions)
            for eq in theirs
        }
        for eq in theirs:
            b = eq.as_behavior()
            behavior = {s.name: {a: F(b[actions[(s.name, a)]]) for a in s.actions} for s in game.infosets.values()}
            probs = [behavior[s.name][a] for s in game.infosets.values() for a in s.actions]
            got = intuitive_check(form, game, probs, True)
            expected = brute_force(pay, messages, replies, behavior)
            assert got.verdict == expected, (pay, prior, behavior, got)
            seq = sequential_check(game, game.numbers({}), probs).verdict
            assert (seq is True) == (got.verdict != "not perfect Bayesian")
            seen[expected] = seen.get(expected, 0) + 1
    # The sample meets every verdict, so the comparison is not vacuous.
    assert seen.keys() == {"passes", "fails", "not perfect Bayesian"}, seen


# -- the command line --------------------------------------------------------------------
def test_cli_table_and_json():
    runner = CliRunner()
    got = runner.invoke(main, ["solve", str(BEER_QUICHE), "--refine", "intuitive"])
    assert got.exit_code == 0, got.output
    assert "refined: perfect Bayesian equilibria that pass the Intuitive Criterion" in got.output
    assert "intuitive criterion (Cho-Kreps): passes" in got.output
    assert "fails (at after_beer: type surly would send 'beer'" in " ".join(got.output.split())
    got = runner.invoke(main, ["solve", str(BEER_QUICHE), "--refine", "intuitive", "--format", "json"])
    data = json.loads(got.output)
    assert data["refine"] == "intuitive"
    assert [c["verdict"] for c in data["intuitive"]] == ["passes"] * len(data["equilibria"])
    assert [d["intuitive"]["verdict"] for d in data["discarded"]] == ["fails", "fails"]
    assert all(d["behavior"]["s"]["quiche"] == "1" for d in data["discarded"])
    assert data["count"]["kind"] == "perfect Bayesian equilibria passing the Intuitive Criterion"


def test_cli_refuses_a_game_that_is_not_a_signalling_game():
    got = CliRunner().invoke(main, ["solve", str(REPO / "games" / "coup_1937.toml"), "--refine", "intuitive"])
    assert got.exit_code == 1
    assert "needs a signalling game" in got.output and len(got.output.strip().splitlines()) == 1
