"""How large a game is for each solving method, and the largest each one accepts.

Each method works on its own representation of the game, and its cost grows
with that representation's size, not with the number of nodes:

=========== ====================================== =========================
method      size measured                          accepted (exact / float)
=========== ====================================== =========================
spe         nodes (perfect information)            any (linear in the tree)
lp          sequences ``n1``, ``n2``               ``n1 n2 <= 4e6`` / ``n1 + n2 <= 40,000``
lcp         LCP dimension ``n1 + n2 + 2 (m1 + m2)``  ``<= 2,500`` / ``<= 6,000``
enummixed   reduced strategic form profiles        ``<= 10**6`` (then a budget of bases)
enumpure    reduced strategic form profiles        ``<= 10**6``
logit       actions ``A``; path pairs ``P``        ``A <= 600``, ``P <= 1e7``
qpe         as lcp                                 as lcp's exact limit, both modes
gnm         reduced strategic form profiles        ``<= 10**5`` (float)
simpdiv     reduced strategic form profiles        ``<= 10**5``
enumpoly    support profiles; unknowns             ``<= 2,000``; ``<= 8``
perfect     as enummixed, else as lcp (tracing)     as enummixed, else as lcp
=========== ====================================== =========================

``gnm`` and ``simpdiv`` evaluate the whole payoff table (and ``gnm`` its
derivatives, ``n**2`` contractions) at every step; ``enumpoly`` solves one
polynomial system per profile of supports (``prod (2**S_i - 1)`` of them) with
sympy's Groebner bases, whose cost grows quickly with the number of unknowns
(``sum (S_i - 1)`` for the full support).

``m1``, ``m2`` count the players' information sets; ``P`` is the number of
ordered pairs of player moves on a common path from the root to a terminal
(the logit solver keeps one entry per such pair, so a chain of depth ``d``
needs about ``d**3 / 3`` of them), and ``A`` the order of the dense Jacobian
it factorises at every step. The limits keep each method's dense arrays
within a few gigabytes and its run within minutes on a small machine; the
dispatcher (:func:`policy.solvers.solve`) checks them before solving and
names the methods that do fit the game.

Everything here is computed from the tree's structure in linear time, so it
can be asked before any solving.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from policy.model import Game, NodeKind

#: lp: exact mode builds the payoff matrices densely in fractions (``n1 * n2``).
LP_EXACT_CELLS = 4_000_000
#: lp: float mode is sparse (HiGHS); total sequences.
LP_FLOAT_SEQUENCES = 40_000
#: lcp: Lemke's tableau is dense, ``n x (2 n + 2)``; exact entries are Python integers.
LCP_EXACT_DIMENSION = 2_500
LCP_FLOAT_DIMENSION = 6_000
#: enummixed and enumpure: pure strategy profiles of the reduced strategic form
#: (the same as :data:`policy.representations.normal.MAX_PROFILES`).
STRATEGIC_PROFILES = 10**6
#: logit: actions (the Jacobian is dense, ``A x (A + 1)``, factorised at every step).
LOGIT_ACTIONS = 600
#: logit: pairs of player moves on a common path to a terminal. Measured on
#: chains (one thread of BLAS): 600 actions and 9.1e6 pairs took 25 s and
#: 0.6 GB; 1,000 actions and 4.2e7 pairs 152 s and 2.1 GB.
LOGIT_PAIRS = 10_000_000
#: Bytes per pair (index arrays and their temporaries, at the peak) and per
#: cell of the dense Jacobian (with its copies and factors), for the estimate.
LOGIT_BYTES_PER_PAIR = 64
LOGIT_BYTES_PER_CELL = 64
#: gnm and simpdiv: pure strategy profiles of the reduced strategic form.
NPLAYER_PROFILES = 100_000
#: enumpoly: profiles of supports, and unknowns of the largest polynomial system.
ENUMPOLY_SUPPORTS = 2_000
ENUMPOLY_UNKNOWNS = 8


@dataclass(frozen=True)
class GameSize:
    """The size of one game in each method's representation (computed on demand)."""

    game: Game

    @cached_property
    def sequences(self) -> tuple[int, ...]:
        """Sequences of each player, the empty one included."""
        from policy.representations.sequence import game_sequences

        return tuple(ps.size for ps in game_sequences(self.game).players)

    @cached_property
    def lcp_dimension(self) -> int:
        """Size of the sequence-form LCP: sequences plus twice the constraint rows."""
        from policy.representations.sequence import game_sequences

        rows = sum(1 + len(ps.infosets) for ps in game_sequences(self.game).players)
        return sum(self.sequences) + 2 * rows

    @cached_property
    def strategies(self) -> tuple[int, ...]:
        """Reduced pure strategies of each player."""
        from policy.representations.normal import count_strategies
        from policy.representations.sequence import game_sequences

        return tuple(count_strategies(ps) for ps in game_sequences(self.game).players)

    @cached_property
    def profiles(self) -> int:
        """Pure strategy profiles of the reduced strategic form."""
        return math.prod(self.strategies)

    @cached_property
    def actions(self) -> int:
        """Actions of all information sets (entries of a behaviour profile)."""
        return self.game.num_actions

    @cached_property
    def path_pairs(self) -> int:
        """Ordered pairs of player moves on each terminal's path, summed over terminals."""
        game = self.game
        moves = np.zeros(game.num_nodes, dtype=np.int64)  # player moves above each node
        for start, stop in game.levels[1:]:
            up = game.parent[start:stop]
            moves[start:stop] = moves[up] + (game.kind[up] == NodeKind.DECISION)
        depth = moves[game.terminals]
        return int(np.dot(depth, depth))


def _lp(size: GameSize, exact: bool) -> str | None:
    # Written for any number of players (a product and a sum, no unpacking of
    # two), so asking never fails; lp itself refuses a game without two.
    sequences = size.sequences
    if exact and math.prod(sequences) > LP_EXACT_CELLS:
        shape = " x ".join(str(n) for n in sequences)
        return f"its sequence form is {shape}, more than {LP_EXACT_CELLS:,} cells in exact mode"
    if not exact and sum(sequences) > LP_FLOAT_SEQUENCES:
        return f"it has {sum(sequences):,} sequences, more than {LP_FLOAT_SEQUENCES:,}"
    return None


def _lcp(size: GameSize, exact: bool) -> str | None:
    limit = LCP_EXACT_DIMENSION if exact else LCP_FLOAT_DIMENSION
    if size.lcp_dimension > limit:
        mode = "exact" if exact else "float"
        return f"its sequence-form LCP has dimension {size.lcp_dimension:,}, more than {limit:,} ({mode})"
    return None


def _strategic(size: GameSize, exact: bool) -> str | None:
    del exact
    if size.profiles > STRATEGIC_PROFILES:
        shape = " x ".join(str(c) for c in size.strategies)
        return f"its reduced strategic form is {shape}, more than {STRATEGIC_PROFILES:,} profiles"
    return None


def _logit(size: GameSize, exact: bool) -> str | None:
    del exact
    if size.actions <= LOGIT_ACTIONS and size.path_pairs <= LOGIT_PAIRS:
        return None
    gib = (LOGIT_BYTES_PER_CELL * (size.actions + 1) ** 2 + LOGIT_BYTES_PER_PAIR * size.path_pairs) / 2**30
    return (
        f"it has {size.actions:,} actions and {size.path_pairs:,} pairs of moves on common paths "
        f"(about {gib:,.1f} GiB), more than logit accepts ({LOGIT_ACTIONS:,} actions, "
        f"{LOGIT_PAIRS:,} pairs)"
    )


def _nplayer(size: GameSize, exact: bool) -> str | None:
    del exact
    if size.profiles > NPLAYER_PROFILES:
        shape = " x ".join(str(c) for c in size.strategies)
        return f"its reduced strategic form is {shape}, more than {NPLAYER_PROFILES:,} profiles"
    return None


def _enumpoly(size: GameSize, exact: bool) -> str | None:
    del exact
    from policy.solvers.enumpoly import largest_system, support_count

    shape = " x ".join(str(c) for c in size.strategies)
    supports = support_count(size.strategies)
    if supports > ENUMPOLY_SUPPORTS:
        return (
            f"its reduced strategic form is {shape}: {supports:,} profiles of supports, "
            f"more than enumpoly tries ({ENUMPOLY_SUPPORTS:,})"
        )
    unknowns = largest_system(size.strategies)
    if unknowns > ENUMPOLY_UNKNOWNS:
        return (
            f"its reduced strategic form is {shape}: polynomial systems of up to {unknowns} "
            f"unknowns, more than enumpoly solves ({ENUMPOLY_UNKNOWNS})"
        )
    return None


#: Method name -> why a game is too big for it in a mode (None: it fits).
def _qpe(size: GameSize, exact: bool) -> str | None:
    """qpe: the perturbed LCP has lcp's dimension; the exact limit in both modes.

    In floats qpe follows the exact path and falls back to exact arithmetic
    where the floats cannot vouch for it, so a float solve may need what an
    exact one does.
    """
    return _lcp(size, True)


CHECKS: dict[str, Callable[[GameSize, bool], str | None]] = {
    "lp": _lp,
    "lcp": _lcp,
    "enummixed": _strategic,
    "enumpure": _strategic,
    "logit": _logit,
    "qpe": _qpe,
    "gnm": _nplayer,
    "simpdiv": _nplayer,
    "enumpoly": _enumpoly,
    "perfect": _qpe,  # enumeration if the strategic form fits, else tracing (lcp's size)
}


def game_size(game: Game) -> GameSize:
    """The sizes of ``game`` (cached on it: a sweep asks once per sample)."""
    got = game._cache.get(_CACHE_KEY)
    if not isinstance(got, GameSize):
        got = game._cache[_CACHE_KEY] = GameSize(game)
    return got


_CACHE_KEY = "solvers.sizes"


def too_big(method: str, game: Game | GameSize, exact: bool) -> str | None:
    """Why ``game`` is too big for ``method`` in this mode, or None if it fits."""
    check = CHECKS.get(method)
    if check is None:
        return None
    return check(game if isinstance(game, GameSize) else game_size(game), exact)
