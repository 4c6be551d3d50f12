"""Every bundled data file gets the same checks: adding a game or a leader adds its tests.

Games load, validate, round-trip through our writer, cite only known claims and
solve under every leader with verified equilibria; leader profiles give every
parameter of every game a value, with a source or a judgement note, inside the
range the game declares; outcome facts use one vocabulary across games. Nothing
here names a game: the tests run over whatever ``games/`` holds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from policy.bundled import bundled_games, bundled_leaders
from policy.gamefile import dump_game, load_game, loads_game
from policy.leaders import load_leader, out_of_range, resolve
from policy.model import Game
from policy.solvers import solve
from policy.solvers.verify import behavior_regret

GAMES = bundled_games()
LEADERS = bundled_leaders()

#: The facts that outcomes of different games add up (docs/game-format.md,
#: "Terminal node"), with the values every game must spell the same way.
SHARED_FACTS = {
    "war_with_germany": {"none", "1939", "1940", "1941", "1942"},
    "romania_oil": {"Romania", "Germany", "USSR", "contested"},
    "regime": {"Stalin", "Tukhachevsky", "party, Stalin dead", "civil war", "collapse"},
    "alignment": {"alliance", "pact", "neutral"},
    "west": {"at war", "no war", "peace with Germany"},
    "france": {"standing", "fallen"},
    "japan": {"quiet", "at war"},
}


def game_id(path: Path) -> str:
    return path.stem


def terminal_facts(game: Game) -> dict[str, dict[str, str]]:
    """Terminal node name -> its facts (an empty dict when it states none)."""
    out = {}
    for t in game.terminals:
        node = game.nodes.at(int(t))
        out[node.name] = dict(node.outcome.facts) if node.outcome is not None else {}
    return out


def test_the_scenario_is_there():
    assert any(p.name == "diplomacy_1939.toml" for p in GAMES)
    assert {"stalin", "tukhachevsky"} <= set(LEADERS)


@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_game_round_trips_through_our_writer(path: Path):
    game = load_game(path)
    again = loads_game(dump_game(game), known_claims=list(game.sources) + [
        s for p in game.parameters.values() for s in p.sources
    ])
    assert again.node_names == game.node_names
    assert again.action_label == game.action_label
    values = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    assert (again.numbers(values).leaf_payoff == game.numbers(values).leaf_payoff).all()
    assert terminal_facts(again) == terminal_facts(game)


@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_game_describes_itself(path: Path):
    game = load_game(path)
    assert game.description.strip(), "a bundled game says what it models and leaves out"
    assert "Left out" in game.description, "the description ends with what the game leaves out"
    for p in game.parameters.values():
        assert p.description and p.range is not None and p.sources, p.name
        if p.default is not None:
            assert p.range[0] <= p.default <= p.range[1], f"{p.name}: default outside its range"


@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_game_states_its_outcomes_in_the_shared_vocabulary(path: Path):
    facts = terminal_facts(load_game(path))
    for node, stated in facts.items():
        for key, value in stated.items():
            if key in SHARED_FACTS:
                assert value in SHARED_FACTS[key], f"{node}: {key} = {value!r}"
    keys = {frozenset(stated) for stated in facts.values()}
    assert len(keys) == 1, f"terminals state different fact keys: {sorted(map(sorted, keys))}"
    # A game that states facts at all says whether, and when, war with Germany came.
    (stated_keys,) = keys
    assert not stated_keys or "war_with_germany" in stated_keys


@pytest.mark.parametrize("leader", LEADERS)
@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_every_leader_binds_every_parameter_within_its_range(path: Path, leader: str):
    game = load_game(path)
    profile = load_leader(leader)
    missing = sorted(set(game.parameters) - set(profile.values))
    assert not missing, f"{leader} gives no value for {missing}"
    assert not out_of_range(game, resolve(game, profile))
    for name, p in game.parameters.items():
        bound = profile.values[name].range
        assert p.range is not None and bound is not None, name
        assert p.range[0] <= bound[0] <= bound[1] <= p.range[1], (
            f"{leader}'s range for {name} {bound} leaves the game's {p.range}"
        )


@pytest.mark.parametrize("leader", LEADERS)
@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_chance_is_well_formed_across_each_parameter_range(path: Path, leader: str):
    """Probabilities stay in [0, 1] and sum to 1 with any one value at either end of its range."""
    game = load_game(path)
    values = resolve(game, load_leader(leader))
    game.numbers(values, exact=True)  # raises GameError naming the chance node
    for name, p in game.parameters.items():
        assert p.range is not None
        for end in p.range:
            game.numbers({**values, name: Fraction(end)}, exact=True)


@pytest.mark.parametrize("leader", LEADERS)
@pytest.mark.parametrize("path", GAMES, ids=game_id)
def test_every_game_solves_under_every_leader_with_verified_equilibria(path: Path, leader: str):
    game = load_game(path)
    result = solve(game, resolve(game, load_leader(leader)), exact=True)
    assert result.exact and result.equilibria
    numbers = game.numbers(result.parameters, exact=True)
    for eq in result.equilibria:
        assert eq.max_regret == 0
        # Again, from the profile alone: no player gains by deviating anywhere.
        regret, _ = behavior_regret(game, numbers, eq.probabilities)
        assert regret == 0
        assert sum(eq.reach) == 1
    # A tie at a leader's own values would make the answer shown one of several.
    assert not result.ties, f"{leader} leaves a mover indifferent at {result.ties}"


@pytest.mark.parametrize("leader", LEADERS)
def test_every_leader_value_is_used_sourced_and_in_range(leader: str):
    profile = load_leader(leader)
    from policy.bundled import bundled_campaigns
    from policy.campaign import load_campaign

    declared = {name for path in GAMES for name in load_game(path).parameters}
    # A campaign's own parameters (say, us_aid_1941) are bound by the profiles too.
    declared |= {name for path in bundled_campaigns() for name in load_campaign(path).game.parameters}
    unused = sorted(set(profile.values) - declared)
    assert not unused, f"{leader} sets parameters no bundled game declares: {unused}"
    for v in profile.values.values():
        assert v.sources or v.note.startswith("judgement"), v.name
        assert v.range is not None, v.name
        assert v.range[0] <= v.value <= v.range[1], v.name


def test_bundled_games_come_in_story_order(tmp_path, monkeypatch):
    for name in ("zeta.toml", "romania_1940.toml", "coup_1937.toml", "alpha_1939.toml"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("POLICY_GAMES", str(tmp_path))
    from policy.bundled import bundled_games as fresh

    assert [p.name for p in fresh()] == ["coup_1937.toml", "alpha_1939.toml", "romania_1940.toml", "zeta.toml"]


def test_bundled_records_and_fit_files_are_found_from_any_folder(tmp_path, monkeypatch):
    """A new user's review: the documented record and fit commands failed outside the
    checkout ("cannot read") though their games were found; the record, the fit game and
    its spec now go through the same bundled-file lookup."""
    from conftest import invoke

    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "war1800.csv"
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("record", "games/ussr_1939_1941_stalin.toml", "games/records/history_1937_1941.toml",
                          "-l", "stalin", "--no-parameters")
    assert code == 0, out
    assert "stage barbarossa" in out
    if shared.is_file():
        code, out, _ = invoke("fit", "games/fit/egame12.toml", str(shared), "--spec", "games/fit/war1800.toml")
        assert code == 0, out
        assert "Log-likelihood" in out
    # A file of the user's with the same relative name still comes first.
    (tmp_path / "games" / "records").mkdir(parents=True)
    (tmp_path / "games" / "records" / "history_1937_1941.toml").write_text("[[moves]]\nnope = 1\n", encoding="utf-8")
    code, out, err = invoke("record", "games/ussr_1939_1941_stalin.toml", "games/records/history_1937_1941.toml",
                            "-l", "stalin", "--no-parameters")
    assert code == 1 and "nope" in out + err
