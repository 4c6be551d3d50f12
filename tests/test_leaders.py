"""Leader profiles: reading them, and resolving parameter values for a game."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

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


OTHER_GAME = """\
[game]
title = "Another game"
players = ["USSR"]

[parameters.elsewhere]
default = 1

[nodes.root]
payoffs = { USSR = "elsewhere" }
"""


@pytest.fixture(autouse=True)
def catalogue(tmp_path_factory, monkeypatch):
    """The claims the profiles here cite (c1, c2, c3), as the catalogue in use."""
    path = tmp_path_factory.mktemp("catalogue") / "claims.toml"
    path.write_text("".join(
        f'[claims.{c}]\nkind = "external"\nsummary = "s"\nsource = "a book"\nstatus = "accepted"\n'
        for c in ("c1", "c2", "c3")
    ), encoding="utf-8")
    monkeypatch.setenv("POLICY_CLAIMS", str(path))
    return path


@pytest.fixture
def game():
    return loads_game(GAME, "three.toml", known_claims=[])


@pytest.fixture
def write_leader(tmp_path):
    """Writes a profile, beside a game that declares its ``elsewhere`` (a value for another game)."""
    (tmp_path / "other.toml").write_text(OTHER_GAME, encoding="utf-8")

    def write(text, name="hero.toml"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
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


# ------------------------------------------------------------------ include

WORLD = """\
[shared]
description = "What describes the world, not the leader."

[values.p_west]
value = "1/4"
range = [0, "1/2"]
sources = ["c3"]
"""


def profile(name: str, *lines: str) -> str:
    return "\n".join([f'[leader]\nname = "{name}"', *lines]) + "\n"


def test_include_takes_shared_values_from_one_file(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "world.toml").write_text(WORLD, encoding="utf-8")
    for who, readiness in (("hero", "0.75"), ("other", "0.25")):
        (tmp_path / f"{who}.toml").write_text(
            'include = ["shared/world.toml"]\n'
            + profile(who, f"[values.readiness]\nvalue = {readiness}"),
            encoding="utf-8",
        )
    hero, other = load_leader(tmp_path / "hero.toml"), load_leader(tmp_path / "other.toml")
    assert hero.values["p_west"] == other.values["p_west"]
    assert hero.values["p_west"].value == Fraction(1, 4)
    assert hero.values["p_west"].origin.endswith("world.toml")
    assert hero.own("readiness") and not hero.own("p_west")
    assert hero.includes == (str(tmp_path / "shared/world.toml"),)


def test_include_may_take_some_values_of_another_profile(tmp_path):
    (tmp_path / "hero.toml").write_text(HERO, encoding="utf-8")
    (tmp_path / "mixed.toml").write_text(
        'include = [{ path = "hero.toml", values = ["p_west"] }]\n'
        + profile("mixed", "[values.readiness]\nvalue = 0.1"),
        encoding="utf-8",
    )
    mixed = load_leader(tmp_path / "mixed.toml")
    assert set(mixed.values) == {"readiness", "p_west"}
    assert mixed.values["readiness"].value == Fraction(1, 10)
    assert mixed.values["p_west"].value == Fraction(2, 3)
    assert not mixed.own("p_west")


def test_included_files_may_include_others(tmp_path):
    (tmp_path / "world.toml").write_text(WORLD, encoding="utf-8")
    (tmp_path / "middle.toml").write_text(
        'include = ["world.toml"]\n[shared]\n[values.risk]\nvalue = 2\n', encoding="utf-8"
    )
    (tmp_path / "top.toml").write_text('include = ["middle.toml"]\n' + profile("top"), encoding="utf-8")
    top = load_leader(tmp_path / "top.toml")
    assert set(top.values) == {"risk", "p_west"}
    assert [p.split("/")[-1] for p in top.includes] == ["middle.toml", "world.toml"]


BAD_INCLUDES = {
    "given-twice": (
        'include = ["world.toml"]\n' + profile("x", "[values.p_west]\nvalue = 0.3"),
        "'p_west' is given both in",
    ),
    "outside-folder": ('include = ["../world.toml"]\n' + profile("x"), "leads outside"),
    "absolute": ('include = ["/etc/passwd"]\n' + profile("x"), "absolute path"),
    "missing-file": ('include = ["nowhere.toml"]\n' + profile("x"), "'nowhere.toml': no such file"),
    "not-a-list": ('include = "world.toml"\n' + profile("x"), "include: must be a list"),
    "bad-entry": ("include = [3]\n" + profile("x"), "include[0]: must be a path or a table"),
    "unknown-key": (
        'include = [{ path = "world.toml", only = ["p_west"] }]\n' + profile("x"),
        "include[0].only: unknown key",
    ),
    "unknown-value": (
        'include = [{ path = "world.toml", values = ["nothing"] }]\n' + profile("x"),
        "include[0].values: 'world.toml' gives no value for nothing",
    ),
    "empty-values": (
        'include = [{ path = "world.toml", values = [] }]\n' + profile("x"),
        "include[0].values: must be a non-empty list",
    ),
    "self": ('include = ["top.toml"]\n' + profile("x"), "includes itself"),
}


@pytest.mark.parametrize(("text", "message"), list(BAD_INCLUDES.values()), ids=list(BAD_INCLUDES))
def test_bad_include_is_one_located_error(tmp_path, text, message):
    (tmp_path / "sub").mkdir()
    (tmp_path / "world.toml").write_text(WORLD, encoding="utf-8")
    (tmp_path / "sub" / "world.toml").write_text(WORLD, encoding="utf-8")
    (tmp_path / "sub" / "top.toml").write_text(text, encoding="utf-8")
    with pytest.raises(LeaderError) as info:
        load_leader(tmp_path / "sub" / "top.toml")
    assert str(info.value).startswith(str(tmp_path / "sub" / "top.toml"))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_cycle_of_includes_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('include = ["b.toml"]\n' + profile("a"), encoding="utf-8")
    (tmp_path / "b.toml").write_text('include = ["a.toml"]\n[shared]\n', encoding="utf-8")
    with pytest.raises(LeaderError, match="includes itself"):
        load_leader(tmp_path / "a.toml")


def test_two_includes_giving_one_name_are_refused(tmp_path):
    (tmp_path / "world.toml").write_text(WORLD, encoding="utf-8")
    (tmp_path / "again.toml").write_text(WORLD, encoding="utf-8")
    (tmp_path / "top.toml").write_text('include = ["world.toml", "again.toml"]\n' + profile("x"), encoding="utf-8")
    with pytest.raises(LeaderError, match="'p_west' is given both in .*world.toml and in .*again.toml"):
        load_leader(tmp_path / "top.toml")


def test_an_included_file_needs_one_header(tmp_path):
    (tmp_path / "bare.toml").write_text("[values.p_west]\nvalue = 0.2\n", encoding="utf-8")
    (tmp_path / "top.toml").write_text('include = ["bare.toml"]\n' + profile("x"), encoding="utf-8")
    with pytest.raises(LeaderError, match=r"bare.toml: has neither \[leader\] nor \[shared\]"):
        load_leader(tmp_path / "top.toml")


def test_a_shared_file_is_not_a_profile(tmp_path):
    (tmp_path / "world.toml").write_text(WORLD, encoding="utf-8")
    with pytest.raises(LeaderError, match=r"world.toml: shared: a file of shared values, which profiles include"):
        load_leader(tmp_path / "world.toml")


def test_value_no_game_declares_is_refused_with_near_misses(game, write_leader):
    """A misspelt name would leave the game's default in place without a word."""
    leader = load_leader(write_leader(HERO.replace("[values.p_west]", "[values.p_wset]")))
    with pytest.raises(LeaderError) as err:
        resolve(game, leader)
    message = str(err.value)
    line = Path(leader.file).read_text(encoding="utf-8").splitlines().index("[values.p_wset]") + 1
    assert message.startswith(f"{leader.file}:{line}: values.p_wset: names no parameter of 'Three parameters'")
    assert "did you mean p_west?" in message
    assert "\n" not in message


def test_value_for_a_game_beside_the_profile_is_accepted(game, write_leader, tmp_path):
    """A profile spans games: a name declared by a game in its folder (or the one above) is fine."""
    leader = load_leader(write_leader(HERO, name="leaders/deep/hero.toml"))
    with pytest.raises(LeaderError, match="values.elsewhere"):
        resolve(game, leader)  # tmp_path/other.toml is two folders up: not beside it
    (tmp_path / "leaders" / "other.toml").write_text(OTHER_GAME, encoding="utf-8")
    assert "elsewhere" not in resolve(game, leader)


def test_bundled_profiles_name_only_declared_parameters(monkeypatch):
    monkeypatch.delenv("POLICY_CLAIMS")  # the bundled games cite the bundled catalogue
    from policy.bundled import bundled_campaigns, bundled_games, bundled_leaders
    from policy.leaders import check_names
    from policy.loading import load

    games = [load(p) for p in bundled_games() + bundled_campaigns()]
    for key in bundled_leaders():
        check_names(load_leader(key), *games)


def test_unsourced_values_are_listed(write_leader):
    from policy.leaders import unsourced

    leader = load_leader(write_leader(HERO))
    found = unsourced(leader)
    assert [line.split(": ")[1] for line in found] == ["values.p_west", "values.elsewhere"]
    assert all(line.startswith(str(leader.file)) for line in found)


def test_bundled_profiles_say_where_each_value_comes_from():
    from policy.bundled import bundled_leaders
    from policy.leaders import unsourced

    for key in bundled_leaders():
        assert unsourced(load_leader(key)) == []


def test_compare_warns_when_a_leader_sets_none_of_the_games_parameters(tmp_path):
    """Two identical columns without a word were the old answer (issue 13, point 5)."""
    from click.testing import CliRunner

    from policy.cli import main

    game = tmp_path / "three.toml"
    game.write_text(GAME, encoding="utf-8")
    (tmp_path / "other.toml").write_text(OTHER_GAME, encoding="utf-8")
    stranger = tmp_path / "stranger.toml"
    stranger.write_text('[leader]\nname = "S"\n\n[values.elsewhere]\nvalue = 2\nnote = "judgement: x"\n')
    hero = tmp_path / "hero.toml"
    hero.write_text(HERO, encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(game), "-l", f"{hero},{stranger}", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "leader 'stranger' sets none of the game's parameters" in warnings[0]
