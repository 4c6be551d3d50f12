"""Leader profiles: reading them, and resolving parameter values for a game."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policy.gamefile import loads_game
from policy.leaders import LeaderError, find_leader, load_leader, parse_assignments, resolve

GAME = """\
[game]
title = "Three parameters"
players = ["USSR"]

[parameters.readiness]
description = "Army readiness"
default = 0.5
range = [0, 1]

[parameters.p_west]
description = "Chance the West honours the alliance"
default = "1/2"

[parameters.risk]
description = "Appetite for risk"
default = 1

[nodes.root]
player = "USSR"
actions = { fight = "war", wait = "peace" }

[nodes.war]
payoffs = { USSR = "readiness * p_west - risk" }

[nodes.peace]
payoffs = { USSR = 0 }
"""

HERO = """\
[leader]
name = "A hero"
description = "Bold."
sources = ["c1"]

[values.readiness]
value = 0.75
range = [0.5, 1]
sources = ["c1", "c2"]
note = "judgement: a guess"

[values.p_west]
value = "2/3"

[values.elsewhere]
value = 7
"""


@pytest.fixture
def game():
    return loads_game(GAME, "three.toml", known_claims=[])


@pytest.fixture
def write_leader(tmp_path):
    def write(text, name="hero.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_load_profile_from_a_file(write_leader):
    path = write_leader(HERO)
    leader = load_leader(path)
    assert (leader.key, leader.name, leader.description) == ("hero", "A hero", "Bold.")
    assert leader.file == str(path)
    assert leader.sources == ("c1",)
    readiness = leader.values["readiness"]
    assert readiness.value == Fraction(3, 4)  # decimals are exact
    assert readiness.range == (Fraction(1, 2), Fraction(1))
    assert readiness.sources == ("c1", "c2")
    assert readiness.note == "judgement: a guess"
    assert leader.values["p_west"].value == Fraction(2, 3)
    assert set(leader.values) == {"readiness", "p_west", "elsewhere"}


def test_load_bundled_profile_by_key(tmp_path, monkeypatch):
    (tmp_path / "leaders").mkdir()
    (tmp_path / "leaders" / "hero.toml").write_text(HERO, encoding="utf-8")
    monkeypatch.setenv("POLICY_GAMES", str(tmp_path))
    assert load_leader("hero").name == "A hero"
    with pytest.raises(LeaderError, match=r"unknown leader 'villain' \(bundled: hero"):
        find_leader("villain")


def test_missing_leader_file(tmp_path):
    with pytest.raises(LeaderError, match="no such leader file"):
        load_leader(tmp_path / "nobody.toml")


def test_resolve_order_default_then_leader_then_set(game, write_leader):
    leader = load_leader(write_leader(HERO))
    assert resolve(game) == {"readiness": Fraction(1, 2), "p_west": Fraction(1, 2),
                             "risk": 1}
    assert resolve(game, leader) == {"readiness": Fraction(3, 4), "p_west": Fraction(2, 3),
                                     "risk": 1}
    overrides = parse_assignments(["p_west=0.1", "risk = 2/3"])
    assert resolve(game, leader, overrides) == {
        "readiness": Fraction(3, 4), "p_west": Fraction(1, 10), "risk": Fraction(2, 3)
    }
    assert resolve(game, None, {"readiness": Fraction(0)})["readiness"] == 0
    assert "elsewhere" not in resolve(game, leader)  # another game's parameter


def test_unknown_set_name_is_listed(game):
    with pytest.raises(LeaderError) as info:
        resolve(game, None, parse_assignments(["readyness=1", "risk=2", "pwest=0"]))
    message = str(info.value)
    assert "unknown parameters pwest, readyness" in message
    assert "readiness, p_west, risk" in message  # what the game declares
    assert "\n" not in message


def test_parameters_without_value_are_listed(write_leader):
    game = loads_game(
        GAME.replace('default = "1/2"\n', "").replace("default = 1\n", ""), known_claims=[]
    )
    assert game.parameters["risk"].default is None
    with pytest.raises(LeaderError, match=r"no value for parameters p_west, risk \(no leader"):
        resolve(game)
    leader = load_leader(write_leader(HERO))  # gives p_west, not risk
    with pytest.raises(LeaderError, match=r"no value for parameter risk \(leader 'hero'"):
        resolve(game, leader)
    assert resolve(game, leader, {"risk": Fraction(1)})["risk"] == 1


BAD_VALUES = {
    "boolean": ("value = true", "values.p_west.value: must be a number"),
    "list": ("value = [1, 2]", "values.p_west.value: must be a number"),
    "name": ('value = "high"', "values.p_west.value: unknown parameter 'high'"),
    "irrational": ('value = "sqrt(2)"', "values.p_west.value: must be a plain number"),
    "syntax": ('value = "1/"', "values.p_west.value: invalid syntax"),
    "missing": ('note = "judgement: none"', "values.p_west.value: missing"),
    "unknown-key": ('value = 1\nunit = "%"', "values.p_west.unit: unknown key"),
    "outside-range": ("value = 2\nrange = [0, 1]",
                      "values.p_west.value: 2 is outside its range [0, 1]"),
    "bad-range": ("value = 1\nrange = [0]", "values.p_west.range: must be [low, high]"),
    "bad-sources": ('value = 1\nsources = "c1"', "values.p_west.sources: must be a list"),
}


@pytest.mark.parametrize(("body", "message"), list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_bad_values_are_refused_naming_file_and_key(write_leader, body, message):
    text = HERO.replace('[values.p_west]\nvalue = "2/3"\n', f"[values.p_west]\n{body}\n")
    assert text != HERO
    path = write_leader(text)
    with pytest.raises(LeaderError) as info:
        load_leader(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


BAD_FILES = {
    "invalid-toml": ("[leader\n", "not valid TOML"),
    "no-leader-table": ("[values.p]\nvalue = 1\n", "leader.name: missing"),
    "unknown-table": (HERO + "\n[extra]\nx = 1\n", "extra: unknown table"),
    "bad-parameter-name": (HERO + '\n[values."not a name"]\nvalue = 1\n', "is not a parameter name"),
    "bad-leader-sources": (HERO.replace('sources = ["c1"]', 'sources = "c1"'),
                           "leader.sources: must be a list of claim ids"),
}


@pytest.mark.parametrize(("text", "message"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_profiles_are_refused(write_leader, text, message):
    path = write_leader(text)
    with pytest.raises(LeaderError) as info:
        load_leader(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_plain_value_without_table(write_leader):
    leader = load_leader(write_leader('[leader]\nname = "X"\n\n[values]\nrisk = "1/3"\n'))
    assert leader.values["risk"].value == Fraction(1, 3)


ASSIGNMENTS = {
    "decimal": (["p=0.5"], {"p": Fraction(1, 2)}),
    "fraction-and-spaces": ([" q = 2/3 "], {"q": Fraction(2, 3)}),
    "negative": (["r=-1e-3"], {"r": Fraction(-1, 1000)}),
    "last-wins": (["p=1", "p=2"], {"p": 2}),
}


@pytest.mark.parametrize(("items", "expected"), list(ASSIGNMENTS.values()), ids=list(ASSIGNMENTS))
def test_parse_assignments(items, expected):
    assert parse_assignments(items) == expected


BAD_ASSIGNMENTS = {
    "no-equals": ("p", "expected NAME=VALUE"),
    "no-name": ("=3", "expected NAME=VALUE"),
    "not-a-number": ("p=high", "--set: p: unknown parameter 'high'"),
    "empty-value": ("p=", "--set: p: empty expression"),
    "boolean-word": ("p=True", "--set: p:"),
}


@pytest.mark.parametrize(("item", "message"), list(BAD_ASSIGNMENTS.values()),
                         ids=list(BAD_ASSIGNMENTS))
def test_parse_assignments_refuses_bad_values(item, message):
    with pytest.raises(LeaderError) as info:
        parse_assignments([item])
    assert message in str(info.value)
