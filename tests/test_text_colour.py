"""Colour in the terminal: players in their colours and choices in bold, only when wanted.

Plain output must stay exactly what it was (tests and the README rely on it),
so every coloured text is checked to be the plain text once the escape codes
are removed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy.analysis.compare import compare
from policy.bundled import PROJECT
from policy.cli import main
from policy.leaders import load_leader, resolve
from policy.loading import load
from policy.render.text import compare_table, solve_table
from policy.solvers import solve

DIPLOMACY = PROJECT / "games" / "diplomacy_1939.toml"
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
#: What rich writes for bold.
BOLD = re.compile(r"\x1b\[(?:[0-9;]*;)?1(?:;[0-9;]*)?m")


def strip(text: str) -> str:
    return ESCAPE.sub("", text)


@pytest.fixture(scope="module")
def stalin():  # type: ignore[no-untyped-def]
    game = load(DIPLOMACY)
    values = resolve(game, load_leader("stalin"))
    return solve(game, values)


def test_solve_table_in_colour_is_the_plain_table_with_escape_codes(stalin) -> None:  # type: ignore[no-untyped-def]
    plain = solve_table(stalin, width=80)
    coloured = solve_table(stalin, width=80, colour=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert strip(coloured) == plain


def test_the_choices_on_the_path_are_bold_and_the_others_are_not(stalin) -> None:  # type: ignore[no-untyped-def]
    lines = solve_table(stalin, width=80, colour=True).splitlines()
    start = next(line for line in lines if strip(line).startswith(" start "))
    turtle = next(line for line in lines if strip(line).startswith(" turtle_reply "))
    assert BOLD.search(start.split("USSR")[1])  # deal_germany, on the path
    assert not BOLD.search(turtle.split("Germany")[1])  # attack, off the path


def test_players_have_different_colours(stalin) -> None:  # type: ignore[no-untyped-def]
    lines = solve_table(stalin, width=80, colour=True).splitlines()
    ussr = next(line for line in lines if strip(line).startswith(" start "))
    germany = next(line for line in lines if strip(line).startswith(" pact_reply "))
    code = re.compile(r"\x1b\[([0-9;]*)m(?:USSR|Germany)")
    assert code.search(ussr) and code.search(germany)
    assert code.search(ussr).group(1) != code.search(germany).group(1)  # type: ignore[union-attr]


def test_compare_table_in_colour_keeps_its_80_column_layout() -> None:
    game = load(DIPLOMACY)
    found = compare([(DIPLOMACY, game)], [load_leader("stalin"), load_leader("tukhachevsky")])
    plain = compare_table(found, width=80)
    coloured = compare_table(found, width=80, colour=True)
    assert "\x1b[" in coloured
    assert strip(coloured) == plain
    assert max(len(line) for line in strip(coloured).splitlines()) <= 80


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    path = tmp_path / "entry.toml"
    path.write_text((PROJECT / "docs" / "game-format.md").read_text(encoding="utf-8").split("```toml\n")[1]
                    .split("```")[0], encoding="utf-8")
    return path


def invoke(*args: str, env: dict[str, str | None] | None = None) -> str:
    # color=True: CliRunner would otherwise strip escape codes itself, hiding what the command wrote.
    result = CliRunner().invoke(main, list(args), env=env, color=True)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_command_output_is_plain_when_not_a_terminal(entry: Path) -> None:
    out = invoke("solve", str(entry), env={"FORCE_COLOR": None, "NO_COLOR": None})
    assert "\x1b" not in out


def test_force_color_colours_and_no_color_or_the_flag_removes_it(entry: Path) -> None:
    plain = invoke("solve", str(entry), env={"FORCE_COLOR": None, "NO_COLOR": None})
    coloured = invoke("solve", str(entry), env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert "\x1b[" in coloured and strip(coloured) == plain
    assert invoke("--no-color", "solve", str(entry), env={"FORCE_COLOR": "1", "NO_COLOR": None}) == plain
    assert invoke("solve", str(entry), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}) == plain


def test_no_color_is_in_the_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "--no-color" in result.stdout
