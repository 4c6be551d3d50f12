"""Trees drawn without Graphviz (policy.render.layout).

The ``dot`` program is hidden by emptying PATH (``shutil.which`` then finds
nothing), so these tests run the fallback whether or not Graphviz is here.
They check the drawing's structure (one element per node and per edge, the
dashed information-set lines, the equilibrium marked as the DOT drawing marks
it), the layout's tidiness on random trees, and that ``dot`` stays the choice
when it is installed.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from policy.cli import main
from policy.loading import load
from policy.model import Game
from policy.render import layout as layout_module
from policy.render.layout import GAP, layout, tree_png, tree_svg
from policy.render.tree import PALETTE, UNCHOSEN_COLOUR, run_dot, tree_dot, tree_view
from policy.solvers import solve
from tests.conftest import games_with_values
from tests.games import table_game

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BAYES = Path(__file__).parent / "data" / "bayes.efg"
GAMES = Path(__file__).parent.parent / "games"


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which there is no ``dot`` (nor anything else)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def infoset_lines(root: ET.Element) -> list[ET.Element]:
    return [g for g in groups(root, "edge") if "infoset-" in (g.get("id") or "")]


def links_expected(game: Game) -> int:
    """Dashed lines joining an information set: one between each pair of consecutive members."""
    return sum(len(s.members) - 1 for s in game.infosets.values())


def pennies() -> Game:
    # Matching pennies made uneven (as in tests/test_render.py): one mixed equilibrium.
    return table_game(([[3, -1], [-1, 1]], [[-1, 2], [1, -1]]), "Uneven pennies", [["H", "T"], ["H", "T"]])


def test_render_to_svg_without_dot_has_every_node_edge_and_information_set(tmp_path: Path, no_dot: None) -> None:
    out = tmp_path / "tree.svg"
    result = CliRunner().invoke(main, ["render", str(BAYES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    game = load(BAYES)
    assert root.tag == f"{SVG}svg"
    nodes = groups(root, "node")
    assert len(nodes) == game.num_nodes
    assert len({g.get("id") for g in nodes}) == game.num_nodes
    moves = [g for g in groups(root, "edge") if (g.get("id") or "").startswith("edge-")]
    assert len(moves) == game.num_nodes - 1
    dashed = infoset_lines(root)
    assert len(dashed) == links_expected(game) > 0
    for g in dashed:
        (path,) = g.iter(f"{SVG}path")
        assert path.get("stroke-dasharray")


def test_the_equilibrium_is_marked_as_the_dot_drawing_marks_it() -> None:
    game = pennies()
    view = tree_view(game, {}, solve(game, {}))
    root = ET.fromstring(tree_svg(view))
    edges = {g.get("id"): g for g in groups(root, "edge")}
    # Both actions of the root are taken with positive probability (2/5 and 3/5),
    # so both edges are on the path: bold, in the first player's colour, with the probability.
    for head, label in (("n0", "H 2/5"), ("n1", "T 3/5")):
        g = edges[f"edge-{head}"]
        (path,) = g.iter(f"{SVG}path")
        assert (path.get("stroke"), path.get("stroke-width")) == (PALETTE[0].lower(), "3")
        assert label in "".join(g.itertext())


def test_unchosen_actions_are_grey_and_thin() -> None:
    game = load(GAMES / "coup_1937.toml")
    from policy.leaders import load_leader, resolve

    values = resolve(game, load_leader("stalin"))
    result = solve(game, values)
    view = tree_view(game, values, result)
    root = ET.fromstring(tree_svg(view))
    for e in view.edges:
        g = next(x for x in groups(root, "edge") if x.get("id") == f"edge-{view.node(e.head).name}")
        (path,) = g.iter(f"{SVG}path")
        if e.on_path:
            assert path.get("stroke-width") == "3"
        elif e.player >= 0 and not e.chosen:
            # stroke-width 1 is SVG's default, left out as dot leaves it out
            assert (path.get("stroke"), path.get("stroke-width")) == (UNCHOSEN_COLOUR.lower(), None)


def test_png_without_dot_is_a_png(tmp_path: Path, no_dot: None) -> None:
    out = tmp_path / "tree.png"
    result = CliRunner().invoke(main, ["render", str(BAYES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_png_of_a_collapsed_tree() -> None:
    game = load(BAYES)
    view = tree_view(game, {}, solve(game, {}), depth=2)
    assert tree_png(view).startswith(PNG_SIGNATURE)
    root = ET.fromstring(tree_svg(view))
    assert len(groups(root, "node")) == len(view.nodes)
    assert any((g.get("id") or "").startswith("collapsed-") for g in groups(root, "node"))


def test_report_without_dot_has_the_trees(tmp_path: Path, no_dot: None) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(BAYES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    figures = [f for f in root.iter("figure") if f.get("class") == "tree"]
    game = load(BAYES)
    assert len(figures) == 2  # one per default leader
    for figure in figures:
        (svg,) = figure.iter(f"{SVG}svg")
        assert len(groups(svg, "node")) == game.num_nodes
        assert len(infoset_lines(svg)) == links_expected(game)


def test_markdown_report_without_dot_writes_svg_files(tmp_path: Path, no_dot: None) -> None:
    out = tmp_path / "notes.md"
    result = CliRunner().invoke(main, ["report", str(BAYES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    pictures = sorted(tmp_path.glob("notes_*.svg"))
    assert pictures
    for p in pictures:
        assert ET.parse(p).getroot().tag == f"{SVG}svg"


def test_dot_stays_the_choice_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")

    def refuse(*args: object) -> bytes:
        raise AssertionError("the Python layout was used although dot is installed")

    monkeypatch.setattr(layout_module, "draw", refuse)
    game = pennies()
    svg = run_dot(tree_dot(tree_view(game, {}, solve(game, {}))), "svg").decode("utf-8")
    assert "generated by graphviz" in svg.lower()


def test_dot_text_not_from_tree_dot_still_needs_dot(no_dot: None) -> None:
    from policy.render.tree import MISSING_DOT, RenderError

    with pytest.raises(RenderError, match="Graphviz"):
        run_dot("digraph { a -> b }", "svg")
    assert "graphviz" in MISSING_DOT.lower()


@settings(max_examples=40, deadline=None)
@given(games_with_values(max_nodes=40))
def test_layout_is_tidy(drawn: tuple[Game, dict[str, Fraction]]) -> None:
    """Reingold-Tilford's conditions: rows by depth, no overlaps, children in order, parents centred."""
    game, values = drawn
    view = tree_view(game, values, None)
    placed = layout(view)
    boxes = placed.boxes
    assert set(boxes) == {n.key for n in view.nodes}
    children: dict[str, list[str]] = {}
    for e in view.edges:
        children.setdefault(e.tail, []).append(e.head)
        assert boxes[e.head].y > boxes[e.tail].y
    rows: dict[float, list[str]] = {}
    for key, box in boxes.items():
        rows.setdefault(round(box.y, 6), []).append(key)
        assert 0 <= box.x - box.width / 2 and box.x + box.width / 2 <= placed.width + 1e-6
    for keys in rows.values():
        ordered = sorted(keys, key=lambda k: boxes[k].x)
        for a, b in zip(ordered, ordered[1:], strict=False):
            assert boxes[a].x + boxes[a].width / 2 + GAP <= boxes[b].x - boxes[b].width / 2 + 1e-6
    for tail, kids in children.items():
        xs = [boxes[k].x for k in kids]
        assert xs == sorted(xs)
        assert boxes[tail].x == pytest.approx((xs[0] + xs[-1]) / 2)


def test_awkward_labels_stay_valid_svg_and_keep_their_text() -> None:
    from policy.gamefile import loads_game
    from tests.test_render import AWKWARD

    game = loads_game(AWKWARD, "awkward.toml", known_claims=())
    view = tree_view(game, {}, solve(game, {}))
    root = ET.fromstring(tree_svg(view))
    words = "".join(root.itertext())
    for text in ('say "no" \\ 1', "<war> & peace", "Ploiești oil, $5", "A & B"):
        assert text in words, text
