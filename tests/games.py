"""Games the tests share: literature games, builders, Gambit's catalogue, random games.

Each game is defined here once and imported by the test modules that use it,
so that "matching pennies" is the same tree wherever a test solves it.
Strategic-form games are trees made by :func:`table_game`: player ``k`` moves
at depth ``k`` in one information set named after the player, not seeing the
earlier moves, so the reduced normal form is exactly the table.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from policy.expr import parse
from policy.gamefile import loads_game
from policy.model import (
    Game,
    NodeKind,
    NodeSpec,
    Outcome,
    build_game,
    game_from_arrays,
    own_sequences,
)
from tests.conftest import chance, decision, doc_example, terminal

F = Fraction


# ---------------------------------------------------------------------------------
# Strategic-form games
# ---------------------------------------------------------------------------------
# Osborne and Rubinstein, *A Course in Game Theory* (1994), chapter 2: the
# Prisoner's Dilemma (Example 16.2) has the one equilibrium (Confess, Confess);
# BoS (Example 15.3) has two pure ones, (Bach, Bach) and (Stravinsky,
# Stravinsky), and a mixed one (chapter 3); Matching Pennies (Example 17.1) has
# none in pure strategies and mixes 1/2, 1/2 (von Neumann and Morgenstern 1944).
#: Per-player payoff tables; actions quiet, fink.
PRISONERS = ([[3, 0], [4, 1]], [[3, 4], [0, 1]])
#: Actions Bach, Stravinsky.
BATTLE_OF_THE_SEXES = ([[2, 0], [0, 1]], [[1, 0], [0, 2]])
#: Actions heads, tails; player 1 wins on a match.
MATCHING_PENNIES = ([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])


def table_game(payoffs: Any, title: str = "table", labels: Any = None) -> Game:
    """A simultaneous-move game as a tree, from per-player payoff arrays.

    ``payoffs[i][s_1, ..., s_n]`` is player ``i``'s payoff. Players are ``P1``,
    ``P2``, ...; player ``k`` moves at depth ``k`` in one information set named
    ``P<k>``; action ``j`` of player ``k`` is ``labels[k][j]`` (default
    ``s<k>_<j>``); nodes are ``n`` followed by the actions taken so far.
    """
    arrays = [np.asarray(a, dtype=object) for a in payoffs]
    n = len(arrays)
    shape = arrays[0].shape
    labels = labels or [[f"s{k}_{j}" for j in range(size)] for k, size in enumerate(shape)]
    specs: list[NodeSpec] = []
    for depth in range(n + 1):
        for cell in itertools.product(*(range(s) for s in shape[:depth])):
            name = "n" + "_".join(map(str, cell))
            if depth == n:
                outcome = Outcome(name, tuple(parse(Fraction(a[cell])) for a in arrays))
                specs.append(NodeSpec(name, NodeKind.TERMINAL, outcome=outcome))
                continue
            kids = tuple(
                (labels[depth][j], "n" + "_".join(map(str, (*cell, j)))) for j in range(shape[depth])
            )
            specs.append(
                NodeSpec(name, NodeKind.DECISION, player=f"P{depth + 1}", actions=kids,
                         infoset=f"P{depth + 1}")
            )
    return build_game(title, [f"P{i + 1}" for i in range(n)], specs)


def mixed_of(eq: Any) -> tuple[tuple[Fraction, ...], ...]:
    """Each player's mixed strategy of a :func:`table_game` equilibrium."""
    behavior = eq.behavior
    return tuple(tuple(behavior[f"P{i + 1}"].values()) for i in range(len(behavior)))


def pure_cell(eq: Any) -> tuple[int, ...]:
    """The pure profile (strategy index per player) of a :func:`table_game` equilibrium."""
    cell = []
    for sigma in mixed_of(eq):
        (k,) = [j for j, p in enumerate(sigma) if p == 1]
        cell.append(k)
    return tuple(cell)


def matching_pennies(bonus: int = 0) -> Game:
    """Matching pennies (actions ``H``, ``T``); ``bonus`` is added to player 2's payoffs."""
    one, two = MATCHING_PENNIES
    shifted = [[v + bonus for v in row] for row in two]
    return table_game((one, shifted), "Matching pennies", [["H", "T"], ["H", "T"]])


def battle_of_the_sexes() -> Game:
    """The battle of the sexes (actions ``Bach``, ``Stravinsky``)."""
    actions = ["Bach", "Stravinsky"]
    return table_game(BATTLE_OF_THE_SEXES, "Battle of the sexes", [actions, actions])


# ---------------------------------------------------------------------------------
# Trees from the literature
# ---------------------------------------------------------------------------------
#: The parameter values the tests solve :func:`entry_deterrence` at, unless they vary them.
ENTRY_VALUES = {"fight_cost": Fraction(1)}


def entry_deterrence() -> Game:
    """Selten (1978), "The chain store paradox", Theory and Decision 9: one stage.

    The example of docs/game-format.md: the entrant enters or stays out (0, 2);
    after entry the incumbent fights (``-fight_cost`` each) or accommodates
    (1, 1). (enter, accommodate) is subgame-perfect; (stay out, fight) is Nash
    too, held up by a threat that is not credible.
    """
    return loads_game(doc_example(), "entry.toml", known_claims=[])


def kuhn_poker() -> Game:
    """Kuhn (1950), "A simplified two-person poker", Contributions to the Theory of Games 1.

    Three cards J < Q < K; each player antes 1 and gets one card (6 deals, 1/6
    each). P1 checks or bets 1. After a check P2 checks (showdown for 1) or bets
    1, and then P1 folds (loses 1) or calls (showdown for 2). After a bet P2
    folds (loses 1) or calls (showdown for 2). Information sets: ``P1_<card>``
    (first move), ``P1_<card>_cb`` (after check-bet), ``P2_<card>_check`` and
    ``P2_<card>_bet``. The value to P1 is -1/18.
    """
    cards = "JQK"
    deals = [one + two for one in cards for two in cards if one != two]
    specs = [chance("deal", dict.fromkeys(deals, "1/6"), **{d: d for d in deals})]
    for d in deals:
        one, two = d
        win = 1 if cards.index(one) > cards.index(two) else -1
        specs += [
            decision(d, "P1", f"P1_{one}", check=f"{d}_c", bet=f"{d}_b"),
            decision(f"{d}_c", "P2", f"P2_{two}_check", check=f"{d}_cc", bet=f"{d}_cb"),
            decision(f"{d}_b", "P2", f"P2_{two}_bet", fold=f"{d}_bf", call=f"{d}_bc"),
            terminal(f"{d}_cc", win, -win),
            decision(f"{d}_cb", "P1", f"P1_{one}_cb", fold=f"{d}_cbf", call=f"{d}_cbc"),
            terminal(f"{d}_bf", 1, -1),
            terminal(f"{d}_bc", 2 * win, -2 * win),
            terminal(f"{d}_cbf", -1, 1),
            terminal(f"{d}_cbc", 2 * win, -2 * win),
        ]
    return build_game("Kuhn poker", ["P1", "P2"], specs)


def centipede(legs: int = 6) -> Game:
    """Rosenthal (1981), J. Economic Theory 25: the centipede game, payoffs of McKelvey
    and Palfrey (1992), "An experimental study of the centipede game", Econometrica 60.

    At leg ``k`` (nodes ``leg<k>``, P1 at odd legs) the mover takes (``took<k>``)
    4/5 of a pot of ``2**(k - 1) / 2``, leaving 1/5, or passes; after the last
    leg (``end``) P1 gets 4/5 of the next pot. By backward induction whoever
    moves takes, so P1 takes at once: (2/5, 1/10).
    """
    def split(k: int) -> tuple[Fraction, Fraction]:
        pot = Fraction(2 ** (k - 1), 2)
        big, small = pot * 4 / 5, pot / 5
        return (big, small) if k % 2 else (small, big)

    specs = []
    for k in range(1, legs + 1):
        following = f"leg{k + 1}" if k < legs else "end"
        specs.append(decision(f"leg{k}", ["P1", "P2"][(k - 1) % 2], take=f"took{k}",
                              **{"pass": following}))
        specs.append(terminal(f"took{k}", *split(k)))
    specs.append(terminal("end", *split(legs + 1)))
    return build_game("Centipede", ["P1", "P2"], specs)


def chain(decisions: int, players: int = 2) -> Game:
    """A long chain: at ``d<k>`` player ``k mod players`` stops (``s<k>``) or goes on.

    ``2 * decisions + 1`` nodes and one information set per decision; the
    hardening issue's "n-node chain". Stopping at ``d<k>`` pays the mover
    ``decisions - k`` and the others 0; the end pays everyone 0. Every mover
    strictly prefers stopping to anything later, so the first one stops.
    """
    specs = []
    names = [f"P{i + 1}" for i in range(players)]
    for k in range(decisions):
        following = f"d{k + 1}" if k + 1 < decisions else "end"
        mover = k % players
        specs.append(decision(f"d{k}", names[mover], stop=f"s{k}", go=following))
        specs.append(terminal(f"s{k}", *(decisions - k if i == mover else 0 for i in range(players))))
    specs.append(terminal("end", *([0] * players)))
    return build_game(f"chain of {2 * decisions + 1} nodes", names, specs)


def selten_horse() -> Game:
    """Selten (1975), "Reexamination of the perfectness concept", IJGT 4, Figure 1 (the "horse").

    Players 1 and 2 move in turn (``C``/``D``, ``c``/``d``); player 3 moves in
    the set ``three`` not knowing which of them stopped. The perfect
    equilibrium: 1 and 2 continue, 3 would play ``R``; payoffs (1, 1, 1).
    """
    specs = [decision("p1", "1", C="p2", D="x"),
             decision("p2", "2", c="end", d="y"),
             decision("x", "3", infoset="three", L="xl", R="xr"),
             decision("y", "3", infoset="three", L="yl", R="yr"),
             terminal("end", 1, 1, 1),
             terminal("xl", 3, 2, 2), terminal("xr", 0, 0, 0),
             terminal("yl", 4, 4, 0), terminal("yr", 0, 0, 1)]
    return build_game("Selten's horse", ["1", "2", "3"], specs)


def beer_quiche() -> Game:
    """Cho and Kreps (1987), "Signaling games and stable equilibria", QJE 102, 179-221, section II.

    Nature makes the sender surly (9/10) or a wimp (1/10); the sender, knowing
    which, breakfasts on beer or quiche; the receiver sees the breakfast only
    and duels or not. The sender gets 1 for the breakfast of its type (surly:
    beer, wimp: quiche) plus 2 if there is no duel; the receiver gets 1 for
    dueling a wimp or leaving a surly sender alone, else 0.
    """
    specs = [chance("nature", {"surly": "9/10", "wimp": "1/10"}, surly="s", wimp="w")]
    for t, liked in (("s", "beer"), ("w", "quiche")):
        specs.append(decision(t, "Sender", beer=f"{t}b", quiche=f"{t}q"))
        for food in ("beer", "quiche"):
            node = f"{t}{food[0]}"
            specs.append(decision(node, "Receiver", f"after_{food}", duel=f"{node}d", leave=f"{node}l"))
            bonus = 1 if food == liked else 0
            receiver_duel, receiver_leave = (0, 1) if t == "s" else (1, 0)
            specs.append(terminal(f"{node}d", bonus, receiver_duel))
            specs.append(terminal(f"{node}l", bonus + 2, receiver_leave))
    return build_game("Beer-quiche", ["Sender", "Receiver"], specs)


def signalling_game(
    types: int, messages: int, replies: int, payoffs: list[Fraction], priors: list[Fraction]
) -> Game:
    """Chance picks a type; the sender sees it and sends a message; the receiver sees only the message.

    ``payoffs`` lists (sender, receiver) pairs, flattened, type by type, then
    message, then reply; the receiver's sets are ``heard_m<message>``.
    """
    specs = [chance("nature", {f"t{k}": priors[k] for k in range(types)},
                    **{f"t{k}": f"s{k}" for k in range(types)})]
    cursor = 0
    for k in range(types):
        specs.append(decision(f"s{k}", "Sender", **{f"m{m}": f"r{k}_{m}" for m in range(messages)}))
        for m in range(messages):
            specs.append(decision(f"r{k}_{m}", "Receiver", infoset=f"heard_m{m}",
                                  **{f"a{a}": f"z{k}_{m}_{a}" for a in range(replies)}))
            for a in range(replies):
                specs.append(terminal(f"z{k}_{m}_{a}", payoffs[cursor], payoffs[cursor + 1]))
                cursor += 2
    return build_game("signalling", ["Sender", "Receiver"], specs)


def random_signalling(types: int, messages: int, replies: int, seed: int) -> Game:
    """A seeded random :func:`signalling_game`: rational priors, integer payoffs in [-100, 100].

    Each player's payoffs are distinct while there are at most 201 terminals
    (drawn with repetition beyond); the type priors are ``w_k / sum(w)`` for
    random fractions ``w_k = a / b`` with ``a, b`` in 1..99, so exact
    arithmetic meets large unlike denominators. The same arguments give the
    same game.
    """
    rng = np.random.default_rng(seed)
    size = types * messages * replies
    each = [rng.choice(201, size=size, replace=size > 201) - 100 for _ in range(2)]
    payoffs = [F(int(v)) for pair in zip(*each, strict=True) for v in pair]
    weights = [F(int(rng.integers(1, 100)), int(rng.integers(1, 100))) for _ in range(types)]
    priors = [w / sum(weights) for w in weights]
    return signalling_game(types, messages, replies, payoffs, priors)


# ---------------------------------------------------------------------------------
# Hand examples
# ---------------------------------------------------------------------------------
def two_stage() -> Game:
    """Chance, then player 1 (who sees chance), player 2 (who does not), player 1 again.

    ::

        nature --L (1/3)--> left  [P1 "left"]  --a--> La  [P2 "guess"] --x--> Lax (3, -1)
                                                                         --y--> Lay (0, 2)
                                               --b--> Lb  (1, 0)
               --R (2/3)--> right [P1 "right"] --c--> Rc  [P2 "guess"] --x--> Rcx (-3, 3)
                                                                         --y--> again [P1] --e--> (6, 0)
                                                                                           --f--> (0, 3/2)
                                               --d--> Rd  (2, 1)
    """
    specs = [
        chance("nature", {"L": "1/3", "R": "2/3"}, L="left", R="right"),
        decision("left", "P1", "left", a="La", b="Lb"),
        decision("right", "P1", "right", c="Rc", d="Rd"),
        decision("La", "P2", "guess", x="Lax", y="Lay"),
        terminal("Lb", 1, 0),
        decision("Rc", "P2", "guess", x="Rcx", y="again"),
        terminal("Rd", 2, 1),
        terminal("Lax", 3, -1),
        terminal("Lay", 0, 2),
        terminal("Rcx", -3, 3),
        decision("again", "P1", "again", e="Rcye", f="Rcyf"),
        terminal("Rcye", 6, 0),
        terminal("Rcyf", 0, "3/2"),
    ]
    return build_game("Two stages", ["P1", "P2"], specs)


# ---------------------------------------------------------------------------------
# Gambit's games
# ---------------------------------------------------------------------------------
def gambit_nodes(g: Any) -> list[Any]:
    """The nodes of a pygambit tree breadth-first: node ``n<k>`` of :func:`from_pygambit` is entry ``k``."""
    order = [g.root]
    head = 0
    while head < len(order):
        order.extend(order[head].children)
        head += 1
    return order


def from_pygambit(g: Any) -> Game:
    """A pygambit game as ours: same tree, exact payoffs and probabilities.

    Trees: nodes are ``n<k>`` breadth-first (see :func:`gambit_nodes`);
    information sets ``<player>:<number>`` with Gambit's number; action labels
    are kept when they are distinct and non-empty within their set, else
    ``a<j>``; outcomes above terminals stay where they are (we add them up along
    the path, as Gambit does). Players keep their labels unless some are empty
    or repeated (then ``P1``, ``P2``, ...). Strategic games become a
    :func:`table_game`, with Gambit's strategy labels where they are distinct.
    """
    labels = [p.label for p in g.players]
    if len(set(labels)) != len(labels) or not all(labels):
        labels = [f"P{i + 1}" for i in range(len(labels))]
    if not g.is_tree:
        names = []
        for player in g.players:
            raw = [s.label or f"s{j}" for j, s in enumerate(player.strategies)]
            names.append(raw if len(set(raw)) == len(raw) else [f"s{j}" for j in range(len(raw))])
        return table_game(g.to_arrays(), title=g.title or "nfg", labels=names)
    owner = {p: name for p, name in zip(g.players, labels, strict=True)}
    order = gambit_nodes(g)
    first_child = np.cumsum([0] + [len(node.children) for node in order])[:-1] + 1
    specs = []
    for k, node in enumerate(order):
        outcome = None
        if node.outcome:
            pays = tuple(parse(Fraction(str(node.outcome[p]))) for p in g.players)
            outcome = Outcome(f"o{k}", pays)
        if node.is_terminal:
            outcome = outcome or Outcome(f"o{k}", tuple(parse(0) for _ in labels))
            specs.append(NodeSpec(f"n{k}", NodeKind.TERMINAL, outcome=outcome))
            continue
        acts = [a.label for a in node.infoset.actions]
        if len(set(acts)) != len(acts) or not all(acts):
            acts = [f"a{j}" for j in range(len(acts))]
        kids = [f"n{first_child[k] + j}" for j in range(len(acts))]
        pairs = tuple(zip(acts, kids, strict=True))
        if node.player.is_chance:
            probs = tuple(parse(Fraction(str(a.prob))) for a in node.infoset.actions)
            specs.append(NodeSpec(f"n{k}", NodeKind.CHANCE, actions=pairs, probabilities=probs,
                                  outcome=outcome))
        else:
            player = owner[node.player]
            specs.append(NodeSpec(f"n{k}", NodeKind.DECISION, player=player, actions=pairs,
                                  infoset=f"{player}:{node.infoset.number}", outcome=outcome))
    return build_game(g.title or "efg", labels, specs)


def gambit_table(payoffs: Any) -> Any:
    """The table of per-player payoff arrays as a pygambit strategic game (exact payoffs)."""
    import pygambit

    arrays = [np.vectorize(Fraction, otypes=[object])(np.asarray(a, dtype=object)) for a in payoffs]
    return pygambit.Game.from_arrays(*arrays)


def gambit_mixed(g: Any, profile: Any) -> tuple[tuple[Fraction, ...], ...]:
    """A pygambit mixed strategy profile as tuples of Fractions, player by player."""
    return tuple(
        tuple(Fraction(profile[s]) for s in player.strategies) for player in g.players
    )


def signature(eq: Any) -> tuple[Any, ...]:
    """What an equilibrium does: payoffs and the probability of every terminal."""
    return (tuple(eq.values), tuple(eq.reach))


def gambit_signature(game: Game, profile: Any) -> tuple[Any, ...]:
    """:func:`signature` of a pygambit mixed profile of the tree ``game`` was made from."""
    behavior = profile.as_behavior()
    g = profile.game
    nodes = gambit_nodes(g)
    values = tuple(Fraction(behavior.payoff(p)) for p in g.players)
    reach = tuple(
        Fraction(behavior.realiz_prob(nodes[int(game.node_names[t][1:])]))
        for t in game.terminals.tolist()
    )
    return values, reach


def table_signature(eq: Any) -> tuple[Any, ...]:
    """Payoffs and mixed strategies of a :func:`table_game` equilibrium."""
    return (tuple(eq.values), mixed_of(eq))


def gambit_table_signature(g: Any, profile: Any) -> tuple[Any, ...]:
    """:func:`table_signature` of a pygambit mixed profile of a strategic game."""
    values = tuple(Fraction(profile.payoff(p)) for p in g.players)
    return values, gambit_mixed(g, profile)


#: Tests that enumerate strategies leave out catalogue games with more pure
#: strategy profiles than this (time).
CATALOG_MAX_PROFILES = 5000


@functools.cache
def _catalog() -> tuple[tuple[str, bool, bool, int], ...]:
    """(slug, is a tree, has perfect recall, number of players) of every catalogue game."""
    try:
        import pygambit.catalog as catalog
    except ImportError:  # pragma: no cover - depends on the environment
        return ()
    out = []
    for slug in catalog.games()["Game"]:
        g = catalog.load(slug)
        out.append((slug, bool(g.is_tree), bool(g.is_perfect_recall), len(g.players)))
    return tuple(out)


@functools.cache
def _pure_profiles(slug: str) -> int:
    import pygambit.catalog as catalog

    return int(np.prod([len(p.strategies) for p in catalog.load(slug).players]))


def catalog_slugs(
    players: range | tuple[int, ...] | None = None,
    trees_only: bool = False,
    max_profiles: int | None = None,
) -> list[str]:
    """Gambit's catalogue games ours can read (trees need perfect recall), filtered.

    ``players``: the player counts kept (all by default); ``trees_only``: leave
    out strategic games; ``max_profiles``: leave out games with more pure
    strategy profiles. Empty without pygambit.
    """
    return [
        slug
        for slug, tree, recall, n in _catalog()
        if (recall or not tree)
        and (players is None or n in players)
        and (tree or not trees_only)
        and (max_profiles is None or _pure_profiles(slug) <= max_profiles)
    ]


# ---------------------------------------------------------------------------------
# Random games (hypothesis)
# ---------------------------------------------------------------------------------
# Strategies are made once: making them inside a draw is what makes hypothesis slow.
_PAYOFF = st.integers(-4, 4)


@st.composite
def tables(draw: st.DrawFn, players: int = 2, low: int = 2, high: int = 4) -> list[Any]:
    """Per-player integer payoff arrays of a random ``players``-player table."""
    shape = tuple(draw(st.integers(low, high)) for _ in range(players))
    size = int(np.prod(shape))
    return [
        np.array(draw(st.lists(_PAYOFF, min_size=size, max_size=size)), dtype=object).reshape(shape)
        for _ in range(players)
    ]


_KIND_AT_ROOT = st.sampled_from([NodeKind.DECISION, NodeKind.CHANCE])
_KIND = st.sampled_from([NodeKind.DECISION, NodeKind.DECISION, NodeKind.CHANCE, NodeKind.TERMINAL])
_WEIGHT = st.integers(0, 3)
_SPLIT = st.sampled_from([0, 0, 1])  # mostly merge
_TWO_BRANCHING = st.sampled_from([2, 2, 3])
_BRANCHING = st.integers(1, 3)
_MOVER = st.integers(0, 2)
_NUMERATOR = st.integers(-6, 6)
_DENOMINATOR = st.integers(1, 3)


@st.composite
def two_player_games(
    draw: st.DrawFn, max_nodes: int = 28, max_depth: int = 4, zero_sum: bool = False
) -> Game:
    """A random 2-player game with chance and information sets (perfect recall).

    The tree is drawn breadth-first, one player moving at each depth (chance
    may move anywhere); then, depth by depth, the decision nodes
    of a player that have the same number of actions and the same own history
    (as :func:`policy.model.own_sequences` numbers it) are split at random into
    information sets, so that a player may not see the other's (or chance's)
    earlier moves but always remembers their own. Payoffs are small integers,
    so ties and degenerate games are common; ``zero_sum`` makes ``u2 = -u1``.
    """
    level_player = [draw(st.integers(0, 1)) for _ in range(max_depth + 1)]
    kinds: list[int] = []
    movers: list[int] = []
    counts: list[int] = []
    depth = [0]
    payoffs: list[list[Fraction]] = []
    probabilities: dict[int, list[Fraction]] = {}
    while len(kinds) < len(depth):
        i = len(kinds)
        room = max_nodes - len(depth)
        kind = NodeKind.TERMINAL
        if depth[i] < max_depth and room >= 2:
            kind = draw(_KIND_AT_ROOT if i == 0 else _KIND)
        k = min(draw(_TWO_BRANCHING), room) if kind != NodeKind.TERMINAL else 0
        kinds.append(int(kind))
        counts.append(k)
        movers.append(level_player[depth[i]] if kind == NodeKind.DECISION else -1)
        depth.extend([depth[i] + 1] * k)
        if kind == NodeKind.TERMINAL:
            u1 = F(draw(_PAYOFF))
            payoffs.append([u1, -u1 if zero_sum else F(draw(_PAYOFF))])
        elif kind == NodeKind.CHANCE:
            weights = [draw(_WEIGHT) for _ in range(k)]
            if not any(weights):
                weights[-1] = 1
            probabilities[i] = [F(w, sum(weights)) for w in weights]
    players = ["P1", "P2"]
    plain = game_from_arrays("random", players, counts, kinds, movers, payoffs, probabilities)
    history = own_sequences(plain)
    groups: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for n in np.flatnonzero(plain.kind == NodeKind.DECISION).tolist():
        p = int(plain.player[n])
        groups[(p, depth[n], counts[n], int(history[n, p]))].append(n)
    names: list[str | None] = [None] * len(kinds)
    for g, members in enumerate(groups.values()):
        for n in members:
            names[n] = f"h{g}.{draw(_SPLIT)}"
    return game_from_arrays(
        "random", players, counts, kinds, movers, payoffs, probabilities, infoset_names=names
    )


@st.composite
def imperfect_games(
    draw: st.DrawFn, players: tuple[int, ...] = (2,), max_nodes: int = 30, max_depth: int = 5
) -> Game:
    """A random game with chance, information sets and perfect recall.

    A random tree is grown breadth-first; then decision nodes of the same
    player, with as many actions and the same own history, are merged into
    information sets at random. Equal own histories keep recall perfect (and
    rule out a member lying below another).
    """
    n_players = draw(st.sampled_from(players))
    kinds: list[int] = []
    movers: list[int] = []
    counts: list[int] = []
    payoffs: list[list[Fraction]] = []
    probabilities: dict[int, list[Fraction]] = {}
    depth = [0]
    while len(kinds) < len(depth):  # nodes are numbered breadth-first as they are drawn
        i = len(kinds)
        room = max_nodes - len(depth)
        kind = NodeKind.TERMINAL
        if depth[i] < max_depth and room >= 1:
            kind = draw(_KIND if i else _KIND_AT_ROOT)
        k = min(draw(_BRANCHING), room) if kind != NodeKind.TERMINAL else 0
        if kind != NodeKind.TERMINAL and k == 0:
            kind = NodeKind.TERMINAL
        kinds.append(int(kind))
        counts.append(k)
        movers.append(draw(_MOVER) % n_players if kind == NodeKind.DECISION else -1)
        depth.extend([depth[i] + 1] * k)
        if kind == NodeKind.TERMINAL:
            payoffs.append([F(draw(_NUMERATOR), draw(_DENOMINATOR)) for _ in range(n_players)])
        elif kind == NodeKind.CHANCE:
            weights = [draw(_WEIGHT) for _ in range(k)]
            if not any(weights):
                weights[0] = 1
            probabilities[i] = [F(w, sum(weights)) for w in weights]
    names = [f"P{p + 1}" for p in range(n_players)]
    base = game_from_arrays("random", names, counts, kinds, movers, payoffs, probabilities)
    history = own_sequences(base)
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for n in np.flatnonzero(base.kind == NodeKind.DECISION).tolist():
        p = int(base.player[n])
        groups[(p, counts[n], int(history[n, p]))].append(n)
    infoset_names: list[str | None] = [None] * len(kinds)
    for g, members in enumerate(groups.values()):
        if len(members) > 1:
            for n in members:
                infoset_names[n] = f"s{g}_{draw(_SPLIT)}"
    return game_from_arrays(
        "random", names, counts, kinds, movers, payoffs, probabilities, infoset_names=infoset_names
    )


@st.composite
def behaviors(draw: st.DrawFn, game: Game) -> list[Fraction]:
    """A random exact behaviour profile; zeros are common, so some sets go unreached."""
    probs: list[Fraction] = []
    for s in game.infosets.values():
        weights = [draw(_WEIGHT) for _ in s.actions]
        if not any(weights):
            weights[draw(st.integers(0, len(weights) - 1))] = 1
        probs += [F(w, sum(weights)) for w in weights]
    return probs


#: Hide and seek with a parameter: the hider hides left or right, the seeker looks
#: without seeing where (one information set); zero-sum. Used by the sweep and lp tests.
GUESS = """
[game]
title = "Guess"
players = ["Hider", "Seeker"]

[parameters.bonus]
description = "What the seeker wins by finding the hider on the left"
default = 1

[nodes.hide]
player = "Hider"
actions = { left = "seek_l", right = "seek_r" }

[nodes.seek_l]
player = "Seeker"
infoset = "seek"
actions = { left = "ll", right = "lr" }

[nodes.seek_r]
player = "Seeker"
infoset = "seek"
actions = { left = "rl", right = "rr" }

[nodes.ll]
payoffs = { Hider = "-bonus", Seeker = "bonus" }

[nodes.lr]
payoffs = { Hider = 1, Seeker = -1 }

[nodes.rl]
payoffs = { Hider = 1, Seeker = -1 }

[nodes.rr]
payoffs = { Hider = -1, Seeker = 1 }
"""


def flat_behavior(result: Any, s: int) -> Any:
    """Sample ``s``'s behaviour from a batch (Monte Carlo) result, as one flat vector over the game's actions."""
    import numpy as np

    game = result.game
    flat = np.zeros(game.num_actions)
    for col, node in enumerate(result.decision_nodes.tolist()):
        k = game.infoset[node]
        offset, width = int(game.infoset_offsets[k]), int(game.num_children[node])
        row = int(result.mixed_row[col])
        if row >= 0:
            flat[offset : offset + width] = result.behavior[s, row : row + width]
        else:
            flat[offset + int(result.choice[s, col])] = 1.0
    return flat
