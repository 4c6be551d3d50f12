"""Where the bundled scenario lives: games, leader profiles and the claims catalogue."""

from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

#: Where an installed wheel keeps the bundled ``games/`` and ``seeds/``: the build
#: copies them into the package (see setup.py), since a wheel installs only packages.
PACKAGED = Path(__file__).resolve().parent / "_data"


def data_root() -> Path:
    """The folder holding the bundled ``games/`` and ``seeds/``.

    Inside the package (``policy/_data``) in an installed wheel; the project
    folder in a source checkout or an editable install, where the package has
    no copy.
    """
    return PACKAGED if (PACKAGED / "games").is_dir() else PROJECT


def games_dir() -> Path:
    """The bundled games: ``$POLICY_GAMES``, else the bundled ``games/`` (see :func:`data_root`)."""
    env = os.environ.get("POLICY_GAMES")
    return Path(env) if env else data_root() / "games"


def bundled_games() -> list[Path]:
    """Every bundled stage game file, in story order: by the year that ends its name, then by name.

    ``coup_1937.toml`` comes before ``diplomacy_1939.toml``; names without a
    year come last. Campaign files (which chain the stage games) are not
    among them: see :func:`bundled_campaigns`.
    """
    return sorted((p for p in games_dir().glob("*.toml") if not _is_campaign(p)), key=_story_order)


def bundled_campaigns(branches: bool = False) -> list[Path]:
    """The bundled campaign files (a ``[campaign]`` table), in story order.

    Branch campaigns (a ``branch_of`` key: the same chain entered at a later
    stage in a given state) only with ``branches``: ``policy compare`` and
    ``policy report`` with no file take the full campaigns, whose numbers the
    branches repeat from a later start; a branch is compared by naming it.
    """
    found = (p for p in games_dir().glob("*.toml") if _is_campaign(p) and (branches or not _is_branch(p)))
    return sorted(found, key=_story_order)


def _is_branch(path: Path) -> bool:
    return re.search(r"(?m)^\s*branch_of\s*=", path.read_text(encoding="utf-8")) is not None


def _is_campaign(path: Path) -> bool:
    from policy.campaign import is_campaign  # here: policy.campaign imports this module's users

    return is_campaign(path)


def _story_order(path: Path) -> tuple[int, str]:
    match = re.search(r"_(\d{4})$", path.stem)
    return (int(match.group(1)) if match else 10**6, path.name)


def bundled_leaders() -> list[str]:
    """Keys of the bundled leader profiles (``stalin``, ...)."""
    return sorted(p.stem for p in (games_dir() / "leaders").glob("*.toml"))
