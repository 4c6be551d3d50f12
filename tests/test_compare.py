"""`policy compare`'s library: outcome facts, swaps that show which assumptions matter, beliefs.

The games are small files written here, so the expected numbers can be worked
out by hand (the bundled scenario changes as it is calibrated).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from policy.analysis.compare import (
    compare,
    fact_probabilities,
    path_changes,
    shared_beliefs,
    terminal_facts,
)
from policy.gamefile import load_game
from policy.leaders import load_leader, resolve
from policy.render.data import comparison_data, result_data
from policy.render.text import compare_table, solve_table
from policy.solvers import solve

# A pushes or yields; if A pushes, B fights or backs down; a fight is a coin
# toss with chances p and q. B fights: p*(-cost) + q*(1 - cost) = 1/4 > 0 at
# p = q = 1/2, cost = 1/4. A then pushes iff p*(nerve - cost) - q*cost > 0, that
# is iff nerve > 1/2. `idle` changes B's payoff where B never moves.
STANDOFF = """\
[game]
title = "Standoff"
players = ["A", "B"]

[parameters.nerve]
description = "What winning is worth to A"
default = 1
[parameters.cost]
description = "What a fight costs"
default = 0.25
[parameters.p]
description = "Chance that A wins a fight"
default = 0.5
[parameters.q]
description = "Chance that B wins a fight"
default = 0.5
[parameters.idle]
description = "B's bonus when A yields"
default = 0

[nodes.start]
player = "A"
actions = { push = "reply", yield = "yielded" }

[nodes.reply]
player = "B"
actions = { fight = "battle", back_down = "backed" }
payoffs = { A = 0, B = 0 }
facts = { crisis = "yes", war = "no" }

[nodes.battle]
chance = true
actions = { a_wins = "a_won", b_wins = "b_won" }
probabilities = { a_wins = "p", b_wins = "q" }

[nodes.yielded]
payoffs = { A = 0, B = "1 + idle" }
facts = { war = "no", winner = "B" }

[nodes.backed]
payoffs = { A = 1, B = 0 }
facts = { winner = "A" }

[nodes.a_won]
payoffs = { A = "nerve - cost", B = "-cost" }
facts = { war = "yes", winner = "A" }

[nodes.b_won]
payoffs = { A = "-cost", B = "1 - cost" }
facts = { war = "yes", winner = "B" }
"""

LEADERS = {
    "bold": "[leader]\nname = \"Bold\"\n[values]\nnerve = 2\nidle = 0\n",
    "meek": "[leader]\nname = \"Meek\"\n[values]\nnerve = \"1/4\"\nidle = 5\n",
    # B backs down when A wins 4 fights in 5. Changing p or q alone breaks
    # p + q = 1: those swaps cannot be solved.
    "odd": "[leader]\nname = \"Odd\"\n[values]\nnerve = 2\np = 0.8\nq = 0.2\n",
}


@pytest.fixture
def standoff(tmp_path: Path) -> Path:
    for key, text in LEADERS.items():
        (tmp_path / f"{key}.toml").write_text(text)
    path = tmp_path / "standoff.toml"
    path.write_text(STANDOFF)
    return path


def leaders(path: Path, *keys: str) -> list[Path]:
    return [path.parent / f"{k}.toml" for k in keys]


def test_facts_follow_the_path_and_the_nearest_outcome_wins(standoff: Path) -> None:
    game = load_game(standoff)
    facts = dict(zip((game.node_names[t] for t in game.terminals.tolist()), terminal_facts(game), strict=True))
    # `reply` says war = "no" and crisis = "yes"; terminals below it keep their own war.
    assert facts["a_won"] == {"war": "yes", "winner": "A", "crisis": "yes"}
    assert facts["backed"] == {"winner": "A", "crisis": "yes", "war": "no"}
    assert facts["yielded"] == {"war": "no", "winner": "B"}


def test_fact_probabilities_sum_reach(standoff: Path) -> None:
    game = load_game(standoff)
    bold = solve(game, resolve(game, load_leader(leaders(standoff, "bold")[0])))
    got = fact_probabilities(game, bold.equilibria[0])
    half = Fraction(1, 2)
    assert got == {
        "crisis": {"yes": 1},
        "war": {"no": 0, "yes": 1},
        "winner": {"B": half, "A": half},
    }
    meek = solve(game, resolve(game, load_leader(leaders(standoff, "meek")[0])))
    got = fact_probabilities(game, meek.equilibria[0])
    assert got["crisis"] == {"yes": 0}  # fact values never reached still appear, at 0
    assert got["winner"] == {"B": 1, "A": 0}


def test_swaps_show_which_value_flips_the_path(standoff: Path) -> None:
    [c] = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    assert [s.parameter for s in c.swaps] == ["nerve", "idle"]  # only the values that differ
    nerve, idle = c.swaps
    assert (nerve.leader, nerve.other, nerve.before, nerve.after) == ("bold", "meek", 2, Fraction(1, 4))
    assert nerve.same_as_other and nerve.outcomes_change
    assert [(ch.infoset, ch.before, ch.after) for ch in nerve.changes] == [
        ("start", {"push": 1, "yield": 0}, {"push": 0, "yield": 1}),
        ("reply", {"fight": 1, "back_down": 0}, None),
    ]
    assert not idle.changes and not idle.outcomes_change and not idle.same_as_other


def test_swaps_pair_each_leader_with_the_first_and_report_unsolvable_mixes(standoff: Path) -> None:
    [c] = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek", "odd"))
    pairs = [(s.other, s.parameter) for s in c.swaps]
    assert pairs == [("meek", "nerve"), ("meek", "idle"), ("odd", "p"), ("odd", "q")]
    p_swap = c.swaps[2]
    assert p_swap.result is None and "sum to 13/10" in p_swap.error
    text = compare_table([c], width=80)
    assert "cannot solve" in text
    assert "Bold, given one value of Odd's at a time" in text
    assert "No single value gives Odd's path" in text


def test_progress_names_each_step_in_order_and_changes_nothing(standoff: Path) -> None:
    """``progress`` hears each solve by leader, the swaps, the flips and the count, in that order,
    and the comparison is the one made without it."""
    game = load_game(standoff)
    heard: list[str] = []
    [c] = compare([(standoff, game)], leaders(standoff, "bold", "meek"), progress=heard.append)
    title = game.title
    bold, meek = (c.leaders[k].name for k in range(2))
    assert heard == [
        f"{title}: solving under {bold}",
        f"{title}: solving under {meek}",
        f"{title}: what drives the differences (the swaps)",
        f"{title}: each parameter's distance to a flip",
        f"{title}: counting the equilibria",
    ]
    [quiet] = compare([(standoff, game)], leaders(standoff, "bold", "meek"))
    assert compare_table([c], width=100) == compare_table([quiet], width=100)
    # Steps not asked for are not announced; one leader has no swaps.
    heard.clear()
    compare([(standoff, game)], leaders(standoff, "bold"), flips=False, count=False, progress=heard.append)
    assert heard == [f"{title}: solving under {bold}"]


def test_no_swaps_when_asked_or_with_one_leader(standoff: Path) -> None:
    game = load_game(standoff)
    [c] = compare([(standoff, game)], leaders(standoff, "bold", "meek"), swaps=False)
    assert c.swaps == ()
    [c] = compare([(standoff, game)], leaders(standoff, "bold"))
    assert c.swaps == ()


def test_path_changes_ignore_equal_behaviour() -> None:
    from policy.expr import parse
    from policy.model import NodeKind, NodeSpec, Outcome, build_game

    def t(name: str) -> NodeSpec:
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse(0),)))

    game = build_game(
        "g", ["P"], [NodeSpec("r", NodeKind.DECISION, player="P", actions=(("x", "a"), ("y", "b"))), t("a"), t("b")]
    )
    same = {"r": {"x": Fraction(1), "y": Fraction(0)}}
    assert path_changes(game, same, dict(same)) == []
    floaty = {"r": {"x": 1.0 - 1e-12, "y": 1e-12}}
    assert path_changes(game, {"r": {"x": 1.0, "y": 0.0}}, floaty) == []


def test_table_fits_80_columns_and_names_the_swaps(standoff: Path) -> None:
    comparisons = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    text = compare_table(comparisons, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Outcome facts" in text
    assert "war = yes" in text and "winner = A" in text
    flat = " ".join(text.split())
    assert "nerve 2 -> 1/4 start: push -> yield (= Meek's path)" in flat
    assert "idle 0 -> 5 no change" in flat


def test_markdown_has_the_swap_table(standoff: Path) -> None:
    comparisons = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    md = compare_table(comparisons, markdown=True)
    assert "| **Outcome facts** | | |" in md
    assert "| war = yes | 1 | 0 |" in md
    assert "| parameter | value | equilibrium path |" in md
    assert "| nerve | 2 -> 1/4 | start: push -> yield (= Meek's path) |" in md


def test_json_keys(standoff: Path) -> None:
    comparisons = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    data = json.loads(json.dumps(comparison_data(comparisons)))
    [g] = data["games"]
    assert g["facts"]["bold"]["war"] == {"no": "0", "yes": "1"}
    assert g["path"]["meek"] == {"start": {"push": "0", "yield": "1"}}
    nerve = g["swaps"][0]
    assert nerve["parameter"] == "nerve" and nerve["from"] == "2" and nerve["to"] == "1/4"
    assert nerve["path_changes"] and nerve["same_as_other"]
    assert nerve["path"] == {"start": {"push": "0", "yield": "1"}}
    assert nerve["outcomes"] == {"yielded": "1"}
    assert nerve["changes"][1] == {"infoset": "reply", "player": "B", "from": {"fight": "1", "back_down": "0"}, "to": None}
    assert g["swaps"][1]["error"] is None and g["swaps"][1]["path_changes"] is False


# Germany cannot tell a strong army from a weak one (chance 1/3 strong). The
# USSR does not move, so Germany's beliefs are chance's odds: 1/3 and 2/3.
BLIND = """\
[game]
title = "Blind"
players = ["USSR", "Germany"]

[nodes.army]
chance = true
actions = { strong = "g_strong", weak = "g_weak" }
probabilities = { strong = "1/3", weak = "2/3" }

[nodes.g_strong]
player = "Germany"
infoset = "guess"
actions = { attack = "lost", wait = "calm1" }

[nodes.g_weak]
player = "Germany"
infoset = "guess"
actions = { attack = "won", wait = "calm2" }

[nodes.lost]
payoffs = { USSR = 1, Germany = -1 }
[nodes.calm1]
payoffs = { USSR = 0, Germany = 0 }
[nodes.won]
payoffs = { USSR = -1, Germany = 1 }
[nodes.calm2]
payoffs = { USSR = 0, Germany = 0 }
"""


def test_beliefs_at_sets_with_several_nodes(tmp_path: Path) -> None:
    path = tmp_path / "blind.toml"
    path.write_text(BLIND)
    game = load_game(path)
    result = solve(game, {})
    eq = result.equilibria[0]
    assert shared_beliefs(result, eq) == {"guess": {"g_strong": Fraction(1, 3), "g_weak": Fraction(2, 3)}}
    data = result_data(result)
    assert data["equilibria"][0]["beliefs"] == {"guess": {"g_strong": "1/3", "g_weak": "2/3"}}
    text = solve_table(result, width=80)
    flat = " ".join(text.split())
    assert "guess Germany g_strong 1/3" in flat and "g_weak 2/3" in flat


def test_no_beliefs_with_perfect_information(standoff: Path) -> None:
    game = load_game(standoff)
    result = solve(game, resolve(game))
    assert result_data(result)["equilibria"][0]["beliefs"] == {}
    assert "belief" not in solve_table(result, width=80)


def test_flips_give_each_leaders_nearest_boundary(standoff: Path) -> None:
    # With a range on nerve, A's push/yield boundary at nerve = 1/2 is the only flip:
    # 3/2 away for bold (3/8 of the range [0, 4]) and 1/4 away for meek (1/16).
    standoff.write_text(STANDOFF.replace('default = 1\n', 'default = 1\nrange = [0, 4]\n', 1))
    [c] = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    bold, meek = c.flips
    assert [f.parameter for f in bold.flips] == [f.parameter for f in meek.flips] == ["nerve"]
    assert bold.flips[0].boundary == pytest.approx(0.5, abs=1e-8)
    assert bold.flips[0].share_of_range == pytest.approx(3 / 8, abs=1e-8)
    assert meek.flips[0].share_of_range == pytest.approx(1 / 16, abs=1e-8)
    assert bold.flips[0].path_after == meek.path == "start=yield"
    data = comparison_data([c])["games"][0]["flips"]
    assert data["meek"]["nearest"][0]["to_path"] == bold.path
    [plain] = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"), flips=False)
    assert plain.flips == ()


def test_table_and_markdown_show_the_flips(standoff: Path) -> None:
    standoff.write_text(STANDOFF.replace('default = 1\n', 'default = 1\nrange = [0, 4]\n', 1))
    comparisons = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"))
    table = compare_table(comparisons, width=80)
    assert "Distance to a flip" in table
    assert "   nerve: 2 -> 0.5 (37.5% of its range)\n     then start=yield" in table
    assert "   nerve: 0.25 -> 0.5 (6.2% of its range)" in table
    assert max(len(line) for line in table.splitlines()) <= 80
    md = compare_table(comparisons, markdown=True)
    assert "| Meek | nerve | 0.25 -> 0.5 | 6.2% | start=push, reply=fight |" in md


def test_a_parameter_whose_search_fails_is_reported_in_its_place(standoff: Path) -> None:
    # p alone cannot move: p + q must stay 1. Its search fails, saying where and
    # why, in the table and in JSON; nerve's flip is found all the same.
    text = STANDOFF.replace('default = 1\n', 'default = 1\nrange = [0, 4]\n', 1)
    text = text.replace('default = 0.5\n', 'default = 0.5\nrange = [0, 1]\n', 1)
    standoff.write_text(text)
    [c] = compare([(standoff, load_game(standoff))], leaders(standoff, "bold", "meek"), swaps=False)
    for search in c.flips:
        assert set(search.failed) == {"p"}
        assert search.failed["p"].startswith("at p = 0: ") and "sum to 1/2" in search.failed["p"]
        assert [f.parameter for f in search.flips] == ["nerve"]
    table = compare_table([c], width=200, colour=False)
    assert "Bold: p: the search for a flip failed: at p = 0: " in table
    assert "Meek: p: the search for a flip failed" in table
    markdown = compare_table([c], markdown=True)
    assert "- Bold: p: the search for a flip failed: at p = 0: " in markdown
    assert comparison_data([c])["games"][0]["flips"]["bold"]["failed"]["p"].startswith("at p = 0: ")


@pytest.mark.parametrize("make", ["kuhn_poker", "beer_quiche", "two_stage", "selten_horse"])
def test_path_decisions_reach_what_the_whole_tree_pass_gives(make: str) -> None:
    # Exact: the decisions and their reach are found down the path only; they must be
    # the decision nodes with positive reach in verify.reach_probabilities, with its values.
    import numpy as np

    import tests.games
    from policy.analysis.compare import path_decisions
    from policy.model import NodeKind
    from policy.solvers.verify import edge_weights, reach_probabilities

    game = getattr(tests.games, make)()
    result = solve(game, {}, exact=True)
    for eq in result.equilibria:
        numbers = game.numbers(result.parameters, exact=True)
        reach = reach_probabilities(game, edge_weights(game, numbers, eq.probabilities))
        want = [(game.node_names[n], reach[n])
                for n in np.flatnonzero((game.kind == NodeKind.DECISION) & (reach > 0)).tolist()]
        assert [(d.node, d.reach) for d in path_decisions(result, eq)] == want
        assert any(0 < r < 1 for _, r in want) or make == "selten_horse"
