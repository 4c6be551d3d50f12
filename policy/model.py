"""The game tree: an immutable extensive-form game.

A :class:`Game` is read like the mathematics (``game.players["USSR"]``,
``game.root.children["appeal_west"]``, ``game.infosets["germany_guess"]``) and is
held underneath as flat numpy arrays in breadth-first order, so that solvers can
work level by level instead of node by node:

* nodes are numbered breadth-first from the root (index 0), so the children of
  every node are contiguous (``first_child[n] .. first_child[n] + num_children[n]``)
  and every depth is a contiguous slice (``levels``);
* ``parent``, ``kind``, ``player``, ``infoset``, ``outcome`` and ``depth`` are
  arrays over nodes; the label of the action leading to a node is
  ``action_label[node]``;
* information sets are numbered, and the actions of all information sets are
  numbered consecutively (``infoset_offset``), so a behaviour profile is one flat
  vector of action probabilities.

Payoffs and chance probabilities are :class:`~policy.expr.Expr` objects in the
game's parameters; :meth:`Game.numbers` evaluates them at given parameter values,
exactly (``fractions.Fraction``) or in floating point, and checks the chance
probabilities there. Every traversal is iterative: trees a million nodes large or
a hundred thousand deep need no recursion.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import gc
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Generic, NamedTuple, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from policy import rational, tolerances
from policy.expr import MAX_MAGNITUDE, ExactEvaluator, Expr, ExprError, evaluate

Number = Fraction | float
"""A value in a solution: exact (``Fraction``) or floating point."""

#: Chance probabilities in float mode must sum to 1 within this tolerance.
FLOAT_PROBABILITY_TOLERANCE = tolerances.PROBABILITY

#: How many evaluations (parameter values x mode) a game keeps for reuse.
NUMBERS_CACHE_SIZE = 8
#: Entries of a game's cache that depend on its structure alone, kept by
#: :meth:`Game.in_file`'s copy.
_STRUCTURE_CACHE = ("own_sequences",)
#: Games with at most this many decision nodes, given their sets as numbers,
#: have them numbered in Python (numpy's unique costs more at that size).
SMALL_GROUPING = 1_000
#: Exact evaluations of the expressions kept to start the next from (:meth:`Game._expression_values`).
KEPT_EVALUATIONS = 4

T = TypeVar("T")
ArrayT = TypeVar("ArrayT", bound=np.ndarray)
R = TypeVar("R")
P = ParamSpec("P")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or reading a game.

    Building a big game allocates millions of small objects that are never
    garbage; without this, repeated full collections dominate the build time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The cyclic garbage collector's first threshold in :func:`fewer_collections` (Python's default is 700).
COLLECT_AFTER = 10_000


@contextlib.contextmanager
def fewer_collections(first: int | None = None) -> Iterator[None]:
    """Run the cyclic garbage collector less often for a while (its first threshold at ``first``,
    by default :data:`COLLECT_AFTER`).

    A comparison of a campaign keeps hundreds of thousands of small objects
    alive (the parts kept between solves, their ``Fraction`` values), and
    allocates millions more; each full collection walks all of them, and at
    Python's default threshold some twenty full collections took about a
    twentieth of ``policy compare``'s CPU time. Reference counting frees
    objects as before; only garbage held in reference cycles waits longer.
    The thresholds are put back afterwards.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(COLLECT_AFTER if first is None else first, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the collector paused (see :func:`gc_paused`)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return func(*args, **kwargs)

    return wrapper


class GameError(ValueError):
    """A game that is not well formed.

    ``path`` is the key path of the offending part, as in a game file
    (``nodes.rebuffed.actions.deal``), so readers can point at a line.
    ``file`` names the game's file for errors found when a game read from one
    is evaluated (see :meth:`Game.error`); ``""`` otherwise.
    """

    def __init__(self, message: str, path: str = "", file: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.file = file

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{self.file}: {text}" if self.file else text


#: Functions that say where the cause of an evaluation error was written when a
#: game was put together from other files: each takes the game, the message and
#: the key path in the game, and returns the error to raise, or None when the
#: game is not one it knows. :mod:`policy.campaign` adds one for its spliced
#: games (a chance probability goes back to its stage, in its state).
ERROR_PLACES: list[Callable[[Game, str, str], GameError | None]] = []


def _with_line(file: str, path: str) -> str:
    """``file:line`` where key path ``path`` is written in our TOML game ``file``, else ``file``."""
    if not file or not path or not file.endswith(".toml"):
        return file
    from policy.files import InputError, read_text
    from policy.gamefile import find_line

    try:
        line = find_line(read_text(file).splitlines(), path)
    except (InputError, OSError, UnicodeError):
        return file
    return f"{file}:{line}" if line else file


class NodeKind(enum.IntEnum):
    """What happens at a node."""

    DECISION = 0
    CHANCE = 1
    TERMINAL = 2


#: The kinds as plain integers, for comparisons with arrays of kinds: numpy
#: takes an ``IntEnum`` member as a Python object and costs some 3 us more
#: per comparison, which the small games' paths make many of.
DECISION, CHANCE, TERMINAL = int(NodeKind.DECISION), int(NodeKind.CHANCE), int(NodeKind.TERMINAL)


class Labeled(Mapping[str, T], Generic[T]):
    """An ordered collection looked up by label (``players["USSR"]``) or position."""

    def __init__(self, items: Sequence[T], labels: Sequence[str], what: str) -> None:
        self._items = tuple(items)
        self._index = {label: i for i, label in enumerate(labels)}
        self._what = what

    def __getitem__(self, key: str) -> T:
        try:
            return self._items[self._index[key]]
        except KeyError:
            known = ", ".join(list(self._index)[:20])
            raise KeyError(f"no {self._what} {key!r} (known: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._items)

    def in_order(self) -> tuple[T, ...]:
        """All items, in declaration order (quicker than looking each up by label)."""
        return self._items

    def at(self, position: int) -> T:
        """The item at a position, in declaration order."""
        return self._items[position]

    def index(self, key: str) -> int:
        """The position of a label."""
        return self._index[key]

    def __repr__(self) -> str:
        return f"Labeled({list(self._index)})"


class ArrayInfosets(Labeled["Infoset"]):
    """A game's information sets, made one at a time when asked for (big trees have many).

    Held as arrays: each set's player, its members (``members[bounds[k]:bounds[k + 1]]``),
    and its offset in a behaviour vector; its actions are the labels of the
    first member's children.
    """

    def __init__(
        self,
        names: Sequence[str],
        players: Sequence[Player],
        set_player: npt.NDArray[Any],
        members: npt.NDArray[np.int64],
        bounds: npt.NDArray[np.int64],
        first_child: npt.NDArray[np.int64],
        num_children: npt.NDArray[np.int32],
        action_label: Sequence[str],
        offsets: npt.NDArray[np.int64],
    ) -> None:
        self._names = names
        self._players = players
        self._set_player = set_player
        self._members = members
        self._bounds = bounds
        self._first_child = first_child
        self._num_children = num_children
        self._action_label = action_label
        self._offsets = offsets
        self._made: dict[int, Infoset] = {}
        self._what = "information set"

    @functools.cached_property
    def _index(self) -> dict[str, int]:  # type: ignore[override]
        return {name: k for k, name in enumerate(self._names)}

    def __getitem__(self, key: str) -> Infoset:
        k = self._index.get(key)
        if k is None:
            known = ", ".join(list(self._names[:20]))
            raise KeyError(f"no {self._what} {key!r} (known: {known})")
        return self.at(k)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def index(self, key: str) -> int:
        return self._index[key]

    def at(self, position: int) -> Infoset:
        got = self._made.get(position)
        if got is None:
            if not 0 <= position < len(self._names):
                raise IndexError("information set index out of range")
            lo, hi = int(self._bounds[position]), int(self._bounds[position + 1])
            members = tuple(self._members[lo:hi].tolist())
            start = int(self._first_child[members[0]])
            actions = tuple(self._action_label[start : start + int(self._num_children[members[0]])])
            got = self._made[position] = Infoset(
                self._names[position],
                position,
                self._players[int(self._set_player[position])],
                actions,
                members,
                int(self._offsets[position]),
            )
        return got

    def in_order(self) -> tuple[Infoset, ...]:
        return tuple(self.at(k) for k in range(len(self._names)))

    def __repr__(self) -> str:
        return f"ArrayInfosets({len(self)} sets)"


@dataclass(frozen=True)
class Player:
    """A player (chance is not one)."""

    label: str
    index: int


@dataclass(frozen=True)
class Parameter:
    """A named number that payoffs and probabilities may use."""

    name: str
    description: str = ""
    default: Fraction | None = None
    range: tuple[Fraction, Fraction] | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """Payoffs attached to a node: one expression per player, a label, and facts.

    ``facts`` are ``(key, value)`` pairs that say what the outcome means in
    terms a reader can add up across games ("war_with_germany" = "1941",
    "regime" = "survives"); :mod:`policy.analysis.compare` reports the
    probability of each value. Gambit files have none.
    """

    label: str
    payoffs: tuple[Expr, ...]
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Infoset:
    """An information set: decision nodes of one player that they cannot tell apart."""

    name: str
    index: int
    player: Player
    actions: tuple[str, ...]
    members: tuple[int, ...]
    offset: int
    """Position of this set's first action in a flat behaviour vector."""

    def action_index(self, label: str) -> int:
        """The position of an action label among this set's actions."""
        try:
            return self.actions.index(label)
        except ValueError:
            raise KeyError(f"infoset {self.name!r} has no action {label!r}") from None


@dataclass(frozen=True)
class NodeSpec:
    """A node as a file describes it, by name; the input of :func:`build_game`.

    ``actions`` pairs each action label with the name of the child it leads to;
    ``probabilities`` (chance nodes) gives one expression per action, in order.
    """

    name: str
    kind: NodeKind
    player: str | None = None
    actions: tuple[tuple[str, str], ...] = ()
    probabilities: tuple[Expr, ...] = ()
    infoset: str | None = None
    outcome: Outcome | None = None
    path: str = ""
    """Key path of the node in its file, for error messages."""
    label: str | None = None
    """A descriptive label that need not be unique (a Gambit file's node label)."""
    infoset_label: str | None = None
    """A descriptive label of the node's information set or chance event (a Gambit file's)."""


class ExactArrays(NamedTuple):
    """A game's exact numbers as integer arrays (see :mod:`policy.rational`).

    Games whose numbers are constants held as arrays have them; so do games
    with outcomes above terminals, whose payoffs are added up along each path
    on integers.

    ``leaf_num[t] / leaf_den[t]`` is the payoff vector of terminal ``t`` (one
    denominator per terminal); ``prob_num[n] / prob_den[n]`` the probability
    of the edge into node ``n`` (1 where a player moves).
    """

    leaf_num: npt.NDArray[Any]
    leaf_den: npt.NDArray[Any]
    prob_num: npt.NDArray[Any]
    prob_den: npt.NDArray[Any]


class Numbers:
    """A game's numbers at given parameter values.

    ``leaf_payoff[t]`` is the payoff vector of terminal ``game.terminals[t]``
    (outcomes attached above a terminal are added in). ``edge_prob[n]`` is the
    chance probability of the edge into node ``n`` (1 where a player moves).
    Arrays hold ``Fraction`` objects when ``exact``, float64 otherwise.

    Exact numbers may come as integer arrays (``ratios``, an
    :class:`ExactArrays`: a game without parameters held as arrays, or a game
    with outcomes above terminals); the ``Fraction`` arrays are then made
    from them on first use, and code that can work on the integers (backward
    induction, spe through subgames, the exact verification, the exact-size
    estimate) never makes them.
    """

    __slots__ = ("_leaf", "_prob", "exact", "ratios")

    def __init__(
        self,
        exact: bool,
        leaf_payoff: npt.NDArray[Any] | None = None,
        edge_prob: npt.NDArray[Any] | None = None,
        ratios: ExactArrays | None = None,
    ) -> None:
        if (leaf_payoff is None or edge_prob is None) and ratios is None:
            raise ValueError("Numbers needs leaf_payoff and edge_prob, or ratios")
        self.exact = exact
        self._leaf = leaf_payoff
        self._prob = edge_prob
        self.ratios = ratios

    @property
    def leaf_payoff(self) -> npt.NDArray[Any]:
        if self._leaf is None:
            from policy.rational import to_fractions

            assert self.ratios is not None
            self._leaf = _readonly(to_fractions(self.ratios.leaf_num, self.ratios.leaf_den))
        return self._leaf

    @property
    def edge_prob(self) -> npt.NDArray[Any]:
        if self._prob is None:
            from policy.rational import to_fractions

            assert self.ratios is not None
            self._prob = _readonly(to_fractions(self.ratios.prob_num, self.ratios.prob_den))
        return self._prob

    def __repr__(self) -> str:
        return f"Numbers(exact={self.exact}, terminals={len(self.leaf_payoff)})"


def constant_expr(value: Fraction, text: str | None = None) -> Expr:
    """The expression of a number, as :func:`policy.expr.parse` makes it (without its checks).

    ``text`` is the text it was written as, when not ``str(value)``.
    """
    return Expr(str(value) if text is None else text, frozenset(), ("num", value))


class ConstantOutcomes(Sequence[Outcome]):
    """A game's outcomes when every payoff is a number: arrays, not one object per outcome.

    Games read from Gambit files and built from arrays hold their outcomes
    this way: ``num[k, p] / den[k, p]`` (in lowest terms, int64 or Python ints)
    is the payoff of outcome ``k`` to player ``p``. Indexing makes the
    :class:`Outcome` (with constant expressions) on demand, so code that reads
    outcomes one at a time sees the same objects as for any game.
    """

    def __init__(
        self,
        labels: Sequence[str] | None,
        num: npt.NDArray[Any],
        den: npt.NDArray[Any],
        facts: Sequence[tuple[tuple[str, str], ...]] | None = None,
        texts: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        self.labels = labels
        """One label per outcome, or None when all are ``""``."""
        self.num = _readonly(num)
        self.den = _readonly(den)
        self.facts = facts
        """Each outcome's facts (as :attr:`Outcome.facts`), or None when none has any."""
        self.texts = texts or {}
        """``(outcome, player) -> text`` of payoffs written otherwise than ``str`` of their value (``0.5``)."""
        self._made: dict[int, Outcome] = {}

    def __len__(self) -> int:
        return len(self.num)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return tuple(self[i] for i in range(*k.indices(len(self))))
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError("outcome index out of range")
        got = self._made.get(k)
        if got is None:
            from policy.rational import coprime_fraction

            payoffs = tuple(
                constant_expr(coprime_fraction(a, b), self.texts.get((k, p)))
                for p, (a, b) in enumerate(zip(self.num[k].tolist(), self.den[k].tolist(), strict=True))
            )
            # Kept: callers may key caches by identity, as for any game's outcomes.
            got = self._made[k] = Outcome(
                self.labels[k] if self.labels is not None else "",
                payoffs,
                self.facts[k] if self.facts is not None else (),
            )
        return got

    def __iter__(self) -> Iterator[Outcome]:
        for k in range(len(self)):
            yield self[k]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConstantOutcomes):
            return (
                len(self) == len(other)
                and list(self.labels or [""] * len(self)) == list(other.labels or [""] * len(other))
                and list(self.facts or [()] * len(self)) == list(other.facts or [()] * len(other))
                and bool(np.all(self.num == other.num))
                and bool(np.all(self.den == other.den))
            )
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @functools.cached_property
    def floats(self) -> npt.NDArray[np.float64]:
        """The payoffs in float64."""
        from policy.rational import to_floats

        return _readonly(to_floats(self.num, self.den))

    @functools.cached_property
    def rows(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """The payoffs with one denominator per outcome: ``(num (k, players), den (k,))``."""
        from policy.rational import as_object, reduce

        num, den = self.num, self.den
        if not len(num):
            return num.reshape(0, num.shape[1] if num.ndim == 2 else 0), np.ones(0, dtype=np.int64)
        common = np.lcm.reduce(den, axis=1) if den.dtype != object else np.lcm.reduce(den, axis=1)
        if den.dtype != object and float(np.abs(num).max()) * float(common.max()) >= 2.0**60:
            num, den = as_object(num), as_object(den)
            common = np.lcm.reduce(den, axis=1)
        scaled = num * (common[:, None] // den)
        return reduce(scaled, common)

    def __repr__(self) -> str:
        return f"ConstantOutcomes({len(self)} outcomes)"


class ConstantProbabilities(Sequence["Expr | None"]):
    """The chance probability into every node when all are numbers: arrays, not objects.

    ``edges`` are the children of chance nodes (ascending, so grouped by
    parent); ``num[k] / den[k]`` is the probability of the edge into
    ``edges[k]``, in lowest terms. Indexing by node gives the constant
    expression, or None for a node whose parent is not a chance node.
    """

    def __init__(
        self,
        size: int,
        edges: npt.NDArray[np.int64],
        num: npt.NDArray[Any],
        den: npt.NDArray[Any],
        texts: Mapping[int, str] | None = None,
    ) -> None:
        self.size = size
        self.edges = _readonly(edges)
        self.num = _readonly(num)
        self.den = _readonly(den)
        self.texts = texts or {}
        """Edge position ``k`` -> text of a probability written otherwise than ``str`` of its value."""
        self._made: dict[int, Expr] = {}

    def __len__(self) -> int:
        return self.size

    @functools.cached_property
    def floats(self) -> npt.NDArray[np.float64]:
        """The probabilities of ``edges`` in float64."""
        from policy.rational import to_floats

        return _readonly(to_floats(self.num, self.den))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError("node index out of range")
        k = int(np.searchsorted(self.edges, i))
        if k == len(self.edges) or int(self.edges[k]) != i:
            return None
        return self._expr(k)

    def _expr(self, k: int) -> Expr:
        got = self._made.get(k)
        if got is None:
            from policy.rational import coprime_fraction

            # Kept: callers may key caches by identity.
            got = self._made[k] = constant_expr(
                coprime_fraction(int(self.num[k]), int(self.den[k])), self.texts.get(k)
            )
        return got

    def __iter__(self) -> Iterator[Expr | None]:
        exprs: list[Expr | None] = [None] * self.size
        for k, e in enumerate(self.edges.tolist()):
            exprs[e] = self._expr(k)
        return iter(exprs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConstantProbabilities):
            return (
                self.size == other.size
                and np.array_equal(self.edges, other.edges)
                and bool(np.all(self.num == other.num))
                and bool(np.all(self.den == other.den))
            )
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ConstantProbabilities({len(self.edges)} chance edges)"


class NumberedNames(Sequence[str]):
    """Node names ``n0, n1, ...`` (a node's breadth-first index), made on demand."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(f"n{k}" for k in range(*i.indices(self.size)))
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError("node index out of range")
        return f"n{i}"

    def __iter__(self) -> Iterator[str]:
        return (f"n{k}" for k in range(self.size))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NumberedNames):
            return self.size == other.size
        if isinstance(other, Sequence):
            return len(other) == self.size and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def index_of(self, name: str) -> int | None:
        """The index named ``name``, or None."""
        digits = name[1:]
        if name[:1] != "n" or not digits.isascii() or not digits.isdigit() or (digits[0] == "0" and digits != "0"):
            return None
        k = int(digits)
        return k if k < self.size else None


class _NumberedIndex(Mapping[str, int]):
    """``name -> index`` for :class:`NumberedNames`, without a dictionary."""

    def __init__(self, names: NumberedNames) -> None:
        self._names = names

    def __getitem__(self, name: str) -> int:
        k = self._names.index_of(name) if isinstance(name, str) else None
        if k is None:
            raise KeyError(name)
        return k

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class Node:
    """A view of one node of a :class:`Game` (cheap; made on demand)."""

    __slots__ = ("_game", "index")

    def __init__(self, game: Game, index: int) -> None:
        self._game = game
        self.index = index

    @property
    def name(self) -> str:
        return self._game.node_names[self.index]

    @property
    def kind(self) -> NodeKind:
        return NodeKind(int(self._game.kind[self.index]))

    @property
    def is_terminal(self) -> bool:
        return self.kind is NodeKind.TERMINAL

    @property
    def player(self) -> Player | None:
        p = int(self._game.player[self.index])
        return self._game.players.at(p) if p >= 0 else None

    @property
    def infoset(self) -> Infoset | None:
        i = int(self._game.infoset[self.index])
        return self._game.infosets.at(i) if i >= 0 else None

    @property
    def parent(self) -> Node | None:
        p = int(self._game.parent[self.index])
        return Node(self._game, p) if p >= 0 else None

    @property
    def action_in(self) -> str | None:
        """The label of the action that leads to this node (None at the root)."""
        return self._game.action_label[self.index] if self.index else None

    @property
    def actions(self) -> tuple[str, ...]:
        g = self._game
        start = int(g.first_child[self.index])
        return tuple(g.action_label[start : start + int(g.num_children[self.index])])

    @property
    def children(self) -> Labeled[Node]:
        g = self._game
        start = int(g.first_child[self.index])
        kids = range(start, start + int(g.num_children[self.index]))
        return Labeled([Node(g, c) for c in kids], [g.action_label[c] for c in kids], "action")

    @property
    def probabilities(self) -> Mapping[str, Expr]:
        """Chance probabilities by action (empty unless a chance node)."""
        g = self._game
        if self.kind is not NodeKind.CHANCE:
            return {}
        start = int(g.first_child[self.index])
        kids = range(start, start + int(g.num_children[self.index]))
        return {g.action_label[c]: g.chance_probability[c] for c in kids}  # type: ignore[misc]

    @property
    def outcome(self) -> Outcome | None:
        o = int(self._game.outcome[self.index])
        return self._game.outcomes[o] if o >= 0 else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other._game is self._game and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self._game), self.index))

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.kind.name.lower()})"


def _readonly(a: ArrayT) -> ArrayT:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Game:
    """An immutable extensive-form game with parameters.

    Build one with :func:`build_game` (from named node specs) or
    :func:`game_from_arrays` (from breadth-first arrays); read one from a file
    with :func:`policy.gamefile.load_game`.
    """

    title: str
    players: Labeled[Player]
    parameters: Mapping[str, Parameter]
    node_names: Sequence[str]
    parent: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    player: npt.NDArray[np.int32]
    infoset: npt.NDArray[np.int32]
    outcome: npt.NDArray[np.int32]
    first_child: npt.NDArray[np.int64]
    num_children: npt.NDArray[np.int32]
    depth: npt.NDArray[np.int32]
    action_label: Sequence[str]
    chance_probability: Sequence[Expr | None]
    outcomes: Sequence[Outcome]
    infosets: Labeled[Infoset]
    description: str = ""
    sources: tuple[str, ...] = ()
    comment: str = ""
    origin: str = "toml"
    """Where the game came from: 'toml', 'efg', 'nfg' or 'built' (infoset naming differs)."""
    node_paths: tuple[str, ...] = ()
    node_labels: tuple[str, ...] = ()
    """Per node: the descriptive label a Gambit file gave it (not unique); () if none were given."""
    node_infoset_labels: tuple[str, ...] = ()
    """Per node: the Gambit label of its information set or chance event; () if none were given."""
    file: str = ""
    """The file the game was read from (set by :func:`policy.loading.load`); "" if none."""
    _node_index: Mapping[str, int] = field(default_factory=dict, repr=False)
    _cache: dict[object, object] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        # The cache may hold compiled functions, which do not pickle; it refills on use.
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # -- structure -----------------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        return len(self.node_names)

    @property
    def root(self) -> Node:
        return Node(self, 0)

    @property
    def nodes(self) -> Labeled[Node]:
        """All nodes, breadth-first, by name."""
        return _LazyNodes(self)

    def node(self, name: str) -> Node:
        """The node with this name."""
        try:
            return Node(self, self._node_index[name])
        except KeyError:
            raise KeyError(f"no node {name!r}") from None

    @functools.cached_property
    def terminals(self) -> npt.NDArray[np.int64]:
        """Indices of terminal nodes, breadth-first."""
        return _readonly(np.flatnonzero(self.kind == TERMINAL))

    @functools.cached_property
    def levels(self) -> tuple[tuple[int, int], ...]:
        """``(start, stop)`` node index range of each depth, root first."""
        bounds = np.flatnonzero(np.diff(self.depth)) + 1
        starts = [0, *bounds.tolist()]
        stops = [*bounds.tolist(), self.num_nodes]
        return tuple(zip(starts, stops, strict=True))

    @functools.cached_property
    def level_inner(self) -> tuple[npt.NDArray[np.int64], ...]:
        """For each depth, the nodes of that depth that have children."""
        inner = (self.num_children > 0).nonzero()[0]
        bounds = np.searchsorted(inner, [start for start, _ in self.levels[1:]]).tolist()
        # np.split's parts, as slices (without its cost per call)
        return tuple(_readonly(inner[a:b]) for a, b in zip([0, *bounds], [*bounds, len(inner)], strict=True))

    def levels_bottom_up(self) -> Iterator[tuple[npt.NDArray[np.int64], int, int]]:
        """For backward passes: ``(inner, cstart, cstop)`` per depth, deepest first.

        ``inner`` are the nodes of a depth that have children (depths without
        any are skipped); their children are exactly the slice
        ``cstart:cstop`` of the next depth, grouped by parent.
        """
        levels = self.levels
        for d in range(len(levels) - 2, -1, -1):
            inner = self.level_inner[d]
            if inner.size:
                cstart, cstop = levels[d + 1]
                yield inner, cstart, cstop

    @functools.cached_property
    def num_actions(self) -> int:
        """Length of a flat behaviour vector (all actions of all information sets)."""
        if not len(self.infosets):
            return 0
        last = self.infosets.at(len(self.infosets) - 1)
        return last.offset + len(last.actions)

    @functools.cached_property
    def is_perfect_information(self) -> bool:
        """Whether every information set is a single node."""
        sets = self.infoset[self.infoset >= 0]
        return not sets.size or int(np.bincount(sets).max()) <= 1

    @functools.cached_property
    def is_constant_sum(self) -> bool:
        """Whether every terminal's payoffs add up to the same constant, whatever the parameters.

        Numbers are added exactly; when payoffs use parameters, their sum is
        expanded with sympy (``-bonus`` and ``bonus`` cancel).
        """
        if self.constant_tables is not None:
            leaf = self.numbers({}, exact=True)
            if leaf.ratios is not None:
                from policy.rational import as_object

                row_sum = as_object(leaf.ratios.leaf_num).sum(axis=1)
                den = as_object(leaf.ratios.leaf_den)
                return not len(row_sum) or bool(np.all(row_sum * den[0] == row_sum[0] * den))
            return len({sum(row, start=Fraction(0)) for row in leaf.leaf_payoff.tolist()}) <= 1
        sums: set[Any] = set()
        for t in self.terminals.tolist():
            exprs = self.path_payoff_exprs(t)
            constants = [e.constant for e in exprs]
            if all(c is not None for c in constants):
                total: Any = sum((c for c in constants if c is not None), start=Fraction(0))
            else:
                import sympy

                total = sympy.expand(sympy.Add(*(e.sym for e in exprs)))
                if total.free_symbols:
                    return False
                total = Fraction(str(sympy.nsimplify(total))) if total.is_Rational else total
            sums.add(total)
            if len(sums) > 1:
                return False
        return True

    def path_payoff_exprs(self, node: int) -> list[Expr]:
        """Outcome expressions on the path to ``node``, flattened (for analysis)."""
        out: list[Expr] = []
        n = node
        while n >= 0:
            o = int(self.outcome[n])
            if o >= 0:
                out.extend(self.outcomes[o].payoffs)
            n = int(self.parent[n])
        return out

    def children_of(self, node: int) -> range:
        """Child indices of a node."""
        start = int(self.first_child[node])
        return range(start, start + int(self.num_children[node]))

    def children_of_all(self, nodes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The children of ``nodes``, node after node, each node's in order (an array of indices)."""
        counts = self.num_children[nodes].astype(np.int64)
        ends = np.cumsum(counts)
        return np.repeat(self.first_child[nodes] - ends + counts, counts) + np.arange(int(ends[-1]) if len(ends) else 0)

    def used_parameters(self) -> frozenset[str]:
        """Names of the parameters that some expression uses."""
        return self._used_parameters

    @functools.cached_property
    def _used_parameters(self) -> frozenset[str]:
        if self.constant_tables is not None:
            return frozenset()
        return frozenset().union(*(e.names for e in self._expression_table().exprs))

    @functools.cached_property
    def constant_tables(self) -> tuple[ConstantOutcomes, ConstantProbabilities] | None:
        """The outcomes and chance probabilities as arrays, when every one is a number held so.

        Games read from Gambit files and built with :func:`game_from_arrays`
        have them; their numbers are then made with array operations only.
        """
        if isinstance(self.outcomes, ConstantOutcomes) and isinstance(
            self.chance_probability, ConstantProbabilities
        ):
            return self.outcomes, self.chance_probability
        return None

    @functools.cached_property
    def has_interior_outcomes(self) -> bool:
        """Whether some outcome is attached to a node that is not terminal."""
        return bool((self.kind[self.outcome >= 0] != TERMINAL).any())

    @functools.cached_property
    def infoset_offsets(self) -> npt.NDArray[np.int64]:
        """Position of each information set's first action in a behaviour vector."""
        return _readonly(np.array([s.offset for s in self.infosets.in_order()], dtype=np.int64))

    @functools.cached_property
    def infoset_first_member(self) -> npt.NDArray[np.int64]:
        """One member node of each information set (its first, breadth-first)."""
        return _readonly(np.array([s.members[0] for s in self.infosets.in_order()], dtype=np.int64))

    def _expression_table(self) -> _ExpressionTable:
        """The game's distinct expressions and where each is used (built once)."""
        return self._expressions

    @functools.cached_property
    def _expressions(self) -> _ExpressionTable:
        return _ExpressionTable.build(self)

    def location(self, node: int) -> str:
        """Key path of a node for messages (its file path when known)."""
        if self.node_paths:
            return self.node_paths[node]
        return f"nodes.{self.node_names[node]}"

    def renamed(self, names: Sequence[str]) -> Game:
        """This game with its nodes named ``names`` (breadth-first, one per node, unique).

        Everything else is the same, and what was found about the structure
        is kept, as :meth:`in_file` keeps it; the table of expressions, which
        says where each is used by node, is built again when asked for.
        """
        if len(names) != self.num_nodes or len(set(names)) != len(names):
            raise ValueError("need one unique name per node")
        names = tuple(names)
        bound = object.__new__(Game)
        state = bound.__dict__
        state.update(self.__dict__)
        state.pop("_expressions", None)
        state.update(node_names=names, node_paths=(), _node_index={n: i for i, n in enumerate(names)})
        state["_cache"] = {key: self._cache[key] for key in _STRUCTURE_CACHE if key in self._cache}
        return bound

    def in_file(self, file: str) -> Game:
        """This game, marked as read from ``file`` so that evaluation errors name it."""
        # The same fields, and what cached properties found about the
        # structure, which holds for the copy too; a cache of its own but for
        # the players' own sequences (structure alone). Every field is in the
        # instance dictionary (a frozen dataclass without slots), so it is
        # copied whole instead of going through dataclasses.replace.
        bound = object.__new__(Game)
        state = bound.__dict__
        state.update(self.__dict__)
        state["file"] = file
        state["_cache"] = {key: self._cache[key] for key in _STRUCTURE_CACHE if key in self._cache}
        return bound

    def error(self, message: str, path: str) -> GameError:
        """A :class:`GameError` at key path ``path`` of this game, naming its file if known.

        For problems found when the game is evaluated (chance probabilities at a
        leader's values, a division by zero), long after it was read: with
        several games in one command, the file says which one failed. The
        file's line is found when the game came from one of our TOML files.
        """
        for place in ERROR_PLACES:
            placed = place(self, message, path)
            if placed is not None:
                return placed
        return GameError(message, path, file=_with_line(self.file, path))

    # -- numbers -------------------------------------------------------------------
    def numbers(self, values: Mapping[str, Number], exact: bool = True) -> Numbers:
        """Evaluate payoffs and chance probabilities at ``values``.

        Chance probabilities are checked here, at the values in use: each must lie
        in [0, 1] and those of one node must sum to 1 (exactly in exact mode,
        within ``FLOAT_PROBABILITY_TOLERANCE`` in float mode).

        Raises
        ------
        GameError
            With the key path of the expression that cannot be evaluated or the
            chance node whose probabilities are wrong.
        """
        # .get: a missing value is reported by _evaluate, with the place that needs it.
        key = (exact, tuple(sorted((k, values.get(k)) for k in self.used_parameters())))
        recent = self._cache.setdefault("numbers", OrderedDict())
        assert isinstance(recent, OrderedDict)
        cached = recent.get(key)
        if cached is not None:
            recent.move_to_end(key)
            return cached
        # Infinities and NaNs in float mode are found and reported as errors
        # below; numpy's warnings about making them would only come first.
        with np.errstate(all="ignore"):
            result = self._evaluate(values, exact)
        recent[key] = result
        if len(recent) > NUMBERS_CACHE_SIZE:
            recent.popitem(last=False)
        return result

    def _evaluate(self, values: Mapping[str, Number], exact: bool) -> Numbers:
        tables = self.constant_tables
        if tables is not None and not (exact and self.has_interior_outcomes):
            return self._evaluate_constants(*tables, exact)
        table = self._expression_table()
        dtype: type = object if exact else np.float64
        vals = self._expression_values(table, values) if exact else self._float_values(table, values)
        n_players = len(self.players)
        zero: Number = Fraction(0) if exact else 0.0
        own = vals[table.payoff_index] if len(table.payoff_index) else np.zeros((0, n_players), dtype=dtype)
        with_outcome = table.outcome_nodes
        sums: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None
        if table.interior_outcomes and exact:
            split = rational.split(vals.tolist()) if len(vals) else None
            sums = self._path_sums_exact(split, table.payoff_index, with_outcome)
        elif table.interior_outcomes:
            # Outcomes above terminals add up along the path, level by level.
            acc: npt.NDArray[Any] = np.full((self.num_nodes, n_players), zero, dtype=dtype)
            acc[with_outcome] = own
            carries = np.zeros(self.num_nodes, dtype=bool)
            carries[with_outcome] = True
            for start, stop in self.levels[1:]:
                # A node without an outcome takes its parent's sums as they are.
                here = carries[start:stop]
                above = acc[self.parent[start:stop]]
                block = acc[start:stop]
                block[here] += above[here]
                block[~here] = above[~here]
            leaf_payoff = acc[self.terminals]
        if table.interior_outcomes:
            # Bounded by the largest payoff expression times the outcomes on a path.
            largest = max((abs(x) for x in vals[table.payoff_expressions()].tolist()), default=0)
            if exact and largest * len(self.levels) > MAX_MAGNITUDE:
                # Each expression is within float range, but sums along a path
                # need not be; past it, nothing could show or float-solve them.
                assert sums is not None
                big = np.abs(rational.to_fractions(*sums)) > MAX_MAGNITUDE
                if big.any():
                    t = int(self.terminals[np.argwhere(big)[0][0]])
                    raise self.error(
                        "the payoffs along the path to this node add up beyond the range of "
                        "floating point (magnitude at most 1.8e308)",
                        f"{self.location(t)}.payoffs",
                    )
        elif len(with_outcome) == len(self.terminals):
            leaf_payoff = own[table.terminal_rows]
        else:
            leaf_payoff = np.full((len(self.terminals), n_players), zero, dtype=dtype)
            has = table.terminal_rows >= 0
            leaf_payoff[has] = own[table.terminal_rows[has]]
        prob: npt.NDArray[Any] = np.full(self.num_nodes, Fraction(1) if exact else 1.0, dtype=dtype)
        if len(table.chance_edges):
            p = vals[table.chance_index]
            if exact:
                self._check_chance_exact(table, vals)
            else:
                self._check_chance_float(table, p)
            prob[table.chance_edges] = p
        if sums is not None:
            # The payoffs stay integers (made into Fraction objects only if asked
            # for); so do the probabilities, beside their Fraction objects.
            assert split is not None
            leaf_num, leaf_den = rational.common_rows(*sums)
            vnum, vden = split
            pnum = np.ones(self.num_nodes, dtype=vnum.dtype)
            pden = np.ones(self.num_nodes, dtype=vden.dtype)
            pnum[table.chance_edges] = vnum[table.chance_index]
            pden[table.chance_edges] = vden[table.chance_index]
            ratios = ExactArrays(_readonly(leaf_num), _readonly(leaf_den), _readonly(pnum), _readonly(pden))
            return Numbers(exact=exact, edge_prob=_readonly(prob), ratios=ratios)
        if not exact and leaf_payoff.size:
            bad_payoff = ~np.isfinite(leaf_payoff)
            if bad_payoff.any():
                t = int(self.terminals[np.argwhere(bad_payoff)[0][0]])
                raise self.error("payoff is not a finite number", f"{self.location(t)}.payoffs")
        return Numbers(exact=exact, leaf_payoff=_readonly(leaf_payoff), edge_prob=_readonly(prob))

    def _float_values(self, table: _ExpressionTable, values: Mapping[str, Number]) -> npt.NDArray[Any]:
        """Every distinct expression's float value at ``values``."""
        constants, variable = table.constants(False)
        vals = constants.copy()
        for k in variable:
            e = table.exprs[k]
            try:
                vals[k] = evaluate(e, values, exact=False)
            except ExprError as err:
                raise self.error(f"{e.text!r}: {err}", table.where(self, k)) from None
        return vals

    def _expression_values(self, table: _ExpressionTable, values: Mapping[str, Number]) -> npt.NDArray[Any]:
        """Every distinct expression's exact value at ``values``.

        A search moves one parameter at a time: where an earlier evaluation
        (one of the last :data:`KEPT_EVALUATIONS`) had the same values but for
        a few parameters, only the expressions that use those are evaluated
        again (:meth:`_ExpressionTable.users`), in the same order as a full
        pass; the others keep their values, exact and so the same. An
        expression that fails here fails in a full pass too, and the first to
        fail is the same: those that did not move evaluated without error before.
        """
        constants, variable = table.constants(True)
        env = _exact_env(self.used_parameters(), values)
        kept: list[tuple[dict[str, Fraction], npt.NDArray[Any]]] = self._cache.setdefault(  # type: ignore[assignment]
            "exact_evaluations", []
        )
        todo: Sequence[int] = variable
        vals: npt.NDArray[Any] | None = None
        if env is not None:
            best: tuple[int, list[str], npt.NDArray[Any]] | None = None
            for old_env, old_vals in kept:
                moved = [n for n, x in env.items() if old_env[n] != x]
                if best is None or len(moved) < best[0]:
                    best = (len(moved), moved, old_vals)
            if best is not None:
                users = table.users(best[1])
                if len(users) < len(variable):
                    vals, todo = best[2].copy(), users
        if vals is None:
            vals = constants.copy()
        shared = ExactEvaluator(values, table.equal_subtrees())
        for k in todo:
            e = table.exprs[k]
            try:
                vals[k] = shared(e)
            except ExprError as err:
                raise self.error(f"{e.text!r}: {err}", table.where(self, k)) from None
        if env is not None:
            kept.append((env, vals.copy()))
            if len(kept) > KEPT_EVALUATIONS:
                kept.pop(0)
        return vals

    def _check_chance_exact(self, table: _ExpressionTable, vals: npt.NDArray[Any]) -> None:
        """Exact chance probabilities in [0, 1], each node's adding up to 1.

        Checked once per distinct expression and once per distinct set of a
        node's expressions; the place reported is the first edge or node that
        fails, as if every one were checked.
        """
        if not len(table.chance_edges):
            return
        used, groups, node_group = table.chance_groups()
        p = vals[used]
        bad = np.asarray((p < 0) | (p > 1), dtype=bool)
        if bad.any():
            j = int(np.flatnonzero(np.isin(table.chance_index, used[bad]))[0])
            c = int(table.chance_edges[j])
            parent = int(self.parent[c])
            raise self.error(
                f"probability of {self.action_label[c]!r} is {_show(vals[table.chance_index[j]])}, "
                "outside [0, 1]",
                f"{self.location(parent)}.probabilities.{self.action_label[c]}",
            )
        listed = vals.tolist()
        totals = [sum((listed[i] for i in group[1:]), start=listed[group[0]]) for group in groups]
        wrong = np.array([t != 1 for t in totals], dtype=bool)
        if wrong.any():
            k = int(np.flatnonzero(wrong[node_group])[0])
            node = int(self.parent[table.chance_edges[table.chance_starts[k]]])
            raise self.error(
                f"probabilities sum to {_show(totals[int(node_group[k])])}, not 1",
                f"{self.location(node)}.probabilities",
            )

    def _check_chance_float(self, table: _ExpressionTable, p: npt.NDArray[Any]) -> None:
        """Float chance probabilities finite, in [0, 1], each node's within the tolerance of 1."""
        bad = (p < 0) | (p > 1) | ~np.isfinite(p)
        if bad.any():
            c = int(table.chance_edges[np.flatnonzero(bad)[0]])
            parent = int(self.parent[c])
            raise self.error(
                f"probability of {self.action_label[c]!r} is {_show(p[np.flatnonzero(bad)[0]])}, "
                "outside [0, 1]",
                f"{self.location(parent)}.probabilities.{self.action_label[c]}",
            )
        totals = np.add.reduceat(p, table.chance_starts)
        wrong = np.abs(totals - 1) > FLOAT_PROBABILITY_TOLERANCE
        if wrong.any():
            k = int(np.flatnonzero(wrong)[0])
            node = int(self.parent[table.chance_edges[table.chance_starts[k]]])
            raise self.error(
                f"probabilities sum to {_show(totals[k])}, not 1",
                f"{self.location(node)}.probabilities",
            )

    def _path_sums_exact(
        self,
        split: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None,
        index: npt.NDArray[np.int64],
        with_outcome: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """Each terminal's payoffs, the outcomes along its path added up, exactly, as integers.

        ``split`` holds the numerators and denominators of the distinct
        expressions' values (:func:`policy.rational.split`); ``index[k]``
        gives the expressions of the outcome at node ``with_outcome[k]``. The
        sums run level by level on integer numerators and denominators
        (:mod:`policy.rational`: int64 while they surely fit, Python ints past
        that), the same numbers as adding ``Fraction`` objects node by node.
        Returns numerators and denominators (terminals, players), in lowest terms.
        """
        n_players = len(self.players)
        if split is None or not n_players or not len(index):
            shape = (len(self.terminals), n_players)
            return np.zeros(shape, dtype=np.int64), np.ones(shape, dtype=np.int64)
        vnum, vden = split
        onum, oden = vnum[index], vden[index]
        big = rational._is_object(onum, oden)
        num = np.zeros((self.num_nodes, n_players), dtype=object if big else np.int64)
        den = np.ones((self.num_nodes, n_players), dtype=object if big else np.int64)
        if big:
            num[:] = 0
            den[:] = 1
        num[with_outcome] = onum.reshape(-1, n_players)
        den[with_outcome] = oden.reshape(-1, n_players)
        carries = np.zeros(self.num_nodes, dtype=bool)
        carries[with_outcome] = True
        for start, stop in self.levels[1:]:
            # A node without an outcome takes its parent's sums as they are.
            here = np.flatnonzero(carries[start:stop]) + start
            rest = np.flatnonzero(~carries[start:stop]) + start
            num[rest] = num[self.parent[rest]]
            den[rest] = den[self.parent[rest]]
            if not here.size:
                continue
            up = self.parent[here]
            snum, sden = rational.add(num[here], den[here], num[up], den[up])
            if snum.dtype == object and num.dtype != object:
                num, den = rational.as_object(num), rational.as_object(den)
            num[here] = snum
            den[here] = sden
        return num[self.terminals], den[self.terminals]

    def _evaluate_constants(
        self, outcomes: ConstantOutcomes, probabilities: ConstantProbabilities, exact: bool
    ) -> Numbers:
        """:meth:`_evaluate` for a game whose numbers are all constants held as arrays."""
        self._check_constant_probabilities(probabilities, exact)
        n_players = len(self.players)
        terminal_outcome = self.outcome[self.terminals]
        has = terminal_outcome >= 0
        if exact:
            rnum, rden = outcomes.rows
            num = np.zeros((len(self.terminals), n_players), dtype=rnum.dtype)
            den = np.ones(len(self.terminals), dtype=rden.dtype)
            num[has] = rnum[terminal_outcome[has]]
            den[has] = rden[terminal_outcome[has]]
            pnum = np.ones(self.num_nodes, dtype=probabilities.num.dtype)
            pden = np.ones(self.num_nodes, dtype=probabilities.den.dtype)
            pnum[probabilities.edges] = probabilities.num
            pden[probabilities.edges] = probabilities.den
            ratios = ExactArrays(_readonly(num), _readonly(den), _readonly(pnum), _readonly(pden))
            return Numbers(True, ratios=ratios)
        floats = outcomes.floats
        if self.has_interior_outcomes:
            with_outcome = np.flatnonzero(self.outcome >= 0)
            acc = np.zeros((self.num_nodes, n_players))
            acc[with_outcome] = floats[self.outcome[with_outcome]]
            for start, stop in self.levels[1:]:
                acc[start:stop] += acc[self.parent[start:stop]]
            leaf = acc[self.terminals]
            bad_payoff = ~np.isfinite(leaf)
            if bad_payoff.any():
                t = int(self.terminals[np.argwhere(bad_payoff)[0][0]])
                raise self.error("payoff is not a finite number", f"{self.location(t)}.payoffs")
        else:
            leaf = np.zeros((len(self.terminals), n_players))
            leaf[has] = floats[terminal_outcome[has]]
        prob = np.ones(self.num_nodes)
        if len(probabilities.edges):
            prob[probabilities.edges] = probabilities.floats
        return Numbers(False, _readonly(leaf), _readonly(prob))

    def _check_constant_probabilities(self, probabilities: ConstantProbabilities, exact: bool) -> None:
        """Each chance probability in [0, 1] and each chance node's summing to 1 (checked once per mode).

        As for expressions: exactly in exact mode, within
        ``FLOAT_PROBABILITY_TOLERANCE`` of 1 in float mode.
        """
        key = ("constant_probabilities_checked", exact)
        if self._cache.get(key) or not len(probabilities.edges):
            return
        from policy.rational import coprime_fraction, group_sum

        edges, num, den = probabilities.edges, probabilities.num, probabilities.den

        def shown(a: Any, b: Any) -> str:
            return _show(coprime_fraction(int(a), int(b)))

        bad = np.flatnonzero((num < 0) | (num > den))
        if bad.size:
            k = int(bad[0])
            c = int(edges[k])
            value = shown(num[k], den[k]) if exact else _show(float(coprime_fraction(int(num[k]), int(den[k]))))
            raise self.error(
                f"probability of {self.action_label[c]!r} is {value}, outside [0, 1]",
                f"{self.location(int(self.parent[c]))}.probabilities.{self.action_label[c]}",
            )
        parents = self.parent[edges]
        starts = np.concatenate(([True], parents[1:] != parents[:-1])).nonzero()[0]
        if exact:
            ones = np.ones(len(edges), dtype=np.int64)
            tnum, tden = group_sum(num[:, None], den, ones, ones, starts)
            wrong = np.flatnonzero((tnum[:, 0] != 1) | (tden != 1))
            total = shown(tnum[wrong[0], 0], tden[wrong[0]]) if wrong.size else ""
        else:
            totals = np.add.reduceat(probabilities.floats, starts)
            wrong = np.flatnonzero(np.abs(totals - 1) > FLOAT_PROBABILITY_TOLERANCE)
            total = _show(float(totals[wrong[0]])) if wrong.size else ""
        if wrong.size:
            k = int(wrong[0])
            raise self.error(
                f"probabilities sum to {total}, not 1",
                f"{self.location(int(parents[starts[k]]))}.probabilities",
            )
        self._cache[key] = True

    def __repr__(self) -> str:
        return (
            f"Game({self.title!r}, players={list(self.players)}, nodes={self.num_nodes}, "
            f"infosets={len(self.infosets)})"
        )


@dataclass(frozen=True)
class _ExpressionTable:
    """Every distinct expression of a game once, with index arrays saying where it is used.

    Evaluating a game then costs one evaluation per distinct expression and a
    few fancy-indexing operations, however many nodes share the expressions.
    """

    exprs: tuple[Expr, ...]
    outcome_nodes: npt.NDArray[np.int64]
    """Nodes that carry an outcome, ascending."""
    payoff_index: npt.NDArray[np.int64]
    """(len(outcome_nodes), players): index into ``exprs`` of each payoff."""
    terminal_rows: npt.NDArray[np.int64]
    """For each terminal, its row in ``payoff_index`` (-1: no outcome)."""
    interior_outcomes: bool
    chance_edges: npt.NDArray[np.int64]
    """Children of chance nodes, ascending (so grouped by parent)."""
    chance_index: npt.NDArray[np.int64]
    chance_starts: npt.NDArray[np.int64]
    """Where each chance node's children start in ``chance_edges``."""
    _constants: dict[str, tuple[npt.NDArray[Any], list[int]]] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        # What is derived may be keyed by the expressions' object ids
        # (equal_subtrees), which a copy does not keep: it refills on use.
        state = self.__dict__.copy()
        state["_derived"] = {}
        return state

    @staticmethod
    @_without_gc
    def build(game: Game) -> _ExpressionTable:
        # Keyed by identity: parsing shares equal expressions already, and
        # hashing a million fresh trees would cost more than it saves.
        ids: dict[int, int] = {}
        exprs: list[Expr] = []

        def index(e: Expr) -> int:
            k = ids.get(id(e))
            if k is None:
                k = ids[id(e)] = len(exprs)
                exprs.append(e)
            return k

        # Constants held as arrays: one expression per distinct value.
        by_value: dict[tuple[int, int], int] = {}

        def constant(num: int, den: int) -> int:
            k = by_value.get((num, den))
            if k is None:
                from policy.rational import coprime_fraction

                k = by_value[(num, den)] = index(constant_expr(coprime_fraction(num, den)))
            return k

        tables = game.constant_tables
        if tables is not None:
            outs = tables[0]
            flat = [constant(a, b) for a, b in zip(outs.num.ravel().tolist(), outs.den.ravel().tolist(), strict=True)]
            outcome_ids: Any = np.array(flat, dtype=np.int64).reshape(outs.num.shape)
        else:
            outcome_ids = [[index(e) for e in o.payoffs] for o in game.outcomes]
        outcome_nodes = np.flatnonzero(game.outcome >= 0)
        n_players = len(game.players)
        per_outcome = np.array(outcome_ids, dtype=np.int64).reshape(len(game.outcomes), n_players)
        payoff_index = per_outcome[game.outcome[outcome_nodes]]
        row_of_node = np.full(game.num_nodes, -1, dtype=np.int64)
        row_of_node[outcome_nodes] = np.arange(len(outcome_nodes))
        terminal_rows = row_of_node[game.terminals]
        interior = bool((game.kind[outcome_nodes] != NodeKind.TERMINAL).any())
        chance_nodes = np.flatnonzero(game.kind == NodeKind.CHANCE)
        counts = game.num_children[chance_nodes].astype(np.int64)
        starts = np.cumsum(counts) - counts
        edges = np.repeat(game.first_child[chance_nodes], counts) + (
            np.arange(int(counts.sum())) - np.repeat(starts, counts)
        )
        if tables is not None:
            probs = tables[1]
            assert np.array_equal(probs.edges, edges)
            chance_index = np.array(
                [constant(a, b) for a, b in zip(probs.num.tolist(), probs.den.tolist(), strict=True)],
                dtype=np.int64,
            )
        else:
            chance_index = np.array(
                [index(game.chance_probability[c]) for c in edges.tolist()],
                dtype=np.int64,
            )
        return _ExpressionTable(
            exprs=tuple(exprs),
            outcome_nodes=outcome_nodes,
            payoff_index=payoff_index,
            terminal_rows=terminal_rows,
            interior_outcomes=interior,
            chance_edges=edges,
            chance_index=chance_index,
            chance_starts=starts,
        )

    def constants(self, exact: bool) -> tuple[npt.NDArray[Any], list[int]]:
        """Values of the constant expressions (others left empty), and the indices of the others."""
        key = "exact" if exact else "float"
        got = self._constants.get(key)
        if got is None:
            got = self._constants[key] = _without_gc(self._compute_constants)(exact)
        return got

    def _compute_constants(self, exact: bool) -> tuple[npt.NDArray[Any], list[int]]:
        values = np.empty(len(self.exprs), dtype=object if exact else np.float64)
        variable = []
        for k, e in enumerate(self.exprs):
            c = e.constant
            if c is None:
                variable.append(k)
            else:
                values[k] = c if exact else float(c)
        return _readonly(values), variable

    def chance_groups(self) -> tuple[npt.NDArray[np.int64], list[tuple[int, ...]], npt.NDArray[np.int64]]:
        """The expressions used as chance probabilities, and the chance nodes grouped by theirs.

        Returns the distinct expression indices used on chance edges, the
        distinct tuples of indices a chance node has (one per group), and
        each chance node's group. Many chance nodes of a campaign are copies
        with the same expressions: their checks are made once a group.
        """
        got = self._derived.get("chance_groups")
        if got is None:
            index = self.chance_index.tolist()
            bounds = [*self.chance_starts.tolist(), len(index)]
            keys: dict[tuple[int, ...], int] = {}
            node_group = [
                keys.setdefault(tuple(index[a:b]), len(keys)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            got = self._derived["chance_groups"] = (
                np.unique(self.chance_index), list(keys), np.array(node_group, dtype=np.int64)
            )
        return got

    def equal_subtrees(self) -> dict[int, int]:
        """:func:`policy.expr.equal_subtrees` of the expressions, made once."""
        got = self._derived.get("equal_subtrees")
        if got is None:
            from policy.expr import equal_subtrees

            got = self._derived["equal_subtrees"] = equal_subtrees([e.tree for e in self.exprs])
        return got

    def users(self, names: Sequence[str]) -> list[int]:
        """The expressions (indices, ascending) that use any of ``names``, constants left out."""
        index = self._derived.get("users")
        if index is None:
            found: dict[str, list[int]] = {}
            for k in self.constants(True)[1]:
                for name in self.exprs[k].names:
                    found.setdefault(name, []).append(k)
            index = self._derived["users"] = found
        if len(names) == 1:
            return list(index.get(names[0], ()))
        return sorted({k for name in names for k in index.get(name, ())})

    def payoff_expressions(self) -> npt.NDArray[np.int64]:
        """The distinct expressions used as payoffs (indices, ascending)."""
        got = self._derived.get("payoff_expressions")
        if got is None:
            got = self._derived["payoff_expressions"] = np.unique(self.payoff_index)
        return got

    def where(self, game: Game, k: int) -> str:
        """Key path of the first place expression ``k`` is used (for messages)."""
        hit = np.argwhere(self.payoff_index == k)
        if len(hit):
            node, player = int(self.outcome_nodes[hit[0][0]]), int(hit[0][1])
            return f"{game.location(node)}.payoffs.{game.players.at(player).label}"
        c = int(self.chance_edges[np.flatnonzero(self.chance_index == k)[0]])
        return f"{game.location(int(game.parent[c]))}.probabilities.{game.action_label[c]}"


class _LazyNodes(Labeled[Node]):
    """Node lookup by name without making a million Node objects up front."""

    def __init__(self, game: Game) -> None:
        self._game = game
        self._index = game._node_index  # type: ignore[assignment]
        self._what = "node"

    def __getitem__(self, key: str) -> Node:
        try:
            return Node(self._game, self._index[key])
        except KeyError:
            raise KeyError(f"no node {key!r}") from None

    def at(self, position: int) -> Node:
        return Node(self._game, position)

    def in_order(self) -> tuple[Node, ...]:
        return tuple(Node(self._game, i) for i in range(self._game.num_nodes))

    def __len__(self) -> int:
        return self._game.num_nodes


def _exact_env(names: frozenset[str], values: Mapping[str, Number]) -> dict[str, Fraction] | None:
    """The exact value of each of ``names`` in ``values``, or None when one is missing or not a number."""
    from policy.expr import _to_fraction

    try:
        return {n: _to_fraction(n, values[n]) for n in names}
    except (KeyError, ExprError):
        return None


def _show(x: Number) -> str:
    return str(x) if isinstance(x, Fraction) else f"{x:.6g}"


# ---------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------
@_without_gc
def build_game(
    title: str,
    players: Sequence[str],
    nodes: Sequence[NodeSpec],
    *,
    root: str | None = None,
    parameters: Mapping[str, Parameter] | None = None,
    description: str = "",
    sources: Sequence[str] = (),
    comment: str = "",
    origin: str = "toml",
    outcomes: Sequence[Outcome] | None = None,
    constant_arrays: bool = False,
) -> Game:
    """Check a tree given as named nodes and build the :class:`Game`.

    Structural rules checked here (each raises :class:`GameError` with the key
    path): unknown child or player names, duplicate names, a node with two
    parents, cycles, nodes unreachable from the root, decision nodes without
    actions, information sets whose members differ in player or actions, and
    imperfect recall. Terminals need an outcome, except in games read from
    Gambit files (``origin`` 'efg' or 'nfg'), where a terminal without one pays 0.

    Nodes whose specs hold the same :class:`Outcome` object (by identity) share
    one outcome of the game, as Gambit's numbered outcomes do. The game's
    outcomes are in order of first use, breadth-first, unless ``outcomes``
    gives them (every spec's outcome must then be one of these objects).
    ``NodeSpec.label`` and ``NodeSpec.infoset_label`` become
    ``Game.node_labels`` and ``Game.node_infoset_labels`` when some spec has one.
    With ``constant_arrays``, a game whose payoffs and chance probabilities
    are all numbers holds them as arrays (:class:`ConstantOutcomes`,
    :class:`ConstantProbabilities`), as games read from Gambit files do.
    """
    if len(set(players)) != len(players):
        dup = next(p for p in players if players.count(p) > 1)
        raise GameError(f"player {dup!r} is listed twice", "game.players")
    if not players:
        raise GameError("a game needs at least one player", "game.players")
    specs: dict[str, NodeSpec] = {}
    for spec in nodes:
        if spec.name in specs:
            raise GameError(f"node {spec.name!r} is defined twice", spec.path or f"nodes.{spec.name}")
        specs[spec.name] = spec
    if not specs:
        raise GameError("the game has no nodes", "nodes")
    player_index = {p: i for i, p in enumerate(players)}

    parents: dict[str, str] = {}
    for spec in specs.values():
        where = spec.path or f"nodes.{spec.name}"
        if spec.kind is NodeKind.DECISION:
            if spec.player not in player_index:
                raise GameError(
                    f"unknown player {spec.player!r} (players: {', '.join(players)})",
                    f"{where}.player",
                )
        if spec.kind is not NodeKind.TERMINAL and not spec.actions:
            raise GameError("a decision or chance node needs at least one action", f"{where}.actions")
        if spec.kind is NodeKind.CHANCE and len(spec.probabilities) != len(spec.actions):
            raise GameError("every chance action needs a probability", f"{where}.probabilities")
        if spec.kind is NodeKind.TERMINAL and spec.outcome is None and origin not in ("efg", "nfg"):
            raise GameError("a terminal node needs payoffs", f"{where}.payoffs")
        labels = [a for a, _ in spec.actions]
        if len(set(labels)) != len(labels):
            dup = next(a for a in labels if labels.count(a) > 1)
            raise GameError(f"action {dup!r} appears twice", f"{where}.actions")
        for label, child in spec.actions:
            if child not in specs:
                raise GameError(f"unknown node {child!r}", f"{where}.actions.{label}")
            if child in parents:
                raise GameError(
                    f"node {child!r} has two parents: {parents[child]!r} and {spec.name!r}",
                    f"{where}.actions.{label}",
                )
            parents[child] = spec.name
        if spec.outcome is not None and len(spec.outcome.payoffs) != len(players):
            raise GameError("payoffs must give one value per player", f"{where}.payoffs")

    if root is None:
        roots = [name for name in specs if name not in parents]
        if len(roots) != 1:
            if not roots:
                # Follow parents from any node until one repeats: that one is on a cycle.
                seen: set[str] = set()
                on_cycle = next(iter(specs))
                while on_cycle not in seen:
                    seen.add(on_cycle)
                    on_cycle = parents[on_cycle]
                spec = specs[on_cycle]
                raise GameError(
                    f"node {on_cycle!r} is on a cycle (every node has a parent, so there is no root)",
                    spec.path or f"nodes.{on_cycle}",
                )
            raise GameError(
                f"the tree has {len(roots)} root candidates ({', '.join(roots[:5])}); "
                "name one with game.root or connect them",
                "game.root",
            )
        root = roots[0]
    elif root not in specs:
        raise GameError(f"unknown node {root!r}", "game.root")
    elif root in parents:
        # Following parents up from the root either comes back to it (a cycle)
        # or ends at another node with no parent (a root the file did not name).
        seen_up = {root}
        above = parents[root]
        while above in parents and above not in seen_up:
            seen_up.add(above)
            above = parents[above]
        if above == root:
            raise GameError(
                f"the root {root!r} is on a cycle (it is a child of {parents[root]!r})", "game.root"
            )
        raise GameError(
            f"the root {root!r} is a child of {parents[root]!r}; the root must be a node "
            "that no action leads to",
            "game.root",
        )

    # Breadth-first numbering from the root.
    order: list[str] = [root]
    index: dict[str, int] = {root: 0}
    head = 0
    while head < len(order):
        spec = specs[order[head]]
        head += 1
        for _, child in spec.actions:
            index[child] = len(order)
            order.append(child)
    if len(order) != len(specs):
        missing = [name for name in specs if name not in index]
        # Distinguish a cycle (following parents comes back) from a detached tree.
        for name in missing:
            seen = {name}
            up = parents.get(name)
            while up is not None and up not in seen and up not in index:
                seen.add(up)
                up = parents.get(up)
            if up is not None and up in seen:
                spec = specs[up]  # ``up`` is on the cycle; ``name`` may only hang below it
                raise GameError(f"node {up!r} is on a cycle", spec.path or f"nodes.{up}")
        spec = specs[missing[0]]
        raise GameError(
            f"node {missing[0]!r} cannot be reached from the root {root!r}",
            spec.path or f"nodes.{missing[0]}",
        )

    n = len(order)
    parent = np.full(n, -1, dtype=np.int64)
    kind = np.empty(n, dtype=np.int8)
    player = np.full(n, -1, dtype=np.int32)
    outcome = np.full(n, -1, dtype=np.int32)
    first_child = np.zeros(n, dtype=np.int64)
    num_children = np.zeros(n, dtype=np.int32)
    depth = np.zeros(n, dtype=np.int32)
    action_label: list[str] = [""] * n
    chance_probability: list[Expr | None] = [None] * n
    outcome_list: list[Outcome] = list(outcomes) if outcomes is not None else []
    outcome_number = {id(o): k for k, o in enumerate(outcome_list)}
    for o in outcome_list:
        if len(o.payoffs) != len(players):
            raise GameError(f"outcome {o.label!r}: payoffs must give one value per player", "outcomes")
    labeled = any(s.label is not None or s.infoset_label is not None for s in specs.values())
    node_labels: list[str] = [""] * n if labeled else []
    set_labels: list[str] = [""] * n if labeled else []
    infoset_names: list[str | None] = [None] * n
    paths: list[str] = [""] * n
    for i, name in enumerate(order):
        spec = specs[name]
        kind[i] = spec.kind
        paths[i] = spec.path or f"nodes.{name}"
        if spec.kind is NodeKind.DECISION:
            player[i] = player_index[spec.player]  # type: ignore[index]
            infoset_names[i] = spec.infoset or name
        if spec.outcome is not None:
            k = outcome_number.get(id(spec.outcome))
            if k is None:
                if outcomes is not None:
                    raise GameError("the outcome is not one of the game's outcomes", f"{paths[i]}.payoffs")
                k = outcome_number[id(spec.outcome)] = len(outcome_list)
                outcome_list.append(spec.outcome)
            outcome[i] = k
        if labeled:
            node_labels[i] = spec.label or ""
            set_labels[i] = spec.infoset_label or ""
        if spec.actions:
            first_child[i] = index[spec.actions[0][1]]
            num_children[i] = len(spec.actions)
        for k, (label, child) in enumerate(spec.actions):
            c = index[child]
            parent[c] = i
            depth[c] = depth[i] + 1
            action_label[c] = label
            if spec.kind is NodeKind.CHANCE:
                chance_probability[c] = spec.probabilities[k]
    held = _constant_arrays(outcome_list, chance_probability, len(players)) if constant_arrays else {}
    return _assemble(
        title=title,
        players=players,
        parameters=parameters or {},
        node_names=tuple(order),
        parent=parent,
        kind=kind,
        player=player,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children,
        depth=depth,
        action_label=tuple(action_label),
        chance_probability=held.get("chance_probability", tuple(chance_probability)),
        outcomes=held.get("outcomes", tuple(outcome_list)),
        infoset_names=infoset_names,
        description=description,
        sources=tuple(sources),
        comment=comment,
        origin=origin,
        node_paths=tuple(paths),
        node_labels=tuple(node_labels),
        node_infoset_labels=tuple(set_labels),
    )


def _constant_arrays(
    outcomes: Sequence[Outcome], probabilities: Sequence[Expr | None], n_players: int
) -> dict[str, Any]:
    """``outcomes`` and ``chance_probability`` as arrays for :func:`_assemble`, or {} if some are not numbers.

    Texts other than ``str`` of the value (``0.5``, ``1e3``) are kept beside
    the arrays, so that every expression shows as it was written.
    """
    payoffs: list[Fraction] = []
    texts: dict[tuple[int, int], str] = {}
    for k, o in enumerate(outcomes):
        for p, e in enumerate(o.payoffs):
            c = e.constant
            if c is None:
                return {}
            payoffs.append(c)
            if e.text != str(c):
                texts[k, p] = e.text
    edges: list[int] = []
    probs: list[Fraction] = []
    prob_texts: dict[int, str] = {}
    for i, prob in enumerate(probabilities):
        if prob is None:
            continue
        c = prob.constant
        if c is None:
            return {}
        if prob.text != str(c):
            prob_texts[len(edges)] = prob.text
        edges.append(i)
        probs.append(c)
    from policy.rational import split

    # The values were checked (digits, magnitude) when they were parsed.
    num, den = split(payoffs)
    pnum, pden = split(probs)
    num, den = num.reshape(len(outcomes), n_players), den.reshape(len(outcomes), n_players)
    facts = [o.facts for o in outcomes] if any(o.facts for o in outcomes) else None
    return {
        "outcomes": ConstantOutcomes([o.label for o in outcomes], num, den, facts, texts),
        "chance_probability": ConstantProbabilities(
            len(probabilities), np.array(edges, dtype=np.int64), pnum, pden, prob_texts
        ),
    }


def _assemble(
    *,
    title: str,
    players: Sequence[str],
    parameters: Mapping[str, Parameter],
    node_names: Sequence[str],
    parent: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int8],
    player: npt.NDArray[np.int32],
    outcome: npt.NDArray[np.int32],
    first_child: npt.NDArray[np.int64],
    num_children: npt.NDArray[np.int32],
    depth: npt.NDArray[np.int32],
    action_label: Sequence[str],
    chance_probability: Sequence[Expr | None],
    outcomes: Sequence[Outcome],
    infoset_names: Sequence[str | None],
    description: str,
    sources: tuple[str, ...],
    comment: str,
    origin: str,
    node_paths: tuple[str, ...],
    node_labels: tuple[str, ...] = (),
    node_infoset_labels: tuple[str, ...] = (),
    infoset_ids: npt.NDArray[np.int64] | None = None,
    set_names: Sequence[str] = (),
) -> Game:
    """Group decision nodes into information sets, check them, and freeze the game.

    The sets are named per node by ``infoset_names``, or given as numbers:
    ``infoset_ids[i]`` is the set of decision node ``i``, named
    ``set_names[infoset_ids[i]]`` (the array builders' way, with no name per node).
    Either way sets are numbered in order of first appearance, breadth-first.
    """
    n = len(node_names)
    where = (lambda i: node_paths[i]) if node_paths else (lambda i: f"nodes.{node_names[i]}")
    infoset = np.full(n, -1, dtype=np.int32)
    decision = (kind == DECISION).nonzero()[0]
    if infoset_ids is None:
        set_index: dict[str, int] = {}
        for i in decision.tolist():
            name = infoset_names[i]
            assert name is not None
            k = set_index.get(name)
            if k is None:
                k = set_index[name] = len(set_index)
            infoset[i] = k
        ordered_names: Sequence[str] = list(set_index)
    elif len(decision) <= SMALL_GROUPING:
        # The same numbering in Python: sets in order of their first member.
        given = np.asarray(infoset_ids)[decision].tolist()
        seen: dict[int, int] = {}
        for k in given:
            if k not in seen:
                seen[k] = len(seen)
        infoset[decision] = [seen[k] for k in given]
        ordered_names = [set_names[int(k)] for k in seen]
    else:
        given = np.asarray(infoset_ids)[decision]
        distinct, first_seen, renumber = np.unique(given, return_index=True, return_inverse=True)
        order = np.argsort(first_seen, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        infoset[decision] = rank[renumber]
        ordered_names = [set_names[int(k)] for k in distinct[order].tolist()]
    set_of = infoset[decision]
    by_set = np.argsort(set_of, kind="stable")
    bounds = np.searchsorted(set_of[by_set], np.arange(len(ordered_names) + 1))
    members_sorted = decision[by_set]
    firsts = members_sorted[bounds[:-1]]
    counts = num_children[firsts].astype(np.int64)
    offsets = np.cumsum(counts) - counts
    player_objs = [Player(label, i) for i, label in enumerate(players)]
    sets = ArrayInfosets(
        ordered_names, player_objs, player[firsts], members_sorted, bounds, first_child, num_children,
        action_label, offsets,
    )
    # Sets of one node need no check; the others: one player, the same actions.
    shared = np.flatnonzero(np.diff(bounds) > 1).tolist()
    if shared:  # read as Python numbers (numpy scalars cost more one at a time)
        mover, starts, widths = player.tolist(), first_child.tolist(), num_children.tolist()
    for k in shared:
        members = sets.at(k).members
        first = members[0]
        name = ordered_names[k]
        actions = sets.at(k).actions
        for m in members[1:]:
            if mover[m] != mover[first]:
                raise GameError(
                    f"infoset {name!r} mixes players {players[mover[first]]!r} and "
                    f"{players[mover[m]]!r}",
                    f"{where(m)}.infoset",
                )
            s = starts[m]
            other = tuple(action_label[s : s + widths[m]])
            if other != actions:
                raise GameError(
                    f"infoset {name!r}: node {node_names[m]!r} has actions {list(other)} but "
                    f"{node_names[first]!r} has {list(actions)}",
                    f"{where(m)}.actions",
                )
    own = _check_perfect_recall(
        parent, player, infoset, first_child, [sets.at(k) for k in shared], node_names, where, len(players)
    )
    game = Game(
        title=title,
        players=Labeled(player_objs, list(players), "player"),
        parameters=dict(parameters),
        node_names=node_names,
        parent=_readonly(parent),
        kind=_readonly(kind),
        player=_readonly(player),
        infoset=_readonly(infoset),
        outcome=_readonly(outcome),
        first_child=_readonly(first_child),
        num_children=_readonly(num_children),
        depth=_readonly(depth),
        action_label=action_label,
        chance_probability=chance_probability,
        outcomes=outcomes,
        infosets=sets,
        description=description,
        sources=sources,
        comment=comment,
        origin=origin,
        node_paths=node_paths,
        node_labels=node_labels,
        node_infoset_labels=node_infoset_labels,
        _node_index=(
            _NumberedIndex(node_names)
            if isinstance(node_names, NumberedNames)
            else {name: i for i, name in enumerate(node_names)}
        ),
    )
    # Known already: what the cached properties would compute set by set.
    game.__dict__["infoset_offsets"] = _readonly(offsets)
    game.__dict__["infoset_first_member"] = _readonly(firsts)
    if own is not None:  # found by the recall check: what own_sequences would compute
        game._cache["own_sequences"] = own
    return game


def game_from_parts(**parts: Any) -> Game:
    """Freeze a game from complete breadth-first arrays (the keywords of the builders' last step).

    For code that builds big trees itself, such as the campaign splice
    (:mod:`policy.campaign`): the arrays must already be breadth-first, with
    ``infoset_names`` naming each decision node's set; the sets are grouped and
    checked (same player and actions, perfect recall) as for any game.
    """
    return _assemble(**parts)


def own_sequences(game: Game) -> npt.NDArray[np.int64]:
    """For every node and player, an id of the player's own history to that node.

    The history is the sequence of (information set, action) pairs of the
    player's own earlier moves on the path from the root; equal ids mean equal
    histories. Id 0 is the empty sequence. This is the basis of the perfect
    recall check and of the sequence form.
    """
    got = game._cache.get("own_sequences")
    if got is None:
        got, _ = _sequences(game.parent, game.player, game.infoset, game.first_child, len(game.players))
        game._cache["own_sequences"] = got
    return got  # type: ignore[return-value]


def _sequences(
    parent: npt.NDArray[np.int64],
    player: npt.NDArray[np.int32],
    infoset: npt.NDArray[np.int32],
    first_child: npt.NDArray[np.int64],
    n_players: int,
) -> tuple[npt.NDArray[np.int64], dict[tuple[int, int, int], int]]:
    n = len(parent)
    intern: dict[tuple[int, int, int], int] = {}
    if n <= 1:
        return np.zeros((n, n_players), dtype=np.int64), intern
    parents = parent.tolist()
    sets = infoset.tolist()
    firsts = first_child.tolist()
    movers = player[parent[1:]].tolist()
    # Each node's row as a Python list (a child shares its parent's list
    # unless it adds a move), one array at the end: a numpy row copy per
    # node costs more than the work on small trees.
    rows = [[0] * n_players]
    # Nodes are breadth-first, so a parent's row is final before its children's.
    for c in range(1, n):
        p = parents[c]
        row = rows[p]
        who = movers[c - 1]
        if who >= 0:
            key = (row[who], sets[p], c - firsts[p])
            got = intern.get(key)
            if got is None:
                got = intern[key] = len(intern) + 1
            row = row.copy()
            row[who] = got
        rows.append(row)
    return np.array(rows, dtype=np.int64), intern


def _check_perfect_recall(
    parent: npt.NDArray[np.int64],
    player: npt.NDArray[np.int32],
    infoset: npt.NDArray[np.int32],
    first_child: npt.NDArray[np.int64],
    sets: Sequence[Infoset],
    node_names: Sequence[str],
    where: object,
    n_players: int,
) -> npt.NDArray[np.int64] | None:
    """Raise :class:`GameError` unless every player recalls their own moves; the own sequences if computed.

    Those are :func:`own_sequences` of the game (None with perfect
    information, where nothing needs them).
    """
    if all(len(s.members) == 1 for s in sets):
        return None  # perfect information: recall is perfect
    seq, _ = _sequences(parent, player, infoset, first_child, n_players)
    # Every member of a set against the set's first member, in the owner's column, at once
    # (in the order of the sets and their members, so the first mismatch is the one reported).
    shared = [s for s in sets if len(s.members) > 1]
    members = [m for s in shared for m in s.members[1:]]
    firsts = [s.members[0] for s in shared for _ in s.members[1:]]
    owners = [s.player.index for s in shared for _ in s.members[1:]]
    which = [i for i, s in enumerate(shared) for _ in s.members[1:]]
    differ = seq[members, owners] != seq[firsts, owners]
    if differ.any():
        k = int(np.argmax(differ))
        s, first, m = shared[which[k]], firsts[k], members[k]
        raise GameError(
            f"imperfect recall: {s.player.label!r} reaches {node_names[first]!r} and "
            f"{node_names[m]!r} of infoset {s.name!r} through different moves of their own",
            f"{where(m)}.infoset",  # type: ignore[operator]
        )
    return seq


@_without_gc
def game_from_arrays(
    title: str,
    players: Sequence[str],
    num_children: npt.ArrayLike,
    kind: npt.ArrayLike,
    player: npt.ArrayLike,
    payoffs: Sequence[Sequence[Fraction | int | float]] | npt.NDArray[Any],
    probabilities: Mapping[int, Sequence[Fraction | int | float]] | None = None,
    infoset_names: Sequence[str | None] | None = None,
    node_names: Sequence[str] | None = None,
    action_labels: Sequence[str] | None = None,
    origin: str = "built",
) -> Game:
    """Build a game from breadth-first arrays, without names: the fast path for big trees.

    Parameters
    ----------
    num_children, kind, player
        One entry per node, breadth-first from the root: how many children,
        the :class:`NodeKind`, and the mover's index (-1 for chance and terminals).
    payoffs
        One payoff vector per terminal node, in breadth-first order of the terminals
        (or an array of them; an integer array is taken whole, without parsing each).
    probabilities
        For each chance node index, the probabilities of its children.
    infoset_names
        Per node, the information set name (None: a set of its own).
    node_names, action_labels
        Optional names; default ``n<index>`` and ``a<k>`` (the k-th action).
    """
    num_children_a = np.asarray(num_children, dtype=np.int32)
    kind_a = np.asarray(kind, dtype=np.int8)
    player_a = np.asarray(player, dtype=np.int32)
    n = len(num_children_a)
    first_child = np.zeros(n, dtype=np.int64)
    if n:
        first_child[:] = 1 + np.concatenate(([0], np.cumsum(num_children_a)[:-1]))
        first_child[num_children_a == 0] = 0
    total_children = int(num_children_a.sum())
    if total_children != n - 1:
        raise GameError(f"{n} nodes but {total_children} children: not a tree", "nodes")
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(n, dtype=np.int64), num_children_a)
    if (parent[1:] >= np.arange(1, n)).any():
        raise GameError("nodes are not in breadth-first order", "nodes")
    depth = np.zeros(n, dtype=np.int32)
    frontier = np.zeros(1, dtype=np.int64)
    d = 0
    while frontier.size:
        depth[frontier] = d
        frontier = _children_of_many(frontier, first_child, num_children_a)
        d += 1
    terminals = np.flatnonzero(kind_a == NodeKind.TERMINAL)
    if len(payoffs) != len(terminals):
        raise GameError(f"{len(terminals)} terminals but {len(payoffs)} payoff vectors", "payoffs")
    _check_arrays(players, num_children_a, kind_a, player_a, payoffs, probabilities or {})
    outcome = np.full(n, -1, dtype=np.int32)
    outcome[terminals] = np.arange(len(terminals), dtype=np.int32)
    pay_num, pay_den = _constants_of(payoffs, (len(terminals), len(players)))
    outcomes = ConstantOutcomes(NumberedLabels("o", len(terminals)), pay_num, pay_den)
    labels: Sequence[str]
    if action_labels is None:
        position = np.arange(1, n) - first_child[parent[1:]]
        width = int(position.max(initial=-1)) + 1
        names_of = np.array([""] + [f"a{k}" for k in range(width)], dtype=object)
        labels = tuple(names_of[np.concatenate(([0], position + 1))].tolist())
    else:
        labels = tuple(action_labels)
    chance_nodes = sorted(c for c in (probabilities or {}) if kind_a[c] == NodeKind.CHANCE)
    edges = (
        np.concatenate([np.arange(int(num_children_a[c]), dtype=np.int64) + first_child[c] for c in chance_nodes])
        if chance_nodes
        else np.zeros(0, dtype=np.int64)
    )
    flat_probs = [p for c in chance_nodes for p in (probabilities or {})[c]]
    prob_num, prob_den = _constants_of(flat_probs, (len(flat_probs),))
    chance = ConstantProbabilities(n, edges, prob_num, prob_den)
    names: Sequence[str] = tuple(node_names) if node_names is not None else NumberedNames(n)
    set_ids: npt.NDArray[np.int64] | None = None
    sets: Sequence[str | None] = ()
    set_names: list[str] = []
    if infoset_names is None:
        set_ids = np.arange(n, dtype=np.int64)
        set_names = names  # type: ignore[assignment]
    else:
        given: list[str | None] = list(infoset_names)
        sets = [s if s is not None else names[i] for i, s in enumerate(given)]
    return _assemble(
        title=title,
        players=players,
        parameters={},
        node_names=names,
        parent=parent,
        kind=kind_a,
        player=player_a,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children_a,
        depth=depth,
        action_label=labels,
        chance_probability=chance,
        outcomes=outcomes,
        infoset_names=sets,
        description="",
        sources=(),
        comment="",
        origin=origin,
        node_paths=(),
        infoset_ids=set_ids,
        set_names=set_names,
    )


class NumberedLabels(Sequence[str]):
    """Labels ``<prefix>0, <prefix>1, ...`` made on demand (the outcomes of :func:`game_from_arrays`)."""

    def __init__(self, prefix: str, size: int) -> None:
        self.prefix = prefix
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.size))]
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError("label index out of range")
        return f"{self.prefix}{i}"


def _constants_of(values: Any, shape: tuple[int, ...]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Numbers (ints, Fractions, floats at their shortest repr) as numerators and denominators.

    Integer arrays go through whole; anything else one value at a time, through
    :func:`policy.expr.parse` and its checks (digits, magnitude, finiteness).
    """
    from policy.expr import parse
    from policy.rational import from_fractions

    array = values if isinstance(values, np.ndarray) else None
    if array is not None and array.dtype.kind in "iu" and array.size:
        if float(np.abs(array).max()) <= MAX_MAGNITUDE and array.dtype.itemsize <= 8:
            num = array.astype(np.int64).reshape(shape)
            return num, np.ones(shape, dtype=np.int64)
    flat = array.ravel().tolist() if array is not None else [v for row in values for v in row] if len(shape) == 2 else list(values)
    cache: dict[tuple[Any, ...], Fraction] = {}
    out: list[Fraction] = []
    for v in flat:
        # A Fraction's own hash costs a modular inverse; its two integers hash fast.
        key = (Fraction, v.numerator, v.denominator) if type(v) is Fraction else (type(v), v)
        got = cache.get(key)
        if got is None:
            constant = parse(v).constant
            assert constant is not None
            got = cache[key] = constant
        out.append(got)
    num, den = from_fractions(out)
    return num.reshape(shape), den.reshape(shape)


def _check_arrays(
    players: Sequence[str],
    num_children: npt.NDArray[np.int32],
    kind: npt.NDArray[np.int8],
    player: npt.NDArray[np.int32],
    payoffs: Sequence[Sequence[Fraction | int | float]] | npt.NDArray[Any],
    probabilities: Mapping[int, Sequence[Fraction | int | float]],
) -> None:
    """What :func:`build_game` checks by name, for :func:`game_from_arrays` (by index)."""
    n = len(num_children)
    if len(kind) != n or len(player) != n:
        raise GameError("num_children, kind and player need one entry per node", "nodes")
    unknown = (kind < NodeKind.DECISION) | (kind > NodeKind.TERMINAL)
    if unknown.any():
        raise GameError(f"node {int(np.argmax(unknown))}: unknown kind", "nodes")
    wrong = np.flatnonzero((kind == NodeKind.TERMINAL) != (num_children == 0))
    if wrong.size:
        raise GameError(
            f"node {int(wrong[0])}: terminals have no children and other nodes at least one",
            "nodes",
        )
    movers = player[kind == NodeKind.DECISION]
    if ((movers < 0) | (movers >= len(players))).any():
        raise GameError(f"a decision node has a player index outside 0..{len(players) - 1}", "nodes")
    if any(len(vec) != len(players) for vec in payoffs):
        raise GameError("payoffs must give one value per player", "payoffs")
    for c in np.flatnonzero(kind == NodeKind.CHANCE).tolist():
        if len(probabilities.get(c, ())) != int(num_children[c]):
            raise GameError(f"chance node {c} needs one probability per child", "probabilities")


def _children_of_many(
    nodes: npt.NDArray[np.int64], first_child: npt.NDArray[np.int64], num_children: npt.NDArray[np.int32]
) -> npt.NDArray[np.int64]:
    """All children of the given nodes, in order (vectorised)."""
    counts = num_children[nodes].astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(first_child[nodes], counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return starts + within
