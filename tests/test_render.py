"""Tree drawings: DOT read back with pydot, SVG and PNG from Graphviz, TikZ through pdflatex.

The equilibrium marks are checked on games whose equilibria are known by
hand: an asymmetric matching pennies (below), Selten's horse and the bundled
diplomacy game under Stalin (whose path the README states).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pydot
import pytest
from click.testing import CliRunner

from policy.cli import main
from policy.gamefile import loads_game
from policy.leaders import load_leader, resolve
from policy.loading import load
from policy.model import Game
from policy.render.tikz import tex_escape, tree_tikz
from policy.render.tree import dot_string, player_colour, tree_dot, tree_view
from policy.solvers import solve
from tests.conftest import SCENARIO_V1
from tests.games import selten_horse, table_game

# This module's hand-computed values were derived from the scenario as it stood
# before the review (tests/conftest.py SCENARIO_V1), so it keeps using it.


DIPLOMACY = SCENARIO_V1 / "diplomacy_1939.toml"
# pydot 4 calls pyparsing names that pyparsing 3.3 deprecates.
pytestmark = [pytest.mark.filterwarnings("ignore:'\\w+' deprecated"), pytest.mark.usefixtures("scenario_v1")]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed (apt-get install graphviz)"
)
needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="no pdflatex here: the TikZ output is compiled only where a LaTeX is installed",
)

# Matching pennies made asymmetric so that each action's probability differs.
# P1 (rows H, T) gets [[3, -1], [-1, 1]], P2 gets [[-1, 2], [1, -1]]. P2's q on H
# makes P1 indifferent: 3q - (1 - q) = -q + (1 - q), so q = 1/3. P1's p on H
# makes P2 indifferent: -p + (1 - p) = 2p - (1 - p), so p = 2/5. The only
# equilibrium is mixed: P1 plays H 2/5, T 3/5; P2 plays H 1/3, T 2/3.
PENNIES = ([[3, -1], [-1, 1]], [[-1, 2], [1, -1]])


def pennies() -> Game:
    return table_game(PENNIES, "Uneven pennies", [["H", "T"], ["H", "T"]])


def parse(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs, "pydot could not read the DOT text"
    return graphs[0]


def drawn_nodes(graph: pydot.Dot) -> dict[str, pydot.Node]:
    """Nodes declared with attributes at the top level (not the node/edge/graph defaults)."""
    return {n.get_name(): n for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")}


def edges(graph: pydot.Dot) -> dict[tuple[str, str], pydot.Edge]:
    return {(e.get_source(), e.get_destination()): e for e in graph.get_edges()}


def unquote(value: str | None) -> str:
    """An attribute's value without its quotes ("" when the attribute is absent)."""
    if value is None:
        return ""
    return value[1:-1] if value.startswith('"') else value


def subtree(game: Game, node: int) -> list[int]:
    """Every node below ``node`` (not itself), found by walking the children."""
    out: list[int] = []
    todo = list(game.children_of(node))
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(game.children_of(n))
    return out


def stalin_view(depth: int | None = None):  # type: ignore[no-untyped-def]
    game = load(DIPLOMACY)
    values = resolve(game, load_leader("stalin"))
    return game, tree_view(game, values, solve(game, values), depth=depth, leader="Joseph Stalin")


# -- DOT -----------------------------------------------------------------------------


def test_dot_has_every_node_with_its_name_and_every_edge() -> None:
    game, view = stalin_view()
    graph = parse(tree_dot(view))
    nodes = drawn_nodes(graph)
    assert set(nodes) == {f"n{i}" for i in range(game.num_nodes)}
    for i, name in enumerate(game.node_names):
        assert name in nodes[f"n{i}"].get("label"), name
    pairs = set(edges(graph))
    assert pairs == {(f"n{int(game.parent[i])}", f"n{i}") for i in range(1, game.num_nodes)}


def test_dot_terminals_show_outcome_labels_and_payoffs() -> None:
    game, view = stalin_view()
    nodes = drawn_nodes(parse(tree_dot(view)))
    label = nodes[f"n{game.node('pact_kept').index}"].get("label")
    # Stalin's payoffs at the pact kept are (1/5, 1/4) (README, policy compare).
    assert "Pact kept" in label and ">1/5<" in label and ">1/4<" in label
    assert "reached 1" in label


def test_dot_marks_the_equilibrium_path_of_a_perfect_information_game() -> None:
    game, view = stalin_view()
    by_pair = edges(parse(tree_dot(view)))

    def edge(child: str) -> pydot.Edge:
        i = game.node(child).index
        return by_pair[(f"n{int(game.parent[i])}", f"n{i}")]

    # Stalin's path: deal_germany, then Germany honours the pact.
    for child, label in (("pact_reply", "deal_germany 1"), ("pact_kept", "honour 1")):
        assert unquote(edge(child).get("label")) == label
        assert unquote(edge(child).get("style")) == "bold"
    # Off the path: not bold; an action never taken is grey, one taken off the path keeps its colour.
    assert unquote(edge("turtle_reply").get("label")) == "turtle 0"
    assert edge("turtle_reply").get("style") is None
    assert unquote(edge("turtle_reply").get("color")) == "#A0A0A0"
    attack = edge("turtle_war")
    assert unquote(attack.get("label")) == "attack 1" and attack.get("style") is None
    assert unquote(attack.get("color")) == player_colour(game.players.index("Germany"))
    # Chance edges carry their probabilities (p_west_accepts = 1/5 for Stalin).
    assert unquote(edge("alliance_reply").get("label")) == "accept 1/5"
    assert unquote(edge("rebuffed").get("label")) == "refuse 4/5"


def test_dot_shows_a_mixed_equilibrium_with_each_actions_probability() -> None:
    game = pennies()
    result = solve(game, {}, method="lcp", exact=True)
    graph = parse(tree_dot(tree_view(game, {}, result)))
    labels = {pair: unquote(e.get("label")) for pair, e in edges(graph).items() if e.get("dir") is None}
    first = {labels[("n0", f"n{c}")] for c in game.children_of(0)}
    assert first == {"H 2/5", "T 3/5"}
    for node in game.children_of(0):
        assert {labels[(f"n{node}", f"n{c}")] for c in game.children_of(node)} == {"H 1/3", "T 2/3"}
    # Every edge is reached with positive probability, so every one is bold.
    for e in graph.get_edges():
        if e.get("dir") is None:
            assert unquote(e.get("style")) == "bold"
    nodes = drawn_nodes(graph)
    # P(H, H) = 2/5 * 1/3.
    hh = game.node("n0_0").index
    assert "reached 2/15" in nodes[f"n{hh}"].get("label")
    # P2 cannot tell P1's move apart: beliefs 2/5 and 3/5 at its two nodes.
    assert "belief 2/5" in nodes[f"n{game.node('n0').index}"].get("label")


def test_dot_joins_information_sets_with_dashed_edges() -> None:
    game = selten_horse()
    result = solve(game, {}, method="enumpure", exact=True)
    graph = parse(tree_dot(tree_view(game, {}, result)))
    dashed = [e for e in graph.get_edges() if unquote(e.get("style")) == "dashed"]
    members = {f"n{m}" for m in game.infosets["three"].members}
    assert len(dashed) == len(members) - 1 == 1
    assert {dashed[0].get_source(), dashed[0].get_destination()} == members
    assert unquote(dashed[0].get("label")) == "three"
    assert unquote(dashed[0].get("dir")) == "none"


def test_dot_information_set_of_pennies_shares_a_rank() -> None:
    game = pennies()
    text = tree_dot(tree_view(game, {}, None))
    members = [f"n{m}" for m in game.infosets["P2"].members]
    assert "{ rank=same; " + " ".join(f"{m};" for m in members) + " }" in text
    graph = parse(text)
    assert any(unquote(e.get("style")) == "dashed" for e in graph.get_edges())


def test_depth_collapses_subtrees_into_boxes_that_count_what_is_hidden() -> None:
    game, view = stalin_view(depth=1)
    graph = parse(tree_dot(view))
    nodes = drawn_nodes(graph)
    shown = [i for i in range(game.num_nodes) if game.depth[i] <= 1]
    inner = [i for i in shown if game.depth[i] == 1 and game.num_children[i] > 0]
    assert set(nodes) == {f"n{i}" for i in shown} | {f"c{i}" for i in inner}
    for i in inner:
        below = subtree(game, i)
        outcomes = sum(1 for n in below if game.num_children[n] == 0)
        label = nodes[f"c{i}"].get("label")
        assert f"{len(below)} more nodes, {outcomes} outcome" in label
        assert (f"n{i}", f"c{i}") in edges(graph)
    # The box under the pact is on Stalin's path (reached 1); the one under the appeal is not.
    assert "reached 1<" in nodes[f"c{game.node('pact_reply').index}"].get("label")
    assert "reached 0<" in nodes[f"c{game.node('west_reply').index}"].get("label")


@pytest.mark.parametrize("which", ["diplomacy", "kuhn", "beer_quiche", "two_stage"])
def test_collapsed_boxes_show_each_subtree_value_under_the_equilibrium(which: str) -> None:
    # The boxes' values are summed below the boxes only; they must be the values the
    # whole tree's bottom-up pass (verify.subgame_values) gives there, exactly.
    from fractions import Fraction

    from policy.render.tree import show
    from policy.solvers.verify import edge_weights, subgame_values
    from tests.games import beer_quiche, kuhn_poker, two_stage

    if which == "diplomacy":
        game = load(DIPLOMACY)
        values = resolve(game, load_leader("stalin"))
    else:
        game, values = {"kuhn": kuhn_poker, "beer_quiche": beer_quiche, "two_stage": two_stage}[which](), {}
    result = solve(game, values, exact=True)
    eq = result.equilibria[0]
    numbers = game.numbers(result.parameters, exact=True)
    expected = subgame_values(game, numbers, edge_weights(game, numbers, eq.probabilities))
    boxes = 0
    for depth in range(1, int(game.depth.max())):
        view = tree_view(game, values, result, depth=depth)
        for node in view.nodes:
            if node.kind == "collapsed":
                assert all(isinstance(v, Fraction) for v in expected[node.index])
                assert node.expected == tuple(show(v) for v in expected[node.index])
                boxes += 1
    assert boxes


def test_dot_escapes_quotes_backslashes_and_markup() -> None:
    assert dot_string('say "hi" \\ bye\nnext') == '"say \\"hi\\" \\\\ bye\\nnext"'
    game = loads_game(AWKWARD, "awkward.toml", known_claims=[])
    text = tree_dot(tree_view(game, {}, solve(game, {})))
    graph = parse(text)
    assert len(drawn_nodes(graph)) == game.num_nodes
    assert "&lt;war&gt; &amp; peace" in text
    # go_on is taken: the quoted action has probability 0.
    assert 'label="say \\"no\\" \\\\ 1 0"' in text


# A game whose labels hold every character that DOT, HTML-like labels or LaTeX treat specially.
AWKWARD = """\
[game]
title = "Quotes \\" & <tags> in Ploiești, 100% $ # _ ^ ~ { }"
players = ["A & B", "C_1"]

[nodes.root]
player = "A & B"
actions = { 'say "no" \\ 1' = "reply", go_on = "end_1" }

[nodes.reply]
player = "C_1"
actions = { "x^2" = "end_2", "~y" = "end_3" }

[nodes.end_1]
outcome = "<war> & peace"
payoffs = { "A & B" = 1, "C_1" = 0 }

[nodes.end_2]
outcome = "50% {braces} #1"
payoffs = { "A & B" = 0, "C_1" = 2 }

[nodes.end_3]
outcome = "Ploiești oil, $5"
payoffs = { "A & B" = -1, "C_1" = 1 }
"""


# -- SVG and PNG through dot -------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("depth", [None, 1])
def test_svg_is_xml_with_one_node_element_per_drawn_node(tmp_path: Path, depth: int | None) -> None:
    out = tmp_path / "tree.svg"
    args = ["render", str(DIPLOMACY), "--leader", "stalin", "-o", str(out)]
    if depth is not None:
        args += ["--depth", str(depth)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"wrote {out}"
    root = ET.parse(out).getroot()
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    _, view = stalin_view(depth)
    assert len(groups) == len(view.nodes)
    assert {g.get("id") for g in groups} >= {"node-start", "node-pact_reply"}
    titles = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "deal_germany 1" in titles


@needs_dot
def test_svg_keeps_awkward_labels(tmp_path: Path) -> None:
    path = tmp_path / "awkward.toml"
    path.write_text(AWKWARD, encoding="utf-8")
    out = tmp_path / "awkward.svg"
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    texts = [t.text or "" for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "<war> & peace" in texts
    assert 'say "no" \\ 1 0' in texts


@needs_dot
def test_png_has_the_png_signature(tmp_path: Path) -> None:
    out = tmp_path / "tree.png"
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "-l", "stalin", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_svg_to_stdout_with_format() -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "--format", "svg", "--no-solve"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


# -- the command ----------------------------------------------------------------------------


def test_render_prints_dot_by_default_and_reads_the_format_from_the_suffix(tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["render", str(DIPLOMACY), "--leader", "stalin"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith('digraph "Soviet diplomacy after Munich, 1938-1940" {')
    assert "leader Joseph Stalin, method spe (exact), max regret 0" in shown.stdout
    out = tmp_path / "tree.gv"
    written = runner.invoke(main, ["render", str(DIPLOMACY), "--leader", "stalin", "-o", str(out)])
    assert written.exit_code == 0
    assert out.read_text(encoding="utf-8") == shown.stdout
    tex = tmp_path / "tree.tex"
    assert runner.invoke(main, ["render", str(DIPLOMACY), "-o", str(tex)]).exit_code == 0
    assert "\\begin{tikzpicture}" in tex.read_text(encoding="utf-8")


def test_no_solve_draws_the_bare_game() -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "--no-solve"])
    assert result.exit_code == 0, result.output
    graph = parse(result.stdout)
    labels = {unquote(e.get("label")) for e in graph.get_edges()}
    assert "deal_germany" in labels and "accept 1/5" in labels  # chance keeps its probability
    assert not any(unquote(e.get("style")) == "bold" for e in graph.get_edges())
    assert "not solved" in result.stdout


def test_set_changes_the_drawn_numbers() -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "--no-solve", "--set", "p_west_accepts=1/3"])
    assert result.exit_code == 0, result.output
    assert 'label="accept 1/3"' in result.stdout and 'label="refuse 2/3"' in result.stdout


def test_missing_dot_draws_with_the_python_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without Graphviz the tree is laid out by policy.render.layout (tests/test_layout.py checks the drawing).
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "tree.svg"
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_png_needs_an_output_file() -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "--format", "png"])
    assert result.exit_code == 2
    assert "give -o FILE.png" in result.stderr


def test_unknown_suffix_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "-o", str(tmp_path / "tree.pdf")])
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_bad_game_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(AWKWARD.replace('"end_3"', '"gone"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "gone" in result.stderr


def test_big_trees_are_collapsed_to_a_legible_depth(tmp_path: Path) -> None:
    # A binary tree of depth 11 (4095 nodes): more than MAX_DRAWN_NODES (1500).
    lines = ['[game]', 'title = "Wide"', 'players = ["P"]', ""]
    for d in range(11):
        for k in range(2**d):
            kids = [f"v{d + 1}_{2 * k}", f"v{d + 1}_{2 * k + 1}"]
            lines += [f"[nodes.v{d}_{k}]", 'player = "P"', f'actions = {{ l = "{kids[0]}", r = "{kids[1]}" }}', ""]
    for k in range(2**11):
        lines += [f"[nodes.v11_{k}]", f"payoffs = {{ P = {k % 7} }}", ""]
    path = tmp_path / "wide.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "--no-solve"])
    assert result.exit_code == 0, result.output
    # Depth 9 draws 1023 nodes and 512 boxes (1535 > 1500); depth 8 draws 511 + 256.
    assert "drawing down to depth 8" in result.stderr
    # (Counted in the text: pydot takes seconds to read a graph this size.)
    declared = re.findall(r"^  ([nc]\d+) \[", result.stdout, flags=re.MULTILINE)
    assert len(declared) == len(set(declared)) == 511 + 256
    assert sum(d.startswith("c") for d in declared) == 256
    assert "subtrees below depth 8, collapsed" in result.stdout

    # Solved, the same tree is drawn along its equilibrium path: the 12 nodes from the root
    # to the chosen terminal, the 11 actions not taken beside them, and a box below each of
    # those 10 that are not terminals (the last level's are).
    solved = CliRunner().invoke(main, ["render", str(path)])
    assert solved.exit_code == 0, solved.output
    assert "drawing the equilibrium path" in solved.stderr
    declared = re.findall(r"^  ([nc]\d+) \[", solved.stdout, flags=re.MULTILINE)
    assert len(declared) == len(set(declared)) == 12 + 11 + 10
    assert sum(d.startswith("c") for d in declared) == 10
    assert "subtrees the equilibrium path does not enter, collapsed" in solved.stdout
    # --depth still chooses a depth; --path with it is refused.
    deep = CliRunner().invoke(main, ["render", str(path), "--depth", "3"])
    assert deep.exit_code == 0 and "drawing" not in deep.stderr
    assert len(re.findall(r"^  ([nc]\d+) \[", deep.stdout, flags=re.MULTILINE)) == 15 + 8
    both = CliRunner().invoke(main, ["render", str(path), "--depth", "3", "--path"])
    assert both.exit_code == 2 and "--path" in both.output


def test_path_drawing_of_a_small_game_shows_what_the_path_reaches_and_boxes_the_rest() -> None:
    """``path=True``: every node the equilibrium reaches and its children; a subtree it does not
    enter is one box, with its value under the equilibrium."""
    game = loads_game(STAY_OUT, "stay_out.toml", known_claims=[])
    result = solve(game, {})
    view = tree_view(game, {}, result, path=True)
    assert view.path and view.depth is None
    by_kind: dict[str, list[str]] = {}
    for n in view.nodes:
        by_kind.setdefault(n.kind, []).append(n.name)
    # A is taken (2 > 1, what P2 would leave after B); B's node is drawn, its subtree boxed.
    assert sorted(by_kind["decision"]) == ["b", "root"]
    assert by_kind["terminal"] == ["a"]
    (box,) = [n for n in view.nodes if n.kind == "collapsed"]
    assert box.name == "b" and box.hidden_nodes == 2 and box.hidden_outcomes == 2
    assert box.expected == ("1", "3")  # P2 takes r at b
    assert view.collapsed_note == "dashed boxes: subtrees the equilibrium path does not enter, collapsed"
    assert "does not enter" in tree_dot(view)
    # Without an equilibrium there is no path: the whole tree.
    bare = tree_view(game, {}, None, path=True)
    assert not bare.path and len(bare.nodes) == game.num_nodes


STAY_OUT = """\
[game]
title = "Stay out"
players = ["P1", "P2"]

[nodes.root]
player = "P1"
actions = { A = "a", B = "b" }

[nodes.a]
payoffs = { P1 = 2, P2 = 0 }

[nodes.b]
player = "P2"
actions = { l = "bl", r = "br" }

[nodes.bl]
payoffs = { P1 = 3, P2 = 1 }

[nodes.br]
payoffs = { P1 = 1, P2 = 3 }
"""


# -- TikZ ------------------------------------------------------------------------------------


def test_tex_escape() -> None:
    assert tex_escape("a_b & 100% $x$ #1 {y} ~^\\") == (
        r"a\_b \& 100\% \$x\$ \#1 \{y\} \textasciitilde{}\textasciicircum{}\textbackslash{}"
    )
    assert tex_escape("Ploiești") == "Ploie\\c{s}ti"
    assert tex_escape("Müller") == 'M\\"{u}ller'


def test_tikz_has_every_node_edge_and_information_set() -> None:
    game = selten_horse()
    view = tree_view(game, {}, solve(game, {}, method="enumpure", exact=True))
    text = tree_tikz(view)
    assert text.count("\\begin{tikzpicture}") == 1 and text.rstrip().endswith("\\end{tikzpicture}")
    for i in range(game.num_nodes):
        assert f"(n{i}) at (" in text
    assert text.count("\\draw[infoset") == 1
    x, y = game.infosets["three"].members
    assert f"(n{x}) -- node" in text and f"{{three}} (n{y});" in text
    # The path C, c is thick and labelled with its probabilities.
    assert "\\draw[policyP0, path edge] (n0) -- node[action, above left, text=policyP0] {\\textbf{C~$1$}}" in text


@needs_pdflatex
@pytest.mark.parametrize("which", ["diplomacy", "diplomacy-depth-1", "horse", "awkward", "pennies"])
def test_tikz_compiles_with_pdflatex(tmp_path: Path, which: str) -> None:
    if which.startswith("diplomacy"):
        _, view = stalin_view(1 if which.endswith("1") else None)
    elif which == "horse":
        game = selten_horse()
        view = tree_view(game, {}, solve(game, {}))
    elif which == "pennies":
        game = pennies()
        view = tree_view(game, {}, solve(game, {}, method="lcp", exact=True))
    else:
        game = loads_game(AWKWARD, "awkward.toml", known_claims=[])
        view = tree_view(game, {}, solve(game, {}))
    (tmp_path / "tree.tex").write_text(tree_tikz(view, standalone=True), encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "tree.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
    assert done.returncode == 0, errors or done.stdout[-2000:]
    assert (tmp_path / "tree.pdf").read_bytes()[:5] == b"%PDF-"


def test_float_results_show_short_decimals() -> None:
    game = pennies()
    view = tree_view(game, {}, solve(game, {}, method="lcp", exact=False))
    labels = {e.label for e in view.edges}
    assert {"H 0.4", "T 0.6", "H 0.3333", "T 0.6667"} <= labels
    assert view.caption.startswith("method lcp (float)")


def test_render_and_convert_write_through_links_and_pipes(tmp_path: Path) -> None:
    # From the hardening run: -o on a symbolic link replaced the link, on a FIFO made a file.
    from tests.files import FifoReader

    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "tree.dot"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "tree.dot"
    link.symlink_to(target)
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "--no-solve", "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("digraph")
    fifo = tmp_path / "pipe.efg"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    result = CliRunner().invoke(main, ["convert", str(DIPLOMACY), str(fifo), "-l", "stalin"])
    assert result.exit_code == 0, result.output
    assert reader.result().startswith(b"EFG 2 R")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_render_into_a_folder_that_is_a_file_fails_before_solving(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "tree.dot"
    result = CliRunner().invoke(main, ["render", str(DIPLOMACY), "-l", "nobody", "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out}: cannot write: {blocker} is not a directory\n"


def test_path_without_an_equilibrium_is_a_one_line_error(tmp_path: Path) -> None:
    """``--path`` where the method finds no equilibrium (matching pennies, pure strategies only):
    a located one-line error and exit 1, not a traceback; without --path the bare game is drawn."""
    efg = tmp_path / "pennies.efg"
    efg.write_text(
        'EFG 2 R "pennies" { "A" "B" }\n""\n'
        'p "" 1 1 "a" { "H" "T" } 0\np "" 2 1 "b" { "h" "t" } 0\n'
        't "" 1 "" { 1, -1 }\nt "" 2 "" { -1, 1 }\np "" 2 1 0\n'
        't "" 3 "" { -1, 1 }\nt "" 4 "" { 1, -1 }\n',
        encoding="utf-8",
    )
    failed = CliRunner().invoke(main, ["render", str(efg), "-m", "enumpure", "--path"])
    assert failed.exit_code == 1
    assert failed.output.startswith("Error: pennies: no equilibrium was found") and "Traceback" not in failed.output
    assert len(failed.output.strip().splitlines()) == 1
    bare = CliRunner().invoke(main, ["render", str(efg), "-m", "enumpure"])
    assert bare.exit_code == 0, bare.output


def test_a_path_drawing_with_no_box_has_no_legend_line_for_boxes() -> None:
    """A path that enters every subtree with children (the stay-out game with B better) boxes nothing."""
    game = loads_game(STAY_OUT.replace("P1 = 2, P2 = 0", "P1 = 0, P2 = 0"), "stay_out.toml", known_claims=[])
    view = tree_view(game, {}, solve(game, {}), path=True)
    assert view.path and not any(n.kind == "collapsed" for n in view.nodes)
    assert view.collapsed_note is None and "dashed boxes" not in tree_dot(view)
