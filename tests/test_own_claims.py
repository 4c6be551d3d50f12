"""A user's game cites its own sources: the catalogue beside it, --claims, or game.claims."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policy.cli import main

GAME = """\
[game]
title = "Cuba"
players = ["USA", "USSR"]
sources = ["allison-1971"]

[parameters.gain]
description = "What the USSR gains by deploying"
default = 1
sources = ["allison-1971"]

[nodes.root]
player = "USSR"
actions = { deploy = "d", hold = "h" }

[nodes.d]
payoffs = { USA = -1, USSR = "gain" }

[nodes.h]
payoffs = { USA = 0, USSR = 0 }
"""

CATALOGUE = """\
[claims.allison-1971]
kind = "external"
summary = "The ExComm weighed a blockade against an air strike."
source = "Allison, Essence of Decision (1971)"
status = "accepted"
bears_on = ["cuba.structure"]
"""

#: A user's own catalogue as the docs describe it: no bears_on (finding 8a of user30).
MINE = """\
[claims.allison-1971]
kind = "external"
summary = "The ExComm weighed a blockade against an air strike."
source = "Allison, Essence of Decision (1971)"
status = "accepted"

[claims.fursenko-1997]
kind = "external"
summary = "Soviet warheads were on the island by late October."
source = "Fursenko and Naftali, One Hell of a Gamble (1997)"
status = "accepted"
"""

PROFILE = """\
[leader]
name = "Kennedy"
sources = ["allison-1971"]

[values.gain]
value = 2
sources = ["fursenko-1997"]
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("POLICY_CLAIMS", raising=False)
    return CliRunner()


def test_unknown_claim_says_which_catalogue_and_how_to_give_one(runner: CliRunner, tmp_path: Path) -> None:
    game = tmp_path / "cuba.toml"
    game.write_text(GAME)
    result = runner.invoke(main, ["validate", str(game)])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"Error: {game}:4: game.sources: unknown claim 'allison-1971': not in ")
    assert "claims.toml beside it" in line and "--claims FILE" in line
    assert "\n" not in line


def test_catalogue_beside_the_game_is_used(runner: CliRunner, tmp_path: Path) -> None:
    game = tmp_path / "cuba.toml"
    game.write_text(GAME)
    (tmp_path / "claims.toml").write_text(CATALOGUE)
    result = runner.invoke(main, ["validate", str(game)])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("where", ["before", "after", "equals"])
def test_claims_option_before_or_after_the_command(runner: CliRunner, tmp_path: Path, where: str) -> None:
    game = tmp_path / "cuba.toml"
    game.write_text(GAME)
    mine = tmp_path / "mine.toml"
    mine.write_text(CATALOGUE)
    args = {
        "before": ["--claims", str(mine), "validate", str(game)],
        "after": ["validate", str(game), "--claims", str(mine)],
        "equals": ["validate", f"--claims={mine}", str(game)],
    }[where]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.stderr
    import os

    assert "POLICY_CLAIMS" not in os.environ  # restored after the command


def test_claims_option_naming_a_broken_catalogue_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    game = tmp_path / "cuba.toml"
    game.write_text(GAME)
    mine = tmp_path / "mine.toml"
    mine.write_text(CATALOGUE.replace('kind = "external"\n', ""))
    result = runner.invoke(main, ["--claims", str(mine), "validate", str(game)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {mine}:1: claims.allison-1971: missing required key 'kind'"


# -- a user's own folder: game, claims.toml and leaders/ (findings 4, 5, 8a, 8d of user30) --------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """cuba.toml and its claims.toml (without bears_on), and leaders/kennedy.toml citing both claims."""
    (tmp_path / "cuba.toml").write_text(GAME)
    (tmp_path / "claims.toml").write_text(MINE)
    (tmp_path / "leaders").mkdir()
    (tmp_path / "leaders" / "kennedy.toml").write_text(PROFILE)
    return tmp_path


def misspell(folder: Path, old: str, new: str) -> Path:
    bad = folder / "leaders" / "bad.toml"
    text = PROFILE.replace(old, new, 1)
    assert text != PROFILE
    bad.write_text(text)
    return bad


@pytest.mark.parametrize(
    ("old", "new", "line", "key"),
    [
        pytest.param('sources = ["fursenko-1997"]', 'sources = ["fursenko-1979"]', 7, "values.gain.sources", id="value"),
        pytest.param('sources = ["allison-1971"]', 'sources = ["alison-1971"]', 3, "leader.sources", id="leader"),
    ],
)
@pytest.mark.parametrize("how", ["alone", "with-game", "explain", "solve", "claims-option"])
def test_a_misspelt_claim_in_a_profile_is_refused(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, line: int, key: str, how: str
) -> None:
    bad = misspell(folder, old, new)
    monkeypatch.chdir(folder)
    args = {
        "alone": ["validate", "leaders/bad.toml"],
        "with-game": ["validate", "cuba.toml", "--leader", "leaders/bad.toml"],
        "explain": ["explain", "cuba.toml", "-l", "leaders/bad.toml"],
        "solve": ["solve", "cuba.toml", "-l", "leaders/bad.toml"],
        "claims-option": ["--claims", "claims.toml", "validate", "leaders/bad.toml"],
    }[how]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    cid = new.split('"')[1]
    assert message.startswith(f"Error: leaders/bad.toml:{line}: {key}: unknown claim {cid!r}: not in claims.toml; did you mean ")
    assert "\n" not in message
    assert bad.read_text().splitlines()[line - 1].startswith("sources")


def test_a_profile_finds_the_catalogue_beside_it_first(runner: CliRunner, folder: Path) -> None:
    (folder / "leaders" / "claims.toml").write_text(MINE.replace("fursenko-1997", "other-claim"))
    result = runner.invoke(main, ["validate", str(folder / "leaders" / "kennedy.toml")])
    assert result.exit_code == 1
    assert f"not in {folder / 'leaders' / 'claims.toml'}" in result.stderr


def test_a_profile_citing_the_catalogue_above_it_is_accepted(runner: CliRunner, folder: Path) -> None:
    result = runner.invoke(main, ["validate", str(folder / "cuba.toml"), "-l", str(folder / "leaders" / "kennedy.toml")])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(main, ["validate", str(folder / "leaders" / "kennedy.toml")])
    assert result.exit_code == 0, result.stderr
    assert "each sourced" in result.stdout


def test_a_bundled_profile_is_not_checked_against_a_users_catalogue(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's catalogue (--claims) lacks the bundled profiles' ids: they cite the bundled one."""
    from policy.leaders import load_leader

    monkeypatch.setenv("POLICY_CLAIMS", str(folder / "claims.toml"))
    assert load_leader("stalin").sources


@pytest.mark.parametrize("command", ["explain", "explain-json", "report"])
def test_every_command_reads_the_catalogue_beside_the_game(
    runner: CliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(folder)
    args = {
        "explain": ["explain", "cuba.toml", "-l", "leaders/kennedy.toml"],
        "explain-json": ["explain", "cuba.toml", "-l", "leaders/kennedy.toml", "--format", "json"],
        "report": ["report", "cuba.toml", "-l", "leaders/kennedy.toml", "-o", "out.md"],
    }[command]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.stderr
    text = (folder / "out.md").read_text() if command == "report" else result.stdout
    assert "not in the catalogue" not in text
    assert "The ExComm weighed a blockade" in text
    if command == "explain-json":
        import json

        assert json.loads(text)["catalogue"] == "claims.toml"


def test_claims_of_a_game_read_the_catalogue_beside_it(runner: CliRunner, folder: Path) -> None:
    import json

    result = runner.invoke(main, ["claims", "--game", str(folder / "cuba.toml"), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["claims"]] == ["allison-1971"]  # cited by the game; no bears_on
    assert data["catalogue"].endswith("claims.toml") and "seeds" not in data["catalogue"]
    text = runner.invoke(main, ["claims", "--game", str(folder / "cuba.toml")]).stdout
    assert "bears on" not in text  # no empty "bears on:" line for a claim without bears_on


def test_a_game_converted_into_another_folder_reads_there(runner: CliRunner, folder: Path) -> None:
    """The copy cannot reach the catalogue beside the original: its ids are kept as comments."""
    (folder / "out").mkdir()
    copy = folder / "out" / "copy.toml"
    result = runner.invoke(main, ["convert", str(folder / "cuba.toml"), str(copy)])
    assert result.exit_code == 0, result.stderr
    assert "kept as comments" in result.stderr
    text = copy.read_text()
    assert '# game.sources = ["allison-1971"]' in text
    assert '# parameters.gain.sources = ["allison-1971"]' in text
    assert str(folder / "claims.toml") in text
    assert runner.invoke(main, ["validate", str(copy)]).exit_code == 0
    # Put the catalogue beside it, and the ids may be written back.
    (folder / "out" / "claims.toml").write_text(MINE)
    again = runner.invoke(main, ["convert", str(folder / "cuba.toml"), str(copy)])
    assert again.exit_code == 0 and "comments" not in again.stderr
    assert 'sources = ["allison-1971"]' in copy.read_text().splitlines()


def test_a_game_converted_beside_itself_keeps_its_sources(runner: CliRunner, folder: Path) -> None:
    copy = folder / "copy.toml"
    result = runner.invoke(main, ["convert", str(folder / "cuba.toml"), str(copy)])
    assert result.exit_code == 0 and "comments" not in result.stderr
    assert 'sources = ["allison-1971"]' in copy.read_text().splitlines()
    assert runner.invoke(main, ["validate", str(copy)]).exit_code == 0


def test_a_converted_game_names_the_catalogue_below_its_folder(runner: CliRunner, tmp_path: Path) -> None:
    """A game that names its catalogue (game.claims) keeps naming it when the copy can reach it."""
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "mine.toml").write_text(MINE)
    game = tmp_path / "src" / "cuba.toml"
    game.write_text(GAME.replace('sources = ["allison-1971"]\n', 'sources = ["allison-1971"]\nclaims = "sub/mine.toml"\n', 1))
    above, beside = tmp_path / "copy.toml", tmp_path / "src" / "copy.toml"
    for target in (above, beside):
        result = runner.invoke(main, ["convert", str(game), str(target)])
        assert result.exit_code == 0 and "comments" not in result.stderr, result.stderr
        assert runner.invoke(main, ["validate", str(target)]).exit_code == 0
    assert 'claims = "src/sub/mine.toml"' in above.read_text().splitlines()
    assert 'claims = "sub/mine.toml"' in beside.read_text().splitlines()
