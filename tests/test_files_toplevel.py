"""files.may_have_top_level: the quick test that spares a big game a full TOML parse.

It may say True of a file without the key (the caller then parses), never
False of a file with it: every spelling TOML allows of a top-level key is tried.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.analysis.record import is_record
from policy.files import may_have_top_level
from policy.leaders import profile_kind

NAMES = ("leader", "shared", "record", "moves")
HERE = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text",
    [
        "[leader]\nname = 'x'\n",
        "  [ leader ]\n",
        '["leader"]\n',
        "['leader']\n",
        "[leader.values]\n",
        "[ leader . values ]\n",
        "[[moves]]\naction = 'a'\n",
        "[[ moves ]]\n",
        "leader = { name = 'x' }\n",
        "leader.name = 'x'\n",
        "leader . name = 'x'\n",
        '"record" = {}\n',
        "'shared' = {}\n",
        'title = "t"\n"\\u006ceader" = {}\n',
    ],
)
def test_every_spelling_of_a_top_level_key_is_a_candidate(text: str) -> None:
    data = tomllib.loads(text)
    assert any(n in data for n in NAMES)
    assert may_have_top_level(text, NAMES)


def test_games_are_told_apart_without_parsing() -> None:
    for game in sorted((HERE / "games").glob("*.toml")):
        text = game.read_text()
        assert not may_have_top_level(text, ("record", "moves")), game
        if "campaign" not in tomllib.loads(text):  # a campaign's [campaign] table has a key named leader
            assert not may_have_top_level(text, ("leader", "shared")), game
        assert profile_kind(game) is None and not is_record(game)


def test_a_false_candidate_is_parsed_and_refused(tmp_path: Path) -> None:
    # A line inside a multi-line string looks like a header: the file is parsed, and is no profile.
    f = tmp_path / "g.toml"
    f.write_text('title = "t"\nnote = """\n[leader]\n"""\n')
    assert may_have_top_level(f.read_text(), ("leader",))
    assert profile_kind(f) is None


KEY = st.sampled_from([*NAMES, "title", "nodes", "players", "leaderboard", "moves_x", "x"])


def _spell(key: str, style: int) -> str:
    return {0: key, 1: f'"{key}"', 2: f"'{key}'"}[style]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(KEY, st.integers(0, 2), st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=6,
             unique_by=lambda t: t[0]),
)
def test_never_false_of_a_file_with_the_key(entries: list[tuple[str, int, int, int]]) -> None:
    plain: list[str] = []
    tables: list[str] = []
    for key, style, form, pad in entries:
        k, sp = _spell(key, style), " " * pad
        if form == 0:
            plain.append(f"{sp}{k}{sp}= 1")
        elif form == 1:
            plain.append(f"{k}.a{sp}={sp}1")
        elif form == 2:
            tables.append(f"[{sp}{k}{sp}]\na = 1")
        elif form == 3:
            tables.append(f"[{k}.{sp}b]\na = 1")
        else:
            tables.append(f"[[{sp}{k}{sp}]]\na = 1")
    text = "\n".join(plain + tables) + "\n"
    data = tomllib.loads(text)
    for names in (("leader", "shared"), ("record", "moves")):
        if any(n in data for n in names):
            assert may_have_top_level(text, names), text
