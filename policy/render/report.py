"""One report that compares leaders over several games: a self-contained HTML page, or Markdown.

:func:`build_report` gathers what the other commands compute, for every game
and leader: the comparison (:func:`policy.analysis.compare.compare`: paths,
outcome and fact probabilities, payoffs, swaps, distances to a flip), the
explanation (:func:`policy.analysis.explain.explain`: description, what is
left out, structure, parameters with their values and claims), the tree under
each leader with the equilibrium marked (:mod:`policy.render.tree` through
Graphviz's ``dot``), and, for games with perfect information, a sweep of the
outcome probabilities over the parameter nearest to a flip
(:mod:`policy.analysis.sweep` with the batch solver, drawn by
:func:`policy.render.plot.plot_line`). Sweeps of games with imperfect
information need a Nash solve per point and are left out, and the report says
so.

:func:`report_html` writes one HTML5 page that loads nothing: the CSS is in a
``<style>`` element, the pictures are inline SVG (their XML prolog, doctype,
comments and metadata dropped, and every ``id`` prefixed so that several
pictures on one page do not clash). The page is also well-formed XML (void
elements closed, only numeric character references), so both an HTML and an
XML parser read it. Every text that comes from a file is escaped.

:func:`report_markdown` writes the same content as Markdown for a README or a
paper draft. Markdown cannot hold the pictures inline, so they are returned
as separate SVG files (``<stem>_<game>_<leader>.svg`` for trees and
``<stem>_<game>_<leader>_sweep.svg`` for sweeps) that the text links to by
relative path; :func:`write_report` writes them next to the ``.md`` file.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy.analysis.compare import DEFAULT_LEADERS, GameComparison, compare, display_path
from policy.analysis.explain import (
    CitedClaim,
    Explanation,
    ParameterView,
    catalogue_for,
    describe,
    explain,
)
from policy.claims import Claim, load_claims
from policy.leaders import Leader, load_leader
from policy.loading import load
from policy.output import Outputs, check
from policy.render.text import (
    FLIP_COLUMNS,
    FLIP_TITLE,
    SECTION_DECISIONS,
    SECTION_PAYOFFS,
    WHERE_NOTE,
    WHERE_TITLE,
    compare_rows,
    compare_table,
    flip_note,
    flip_rows,
    fmt,
    instance_rows,
    markdown_cell,
    paragraphs,
    show_range,
    show_value,
    swap_rows,
)
from policy.render.tree import (
    CHANCE_COLOUR,
    PALETTE,
    RenderError,
    auto_depth,
    legible_view,
    run_dot,
    tree_dot,
)

#: Grid points of a sweep plot.
SWEEP_POINTS = 101
#: Output formats of :func:`write_report`.
FORMATS = ("html", "markdown")


class ReportError(RenderError):
    """A report that cannot be made or written as asked; ``str()`` is one line."""


@dataclass(frozen=True)
class Picture:
    """One SVG drawing for one leader, as ``dot`` or matplotlib wrote it, with a caption."""

    leader: str
    """The leader's key."""
    svg: str
    caption: str


@dataclass(frozen=True)
class GameSection:
    """Everything the report shows about one game.

    ``sweeps[k]`` is the sweep plot for ``comparison.leaders[k]``, or None
    when there is none; ``sweep_notes[k]`` says why not (or adds to the plot).
    """

    anchor: str
    """A unique id for the game's section (``game-<file stem>``)."""
    stem: str
    comparison: GameComparison
    explanation: Explanation
    trees: tuple[Picture, ...]
    depth: int | None
    """The depth below which the trees are collapsed (None: whole trees); a tree whose
    equilibrium path fits is drawn along it instead (its picture's caption says so)."""
    sweeps: tuple[Picture | None, ...]
    sweep_notes: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """A report over several games and leaders, with how it was made."""

    sections: tuple[GameSection, ...]
    leaders: tuple[Leader, ...]
    version: str
    date: str
    command: str


# -- gathering ---------------------------------------------------------------------------


def _slug(text: str) -> str:
    """``text`` reduced to letters, digits, ``_`` and ``-`` (for ids and file names)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"


def _today() -> str:
    """Today's date, or the date of ``$SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    return datetime.date.today().isoformat()


def check_output(path: str | Path, fmt: str = "html") -> None:
    """Fail early, before any solving, when ``path`` cannot take a report in ``fmt``.

    Raises
    ------
    policy.output.OutputError
        When ``path`` is a directory, a block device or socket, or its
        directory does not exist, is not a directory, or is not writable.
    ReportError
        For Markdown into a pipe or device: its pictures go beside the page,
        and a pipe has no folder of its own to hold them.
    """
    target = check(path)
    if fmt == "markdown" and target.kind == "stream":
        raise ReportError(
            f"{path}: a Markdown report writes its pictures beside it, so it needs a file name; "
            "use --format html for a pipe or device"
        )


def build_report(
    games: Sequence[str | Path],
    leaders: Sequence[str | Path | Leader] = DEFAULT_LEADERS,
    *,
    command: str = "",
    method: str = "auto",
    exact: bool | None = None,
    sweeps: bool = True,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> Report:
    """Solve, explain and draw every game under every leader.

    Parameters
    ----------
    games
        Game files (TOML or Gambit).
    leaders
        Bundled leader keys, profile files, or profiles already read.
    command
        The command line that made the report, for its header.
    method, exact, options
        As for :func:`policy.analysis.compare.compare`.
    sweeps
        Whether to draw sweep plots (perfect-information games only).
    progress
        Called with a few words before each step (the comparison's, then the
        trees and the plots of each game), for a status line.

    Raises
    ------
    RenderError
        When Graphviz's ``dot`` fails: a report without its trees is not
        written. Without ``dot`` the trees are laid out by
        :mod:`policy.render.layout`.
    """
    profiles = tuple(x if isinstance(x, Leader) else load_leader(x) for x in leaders)
    loaded = [(Path(p), load(p)) for p in games]
    comparisons = compare(loaded, profiles, method=method, exact=exact, progress=progress, **options)
    say = progress or (lambda step: None)
    sections = []
    anchors: set[str] = set()
    for (path, _), c in zip(loaded, comparisons, strict=True):
        anchor = base = f"game-{_slug(path.stem)}"
        k = 2
        while anchor in anchors:
            anchor, k = f"{base}-{k}", k + 1
        anchors.add(anchor)
        found = catalogue_for(path)
        claims = load_claims(found) if found is not None else {}
        explanation = explain(
            c.game, display_path(path), profiles, claims=claims,
            catalogue=display_path(found) if found is not None else None,
        )
        depth = auto_depth(c.game)
        say(f"{c.game.title}: drawing the trees")
        trees = tuple(_tree(c, k) for k in range(len(profiles)))
        if sweeps:
            say(f"{c.game.title}: the sweep plots")
        plots, notes = _sweeps(c, method) if sweeps else ((None,) * len(profiles), ("",) * len(profiles))
        sections.append(GameSection(anchor, path.stem, c, explanation, trees, depth, plots, notes))
    from policy import __version__

    return Report(tuple(sections), profiles, __version__, _today(), command)


def _tree(c: GameComparison, k: int) -> Picture:
    leader, result = c.leaders[k], c.results[k]
    if result is None:  # marked in its place: a picture that says why
        why = f"No tree: {c.game.title} could not be solved under {leader.name}: {c.failure(k)}"
        return Picture(leader.key, _note_svg(why), why)
    # A tree too big to draw whole: along the equilibrium path where that fits, else to a depth.
    view, _ = legible_view(c.game, result.parameters, result, exact=result.exact, leader=leader.name)
    svg = run_dot(tree_dot(view), "svg").decode("utf-8")
    said = view.caption.removeprefix(f"leader {leader.name}, ")
    caption = f"{c.game.title} under {leader.name}: {said}; bold edges are the equilibrium path."
    if view.path and view.collapsed_note is not None:
        caption += " Subtrees the equilibrium path does not enter are collapsed into dashed boxes."
    elif view.depth is not None:
        caption += f" Subtrees below depth {view.depth} are collapsed into dashed boxes."
    return Picture(leader.key, svg, caption)


def _note_svg(text: str, width: int = 90) -> str:
    """A small SVG picture holding ``text``, wrapped: what stands where a drawing could not be made."""
    import html
    import textwrap

    lines = textwrap.wrap(text, width) or [""]
    rows = "".join(
        f'<text x="10" y="{24 + 18 * i}" font-family="sans-serif" font-size="13">{html.escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{16 + 7 * width}" height="{20 + 18 * len(lines)}">'
            f"{rows}</svg>")


def _sweeps(c: GameComparison, method: str) -> tuple[tuple[Picture | None, ...], tuple[str, ...]]:
    """Per leader, the sweep over the parameter nearest to a flip, or a note on why there is none."""
    if not any(p.range is not None for p in c.game.parameters.values()):
        note = "No sweep plot: the game has no parameter with a declared range to sweep."
        return (None,) * len(c.leaders), (note,) * len(c.leaders)
    from policy.analysis.sweep import batchable

    if not batchable(c.game, method):
        why = (
            "No sweep plot: the game has subgames of imperfect information that the batch solver "
            "does not take, so every point of a sweep needs its own Nash solve, which is too slow for a report"
            if method in ("auto", "spe")
            else f"No sweep plot: method {method} solves point by point, which is too slow for a report"
        )
        hint = f"policy sweep {c.file} --leader LEADER --vary PARAMETER=LOW:HIGH:21"
        note = f"{why}. The distances to a flip above were found on a coarser grid; `{hint}` draws one."
        return (None,) * len(c.leaders), (note,) * len(c.leaders)
    plots: list[Picture | None] = []
    notes: list[str] = []
    for leader, result, search in zip(c.leaders, c.results, c.flips, strict=True):
        if result is None:
            plots.append(None)
            notes.append(f"{leader.name}: no sweep: the game could not be solved at {leader.name}'s values.")
            continue
        if not search.flips:
            plots.append(None)
            notes.append(f"{leader.name}: no parameter changes the equilibrium path within its declared "
                         "range, so there is no sweep to draw.")
            continue
        flip = search.flips[0]
        try:
            svg = _sweep_svg(c, result.parameters, flip.parameter, flip.low, flip.high, leader.name, method)
        except ValueError as err:  # the library's errors (SweepError, GameError, ...) are ValueErrors
            plots.append(None)
            notes.append(f"{leader.name}: the sweep over {flip.parameter} failed: {' '.join(str(err).split())}")
            continue
        caption = (
            f"{leader.name}: each outcome's probability as {flip.parameter} moves over its declared range "
            f"[{flip.low:.4g}, {flip.high:.4g}] ({SWEEP_POINTS} points), every other parameter at "
            f"{leader.name}'s values. {leader.name}'s value is {flip.value:.4g}; the equilibrium path "
            f"first changes at {flip.boundary:.4g}, {100 * flip.share_of_range:.1f}% of the range away."
        )
        plots.append(Picture(leader.key, svg, caption))
        notes.append("")
    return tuple(plots), tuple(notes)


def _sweep_svg(c: GameComparison, base: Any, name: str, low: float, high: float, leader: str,
               method: str = "auto") -> str:
    from policy.analysis.sweep import Vary, grid_samples, run_sweep
    from policy.render.plot import plot_line

    samples = grid_samples(c.game, base, [Vary(name, low, high, SWEEP_POINTS)])
    swept = run_sweep(c.game, samples, method=method, varied=(name,), leader=leader, workers=1)
    with tempfile.TemporaryDirectory(prefix="policy-report-") as tmp:
        out = Path(tmp) / "sweep.svg"
        plot_line(swept, out)
        return out.read_text(encoding="utf-8")


# -- SVG inline --------------------------------------------------------------------------

# The whitespace before an attribute is matched and put back rather than
# looked behind for: the same matches (an attribute ends with a quote, never
# with the whitespace the next one needs), found about twice as fast.
_ID = re.compile(r'(\s)id="([^"]*)"')
_URL_REF = re.compile(r"url\(#([^)]*)\)")
_HREF_REF = re.compile(r'(\s)((?:xlink:)?href)="#([^"]*)"')
_DROPPED = re.compile(r"<!--.*?-->\s*|<metadata>.*?</metadata>\s*", re.S)


def _figure(svg: str, prefix: str, label: str, kind: str, leader: str, caption: str) -> list[str]:
    """An inline SVG (a tree or a sweep plot) with its caption, as HTML lines."""
    return [
        f'<figure class="{kind}" data-leader="{_e(leader)}">',
        inline_svg(svg, prefix, label, kind).rstrip(),
        f"<figcaption>{_e(caption)}</figcaption>",
        "</figure>",
    ]


def inline_svg(svg: str, prefix: str, label: str = "", css_class: str = "") -> str:
    """SVG text ready to sit inside an HTML page beside other SVGs.

    Everything before the ``<svg`` element (XML prolog, doctype) is dropped,
    and so are comments and ``<metadata>``; every ``id`` gets ``prefix`` and
    so does every reference to one (``url(#...)``, ``href="#..."``,
    ``xlink:href="#..."``). ``label`` becomes the picture's ``aria-label``.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ReportError("not an SVG picture: no <svg> element")
    text = _DROPPED.sub("", svg[start:])
    text = _ID.sub(lambda m: f'{m.group(1)}id="{prefix}{m.group(2)}"', text)
    if "url(#" in text:
        text = _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", text)
    if 'href="#' in text:
        text = _HREF_REF.sub(lambda m: f'{m.group(1)}{m.group(2)}="#{prefix}{m.group(3)}"', text)
    extra = ' role="img"'
    if label:
        extra += f' aria-label="{html.escape(label)}"'
    if css_class:
        extra += f' class="{html.escape(css_class)}"'
    return "<svg" + extra + text[len("<svg") :].rstrip() + "\n"


# -- HTML --------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


HOW_TO_READ = (
    "Each game starts with what it models and what it leaves out, and its structure read from the "
    "tree. The comparison table gives, side by side, the decisions each leader's equilibrium "
    "takes, the probability of each outcome and of each outcome fact, and each side's expected "
    "payoff; shaded rows are those where the leaders differ. Numbers are exact fractions "
    "unless marked ~ (a long fraction, rounded). \u201cWhat drives the difference\u201d solves "
    "the first leader again with one of the other's values at a time. \u201cDistance to a "
    "flip\u201d says how far one parameter must move, within its declared range, before a "
    "leader's equilibrium path changes: a small share means the choice rests on a hair. The "
    "trees show each leader's equilibrium: bold edges are taken, grey ones never; every action "
    "carries its probability, decision nodes and payoffs are in each player's colour, and "
    "dashed lines join nodes a player cannot tell apart. The sweep plots (games with perfect "
    "information only) follow each outcome's probability as the parameter nearest to a flip "
    "moves over its range. Last come the assumptions: each parameter's meaning, each "
    "leader's value and range with the leader's reasons, and the claims behind them; "
    "claims marked contested or wrong are disputed, and the reason is given."
)

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1b1b1b; background: #ffffff; line-height: 1.5; max-width: 76rem; margin: 0 auto;
  padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.5rem; margin: 3rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #d0d0d0; }
h3 { font-size: 1.2rem; margin: 2rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1.4rem 0 .3rem; }
p, li { max-width: 52rem; }
a { color: #0b5394; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em;
  background: #f4f4f4; padding: 0 .2em; border-radius: 3px; }
.meta, figcaption, .note, .file { color: #555555; font-size: .92rem; }
.note { border-left: 3px solid #d0d0d0; padding-left: .7rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { text-align: left; vertical-align: top; padding: .25rem .8rem .25rem 0; border-bottom: 1px solid #e4e4e4; }
thead th { border-bottom: 2px solid #9a9a9a; }
tbody th[scope=row] { font-weight: normal; padding-left: 1rem; }
tr.heading th { font-weight: 600; background: #f3f3f3; padding-left: .3rem; }
tr.differs td, tr.differs th[scope=row] { background: #fff6dc; }
td.choice { font-weight: 600; }
table.flips td:nth-child(3) { white-space: nowrap; }
nav.toc ol { padding-left: 1.4rem; }
figure { margin: 1rem 0 1.6rem; }
figure svg { display: block; max-width: 100%; height: auto; }
ul.claims { padding-left: 1.2rem; }
ul.claims li { margin: .3rem 0; }
.status { font-size: .75rem; font-weight: 700; letter-spacing: .04em; text-transform: uppercase;
  padding: .05rem .35rem; border-radius: 3px; }
.status.contested { background: #fff0c2; color: #6b4e00; }
.status.wrong { background: #fbdcd9; color: #8a1c14; }
.status.missing { background: #eeeeee; color: #444444; }
.why, .source { color: #444444; font-size: .88rem; }
article.parameter { margin: 1.2rem 0 1.8rem; }
.chance { color: CHANCE; }
PLAYERS
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  section.game { break-before: page; }
  figure, table, article.parameter { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _css() -> str:
    players = "\n".join(f".p{k} {{ color: {c}; }}" for k, c in enumerate(PALETTE))
    return CSS.replace("CHANCE", CHANCE_COLOUR).replace("PLAYERS", players)


def _player_class(index: int) -> str:
    return f"p{index % len(PALETTE)}"


def report_html(report: Report) -> str:
    """The report as one self-contained HTML5 page (also well-formed XML)."""
    names = " and ".join(leader.name for leader in report.leaders)
    title = f"Leaders compared: {names}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f'<meta name="generator" content="policy {_e(report.version)}"/>',
        f"<title>{_e(title)}</title>",
        f"<style>{_css()}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">Made with policy {_e(report.version)} on '
        f'<time datetime="{_e(report.date)}">{_e(report.date)}</time>'
        + (f" by <code>{_e(report.command)}</code>" if report.command else "")
        + f". {len(report.sections)} game{'s' if len(report.sections) != 1 else ''}, "
        f"{len(report.leaders)} leader{'s' if len(report.leaders) != 1 else ''}.</p>",
        "</header>",
        '<nav class="toc" aria-label="Contents">',
        "<h2>Contents</h2>",
        "<ol>",
        '<li><a href="#how-to-read">How to read this report</a></li>',
        '<li><a href="#leaders">The leaders</a></li>',
    ]
    out += [f'<li><a href="#{s.anchor}">{_e(s.comparison.game.title)}</a></li>' for s in report.sections]
    out += ["</ol>", "</nav>", "<main>"]
    out += ['<section id="how-to-read">', "<h2>How to read this report</h2>", f"<p>{_e(HOW_TO_READ)}</p>",
            "</section>"]
    out += _leaders_html(report)
    for s in report.sections:
        out += _section_html(s)
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _leaders_html(report: Report) -> list[str]:
    out = ['<section id="leaders">', "<h2>The leaders</h2>", "<dl>"]
    cited = dict(report.sections[0].explanation.leader_claims) if report.sections else {}
    for leader in report.leaders:
        out.append(f"<dt><strong>{_e(leader.name)}</strong> <code>{_e(leader.key)}</code></dt>")
        body = f"<p>{_e(' '.join(leader.description.split()))}</p>" if leader.description else ""
        claims = cited.get(leader.key, ())
        if claims:
            body += "<p>The profile as a whole cites:</p>" + _claims_html(claims)
        out.append(f"<dd>{body}</dd>")
    out += ["</dl>", "</section>"]
    return out


def _claim_origin(claim: Claim) -> str:
    if claim.kind == "thread":
        return f"thread, post {claim.post}" + (f", {claim.author}" if claim.author else "")
    return claim.source or "external"


def _claims_html(claims: Iterable[CitedClaim]) -> str:
    items = []
    for c in claims:
        if c.claim is None:
            items.append(f'<li><code>{_e(c.id)}</code> <span class="status missing">not in the catalogue</span></li>')
            continue
        mark = "" if not c.disputed else f' <span class="status {_e(c.claim.status)}">{_e(c.claim.status)}</span>'
        text = f"<code>{_e(c.id)}</code>{mark}: {_e(c.claim.summary)}"
        text += f' <span class="source">({_e(_claim_origin(c.claim))})</span>'
        if c.disputed and c.claim.why:
            text += f'<br/><span class="why">Why disputed: {_e(" ".join(c.claim.why.split()))}</span>'
        items.append(f"<li>{text}</li>")
    return '<ul class="claims">' + "".join(items) + "</ul>"


def _nested_list(lines: Sequence[str]) -> str:
    """Lines indented by two spaces per level as nested ``<ul>`` lists."""
    out: list[str] = []
    depth = -1
    for line in lines:
        level = min((len(line) - len(line.lstrip(" "))) // 2, depth + 1)
        if level == depth + 1:
            out.append("<ul>")
        else:
            while depth > level:
                out.append("</li></ul>")
                depth -= 1
            out.append("</li>")
        out.append(f"<li>{_e(line.strip())}")
        depth = level
    out += ["</li></ul>"] * (depth + 1)
    return "".join(out)


def _section_html(s: GameSection) -> list[str]:
    c, e = s.comparison, s.explanation
    out = [f'<section class="game" id="{s.anchor}">', f"<h2>{_e(c.game.title)}</h2>",
           f'<p class="file"><code>{_e(c.file)}</code></p>']
    if e.description:
        out.append("<h3>What the game models</h3>")
        out += [f"<p>{_e(p)}</p>" for p in paragraphs(e.description)]
    if e.left_out:
        out.append("<h3>Left out</h3>")
        out += [f"<p>{_e(p)}</p>" for p in paragraphs(e.left_out)]
    names = {leader.key: leader.name for leader in c.leaders}
    out += ["<h3>Structure</h3>", _nested_list(describe(e.structure, names))]
    if e.game_claims:
        out += ["<h4>Claims behind the game</h4>", _claims_html(e.game_claims)]
    out += ["<h3>The leaders compared</h3>", _compare_html(c)]
    out += _swaps_html(c)
    out += _flips_html(c)
    where = instance_rows(c)
    if where:
        out += [f"<h4>{_e(WHERE_TITLE)}</h4>", f"<p>{_e(' '.join(WHERE_NOTE.split()))}</p>",
                _simple_table(("instance", "played after, in the state (where it differs from the start)"), where,
                              "instances")]
    notes = []
    for k, (leader, r) in enumerate(zip(c.leaders, c.results, strict=True)):
        if r is None:
            notes.append(f"{leader.name}: cannot solve: {c.failure(k)}")
            continue
        mode = "exact" if r.exact else "float"
        notes.append(f"{leader.name}: method {r.method} ({mode}), max regret {fmt(r.equilibria[0].max_regret)}")
        notes += [f"{leader.name}: {w}" for w in r.warnings]
    out.append('<ul class="meta">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    out.append("<h3>The trees</h3>")
    for k, t in enumerate(s.trees):
        label = f"Game tree of {c.game.title} under {c.leaders[k].name}"
        out += _figure(t.svg, f"{s.anchor}-{k}-{_slug(t.leader)}-tree-", label, "tree", t.leader, t.caption)
    out.append("<h3>Sweeps</h3>")
    for k, (plot, note) in enumerate(zip(s.sweeps, s.sweep_notes, strict=True)):
        if plot is not None:
            label = f"Outcome probabilities of {c.game.title} under {c.leaders[k].name}"
            prefix = f"{s.anchor}-{k}-{_slug(plot.leader)}-sweep-"
            out += _figure(plot.svg, prefix, label, "sweep", plot.leader, plot.caption)
        if note and (k == 0 or note != s.sweep_notes[0]):
            out.append(f'<p class="note">{_code_spans(note)}</p>')
    out += _parameters_html(s)
    out.append("</section>")
    return out


def _code_spans(text: str) -> str:
    """Escaped text with `backquoted` parts as ``<code>``."""
    parts = text.split("`")
    return "".join(f"<code>{_e(p)}</code>" if k % 2 else _e(p) for k, p in enumerate(parts))


def _compare_html(c: GameComparison) -> str:
    names = [leader.name for leader in c.leaders]
    movers = {f"{s.player.label}: {s.name}": s.player.index for s in c.game.infosets.values()}
    players = {p: k for k, p in enumerate(c.game.players)}
    head = "".join(f'<th scope="col">{_e(n)}</th>' for n in names)
    out = [f'<table class="compare"><thead><tr><th scope="col"></th>{head}</tr></thead>']
    section = ""
    body: list[str] = []

    def close() -> None:
        if body:
            out.append("<tbody>" + "".join(body) + "</tbody>")
            body.clear()

    for label, cells in compare_rows(c):
        if not cells:
            close()
            section = label
            body.append(f'<tr class="heading"><th scope="colgroup" colspan="{len(names) + 1}">{_e(label)}</th></tr>')
            continue
        differs = len(set(cells)) > 1
        row_class = ' class="differs"' if differs else ""
        if section == SECTION_DECISIONS and label in movers:
            k = movers[label]
            who, rest = label.split(":", 1)
            head_cell = f'<span class="{_player_class(k)}">{_e(who)}</span>:{_e(rest)}'
            tds = "".join(
                f'<td class="choice {_player_class(k)}">{_e(x)}</td>' if x != "-" else "<td>-</td>" for x in cells
            )
        elif section == SECTION_PAYOFFS and label in players:
            head_cell = f'<span class="{_player_class(players[label])}">{_e(label)}</span>'
            tds = "".join(f"<td>{_e(x)}</td>" for x in cells)
        else:
            head_cell = _e(label)
            tds = "".join(f"<td>{_e(x)}</td>" for x in cells)
        body.append(f'<tr{row_class}><th scope="row">{head_cell}</th>{tds}</tr>')
    close()
    out.append("</table>")
    return "".join(out)


def _simple_table(columns: Sequence[str], rows: Iterable[Sequence[str]], css_class: str) -> str:
    head = "".join(f'<th scope="col">{_e(col)}</th>' for col in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _swaps_html(c: GameComparison) -> list[str]:
    out = []
    for title, rows, note in swap_rows(c):
        out += ["<h4>What drives the difference</h4>", f"<p>{_e(title)}:</p>",
                _simple_table(("parameter", "value", "equilibrium path"), rows, "swaps")]
        if note:
            out.append(f"<p>{_e(note)}</p>")
    return out


def _flips_html(c: GameComparison) -> list[str]:
    rows = flip_rows(c)
    if not rows and not any(search.skipped for search in c.flips):
        return []
    out = [f"<h4>{_e(FLIP_TITLE)}</h4>", f"<p>{_e(flip_note(c))}</p>"]
    if rows:
        out.append(_simple_table(FLIP_COLUMNS, rows, "flips"))
    extra = []
    for leader, search in zip(c.leaders, c.flips, strict=True):
        if search.skipped:
            extra.append(f"{leader.name}: distances to a flip {search.skipped}")
        if search.stable:
            extra.append(f"{leader.name}: the path stays the same over the whole range of "
                         + ", ".join(search.stable) + ".")
        for name, why in search.failed.items():
            extra.append(f"{leader.name}: {name} could not be searched: {why}")
    if extra:
        out.append('<ul class="meta">' + "".join(f"<li>{_e(x)}</li>" for x in extra) + "</ul>")
    return out


def _value_cells(p: ParameterView) -> list[tuple[str, str, str, str, str]]:
    """Per leader: name, value, range, note, sources (plain text)."""
    rows = []
    for v in p.values:
        if v.given == "leader":
            rows.append((v.name, show_value(v.value), show_range(v.range) if v.range else "-",
                         " ".join(v.note.split()), ", ".join(v.sources)))
        elif v.given == "default":
            rows.append((v.name, show_value(v.value), "-", "not set by the profile: the game's default", ""))
        else:
            rows.append((v.name, "-", "-", "neither the profile nor the game gives a value", ""))
    return rows


def _parameters_html(s: GameSection) -> list[str]:
    e = s.explanation
    if not e.parameters:
        return ["<h3>Parameters</h3>", "<p>None: every payoff and probability is a number.</p>"]
    out = ["<h3>Parameters and the claims behind them</h3>"]
    for p in e.parameters:
        out.append(f'<article class="parameter" id="{s.anchor}-param-{_slug(p.name)}">')
        unused = "" if p.used else " <small>(used by no payoff or probability)</small>"
        out.append(f"<h4><code>{_e(p.name)}</code>{unused}</h4>")
        if p.description:
            out.append(f"<p>{_e(' '.join(p.description.split()))}</p>")
        out.append(f'<p class="meta">Range {_e(show_range(p.range))}, default {_e(show_value(p.default))}.</p>')
        if p.values:
            out.append(_simple_table(("leader", "value", "leader's range", "why", "sources"), _value_cells(p),
                                     "values"))
        if p.claims:
            out += ["<p>Claims behind it:</p>", _claims_html(p.claims)]
        out.append("</article>")
    return out


# -- Markdown ----------------------------------------------------------------------------


def _mdt(text: str) -> str:
    """Text from a file for Markdown: markup characters of HTML escaped, whitespace joined."""
    return html.escape(" ".join(text.split()), quote=False)


def _cell(text: str) -> str:
    return markdown_cell(_mdt(text))


def _pictures(report: Report, stem: str) -> list[tuple[str, str, tuple[str, int, str]]]:
    """``(file name, SVG, (section anchor, leader position, "tree" or "sweep"))`` per picture."""
    taken: set[str] = set()
    out = []

    def unique(base: str) -> str:
        name, k = f"{base}.svg", 2
        while name in taken:
            name, k = f"{base}_{k}.svg", k + 1
        taken.add(name)
        return name

    for s in report.sections:
        for k, t in enumerate(s.trees):
            out.append((unique(f"{_slug(stem)}_{_slug(s.stem)}_{_slug(t.leader)}"), t.svg, (s.anchor, k, "tree")))
        for k, plot in enumerate(s.sweeps):
            if plot is not None:
                base = f"{_slug(stem)}_{_slug(s.stem)}_{_slug(plot.leader)}_sweep"
                out.append((unique(base), plot.svg, (s.anchor, k, "sweep")))
    return out


def report_markdown(report: Report, stem: str) -> tuple[str, dict[str, str]]:
    """The report as Markdown, and the SVG pictures it links to (file name -> SVG text).

    Trees are named ``<stem>_<game>_<leader>.svg`` and sweeps
    ``<stem>_<game>_<leader>_sweep.svg`` (a name already taken gets ``_2``,
    ``_3``, ...). The links are relative: the pictures belong in the Markdown
    file's directory.
    """
    pictures = _pictures(report, stem)
    where = {key: name for name, _, key in pictures}
    names = " and ".join(leader.name for leader in report.leaders)
    made = f"Made with policy {report.version} on {report.date}"
    made += f" by `{report.command}`." if report.command else "."
    out = [f"# Leaders compared: {_mdt(names)}", "", made, "", "## How to read this report", "", HOW_TO_READ, "",
           "Trees and sweep plots are separate SVG files next to this one, linked below.", "",
           "Games:", ""]
    out += [f"- {_mdt(s.comparison.game.title)}" for s in report.sections]
    out += ["", "## The leaders", ""]
    cited = dict(report.sections[0].explanation.leader_claims) if report.sections else {}
    for leader in report.leaders:
        line = f"- **{_mdt(leader.name)}** (`{leader.key}`)"
        if leader.description:
            line += f": {_mdt(leader.description)}"
        ids = [c.id for c in cited.get(leader.key, ())]
        if ids:
            line += " Cites " + ", ".join(f"`{i}`" for i in ids) + "."
        out.append(line)
    for s in report.sections:
        out += ["", *_section_markdown(s, where)]
    return "\n".join(out).rstrip() + "\n", {name: svg for name, svg, _ in pictures}


def _section_markdown(s: GameSection, where: dict[tuple[str, int, str], str]) -> list[str]:
    c, e = s.comparison, s.explanation
    out = [f"## {_mdt(c.game.title)}", "", f"`{c.file}`", ""]
    for para in paragraphs(e.description):
        out += [_mdt(para), ""]
    if e.left_out:
        out += ["**Left out.** " + " ".join(_mdt(para) for para in paragraphs(e.left_out)), ""]
    names = {leader.key: leader.name for leader in c.leaders}
    out += ["### Structure", ""]
    for line in describe(e.structure, names):
        depth = (len(line) - len(line.lstrip(" "))) // 2
        out.append("  " * depth + "- " + _mdt(line))
    out += ["", "### The leaders compared", ""]
    table = compare_table([c], markdown=True)
    head = f"### {c.game.title}\n\n`{c.file}`\n\n"
    out.append(table[len(head):] if table.startswith(head) else table)
    out += ["### The trees", ""]
    for k, t in enumerate(s.trees):
        name = where[(s.anchor, k, "tree")]
        out += [f"![{_mdt(c.game.title)} under {_mdt(c.leaders[k].name)}]({name})", "", f"*{_mdt(t.caption)}*", ""]
    out += ["### Sweeps", ""]
    for k, (plot, note) in enumerate(zip(s.sweeps, s.sweep_notes, strict=True)):
        if plot is not None:
            name = where[(s.anchor, k, "sweep")]
            out += [f"![Outcome probabilities under {_mdt(c.leaders[k].name)}]({name})", "",
                    f"*{_mdt(plot.caption)}*", ""]
        if note and (k == 0 or note != s.sweep_notes[0]):
            out += [note, ""]
    if not e.parameters:
        return [*out, "### Parameters", "", "None: every payoff and probability is a number.", ""]
    out += ["### Parameters and the claims behind them", ""]
    for p in e.parameters:
        unused = "" if p.used else " (used by no payoff or probability)"
        out += [f"#### `{p.name}`{unused}", ""]
        if p.description:
            out += [_mdt(p.description), ""]
        out += [f"Range {show_range(p.range)}, default {show_value(p.default)}.", ""]
        if p.values:
            out += ["| leader | value | leader's range | why | sources |", "|---|---|---|---|---|"]
            out += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in _value_cells(p)]
            out.append("")
        if p.claims:
            out += ["Claims behind it:", ""]
            out += [f"- {_claim_markdown(cc)}" for cc in p.claims]
            out.append("")
    return out


def _claim_markdown(c: CitedClaim) -> str:
    if c.claim is None:
        return f"`{c.id}` (not in the catalogue)"
    mark = f" **{c.claim.status.upper()}**" if c.disputed else ""
    text = f"`{c.id}`{mark}: {_mdt(c.claim.summary)} ({_mdt(_claim_origin(c.claim))})"
    if c.disputed and c.claim.why:
        text += f" Why disputed: {_mdt(c.claim.why)}"
    return text


# -- writing -----------------------------------------------------------------------------


def write_report(report: Report, out: str | Path, fmt: str = "html") -> list[Path]:
    """Write the report to ``out``; Markdown also writes its pictures beside it.

    Every file is prepared first and only then are all put in place (see
    :mod:`policy.output`), so a failure in any of them leaves the old files
    as they were. Returns the files written, ``out`` last.

    Raises
    ------
    ReportError
        For an unknown format.
    policy.output.OutputError
        When a file cannot be written, naming it.
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    out = Path(out)
    check_output(out, fmt)
    with Outputs() as outputs:
        if fmt == "html":
            outputs.write(out, report_html(report))
        else:
            text, pictures = report_markdown(report, out.stem)
            for name, svg in pictures.items():
                outputs.write(out.parent / name, svg)
            outputs.write(out, text)
        return outputs.commit()
