"""The command line, through click's CliRunner: output, JSON contract, and error paths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy.bundled import PROJECT, bundled_games
from policy.cli import main
from policy.gamefile import load_game

ENTRY = """\
[game]
title = "Entry deterrence"
players = ["Entrant", "Incumbent"]

[parameters.fight_cost]
description = "What a price war costs each side"
default = 1
range = [-2, 5]

[nodes.entry]
player = "Entrant"
actions = { enter = "response", stay_out = "out" }

[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }

[nodes.out]
outcome = "Entrant stays out"
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
outcome = "Price war"
payoffs = { Entrant = "-fight_cost", Incumbent = "-fight_cost" }

[nodes.shared]
outcome = "Shared market"
payoffs = { Entrant = 1, Incumbent = "1/3" }
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    path = tmp_path / "entry.toml"
    path.write_text(ENTRY)
    return path


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command(runner: CliRunner) -> None:
    code, out, _ = run(runner, "--help")
    assert code == 0
    for command in main.commands:
        assert command in out


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_guide(
    runner: CliRunner, command: str
) -> None:
    code, out, _ = run(runner, command, "--help")
    assert code == 0
    examples = re.findall(r"Example: (policy .+)", out)
    assert examples, f"policy {command} --help has no 'Example:' line"
    guide = (PROJECT / "docs" / "guide.md").read_text()
    assert f"policy {command}" in guide
    for example in examples:
        assert example.strip() in guide, f"docs/guide.md does not show {example.strip()!r}"


def test_help_does_not_import_sympy_or_scipy() -> None:
    # `policy --help` must be instant: the heavy libraries load only when used.
    code = (
        "import sys; from click.testing import CliRunner; from policy.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in ('sympy', 'scipy', 'numpy', 'policy.model') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True
    ).stdout
    assert out.strip() == "[]"


def test_solve_table(runner: CliRunner, entry: Path) -> None:
    code, out, _ = run(runner, "solve", str(entry))
    assert code == 0
    assert "Entry deterrence" in out
    assert re.search(r"entry\s+Entrant\s+enter", out)
    assert re.search(r"response\s+Incumbent\s+accommodate", out)
    assert re.search(r"Shared market \[shared\]\s+1\b", out)
    assert re.search(r"Incumbent\s+1/3", out)


def test_solve_json_contract(runner: CliRunner, entry: Path) -> None:
    code, out, _ = run(runner, "solve", str(entry), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["game"] == {"title": "Entry deterrence", "players": ["Entrant", "Incumbent"]}
    assert data["leader"] is None
    assert data["parameters"] == {"fight_cost": "1"}
    assert data["method"] == "spe"
    assert data["exact"] is True
    [eq] = data["equilibria"]
    assert eq["payoffs"] == {"Entrant": "1", "Incumbent": "1/3"}
    assert eq["behavior"] == {
        "entry": {"enter": "1", "stay_out": "0"},
        "response": {"fight": "0", "accommodate": "1"},
    }
    assert eq["outcomes"] == {"out": "0", "war": "0", "shared": "1"}
    assert eq["max_regret"] == "0"


def test_solve_float_json_has_numbers(runner: CliRunner, entry: Path) -> None:
    code, out, _ = run(runner, "solve", str(entry), "--float", "--format", "json")
    assert code == 0
    eq = json.loads(out)["equilibria"][0]
    assert eq["payoffs"]["Incumbent"] == pytest.approx(1 / 3)
    assert json.loads(out)["exact"] is False


def test_solve_set_and_all(runner: CliRunner, entry: Path) -> None:
    # With fight_cost = -1/3 the incumbent is indifferent: two equilibria.
    code, out, _ = run(runner, "solve", str(entry), "--set", "fight_cost=-1/3", "--all", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["parameters"] == {"fight_cost": "-1/3"}
    assert len(data["equilibria"]) == 2
    assert data["ties"] == ["response"]


def test_solve_tie_warning_in_table(runner: CliRunner, entry: Path) -> None:
    code, out, _ = run(runner, "solve", str(entry), "--set", "fight_cost=-1/3")
    assert code == 0
    assert "not unique" in out and "response" in out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--set", "nope=1"], "unknown parameter nope"),
        (["--set", "fight_cost"], "expected NAME=VALUE"),
        (["--set", "fight_cost=__import__('os')"], "fight_cost"),
        (["--leader", "nobody"], "unknown leader 'nobody'"),
        (["--method", "logit", "--subgame-method", "lcp"], "--subgame-method does not apply"),
        (["--method", "logit", "--max-pivots", "50"], "--max-pivots does not apply"),
        (["--method", "lcp", "--max-pivots", "1"], "(the limit); raise it with --max-pivots"),
    ],
    ids=["unknown-param", "bad-assignment", "hostile-value", "unknown-leader", "option-for-other-method",
         "max-pivots-for-other-method", "max-pivots-reached"],
)
def test_solve_errors_are_one_line_exit_1(
    runner: CliRunner, entry: Path, args: list[str], phrase: str
) -> None:
    code, out, err = run(runner, "solve", str(entry), *args)
    assert code == 1
    assert out == ""
    assert phrase in err
    assert len(err.strip().splitlines()) == 1


def test_bad_file_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(ENTRY.replace('"-fight_cost", Incumbent', '"-figth_cost", Incumbent'))
    code, out, err = run(runner, "solve", str(bad))
    assert code == 1
    assert out == ""
    line = ENTRY.splitlines().index('payoffs = { Entrant = "-fight_cost", Incumbent = "-fight_cost" }') + 1
    assert f"bad.toml:{line}: nodes.war.payoffs.Entrant" in err
    assert "figth_cost" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(runner, "solve", str(tmp_path / "nope.toml"))
    assert code == 1
    assert "nope.toml" in err


@pytest.mark.parametrize("args", [["--format", "xml"], ["--method", "magic"]], ids=["format", "method"])
def test_usage_error_exits_2(runner: CliRunner, entry: Path, args: list[str]) -> None:
    code, _, _ = run(runner, "solve", str(entry), *args)
    assert code == 2


def test_imperfect_information_goes_to_a_nash_method(runner: CliRunner, tmp_path: Path) -> None:
    text = ENTRY.replace(
        '[nodes.response]\nplayer = "Incumbent"',
        '[nodes.response]\nplayer = "Incumbent"\ninfoset = "blind"',
    ).replace(
        '[nodes.out]\noutcome = "Entrant stays out"\npayoffs = { Entrant = 0, Incumbent = 2 }',
        '[nodes.out]\nplayer = "Incumbent"\ninfoset = "blind"\n'
        'actions = { fight = "out_f", accommodate = "out_a" }\n\n'
        '[nodes.out_f]\npayoffs = { Entrant = 0, Incumbent = 2 }\n\n'
        '[nodes.out_a]\npayoffs = { Entrant = 0, Incumbent = 2 }',
    )
    path = tmp_path / "blind.toml"
    path.write_text(text)
    # The incumbent cannot tell entry from staying out: auto picks qpe (2 players, not
    # zero-sum: a quasi-perfect equilibrium).
    code, out, err = run(runner, "solve", str(path), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["method"] == "qpe"
    assert all(eq["refinement"] == "quasi-perfect" for eq in data["equilibria"])
    assert all(eq["max_regret"] == "0" for eq in data["equilibria"])
    # The whole game is its only proper subgame, so spe gives a Nash equilibrium of it too.
    code, out, err = run(runner, "solve", str(path), "--method", "spe", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["method"] == "spe"


def test_validate_ok_and_failures(runner: CliRunner, entry: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(ENTRY.replace('stay_out = "out"', 'stay_out = "gone"'))
    code, out, err = run(runner, "validate", str(entry), str(bad))
    assert code == 1
    assert out.startswith(f"ok {entry}")
    assert "bad.toml" in err and "unknown node 'gone'" in err


def test_validate_leaders_and_profiles(runner: CliRunner, entry: Path, tmp_path: Path) -> None:
    """-l takes a comma list; each profile must source every value; a profile is a FILE too."""
    bundled = bundled_games()[0]
    code, out, err = run(runner, "validate", str(bundled), "-l", "stalin,tukhachevsky")
    assert code == 0, err
    assert out.count("ok ") == 1
    profile = tmp_path / "hero.toml"
    profile.write_text('[leader]\nname = "Hero"\n\n[values.fight_cost]\nvalue = 1\n')
    code, out, err = run(runner, "validate", str(profile), str(entry))
    assert code == 1
    assert err.strip() == (
        f"Error: {profile}:4: values.fight_cost: no sources and no note starting 'judgement:' "
        "(every value says where it comes from)"
    )
    assert out.startswith(f"ok {entry}") and "1 parameter," in out
    profile.write_text(profile.read_text() + 'note = "judgement: a guess"\n')
    code, out, err = run(runner, "validate", str(profile))
    assert code == 0, err
    assert out == f"ok {profile}: leader 'Hero': 1 value, each sourced\n"


def test_validate_reads_a_file_of_shared_values_as_such(runner, tmp_path, entry):
    """A [shared] file is what profiles include: checked for sources, not read as a game."""
    world = tmp_path / "world.toml"
    world.write_text('[shared]\n\n[values.p_west]\nvalue = 0.25\nsources = ["purge-scale"]\n\n[values.risk]\nvalue = 2\n')
    code, out, err = run(runner, "validate", str(world))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"Error: {world}:7: values.risk: no sources and no note starting 'judgement:' "
        "(every value says where it comes from)"
    )
    world.write_text(world.read_text() + 'note = "judgement: a guess"\n')
    code, out, err = run(runner, "validate", str(world))
    assert code == 0, err
    assert out == f"ok {world}: shared values (included by profiles): 2 values, each sourced\n"
    code, out, err = run(runner, "solve", str(entry), "-l", str(world))
    assert code == 1 and out == ""
    assert "shared: a file of shared values, which profiles include; it is not a leader" in err


def test_validate_refuses_a_misspelt_profile_value(runner: CliRunner, entry: Path, tmp_path: Path) -> None:
    profile = tmp_path / "hero.toml"
    profile.write_text('[leader]\nname = "Hero"\n\n[values.fight_cots]\nvalue = 1\nsources = ["purge-scale"]\n')
    code, _, err = run(runner, "solve", str(entry), "-l", str(profile))
    assert code == 1
    assert "values.fight_cots: names no parameter of" in err and "did you mean fight_cost?" in err


@pytest.mark.parametrize("game", bundled_games(), ids=lambda p: p.stem)
def test_validate_bundled(runner: CliRunner, game: Path) -> None:
    code, out, _ = run(runner, "validate", str(game))
    assert code == 0, out


def test_compare_stage_games_by_name_default_leaders(runner: CliRunner) -> None:
    code, out, err = run(runner, "compare", *map(str, bundled_games()), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [leader["key"] for leader in data["leaders"]] == ["stalin", "tukhachevsky"]
    assert {Path(g["file"]).name for g in data["games"]} == {p.name for p in bundled_games()}
    for g in data["games"]:
        for key, res in g["results"].items():
            assert res["leader"] == key
            for eq in res["equilibria"]:
                assert eq["max_regret"] == "0"


def test_compare_default_is_the_bundled_campaign(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small bundle (a two-stage campaign beside its stage games): with no FILE,
    # compare takes the campaign, not the stage games.
    from policy.bundled import bundled_campaigns

    monkeypatch.setenv("POLICY_GAMES", str(Path(__file__).parent / "data" / "campaigns"))
    campaigns = bundled_campaigns()
    assert campaigns and all(p.stem.startswith("two_stage") for p in campaigns)
    code, out, err = run(runner, "compare", "--leaders", "alpha,beta", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [Path(g["file"]).name for g in data["games"]] == [p.name for p in campaigns]
    assert [leader["key"] for leader in data["leaders"]] == ["alpha", "beta"]


def test_the_bundled_campaign_is_the_ussr_chain() -> None:
    from policy.bundled import bundled_campaigns

    # `policy compare` with no file takes the full campaign; its two branch
    # campaigns (given Stalin rules, given the coup succeeded) repeat its numbers
    # from 1939 on and are compared by naming them.
    assert [p.name for p in bundled_campaigns()] == ["ussr_1937_1941.toml"]
    assert [p.name for p in bundled_campaigns(branches=True)] == [
        "ussr_1937_1941.toml", "ussr_1939_1941_stalin.toml", "ussr_1939_1941_tukhachevsky.toml",
    ]


def test_compare_table_and_markdown(runner: CliRunner) -> None:
    stages = [str(p) for p in bundled_games()]
    code, out, _ = run(runner, "compare", *stages)
    assert code == 0
    assert "Joseph Stalin" in out or "Stalin" in out
    assert "Decisions on the equilibrium path" in out
    assert "Outcome probabilities" in out
    code, md, _ = run(runner, "compare", *stages, "--format", "markdown")
    assert code == 0
    assert md.startswith("### ")
    assert "| **Outcome probabilities** |" in md


def test_compare_unknown_leader(runner: CliRunner) -> None:
    code, out, err = run(runner, "compare", "--leaders", "stalin,napoleon")
    assert code == 1
    assert out == ""
    assert "napoleon" in err


@pytest.mark.parametrize("entry", [["-m", "policy"], ["cli.py"]])
def test_console_script_runs(entry: list[str]) -> None:
    """``python -m policy`` and ``python cli.py`` run the same command as ``policy``."""
    out = subprocess.run(
        [sys.executable, *entry, "--version"], capture_output=True, text=True, cwd=PROJECT
    )
    assert out.returncode == 0, out.stderr
    assert "version" in out.stdout


def test_value_outside_declared_range_warns_on_stderr(runner: CliRunner, entry: Path) -> None:
    code, out, err = run(runner, "solve", str(entry), "--set", "fight_cost=9")
    assert code == 0
    assert "fight_cost = 9 is outside its declared range [-2, 5]" in err
    assert "Equilibrium" in out


# ------------------------------------------------------------------ explain, claims


def test_explain_table(runner: CliRunner, entry: Path) -> None:
    code, out, err = run(runner, "explain", str(entry), "--leader", "stalin")
    assert code == 0, err
    assert out.startswith("Entry deterrence")
    assert "First to move: Entrant, at entry." in out
    assert "response (after enter): fight or accommodate" in out
    assert "Perfect information" in out
    # Stalin's profile does not bind the entry game's parameter: the default is shown as such.
    assert "Joseph Stalin: 1" in out and "not set by the profile" in out


def test_explain_json_of_the_bundled_game(runner: CliRunner) -> None:
    game = PROJECT / "games" / "diplomacy_1939.toml"
    code, out, err = run(runner, "explain", str(game), "-l", "stalin,tukhachevsky", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    readiness = data["parameters"]["readiness"]
    assert set(readiness["values"]) == {"stalin", "tukhachevsky"}
    assert readiness["values"]["stalin"]["given"] == "leader"
    assert readiness["claims"] and all(c["known"] for c in readiness["claims"])
    assert data["left_out"] and data["catalogue"] == "seeds/claims.toml"
    assert data["structure"]["first"] == "USSR"


def test_explain_leaders_repeat_or_comma(runner: CliRunner, entry: Path) -> None:
    _, repeated, _ = run(runner, "explain", str(entry), "--format", "json", "-l", "stalin", "-l", "tukhachevsky")
    _, commas, _ = run(runner, "explain", str(entry), "--format", "json", "--leaders", "stalin, tukhachevsky")
    values = json.loads(repeated)["parameters"]["fight_cost"]["values"]
    assert list(values) == ["stalin", "tukhachevsky"]
    assert json.loads(commas) == json.loads(repeated)


def test_explain_gambit_file(runner: CliRunner) -> None:
    code, out, err = run(runner, "explain", str(PROJECT / "tests" / "data" / "bayes.efg"))
    assert code == 0, err
    assert "Player 1 does not know whether chance drew 2g or 2b" in " ".join(out.split())
    assert "Parameters: none" in out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["explain", "{entry}", "--leader", "napoleon"], "unknown leader 'napoleon'"),
        (["explain", "{missing}"], "nope.toml"),
        (["explain", "{tmp}/game.xml"], "unknown game file type"),
        (["claims", "--game", "atlantis"], "no claim bears on 'atlantis'"),
        (["compare", "{missing}"], "nope.toml"),
        (["compare", "{entry}", "--leaders", "stalin", "--leader", "napoleon"], "unknown leader 'napoleon'"),
    ],
    ids=["unknown-leader", "missing-file", "unknown-type", "unknown-game", "compare-missing", "compare-leader"],
)
def test_errors_are_one_line_exit_1(
    runner: CliRunner, entry: Path, tmp_path: Path, args: list[str], phrase: str
) -> None:
    filled = [a.format(entry=entry, missing=tmp_path / "nope.toml", tmp=tmp_path) for a in args]
    code, out, err = run(runner, *filled)
    assert code == 1
    assert out == ""
    assert phrase in err
    assert len(err.strip().splitlines()) == 1


def test_claims_filters(runner: CliRunner) -> None:
    code, out, err = run(runner, "claims", "--status", "wrong", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["claims"] and all(c["status"] == "wrong" and c["why"] for c in data["claims"])
    code, out, _ = run(runner, "claims", "--game", "diplomacy_1939", "--format", "json")
    ids = {c["id"] for c in json.loads(out)["claims"]}
    cited = load_game(PROJECT / "games" / "diplomacy_1939.toml").sources
    assert set(cited) <= ids
    code, table, _ = run(runner, "claims", "--status", "contested")
    assert code == 0
    assert "[CONTESTED]" in table and "why:" in table and "[WRONG]" not in table
    assert re.search(r"^\d+ claims? \(0 accepted, \d+ contested, 0 wrong\)$", table.splitlines()[-1])


# ------------------------------------------------------------------ compare, beliefs


def test_compare_json_has_facts_paths_and_swaps(runner: CliRunner, entry: Path, tmp_path: Path) -> None:
    low = tmp_path / "low.toml"
    low.write_text('[leader]\nname = "Low"\n[values]\nfight_cost = 0\n')
    high = tmp_path / "high.toml"
    high.write_text('[leader]\nname = "High"\n[values]\nfight_cost = 2\n')
    code, out, err = run(runner, "compare", str(entry), "--leaders", f"{low},{high}", "--format", "json")
    assert code == 0, err
    [g] = json.loads(out)["games"]
    assert set(g) >= {"file", "title", "results", "path", "facts", "swaps"}
    assert g["facts"] == {"low": {}, "high": {}}  # the entry game states no facts
    [swap] = g["swaps"]
    assert (swap["leader"], swap["other"], swap["parameter"], swap["from"], swap["to"]) == (
        "low", "high", "fight_cost", "0", "2"
    )
    # The incumbent accommodates either way (1/3 > -fight_cost for both), so nothing moves.
    assert swap["path_changes"] is False and swap["outcomes_change"] is False


def test_solve_table_and_json_show_beliefs(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "blind.toml"
    path.write_text(
        '[game]\ntitle = "Blind"\nplayers = ["A", "B"]\n'
        '[nodes.draw]\nchance = true\nactions = { hi = "b_hi", lo = "b_lo" }\n'
        'probabilities = { hi = "1/4", lo = "3/4" }\n'
        '[nodes.b_hi]\nplayer = "B"\ninfoset = "guess"\nactions = { x = "t1", y = "t2" }\n'
        '[nodes.b_lo]\nplayer = "B"\ninfoset = "guess"\nactions = { x = "t3", y = "t4" }\n'
        '[nodes.t1]\npayoffs = { A = 0, B = 1 }\n[nodes.t2]\npayoffs = { A = 0, B = 0 }\n'
        '[nodes.t3]\npayoffs = { A = 1, B = 0 }\n[nodes.t4]\npayoffs = { A = 0, B = 1 }\n'
    )
    code, out, err = run(runner, "solve", str(path))
    assert code == 0, err
    assert re.search(r"guess\s+B\s+b_hi\s+1/4", out) and re.search(r"b_lo\s+3/4", out)
    code, out, _ = run(runner, "solve", str(path), "--format", "json")
    assert json.loads(out)["equilibria"][0]["beliefs"] == {"guess": {"b_hi": "1/4", "b_lo": "3/4"}}


def test_small_usability_fixes(runner: CliRunner, entry: Path, tmp_path: Path) -> None:
    """Issue 13, point 8: --no-color after the command, --format tikz, a bare --vary NAME in
    sweep as in regions, a parameter-dependent probability error with its line, the
    irrational-number error naming --float, and regions on information sets pointing to sweep."""
    code, out, err = run(runner, "solve", str(entry), "--no-color")
    assert code == 0, err
    code, out, err = run(runner, "render", str(entry), "--format", "tikz")
    assert code == 0, err
    assert "\\begin{tikzpicture}" in out
    code, out, err = run(runner, "sweep", str(entry), "--vary", "fight_cost", "--format", "json")
    assert code == 0, err
    swept = json.loads(out)
    assert (swept["samples"], swept["varied"]) == (101, ["fight_cost"])  # the declared range, 101 points
    chance = tmp_path / "chance.toml"
    chance.write_text(
        '[game]\ntitle = "c"\nplayers = ["A"]\n\n[parameters.p]\ndescription = "a chance"\ndefault = 2\n\n'
        '[nodes.root]\nchance = true\nactions = { x = "a", y = "b" }\n'
        'probabilities = { x = "p", y = "1 - p" }\n\n'
        '[nodes.a]\npayoffs = { A = 1 }\n\n[nodes.b]\npayoffs = { A = 0 }\n'
    )
    code, _, err = run(runner, "solve", str(chance))
    assert code == 1
    assert err.startswith(f"Error: {chance}:12: nodes.root.probabilities.x: ")  # the probabilities line
    root2 = tmp_path / "root2.toml"
    root2.write_text(chance.read_text().replace('default = 2', 'default = "1/2"').replace('A = 1 }', 'A = "sqrt(2)" }'))
    code, _, err = run(runner, "solve", str(root2))
    assert code == 1 and "(solve with --float)" in err, err
    code, _, err = run(runner, "regions", str(PROJECT / "games" / "barbarossa_1941.toml"), "--vary", "readiness_1941")
    assert code == 1 and "policy sweep" in err


TRIO = """
[game]
title = "Trio"
players = ["A", "B", "C"]

[nodes.root]
player = "C"
actions = { enter = "a", stay = "stayed" }

[nodes.stayed]
payoffs = { A = 0, B = 0, C = 1 }

[nodes.a]
player = "A"
actions = { up = "b_up", down = "b_down" }

[nodes.b_up]
player = "B"
infoset = "b"
actions = { left = "ul", right = "ur" }

[nodes.b_down]
player = "B"
infoset = "b"
actions = { left = "dl", right = "dr" }

[nodes.ul]
payoffs = { A = 2, B = 1, C = 2 }

[nodes.ur]
payoffs = { A = 0, B = 0, C = 0 }

[nodes.dl]
payoffs = { A = 0, B = 0, C = 0 }

[nodes.dr]
payoffs = { A = 1, B = 2, C = 2 }
"""


def test_auto_picks_spe_when_two_players_move_in_each_imperfect_subgame(
    runner: CliRunner, tmp_path: Path
) -> None:
    from policy.gamefile import loads_game
    from policy.solvers import auto_reason, choose_method

    # Three players, but only A and B move in the subgame where B cannot see A's
    # move: spe solves it by lcp and C's first move by backward induction.
    path = tmp_path / "trio.toml"
    path.write_text(TRIO)
    game = loads_game(TRIO, "trio.toml", known_claims=[])
    assert choose_method(game) == "spe"
    assert "at most 2 move" in auto_reason(game)
    code, out, err = run(runner, "solve", str(path), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["method"] == "spe"
    assert f"note: {path}: method auto chose spe: " in err
    # C moving in the same subgame, unable to see either move: three movers, logit.
    three = TRIO.replace('payoffs = { A = 2, B = 1, C = 2 }', 'player = "C"\ninfoset = "c"\n'
                         'actions = { x = "ulx", y = "uly" }\n\n[nodes.ulx]\npayoffs = { A = 2, B = 1, C = 2 }\n\n'
                         '[nodes.uly]\npayoffs = { A = 1, B = 1, C = 1 }')
    three = three.replace('[nodes.dr]\n', '[nodes.dr]\nplayer = "C"\ninfoset = "c"\nactions = { x = "drx", y = "dry" }\n\n'
                          '[nodes.drx]\npayoffs = { A = 1, B = 2, C = 2 }\n\n[nodes.dry]\n', 1)
    three = three.replace('[nodes.dry]\npayoffs = { A = 1, B = 2, C = 2 }', '[nodes.dry]\npayoffs = { A = 0, B = 1, C = 0 }')
    game3 = loads_game(three, "trio3.toml", known_claims=[])
    assert choose_method(game3) == "logit"


def test_auto_takes_qpe_in_both_arithmetics_and_lcp_for_every_equilibrium() -> None:
    """One selection: auto on a two-player game takes qpe with --float as without (qpe's
    float mode follows the exact path), so the two report one equilibrium. Asked for every
    equilibrium, which qpe does not give, auto takes lcp in both (it raised before: "qpe
    returns one quasi-perfect equilibrium; --all does not apply")."""
    from policy.solvers import choose_method, solve
    from tests.games import beer_quiche

    game = beer_quiche()
    assert choose_method(game, exact=False) == choose_method(game, exact=True) == "qpe"
    floats, exact = solve(game, {}, exact=False), solve(game, {}, exact=True)
    assert floats.method == exact.method == "qpe"
    assert [float(p) for p in floats.equilibria[0].probabilities] == pytest.approx(
        [float(p) for p in exact.equilibria[0].probabilities], abs=1e-9)
    assert choose_method(game, exact=True, all_equilibria=True) == "lcp"
    every = solve(game, {}, exact=True, all_equilibria=True)
    assert every.method == "lcp" and len(every.equilibria) >= 1


def test_solve_adds_up_the_end_states_the_outcomes_state() -> None:
    """A new user's review: solve on the campaign printed 18,568 lines and no end state;
    the figure the README quotes (war in 1941) was only in compare. solve now adds them up,
    in the table and the JSON, as compare's yardstick."""
    from fractions import Fraction

    from conftest import invoke

    from policy.analysis.compare import fact_probabilities
    from policy.loading import load
    from policy.render.data import number

    game_file = str(PROJECT / "games" / "romania_1940.toml")
    code, out, _ = invoke("--no-color", "solve", game_file, "-l", "stalin", "--no-count")
    assert code == 0, out
    assert "End states: the facts the outcomes state" in out
    code, out, _ = invoke("solve", game_file, "-l", "stalin", "--no-count", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    eq = data["equilibria"][0]
    from policy.api import solve as api_solve

    result = api_solve(load(game_file), leader="stalin").result
    expected = {k: {v: number(p) for v, p in vs.items()}
                for k, vs in fact_probabilities(result.game, result.equilibria[0]).items()}
    assert eq["facts"] == expected
    assert expected and all(sum(map(Fraction, vs.values())) <= 1 for vs in expected.values())


def test_the_end_states_of_a_game_held_as_arrays_make_no_outcome_objects(tmp_path: Path) -> None:
    """The end states added to solve's JSON walked game.outcomes, which for a Gambit file
    makes one Outcome object per outcome: 10^6 nodes went from 8 to 25 s of CPU and 0.8 to
    1.65 GB (measured with benchmarks/bench_efg_distinct.py before this was found)."""
    from policy.analysis.compare import fact_probabilities, fact_values
    from policy.api import solve as api_solve
    from policy.model import ConstantOutcomes

    efg = tmp_path / "g.efg"
    efg.write_text('EFG 2 R "g" { "A" "B" } ""\n'
                   'p "" 1 1 "" { "l" "r" } 0\n'
                   't "" 1 "" { 1 2 }\n'
                   'p "" 2 1 "" { "x" "y" } 0\n'
                   't "" 2 "" { 3 1 }\n'
                   't "" 3 "" { 0 4 }\n', encoding="utf-8")
    solution = api_solve(str(efg))
    game = solution.result.game
    assert isinstance(game.outcomes, ConstantOutcomes)
    assert fact_values(game) == {}
    assert all(not v for v in fact_probabilities(game, solution.result.equilibria[0]).values())
    assert solution.data(count=False)["equilibria"][0]["facts"] == {}
    assert game.outcomes._made == {}


def test_compare_status_line_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal's stderr, compare shows its step on one transient line; elsewhere nothing."""
    import io

    from policy.cli import _status_line

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with _status_line() as progress:
        progress("Soviet diplomacy, 1939: solving under Joseph Stalin")
        import time

        time.sleep(0.3)  # the spinner draws a few times a second
    assert "solving under Joseph Stalin" in screen.getvalue()

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with _status_line() as progress:
        progress("not shown")
    assert piped.getvalue() == ""
