"""policy report: one self-contained HTML page (and Markdown) comparing leaders over games.

The HTML is checked three ways: as XML (the page is written to be well-formed
XML too, so ``xml.etree`` is a strict parser for it), with a tag-balance check
on Python's HTML parser (what a browser's parser would see: no self-closed
HTML elements, no stray end tags, no paragraph left open around a block), and
in headless Chromium, whose screenshot must not be blank. The report must load
nothing from outside the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import policy
from policy import output as output_module
from policy.bundled import PROJECT, bundled_games
from policy.cli import main
from policy.leaders import load_leader
from policy.loading import load
from policy.render import report as report_module
from policy.render.report import build_report, inline_svg, write_report
from policy.render.text import show_value
from policy.render.tree import PALETTE, UNCHOSEN_COLOUR

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DIPLOMACY = PROJECT / "games" / "diplomacy_1939.toml"
LEADERS = ("Joseph Stalin", "Mikhail Tukhachevsky")

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed (apt-get install graphviz)"
)
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)

# A game whose every text is markup, to check that the report escapes what files say.
NASTY_GAME = """\
[game]
title = "Entry <script>alert('t')</script> & co"
players = ["Entrant", "Incumbent"]
description = \"\"\"A <b>bold</b> claim & more.

Left out: <img src="http://example.com/x.png"> and </section> too.\"\"\"

[parameters.fight_cost]
description = "Cost </table> of a <i>war</i>"
default = 1
range = [0, 5]

[nodes.entry]
player = "Entrant"
actions = { enter = "response", stay_out = "out" }

[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }

[nodes.out]
outcome = "Stays <out>"
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
outcome = "Price war"
payoffs = { Entrant = "-fight_cost", Incumbent = "-fight_cost" }

[nodes.shared]
outcome = "Shared market"
payoffs = { Entrant = 1, Incumbent = 1 }
"""


# -- a strict reading of HTML ------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Elements that close an open <p> in an HTML parser (so a <p> around them is a nesting fault).
BLOCKS = {
    "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre",
    "section", "table", "ul",
}


class TagBalance(HTMLParser):
    """Every nesting fault an HTML parser would silently repair, as a list of messages.

    Outside SVG: a non-void element written self-closed (``<div/>`` opens a
    div in HTML), an end tag that does not close the innermost open element,
    an end tag for a void element, a block element opened inside a ``<p>``,
    and elements still open at the end. Inside SVG (foreign content),
    self-closed elements are fine.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def _in_svg(self) -> bool:
        return "svg" in self.stack

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._in_svg():
            self.stack.append(tag)
            return
        if tag in BLOCKS and "p" in self.stack:
            self.errors.append(f"<{tag}> inside an open <p> at {self.getpos()}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._in_svg() and tag not in VOID and tag != "svg":
            self.errors.append(f"<{tag}/> self-closed outside SVG at {self.getpos()}")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID and not self._in_svg():
            self.errors.append(f"</{tag}> ends a void element at {self.getpos()}")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} but the open element is {self.stack[-1:]}")
        else:
            self.stack.pop()

    def check(self, text: str) -> list[str]:
        self.feed(text)
        self.close()
        return self.errors + ([f"unclosed at the end: {self.stack}"] if self.stack else [])


def tag_faults(text: str) -> list[str]:
    return TagBalance().check(text)


@pytest.mark.parametrize(
    "bad",
    ["<div><p>x</div></p>", "<div/>", "<p>text<ul><li>a</li></ul></p>", "<main><section></main>", "<br></br>",
     "<div>"],
)
def test_the_tag_balance_check_finds_faults(bad: str) -> None:
    assert tag_faults(bad)


def test_the_tag_balance_check_accepts_void_elements_and_svg() -> None:
    good = '<p>a<br/>b</p><meta charset="utf-8"/><figure><svg><g><path d="M 0 0"/></g></svg></figure>'
    assert tag_faults(good) == []


# -- the HTML report of every bundled game ----------------------------------------------


#: The bundled stage games, named as a user would on the command line.
STAGES = [str(p) for p in bundled_games()]


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, ET.Element]:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    out = tmp_path_factory.mktemp("report") / "report.html"
    # The stage games by name (with no FILE, report takes the bundled campaign).
    result = CliRunner().invoke(main, ["report", *STAGES, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out}\n"
    text = out.read_text(encoding="utf-8")
    return out, text, ET.fromstring(text)


def sections(root: ET.Element) -> Iterator[ET.Element]:
    return (s for s in root.iter("section") if s.get("class") == "game")


def section_of(root: ET.Element, stem: str) -> ET.Element:
    found = [s for s in sections(root) if s.get("id") == f"game-{stem}"]
    assert len(found) == 1, f"no single section for {stem}"
    return found[0]


def classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(tag) if cls in (e.get("class") or "").split()]


def text_of(e: ET.Element) -> str:
    return " ".join("".join(e.itertext()).split())


def test_html_is_well_formed_for_xml_and_html_parsers(html_report: tuple[Path, str, ET.Element]) -> None:
    _, text, root = html_report
    assert text.startswith("<!DOCTYPE html>\n")
    assert root.tag == "html" and root.get("lang") == "en"
    head = root.find("head")
    assert head is not None and head.find("title") is not None
    assert any(m.get("charset") == "utf-8" for m in head.iter("meta"))
    assert tag_faults(text) == []


def test_ids_are_unique_so_several_svgs_do_not_clash(html_report: tuple[Path, str, ET.Element]) -> None:
    _, _, root = html_report
    ids = Counter(e.get("id") for e in root.iter() if e.get("id"))
    assert [i for i, n in ids.items() if n > 1] == []
    # every in-page reference points at an id of the page
    refs = [e.get(XLINK_HREF) or e.get("href") for e in root.iter()]
    for ref in refs:
        if ref:
            assert ref.startswith("#") and ref[1:] in ids, ref
    for url in re.findall(r"url\(#([^)]+)\)", html_report[1]):
        assert url in ids


def test_one_tree_per_game_and_leader_with_the_equilibrium_marked(
    html_report: tuple[Path, str, ET.Element],
) -> None:
    _, _, root = html_report
    games = bundled_games()
    assert len(list(sections(root))) == len(games)
    for path in games:
        game = load(path)
        section = section_of(root, path.stem)
        figures = classed(section, "figure", "tree")
        assert [f.get("data-leader") for f in figures] == ["stalin", "tukhachevsky"]
        for figure in figures:
            svgs = list(figure.iter(f"{SVG}svg"))
            assert len(svgs) == 1
            nodes = [g for g in svgs[0].iter(f"{SVG}g") if g.get("class") == "node"]
            assert len(nodes) == game.num_nodes  # the bundled trees are small enough to draw whole
            assert svgs[0].get("role") == "img" and svgs[0].get("aria-label")
    # Both leaders' equilibria open with the appeal to the West (bold edge into
    # talks) and not the pact at once (grey edge into pact_poland). (Before the
    # scenario's repair Stalin's and Tukhachevsky's first moves differed, and
    # this checked that contrast; the marking is what is tested.)
    section = section_of(root, "diplomacy_1939")
    for target, expected in (("talks", (PALETTE[0].lower(), "3")), ("pact_poland", (UNCHOSEN_COLOUR.lower(), None))):
        widths = {}
        for figure in classed(section, "figure", "tree"):
            edge = next(g for g in figure.iter(f"{SVG}g") if (g.get("id") or "").endswith(f"edge-{target}"))
            widths[figure.get("data-leader")] = {
                (p.get("stroke"), p.get("stroke-width")) for p in edge.iter(f"{SVG}path")
            }
        assert widths == {"stalin": {expected}, "tukhachevsky": {expected}}, target


def test_comparison_tables_for_every_game(html_report: tuple[Path, str, ET.Element]) -> None:
    _, _, root = html_report
    for path in bundled_games():
        game = load(path)
        section = section_of(root, path.stem)
        (table,) = classed(section, "table", "compare")
        thead = table.find("thead")
        assert thead is not None
        assert [text_of(th) for th in thead.iter("th")][1:] == list(LEADERS)
        rows = {text_of(tr.find("th")): [text_of(td) for td in tr.iter("td")]  # type: ignore[arg-type]
                for tr in table.iter("tr") if tr.find("th") is not None}
        for heading in ("Decisions on the equilibrium path", "Outcome probabilities", "Expected payoffs"):
            assert heading in rows
        for player in game.players:
            assert len(rows[player]) == 2
        assert classed(section, "table", "flips"), path.stem
        assert classed(section, "table", "swaps"), path.stem
    rows = {
        text_of(tr.find("th")): [text_of(td) for td in tr.iter("td")]  # type: ignore[arg-type]
        for tr in classed(section_of(root, "diplomacy_1939"), "table", "compare")[0].iter("tr")
    }
    # The repaired scenario's answer (as in tests/golden/compare.json).
    assert rows["USSR: start"] == ["appeal_west", "appeal_west"]
    assert rows["Pact kept, after a rebuff [late_pact_kept]"] == ["193/200", "193/200"]
    assert rows["USSR"] == ["493/2000", "493/2000"]


def test_description_parameters_and_disputed_claims(html_report: tuple[Path, str, ET.Element]) -> None:
    _, _, root = html_report
    section = section_of(root, "diplomacy_1939")
    headings = [text_of(h) for h in section.iter("h3")]
    assert "What the game models" in headings and "Left out" in headings
    game = load(DIPLOMACY)
    articles = classed(section, "article", "parameter")
    assert [text_of(a.find("h4")) for a in articles] == list(game.parameters)  # type: ignore[arg-type]
    ideology = next(a for a in articles if text_of(a.find("h4")) == "ideology_cost")  # type: ignore[arg-type]
    values = classed(ideology, "table", "values")[0]
    cells = [[text_of(td) for td in tr.iter("td")] for tr in values.iter("tr")][1:]
    expected = []
    for key in ("stalin", "tukhachevsky"):
        leader = load_leader(key)
        v = leader.values["ideology_cost"]
        assert v.range is not None
        expected.append([leader.name, show_value(v.value), f"[{show_value(v.range[0])}, {show_value(v.range[1])}]"])
    assert [c[:3] for c in cells] == expected
    assert cells[0][1] == "0.1"  # as README shows it
    claim = next(li for li in ideology.iter("li") if "no-partition-of-poland" in text_of(li))
    assert [s.text for s in classed(claim, "span", "contested")] == ["contested"]
    assert "Why disputed" in text_of(claim)
    accepted = next(li for li in ideology.iter("li") if text_of(li).startswith("molotov-ribbentrop-pact"))
    assert not classed(accepted, "span", "status")


def test_header_says_how_it_was_made_and_how_to_read_it(html_report: tuple[Path, str, ET.Element]) -> None:
    out, _, root = html_report
    header = root.find("body/header")
    assert header is not None
    meta = text_of(header)
    assert f"policy {policy.__version__}" in meta
    assert f"policy report {' '.join(STAGES)} --format html -o {out}" in meta
    time = next(header.iter("time"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", time.get("datetime") or "")
    assert root.find(".//section[@id='how-to-read']/p") is not None
    toc = [a.get("href") for a in root.iter("a") if a.get("href", "").startswith("#game-")]
    assert toc == [f"#game-{p.stem}" for p in bundled_games()]


def test_sweeps_only_for_games_the_batch_solver_takes(html_report: tuple[Path, str, ET.Element]) -> None:
    """Perfect information, or spe through two-mover subgames (a new user's review: the
    report said the campaign's sweep was too slow, where the batch solver takes 3 s)."""
    from policy.analysis.sweep import batchable

    _, _, root = html_report
    for path in bundled_games():
        game = load(path)
        section = section_of(root, path.stem)
        plots = classed(section, "figure", "sweep")
        notes = " ".join(text_of(p) for p in classed(section, "p", "note"))
        if batchable(game, "auto"):
            assert plots, path.stem
            for plot in plots:
                assert len(list(plot.iter(f"{SVG}svg"))) == 1
                assert "declared range" in text_of(plot.find("figcaption"))  # type: ignore[arg-type]
        else:
            assert not plots
            assert "imperfect information" in notes
    # Stalin's nearest flip in the repaired diplomacy game is talks_leverage: his plot sweeps it.
    diplomacy = classed(section_of(root, "diplomacy_1939"), "figure", "sweep")
    assert [p.get("data-leader") for p in diplomacy] == ["stalin", "tukhachevsky"]
    assert "as talks_leverage moves" in text_of(diplomacy[0].find("figcaption"))  # type: ignore[arg-type]


def test_loads_no_external_resource(html_report: tuple[Path, str, ET.Element]) -> None:
    _, text, root = html_report
    for e in root.iter():
        tag = e.tag.removeprefix(SVG)
        assert tag not in ("script", "link", "iframe", "object", "embed", "img", "audio", "video"), tag
        for attr in ("src", "href", XLINK_HREF, "srcset", "poster", "data", "action", "background"):
            value = e.get(attr)
            assert value is None or value.startswith("#"), (tag, attr, value)
        style = (e.text or "") if tag == "style" else (e.get("style") or "")
        assert "@import" not in style
        assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", style)), style
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", text)
    assert not re.search(r"url\(\s*[\"']?\s*(?:https?:)?//", text)
    assert not re.search(r"<link[^>]*stylesheet|<script[^>]*src", text, re.I)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (Debian: apt-get install chromium)")
def test_renders_in_headless_chromium_to_a_screenshot_that_is_not_blank(
    html_report: tuple[Path, str, ET.Element], tmp_path: Path
) -> None:
    import matplotlib.image

    out, _, _ = html_report
    png = tmp_path / "out.png"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={png}", "--window-size=1280,2000", out.resolve().as_uri()],
        capture_output=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (2000, 1280)
    grey = pixels[..., :3].mean(axis=2)
    # A blank page is one colour (variance 0); text, rules and tables make it vary.
    assert grey.var() > 1e-3
    assert (grey < 0.5).mean() > 0.005  # some dark ink, not just a tint


# -- Markdown -----------------------------------------------------------------------------


@needs_dot
def test_markdown_has_the_tables_and_links_the_svgs_written_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "notes.md"
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out} and 4 SVG pictures beside it\n"
    text = out.read_text(encoding="utf-8")
    assert "<svg" not in text
    assert text.startswith("# Leaders compared: Joseph Stalin and Mikhail Tukhachevsky\n")
    assert "## Soviet diplomacy, 1939" in text
    assert "| USSR: start | appeal_west | appeal_west |" in text
    assert "**Distance to a flip.**" in text and "**What drives the difference.**" in text
    assert "**Left out.**" in text
    assert "`no-partition-of-poland` **CONTESTED**" in text
    trees = ["notes_diplomacy_1939_stalin.svg", "notes_diplomacy_1939_tukhachevsky.svg"]
    sweeps = ["notes_diplomacy_1939_stalin_sweep.svg", "notes_diplomacy_1939_tukhachevsky_sweep.svg"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == trees + sweeps
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["notes.md", *trees, *sweeps])
    for name in links:
        svg = ET.parse(tmp_path / name).getroot()
        assert svg.tag == f"{SVG}svg"
    nodes = [g for g in ET.parse(tmp_path / trees[0]).getroot().iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == load(DIPLOMACY).num_nodes


@needs_dot
def test_text_from_files_is_escaped(tmp_path: Path) -> None:
    game = tmp_path / "nasty.toml"
    game.write_text(NASTY_GAME, encoding="utf-8")
    out = tmp_path / "nasty.html"
    result = CliRunner().invoke(main, ["report", str(game), "-l", "stalin", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert tag_faults(text) == []
    assert not any(e.tag in ("script", "img", "b", "i") for e in root.iter())
    assert "&lt;script&gt;" in text and "&lt;img src=" in text
    h2 = [text_of(h) for h in root.iter("h2")]
    assert "Entry <script>alert('t')</script> & co" in h2
    left_out = text_of(section_of(root, "nasty").findall("p")[2])
    assert left_out == '<img src="http://example.com/x.png"> and </section> too.'


# -- errors: one line, exit code 1, nothing written ---------------------------------------


def test_unknown_leader(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "-l", "stalin,nobody", "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown leader 'nobody'")
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_still_writes_the_report_with_its_trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without Graphviz the trees are laid out by policy.render.layout (tests/test_layout.py checks them).
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count('class="node"') == 2 * load(DIPLOMACY).num_nodes


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_output_in_a_directory_that_cannot_exist(tmp_path: Path, fmt: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    out = blocker / "report.html"
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out}: cannot write: {blocker} is not a directory\n"
    missing = tmp_path / "gone" / "report.html"
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "--format", fmt, "-o", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {missing}: cannot write: no such directory {missing.parent}\n"
    assert list(tmp_path.iterdir()) == [blocker]


@needs_dot
def test_a_write_that_fails_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tmp_path / "entry.toml"
    entry.write_text(NASTY_GAME, encoding="utf-8")
    built = build_report([entry], ["stalin"], command="test")
    real = output_module.tempfile.mkstemp
    calls: list[str] = []

    def fail_on_markdown(*args: Any, **kwargs: Any) -> tuple[int, str]:
        calls.append(kwargs["prefix"])
        if ".md." in kwargs["prefix"]:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(output_module.tempfile, "mkstemp", fail_on_markdown)
    with pytest.raises(OSError, match="r.md: cannot write: No space left on device"):
        write_report(built, tmp_path / "r.md", "markdown")
    assert [p.rsplit(".", 2)[-2] for p in calls] == ["svg", "md"]  # the tree was prepared, then dropped
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.toml"]

    def fail(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(output_module.tempfile, "mkstemp", fail)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(entry), "-l", "stalin", "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out}: cannot write: Permission denied\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.toml"]


@needs_dot
def test_a_picture_name_taken_by_a_folder_leaves_the_old_report_whole(tmp_path: Path) -> None:
    # The adversarial case: the error named notes.md, and the pictures just replaced were
    # deleted, so the old notes.md linked to missing files.
    out = tmp_path / "notes.md"
    first = CliRunner().invoke(main, ["report", str(DIPLOMACY), "-o", str(out)])
    assert first.exit_code == 0, first.output
    old = {p: p.read_bytes() for p in tmp_path.iterdir()}
    taken = tmp_path / "notes_diplomacy_1939_tukhachevsky_sweep.svg"
    assert taken in old
    taken.unlink()
    taken.mkdir()
    del old[taken]
    again = CliRunner().invoke(main, ["report", str(DIPLOMACY), "--leaders", "stalin,tukhachevsky", "-o", str(out)])
    assert again.exit_code == 1
    assert again.stderr == f"Error: {taken}: cannot write: it is a directory\n"
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p != taken} == old
    assert taken.is_dir()


@needs_dot
def test_a_report_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    real = tmp_path / "site" / "report.html"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "report.html"
    link.symlink_to(real)
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()  # once replaced by a regular file
    assert real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- inline SVG ---------------------------------------------------------------------------


def test_inline_svg_drops_the_prolog_and_prefixes_ids_and_references() -> None:
    svg = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        "<!-- made by hand -->\n"
        '<svg width="10pt" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "<metadata><rdf>http://example.com</rdf></metadata>"
        '<defs><clipPath id="c1"><rect width="1" height="1"/></clipPath><path id="glyph" d="M 0 0"/></defs>'
        '<g id="node-start" clip-path="url(#c1)"><use xlink:href="#glyph"/><use href="#glyph"/></g></svg>\n'
    )
    a = inline_svg(svg, "a-", label='tree "A" & <B>', css_class="tree")
    b = inline_svg(svg, "b-")
    assert a.startswith('<svg role="img" aria-label="tree &quot;A&quot; &amp; &lt;B&gt;" class="tree" ')
    assert "DOCTYPE" not in a and "<?xml" not in a and "made by hand" not in a and "example.com" not in a
    root_a, root_b = ET.fromstring(a), ET.fromstring(b)
    ids_a = {e.get("id") for e in root_a.iter() if e.get("id")}
    ids_b = {e.get("id") for e in root_b.iter() if e.get("id")}
    assert ids_a == {"a-c1", "a-glyph", "a-node-start"}
    assert not ids_a & ids_b
    assert 'clip-path="url(#a-c1)"' in a
    assert [u.get(XLINK_HREF) or u.get("href") for u in root_a.iter(f"{SVG}use")] == ["#a-glyph", "#a-glyph"]


def _inline_by_look_behind(svg: str, prefix: str) -> str:
    """inline_svg's rewriting as first written, with look-behind patterns: the reference for the faster one."""
    text = report_module._DROPPED.sub("", svg[svg.find("<svg"):])
    text = re.sub(r'(?<=\s)id="([^"]*)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]*)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'(?<=\s)((?:xlink:)?href)="#([^"]*)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    return "<svg" + ' role="img"' + text[len("<svg"):].rstrip() + "\n"


SVG_PIECES = [' id="a"', 'id="b"', '\tid="c"', '\nid=""', ' xid="d"', ' href="#e"', 'href="#f"', ' xlink:href="#g"',
              ' href="h"', 'url(#i)', 'url(j)', "<!-- id=\"k\" -->", "<metadata> id=\"l\" </metadata>", " ", "\n",
              '"', "x", "<g", ">", "é"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SVG_PIECES), max_size=30))
def test_inline_svg_rewrites_as_the_look_behind_patterns_did(pieces: list[str]) -> None:
    svg = "<svg" + "".join(pieces) + "</svg>"
    assert inline_svg(svg, "p-") == _inline_by_look_behind(svg, "p-")


def test_markdown_into_a_pipe_is_refused_before_solving(tmp_path: Path) -> None:
    # Its pictures would have gone beside the pipe: /dev/stdout_... files in /dev.
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "--format", "markdown", "-o", "/dev/stdout"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: /dev/stdout: a Markdown report writes its pictures beside it")
    assert result.stderr.count("\n") == 1
    assert not list(Path("/dev").glob("stdout_*"))


def test_ctrl_c_while_writing_a_report_exits_130_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")

    def interrupted(*args: Any, **kwargs: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(report_module, "report_html", interrupted)
    monkeypatch.setattr(report_module, "build_report", lambda *a, **k: None)
    result = CliRunner().invoke(main, ["report", str(DIPLOMACY), "-o", str(out)])
    assert result.exit_code == 130  # once click's "Aborted!" and 1
    assert result.stderr == "interrupted; no file written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert out.read_text(encoding="utf-8") == "old"


def test_report_default_is_the_bundled_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    from policy.bundled import bundled_campaigns

    # A small bundle, a two-stage campaign beside its stage games: with no FILE the
    # report covers the campaign(s), not the stage games.
    monkeypatch.setenv("POLICY_GAMES", str(Path(__file__).parent / "data" / "campaigns"))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--leaders", "alpha,beta", "-o", str(out)])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert [s.get("id") for s in sections(root)] == [f"game-{p.stem}" for p in bundled_campaigns()]


def test_report_progress_names_its_steps() -> None:
    """``progress`` hears the comparison's steps, then each game's trees and plots, in order."""
    heard: list[str] = []
    build_report([DIPLOMACY], ["stalin", "tukhachevsky"], command="test", progress=heard.append)
    title = "Soviet diplomacy, 1939"
    assert heard[0] == f"{title}: solving under Joseph Stalin"
    assert heard.index(f"{title}: counting the equilibria") < heard.index(f"{title}: drawing the trees")
    assert heard[-1] == f"{title}: the sweep plots"


def test_report_says_where_each_stage_instance_is_played(tmp_path: Path) -> None:
    # As compare does (tests/test_campaign.py): the crisis stage of two_stage.toml is played
    # at six points, each after the coup's outcome and France's, in the state they set.
    data = Path(__file__).parent / "data" / "campaigns"
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(data / "two_stage.toml"), "--leaders",
                                       f"{data / 'leaders' / 'alpha.toml'},{data / 'leaders' / 'beta.toml'}",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Where the stage instances named above are played" in html
    assert "<td>crisis-3</td><td>coup: won, france-2: falls; regime = beta, west = 1</td>" in html
