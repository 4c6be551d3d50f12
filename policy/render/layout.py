"""Game trees drawn without Graphviz: a tidy tree layout in Python, written as SVG or PNG.

:mod:`policy.render.tree` hands DOT text to Graphviz's ``dot`` program when
it is installed; on a machine without it, :func:`draw` lays out the same
:class:`~policy.render.tree.TreeView` here, so ``policy render`` and
``policy report`` still work after a plain ``pip install``.

The layout is the tidy drawing of Reingold and Tilford (1981, "Tidier drawings
of trees", IEEE Trans. Software Eng. SE-7(2)), with Walker's (1990) extension
to nodes of different widths, in its simplest form: every node sits on the
row of its depth; each subtree is laid out on its own and summarised by its
contour (the leftmost and rightmost extent of each of its rows); siblings'
subtrees are pushed, left to right, as close together as their contours
allow; and a parent is centred above its first and last child. A game tree
drawn this way has no crossing edges, identical subtrees look identical, and
the drawing is no wider than the contours demand. The work per node is
proportional to the depth of its subtree, so trees of the 1,500 nodes that
:data:`policy.render.tree.MAX_DRAWN_NODES` allows take milliseconds.

The drawing follows the ``dot`` one: players' colours, chance diamonds,
terminal boxes with payoffs, the equilibrium path bold and unchosen actions
grey, information sets as dashed lines joining their members, and the
legend on top. Its SVG has the same structure as ``dot``'s: one
``<g class="node" id="node-NAME">`` per node and one ``<g class="edge">``
per edge (``edge-NAME``) and per information-set line (``infoset-NAME-K``),
so the report's code and tests read both alike. PNG goes through matplotlib
(its Agg canvas, without pyplot).
"""

from __future__ import annotations

import html
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from policy.render.tree import (
    CHANCE_COLOUR,
    LABEL_WIDTH,
    NOTE_COLOUR,
    UNCHOSEN_COLOUR,
    RenderError,
    TreeView,
    ViewEdge,
    ViewNode,
    player_colour,
    tint,
)

#: Font sizes (pixels) of node text, secondary notes, edge labels and the title.
FONT, SMALL, EDGE_FONT, TITLE_FONT = 10.0, 8.0, 9.0, 14.0
#: Average width of a character, as a share of the font size (Helvetica is about 0.55).
CHAR_WIDTH = 0.6
#: Height of a line of node text.
LINE = 12.5
#: Horizontal space between neighbouring subtrees, and vertical space between rows.
GAP, ROW_GAP = 18.0, 56.0
#: Padding inside a node's shape, and the drawing's margin.
PAD, MARGIN = 8.0, 12.0
#: Fonts in the SVG.
FAMILY = "Helvetica,Arial,sans-serif"
#: PNG resolution, the largest side and the largest area of a PNG in pixels (larger
#: trees are drawn at a lower resolution), and the smallest text drawn, in pixels.
PNG_DPI, PNG_MAX_PIXELS, PNG_MAX_AREA, PNG_MIN_TEXT = 100.0, 32000.0, 40e6, 4.0


@dataclass(frozen=True)
class Span:
    """A piece of text in one style; a line of a node's label is a tuple of spans."""

    text: str
    size: float = FONT
    bold: bool = False
    italic: bool = False
    colour: str = "#000000"


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Box:
    """A laid-out node: its centre, size, shape and label lines."""

    node: ViewNode
    x: float
    y: float
    width: float
    height: float
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Layout:
    """Where everything goes: node boxes by key, the legend's lines, and the picture's size."""

    boxes: dict[str, Box]
    legend: tuple[Line, ...]
    width: float
    height: float


def text_width(spans: Sequence[Span]) -> float:
    """An estimate of the drawn width of a line (no font metrics are at hand)."""
    return sum(len(s.text) * s.size * (CHAR_WIDTH + (0.05 if s.bold else 0.0)) for s in spans)


def _payoff_line(payoffs: Sequence[str], prefix: str = "") -> Line:
    spans = [Span(prefix + "(")]
    for k, p in enumerate(payoffs):
        if k:
            spans.append(Span(", "))
        spans.append(Span(p, colour=player_colour(k)))
    spans.append(Span(")"))
    return tuple(spans)


def node_lines(node: ViewNode) -> tuple[Line, ...]:
    """The label of a node, line by line, as the DOT drawing has it."""
    from policy.render.tree import show

    note = (Span(node.name, SMALL, colour=NOTE_COLOUR),)
    lines: list[Line] = []
    if node.kind == "decision":
        lines += [(Span(node.title, bold=True),), note]
        if node.belief is not None:
            lines.append((Span(f"belief {node.belief}", SMALL),))
        if getattr(node, "unreached", False):
            lines.append((Span("unreached", SMALL, italic=True),))
    elif node.kind == "chance":
        lines += [(Span("chance", italic=True),), note]
    elif node.kind == "terminal":
        lines += [(Span(part, bold=True),) for part in textwrap.wrap(node.title, LABEL_WIDTH) or [""]]
        if node.title != node.name:
            lines.append(note)
        lines.append(_payoff_line(node.payoffs))
        if node.reached and node.reach is not None:
            lines.append((Span(f"reached {show(node.reach)}", SMALL),))
    else:
        outcomes = "outcome" if node.hidden_outcomes == 1 else "outcomes"
        lines.append((Span(f"{node.hidden_nodes} more nodes, {node.hidden_outcomes} {outcomes}", italic=True),))
        if node.reach is not None:
            lines.append((Span(f"reached {show(node.reach)}"),))
        if node.expected:
            lines.append(_payoff_line(node.expected, "expected "))
    return tuple(lines)


def _size(node: ViewNode, lines: Sequence[Line]) -> tuple[float, float]:
    width = max(text_width(line) for line in lines) + 2 * PAD
    height = len(lines) * LINE + 2 * PAD
    if node.kind == "decision":  # an ellipse holds the text's box when about 1.3 times as large
        return width * 1.3, height * 1.2
    if node.kind == "chance":  # a diamond needs twice the box
        return width * 1.6, height * 1.5
    return width, height


def legend_lines(view: TreeView) -> tuple[Line, ...]:
    """The legend above the tree, as the DOT drawing's graph label has it."""
    players: list[Span] = [Span("players: ")]
    for k, p in enumerate(view.players):
        players += [Span(p, bold=True, colour=player_colour(k)), Span("   ")]
    players.append(Span("chance", colour=CHANCE_COLOUR))
    lines: list[Line] = [
        (Span(view.title, TITLE_FONT, bold=True),),
        (Span(view.caption),),
        tuple(players),
        (Span(f"payoffs: ({', '.join(view.players)})"),),
    ]
    if view.solved:
        lines.append((Span("bold: the equilibrium path; grey: actions never taken"),))
        if any(getattr(n, "unreached", False) for n in view.nodes):
            lines.append((Span("unreached: a set the equilibrium never reaches; nothing justifies a choice there"),))
    if view.infosets:
        lines.append((Span("dashed: nodes of one information set"),))
    if view.collapsed_note is not None:
        lines.append((Span(view.collapsed_note),))
    return tuple(lines)


def layout(view: TreeView) -> Layout:
    """Place every node of ``view`` (see the module's docstring for the method).

    Raises
    ------
    RenderError
        When the edges do not make one tree (they always do for a view made by
        :func:`policy.render.tree.tree_view`).
    """
    nodes = {n.key: n for n in view.nodes}
    children: dict[str, list[str]] = {k: [] for k in nodes}
    parent: dict[str, ViewEdge] = {}
    for e in view.edges:
        children[e.tail].append(e.head)
        parent[e.head] = e
    roots = [k for k in nodes if k not in parent]
    if len(roots) != 1:
        raise RenderError(f"cannot lay out the tree of {view.title!r}: {len(roots)} roots")
    root = roots[0]

    order = [root]
    row = {root: 0}
    for key in order:  # breadth first; the list grows as it is read
        for c in children[key]:
            row[c] = row[key] + 1
            order.append(c)
    if len(order) != len(nodes):
        raise RenderError(f"cannot lay out the tree of {view.title!r}: some nodes are not below the root")

    lines = {k: node_lines(nodes[k]) for k in order}
    size = {k: _size(nodes[k], lines[k]) for k in order}
    # The space a node takes in its row: its shape, or the label of the edge into it if wider.
    span = {
        k: max(size[k][0], text_width([Span(parent[k].label, EDGE_FONT)]) + 6 if k in parent else 0.0)
        for k in order
    }

    # Bottom up: each subtree's contour, relative to its root's centre, and each
    # child's offset from its parent.
    contour: dict[str, list[tuple[float, float]]] = {}
    offset: dict[str, float] = {}
    for key in reversed(order):
        half = span[key] / 2
        kids = children[key]
        if not kids:
            contour[key] = [(-half, half)]
            continue
        merged: list[tuple[float, float]] = []
        shifts: list[float] = []
        for c in kids:
            sub = contour.pop(c)
            shift = 0.0
            if merged:
                shift = max(merged[d][1] - sub[d][0] + GAP for d in range(min(len(merged), len(sub))))
            for d, (lo, hi) in enumerate(sub):
                if d < len(merged):
                    merged[d] = (min(merged[d][0], lo + shift), max(merged[d][1], hi + shift))
                else:
                    merged.append((lo + shift, hi + shift))
            shifts.append(shift)
        middle = (shifts[0] + shifts[-1]) / 2
        for c, s in zip(kids, shifts, strict=True):
            offset[c] = s - middle
        contour[key] = [(-half, half)] + [(lo - middle, hi - middle) for lo, hi in merged]

    x = {root: 0.0}
    for key in order[1:]:
        x[key] = x[parent[key].tail] + offset[key]
    left = min(lo for lo, _ in contour[root])
    right = max(hi for _, hi in contour[root])

    legend = legend_lines(view)
    legend_height = len(legend) * (LINE + 2) + TITLE_FONT - FONT + MARGIN
    rows = max(row.values()) + 1
    heights = [0.0] * rows
    for k in order:
        heights[row[k]] = max(heights[row[k]], size[k][1])
    tops = [MARGIN + legend_height]
    for h in heights[:-1]:
        tops.append(tops[-1] + h + ROW_GAP)
    boxes = {
        k: Box(nodes[k], x[k] - left + MARGIN, tops[row[k]] + heights[row[k]] / 2, size[k][0], size[k][1], lines[k])
        for k in order
    }
    width = max(right - left, max(text_width(line) for line in legend)) + 2 * MARGIN
    height = tops[-1] + heights[-1] + MARGIN
    return Layout(boxes, legend, width, height)


# -- SVG ------------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _stroke_width(width: float) -> str:
    """The stroke-width attribute, left out at SVG's default of 1 (as ``dot`` does)."""
    return "" if width == 1 else f' stroke-width="{_num(width)}"'


def _text_svg(line: Line, x: float, y: float, anchor: str = "middle") -> str:
    parts = []
    for s in line:
        style = [f'font-size="{_num(s.size)}"', f'fill="{s.colour.lower()}"']
        if s.bold:
            style.append('font-weight="bold"')
        if s.italic:
            style.append('font-style="italic"')
        parts.append(f"<tspan {' '.join(style)}>{_e(s.text)}</tspan>")
    return (f'<text text-anchor="{anchor}" x="{_num(x)}" y="{_num(y)}" font-family="{FAMILY}">'
            + "".join(parts) + "</text>")


def _label_svg(box: Box) -> list[str]:
    top = box.y - len(box.lines) * LINE / 2
    return [_text_svg(line, box.x, top + (k + 0.78) * LINE) for k, line in enumerate(box.lines)]


def _shape_svg(box: Box) -> str:
    node = box.node
    width = 2.5 if node.reached and node.kind != "collapsed" else 1.0
    x, y, w, h = box.x, box.y, box.width, box.height
    if node.kind == "decision":
        colour = player_colour(node.player)
        return (f'<ellipse cx="{_num(x)}" cy="{_num(y)}" rx="{_num(w / 2)}" ry="{_num(h / 2)}" '
                f'fill="{tint(colour).lower()}" stroke="{colour.lower()}" stroke-width="{_num(width)}"/>')
    if node.kind == "chance":
        points = f"{_num(x)},{_num(y - h / 2)} {_num(x + w / 2)},{_num(y)} {_num(x)},{_num(y + h / 2)} {_num(x - w / 2)},{_num(y)}"
        return f'<polygon points="{points}" fill="#eeeeee" stroke="{CHANCE_COLOUR.lower()}" stroke-width="{_num(width)}"/>'
    if node.kind == "terminal":
        fill = "#fff8e1" if node.reached else "#ffffff"
        return (f'<rect x="{_num(x - w / 2)}" y="{_num(y - h / 2)}" width="{_num(w)}" height="{_num(h)}" rx="6" '
                f'fill="{fill}" stroke="#333333" stroke-width="{_num(width)}"/>')
    return (f'<rect x="{_num(x - w / 2)}" y="{_num(y - h / 2)}" width="{_num(w)}" height="{_num(h)}" rx="6" '
            f'fill="none" stroke="#666666" stroke-dasharray="5,2"/>')


def _edge_style(edge: ViewEdge) -> tuple[str, float, bool]:
    """Colour, width and boldness of an edge's line and label, as the DOT drawing has them."""
    colour = player_colour(edge.player) if edge.chosen else UNCHOSEN_COLOUR
    if edge.on_path:
        return colour, 3.0, True
    if edge.player >= 0 and not edge.chosen:
        return colour, 1.0, False
    return colour, 1.3, False


def _edge_ends(tail: Box, head: Box) -> tuple[float, float, float, float]:
    return tail.x, tail.y + tail.height / 2, head.x, head.y - head.height / 2


def _arrow(x1: float, y1: float, x2: float, y2: float, size: float = 6.0) -> list[tuple[float, float]]:
    """The three corners of an arrowhead ending at (x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / length, dy / length
    bx, by = x2 - ux * size, y2 - uy * size
    return [(x2, y2), (bx - uy * size * 0.45, by + ux * size * 0.45), (bx + uy * size * 0.45, by - ux * size * 0.45)]


def _infoset_path(a: Box, b: Box, between: bool) -> tuple[float, float, float, float, float, float]:
    """A dashed link from ``a`` to ``b``: start, control point and end of a quadratic curve.

    Members side by side on one row are joined straight across; when other
    nodes lie between them the line bows below the row, clear of them.
    """
    if abs(a.y - b.y) < 1e-6:
        left, right = (a, b) if a.x <= b.x else (b, a)
        x1, x2 = left.x + left.width / 2, right.x - right.width / 2
        dip = (max(left.height, right.height) / 2 + ROW_GAP / 3) if between else 0.0
        y = left.y
        return x1, y, (x1 + x2) / 2, y + 2 * dip, x2, y
    return a.x, a.y + a.height / 2, (a.x + b.x) / 2, (a.y + b.y) / 2, b.x, b.y - b.height / 2


def _between(a: Box, b: Box, boxes: dict[str, Box]) -> bool:
    lo, hi = sorted((a.x, b.x))
    return any(abs(o.y - a.y) < 1e-6 and lo < o.x < hi for o in boxes.values())


def tree_svg(view: TreeView) -> str:
    """The tree of ``view`` as SVG text, laid out by :func:`layout`."""
    placed = layout(view)
    boxes = placed.boxes
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(placed.width)}pt" height="{_num(placed.height)}pt" '
        f'viewBox="0 0 {_num(placed.width)} {_num(placed.height)}">',
        '<g id="graph0" class="graph">',
        f"<title>{_e(view.title)}</title>",
        f'<rect x="0" y="0" width="{_num(placed.width)}" height="{_num(placed.height)}" fill="#ffffff"/>',
    ]
    y = MARGIN
    for k, line in enumerate(placed.legend):
        y += (TITLE_FONT if k == 0 else LINE + 2)
        out.append(_text_svg(line, MARGIN, y, anchor="start"))
    names = {n.key: n.name for n in view.nodes}
    for e in view.edges:
        tail, head = boxes[e.tail], boxes[e.head]
        colour, width, bold = _edge_style(e)
        x1, y1, x2, y2 = _edge_ends(tail, head)
        ident = f"edge-{names[e.head]}" if e.head.startswith("n") else f"edge-collapsed-{names[e.head]}"
        arrow = " ".join(f"{_num(px)},{_num(py)}" for px, py in _arrow(x1, y1, x2, y2))
        label = Span(e.label, EDGE_FONT, bold=bold, colour=colour)
        lx, ly = x1 + 0.6 * (x2 - x1), y1 + 0.6 * (y2 - y1)
        anchor = "start" if x2 >= x1 else "end"
        out += [
            f'<g id="{_e(ident)}" class="edge">',
            f"<title>{_e(e.tail)}&#45;&gt;{_e(e.head)}</title>",
            f'<path fill="none" stroke="{colour.lower()}"{_stroke_width(width)} '
            f'd="M{_num(x1)},{_num(y1)} L{_num(x2)},{_num(y2)}"/>',
            f'<polygon fill="{colour.lower()}" stroke="{colour.lower()}"{_stroke_width(width)} points="{arrow}"/>',
            _text_svg((label,), lx + (4 if anchor == "start" else -4), ly, anchor=anchor),
            "</g>",
        ]
    for s in view.infosets:
        colour = player_colour(s.player).lower()
        for k, (a, b) in enumerate(zip(s.members, s.members[1:], strict=False)):
            x1, y1, cx, cy, x2, y2 = _infoset_path(boxes[a], boxes[b], _between(boxes[a], boxes[b], boxes))
            mid_x, mid_y = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
            out += [
                f'<g id="{_e(f"infoset-{s.name}-{k}")}" class="edge">',
                f"<title>{_e(a)}&#45;&#45;{_e(b)}</title>",
                f'<path fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="5,2" '
                f'd="M{_num(x1)},{_num(y1)} Q{_num(cx)},{_num(cy)} {_num(x2)},{_num(y2)}"/>',
                _text_svg((Span(s.name, EDGE_FONT, colour=colour),), mid_x, mid_y - 3),
                "</g>",
            ]
    for key, box in boxes.items():
        node = box.node
        ident = f"node-{node.name}" if node.kind != "collapsed" else f"collapsed-{node.name}"
        out += [f'<g id="{_e(ident)}" class="node">', f"<title>{_e(key)}</title>", _shape_svg(box),
                *_label_svg(box), "</g>"]
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


# -- PNG ------------------------------------------------------------------------------------


def tree_png(view: TreeView) -> bytes:
    """The tree of ``view`` as a PNG image, drawn with matplotlib from :func:`layout`.

    One unit of the layout is a point (1/72 inch), as in the SVG, at
    :data:`PNG_DPI`; a tree too large for :data:`PNG_MAX_PIXELS` on a side or
    :data:`PNG_MAX_AREA` in all is drawn at a lower resolution, and text that
    would be smaller than :data:`PNG_MIN_TEXT` pixels is left out. Shapes and
    lines go to matplotlib as collections, one draw call each.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyBboxPatch, Patch, PathPatch, Polygon
    from matplotlib.path import Path as MplPath

    placed = layout(view)
    boxes = placed.boxes
    inches = (placed.width / 72, placed.height / 72)
    dpi = PNG_DPI * min(1.0, PNG_MAX_PIXELS / (max(inches) * PNG_DPI),
                        (PNG_MAX_AREA / (inches[0] * inches[1] * PNG_DPI**2)) ** 0.5)
    fig = Figure(figsize=inches, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, placed.width)
    ax.set_ylim(placed.height, 0)
    ax.axis("off")
    readable = SMALL * dpi / 72 >= PNG_MIN_TEXT

    def text(line: Line, x: float, y: float, ha: str = "center") -> None:
        if not readable:
            return
        total = text_width(line)
        start = x - total / 2 if ha == "center" else x if ha == "left" else x - total
        styles = {(s.size, s.bold, s.italic, s.colour) for s in line}
        # A line in one style is one text; spans in different styles (payoffs
        # in the players' colours) are drawn one after another.
        pieces = [Span("".join(s.text for s in line), *styles.pop())] if len(styles) == 1 else list(line)
        for s in pieces:
            ax.text(start, y, s.text, fontsize=s.size, color=s.colour, ha="left", va="baseline",
                    fontweight="bold" if s.bold else "normal", fontstyle="italic" if s.italic else "normal")
            start += text_width([s])

    y = MARGIN
    for k, line in enumerate(placed.legend):
        y += TITLE_FONT if k == 0 else LINE + 2
        text(line, MARGIN, y, "left")
    segments: list[list[tuple[float, float]]] = []
    heads: list[list[tuple[float, float]]] = []
    colours: list[str] = []
    widths: list[float] = []
    for e in view.edges:
        colour, width, bold = _edge_style(e)
        x1, y1, x2, y2 = _edge_ends(boxes[e.tail], boxes[e.head])
        segments.append([(x1, y1), (x2, y2)])
        heads.append(_arrow(x1, y1, x2, y2))
        colours.append(colour)
        widths.append(width * 0.75)
        text((Span(e.label, EDGE_FONT, bold=bold, colour=colour),), x1 + 0.6 * (x2 - x1) + (4 if x2 >= x1 else -4),
             y1 + 0.6 * (y2 - y1), "left" if x2 >= x1 else "right")
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths))
    ax.add_collection(PolyCollection(heads, facecolors=colours, edgecolors=colours, linewidths=0.5))
    for s in view.infosets:
        colour = player_colour(s.player)
        for a, b in zip(s.members, s.members[1:], strict=False):
            x1, y1, cx, cy, x2, y2 = _infoset_path(boxes[a], boxes[b], _between(boxes[a], boxes[b], boxes))
            path = MplPath([(x1, y1), (cx, cy), (x2, y2)], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
            ax.add_patch(PathPatch(path, fill=False, edgecolor=colour, linestyle=(0, (5, 2)), linewidth=1.2))
            text((Span(s.name, EDGE_FONT, colour=colour),), (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4 - 3)
    shapes: list[Patch] = []
    for box in boxes.values():
        node = box.node
        width = (2.5 if node.reached and node.kind != "collapsed" else 1.0) * 0.75
        x, y, w, h = box.x, box.y, box.width, box.height
        if node.kind == "decision":
            colour = player_colour(node.player)
            shapes.append(Ellipse((x, y), w, h, facecolor=tint(colour), edgecolor=colour, linewidth=width))
        elif node.kind == "chance":
            shapes.append(Polygon([(x, y - h / 2), (x + w / 2, y), (x, y + h / 2), (x - w / 2, y)],
                                  facecolor="#EEEEEE", edgecolor=CHANCE_COLOUR, linewidth=width))
        else:
            dashed = node.kind == "collapsed"
            fill = "none" if dashed else "#FFF8E1" if node.reached else "#FFFFFF"
            shapes.append(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=6",
                                         facecolor=fill, edgecolor="#666666" if dashed else "#333333",
                                         linewidth=width, linestyle=(0, (5, 2)) if dashed else "-"))
        top = y - len(box.lines) * LINE / 2
        for k, line in enumerate(box.lines):
            text(line, x, top + (k + 0.78) * LINE)
    ax.add_collection(PatchCollection(shapes, match_original=True, zorder=2))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def draw(view: TreeView, fmt: str) -> bytes:
    """The tree of ``view`` as ``svg`` (UTF-8 bytes) or ``png``, laid out without Graphviz."""
    if fmt == "svg":
        return tree_svg(view).encode("utf-8")
    if fmt == "png":
        return tree_png(view)
    raise RenderError(f"cannot draw {fmt!r} without Graphviz: use svg or png")
