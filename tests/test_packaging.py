"""The install a user gets: a wheel that carries the bundled scenario and no top-level module.

The wheel is built from a copy of the tracked files (what a clean clone holds),
so the test also proves a clone builds. ``.ci/wheel`` goes further and runs the
installed command in a fresh environment outside the checkout.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from policy import bundled, claims
from policy.bundled import PROJECT


def _tracked(*folders: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", *folders], cwd=PROJECT, capture_output=True, check=True
    )
    return [name for name in out.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if shutil.which("git") is None or not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    clone = tmp_path_factory.mktemp("clone")
    for name in _tracked():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (PROJECT / name).is_file():
            shutil.copy2(PROJECT / name, target)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(clone)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = dist.glob("*.whl")
    return zipfile.ZipFile(built)


def test_wheel_carries_every_bundled_file(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = _tracked("games", "seeds")
    assert expected, "the checkout has no bundled games"
    missing = [name for name in expected if f"policy/_data/{name}" not in names]
    assert missing == []


def test_wheel_installs_no_top_level_module(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"policy"}
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(wheel.read(entry_points).decode())
    assert parser["console_scripts"]["policy"] == "policy.cli:main"


def test_packaged_copy_is_found_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed wheel reads ``policy/_data``; a checkout without it reads the project."""
    monkeypatch.delenv("POLICY_GAMES", raising=False)
    monkeypatch.delenv(claims.ENV_VAR, raising=False)
    monkeypatch.setattr(bundled, "PACKAGED", tmp_path / "_data")
    assert bundled.games_dir() == PROJECT / "games"
    assert claims.default_path() == PROJECT / "seeds" / "claims.toml"
    (tmp_path / "_data" / "games").mkdir(parents=True)
    assert bundled.games_dir() == tmp_path / "_data" / "games"
    assert claims.default_path() == tmp_path / "_data" / "seeds" / "claims.toml"
