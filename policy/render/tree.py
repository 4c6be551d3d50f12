"""Game trees as pictures: a drawable view of a (solved) game, Graphviz DOT, and SVG/PNG.

:func:`tree_view` turns a game, its parameter values and optionally a solve
result into a :class:`TreeView`: the nodes to draw (decision, chance,
terminal, and boxes standing for collapsed subtrees), the edges with their
labels and the equilibrium's probabilities, and the information sets with
several drawn members. Both writers read that view: :func:`tree_dot` here
(Graphviz text, written by hand so no Python package or program is needed)
and :func:`policy.render.tikz.tree_tikz` (TikZ for LaTeX).

The equilibrium is marked as game theorists draw it: every action carries its
probability ("fight 1/3"), edges that the equilibrium reaches with positive
probability are bold, edges never chosen are grey. Players have a colour each
(:data:`PALETTE`, the Okabe-Ito colours, distinguishable with the common
colour-vision deficiencies) and a legend says which.

:func:`run_dot` hands DOT text to the ``dot`` program for SVG or PNG, with a
timeout; :func:`policy.loading.write_bytes_atomic` writes the result whole or not at all.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from policy import rational, tolerances
from policy.model import Game, NodeKind, Number
from policy.solvers.result import SolveResult, show_number
from policy.solvers.sequential import (
    ProfileIntegers,
    check_equilibrium,
    equilibrium_integers,
    off_path_reason,
)
from policy.solvers.verify import edge_weights, subgame_values

#: One colour per player, in order (Okabe and Ito's palette, without yellow, which is
#: hard to read on white); players beyond seven reuse them.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: Chance nodes and their edges.
CHANCE_COLOUR = "#555555"
#: Actions the equilibrium never takes.
UNCHOSEN_COLOUR = "#A0A0A0"
#: Node names and other secondary text.
NOTE_COLOUR = "#555555"
#: A tree with more nodes than this is drawn to a smaller depth unless one is given.
MAX_DRAWN_NODES = 1500
#: Seconds the ``dot`` program may take before it is stopped.
DOT_TIMEOUT = 120.0
#: Outcome labels are wrapped at this many characters.
LABEL_WIDTH = 24
#: The message for a missing ``dot`` program.
MISSING_DOT = (
    "the dot program (Graphviz) is not installed: apt-get install graphviz (Debian/Ubuntu) "
    "or brew install graphviz"
)


class RenderError(ValueError):
    """A tree that cannot be drawn as asked (``dot`` missing or failing)."""


def player_colour(index: int) -> str:
    """The colour of player ``index`` (chance, -1, is grey)."""
    return CHANCE_COLOUR if index < 0 else PALETTE[index % len(PALETTE)]


def tint(colour: str, amount: float = 0.82) -> str:
    """``colour`` (``#RRGGBB``) mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    rgb = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    mixed = [round(c + (255 - c) * amount) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def show(x: Number) -> str:
    """A probability or payoff for a picture: exact fractions whole, floats to 4 digits."""
    if isinstance(x, Fraction):
        return show_number(x)
    text = f"{float(x):.4g}"
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class ViewNode:
    """One drawn node.

    ``kind`` is ``decision``, ``chance``, ``terminal`` or ``collapsed`` (a box
    standing for the subtree below node ``index``, which is drawn itself).
    ``key`` is its identifier in the output (``n<index>``, or ``c<index>`` for
    a box). ``reach`` is the equilibrium's probability of reaching it (None
    when not solved). A terminal has ``payoffs`` (one text per player); a box
    has ``hidden_nodes``, ``hidden_outcomes`` and ``expected`` (the subtree's
    value per player under the equilibrium, when solved). ``belief`` is the
    mover's belief of being at this node, at a reached information set with
    several nodes.
    """

    key: str
    index: int
    kind: str
    depth: int
    player: int
    name: str
    title: str
    reach: Number | None = None
    reached: bool = False
    """The equilibrium reaches the node with positive probability."""
    payoffs: tuple[str, ...] = ()
    belief: str | None = None
    hidden_nodes: int = 0
    hidden_outcomes: int = 0
    expected: tuple[str, ...] = ()
    unreached: bool = False
    """A decision node of a set the equilibrium never reaches, whose behaviour
    nothing justifies: its actions carry no probability and are drawn grey."""


@dataclass(frozen=True)
class ViewEdge:
    """One drawn edge: an action (or, into a box, the choice at its node).

    ``probability`` is the text of the action's probability (chance, or the
    equilibrium's), None when there is none to show. ``on_path``: the
    equilibrium reaches the head with positive probability. ``chosen``: the
    action has positive probability (off the path too). ``player`` is the
    mover (-1 for chance).
    """

    tail: str
    head: str
    action: str
    probability: str | None
    on_path: bool
    chosen: bool
    player: int

    @property
    def label(self) -> str:
        """The action and its probability, as one line ("fight 1/3")."""
        return self.action if self.probability is None else f"{self.action} {self.probability}"


@dataclass(frozen=True)
class ViewInfoset:
    """An information set with at least two drawn members (keys, left to right)."""

    name: str
    player: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class TreeView:
    """What a drawing shows; see :func:`tree_view`."""

    title: str
    players: tuple[str, ...]
    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    infosets: tuple[ViewInfoset, ...]
    solved: bool
    caption: str
    """One line on what was solved (leader, method, regret), or on what is shown."""
    depth: int | None
    """The depth below which subtrees are collapsed (None: the whole tree)."""
    path: bool = False
    """Drawn along the equilibrium path: the nodes it reaches and their children, the
    subtrees it does not enter collapsed (``depth`` is then None)."""

    @property
    def collapsed_note(self) -> str | None:
        """The legend's line on the dashed boxes, None when nothing is collapsed."""
        if self.path:
            if not any(n.kind == "collapsed" for n in self.nodes):
                return None  # the path enters every subtree that has children
            return "dashed boxes: subtrees the equilibrium path does not enter, collapsed"
        if self.depth is not None:
            return f"dashed boxes: subtrees below depth {self.depth}, collapsed"
        return None

    def node(self, key: str) -> ViewNode:
        """The drawn node with this key."""
        for n in self.nodes:
            if n.key == key:
                return n
        raise KeyError(key)


def subtree_sizes(game: Game) -> tuple[np.ndarray, np.ndarray]:
    """For every node, the number of nodes and of terminals in its subtree (itself included)."""
    size = np.ones(game.num_nodes, dtype=np.int64)
    leaves = (game.kind == NodeKind.TERMINAL).astype(np.int64)
    for start, stop in reversed(game.levels[1:]):
        np.add.at(size, game.parent[start:stop], size[start:stop])
        np.add.at(leaves, game.parent[start:stop], leaves[start:stop])
    return size, leaves


def auto_depth(game: Game, limit: int = MAX_DRAWN_NODES) -> int | None:
    """The largest depth whose drawing has at most ``limit`` nodes, or None if the whole tree fits.

    A collapsed subtree adds one box, so a depth ``d`` drawing has the nodes of
    depth at most ``d`` plus one box per inner node at depth ``d``.
    """
    if game.num_nodes <= limit:
        return None
    drawn = 0
    for d, (start, stop) in enumerate(game.levels):
        boxes = int((game.num_children[start:stop] > 0).sum())
        if d and drawn + (stop - start) + boxes > limit:
            return d - 1
        drawn += stop - start
    return len(game.levels) - 1  # pragma: no cover - the whole tree fits, handled above


def tree_view(
    game: Game,
    values: Mapping[str, Number],
    result: SolveResult | None = None,
    *,
    equilibrium: int = 0,
    depth: int | None = None,
    exact: bool = True,
    leader: str | None = None,
    path: bool = False,
) -> TreeView:
    """What to draw of ``game``: nodes, edges, information sets, and the equilibrium.

    Parameters
    ----------
    values
        Parameter values: chance probabilities and payoffs are shown as numbers
        at these values (a ``result`` brings its own).
    result
        A solve result; its equilibrium number ``equilibrium`` is marked. None
        draws the bare game.
    depth
        Draw nodes down to this depth (the root is 0); each node at that depth
        with children gets one box saying how much is hidden below it.
    exact
        Without a result: evaluate in rational arithmetic (else floats).
    leader
        A leader's name for the caption.
    path
        With a result: draw the nodes its equilibrium reaches and their
        children, each subtree it does not enter as one box (``depth`` is then
        not used): the readable view of a tree too big to draw, such as a
        campaign's.
    """
    if result is not None:
        values, exact = result.parameters, result.exact
    numbers = game.numbers(values, exact=exact)
    n = game.num_nodes
    eq = None
    weight = numbers.edge_prob
    reach: Any = None
    held: Mapping[str, Mapping[str, Number]] = {}
    bayes: dict[str, dict[str, Number]] = {}
    unjustified: frozenset[str] = frozenset()
    path = path and result is not None and bool(result.equilibria)
    if path:
        depth = None
    limit = n if depth is None else depth
    shown = np.flatnonzero(game.depth <= limit)
    folded = [int(i) for i in shown.tolist() if game.depth[i] == limit and game.num_children[i] > 0]
    ints: ProfileIntegers | None = None
    if result is not None and result.equilibria:
        eq = result.equilibria[min(equilibrium, len(result.equilibria) - 1)]
        weight = edge_weights(game, numbers, eq.probabilities)
        if path:
            shown, folded, path_reach = path_nodes(game, weight, exact)
            limit = int(game.depth[shown].max())
        # Beliefs are drawn at the shown members of sets of several nodes;
        # Bayes' rule there needs the reach of every member of such a set.
        shared = [] if game.is_perfect_information else _drawn_shared_sets(game, shown)
        deepest = max([limit, *(int(game.depth[m]) for s in shared for m in s.members)])
        reach = path_reach if path else _reach_down_to(game, weight, deepest)
        if exact and (folded or not game.is_perfect_information):
            # Exact values in integers, made once for the check and the boxes.
            ints = equilibrium_integers(result, eq)
        check = check_equilibrium(result, eq, ints)
        if off_path_reason(eq, check) is None:
            unjustified = eq.unreached
        bayes = _bayes_beliefs(game, reach, shared)
        if check.verdict:
            held = check.beliefs

    def positive(x: Number) -> bool:
        return bool(x > 0) if exact else float(x) > tolerances.PROFILE

    terminal_row = {int(t): k for k, t in enumerate(game.terminals.tolist())}
    sizes = leaves = None
    expected: Any = None
    if folded:
        sizes, leaves = subtree_sizes(game)
        if eq is not None:
            if ints is not None:
                rows = rational.to_fractions(ints.vnum[folded], ints.vden[folded])
                expected = {i: tuple(row) for i, row in zip(folded, rows.tolist(), strict=True)}
            elif exact:
                expected = _exact_values_at(game, numbers.leaf_payoff, weight, folded, terminal_row)
            else:
                expected = subgame_values(game, numbers, weight)
    # The shown terminals' payoffs; from the integers when the numbers are held
    # so (no Fraction for each of a campaign's terminals).
    ends = [terminal_row[i] for i in shown[game.kind[shown] == NodeKind.TERMINAL].tolist()]
    ratios = numbers.ratios if exact else None
    if ratios is not None:
        leaf_rows = rational.to_fractions(ratios.leaf_num[ends], ratios.leaf_den[ends]).tolist()
    else:
        leaf_rows = [numbers.leaf_payoff[k] for k in ends]
    shown_payoffs = {k: tuple(show(v) for v in row) for k, row in zip(ends, leaf_rows, strict=True)}

    nodes: list[ViewNode] = []
    edges: list[ViewEdge] = []
    for i in shown.tolist():
        kind = NodeKind(int(game.kind[i]))
        who = int(game.player[i])
        name = game.node_names[i]
        node_reach = reach[i] if reach is not None else None
        hit = node_reach is not None and positive(node_reach)
        if kind is NodeKind.DECISION:
            s = game.infosets.at(int(game.infoset[i]))
            belief = None
            if len(s.members) > 1:  # Bayes' rule where the set is reached, else the check's beliefs
                belief = (bayes[s.name] if s.name in bayes else held.get(s.name, {})).get(name)
            nodes.append(
                ViewNode(f"n{i}", i, "decision", int(game.depth[i]), who, name, s.player.label,
                         node_reach, hit, belief=None if belief is None else show(belief),
                         unreached=s.name in unjustified)
            )
        elif kind is NodeKind.CHANCE:
            nodes.append(ViewNode(f"n{i}", i, "chance", int(game.depth[i]), -1, name, "chance", node_reach, hit))
        else:
            o = int(game.outcome[i])
            label = game.outcomes[o].label if o >= 0 else ""
            pay = shown_payoffs[terminal_row[i]]
            nodes.append(
                ViewNode(f"n{i}", i, "terminal", int(game.depth[i]), -1, name, label or name, node_reach, hit,
                         pay)
            )
        if i:
            p = int(game.parent[i])
            mover = int(game.player[p])
            chance_edge = game.kind[p] == NodeKind.CHANCE
            prob: str | None = None
            chosen = True
            if chance_edge or eq is not None:
                prob = show(weight[i])
                chosen = positive(weight[i])
            if not chance_edge and game.infosets.at(int(game.infoset[p])).name in unjustified:
                prob, chosen = None, False
            edges.append(
                ViewEdge(f"n{p}", f"n{i}", game.action_label[i], prob,
                         reach is not None and positive(reach[i]), chosen, mover)
            )
    for i in folded:
        assert sizes is not None and leaves is not None
        node_reach = reach[i] if reach is not None else None
        value = tuple(show(v) for v in expected[i]) if expected is not None else ()
        nodes.append(
            ViewNode(f"c{i}", i, "collapsed", int(game.depth[i]) + 1, -1, game.node_names[i], "collapsed",
                     node_reach, node_reach is not None and positive(node_reach), hidden_nodes=int(sizes[i]) - 1, hidden_outcomes=int(leaves[i]),
                     expected=value)
        )
        edges.append(
            ViewEdge(f"n{i}", f"c{i}", _choice_summary(game, i, weight, eq is not None, positive), None,
                     reach is not None and positive(reach[i]), True, int(game.player[i]))
        )

    drawn = set(shown.tolist())
    infosets = tuple(
        ViewInfoset(s.name, s.player.index, tuple(f"n{m}" for m in s.members if m in drawn))
        for s in game.infosets.values()
        if sum(m in drawn for m in s.members) > 1
    )
    return TreeView(
        title=game.title,
        players=tuple(game.players),
        nodes=tuple(nodes),
        edges=tuple(edges),
        infosets=infosets,
        solved=eq is not None,
        caption=_caption(result, equilibrium, leader, exact),
        depth=depth,
        path=path,
    )


def path_nodes(game: Game, weight: Any, exact: bool) -> tuple[np.ndarray, list[int], Any]:
    """The nodes a path drawing shows, in node order, those of them drawn as boxes, and every node's reach.

    Shown: every node the profile (edge ``weight``) reaches with positive
    probability, and the children of those that are not terminals (the
    actions not taken, and chance's other draws). A shown node the profile
    does not reach and that has children is a box.
    """
    reach = _reach_down_to(game, weight, len(game.levels) - 1)
    hit = np.asarray(reach > 0, dtype=bool) if exact else np.asarray(reach > tolerances.PROFILE, dtype=bool)
    shown = np.union1d(np.flatnonzero(hit), game.children_of_all(np.flatnonzero(hit & (game.num_children > 0))))
    folded = [int(i) for i in shown.tolist() if not hit[i] and game.num_children[i] > 0]
    return shown, folded, reach


def legible_view(
    game: Game,
    values: Mapping[str, Number],
    result: SolveResult | None = None,
    *,
    exact: bool = True,
    leader: str | None = None,
) -> tuple[TreeView, str | None]:
    """The drawing of a tree of any size, and a note on how a big one was cut (None when whole).

    At most :data:`MAX_DRAWN_NODES` nodes: the whole tree. More, and solved:
    along the equilibrium path when that drawing has at most that many nodes
    and boxes. Otherwise down to the largest depth that fits (:func:`auto_depth`).
    """
    depth = auto_depth(game)
    if depth is None:
        return tree_view(game, values, result, exact=exact, leader=leader), None
    if result is not None and result.equilibria:
        view = tree_view(game, values, result, exact=exact, leader=leader, path=True)
        if len(view.nodes) <= MAX_DRAWN_NODES:
            return view, (f"{game.num_nodes} nodes: drawing the equilibrium path, the subtrees off it as "
                          "boxes (or choose a depth with --depth)")
    view = tree_view(game, values, result, depth=depth, exact=exact, leader=leader)
    return view, f"{game.num_nodes} nodes: drawing down to depth {depth} (choose with --depth)"


def _drawn_shared_sets(game: Game, shown: np.ndarray) -> list[Any]:
    """The information sets of several members with a member among the ``shown`` nodes, in order."""
    drawn = shown[game.kind[shown] == NodeKind.DECISION]
    out = []
    for k in np.unique(game.infoset[drawn]).tolist():
        s = game.infosets.at(int(k))
        if len(s.members) > 1:
            out.append(s)
    return out


def _reach_down_to(game: Game, weight: Any, deepest: int) -> Any:
    """:func:`policy.solvers.verify.reach_probabilities`, in exact mode for the nodes down to depth ``deepest`` only.

    The same products level by level (in ``Fraction`` objects an edge of
    weight 1 passes its parent's reach on, and nothing below a node never
    reached is reached), stopped where the drawing needs no more; the nodes
    below hold None. Floats cost little: every level is done.
    """
    reach = weight.copy()
    exact = reach.dtype == object
    for start, stop in game.levels[1 : (deepest + 1) if exact else None]:
        above = reach[game.parent[start:stop]]
        if not exact:
            reach[start:stop] = reach[start:stop] * above
            continue
        own = reach[start:stop]
        passed = np.asarray(own == 1, dtype=bool)
        unreached = np.asarray(above == 0, dtype=bool) & ~passed
        rest = ~(passed | unreached)
        own[passed] = above[passed]
        own[unreached] = above[unreached]
        own[rest] = own[rest] * above[rest]
    if exact and deepest + 1 < len(game.levels):
        reach[game.levels[deepest + 1][0] :] = None
    return reach


def _bayes_beliefs(game: Game, reach: Any, sets: Sequence[Any]) -> dict[str, dict[str, Number]]:
    """:func:`policy.solvers.verify.beliefs` at ``sets`` only: member -> reach / the set's reach, where it is reached."""
    out: dict[str, dict[str, Number]] = {}
    for s in sets:
        total = sum((reach[m] for m in s.members), start=reach[0] * 0)
        if total > 0:
            out[s.name] = {game.node_names[m]: reach[m] / total for m in s.members}
    return out


def _exact_values_at(
    game: Game, leaf_payoff: Any, weight: Any, nodes: Sequence[int], terminal_row: Mapping[int, int]
) -> dict[int, tuple[Fraction, ...]]:
    """The expected payoffs at ``nodes`` under exact edge weights: what
    :func:`policy.solvers.verify.subgame_values` gives there, computed below those nodes only.

    Each node's value is the weighted sum of its children's; a child of weight
    0 adds exactly 0, so only the children with positive weight are visited
    (a few thousand of a campaign's 127,371 nodes below the collapsed boxes,
    rather than a ``Fraction`` for every node and player), and a node whose
    one such child has weight 1 takes that child's values without arithmetic.
    """
    first = game.first_child.tolist()
    count = game.num_children.tolist()
    players = len(game.players)
    edge = weight.tolist()

    def value(n: int) -> list[Fraction]:
        if not count[n]:
            return [Fraction(x) for x in leaf_payoff[terminal_row[n]]]
        k0 = first[n]
        kids = [c for c in range(k0, k0 + count[n]) if edge[c]]
        if len(kids) == 1 and edge[kids[0]] == 1:  # a pure choice: the chosen child's values as they are
            return value(kids[0])
        total = [Fraction(0)] * players
        for c in kids:
            w = edge[c]
            for p, x in enumerate(value(c)):
                total[p] += w * x
        return total

    return {n: tuple(value(n)) for n in nodes}


def _choice_summary(game: Game, node: int, weight: Any, solved: bool, positive: Any) -> str:
    """The edge into a collapsed box: what is chosen at ``node`` (its chosen actions, or all)."""
    kids = game.children_of(node)
    if not solved and game.kind[node] != NodeKind.CHANCE:
        return ", ".join(game.action_label[c] for c in kids)
    picked = [c for c in kids if positive(weight[c])]
    if len(picked) == 1 and game.kind[node] == NodeKind.DECISION:
        return game.action_label[picked[0]]
    return ", ".join(f"{game.action_label[c]} {show(weight[c])}" for c in picked)


def _caption(result: SolveResult | None, equilibrium: int, leader: str | None, exact: bool) -> str:
    parts = [f"leader {leader}"] if leader else []
    if result is None:
        parts.append(("exact" if exact else "float") + " values, not solved")
    elif not result.equilibria:
        parts.append(f"method {result.method}: no equilibrium found")
    else:
        total = len(result.equilibria)
        k = min(equilibrium, total - 1)
        mode = "exact" if result.exact else "float"
        which = f"equilibrium {k + 1} of {total}, " if total > 1 else ""
        parts.append(f"method {result.method} ({mode}), {which}max regret {show(result.equilibria[k].max_regret)}")
        verdict = check_equilibrium(result, result.equilibria[k]).verdict
        parts.append("sequential: " + {True: "yes", False: "no", None: "not shown"}[verdict])
    return ", ".join(parts)


# -- DOT ---------------------------------------------------------------------------------


def dot_string(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped, newlines as ``\\n``.

    A backslash starts an escape (``\\N``, ``\\l``) inside DOT labels, so each
    literal one is doubled.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def _h(text: str) -> str:
    """Text for a Graphviz HTML-like label."""
    return html.escape(text, quote=False)


def _wrapped(text: str, width: int = LABEL_WIDTH) -> str:
    return "<br/>".join(_h(line) for line in textwrap.wrap(text, width) or [""])


def _attrs(**attrs: str | float) -> str:
    """A DOT attribute list; HTML-like labels are passed already wrapped in ``<...>``."""
    parts = []
    for k, v in attrs.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:g}")
        elif k == "label" and v.startswith("<") and v.endswith(">"):
            parts.append(f"{k}={v}")
        else:
            parts.append(f"{k}={dot_string(v)}")
    return "[" + ", ".join(parts) + "]"


def _payoff_html(payoffs: Sequence[str]) -> str:
    cells = [
        f'<font color="{player_colour(k)}">{_h(p)}</font>' for k, p in enumerate(payoffs)
    ]
    return "(" + ", ".join(cells) + ")"


def _node_dot(view: TreeView, node: ViewNode) -> str:
    reached = node.reached and node.kind != "collapsed"
    width = 2.5 if reached else 1.0
    note = f'<font point-size="8" color="{NOTE_COLOUR}">{_h(node.name)}</font>'
    if node.kind == "decision":
        colour = player_colour(node.player)
        lines = [f"<b>{_h(node.title)}</b>", note]
        if node.belief is not None:
            lines.append(f'<font point-size="8">belief {_h(node.belief)}</font>')
        if node.unreached:
            lines.append('<font point-size="8"><i>unreached</i></font>')
        attrs = _attrs(id=f"node-{node.name}", shape="ellipse", style="filled", color=colour,
                       fillcolor=tint(colour), penwidth=float(width), label="<" + "<br/>".join(lines) + ">")
    elif node.kind == "chance":
        lines = ["<i>chance</i>", note]
        attrs = _attrs(id=f"node-{node.name}", shape="diamond", style="filled", color=CHANCE_COLOUR,
                       fillcolor="#EEEEEE", penwidth=float(width), label="<" + "<br/>".join(lines) + ">")
    elif node.kind == "terminal":
        lines = [f"<b>{_wrapped(node.title)}</b>"]
        if node.title != node.name:
            lines.append(note)
        lines.append(_payoff_html(node.payoffs))
        if reached:
            assert node.reach is not None
            lines.append(f'<font point-size="8">reached {_h(show(node.reach))}</font>')
        attrs = _attrs(id=f"node-{node.name}", shape="box", style="rounded,filled",
                       fillcolor="#FFFFFF" if not reached else "#FFF8E1", color="#333333",
                       penwidth=float(width), label="<" + "<br/>".join(lines) + ">")
    else:
        outcomes = "outcome" if node.hidden_outcomes == 1 else "outcomes"
        lines = [f"<i>{node.hidden_nodes} more nodes, {node.hidden_outcomes} {outcomes}</i>"]
        if node.reach is not None:
            lines.append(f"reached {_h(show(node.reach))}")
        if node.expected:
            lines.append("expected " + _payoff_html(node.expected))
        attrs = _attrs(id=f"collapsed-{node.name}", shape="box", style="dashed,rounded", color="#666666",
                       label="<" + "<br/>".join(lines) + ">")
    return f"  {node.key} {attrs};"


def _edge_dot(edge: ViewEdge, head_name: str) -> str:
    colour = player_colour(edge.player) if edge.chosen else UNCHOSEN_COLOUR
    attrs: dict[str, str | float] = {"id": f"edge-{head_name}", "label": edge.label, "color": colour,
                                     "fontcolor": colour}
    if edge.on_path:
        attrs.update(penwidth=3.0, style="bold", fontname="Helvetica-Bold")
    elif edge.player >= 0 and not edge.chosen:
        attrs.update(penwidth=1.0)
    else:
        attrs.update(penwidth=1.3)
    return f"  {edge.tail} -> {edge.head} {_attrs(**attrs)};"


def _legend(view: TreeView) -> str:
    players = "   ".join(
        f'<font color="{player_colour(k)}"><b>{_h(p)}</b></font>' for k, p in enumerate(view.players)
    )
    order = ", ".join(_h(p) for p in view.players)
    rows = [
        f'<font point-size="14"><b>{_h(view.title)}</b></font>',
        _h(view.caption),
        f"players: {players}   <font color=\"{CHANCE_COLOUR}\">chance</font>",
        f"payoffs: ({order})",
    ]
    if view.solved:
        rows.append("bold: the equilibrium path; grey: actions never taken")
        if any(n.unreached for n in view.nodes):
            rows.append("unreached: a set the equilibrium never reaches; nothing justifies a choice there")
    if view.infosets:
        rows.append("dashed: nodes of one information set")
    if view.collapsed_note is not None:
        rows.append(view.collapsed_note)
    cells = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="1">{cells}</table>>'


def tree_dot(view: TreeView) -> str:
    """Graphviz DOT text for a :class:`TreeView`.

    Nodes are ``n<index>`` (game node index, breadth-first) and ``c<index>``
    (the box for the subtree below node ``index``); labels are HTML-like with
    every text escaped. Information sets are dashed edges without arrows
    (``constraint=false``) between consecutive members, and members at one
    depth share a rank. The legend is the graph's label.
    """
    names = {n.key: n.name for n in view.nodes}
    lines = [
        f"digraph {dot_string(view.title)} {{",
        "  graph " + _attrs(rankdir="TB", nodesep=0.3, ranksep=0.55, fontname="Helvetica",
                            labelloc="t", labeljust="l", label=_legend(view)) + ";",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];',
    ]
    lines += [_node_dot(view, n) for n in view.nodes]
    for e in view.edges:
        head = names[e.head] if e.head.startswith("n") else f"collapsed-{names[e.head]}"
        lines.append(_edge_dot(e, head))
    depth = {n.key: n.depth for n in view.nodes}
    for s in view.infosets:
        colour = player_colour(s.player)
        for k, (a, b) in enumerate(zip(s.members, s.members[1:], strict=False)):
            attrs = _attrs(id=f"infoset-{s.name}-{k}", dir="none", style="dashed", constraint="false",
                           color=colour, fontcolor=colour, penwidth=1.5, label=s.name)
            lines.append(f"  {a} -> {b} {attrs};")
        by_depth: dict[int, list[str]] = {}
        for m in s.members:
            by_depth.setdefault(depth[m], []).append(m)
        for same in by_depth.values():
            if len(same) > 1:
                lines.append("  { rank=same; " + " ".join(f"{m};" for m in same) + " }")
    lines.append("}")
    return DotText("\n".join(lines) + "\n", view)


# -- the dot program -----------------------------------------------------------------------


class DotText(str):
    """DOT text made by :func:`tree_dot`, carrying the view it was made from.

    When Graphviz is missing, :func:`run_dot` draws the view with
    :mod:`policy.render.layout` instead; everywhere else it is a plain string.
    """

    view: TreeView

    def __new__(cls, text: str, view: TreeView) -> DotText:
        made = super().__new__(cls, text)
        made.view = view
        return made



def run_dot(text: str, fmt: str, timeout: float = DOT_TIMEOUT) -> bytes:
    """Lay out DOT ``text`` with Graphviz's ``dot`` program; ``fmt`` is ``svg`` or ``png``.

    When ``dot`` is not installed and ``text`` came from :func:`tree_dot`, the
    tree is laid out by :mod:`policy.render.layout` instead.

    Raises
    ------
    RenderError
        When ``dot`` is not installed (and ``text`` is not from :func:`tree_dot`),
        fails, or takes longer than ``timeout``.
    """
    program = shutil.which("dot")
    if program is None:
        # Without Graphviz, a tree drawn by tree_dot is laid out in Python instead.
        view = getattr(text, "view", None)
        if view is None:
            raise RenderError(MISSING_DOT)
        from policy.render.layout import draw

        return draw(view, fmt)
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"dot took longer than {timeout:g} s: draw less of the tree with --depth"
        ) from None
    except OSError as err:
        raise RenderError(f"cannot run dot ({program}): {err.strerror or err}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"dot failed: {message[0] if message else f'exit code {done.returncode}'}")
    return done.stdout
