"""Every bundled data file gets the same checks: adding a game or a leader adds its tests.

Games load, validate, round-trip through our writer, cite only known claims and
solve under every leader with verified equilibria; leader profiles give every
parameter of every game a value, with a source or a judgement note.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policy.bundled import bundled_games, bundled_leaders
from policy.gamefile import dump_game, load_game, loads_game
from policy.leaders import load_leader, resolve
from policy.solvers import solve

GAMES = bundled_games()
LEADERS = bundled_leaders()


def test_the_scenario_is_there():
    assert any(p.name == "diplomacy_1939.toml" for p in GAMES)
    assert {"stalin", "tukhachevsky"} <= set(LEADERS)


@pytest.mark.parametrize("path", GAMES, ids=lambda p: p.stem)
def test_game_round_trips_through_our_writer(path: Path):
    game = load_game(path)
    again = loads_game(dump_game(game), known_claims=list(game.sources) + [
        s for p in game.parameters.values() for s in p.sources
    ])
    assert again.node_names == game.node_names
    assert again.action_label == game.action_label
    values = {n: p.default for n, p in game.parameters.items() if p.default is not None}
    assert (again.numbers(values).leaf_payoff == game.numbers(values).leaf_payoff).all()


@pytest.mark.parametrize("path", GAMES, ids=lambda p: p.stem)
def test_game_describes_itself(path: Path):
    game = load_game(path)
    assert game.description.strip(), "a bundled game says what it models and leaves out"
    for p in game.parameters.values():
        assert p.description and p.range is not None and p.sources, p.name


@pytest.mark.parametrize("leader", LEADERS)
@pytest.mark.parametrize("path", GAMES, ids=lambda p: p.stem)
def test_every_leader_binds_every_parameter_and_solves(path: Path, leader: str):
    game = load_game(path)
    profile = load_leader(leader)
    missing = sorted(set(game.parameters) - set(profile.values))
    assert not missing, f"{leader} gives no value for {missing}"
    result = solve(game, resolve(game, profile))
    assert result.equilibria
    for eq in result.equilibria:
        if result.exact:
            assert eq.max_regret == 0


@pytest.mark.parametrize("leader", LEADERS)
def test_every_leader_value_is_used_sourced_and_in_range(leader: str):
    profile = load_leader(leader)
    declared = {name for path in GAMES for name in load_game(path).parameters}
    unused = sorted(set(profile.values) - declared)
    assert not unused, f"{leader} sets parameters no bundled game declares: {unused}"
    for v in profile.values.values():
        assert v.sources or v.note.startswith("judgement"), v.name
        assert v.range is not None, v.name
