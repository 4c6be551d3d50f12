"""Campaigns: reading, located errors, the splice, and every command on a campaign file.

The two-stage campaign in tests/data/campaigns/two_stage.toml is the worked
example of docs/game-format.md: a coup decides the regime (and so which
leader profile's values bind the crisis), chance decides between the stages
whether France falls (with a probability that depends on the state), and the
crisis stage is played at six points. Its equilibrium was worked out by hand
(the docs show the arithmetic); two_stage_by_hand.toml is the same game
written by hand as one tree.
"""

from __future__ import annotations

import json
import re
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import DOCS_FORMAT, invoke, line_of

from policy.analysis.compare import fact_probabilities, terminal_facts
from policy.campaign import CampaignError, campaign_of, load_campaign
from policy.expr import evaluate
from policy.gamefile import load_game
from policy.leaders import load_leader, resolve
from policy.loading import load
from policy.solvers import solve

DATA = Path(__file__).resolve().parent / "data" / "campaigns"
TWO_STAGE = DATA / "two_stage.toml"
ALPHA = DATA / "leaders" / "alpha.toml"
BETA = DATA / "leaders" / "beta.toml"
F = Fraction


def solved(path: Path = TWO_STAGE, leader: Path | None = ALPHA):
    game = load(path)
    values = resolve(game, load_leader(leader) if leader else None)
    return game, solve(game, values, method="spe", exact=True)


# ---------------------------------------------------------------------------------
# The hand-checked example
# ---------------------------------------------------------------------------------
def test_hand_checked_equilibrium_under_alpha() -> None:
    # By hand (docs/game-format.md, "Checking it by hand"): the army strikes
    # (11/16 against 1/2 for staying loyal); after a won coup Beta rules and is
    # firm, Germany fights only if France has fallen; after a lost coup Alpha,
    # with half an army, yields.
    game, result = solved()
    eq = result.equilibria[0]
    assert eq.payoffs == {"Army": F(11, 16), "USSR": F(7, 64), "Germany": F(-1, 16)}
    behavior = eq.behavior
    assert behavior["coup.start"]["coup"] == 1
    assert behavior["crisis-3.start"]["firm"] == 1 and behavior["crisis-3.reply"]["war"] == 1
    assert behavior["crisis-4.reply"]["back"] == 1
    assert behavior["crisis-5.start"]["yield"] == 1 and behavior["crisis-6.start"]["yield"] == 1
    facts = fact_probabilities(game, eq)
    assert facts["regime"] == {"alpha": F(1, 4), "beta": F(3, 4)}
    assert facts["war"] == {"no": F(5, 8), "yes": F(3, 8)}
    # France falls with p_fall * army: 1/2 after a won coup, 1/4 after a lost one.
    assert facts["west"] == {"1": F(7, 16), "0": F(9, 16)}
    assert facts["army"] == {"1": F(3, 4), "1/2": F(1, 4)}


def test_hand_checked_equilibrium_under_beta() -> None:
    # Beta as the command-line leader takes the initial profile's place: after a
    # lost coup the crisis is played at strength 3/8, and the USSR stands firm
    # into a war (-7/8 halved, against -1 halved for yielding).
    _, result = solved(leader=BETA)
    eq = result.equilibria[0]
    assert eq.payoffs == {"Army": F(11, 16), "USSR": F(1, 8), "Germany": F(-3, 16)}
    assert eq.behavior["crisis-5.start"]["firm"] == 1 and eq.behavior["crisis-5.reply"]["war"] == 1


def test_regime_decided_by_an_outcome_binds_the_later_stage() -> None:
    campaign = load_campaign(TWO_STAGE)
    by_name = {inst.name: inst for inst in campaign.instances}
    assert by_name["crisis-3"].profile == "beta" and by_name["crisis-3"].state["regime"] == "beta"
    assert by_name["crisis-5"].profile == "alpha" and by_name["crisis-5"].state["army"] == F(1, 2)
    game = campaign.game
    war3 = game.outcomes[int(game.outcome[game.node("crisis-3.war").index])]
    war5 = game.outcomes[int(game.outcome[game.node("crisis-5.war").index])]
    assert war3.payoffs[1].names == {"beta__strength"}  # Beta's own value, a separate parameter
    assert war5.payoffs[1].names == {"strength"}  # the command-line leader's
    assert game.parameters["beta__strength"].default == F(3, 4)
    assert game.parameters["strength"].default == F(1, 4)  # the initial profile, alpha


def test_payoff_to_a_player_absent_from_a_stage_is_zero_and_discounted() -> None:
    game = load(TWO_STAGE)
    node = game.node("crisis-2.yielded").index
    outcome = game.outcomes[int(game.outcome[node])]
    # Army is not in the crisis: 0 from it, plus its end payoff 2*army at 1/4.
    assert [e.constant for e in outcome.payoffs] == [F(1, 2), F(-1, 2), F(1, 2)]
    chance = game.node("france-2.chance").index  # where the won coup ended
    assert [e.constant for e in game.outcomes[int(game.outcome[chance])].payoffs] == [1, 0, 0]


# ---------------------------------------------------------------------------------
# The splice against the same game written by hand
# ---------------------------------------------------------------------------------
def test_splice_equals_the_game_written_by_hand() -> None:
    spliced = load(TWO_STAGE)
    hand = load_game(DATA / "two_stage_by_hand.toml")
    assert spliced.node_names == hand.node_names
    assert list(spliced.players) == list(hand.players)
    for field in ("parent", "kind", "player", "first_child", "num_children", "depth"):
        assert np.array_equal(getattr(spliced, field), getattr(hand, field)), field
    assert spliced.action_label == hand.action_label
    assert [(s.name, s.members) for s in spliced.infosets.values()] == [
        (s.name, s.members) for s in hand.infosets.values()
    ]
    assert set(spliced.parameters) == set(hand.parameters)
    assert terminal_facts(spliced) == terminal_facts(hand)
    rng = np.random.default_rng(7)
    for _ in range(5):
        values = {name: F(int(rng.integers(0, 17)), 16) for name in hand.parameters}
        a, b = spliced.numbers(values), hand.numbers(values)
        assert (a.leaf_payoff == b.leaf_payoff).all()
        assert (a.edge_prob == b.edge_prob).all()
    assert solve(spliced, resolve(spliced)).equilibria[0].payoffs == solve(hand, resolve(hand)).equilibria[0].payoffs


def test_map_back_to_stages() -> None:
    campaign = load_campaign(TWO_STAGE)
    game = campaign.game
    assert campaign_of(game) is campaign
    node = game.node("crisis-4.reply").index
    inst, name = campaign.where(node)
    assert (inst.stage, name, inst.via) == ("crisis", "reply", "holds")
    assert campaign.instances[inst.parent].name == "france-2"
    assert campaign.instances[campaign.instances[inst.parent].parent].name == "coup"
    joint = game.node("france-3.chance").index
    inst, name = campaign.where(joint)
    assert (inst.stage, name) == ("france", "chance")
    coup = campaign.stages["coup"].game
    assert coup.node_names[int(campaign.ended[joint])] == "lost"
    assert campaign.ended[game.node("crisis-4.reply").index] == -1
    assert [campaign.instances[k].name for k in campaign.instances_of("france")] == [
        "france-1", "france-2", "france-3"
    ]


# ---------------------------------------------------------------------------------
# Located errors
# ---------------------------------------------------------------------------------
@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    for name in ("coup.toml", "crisis.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "leaders", tmp_path / "leaders")
    return tmp_path


def write_variant(directory: Path, old: str, new: str, count: int = 1) -> tuple[Path, str]:
    text = TWO_STAGE.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, count)
    path = directory / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


ERRORS = {
    "terminal-unknown": (
        'terminal = "quiet"', 'terminal = "calm"', 'terminal = "calm"',
        "stages.coup.transitions[2].terminal: the stage has no terminal 'calm'",
    ),
    "terminal-uncovered": (
        '[[stages.coup.transitions]]\nterminal = "quiet"\nnext = "france"\n', "", "[[stages.coup.transitions]]",
        "stages.coup.transitions: no transition covers terminal 'quiet'",
    ),
    "facts-match-nothing": (
        '[[stages.crisis.transitions]]\nnext = "end"', '[[stages.crisis.transitions]]\nfacts = { war = "maybe" }\nnext = "end"',
        'facts = { war = "maybe" }', "no terminal of the stage states {'war': 'maybe'}",
    ),
    "state-never-set": (
        "[state.west]\ninitial = 0\n", "[state.west]\n", "[state.west]",
        "state.west.initial: missing: the state variable is never set",
    ),
    "state-unknown-in-set": (
        "set = { west = 1 }", "set = { east = 1 }", "set = { east = 1 }",
        "unknown state variable 'east'",
    ),
    "cycle-without-bound": (
        '[[stages.crisis.transitions]]\nnext = "end"', '[[stages.crisis.transitions]]\nnext = "coup"',
        'next = "coup"', "a cycle between stages without a bound: coup -> france -> crisis -> coup",
    ),
    "unknown-next": (
        'terminal = "quiet"\nnext = "france"', 'terminal = "quiet"\nnext = "germany"', 'next = "germany"',
        "stages.coup.transitions[2].next: unknown stage 'germany'",
    ),
    "unknown-stage-parameter": (
        'parameters = { strength = "army * strength", free = "west" }',
        'parameters = { strength = "army * strength", power = "west" }', "parameters = {",
        "stages.crisis.parameters.power: the stage declares no parameter 'power'",
    ),
    "unknown-name-in-binding": (
        '"army * strength"', '"navy * strength"', "parameters = {", "unknown parameter 'navy'",
    ),
    "chance-sums": (
        'chance = { falls = "p_fall * army", holds = "1 - p_fall * army" }',
        'chance = { falls = "army / 2", holds = "1/4" }', "chance = {",
        "stages.france.chance: probabilities sum to 3/4, not 1, at france-1 (played after coup: quiet, "
        "in the initial state)",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_bad_campaign_gives_one_located_error(campaign_dir: Path, case: str) -> None:
    old, new, needle, message = ERRORS[case]
    path, text = write_variant(campaign_dir, old, new)
    with pytest.raises(CampaignError) as info:
        load(path)
    err = info.value
    assert message in str(err)
    assert err.line == line_of(text, needle), str(err)
    code, out, errtext = invoke("validate", str(path))
    assert code == 1 and out == ""
    assert errtext.count("\n") == 1 and errtext.startswith(f"Error: {path}:{err.line}: ")


def test_stage_parameter_the_state_leaves_unset(campaign_dir: Path) -> None:
    # Without its default, nothing sets the crisis's `free`: not the state, not the profile.
    crisis = (campaign_dir / "crisis.toml").read_text(encoding="utf-8")
    (campaign_dir / "crisis.toml").write_text(crisis.replace("default = 0\n", ""), encoding="utf-8")
    path, _ = write_variant(campaign_dir, ', free = "west"', "")
    with pytest.raises(CampaignError, match="parameter 'free' is left unset under profile 'alpha'"):
        load(path)
    code, _, err = invoke("solve", str(path))
    assert code == 1 and "left unset" in err and err.count("\n") == 1


def test_a_bounded_cycle_repeats_and_then_moves_on(campaign_dir: Path) -> None:
    # The crisis leads back to itself, at most twice in a row on any path.
    path, _ = write_variant(
        campaign_dir,
        '[[stages.crisis.transitions]]\nnext = "end"',
        'repeat = 2\n\n[[stages.crisis.transitions]]\nterminal = "backed"\nnext = "crisis"\n\n'
        '[[stages.crisis.transitions]]\nnext = "end"',
    )
    campaign = load_campaign(path)
    crises = [campaign.instances[k] for k in campaign.instances_of("crisis")]
    assert len(crises) == 12  # six first crises, each followed by one more after "backed"
    assert max(inst.played for inst in crises) == 2
    again = [inst for inst in crises if inst.via == "backed"]
    assert len(again) == 6 and all(campaign.instances[i.parent].stage == "crisis" for i in again)
    solve(campaign.game, resolve(campaign.game))


def test_when_picks_a_transition_by_state(campaign_dir: Path) -> None:
    # After Beta's won coup the campaign ends before France; otherwise it goes on.
    path, _ = write_variant(
        campaign_dir,
        '[[stages.coup.transitions]]\nterminal = "won"',
        '[[stages.coup.transitions]]\nterminal = "won"\nwhen = { army = 2 }\nnext = "end"\n\n'
        '[[stages.coup.transitions]]\nterminal = "won"',
    )
    assert load(path).num_nodes == 35  # army is 1, so the first rule never applies
    path, _ = write_variant(
        campaign_dir,
        '[[stages.coup.transitions]]\nterminal = "won"',
        '[[stages.coup.transitions]]\nterminal = "won"\nwhen = { regime = "alpha" }\nnext = "end"\n\n'
        '[[stages.coup.transitions]]\nterminal = "won"',
    )
    game = load(path)
    assert game.num_nodes == 35 - 2 - 2 * 4  # france-2's two outcomes and two crises' other nodes go
    won = game.node("coup.won").index
    assert game.kind[won] == 2
    assert dict(game.outcomes[int(game.outcome[won])].facts)["regime"] == "alpha"


# ---------------------------------------------------------------------------------
# Every command on a campaign file
# ---------------------------------------------------------------------------------
def test_commands_work_on_a_campaign(tmp_path: Path) -> None:
    code, out, _ = invoke("validate", str(TWO_STAGE))
    assert code == 0 and "35 nodes" in out
    code, out, _ = invoke("solve", str(TWO_STAGE), "--leader", str(ALPHA), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["equilibria"][0]["payoffs"] == {"Army": "11/16", "USSR": "7/64", "Germany": "-1/16"}
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}", "--format", "json")
    assert code == 0 and "regime" in out
    code, out, _ = invoke("regions", str(TWO_STAGE), "--vary", "p_win")
    # By hand: the army strikes when p_win * 3/2 + (1 - p_win) * (-7/4) > 1/2, i.e. p_win > 9/13.
    assert code == 0 and "p_win = 9/13" in out
    code, out, _ = invoke("sweep", str(TWO_STAGE), "--leader", str(BETA), "--samples", "200", "--format", "json")
    assert code == 0
    code, out, _ = invoke("explain", str(TWO_STAGE))
    assert code == 0 and "crisis-3.start" in out
    code, out, _ = invoke("render", str(TWO_STAGE), "--leader", str(ALPHA))
    assert code == 0 and "crisis-3.war" in out
    plain = tmp_path / "plain.toml"
    code, _, _ = invoke("convert", str(TWO_STAGE), str(plain))
    assert code == 0
    again = load(plain)
    assert again.node_names == load(TWO_STAGE).node_names
    assert solve(again, resolve(again)).equilibria[0].payoffs["USSR"] == F(7, 64)
    efg = tmp_path / "c.efg"
    code, _, _ = invoke("convert", str(TWO_STAGE), str(efg), "--leader", str(ALPHA))
    assert code == 0
    assert solve(load(efg), {}).equilibria[0].payoffs["USSR"] == F(7, 64)


def test_docs_show_the_example_campaign() -> None:
    docs = DOCS_FORMAT.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.DOTALL)
    body = "".join(line + "\n" for line in TWO_STAGE.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    assert body.strip() in [b.strip() for b in blocks]
    for name in ("coup.toml", "crisis.toml"):
        stage = "".join(line + "\n" for line in (DATA / name).read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        assert stage.strip() in [b.strip() for b in blocks], name


def test_compare_reports_end_states_on_one_yardstick() -> None:
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}")
    assert code == 0
    text = " ".join(out.split())
    assert "End states" in text
    assert "Yardstick: the probability of each end state of the campaign, the final value of regime, army, west" in text
    # By hand: under Beta a lost coup leads to war too (strength 3/8: firm, and Germany fights).
    assert "war = yes 3/8 5/8" in text and "regime = beta 3/4 3/4" in text
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}", "--format", "json")
    game = json.loads(out)["games"][0]
    assert game["yardstick"].startswith("Yardstick: ")
    assert game["facts"]["beta"]["war"] == {"no": "3/8", "yes": "5/8"}
    # Beta on the command line fills the seat of alpha, the profile the campaign starts with
    # (regime = alpha): said once, for Beta only, so "regime = alpha" is not read as Alpha's values.
    assert list(game["seats"]) == ["beta"] and "in the seat of 'alpha'" in game["seats"]["beta"]
    assert text.count("their values in the seat of 'alpha'") == 1
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}", "--format", "markdown")
    assert code == 0 and "Yardstick:" in out and "in the seat of 'alpha'" in out
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{ALPHA}", "--format", "json")
    assert "seats" not in json.loads(out)["games"][0]


def test_compare_says_where_each_named_instance_is_played() -> None:
    # The crisis is played at six points (two_stage.toml): after the coup's outcome and
    # France's, in the state those set. By the transitions: a won coup sets regime = beta, a
    # lost one army = 1 - 1/2, France's fall west = 1; the rest keep their initial values.
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}")
    assert code == 0
    text = " ".join(out.split())
    assert "Where the stage instances named above are played" in text
    assert "coup the start of the campaign" in text
    assert "crisis-3 coup: won, france-2: falls; regime = beta, west = 1" in text
    assert "crisis-6 coup: lost, france-3: holds; army = 1/2 " in text
    assert "crisis-2 coup: quiet, france-1: holds " in text  # nothing changed: no state
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}", "--format", "json")
    instances = {i["name"]: i for i in json.loads(out)["games"][0]["instances"]}
    assert set(instances) == {"coup", "crisis-1", "crisis-2", "crisis-3", "crisis-4", "crisis-5", "crisis-6"}
    assert instances["crisis-5"] == {
        "name": "crisis-5", "stage": "crisis",
        "after": [{"instance": "coup", "terminal": "lost"}, {"instance": "france-3", "terminal": "falls"}],
        "state": {"army": "1/2", "west": "1"},
    }
    code, out, _ = invoke("compare", str(TWO_STAGE), "--leaders", f"{ALPHA},{BETA}", "--format", "markdown")
    assert "| crisis-4 | coup: won, france-2: holds; regime = beta |" in out
    # A plain game has no instances to place.
    code, out, _ = invoke("compare", str(DATA / "crisis.toml"), "--format", "json")
    assert code == 0 and "instances" not in json.loads(out)["games"][0]
    code, out, _ = invoke("compare", str(DATA / "crisis.toml"))
    assert "Where the stage instances" not in out


ROUND = """\
[game]
title = "One round"
players = ["A", "B"]

[parameters.x]
description = "What A's left is worth"
default = "1/2"

[nodes.start]
player = "A"
actions = { left = "l", right = "r" }

[nodes.l]
payoffs = { A = "x", B = 0 }

[nodes.r]
payoffs = { A = "1/3", B = 1 }
"""


def test_a_stage_repeated_with_a_discount(tmp_path: Path) -> None:
    # The same round played three times on every path: 1 + 2 + 4 + 8 nodes less the
    # merged roots, 7 instances; A takes x = 1/2 over 1/3 each time, worth
    # 1/2 * (1 + 9/10 + 81/100).
    (tmp_path / "round.toml").write_text(ROUND, encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[campaign]\ntitle = "Three rounds"\nplayers = ["A", "B"]\ndiscount = "9/10"\n\n'
        '[stages.round]\ngame = "round.toml"\nrepeat = 3\n\n[[stages.round.transitions]]\nnext = "round"\n',
        encoding="utf-8",
    )
    campaign = load_campaign(tmp_path / "c.toml")
    game = campaign.game
    assert len(campaign.instances) == 7 and game.num_nodes == 15 and len(game.terminals) == 8
    assert [i.name for i in campaign.instances][:3] == ["round-1", "round-2", "round-3"]
    eq = solve(game, resolve(game)).equilibria[0]
    assert eq.payoffs["A"] == F(1, 2) * (1 + F(9, 10) + F(81, 100))
    assert eq.payoffs["B"] == 0
    node = game.node("round-7.r").index
    assert [e.constant for e in game.path_payoff_exprs(node)][:2] == [F(81, 100) * F(1, 3), F(81, 100)]


def test_instances_named_by_the_flips_too(tmp_path: Path) -> None:
    # Three rounds (breadth-first: round-1's left leads to round-2 and its right to round-3, and so
    # on). A takes left while x > 1/3, so the path runs round-1, round-2, round-4; below 1/3 A
    # takes right and it runs round-1, round-3, round-7: the flip names round-3 and round-7.
    from policy.analysis.compare import compare, instances_named

    (tmp_path / "round.toml").write_text(ROUND.replace('default = "1/2"', 'default = "1/2"\nrange = [0, 1]'),
                                         encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[campaign]\ntitle = "Three rounds"\nplayers = ["A", "B"]\n\n'
        '[stages.round]\ngame = "round.toml"\nrepeat = 3\n\n[[stages.round.transitions]]\nnext = "round"\n',
        encoding="utf-8",
    )
    for key, x in (("p", "1/2"), ("q", "2/3")):
        (tmp_path / f"{key}.toml").write_text(
            f'[leader]\nname = "{key}"\n\n[values.x]\nvalue = "{x}"\nrange = [0, 1]\nnote = "judgement: a test"\n',
            encoding="utf-8")
    game = load(tmp_path / "c.toml")
    [c] = compare([(tmp_path / "c.toml", game)], [tmp_path / "p.toml", tmp_path / "q.toml"], swaps=False, count=False)
    assert [f.parameter for f in c.flips[0].flips] == ["x"]
    campaign = campaign_of(game)
    assert campaign is not None
    names = [campaign.instances[k].name for k in instances_named(c)]
    assert names == ["round-1", "round-2", "round-4", "round-3", "round-7"]
    assert [campaign.instances[k].name for k in instances_named(c, flips=0)] == names[:3]
    assert campaign.story(6) == ((("round-1", "r"), ("round-3", "r")), {})


def standoff_campaign(directory: Path) -> Path:
    for name in ("crisis.toml", "standoff.toml"):
        shutil.copy(DATA / name, directory / name)
    path = directory / "c.toml"
    path.write_text(
        '[campaign]\ntitle = "Crisis, then standoff"\nplayers = ["USSR", "Germany"]\n\n'
        '[stages.crisis]\ngame = "crisis.toml"\nparameters = { strength = "3/4" }\n\n'
        '[[stages.crisis.transitions]]\nterminal = ["backed", "war"]\nnext = "standoff"\n\n'
        '[[stages.crisis.transitions]]\nnext = "end"\n\n'
        '[stages.standoff]\ngame = "standoff.toml"\n\n[[stages.standoff.transitions]]\nnext = "end"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("method", ["spe", "lcp", "enummixed", "enumpure", "logit"])
def test_every_method_solves_a_campaign(tmp_path: Path, method: str) -> None:
    # Whatever the equilibrium, the USSR is firm and Germany backs down (war is worth
    # -2 - 1/5 to it), then the standoff is worth 1/5: 6/5 in all (see below).
    # enumpure: the standoff has no pure equilibrium, so none at all.
    game = load(standoff_campaign(tmp_path))
    if method == "enumpure":
        assert not solve(game, resolve(game), method=method).equilibria
        return
    for eq in solve(game, resolve(game), method=method).equilibria:
        assert float(eq.payoffs["USSR"]) == pytest.approx(6 / 5, abs=1e-6)


def test_imperfect_information_stage_is_solved_as_proper_subgames(tmp_path: Path) -> None:
    # The crisis at strength 3/4 (Germany backs down, the USSR is firm), then after
    # "backed" a simultaneous standoff, played at two points. By hand, the standoff
    # (zero-sum) has both sides play a with 2/5: Germany's q makes the USSR
    # indifferent, 2q - (1 - q) = -q + (1 - q), and symmetrically for p; its value
    # to the USSR is 1/5. Spliced: USSR 1 + 1/5, Germany -1 - 1/5.
    game = load(standoff_campaign(tmp_path))
    assert not game.is_perfect_information
    assert set(game.infosets) >= {"standoff-1.guess", "standoff-2.guess"}
    result = solve(game, resolve(game), method="spe")
    eq = result.equilibria[0]
    assert eq.payoffs == {"USSR": F(6, 5), "Germany": F(-6, 5)}
    for k in (1, 2):
        assert eq.behavior[f"standoff-{k}.start"] == {"a": F(2, 5), "b": F(3, 5)}
        assert eq.behavior[f"standoff-{k}.guess"] == {"a": F(2, 5), "b": F(3, 5)}
    assert eq.behavior["crisis.start"]["firm"] == 1 and eq.behavior["crisis.reply"]["back"] == 1


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("/etc/passwd", "is an absolute path"),
        ("../coup.toml", "leads outside the campaign file's folder"),
        ("fifo.toml", "not a regular file"),
    ],
)
def test_stage_files_stay_in_the_campaign_folder(tmp_path: Path, ref: str, says: str) -> None:
    """A campaign may not make the tool read files the user did not name (hardening)."""
    import os

    folder = tmp_path / "c"
    folder.mkdir()
    for name in ("coup.toml", "crisis.toml"):
        shutil.copy(DATA / name, folder / name)
    shutil.copytree(DATA / "leaders", folder / "leaders")
    shutil.copy(DATA / "coup.toml", tmp_path / "coup.toml")
    os.mkfifo(folder / "fifo.toml")
    text = TWO_STAGE.read_text(encoding="utf-8").replace('game = "coup.toml"', f'game = "{ref}"')
    campaign = folder / "campaign.toml"
    campaign.write_text(text, encoding="utf-8")
    code, _, err = invoke("validate", str(campaign))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "stages.coup.game" in lines[0]


def test_profile_files_stay_in_the_campaign_folder(tmp_path: Path) -> None:
    """A campaign's leader profiles are read only from its folder or below."""
    folder = tmp_path / "c"
    shutil.copytree(DATA, folder)
    text = TWO_STAGE.read_text(encoding="utf-8").replace('"leaders/alpha.toml"', '"../alpha.toml"')
    (folder / "campaign.toml").write_text(text, encoding="utf-8")
    shutil.copy(DATA / "leaders" / "alpha.toml", tmp_path / "alpha.toml")
    code, _, err = invoke("validate", str(folder / "campaign.toml"))
    assert code == 1
    assert "campaign.profiles.alpha" in err and "leads outside the campaign file's folder" in err


def test_monte_carlo_draws_a_state_chosen_profiles_parameters_from_that_profile() -> None:
    """``beta__strength`` is drawn from Beta's declared range, ``strength`` from the leader's."""
    from policy.analysis.sweep import monte_carlo_samples, uncertain_parameters

    game = load(TWO_STAGE)
    alpha = load_leader(str(ALPHA))
    assert uncertain_parameters(game, alpha) == ["beta__strength", "strength"]
    draws = monte_carlo_samples(game, alpha, resolve(game, alpha), 4000, seed=1)
    beta = draws["beta__strength"]
    assert beta.min() >= 0.5 and beta.max() <= 1 and abs(beta.mean() - (0.5 + 0.75 + 1) / 3) < 0.01
    own = draws["strength"]
    assert own.min() >= 0.125 and own.max() <= 0.5


# ---------------------------------------------------------------------------------
# Branches: a campaign entered at a later stage in a given state
# ---------------------------------------------------------------------------------
AFTER_COUP = DATA / "two_stage_after_coup.toml"


def test_branch_after_a_won_coup_checked_by_hand() -> None:
    # By hand: Beta rules (strength 3/4) from France's chance on, and the crisis
    # is now the first game stage (no discount). France falls (1/2): Germany's
    # war is worth 1 - 3 + 2 = 0 against -1, so it fights, and firmness earns the
    # USSR 9/4 - 2 = 1/4 against -1. France holds: war is worth -2 to Germany
    # against -1, so it backs down and the firm USSR gets 1. The army's end
    # payoff 2*army is halved after one game stage.
    game, result = solved(AFTER_COUP, leader=None)
    eq = result.equilibria[0]
    assert eq.payoffs == {"Army": F(1), "USSR": F(5, 8), "Germany": F(-1, 2)}
    facts = fact_probabilities(game, eq)
    assert facts["regime"] == {"beta": F(1)}
    assert facts["war"] == {"no": F(1, 2), "yes": F(1, 2)}
    # The given profile is the one in charge: its values are the plain names.
    assert game.parameters["strength"].default == F(3, 4)
    assert not any("__" in name for name in game.parameters)
    # Alpha in its place (the command-line leader) yields in both states.
    _, result = solved(AFTER_COUP, leader=ALPHA)
    assert result.equilibria[0].payoffs == {"Army": F(1), "USSR": F(-1), "Germany": F(1)}


def test_branch_equals_the_full_campaigns_subtree() -> None:
    # The crisis after a won coup and a fall of France is the same game in the
    # branch as in the full campaign, its payoffs undiscounted (times 2).
    full, branch = load(TWO_STAGE), load(AFTER_COUP)
    campaign = campaign_of(branch)
    assert campaign is not None and campaign.instances[0].name.startswith("france")
    values = {"p_fall": F(1, 2), "strength": F(3, 4), "beta__strength": F(3, 4)}

    def fallen_under_beta(game):
        c = campaign_of(game)
        assert c is not None
        (inst,) = [
            i for i in c.instances
            if i.name.startswith("crisis") and i.state["regime"] == "beta" and i.state["west"] == 1
        ]
        return inst.name

    ia, ib = fallen_under_beta(full), fallen_under_beta(branch)
    for node in ("war", "backed", "yielded"):
        a = full.outcomes[int(full.outcome[full.node(f"{ia}.{node}").index])]
        b = branch.outcomes[int(branch.outcome[branch.node(f"{ib}.{node}").index])]
        pa = [evaluate(e, values) for e in a.payoffs][1:]
        pb = [evaluate(e, values) for e in b.payoffs][1:]
        assert pb == [2 * x for x in pa], node


BRANCH_ERRORS = {
    "unknown-start": ('start = "france"', 'start = "spain"', 'start = "spain"', "campaign.start: must name a stage"),
    "unknown-variable": ("given = { regime", "given = { ruler", "given = {", "'ruler' is not a state variable"),
    "bad-value": ('regime = "beta"', 'regime = "gamma"', "given = {", "must be one of alpha, beta"),
    "other-table": ("[campaign]", "[state.west]\ninitial = 1\n\n[campaign]", "[state.west]", "only a [campaign] table"),
    "unknown-key": ("start =", "leader = \"regime\"\nstart =", "leader =", "unknown key 'leader'"),
    "missing-file": ('"two_stage.toml"', '"nowhere.toml"', "branch_of", "campaign.branch_of"),
}


@pytest.mark.parametrize("case", list(BRANCH_ERRORS), ids=list(BRANCH_ERRORS))
def test_bad_branch_gives_one_located_error(tmp_path: Path, case: str) -> None:
    for name in ("two_stage.toml", "coup.toml", "crisis.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "leaders", tmp_path / "leaders")
    old, new, needle, message = BRANCH_ERRORS[case]
    text = AFTER_COUP.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "branch.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CampaignError) as info:
        load(path)
    assert message in str(info.value)
    assert info.value.line == line_of(text, needle), str(info.value)
    code, out, err = invoke("validate", str(path))
    assert code == 1 and out == "" and err.count("\n") == 1


def test_a_branch_of_a_branch_is_refused(tmp_path: Path) -> None:
    for name in ("two_stage.toml", "coup.toml", "crisis.toml", "two_stage_after_coup.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "leaders", tmp_path / "leaders")
    text = AFTER_COUP.read_text(encoding="utf-8").replace('"two_stage.toml"', '"two_stage_after_coup.toml"')
    (tmp_path / "b2.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CampaignError, match="is itself a branch"):
        load(tmp_path / "b2.toml")
