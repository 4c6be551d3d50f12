"""Where the bundled scenario lives: games, leader profiles and the claims catalogue."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def games_dir() -> Path:
    """The bundled games: ``$POLICY_GAMES`` or the project's ``games/``."""
    env = os.environ.get("POLICY_GAMES")
    return Path(env) if env else PROJECT / "games"


def bundled_games() -> list[Path]:
    """Every bundled game file, sorted by name."""
    return sorted(games_dir().glob("*.toml"))


def bundled_leaders() -> list[str]:
    """Keys of the bundled leader profiles (``stalin``, ...)."""
    return sorted(p.stem for p in (games_dir() / "leaders").glob("*.toml"))
