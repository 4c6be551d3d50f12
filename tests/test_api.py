"""The Python API (policy.api, exported from policy): each entry, checked against the command or the library.

Each function must give what the command of the same name gives (the same
library calls: compared through the JSON output), games made in code must be
the games their TOML files make (same tree, same equilibrium), and
``bimatrix`` must agree with nashpy on the same payoff matrices.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from typing import Any

import nashpy
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings

import policy
from policy.cli import main
from policy.gambit import same_game
from policy.gamefile import GameFileError, loads_game
from policy.gamefile import dump_game as dumps_game
from policy.leaders import LeaderError, load_leader, resolve
from policy.render.data import dumps
from policy.solvers import solve as library_solve
from tests.conftest import games_with_values

ROOT = Path(__file__).parent.parent
DIPLOMACY = ROOT / "games" / "diplomacy_1939.toml"
BAYES = Path(__file__).parent / "data" / "bayes.efg"
#: Equilibria from nashpy (floats) and ours (exact) agree to this many decimals.
DECIMALS = 9

# The entry deterrence game (Selten 1978, "The chain-store paradox"), with a parameter.
ENTRY = """\
[game]
title = "Entry"
players = ["Entrant", "Incumbent"]

[parameters.fight_cost]
description = "what fighting costs the incumbent"
default = 0.5
range = [0, 3]

[nodes.start]
player = "Entrant"
actions = { enter = "entered", stay_out = "out" }

[nodes.entered]
player = "Incumbent"
actions = { fight = "war", accommodate = "share" }

[nodes.out]
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
outcome = "price war"
payoffs = { Entrant = -1, Incumbent = "-fight_cost" }

[nodes.share]
payoffs = { Entrant = 1, Incumbent = 1 }
"""


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def html_root(text: str) -> ET.Element:
    """HTML fragments of tables parse as XML (they are written well-formed)."""
    return ET.fromstring(f"<div>{text}</div>")


# -- import ---------------------------------------------------------------------------------


def test_import_policy_loads_no_numerical_library() -> None:
    code = "import sys, policy; print(sorted(m for m in ('numpy', 'sympy', 'scipy', 'policy.api') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_every_exported_name_resolves_and_unknown_names_fail() -> None:
    for name in policy.__all__:
        assert getattr(policy, name) is not None
    assert set(policy.__all__) <= set(dir(policy))
    with pytest.raises(AttributeError):
        policy.no_such_thing  # noqa: B018


# -- load and solve -------------------------------------------------------------------------


def test_load_is_the_commands_reader() -> None:
    from policy.loading import load

    game = policy.load(DIPLOMACY)
    assert isinstance(game, policy.Game)
    assert same_game(game, load(DIPLOMACY))


def test_solve_without_values_uses_the_defaults() -> None:
    game = policy.load(DIPLOMACY)
    ours = policy.solve(DIPLOMACY)
    theirs = library_solve(game, resolve(game))
    assert ours.parameters == theirs.parameters
    assert [e.probabilities for e in ours.equilibria] == [e.probabilities for e in theirs.equilibria]
    assert ours.equilibria[0].max_regret == 0


def test_solve_with_a_leader_matches_the_command() -> None:
    ours = policy.solve(DIPLOMACY, leader="stalin")
    assert ours.data(count=False) == cli_json("solve", str(DIPLOMACY), "--leader", "stalin", "--no-count")
    assert ours.leader is not None and ours.leader.key == "stalin"


def test_solve_parameters_by_name_are_set() -> None:
    ours = policy.solve(DIPLOMACY, leader="stalin", p_west_accepts="1/3", readiness=0.6)
    assert ours.data(count=False) == cli_json("solve", str(DIPLOMACY), "-l", "stalin", "--set", "p_west_accepts=1/3",
                                   "--set", "readiness=0.6", "--no-count")
    assert ours.parameters["readiness"] == Fraction(3, 5)
    same = policy.solve(DIPLOMACY, leader="stalin", values={"p_west_accepts": Fraction(1, 3), "readiness": "3/5"})
    assert same.data() == ours.data()


def test_solve_refuses_an_unknown_parameter() -> None:
    with pytest.raises(LeaderError, match="p_lanch"):
        policy.solve(DIPLOMACY, p_lanch=1)


def test_solve_passes_the_method_on() -> None:
    ours = policy.solve(BAYES, method="enummixed")
    assert ours.method == "enummixed" and len(ours.equilibria) >= 1
    assert all(e.max_regret == 0 for e in ours.equilibria)


def test_values_are_defaults_then_leader_then_given() -> None:
    game = policy.load(DIPLOMACY)
    stalin = load_leader("stalin")
    assert policy.values(game) == resolve(game)
    assert policy.values(game, "stalin") == resolve(game, stalin)
    assert policy.values(game, stalin, readiness="1/2") == resolve(game, stalin, {"readiness": Fraction(1, 2)})


# -- compare, sweep, regions, render --------------------------------------------------------


def test_compare_matches_the_command() -> None:
    ours = policy.compare(DIPLOMACY, leaders=["stalin", "tukhachevsky"])
    assert len(ours) == 1
    assert json.loads(dumps(ours.data())) == cli_json("compare", str(DIPLOMACY), "--leaders", "stalin,tukhachevsky")
    assert policy.compare(DIPLOMACY, leaders="stalin,tukhachevsky").data() == ours.data()


def test_sweep_matches_the_command() -> None:
    ours = policy.sweep(DIPLOMACY, {"p_west_accepts": (0, 1, 11)}, leader="stalin")
    theirs = cli_json("sweep", str(DIPLOMACY), "-l", "stalin", "--vary", "p_west_accepts=0:1:11")
    assert json.loads(json.dumps(ours.data())) == theirs
    assert ours.done == 11
    words = policy.sweep(DIPLOMACY, "p_west_accepts=0:1:11", leader="stalin")
    assert words.paths == ours.paths


def test_sweep_needs_a_grid_or_samples() -> None:
    from policy.analysis.sweep import SweepError

    with pytest.raises(SweepError):
        policy.sweep(DIPLOMACY)


def test_regions_matches_the_command() -> None:
    ours = policy.regions(DIPLOMACY, ["readiness"], leader="stalin")
    assert json.loads(dumps(ours.data())) == cli_json("regions", str(DIPLOMACY), "-l", "stalin", "--vary", "readiness")
    box = policy.regions(DIPLOMACY, {"readiness": ("1/10", "9/10")}, leader="stalin")
    assert box.box == ((Fraction(1, 10), Fraction(9, 10)),)


def test_render_matches_the_command() -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "-l", "stalin"])
    assert result.exit_code == 0, result.output
    assert policy.draw(DIPLOMACY, leader="stalin", fmt="dot") == result.stdout
    svg = policy.draw(DIPLOMACY, leader="stalin")
    assert isinstance(svg, str)
    root = ET.fromstring(svg)
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert len(nodes) == policy.load(DIPLOMACY).num_nodes
    png = policy.draw(DIPLOMACY, fmt="png", solved=False)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_draw_along_the_equilibrium_path() -> None:
    """``path=True`` draws what the equilibrium reaches and boxes the rest; it needs an equilibrium."""
    whole = policy.draw(DIPLOMACY, "stalin", fmt="dot")
    along = policy.draw(DIPLOMACY, "stalin", fmt="dot", path=True)
    assert isinstance(whole, str) and isinstance(along, str)
    assert "does not enter" in along and "does not enter" not in whole
    assert along.count(" [id=\"") < whole.count(" [id=\"")
    with pytest.raises(ValueError, match="path"):
        policy.draw(DIPLOMACY, fmt="dot", solved=False, path=True)


def test_a_solution_draws_its_tree_as_svg() -> None:
    drawing = policy.solve(BAYES).tree()
    assert ET.fromstring(drawing._repr_svg_()).tag == "{http://www.w3.org/2000/svg}svg"


# -- HTML in notebooks ----------------------------------------------------------------------


def test_solution_html_has_the_tables() -> None:
    root = html_root(policy.solve(DIPLOMACY, leader="stalin")._repr_html_())
    tables = root.findall("table")
    assert len(tables) >= 3  # parameters, behaviour, payoffs, outcomes
    behaviour = next(t for t in tables if [th.text for th in t.iter("th")] == ["information set", "player", "choice"])
    cells = [[td.text for td in tr.iter("td")] for tr in behaviour.iter("tr") if tr.find("td") is not None]
    assert ["start", "USSR", "appeal_west 1"] in cells


def test_comparison_sweep_and_regions_html_are_tables() -> None:
    comparison = policy.compare(DIPLOMACY, leaders=["stalin", "tukhachevsky"], swaps=False, flips=False)
    root = html_root(comparison._repr_html_())
    (table,) = root.findall("table")
    assert [th.text for th in table.iter("th")][1:] == ["Joseph Stalin", "Mikhail Tukhachevsky"]
    sweep = policy.sweep(DIPLOMACY, {"p_west_accepts": (0, 1, 5)}, leader="stalin")
    assert html_root(sweep._repr_html_()).findall("table")
    regions = policy.regions(DIPLOMACY, "readiness", leader="stalin")
    rows = html_root(regions._repr_html_()).find("table").iter("tr")  # type: ignore[union-attr]
    assert len(list(rows)) == 1 + len(regions.regions)


def test_html_escapes_text() -> None:
    from policy.api import html_table

    root = html_root(html_table(["a<b"], [["x & <y>"]], caption='"c"'))
    assert root.find("table/tbody/tr/td").text == "x & <y>"  # type: ignore[union-attr]


# -- games made in code ---------------------------------------------------------------------


def test_a_game_from_a_dict_is_the_game_from_its_toml() -> None:
    from_file = loads_game(ENTRY, "entry.toml")
    from_code = policy.from_dict(tomllib.loads(ENTRY))  # floats, as tomllib gives them
    assert same_game(from_file, from_code)
    a = library_solve(from_file, resolve(from_file))
    b = policy.solve(from_code)
    assert [e.probabilities for e in a.equilibria] == [e.probabilities for e in b.equilibria]
    assert b.parameters == {"fight_cost": Fraction(1, 2)}


def test_a_dict_is_checked_as_a_file_is() -> None:
    data = tomllib.loads(ENTRY)
    del data["nodes"]["share"]["payoffs"]["Incumbent"]
    with pytest.raises(GameFileError) as raised:
        policy.from_dict(data, "mine")
    assert str(raised.value).startswith("mine: nodes.share")
    with pytest.raises(GameFileError) as from_file:
        loads_game(ENTRY.replace('payoffs = { Entrant = 1, Incumbent = 1 }', 'payoffs = { Entrant = 1 }'), "mine")
    assert raised.value.message == from_file.value.message


def test_the_builder_makes_the_same_game() -> None:
    b = policy.GameBuilder("Entry", ["Entrant", "Incumbent"])
    b.parameter("fight_cost", description="what fighting costs the incumbent", default=0.5, range=(0, 3))
    b.decision("start", "Entrant", {"enter": "entered", "stay_out": "out"})
    b.decision("entered", "Incumbent", {"fight": "war", "accommodate": "share"})
    b.terminal("out", {"Entrant": 0, "Incumbent": 2})
    b.terminal("war", {"Entrant": -1, "Incumbent": "-fight_cost"}, outcome="price war")
    b.terminal("share", {"Entrant": 1, "Incumbent": 1})
    game = b.build()
    assert same_game(game, loads_game(ENTRY, "entry.toml"))
    # Selten's answer: entry, and the incumbent accommodates (1 > -fight_cost).
    eq = policy.solve(game).equilibria[0]
    assert eq.behavior["start"] == {"enter": 1, "stay_out": 0}
    assert eq.behavior["entered"] == {"fight": 0, "accommodate": 1}
    with pytest.raises(ValueError, match="already defined"):
        b.terminal("out", {"Entrant": 0, "Incumbent": 0})


def test_builder_with_chance_and_an_information_set() -> None:
    b = policy.GameBuilder("Guess", ["Guesser"])
    b.chance("coin", {"heads": "h", "tails": "t"}, {"heads": "1/3", "tails": "2/3"})
    b.decision("h", "Guesser", {"say_heads": "hh", "say_tails": "ht"}, infoset="blind")
    b.decision("t", "Guesser", {"say_heads": "th", "say_tails": "tt"}, infoset="blind")
    for name, pay in (("hh", 1), ("ht", 0), ("th", 0), ("tt", 1)):
        b.terminal(name, {"Guesser": pay})
    eq = policy.solve(b.build(), method="enumpure").equilibria[0]
    # Not seeing the coin, the guesser says the likelier side, tails, and is right 2/3 of the time.
    assert eq.behavior["blind"] == {"say_heads": 0, "say_tails": 1}
    assert eq.payoffs == {"Guesser": Fraction(2, 3)}


def _profiles_ours(game: Any) -> set[tuple[float, ...]]:
    found = policy.solve(game, method="enummixed")
    rows = game.infosets["root"].actions
    columns = game.infosets["Column"].actions
    return {
        tuple(round(float(e.behavior["root"][a]), DECIMALS) for a in rows)
        + tuple(round(float(e.behavior["Column"][c]), DECIMALS) for c in columns)
        for e in found.equilibria
    }


def _profiles_nashpy(a: Any, b: Any) -> set[tuple[float, ...]]:
    return {
        tuple(round(float(x), DECIMALS) for x in np.concatenate([row, column]))
        for row, column in nashpy.Game(np.array(a, dtype=float), np.array(b, dtype=float)).vertex_enumeration()
    }


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Battle of the sexes: two pure equilibria and one mixed, (2/3, 1/3) against (1/3, 2/3).
        ([[2, 0], [0, 1]], [[1, 0], [0, 2]]),
        # Prisoner's dilemma: defection alone.
        ([[3, 0], [5, 1]], [[3, 5], [0, 1]]),
        # A 3x3 game from nashpy's documentation (Knight and Campbell, "Game Theory with Python").
        ([[3, 3, 0], [4, 1, 1], [2, 5, 2]], [[3, 1, 1], [3, 1, 4], [0, 2, 3]]),
        # Fractions and floats as entries.
        ([[Fraction(1, 2), 0.25], [0, 1]], [[0.75, 0], [Fraction(1, 3), 1]]),
    ],
    ids=["battle-of-the-sexes", "prisoners-dilemma", "three-by-three", "fractions"],
)
def test_bimatrix_agrees_with_nashpy(a: Any, b: Any) -> None:
    game = policy.bimatrix(a, b)
    assert _profiles_ours(game) == _profiles_nashpy(
        [[float(x) for x in row] for row in a], [[float(x) for x in row] for row in b]
    )


def test_bimatrix_without_b_is_zero_sum_with_labels() -> None:
    # Matching pennies: each side mixes 1/2-1/2, value 0 (von Neumann's minimax).
    game = policy.bimatrix([[1, -1], [-1, 1]], rows=["H", "T"], columns=["H", "T"], players=("Even", "Odd"))
    assert game.is_constant_sum
    result = policy.solve(game)
    assert result.method == "lp"
    eq = result.equilibria[0]
    assert eq.behavior["root"] == {"H": Fraction(1, 2), "T": Fraction(1, 2)}
    assert eq.payoffs == {"Even": 0, "Odd": 0}


def test_bimatrix_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        policy.bimatrix([[1, 2]], [[1], [2]])
    with pytest.raises(ValueError, match="labels"):
        policy.bimatrix([[1, 2]], [[1, 2]], rows=["a", "b"])


def test_monte_carlo_sweep_matches_the_command() -> None:
    ours = policy.sweep(DIPLOMACY, leader="stalin", samples=50, seed=3)
    assert json.loads(json.dumps(ours.data())) == cli_json("sweep", str(DIPLOMACY), "-l", "stalin",
                                                           "--samples", "50", "--seed", "3")


def test_a_solution_is_drawn_at_its_own_values() -> None:
    solution = policy.solve(DIPLOMACY, leader="stalin")
    assert policy.draw(solution, fmt="dot") == policy.draw(DIPLOMACY, leader="stalin", fmt="dot")
    with pytest.raises(ValueError, match="its own values"):
        policy.draw(solution, leader="tukhachevsky")


def test_a_value_outside_its_range_is_used_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="outside its declared range"):
        solution = policy.solve(DIPLOMACY, p_west_accepts=1)
    assert solution.parameters["p_west_accepts"] == 1


@settings(max_examples=40, deadline=None)
@given(games_with_values(max_nodes=30, symbolic=True))
def test_a_game_written_as_toml_and_read_back_as_a_dict_is_the_same_game(drawn: tuple[Any, Any]) -> None:
    game, _ = drawn
    text = dumps_game(game)
    assert same_game(policy.from_dict(tomllib.loads(text), claims=()), loads_game(text, known_claims=()))


def test_solution_data_is_the_commands_json_with_its_count_and_explain_reads_as_the_command() -> None:
    """A new user's review: Solution.data() lacked the command's `count`, str(explain(...))
    was a dataclass repr, and an API call's error named the CLI option --set."""
    game = "games/diplomacy_1939.toml"
    runner = CliRunner()
    solved = runner.invoke(main, ["solve", game, "-l", "stalin", "--format", "json"])
    assert solved.exit_code == 0, solved.output
    data = policy.solve(game, leader="stalin").data()
    assert json.loads(json.dumps(data)) == json.loads(solved.stdout)
    assert "count" not in policy.solve(game, leader="stalin").data(count=False)
    explained = runner.invoke(main, ["--no-color", "explain", game, "--leaders", "stalin"])
    assert explained.exit_code == 0, explained.output
    e = policy.explain(game, "stalin")
    assert str(e).split() == explained.stdout.split()
    shown = runner.invoke(main, ["explain", game, "--leaders", "stalin", "--format", "json"])
    assert json.loads(json.dumps(e.data())) == json.loads(shown.stdout)
    with pytest.raises(LeaderError) as err:
        policy.solve(game, leader="stalin", readines="3/5")
    assert "--set" not in str(err.value)
    assert "unknown parameter readines given a value; did you mean readiness" in str(err.value)


def test_draw_keeps_path_for_its_flag_and_refuses_a_value_or_a_depth_beside_it() -> None:
    """A game parameter named path goes in ``values``; ``path=0.2`` is refused, not taken as the flag."""
    with pytest.raises(TypeError, match="values="):
        policy.draw(DIPLOMACY, fmt="dot", path=0.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="depth"):
        policy.draw(DIPLOMACY, "stalin", fmt="dot", path=True, depth=2)
