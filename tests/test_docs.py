"""The documentation site (mkdocs.yml, docs/): it builds strictly and says what the code does.

The site is built once into a temporary folder (skipped when the docs extra
is not installed). Checked: every command and option is in the generated
command reference, every page is in the navigation, the README's links to
the site resolve, every solving method has its section, and the
tutorial's game, profiles and Python give the answers the tutorial prints.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

import click
import pytest

import policy
from policy.cli import main
from policy.gambit import same_game
from policy.gamefile import loads_game
from policy.solvers import METHODS

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.md"


def text_of(page: str) -> str:
    """The words of an HTML page, tags dropped and spaces collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_click")
    pytest.importorskip("mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_every_command_and_option_is_in_the_reference(site: Path) -> None:
    page = (site / "commands" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', page))
    words = text_of(page)
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert f"policy-{name}" in ids, name
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for flag in param.opts:
                    assert flag in words, f"{name} {flag}"
    assert "Sentinel" not in page


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = set(re.findall(r"^\s+- [^:]+: (\S+\.md)$", config, re.M))
    assert nav == {p.name for p in DOCS.glob("*.md")}
    assert "game-format.md" in nav


def test_the_readmes_links_to_the_site_resolve(site: Path) -> None:
    """The README is short and points into docs/: each page it names is built."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(docs/([a-z-]+)\.md(?:#[^)]*)?\)", readme)
    assert {"index", "guide", "scenario", "game-format"} <= set(targets)
    for name in targets:
        built = site / "index.html" if name == "index" else site / name / "index.html"
        assert built.is_file(), f"README links docs/{name}.md, which the site does not build"
    page = text_of((site / "scenario" / "index.html").read_text(encoding="utf-8"))
    assert "How probable is the record?" in page


def test_every_method_has_its_section_and_a_row(site: Path) -> None:
    source = (DOCS / "methods.md").read_text(encoding="utf-8")
    page = (site / "methods" / "index.html").read_text(encoding="utf-8")
    for name in METHODS:
        assert f"## `{name}`" in source, f"docs/methods.md has no section for {name}"
        assert f'href="#{name}"' in page


def test_the_api_page_documents_every_exported_function(site: Path) -> None:
    ids = set(re.findall(r'id="([^"]+)"', (site / "api" / "index.html").read_text(encoding="utf-8")))
    for name in policy.__all__:
        if name in ("Game", "SolveResult", "__version__"):
            continue
        assert f"policy.api.{name}" in ids, name


# -- the tutorial says what the tool does ----------------------------------------------------


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.S)


def test_the_tutorials_game_gives_the_tutorials_answers() -> None:
    game = loads_game(blocks("toml")[0], "crisis.toml")
    quiet = policy.solve(game).equilibria[0]
    assert quiet.behavior["demand"]["stay_quiet"] == 1
    bold = policy.solve(game, p_win="7/10", war_cost="1/10").equilibria[0]
    assert bold.outcomes == {"status_quo": 0, "conceded": 0, "humiliation": 0,
                             "won": Fraction(7, 10), "lost": Fraction(3, 10)}
    regions = policy.regions(game, "p_win")
    points = [b.text for b in regions.boundaries]
    assert [p.split(":")[0] for p in points] == ["p_win = 2/5", "p_win = 13/20", "p_win = 17/20"]
    assert all(p in TUTORIAL.read_text(encoding="utf-8") for p in points)


def test_the_tutorials_python_builds_the_same_game(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml_blocks = blocks("toml")
    for name, text in zip(("hawk.toml", "dove.toml"), toml_blocks[1:3], strict=True):
        assert tomllib.loads(text)["leader"]
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    names: dict[str, object] = {}
    for code in blocks("python"):
        exec(compile(code, str(TUTORIAL), "exec"), names)  # noqa: S102 - our own documentation
    assert same_game(names["game"], loads_game(toml_blocks[0], "crisis.toml"))  # type: ignore[arg-type]
    comparison = policy.compare(names["game"], leaders=["hawk.toml", "dove.toml"])  # type: ignore[arg-type]
    first = [r.equilibria[0].behavior["demand"] for r in comparison[0].results]
    assert [b["demand"] for b in first] == [1, 0]  # the hawk demands, the dove stays quiet
