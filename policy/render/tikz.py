"""Game trees as TikZ code for LaTeX papers.

The look follows what game theorists draw by hand and with the ``istgame``
package: nodes are dots (hollow for chance), the mover's name stands above
each decision node, edges carry their action labels, nodes of one
information set are joined by a dashed line, and payoffs stand under the
terminals. The equilibrium is marked as in :mod:`policy.render.tree`: each
action's probability beside its label, the path in thick lines, actions never
taken in grey. The code uses plain TikZ only (no libraries, no ``istgame``),
so a document needs nothing but ``\\usepackage{tikz}``.

The layout is the simplest that keeps subtrees apart: every leaf (terminal or
collapsed box) gets a column of its own, left to right in the order of the
actions, and every inner node stands midway above its first and last child,
one row per depth.
"""

from __future__ import annotations

import textwrap
import unicodedata

from policy.render.tree import (
    CHANCE_COLOUR,
    PALETTE,
    UNCHOSEN_COLOUR,
    TreeView,
    ViewEdge,
    ViewNode,
    show,
)

#: A line break in a TikZ node.
BREAK = "\\\\"

#: Horizontal distance between two leaves, and vertical distance between depths (cm).
COLUMN_CM = 2.3
ROW_CM = 1.9
#: Outcome labels under terminals wrap at this many characters.
OUTCOME_WIDTH = 16

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
#: Combining accents that LaTeX writes as a command on the base letter.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0326": "c",  # comma below (Romanian s and t): the cedilla is the usual stand-in
    "\u0328": "k",
}


def tex_escape(text: str) -> str:
    """``text`` for LaTeX's text mode: special characters escaped, accents as commands.

    Accented Latin letters become accent commands (``ș`` -> ``\\c{s}``) so that
    pdflatex needs no Unicode setup; other non-ASCII characters are kept as
    they are (lualatex and xelatex take them).
    """
    out: list[str] = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
            continue
        if ord(ch) < 128:
            out.append(ch)
            continue
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], parts[1:]
        if ord(base) < 128 and marks and all(m in _ACCENTS for m in marks):
            word = tex_escape(base)
            for m in marks:
                accent = _ACCENTS[m]
                word = f"\\{accent}{{{word}}}"
            out.append(word)
        else:
            out.append(ch)
    return "".join(out)


def _math(number: str) -> str:
    return f"${number}$"


def _colour(player: int) -> str:
    return "policyChance" if player < 0 else f"policyP{player % len(PALETTE)}"


def _layout(view: TreeView) -> dict[str, tuple[float, float]]:
    """Column and row of every drawn node (see the module docstring)."""
    children: dict[str, list[str]] = {}
    for e in view.edges:
        children.setdefault(e.tail, []).append(e.head)
    depth = {n.key: n.depth for n in view.nodes}
    x: dict[str, float] = {}
    column = 0
    root = view.nodes[0].key
    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        key, done = stack.pop()
        kids = children.get(key, [])
        if not kids:
            x[key] = float(column)
            column += 1
        elif done:
            x[key] = (x[kids[0]] + x[kids[-1]]) / 2
        else:
            stack.append((key, True))
            stack.extend((k, False) for k in reversed(kids))
    return {k: (x[k], -float(depth[k])) for k in x}


def _node_tikz(node: ViewNode, at: tuple[float, float], side: str) -> str:
    """One node; ``side`` is where its mover's name goes (away from the edge coming in)."""
    where = f"({at[0]:g},{at[1]:g})"
    name = r"{\tiny\color{gray}" + tex_escape(node.name) + "}"
    reached = node.reached
    if node.kind == "decision":
        colour = _colour(node.player)
        text = rf"\textbf{{{tex_escape(node.title)}}} {name}"
        if node.belief is not None:
            text += r"\\{\tiny belief " + _math(node.belief) + "}"
        label = f"{{[text={colour}, align=center, fill=white, inner sep=1pt]{side}:{{{text}}}}}"
        style = "decision, path node" if reached else "decision"
        return f"\\node[{style}, fill={colour}, label={label}] ({node.key}) at {where} {{}};"
    if node.kind == "chance":
        text = r"\textit{chance} " + name
        label = f"{{[text=policyChance, align=center, fill=white, inner sep=1pt]{side}:{{{text}}}}}"
        return f"\\node[chance, label={label}] ({node.key}) at {where} {{}};"
    if node.kind == "terminal":
        pay = ", ".join(
            rf"\textcolor{{{_colour(k)}}}{{{_math(p)}}}" for k, p in enumerate(node.payoffs)
        )
        lines = [f"({pay})"]
        title = BREAK.join(tex_escape(t) for t in textwrap.wrap(node.title, OUTCOME_WIDTH) or [""])
        lines.append(title)
        if node.title != node.name:
            lines.append(name)
        if reached:
            assert node.reach is not None
            lines.append(r"\textbf{reached " + _math(show(node.reach)) + "}")
        label = f"{{[outcome]below:{{{BREAK.join(lines)}}}}}"
        style = "terminal, path node" if reached else "terminal"
        return f"\\node[{style}, label={label}] ({node.key}) at {where} {{}};"
    outcomes = "outcome" if node.hidden_outcomes == 1 else "outcomes"
    lines = [rf"\textit{{{node.hidden_nodes} more nodes}}", rf"\textit{{{node.hidden_outcomes} {outcomes}}}"]
    if node.reach is not None:
        lines.append("reached " + _math(show(node.reach)))
    if node.expected:
        lines.append(
            "expected ("
            + ", ".join(rf"\textcolor{{{_colour(k)}}}{{{_math(v)}}}" for k, v in enumerate(node.expected))
            + ")"
        )
    return f"\\node[collapsed] ({node.key}) at {where} {{{BREAK.join(lines)}}};"


def _edge_tikz(edge: ViewEdge, side: str) -> str:
    """One edge, its label on ``side`` of it (the outer side of the fan)."""
    colour = _colour(edge.player) if edge.chosen else "policyUnchosen"
    style = [colour]
    if edge.on_path:
        style.append("path edge")
    text = tex_escape(edge.action)
    if edge.probability is not None:
        text += "~" + _math(edge.probability)
    if edge.on_path:
        text = rf"\textbf{{{text}}}"
    return f"\\draw[{', '.join(style)}] ({edge.tail}) -- node[action, {side}, text={colour}] {{{text}}} ({edge.head});"


def tree_tikz(view: TreeView, standalone: bool = False) -> str:
    """TikZ code for a :class:`~policy.render.tree.TreeView`: one ``tikzpicture``.

    ``standalone`` wraps it in a minimal ``article`` document that
    ``pdflatex`` compiles as it is; without it the picture is meant for
    ``\\input`` in a paper whose preamble has ``\\usepackage{tikz}``.
    """
    at = _layout(view)
    lines = [
        f"% {tex_escape(view.title)}: game tree drawn by policy ({tex_escape(view.caption)}).",
        r"% Needs \usepackage{tikz}. Too wide for the page? \resizebox{\linewidth}{!}{\input{this file}}.",
        f"\\begin{{tikzpicture}}[x={COLUMN_CM:g}cm, y={ROW_CM:g}cm,",
        r"  every node/.style={font=\footnotesize},",
        r"  decision/.style={circle, inner sep=0pt, minimum size=5pt},",
        r"  chance/.style={circle, draw=policyChance, fill=white, inner sep=0pt, minimum size=6pt},",
        r"  terminal/.style={circle, fill=black, inner sep=0pt, minimum size=3pt},",
        r"  path node/.style={minimum size=7pt},",
        r"  outcome/.style={align=center, font=\scriptsize},",
        r"  collapsed/.style={draw=gray, dashed, rounded corners, align=center, font=\scriptsize},",
        r"  action/.style={midway, inner sep=1.5pt, font=\scriptsize},",
        r"  path edge/.style={line width=1.6pt},",
        r"  infoset/.style={dashed, line width=0.8pt}]",
    ]
    for k, colour in enumerate(PALETTE):
        lines.append(f"\\definecolor{{policyP{k}}}{{HTML}}{{{colour[1:]}}}")
    lines.append(f"\\definecolor{{policyChance}}{{HTML}}{{{CHANCE_COLOUR[1:]}}}")
    lines.append(f"\\definecolor{{policyUnchosen}}{{HTML}}{{{UNCHOSEN_COLOUR[1:]}}}")
    parent = {e.head: e.tail for e in view.edges}
    for n in view.nodes:
        up = parent.get(n.key)
        side = "above" if up is None else "left" if at[n.key][0] < at[up][0] else "right"
        lines.append(_node_tikz(n, at[n.key], side))
    for e in view.edges:
        (x0, _), (x1, _) = at[e.tail], at[e.head]
        lines.append(_edge_tikz(e, "above left" if x1 < x0 else "above right" if x1 > x0 else "right"))
    for s in view.infosets:
        colour = _colour(s.player)
        for a, b in zip(s.members, s.members[1:], strict=False):
            lines.append(
                f"\\draw[infoset, {colour}] ({a}) -- node[action, fill=white, text={colour}] "
                f"{{{tex_escape(s.name)}}} ({b});"
            )
    players = r" \quad ".join(
        rf"\textcolor{{{_colour(k)}}}{{\textbf{{{tex_escape(p)}}}}}" for k, p in enumerate(view.players)
    )
    legend = [
        rf"\textbf{{{tex_escape(view.title)}}}",
        tex_escape(view.caption),
        f"players: {players}" + r" \quad \textcolor{policyChance}{chance}",
        "payoffs: (" + ", ".join(tex_escape(p) for p in view.players) + ")",
    ]
    if view.solved:
        lines_note = "thick: the equilibrium path; grey: actions never taken"
        legend.append(lines_note)
    lines.append(
        f"\\node[anchor=south west, align=left, font=\\scriptsize] at (0,0.45) "
        f"{{{BREAK.join(legend)}}};"
    )
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    if not standalone:
        return picture
    return (
        "\\documentclass{article}\n\\usepackage{tikz}\n\\pagestyle{empty}\n\\begin{document}\n"
        "\\newsavebox{\\policytree}\n\\sbox{\\policytree}{%\n" + picture + "}\n"
        "\\noindent\\ifdim\\wd\\policytree>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox{\\policytree}}"
        "\\else\\usebox{\\policytree}\\fi\n\\end{document}\n"
    )
