"""Size limits of the solving methods, checked before solving (:mod:`policy.solvers.sizes`).

The hardening issue: logit on a 6,001-node chain asked for 67 GiB (a
MemoryError traceback) and took 218 s and 2 GB at 1,001 nodes. Every method
now states the size it accepts and the dispatcher refuses larger games up
front, naming the methods that fit (never a two-player method for three).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from policy.solvers import METHODS, SolverError, fitting_methods, sizes, solve
from policy.solvers.sizes import GameSize, too_big
from tests.conftest import invoke
from tests.games import chain, kuhn_poker, table_game


def test_chain_sizes():
    # A chain of k decisions: 2k actions; the terminal after j moves has j^2 ordered pairs.
    size = GameSize(chain(10))
    assert size.actions == 20
    assert size.path_pairs == sum(j * j for j in range(1, 11)) + 10 * 10
    assert size.sequences == (11, 11)
    assert size.strategies == (6, 6)  # stop at one of the five own nodes, or never


def test_every_method_but_spe_declares_a_size():
    assert set(sizes.CHECKS) == set(METHODS) - {"spe"}


def test_logit_on_a_6001_node_chain_is_refused_up_front():
    game = chain(3000)
    assert game.num_nodes == 6001
    tracemalloc.start()
    try:
        with pytest.raises(SolverError) as err:
            solve(game, {}, method="logit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "too big for logit" in message and "GiB" in message
    assert message.endswith("methods that fit: spe")
    assert "\n" not in message
    assert peak < 64 * 2**20


def test_logit_on_a_1001_node_chain_is_refused():
    with pytest.raises(SolverError, match=r"1,000 actions .*more than logit accepts \(600 actions"):
        solve(chain(500), {}, method="logit")


def test_logit_still_solves_a_chain_within_its_size():
    result = solve(chain(20), {}, method="logit")
    assert result.equilibria[0].choice("d0") == "stop"


def test_three_players_are_never_offered_two_player_methods():
    game = chain(400, players=3)
    with pytest.raises(SolverError) as err:
        solve(game, {}, method="logit")
    message = str(err.value)
    assert message.endswith("methods that fit: spe")
    for two in ("lcp", "lp", "enummixed"):
        assert two not in message.split("methods that fit")[1]
    assert fitting_methods(game) == ["spe"]


def test_float_is_offered_when_only_float_fits(monkeypatch):
    monkeypatch.setattr(sizes, "LCP_EXACT_DIMENSION", 10)
    game = kuhn_poker()
    assert too_big("lcp", game, exact=True) is not None
    with pytest.raises(SolverError, match=r"too big for lcp \(exact\).*; methods that fit: lcp --float, lp, "):
        solve(game, {}, method="lcp")
    assert solve(game, {}, method="lcp", exact=False).equilibria
    monkeypatch.setattr(sizes, "LP_EXACT_CELLS", 10)
    assert "lp --float" in fitting_methods(game)


def test_spe_names_the_subgame_option(monkeypatch):
    # Kuhn poker is zero-sum: spe gives its subgame to lp (the auto rule).
    monkeypatch.setattr(sizes, "LCP_EXACT_DIMENSION", 10)
    monkeypatch.setattr(sizes, "LP_EXACT_CELLS", 10)
    with pytest.raises(
        SolverError,
        match=r"^subgame at 'deal': 'Kuhn poker' is too big for lp \(exact\): .*; subgame methods that fit "
        r"\(--subgame-method\): lp --float, lcp --float, ",
    ):
        solve(kuhn_poker(), {}, method="spe")


def test_strategic_form_limit_names_a_method_that_fits():
    rng = np.random.default_rng(0)
    payoffs = [rng.integers(0, 9, size=(11, 11, 11)).astype(object) for _ in range(3)]
    game = table_game(payoffs)  # 1,331 profiles: fits
    assert too_big("enumpure", game, exact=True) is None
    big = chain(3000, players=3)  # 1001^3 profiles
    with pytest.raises(SolverError, match=r"too big for enumpure .*more than 1,000,000 profiles; methods that fit: spe$"):
        solve(big, {}, method="enumpure")


def test_cli_refuses_with_one_line(tmp_path):
    from policy.gambit import write_efg

    path = tmp_path / "chain.efg"
    path.write_text(write_efg(chain(3000)))
    code, out, err = invoke("solve", str(path), "-m", "logit")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "too big for logit" in err and "methods that fit: spe" in err


# ---------------------------------------------------------------------------------
# A two-player method on a game of another size (user30, finding 3): lp's size
# check unpacked two sequence counts and raised a bare ValueError before lp could
# refuse the game in its own words.
# ---------------------------------------------------------------------------------
#: Three players; B and C each have one information set across A's two moves, so
#: the only proper subgame is the whole game, and spe hands it, three movers and
#: all, to its subgame method.
THREE = """
[game]
title = "Three"
players = ["A", "B", "C"]

[parameters.p]
description = "A's payoff when B stops after go"
default = 1
range = [0, 2]

[nodes.a]
player = "A"
actions = { go = "b1", stop = "b2" }

[nodes.b1]
player = "B"
infoset = "b"
actions = { on = "c1", off = "t0" }

[nodes.b2]
player = "B"
infoset = "b"
actions = { on = "c2", off = "t1" }

[nodes.c1]
player = "C"
infoset = "c"
actions = { x = "t2", y = "t3" }

[nodes.c2]
player = "C"
infoset = "c"
actions = { x = "t4", y = "t5" }

[nodes.t0]
payoffs = { A = "p", B = 0, C = 0 }
[nodes.t1]
payoffs = { A = 0, B = 1, C = 0 }
[nodes.t2]
payoffs = { A = 2, B = 1, C = 1 }
[nodes.t3]
payoffs = { A = 0, B = 2, C = 0 }
[nodes.t4]
payoffs = { A = 1, B = 0, C = 2 }
[nodes.t5]
payoffs = { A = 0, B = 0, C = 1 }
"""

LEADER = """
[leader]
name = "Lead"

[values.p]
value = 0.5
note = "judgement: a test value"
"""

TWO_PLAYER_METHODS = sorted(name for name, entry in METHODS.items() if entry.two_players)


def three_players():
    from policy.gamefile import loads_game

    return loads_game(THREE, "three.toml", known_claims=[])


def test_the_two_player_methods_are_declared():
    assert TWO_PLAYER_METHODS == ["enummixed", "lcp", "lp", "perfect", "qpe"]


def test_lp_size_is_measured_for_any_number_of_players():
    game = three_players()
    assert len(sizes.game_size(game).sequences) == 3
    for exact in (True, False):
        assert too_big("lp", game, exact) is None


@pytest.mark.parametrize("method", TWO_PLAYER_METHODS)
@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
@pytest.mark.parametrize("players", [1, 3])
def test_two_player_methods_refuse_other_games_in_one_line(method, exact, players):
    game, values = (three_players(), {"p": 1}) if players == 3 else (chain(3, players=1), {})
    with pytest.raises(SolverError) as err:
        solve(game, values, method=method, exact=exact)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith((f"{method} solves 2-player games", f"{method} needs a two-player game"))
    assert f"has {players} player{'s' if players != 1 else ''}" in message


@pytest.mark.parametrize("method", ["lp", "lcp", "qpe", "enummixed"])
def test_spe_refuses_a_two_player_subgame_method_for_three_movers(method):
    with pytest.raises(SolverError, match=rf"^subgame at 'a': {method} (solves 2-player|needs a two-player)"):
        solve(three_players(), {"p": 1}, method="spe", subgame_method=method)


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "{game}", "-m", "lp"],
        ["solve", "{game}", "-m", "lp", "--float"],
        ["solve", "{game}", "-m", "spe", "--subgame-method", "lp"],
        ["compare", "{game}", "-l", "{leader}", "-m", "lp"],
        ["sweep", "{game}", "-l", "{leader}", "--vary", "p=0:1:3", "-m", "lp"],
        ["render", "{game}", "-m", "lp", "-o", "{out}"],
    ],
    ids=["solve", "solve-float", "subgame-method", "compare", "sweep", "render"],
)
def test_cli_lp_on_three_players_is_one_line(tmp_path, args):
    game = tmp_path / "three.toml"
    game.write_text(THREE)
    leader = tmp_path / "lead.toml"
    leader.write_text(LEADER)
    out = tmp_path / "x.svg"
    filled = [a.format(game=game, leader=leader, out=out) for a in args]
    code, stdout, err = invoke(*filled)
    assert code == 1 and stdout == ""
    assert err.count("\n") == 1
    assert "lp solves 2-player games; 'Three' has 3 players (A, B, C); use logit or enumpure" in err
    assert not out.exists()
