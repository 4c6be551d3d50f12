"""The bundled scenario's results, pinned: any change to them must be deliberate.

`policy compare --format json` on the bundled games and leaders must equal
tests/golden/compare.json. When a change to a game, a leader profile or a
solver changes the results on purpose, regenerate the file with

    POLICY_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and add a line to tests/golden/NOTES.md saying why, with the first 12
characters of the new file's SHA-256 (the test prints it): the test fails until
the note is there.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

GOLDEN = Path(__file__).parent / "golden" / "compare.json"
NOTES = GOLDEN.parent / "NOTES.md"


@pytest.fixture(scope="module")
def output() -> str:
    result = CliRunner().invoke(main, ["--no-color", "compare", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def test_compare_json_is_the_golden_file(output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("POLICY_UPDATE_GOLDEN"):
        GOLDEN.write_text(output, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    if output != expected:
        ours, theirs = json.loads(output), json.loads(expected)
        changed = [g["file"] for g, h in zip(ours["games"], theirs["games"], strict=False) if g != h]
        pytest.fail(
            f"policy compare --format json differs from {GOLDEN.name} in {changed or 'its games list'}; "
            "if the change is deliberate, see this module's docstring"
        )


def test_every_golden_file_has_a_note() -> None:
    key = digest(GOLDEN.read_text(encoding="utf-8"))
    assert key in NOTES.read_text(encoding="utf-8"), (
        f"add a line to {NOTES} saying why the golden results changed, with their key {key}"
    )


def test_the_golden_file_covers_every_bundled_game_and_both_leaders() -> None:
    from policy.bundled import bundled_games

    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert [g["file"] for g in data["games"]] == [f"games/{p.name}" for p in bundled_games()]
    assert [leader["key"] for leader in data["leaders"]] == ["stalin", "tukhachevsky"]
    for game in data["games"]:
        assert set(game["results"]) == {"stalin", "tukhachevsky"}
        for result in game["results"].values():
            assert all(eq["max_regret"] in (0, "0") for eq in result["equilibria"])
