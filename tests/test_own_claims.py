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

[nodes.root]
player = "USSR"
actions = { deploy = "d", hold = "h" }

[nodes.d]
payoffs = { USA = -1, USSR = 1 }

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
    assert result.stderr.strip() == f"Error: {game}: {mine}: claims.allison-1971: missing required key 'kind'"
