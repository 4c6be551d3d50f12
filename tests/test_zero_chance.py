"""Choices behind a chance move of probability 0.

No profile, however mixed, reaches such a node (chance does not tremble), so
a method that selects one equilibrium through the sequence form, the
strategic form or trembles of the players may leave any choice there, even a
strictly worse one: still a Nash equilibrium, but not subgame perfect. The
solvers solve each proper subgame that starts there on its own
(:func:`policy.solvers._rational_where_chance_never_goes`), and the
sequential check asks that the behaviour there be a best reply under some
belief (:func:`policy.solvers.sequential._cut_off_check`). Found by a new
user's review: qpe, the default for two players, chose ``bad`` below.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from conftest import invoke

from policy.gamefile import loads_game
from policy.leaders import resolve
from policy.solvers import solve
from policy.solvers.sequential import check_equilibrium

# A matching-pennies game on the usual branch; on the rare one (probability
# p_rare, 0 by default) A alone picks good (1) or bad (0).
RARE = """\
[game]
title = "A branch chance never takes"
players = ["A", "B"]

[parameters.p_rare]
description = "Chance of the rare branch"
default = 0
range = [0, 1]

[nodes.root]
chance = true
actions = { usual = "a_move", rare = "a_rare" }
probabilities = { usual = "1 - p_rare", rare = "p_rare" }

[nodes.a_move]
player = "A"
actions = { left = "b1", right = "b2" }

[nodes.b1]
player = "B"
infoset = "b_set"
actions = { up = "t1", down = "t2" }

[nodes.b2]
player = "B"
infoset = "b_set"
actions = { up = "t3", down = "t4" }

[nodes.a_rare]
player = "A"
actions = { good = "t5", bad = "t6" }

[nodes.t1]
payoffs = { A = 1, B = 0 }
[nodes.t2]
payoffs = { A = 0, B = 1 }
[nodes.t3]
payoffs = { A = 0, B = 1 }
[nodes.t4]
payoffs = { A = 1, B = 0 }
[nodes.t5]
payoffs = { A = 1, B = 0 }
[nodes.t6]
payoffs = { A = 0, B = 0 }
"""


def rare_game(body: str = RARE):
    return loads_game(body, "rare.toml")


@pytest.mark.parametrize("method", ["auto", "qpe", "lcp", "gnm", "simpdiv", "spe"])
@pytest.mark.parametrize("exact", [True, False])
def test_one_answer_methods_choose_well_behind_a_zero_chance(method: str, exact: bool) -> None:
    game = rare_game()
    result = solve(game, resolve(game), method=method, exact=exact)
    eq = result.equilibria[0]
    assert float(eq.behavior["a_rare"]["good"]) == pytest.approx(1.0)
    # Matching pennies on the usual branch, unchanged: each mixes 1/2.
    assert float(eq.behavior["a_move"]["left"]) == pytest.approx(0.5)
    assert float(eq.behavior["b_set"]["up"]) == pytest.approx(0.5)
    assert float(eq.values[0]) == pytest.approx(0.5)
    assert check_equilibrium(result, eq).verdict is True


def test_enumerations_list_every_equilibrium_and_the_check_says_which_are_sequential() -> None:
    game = rare_game()
    result = solve(game, resolve(game), method="enummixed")
    verdicts = {eq.behavior["a_rare"]["good"]: check_equilibrium(result, eq) for eq in result.equilibria}
    assert set(verdicts) == {Fraction(1), Fraction(1, 2), Fraction(0)}
    assert verdicts[Fraction(1)].verdict is True
    for worse in (Fraction(1, 2), Fraction(0)):
        check = verdicts[worse]
        assert check.verdict is False and check.infoset == "a_rare"
        assert "behind a chance move of probability 0" in check.reason


def test_a_positive_chance_is_left_to_the_method() -> None:
    # At p_rare = 1/10 the rare branch is reached: qpe's own choice (good) stands.
    game = rare_game()
    eq = solve(game, {"p_rare": Fraction(1, 10)}, method="qpe").equilibria[0]
    assert eq.behavior["a_rare"]["good"] == 1


TWO_RARE = RARE.replace(
    'actions = { usual = "a_move", rare = "a_rare" }\nprobabilities = { usual = "1 - p_rare", rare = "p_rare" }',
    'actions = { usual = "a_move", rare = "a_rare", odd = "a_odd" }\n'
    'probabilities = { usual = "1 - p_rare", rare = "p_rare", odd = 0 }',
).replace(
    '[nodes.a_rare]\nplayer = "A"\n',
    '[nodes.a_rare]\nplayer = "A"\ninfoset = "a_blind"\n',
) + """
[nodes.a_odd]
player = "A"
infoset = "a_blind"
actions = { good = "t7", bad = "t8" }

[nodes.t7]
payoffs = { A = {good_odd}, B = 0 }
[nodes.t8]
payoffs = { A = 0, B = 0 }
"""


@pytest.mark.parametrize("good_odd", ["1", "-1"])
def test_a_region_that_is_not_a_proper_subgame_is_left_and_judged(good_odd: str) -> None:
    # A cannot tell a_rare from a_odd, both behind chance moves of probability 0: neither
    # starts a proper subgame, so the method's choice stands and the check judges it. With
    # good worth 1 at both, only good is a best reply under any belief; with good worth -1 at
    # a_odd, each action is a best reply under some belief.
    game = rare_game(TWO_RARE.replace("{good_odd}", good_odd))
    for method in ("lcp", "qpe", "simpdiv"):
        result = solve(game, resolve(game), method=method)
        eq = result.equilibria[0]
        check = check_equilibrium(result, eq)
        if good_odd == "-1" or eq.behavior["a_blind"]["good"] == 1:
            assert check.verdict is True, method
        else:
            assert check.verdict is False and check.infoset == "a_blind", method
            assert "whatever the beliefs" in check.reason


def test_solve_command_shows_the_good_choice(tmp_path) -> None:
    path = tmp_path / "rare.toml"
    path.write_text(RARE, encoding="utf-8")
    code, out, _ = invoke("--no-color", "solve", str(path))
    assert code == 0
    line = next(x for x in out.splitlines() if x.strip().startswith("a_rare"))
    assert "good" in line and "bad" not in line
    assert "sequential: yes" in out


def test_compare_names_the_rule_of_the_method_it_used(tmp_path) -> None:
    # The note above the flips says how the method actually used selects an equilibrium
    # (here qpe, the default for two players), not spe's or lcp's rule.
    path = tmp_path / "rare.toml"
    path.write_text(RARE.replace("default = 0\n", 'default = "1/2"\n'), encoding="utf-8")
    code, out, _ = invoke("--no-color", "compare", str(path), "--leaders", "stalin,stalin")
    text = " ".join(out.split())
    assert code == 0
    if "Distance to a flip" in text:
        assert "qpe selects a quasi-perfect equilibrium" in text and "spe selects" not in text
    from policy.analysis.compare import compare
    from policy.render.text import flip_note

    game = rare_game()
    [c] = compare([(path, game)], ["stalin"], swaps=False, flips=False, count=False)
    assert "qpe selects a quasi-perfect equilibrium" in flip_note(c)
