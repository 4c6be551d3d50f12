"""The fit spec inside the game file: a [fit] table that only ``policy fit`` reads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from policy.cli import main
from policy.errors import USER_ERRORS
from policy.fit import FitError, fit, load_spec, read_csv
from policy.gamefile import load_game
from tests.test_fit import FIT, _cases

SPEC_TABLE = """
[fit]
[fit.actions.crisis]
column = "esc"
values = { "0" = "status_quo", "1" = "escalate" }
[fit.actions.response]
column = "war"
values = { "0" = "capitulate", "1" = "war" }
[fit.payoffs.sq]
A = ["x"]
[fit.payoffs.war]
A = []
B = ["x"]
"""


def _files(tmp_path: Path, table: str = SPEC_TABLE) -> tuple[Path, Path, Path]:
    game = tmp_path / "crisis.toml"
    game.write_text((FIT / "egame12.toml").read_text() + table)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC_TABLE)
    data = tmp_path / "cases.csv"
    data.write_text("x,esc,war\n" + "\n".join(_cases(3, 120)) + "\n")
    return game, spec, data


def test_the_game_files_fit_table_is_the_same_spec_as_a_separate_file(tmp_path: Path) -> None:
    game, spec, data = _files(tmp_path)
    inside, outside = load_spec(game), load_spec(spec)
    assert dataclasses.replace(inside, file="") == dataclasses.replace(outside, file="")
    one = fit(load_game(game), inside, read_csv(data))
    two = fit(load_game(game), outside, read_csv(data))
    assert np.array_equal(one.estimates, two.estimates) and one.loglik == two.loglik


def test_the_bundled_currency_game_carries_the_leblang_spec() -> None:
    inside, outside = load_spec(FIT / "currency_attack.toml"), load_spec(FIT / "leblang2003.toml")
    assert dataclasses.replace(inside, file="") == dataclasses.replace(outside, file="")


def test_command_line_reads_the_fit_table_without_spec(tmp_path: Path) -> None:
    game, spec, data = _files(tmp_path)
    runner = CliRunner()
    inside = runner.invoke(main, ["fit", str(game), str(data), "--format", "json"])
    outside = runner.invoke(main, ["fit", str(FIT / "egame12.toml"), str(data), "--spec", str(spec),
                                   "--format", "json"])
    assert inside.exit_code == 0, inside.output
    assert inside.stdout.replace(str(game), "") == outside.stdout.replace(str(FIT / "egame12.toml"), "")


def test_other_commands_ignore_the_fit_table(tmp_path: Path) -> None:
    game, _, _ = _files(tmp_path)
    done = CliRunner().invoke(main, ["solve", str(game)])
    assert done.exit_code == 0, done.output


def test_a_game_file_without_fit_table_and_no_spec(tmp_path: Path) -> None:
    _, _, data = _files(tmp_path)
    done = CliRunner().invoke(main, ["fit", str(FIT / "egame12.toml"), str(data)])
    assert done.exit_code == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {FIT / 'egame12.toml'}: the game file has no [fit] table saying what to estimate "
        "(add one, or give a separate spec with --spec)"]


def test_a_bad_key_in_the_game_files_fit_table_gives_its_line(tmp_path: Path) -> None:
    game, _, data = _files(tmp_path, SPEC_TABLE.replace("[fit]\n", '[fit]\nlink = "cauchit"\n'))
    line = game.read_text().splitlines().index('link = "cauchit"') + 1
    done = CliRunner().invoke(main, ["fit", str(game), str(data)])
    assert done.exit_code == 1
    assert done.stderr.strip() == f"Error: {game}:{line}: fit.link: 'cauchit' is not one of probit, logit"


def test_fit_errors_are_user_errors() -> None:
    # so the top-level handler shows them as one line with exit code 1
    assert FitError in USER_ERRORS
