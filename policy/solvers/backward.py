"""Subgame-perfect equilibria of perfect-information games by backward induction.

Zermelo's procedure as Kuhn (1953) generalised it to n players and chance
(Osborne and Rubinstein, *A Course in Game Theory*, 1994, Proposition 99.2):
working from the deepest nodes up, each mover picks an action that maximises
their payoff in the subgame below, and a chance node is worth the expectation
of its children. The result is subgame-perfect.

The induction runs over the game's breadth-first arrays one depth at a time: the
children of all nodes of a depth form one contiguous slice, so the best child
of every decision node and the expectation at every chance node of the depth
come from two ``reduceat`` calls, in ``Fraction`` objects (exact) or float64.

Ties: when a mover is indifferent between best actions (exactly, or in float
mode within ``tolerances.TIE`` relative to the magnitude of the values
compared, for that mover: the largest expected absolute payoff among the
children, see :mod:`policy.tolerances`), the first listed is taken and the
node is reported; the equilibrium is then not unique. In float mode each
node carries its magnitudes beside its values (extra columns of the same
array), so they cost the same ``reduceat`` calls. With
``all_equilibria`` every pure subgame-perfect equilibrium is enumerated: below
a node whose subtree holds no tie there is exactly one, so only the ancestors
of tied nodes are expanded.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import ExactArrays, Game, NodeKind, Number, Numbers
from policy.rational import as_object, coprime_fraction, group_best, group_sum, less, multiply
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    VerificationError,
    edge_weights,
    magnitudes,
    subgame_check,
    subgame_values,
    tie_tolerance,
    verified_equilibrium,
    verified_subgame_perfect,
)

#: Float payoffs of a mover within this times their magnitude tie
#: (:func:`policy.solvers.verify.tie_tolerance`).
FLOAT_TIE_TOLERANCE = tolerances.TIE
#: Levels with at most this many inner nodes are processed node by node.
NARROW_LEVEL = 16
#: ``--all`` stops with an error beyond this many equilibria.
MAX_EQUILIBRIA = 1000


def require_perfect_information(game: Game, what: str = "backward induction", advice: str = "") -> None:
    """Raise :class:`SolverError` naming an information set with several members.

    ``what`` is the work that needs perfect information, ``advice`` what to do
    instead (by default: the Nash methods that apply to a game of this many players).
    """
    if game.is_perfect_information:
        return
    for s in game.infosets.values():
        if len(s.members) > 1:
            names = ", ".join(game.node_names[m] for m in s.members[:3])
            if not advice:
                two = ["lcp", "lp", "enummixed"] if len(game.players) == 2 else []
                methods = ", ".join([*two, "enumpure", "logit"])
                advice = (
                    f"solve it with a Nash method ({methods}), or with spe, which solves its "
                    "proper subgames with one"
                )
            raise SolverError(
                f"{what} needs perfect information, but information set "
                f"{s.name!r} of {s.player.label} holds {len(s.members)} nodes ({names}); {advice}"
            )


def spe_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = True,
    all_equilibria: bool = False,
    max_equilibria: int = MAX_EQUILIBRIA,
) -> SolveResult:
    """Solve a perfect-information game by backward induction.

    Parameters
    ----------
    game
        A game in which every information set is a single node.
    values
        The value of every parameter the game uses.
    exact
        Rational arithmetic (``Fraction``) if True, float64 otherwise.
    all_equilibria
        Enumerate every pure subgame-perfect equilibrium (at most
        ``max_equilibria``) instead of one.

    Returns
    -------
    SolveResult
        Method ``"spe"``; each equilibrium verified to have zero subgame regret
        (exact) or each regret within ``tolerances.REGRET`` times the
        magnitude of the values its mover compares (float).
    """
    require_perfect_information(game)
    numbers = game.numbers(values, exact=exact)
    if numbers.ratios is not None and not all_equilibria:
        return _spe_integers(game, numbers, values)
    choice, ties = _induct(game, numbers)
    return _result(game, numbers, values, choice, ties, all_equilibria, max_equilibria)


def _result(
    game: Game,
    numbers: Numbers,
    values: Mapping[str, Number],
    choice: npt.NDArray[np.int64],
    ties: list[int],
    all_equilibria: bool,
    max_equilibria: int,
    verified: Equilibrium | None = None,
) -> SolveResult:
    exact = numbers.exact
    tie_names = tuple(game.node_names[t] for t in ties)
    if verified is not None:
        equilibria: tuple[Equilibrium, ...] = (verified,)
        profiles: list[npt.NDArray[np.int64]] = []
    elif all_equilibria and ties:
        profiles = _enumerate(game, numbers, choice, ties, max_equilibria)
    else:
        profiles = [choice]
    if verified is None:
        equilibria = tuple(_verified(game, numbers, c) for c in profiles)
    warnings: list[str] = []
    if ties:
        shown = ", ".join(tie_names[:10]) + (" ..." if len(ties) > 10 else "")
        if all_equilibria:
            warnings.append(
                f"{len(equilibria)} pure subgame-perfect equilibria: movers are indifferent at "
                f"{len(ties)} node(s): {shown}"
            )
        else:
            warnings.append(
                f"not unique: movers are indifferent at {len(ties)} node(s) ({shown}); "
                "the first best action is shown; --all lists every pure equilibrium"
            )
    return SolveResult(
        game=game,
        method="spe",
        exact=exact,
        parameters=dict(values),
        equilibria=equilibria,
        warnings=tuple(warnings),
        ties=tie_names,
    )


def _induct(game: Game, numbers: Numbers) -> tuple[npt.NDArray[np.int64], list[int]]:
    """Backward induction over the levels.

    Returns the chosen child of every node (-1 where no one chooses) and the
    decision nodes where the mover was indifferent between best children.
    """
    exact = numbers.exact
    n = game.num_nodes
    players = len(game.players)
    # Float: columns players.. hold each value's magnitude (expected |payoff|).
    values = np.zeros((n, players if exact else 2 * players), dtype=object if exact else np.float64)
    values[game.terminals, :players] = numbers.leaf_payoff
    widest = 0.0
    if not exact:
        leaf_size = tolerances.magnitude(numbers.leaf_payoff)
        values[game.terminals, players:] = leaf_size
        # A node's magnitude is an average of its terminals' (chance weights add up to 1
        # within the probability tolerance at each level, hence the growth allowed for):
        # the largest tie tolerance any comparison uses.
        growth = (1 + 2 * tolerances.PROBABILITY) ** (len(game.levels) + 1)
        widest = tie_tolerance(float(leaf_size.max(initial=0.0)) * growth)
    choice = np.full(n, -1, dtype=np.int64)
    tied: list[npt.NDArray[np.int64] | list[int]] = []
    prob = numbers.edge_prob
    for inner, cstart, cstop in game.levels_bottom_up():
        if inner.size <= NARROW_LEVEL:
            _induct_nodes(game, numbers, values, choice, tied, inner.tolist())
            continue
        counts = game.num_children[inner].astype(np.int64)
        offsets = game.first_child[inner] - cstart
        kid_values = values[cstart:cstop]
        is_chance = game.kind[inner] == NodeKind.CHANCE
        if is_chance.any():
            # Expectations over the children of chance nodes only (they are
            # contiguous per parent, so their own reduceat offsets are cumulative counts).
            chance_kids = np.flatnonzero(np.repeat(is_chance, counts)) + cstart
            chance_counts = counts[is_chance]
            starts = np.cumsum(chance_counts) - chance_counts
            weighted = prob[chance_kids, None] * values[chance_kids]
            values[inner[is_chance]] = np.add.reduceat(weighted, starts, axis=0)
        decide = ~is_chance
        if not decide.any():
            continue
        # The mover's payoff at each child; chance parents get a dummy column.
        mover = np.where(is_chance, 0, game.player[inner])
        kid_mover = np.repeat(mover, counts)
        own = kid_values[np.arange(cstop - cstart), kid_mover]
        best = np.maximum.reduceat(own, offsets)
        best_per_kid = np.repeat(best, counts)
        if exact:
            is_best = own == best_per_kid
        else:
            # Within the tie tolerance of the best, judged at the magnitude of the values
            # compared. No tolerance here exceeds ``widest``'s (it grows with the
            # magnitude): where no child but the best lies within that, none lies
            # within its own, and the magnitudes need not be gathered.
            near = own >= best_per_kid - widest
            is_best = own == best_per_kid
            if np.count_nonzero(near) != np.count_nonzero(is_best):
                size = np.maximum.reduceat(kid_values[np.arange(cstop - cstart), players + kid_mover], offsets)
                is_best = own >= best_per_kid - np.repeat(tie_tolerance(size), counts)
        position = np.arange(cstop - cstart, dtype=np.int64)
        first_best = np.minimum.reduceat(np.where(is_best, position, cstop - cstart), offsets)
        chosen = first_best[decide] + cstart
        choice[inner[decide]] = chosen
        values[inner[decide]] = values[chosen]
        # Some node has two best children (a NaN value, from overflowing sums, can leave a
        # node with none, so then count them all).
        if np.count_nonzero(is_best) > len(offsets) or (not exact and np.isnan(best).any()):
            n_best = np.add.reduceat(is_best.astype(np.int64), offsets)
            tie = inner[decide & (n_best > 1)]
            if tie.size:
                tied.append(tie)
    ties = sorted(int(t) for group in tied for t in group)
    return choice, ties


def _induct_nodes(
    game: Game,
    numbers: Numbers,
    values: npt.NDArray[Any],
    choice: npt.NDArray[np.int64],
    tied: list[npt.NDArray[np.int64] | list[int]],
    nodes: list[int],
) -> None:
    """The same step for a few nodes at a time (narrow levels of deep trees).

    Array calls cost a few microseconds each whatever their size, so a level of
    a handful of nodes is cheaper node by node.
    """
    prob = numbers.edge_prob
    chance = int(NodeKind.CHANCE)
    ties = []
    for n in nodes:
        k0 = int(game.first_child[n])
        k1 = k0 + int(game.num_children[n])
        if game.kind[n] == chance:
            values[n] = (prob[k0:k1, None] * values[k0:k1]).sum(axis=0)
            continue
        mover = int(game.player[n])
        tol = 0.0 if numbers.exact else tie_tolerance(float(values[k0:k1, len(game.players) + mover].max()))
        best = _best_of(values[k0:k1, mover].tolist(), numbers.exact, tol)
        choice[n] = k0 + best[0]
        values[n] = values[k0 + best[0]]
        if len(best) > 1:
            ties.append(n)
    if ties:
        tied.append(ties)


def _best_of(own: list[Any], exact: bool, tol: float) -> list[int]:
    """Positions of the largest entries (exactly, or within the float tie tolerance ``tol``)."""
    best = max(own)
    if exact:
        return [k for k, v in enumerate(own) if v == best]
    return [k for k, v in enumerate(own) if v >= best - tol]


def _enumerate(
    game: Game,
    numbers: Numbers,
    base: npt.NDArray[np.int64],
    ties: list[int],
    limit: int,
) -> list[npt.NDArray[np.int64]]:
    """Every pure SPE: expand the ancestors of tied nodes bottom-up.

    At each such node we keep a list of alternatives ``(value vector, choices)``
    where ``choices`` maps expanded decision nodes to their chosen child; below
    any other node the base solution is the only one.
    """
    exact = numbers.exact
    players = len(game.players)
    expanded: set[int] = set()
    for t in ties:
        n = t
        while n >= 0 and n not in expanded:
            expanded.add(n)
            n = int(game.parent[n])
    # Values of the base solution, for subtrees that are not expanded.
    weight = edge_weights(game, numbers, _pure_probabilities(game, base, exact))
    base_values = subgame_values(game, numbers, weight)
    if not exact:  # magnitudes beside the values, as in _induct
        base_values = np.concatenate([base_values, magnitudes(game, numbers, weight)], axis=1)
    Alt = tuple[npt.NDArray[Any], tuple[tuple[int, int], ...]]
    alternatives: dict[int, list[Alt]] = {}
    for node in sorted(expanded, reverse=True):  # children have larger indices
        kids = list(game.children_of(node))
        options: list[list[Alt]] = [
            alternatives.pop(c) if c in expanded else [(base_values[c], ())] for c in kids
        ]
        out: list[Alt] = []
        kind = NodeKind(int(game.kind[node]))
        for combo in itertools.product(*options):
            merged = tuple(itertools.chain.from_iterable(c[1] for c in combo))
            vals = [c[0] for c in combo]
            if kind is NodeKind.CHANCE:
                total = sum(
                    (numbers.edge_prob[c] * v for c, v in zip(kids, vals, strict=True)),
                    start=vals[0] * 0,
                )
                out.append((total, merged))
            else:
                mover = int(game.player[node])
                tol = 0.0 if exact else tie_tolerance(max(float(v[players + mover]) for v in vals))
                for k in _best_of([v[mover] for v in vals], exact, tol):
                    out.append((vals[k], (*merged, (node, kids[k]))))
            if len(out) > limit:
                raise SolverError(
                    f"more than {limit} pure subgame-perfect equilibria; the game has "
                    f"{len(ties)} tied node(s) — solve without --all or break the ties"
                )
        alternatives[node] = out
    result = []
    for _, choices in alternatives[0]:
        c = base.copy()
        for node, child in choices:
            c[node] = child
        result.append(c)
    return result


def _pure_probabilities(game: Game, choice: npt.NDArray[np.int64], exact: bool) -> list[Number]:
    """The flat behaviour vector of a pure profile given as a chosen child per node."""
    first = game.infoset_first_member
    chosen = game.infoset_offsets + (choice[first] - game.first_child[first])
    if exact:
        probs: list[Number] = [Fraction(0)] * game.num_actions
        for k in chosen.tolist():
            probs[k] = Fraction(1)
        return probs
    return list(_pure_vector(game, choice).tolist())


def _pure_vector(game: Game, choice: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The flat behaviour vector of a pure profile as float64 (1 at each chosen action)."""
    first = game.infoset_first_member
    vector = np.zeros(game.num_actions)
    vector[game.infoset_offsets + (choice[first] - game.first_child[first])] = 1.0
    return vector


def _verified(game: Game, numbers: Numbers, choice: npt.NDArray[np.int64]) -> Equilibrium:
    """Evaluate a pure profile from scratch and check it is subgame-perfect."""
    if not numbers.exact:  # the behaviour vector stays an array through the check
        return verified_subgame_perfect(
            game, numbers, _pure_vector(game, choice), what="backward induction produced a profile"
        )
    probs = _pure_probabilities(game, choice, numbers.exact)
    return verified_equilibrium(
        game, numbers, probs, check=subgame_check, what="backward induction produced a profile"
    )


# ---------------------------------------------------------------------------------
# Exact induction on integer arrays
# ---------------------------------------------------------------------------------
def _spe_integers(game: Game, numbers: Numbers, values: Mapping[str, Number]) -> SolveResult:
    """Exact backward induction and its check on numerators and denominators (no ``Fraction`` per node).

    For games whose numbers are constants held as arrays (``numbers.ratios``):
    every node's value vector is a row of integer numerators over one
    denominator (:mod:`policy.rational`), and each level is a few array
    operations, as in float mode. The profile found is then checked from its
    behaviour vector alone, in the same integers: its subgame values
    bottom-up and, at every decision node, that no child is worth more to the
    mover than the chosen one (zero subgame regret, exactly).
    """
    ratios = numbers.ratios
    assert ratios is not None
    choice, ties = _induct_integers(game, ratios)
    equilibrium = _verified_integers(game, ratios, choice)
    return _result(game, numbers, values, choice, ties, False, MAX_EQUILIBRIA, verified=equilibrium)


def _level_values(
    game: Game, ratios: ExactArrays, pick: npt.NDArray[np.int64] | None
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.int64], list[npt.NDArray[np.int64]]]:
    """Node values bottom-up: chance nodes average their children; decision nodes take a child.

    With ``pick`` (a chosen child per node) decision nodes take that child;
    without, each takes the first child best for its mover. Returns the
    numerators (nodes, players), denominators, the choice per node and the
    groups of tied nodes.
    """
    n = game.num_nodes
    players = len(game.players)
    leaf_num, leaf_den = ratios.leaf_num, ratios.leaf_den
    num = np.zeros((n, players), dtype=leaf_num.dtype)
    den = np.ones(n, dtype=leaf_den.dtype)
    num[game.terminals] = leaf_num
    den[game.terminals] = leaf_den
    choice = np.full(n, -1, dtype=np.int64) if pick is None else pick
    tied: list[npt.NDArray[np.int64]] = []
    for inner, cstart, cstop in game.levels_bottom_up():
        counts = game.num_children[inner].astype(np.int64)
        is_chance = game.kind[inner] == NodeKind.CHANCE
        kid_num, kid_den = num[cstart:cstop], den[cstart:cstop]
        if is_chance.any():
            chance_kids = np.flatnonzero(np.repeat(is_chance, counts))
            chance_counts = counts[is_chance]
            starts = np.cumsum(chance_counts) - chance_counts
            edges = chance_kids + cstart
            tnum, tden = group_sum(
                kid_num[chance_kids], kid_den[chance_kids], ratios.prob_num[edges], ratios.prob_den[edges], starts
            )
            if tnum.dtype == object and num.dtype != object:
                num, den = as_object(num), as_object(den)
                kid_num, kid_den = num[cstart:cstop], den[cstart:cstop]
            num[inner[is_chance]] = tnum
            den[inner[is_chance]] = tden
        decide = ~is_chance
        if not decide.any():
            continue
        deciders = inner[decide]
        if pick is None:
            d_counts = counts[decide]
            kids = np.flatnonzero(np.repeat(decide, counts))
            starts = np.cumsum(d_counts) - d_counts
            mover = np.repeat(game.player[deciders], d_counts)
            is_best, n_best = group_best(kid_num[kids, mover], kid_den[kids], starts)
            position = np.arange(len(kids), dtype=np.int64)
            first = np.minimum.reduceat(np.where(is_best, position, len(kids)), starts)
            chosen = kids[first] + cstart
            choice[deciders] = chosen
            tie = deciders[n_best > 1]
            if tie.size:
                tied.append(tie)
        else:
            chosen = pick[deciders]
        num[deciders] = num[chosen]
        den[deciders] = den[chosen]
    return num, den, choice, tied


def _induct_integers(game: Game, ratios: ExactArrays) -> tuple[npt.NDArray[np.int64], list[int]]:
    """:func:`_induct` in exact integers: the first best child at every decision node, and the ties."""
    _, _, choice, tied = _level_values(game, ratios, None)
    ties = sorted(int(t) for group in tied for t in group)
    return choice, ties


def _verified_integers(game: Game, ratios: ExactArrays, choice: npt.NDArray[np.int64]) -> Equilibrium:
    """Check a pure profile exactly from its behaviour vector and make its :class:`Equilibrium`."""
    probs = _pure_probabilities(game, choice, True)
    # The chosen child of each decision node, read back from the behaviour vector.
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    flat = np.array([p == 1 for p in probs], dtype=bool)
    counts = game.num_children[decision].astype(np.int64)
    offsets = game.infoset_offsets[game.infoset[decision]]
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    kid_flags = flat[np.repeat(offsets, counts) + within]
    starts = np.cumsum(counts) - counts
    if decision.size and not np.array_equal(np.add.reduceat(kid_flags.astype(np.int64), starts), np.ones(len(decision))):
        raise SolverError("internal error: backward induction produced a profile that is not pure")
    pick = np.full(game.num_nodes, -1, dtype=np.int64)
    kids = np.repeat(game.first_child[decision], counts) + within
    pick[decision] = kids[kid_flags]
    num, den, _, _ = _level_values(game, ratios, pick)
    # Zero subgame regret: at every decision node no child is worth more to the mover.
    if decision.size:
        mover = np.repeat(game.player[decision], counts)
        own_num = np.repeat(num[decision, game.player[decision]], counts)
        own_den = np.repeat(den[decision], counts)
        better = less(own_num, own_den, num[kids, mover], den[kids])
        if better.any():
            k = int(np.flatnonzero(better)[0])
            node = int(decision[np.searchsorted(starts, k, side="right") - 1])
            gain = coprime_fraction(int(num[kids[k], mover[k]]), int(den[kids[k]])) - coprime_fraction(
                int(own_num[k]), int(own_den[k])
            )
            raise VerificationError(game, gain, node, "backward induction produced a profile")
    root = tuple(Fraction(int(a), int(den[0])) for a in num[0].tolist())
    reach = _reach_integers(game, ratios, pick)
    return Equilibrium(
        game=game,
        probabilities=tuple(probs),
        values=root,
        reach=tuple(reach),
        max_regret=Fraction(0),
    )


def _reach_integers(game: Game, ratios: ExactArrays, pick: npt.NDArray[np.int64]) -> list[Fraction]:
    """Probability of reaching each terminal under a pure profile, exactly (0 and 1 shared)."""
    n = game.num_nodes
    wnum = np.ones(n, dtype=ratios.prob_num.dtype)
    wden = np.ones(n, dtype=ratios.prob_den.dtype)
    chance_child = np.zeros(n, dtype=bool)
    chance_child[1:] = game.kind[game.parent[1:]] == NodeKind.CHANCE
    wnum[chance_child] = ratios.prob_num[chance_child]
    wden[chance_child] = ratios.prob_den[chance_child]
    decided = np.zeros(n, dtype=bool)
    decided[1:] = game.kind[game.parent[1:]] == NodeKind.DECISION
    off = decided.copy()
    off[pick[pick >= 0]] = False
    wnum[off] = 0
    rnum, rden = wnum.copy(), wden.copy()
    for start, stop in game.levels[1:]:
        above = game.parent[start:stop]
        a, b = multiply(rnum[start:stop], rden[start:stop], rnum[above], rden[above])
        if a.dtype == object and rnum.dtype != object:
            rnum, rden = as_object(rnum), as_object(rden)
        rnum[start:stop], rden[start:stop] = a, b
    zero, one = Fraction(0), Fraction(1)
    out: list[Fraction] = []
    for a, b in zip(rnum[game.terminals].tolist(), rden[game.terminals].tolist(), strict=True):
        out.append(zero if a == 0 else one if a == b else coprime_fraction(a, b))
    return out
