"""policy decompose: Shapley parts of the difference between two leaders' end states.

Gamma differs from Alpha in the army (strength 3/4), in its belief about the
coup (p_win 1/2) and in France (p_fall 1). The parts are checked to add up to
the whole, and against the Shapley value computed the other way round, as the
average over every order of the marginal contributions.
"""

from __future__ import annotations

import itertools
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import invoke

from policy.analysis.compare import fact_probabilities
from policy.analysis.decompose import DecomposeError, decompose
from policy.campaign import load_campaign
from policy.leaders import load_leader, resolve
from policy.loading import load
from policy.solvers import solve

DATA = Path(__file__).resolve().parent / "data" / "campaigns"
GAMMA = """\
[leader]
name = "Gamma"
description = "A strong army, a doubtful coup, a France sure to fall."

[values.strength]
value = "3/4"
note = "judgement: a test value"

[values.p_win]
value = "1/2"
note = "judgement: a test value"

[values.p_fall]
value = 1
note = "judgement: a test value"
"""


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    for name in ("coup.toml", "crisis.toml", "two_stage.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "leaders", tmp_path / "leaders")
    (tmp_path / "leaders" / "gamma.toml").write_text(GAMMA, encoding="utf-8")
    return tmp_path / "two_stage.toml"


def by_orders(game, a, b, groups):
    """Shapley values as the mean over all orders of each group's marginal contribution."""
    def worth(coalition):
        values = dict(a)
        for g in coalition:
            for p in groups[g]:
                values[p] = b[p]
        eq = solve(game, values, method="spe").equilibria[0]
        return fact_probabilities(game, eq)

    out = {g: {} for g in groups}
    orders = list(itertools.permutations(groups))
    for order in orders:
        before = worth(())
        for k, g in enumerate(order):
            after = worth(order[: k + 1])
            for fact, values in after.items():
                for v, p in values.items():
                    out[g][(fact, v)] = out[g].get((fact, v), 0) + (p - before[fact][v]) / len(orders)
            before = after
    return out


def test_parts_add_up_and_match_the_average_over_orders(campaign: Path) -> None:
    game = load(campaign)
    alpha = load_leader(campaign.parent / "leaders" / "alpha.toml")
    gamma = load_leader(campaign.parent / "leaders" / "gamma.toml")
    groups = {"army": ["strength"], "beliefs": ["p_win"], "world": ["p_fall"]}
    d = decompose(str(campaign), game, alpha, gamma, groups=groups)
    assert d.exact
    assert sorted(p.name for p in d.groups) == ["army", "beliefs", "world"]
    rows = d.rows()
    assert ("war", "yes") in rows
    # By hand: Gamma's army stays loyal (p_win 1/2: striking is worth -1/8 < 1/2),
    # France surely falls, and Gamma's strength 3/4 makes the USSR firm and Germany
    # fight: war for sure. Alpha: war 3/8 (docs).
    assert d.facts_second["war"]["yes"] == 1 and d.difference("war", "yes") == Fraction(5, 8)
    for fact, value in rows:
        assert sum(p.share[fact][value] for p in d.groups) == d.difference(fact, value)
        assert sum(p.share[fact][value] for p in d.stages) == d.difference(fact, value)
    expected = by_orders(game, resolve(game, alpha), resolve(game, gamma), groups)
    for part in d.groups:
        for fact, value in rows:
            assert part.share[fact][value] == expected[part.name][(fact, value)]
    # Stages: each stage's parameters are its own (coup: p_win; france: p_fall; crisis: strength).
    assert {p.name: p.parameters for p in d.stages} == {
        "coup": ("p_win",), "france": ("p_fall",), "crisis": ("strength",)
    }
    split = load_campaign(campaign, split=True).game
    sgroups = {"coup": ["p_win__coup"], "france": ["p_fall__france"], "crisis": ["strength__crisis"]}
    sa = {p: resolve(game, alpha)[p.rsplit("__", 1)[0]] for p in split.parameters}
    sb = {p: resolve(game, gamma)[p.rsplit("__", 1)[0]] for p in split.parameters}
    by_stage = by_orders(split, sa, sb, sgroups)
    for part in d.stages:
        for fact, value in rows:
            assert part.share[fact][value] == by_stage[part.name][(fact, value)]


def test_the_command(campaign: Path) -> None:
    leaders = f"{campaign.parent / 'leaders' / 'alpha.toml'},{campaign.parent / 'leaders' / 'gamma.toml'}"
    code, out, _ = invoke("decompose", str(campaign), "--leaders", leaders, "--group", "beliefs=p_win,p_fall")
    assert code == 0
    text = " ".join(out.split())
    assert "By group of parameters" in text and "By stage" in text and "Yardstick:" in text
    assert "beliefs: p_fall, p_win" in text  # in the game's order
    code, out, _ = invoke("decompose", str(campaign), "--leaders", leaders, "--format", "json")
    data = json.loads(out)
    war = next(r for r in data["differences"] if r["fact"] == "war" and r["value"] == "yes")
    assert war["difference"] == "5/8"
    total = sum(Fraction(g["share"]["war"]["yes"]) for g in data["groups"])
    assert total == Fraction(5, 8)
    code, _, err = invoke("decompose", str(campaign), "--leaders", leaders, "--group", "x=nothing")
    assert code == 1 and "unknown parameter 'nothing'" in err
    code, _, err = invoke("decompose", str(campaign), "--leaders", leaders.split(",")[0])
    assert code == 2


def test_too_many_groups_is_refused(campaign: Path) -> None:
    game = load(DATA / "crisis.toml")
    alpha = load_leader(campaign.parent / "leaders" / "alpha.toml")
    gamma = load_leader(campaign.parent / "leaders" / "gamma.toml")
    from policy.analysis import decompose as module

    old = module.MAX_CONTRIBUTORS
    module.MAX_CONTRIBUTORS = 0
    try:
        with pytest.raises(DecomposeError, match="at most 0"):
            decompose(str(DATA / "crisis.toml"), game, alpha, gamma)
    finally:
        module.MAX_CONTRIBUTORS = old


def test_a_branch_campaign_is_decomposed_on_its_own_stages(campaign: Path) -> None:
    # A branch keeps its whole campaign's [groups]: a group member used only by a stage
    # the branch does not reach (p_win, the coup's) is dropped, not an unknown
    # parameter; and the parts by stage come from the branch's own stages (they used
    # to be solved on the whole campaign's split game, which failed on p_win).
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text + '\n[groups]\nbeliefs = ["p_win", "p_fall"]\n', encoding="utf-8")
    branch = campaign.parent / "after_coup.toml"
    shutil.copy(DATA / "two_stage_after_coup.toml", branch)
    game = load(branch)
    alpha = load_leader(campaign.parent / "leaders" / "alpha.toml")
    gamma = load_leader(campaign.parent / "leaders" / "gamma.toml")
    assert "p_win" not in game.parameters
    d = decompose(str(branch), game, alpha, gamma)
    assert {p.name: p.parameters for p in d.groups}.get("beliefs", ("p_fall",)) == ("p_fall",)
    assert {p.name for p in d.stages} <= {"france", "crisis"}
    rows = d.rows()
    assert rows
    a = fact_probabilities(game, solve(game, resolve(game, alpha), method="spe").equilibria[0])
    b = fact_probabilities(game, solve(game, resolve(game, gamma), method="spe").equilibria[0])
    for fact, value in rows:
        assert d.difference(fact, value) == b[fact][value] - a[fact][value]
        assert sum(p.share[fact][value] for p in d.groups) == d.difference(fact, value)
        assert sum(p.share[fact][value] for p in d.stages) == d.difference(fact, value)
