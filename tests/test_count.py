"""How many equilibria: the only one, several, or cannot say (issue 12, point 1)."""

from __future__ import annotations

import numpy as np
import pytest

from policy.api import bimatrix
from policy.gamefile import loads_game
from policy.solvers.count import count_nash, count_subgame_perfect

ENTRY = """\
[game]
title = "Entry deterrence"
players = ["Entrant", "Incumbent"]

[nodes.entry]
player = "Entrant"
actions = { enter = "response", stay_out = "out" }

[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }

[nodes.out]
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
payoffs = { Entrant = -1, Incumbent = -1 }

[nodes.shared]
payoffs = { Entrant = 1, Incumbent = 1 }
"""


def test_matching_pennies_has_one_equilibrium() -> None:
    # Matching pennies: the unique equilibrium mixes 1/2-1/2 (Osborne and Rubinstein 1994, 2.5 and 3.2).
    game = bimatrix([[1, -1], [-1, 1]])
    count = count_nash(game, {})
    assert count.unique is True
    assert count.text.startswith("the only Nash equilibrium")


def test_battle_of_the_sexes_has_three() -> None:
    # Two pure equilibria and one mixed (Osborne and Rubinstein 1994, example 15.3 / 34.1).
    game = bimatrix([[2, 0], [0, 1]], [[1, 0], [0, 2]])
    count = count_nash(game, {})
    assert (count.unique, count.equilibria, count.outcomes) == (False, 3, 3)
    assert count.text.startswith("one of 3 extreme Nash equilibria, with 3 different outcomes (enummixed lists them")


def test_entry_game_nash_several_but_one_subgame_perfect() -> None:
    """Entry deterrence: the threat to fight keeps the entrant out in a Nash equilibrium
    (Selten 1975), a component with vertices 'fight' and 'fight with probability 1/2';
    subgame perfection leaves only entry and accommodation."""
    game = loads_game(ENTRY, known_claims=[])
    count = count_nash(game, {})
    assert (count.unique, count.equilibria, count.outcomes) == (False, 3, 2)
    spe = count_subgame_perfect(game, {})
    assert spe.unique is True
    assert spe.text == "the only subgame-perfect equilibrium (every mover has one best action at every node)"


def test_a_tie_gives_several_subgame_perfect_equilibria() -> None:
    game = loads_game(ENTRY.replace("Entrant = 1, Incumbent = 1", "Entrant = 1, Incumbent = -1"), known_claims=[])
    spe = count_subgame_perfect(game, {})
    assert (spe.unique, spe.equilibria, spe.outcomes) == (False, 2, 2)
    assert "indifferent at 1 node" in spe.text


THREE = """\
[game]
title = "Three-player coordination"
players = ["A", "B", "C"]

[nodes.a]
player = "A"
actions = { l = "b_l", r = "b_r" }

[nodes.b_l]
player = "B"
infoset = "b"
actions = { l = "c_ll", r = "c_lr" }

[nodes.b_r]
player = "B"
infoset = "b"
actions = { l = "c_rl", r = "c_rr" }

[nodes.c_ll]
player = "C"
infoset = "c"
actions = { l = "t1", r = "t2" }

[nodes.c_lr]
player = "C"
infoset = "c"
actions = { l = "t3", r = "t4" }

[nodes.c_rl]
player = "C"
infoset = "c"
actions = { l = "t5", r = "t6" }

[nodes.c_rr]
player = "C"
infoset = "c"
actions = { l = "t7", r = "t8" }

[nodes.t1]
payoffs = { A = 1, B = 1, C = 1 }
[nodes.t2]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t3]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t4]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t5]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t6]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t7]
payoffs = { A = 0, B = 0, C = 0 }
[nodes.t8]
payoffs = { A = 2, B = 2, C = 2 }
"""


def test_three_players_several_pure_decide_but_one_pure_does_not() -> None:
    game = loads_game(THREE, known_claims=[])
    count = count_nash(game, {})
    # (l,l,l) and (r,r,r) are pure equilibria with different outcomes; so is any profile
    # where two players' deviations alone cannot reach a better terminal, e.g. (l,r,l).
    assert count.unique is False and count.outcomes is not None and count.outcomes >= 2
    # Matching pennies between A and B with C a dummy: no pure equilibrium, so the
    # pure ones say nothing about uniqueness.
    pennies = THREE
    for t, pay in {"t1": "1, B = -1", "t2": "1, B = -1", "t3": "-1, B = 1", "t4": "-1, B = 1",
                   "t5": "-1, B = 1", "t6": "-1, B = 1", "t7": "1, B = -1", "t8": "1, B = -1"}.items():
        start = pennies.index(f"[nodes.{t}]")
        end = pennies.index("\n", pennies.index("payoffs", start))
        pennies = pennies[:start] + f"[nodes.{t}]\npayoffs = {{ A = {pay}, C = 0 }}" + pennies[end:]
    count = count_nash(loads_game(pennies, known_claims=[]), {})
    assert count.unique is None
    assert count.text.startswith("one of possibly several Nash equilibria (enumpure finds no pure equilibrium")


@pytest.mark.parametrize("seed", range(12))
def test_count_agrees_with_gambit_on_random_bimatrix_games(seed: int) -> None:
    """The number of extreme equilibria equals pygambit's enumerate_mixed on the same game."""
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(2, 5, size=2)
    a = rng.integers(-9, 10, size=(rows, cols))
    b = rng.integers(-9, 10, size=(rows, cols))
    count = count_nash(bimatrix(a.tolist(), b.tolist()), {})
    g = gbt.Game.from_arrays(a.astype(int), b.astype(int))
    theirs = gbt.nash.enummixed_solve(g, rational=True).equilibria
    assert count.unique is not None
    if count.unique:
        assert len(theirs) == 1
    else:
        assert count.equilibria == len(theirs)


def test_solve_says_how_many(tmp_path) -> None:
    """`policy solve` ends with the count, in the table and in the JSON."""
    import json

    from click.testing import CliRunner

    from policy.cli import main

    game = tmp_path / "entry.toml"
    game.write_text(ENTRY)
    runner = CliRunner()
    result = runner.invoke(main, ["solve", str(game), "--method", "lcp"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == (
        "How many: one of 3 extreme Nash equilibria, with 2 different outcomes "
        "(enummixed lists them; --method enummixed shows each)."
    )
    result = runner.invoke(main, ["solve", str(game), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["count"]["unique"] is True and data["count"]["kind"] == "subgame-perfect equilibrium"
    result = runner.invoke(main, ["solve", str(game), "--no-count", "--format", "json"])
    assert "count" not in json.loads(result.stdout)


def test_nfg_games_are_shown_as_strategic_form_tables() -> None:
    """An .nfg game is shown by strategies and profiles, not as a tree with beliefs (issue 13)."""
    from click.testing import CliRunner

    from policy.bundled import PROJECT
    from policy.cli import main

    bos = PROJECT / "tests" / "data_nfg" / "bos.nfg"
    result = CliRunner().invoke(main, ["--no-color", "solve", str(bos), "--method", "enummixed", "--no-count"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "information set" not in out and "belief" not in out and "sequential" not in out
    assert "strategy profile" in out and "(Bach, Stravinsky)" in out
    # The mixed equilibrium of the battle of the sexes: 2/3 on one's favourite.
    assert "Equilibrium 2 of 3" in out and "2/3" in out


def _three_players_around(table: list[list[tuple[int, int]]]):
    """C stays out (0, 0, 1) or lets A and B play ``table`` simultaneously (C gets 2 whatever they do)."""
    from policy.model import build_game
    from tests.conftest import decision, terminal

    specs = [decision("c", "C", out="o", play="a"), terminal("o", 0, 0, 1),
             decision("a", "A", up="au", down="ad")]
    for row, name in enumerate(("au", "ad")):
        specs.append(decision(name, "B", "b", left=f"{name}l", right=f"{name}r"))
        for col, side in enumerate(("l", "r")):
            pa, pb = table[row][col]
            specs.append(terminal(f"{name}{side}", pa, pb, 2))
    return build_game("Three around a table", ["A", "B", "C"], specs)


def test_spe_with_imperfect_information_counts_its_subgames_equilibria() -> None:
    from policy.solvers import solve
    from policy.solvers.count import count_for

    # Matching pennies has one equilibrium (Osborne and Rubinstein 1994, 3.2), so
    # the subgame-perfect equilibrium around it is the only one.
    pennies = _three_players_around([[(1, -1), (-1, 1)], [(-1, 1), (1, -1)]])
    result = solve(pennies, {})
    assert result.method == "spe"
    count = count_for(result, {})
    assert count.unique is True and "enummixed" in count.how
    # The battle of the sexes has three (two pure, one mixed): three
    # subgame-perfect equilibria with three outcomes.
    sexes = _three_players_around([[(2, 1), (0, 0)], [(0, 0), (1, 2)]])
    count = count_for(solve(sexes, {}), {})
    assert count.unique is False and count.equilibria == 3 and count.outcomes == 3


def test_spe_count_of_a_large_game_is_decided_part_by_part_or_says_why_not() -> None:
    from policy.solvers.count import COUNT_SPE_NODES, count_spe_subgames
    from tests.games import random_signalling

    game = random_signalling(6, 6, 60, 0)  # 2,000-odd nodes, more than the count lists
    assert game.num_nodes > COUNT_SPE_NODES
    count = count_spe_subgames(game, {})
    # One two-mover subgame too large for enummixed within the count's budget.
    assert count.unique is None and "undecided: enummixed could not list" in count.how


def test_a_warning_that_the_game_may_have_others_is_answered_by_a_count_that_finds_none() -> None:
    """A new user's review: compare said "the only subgame-perfect equilibrium", then two lines
    on "one quasi-perfect equilibrium ...; the game may have others"."""
    from policy.solvers.count import Count, settled

    warning = "12 subgames at 'x': one quasi-perfect equilibrium (Lemke's method from one start); the game may have others"
    only = Count("subgame-perfect equilibria", True, "by hand")
    several = Count("subgame-perfect equilibria", False, "by hand", 2)
    undecided = Count("subgame-perfect equilibria", None, "out of time")
    assert settled(warning, only).endswith("the count finds no other (subgame-perfect equilibria)")
    assert "may have others" not in settled(warning, only)
    for count in (several, undecided, None):
        assert settled(warning, count) == warning
    assert settled("another warning", only) == "another warning"
