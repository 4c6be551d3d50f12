"""Agent logit quantal response equilibria, traced to a Nash equilibrium.

A logit quantal response equilibrium (QRE; McKelvey and Palfrey, "Quantal
response equilibria for normal form games", *Games and Economic Behavior* 10,
1995) lets every player choose better actions more often but not always: with
precision ``lambda``, the probability of an action grows as
``exp(lambda * payoff)``. In an extensive game the *agent* QRE applies this at
every information set separately (McKelvey and Palfrey, "Quantal response
equilibria for extensive form games", *Experimental Economics* 1, 1998)::

    sigma(a | I) = exp(lambda * u(a | I)) / sum_b exp(lambda * u(b | I))

where ``u(a | I)`` is the expected payoff to the owner of ``I`` of taking ``a``
at ``I``, given that ``I`` is reached, with beliefs over its members from the
profile itself (Bayes' rule), and everyone, the owner included, following the
profile afterwards. At ``lambda = 0`` every set mixes uniformly; as ``lambda``
grows the unique branch that starts there (the principal branch) leads to a
Nash equilibrium, in generic games a sequential one (McKelvey and Palfrey
1998); this selects an equilibrium the way Harsanyi and Selten's tracing
procedure does (Turocy, "A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence", *Games and Economic Behavior* 51,
2005). Gambit's ``logit_solve`` follows the same branch.

Steps:

1. **Equations.** In the log-probabilities ``z`` (one per action of every
   information set) and ``lambda``, with ``LSE`` the log-sum-exp over the
   actions of a set, the QRE are the zeros of
   ``H(z, lambda)_a = z_a - lambda u_a + LSE_I(lambda u)``. Payoffs are first
   divided by their range (largest minus smallest), so internally ``lambda``
   is in units of the game's payoff spread; results report it in the game's
   own units, as Gambit does. When that branch reaches no equilibrium by the
   largest precision and the players' payoff ranges differ (one player's
   payoffs too small beside another's for one common precision to resolve),
   the search follows instead the branch of the game with each player's
   payoffs divided by that player's own range: a positive affine change of
   each player's payoffs, so the same Nash equilibria, on another path; a
   warning says so and ``lambda`` is then in those units.
2. **Conditional values and their Jacobian, in closed form.** ``u_a`` sums,
   over the members ``h`` of the set and the terminals ``t`` below ``h``
   through ``a``, ``belief(h) * P(t | h, a) * payoff(t)``; beliefs are
   ``reach(h) / reach(I)``. All of it is products of the ``exp(z)`` along
   paths, so ``u`` and every ``d u_a / d z_b`` come from the incidence of
   actions and paths, computed with index arrays and ``bincount`` over the
   whole tree (no loop over nodes) and in log space, so reach probabilities
   far below the float range stay exact. (Conditional rather than
   counterfactual values: the two differ by the positive factor
   ``reach(I)`` of the others, which would change the logit scale from set to
   set.)
3. **Path following.** Arc-length predictor-corrector continuation (Allgower
   and Georg, *Introduction to Numerical Continuation Methods*, 1990, ch. 6):
   an Euler step along the tangent (the null vector of the Jacobian, oriented
   by the previous tangent, so turning points in ``lambda`` are passed),
   chord-Newton corrections in the hyperplane through the predicted point,
   and a step length that grows while the corrector converges easily (its
   first correction, contraction rate and the tangent's turn, against nominal
   values) and is halved when it fails.
4. **Finish.** Whenever ``lambda`` has grown by ``CHECK_FACTOR``, the support
   is read off the branch: an action is leaving it when its log-probability is
   well below the best of its set and still falling like ``-lambda`` times its
   payoff shortfall (the tangent gives the rate). On that support Newton's
   method solves the limit equations: the supported actions of a set have
   equal conditional values, and probabilities sum to 1. First at every set,
   with beliefs at the sets the support leaves unreached taken from the QRE
   (a sequential equilibrium's conditions); failing that, at the reached sets
   only (a Nash equilibrium's), the others keeping the QRE's probabilities.
   A solution counts only if :func:`nash_regret_check` accepts it (each
   player's regret within ``tolerances.REGRET`` times the magnitude of the
   values compared, :mod:`policy.tolerances`), and is taken
   as the limit of the branch when the QRE is close to it, or is itself an
   equilibrium, or two checks in a row agree (:func:`_accept`). If ``lambda``
   passes ``max_lambda`` or the path is lost first, a verified equilibrium
   found from the last QRE is returned, and if there is none
   :class:`SolverError` says the path did not converge. So a bifurcation can
   never make us report a non-equilibrium (as Gambit once did, gambit issue
   #492).

Beliefs at a set that only zero-probability moves lead to. On the branch the
players' probabilities are all positive, so only a chance move of
probability 0 above every member does that; there (and in the finishing
equations, for actions outside the support) the members reached through the
fewest such moves share the belief in proportion to the rest of their reach,
as if every such move had the same vanishing probability.

Degenerate games. Where the branch meets a bifurcation (symmetric games such
as the battle of the sexes) it is continued straight through, in the
direction it came; Gambit may turn onto a side branch there instead, and the
two then end at different equilibria. Where equilibria form a continuum
(ties in payoffs), the one returned is a point of it near the QRE where the
path was left.

Size. The Jacobian is dense (actions x actions) and factorised at every
step, and step 2 keeps one index entry per ordered pair of moves on a common
path to a terminal: about ``d**3 / 3`` for a chain of depth ``d`` (a 6,001-node
chain would need some 9e9 entries, 67 GiB). :mod:`policy.solvers.sizes` states
the limits (600 actions, 1e7 pairs) and :func:`policy.solvers.solve` refuses
larger games before building anything.

Exact mode: logit works in floating point. With ``exact=True`` the float
equilibrium is turned into fractions (the nearest ones with small
denominators, renormalised per set) and accepted if its regret is exactly 0;
otherwise the float equilibrium is returned, with ``SolveResult.exact`` False
and a warning saying so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import tolerances
from policy.model import Game, NodeKind, Number, Numbers
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult
from policy.solvers.verify import (
    VerificationError,
    behavior_regret,
    evaluate_profile,
    nash_regret_check,
    verified_equilibrium,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Default largest precision traced, in units of 1 / (payoff range).
MAX_LAMBDA = 1e6
#: Arc length of the first step (as Gambit's ``first_step``).
FIRST_STEP = 0.03
#: Largest factor by which the step may grow after an easy step.
MAX_ACCEL = 1.5
#: Give up after this many steps (tried, accepted or not).
MAX_STEPS = 5_000
#: The step never exceeds this times (1 + lambda) (lambda in payoff-range units).
MAX_STEP_RELATIVE = 1.0
#: Below this step length (times 1 + lambda) the path is lost.
MIN_STEP = 1e-10
#: Newton corrections per step at most.
MAX_CORRECTOR = 8
#: A corrector step may be at most this times the step length.
MAX_CORRECTOR_DISTANCE = 0.5
#: Each Newton correction must shrink by at least this factor.
MAX_CONTRACTION = 0.8
#: Step control (Allgower and Georg 1990, section 6.1): the nominal first
#: correction (relative to the step), contraction rate and tangent turn (radians)
#: of an easy step. The step is divided by how far the worst of them exceeds its
#: nominal value (square roots for the first two), and retried if by more than
#: ``MAX_EFFORT``.
NOMINAL_DISTANCE = 0.05
NOMINAL_CONTRACTION = 0.4
NOMINAL_ANGLE = 0.1
MAX_EFFORT = 2.0
#: Newton corrections below this (each coordinate relative to 1 + its size) end
#: the corrector along the path...
CORRECTOR_TOLERANCE = 1e-9
#: ...and at a requested lambda.
LANDING_TOLERANCE = 1e-13
#: Corrections below this (same measure) that no longer shrink are rounding
#: noise: the corrector stops there rather than fail.
NOISE_FLOOR = 1e-7
#: First precision (payoff-range units) at which a Nash equilibrium is sought.
CHECK_START = 2.0
#: Seek again each time the precision has grown by this factor.
CHECK_FACTOR = 1.6
#: An action leaves the support when its log-probability is this far below the
#: best of its set...
SUPPORT_GAP = 2.0
#: ...and falls faster than the best's by this much per unit of log lambda.
SUPPORT_RATE = 1.0
#: A Nash equilibrium found from a QRE is accepted as the limit of the branch
#: when it is this close to the QRE in every behaviour probability...
ACCEPT_DISTANCE = 1e-4
#: ...or when two checks in a row find the same one (see :func:`_accept`; the
#: sequential equations' residual must shrink by ``CONFIRM_RATIO`` in between).
#: Candidates farther than ``CONFIRM_DISTANCE`` from the QRE are not considered.
CONFIRM_DISTANCE = 0.05
CONFIRM_RATIO = 0.8
#: Newton iterations of the finishing step; each must shrink the residual by this factor.
MAX_POLISH = 30
POLISH_CONTRACTION = 0.9
#: Its steps are at most this long (in log-probabilities)...
MAX_POLISH_STEP = 2.0
#: ...and it gives up when it has moved this far from where it started.
MAX_POLISH_DRIFT = 5.0
#: The finishing Newton stops when its residual is below this (payoff-range units).
POLISH_TOLERANCE = 1e-13
#: When the path is lost, it is followed again up to this many times, each time
#: with the first step times ``RESTART_STEP``, the step growth's excess over 1
#: times ``RESTART_ACCEL`` and the step budget times ``RESTART_BUDGET``.
RESTARTS = 2
RESTART_STEP = 0.1
RESTART_ACCEL = 0.2
RESTART_BUDGET = 4
#: Denominators tried, in order, when turning a float equilibrium into fractions.
RATIONAL_BOUNDS = (10, 100, 1_000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class _Tree:
    """Index arrays of a game for the conditional-value computation.

    "Entries" pair a row (a terminal, or a member of an information set) with a
    player action on the path from the root to it. Actions are numbered as in
    the flat behaviour vector, so the actions of one set are contiguous.
    """

    n_actions: int
    n_infosets: int
    act_infoset: IntArray
    """Information set of each action."""
    act_player: IntArray
    starts: IntArray
    """First action of each information set."""
    # terminals
    n_terminals: int
    t_logc: FloatArray
    """Log of the product of the non-zero chance probabilities on the path to each terminal."""
    t_zeros: IntArray
    """Number of zero-probability chance moves on the path to each terminal."""
    te_row: IntArray
    te_act: IntArray
    te_member: IntArray
    """The member (row in the member arrays) where the entry's action is taken."""
    te_payoff: FloatArray
    """Normalised payoff of the terminal of each entry to the owner of its action."""
    pair_entry: IntArray
    """For every pair of actions on one terminal's path: the entry of the first..."""
    pair_key: IntArray
    """...and ``first action * n_actions + second action``..."""
    pair_above: BoolArray
    """...and whether the second is taken above the first."""
    # members of information sets (rows in set order)
    m_infoset: IntArray
    m_starts: IntArray
    m_logc: FloatArray
    m_zeros: IntArray
    me_row: IntArray
    me_act: IntArray
    me_key: IntArray
    """``infoset of the member * n_actions + action`` of each member entry."""


def _path_entries(
    game: Game, edge_action: IntArray, nodes: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Every player action on the path to each of ``nodes``, by row.

    Returns (row, action, node where the action is taken), one entry per action.
    """
    rows: list[IntArray] = []
    acts: list[IntArray] = []
    sources: list[IntArray] = []
    current = nodes.astype(np.int64)
    row_ids = np.arange(len(nodes), dtype=np.int64)
    while current.size:
        a = edge_action[current]
        mine = a >= 0
        rows.append(row_ids[mine])
        acts.append(a[mine])
        sources.append(game.parent[current[mine]])
        up = current > 0
        current = game.parent[current[up]]
        row_ids = row_ids[up]
    empty = np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows) if rows else empty
    act = np.concatenate(acts) if acts else empty
    source = np.concatenate(sources) if sources else empty
    order = np.lexsort((act, row))
    return row[order], act[order], source[order]


def _prepare(game: Game, numbers: Numbers, payoff: FloatArray) -> _Tree:
    """Build the index arrays (once per solve; linear in nodes times depth)."""
    n = game.num_nodes
    n_actions = game.num_actions
    sets = list(game.infosets.values())
    act_infoset = np.repeat(
        np.arange(len(sets), dtype=np.int64), [len(s.actions) for s in sets]
    ).astype(np.int64)
    act_player = np.repeat(
        np.array([s.player.index for s in sets], dtype=np.int64), [len(s.actions) for s in sets]
    ).astype(np.int64)
    starts = np.array([s.offset for s in sets], dtype=np.int64)

    edge_action = np.full(n, -1, dtype=np.int64)
    log_edge = np.zeros(n)
    zero_edge = np.zeros(n, dtype=np.int64)
    if n > 1:
        kids = np.arange(1, n, dtype=np.int64)
        parents = game.parent[1:]
        decided = game.kind[parents] == NodeKind.DECISION
        c, p = kids[decided], parents[decided]
        edge_action[c] = game.infoset_offsets[game.infoset[p]] + (c - game.first_child[p])
        chancy = kids[game.kind[parents] == NodeKind.CHANCE]
        prob = np.asarray(numbers.edge_prob, dtype=np.float64)[chancy]
        zero_edge[chancy] = prob == 0
        log_edge[chancy] = np.log(np.where(prob > 0, prob, 1.0))
    log_chance = log_edge.copy()
    zeros = zero_edge.copy()
    for start, stop in game.levels[1:]:
        up = game.parent[start:stop]
        log_chance[start:stop] += log_chance[up]
        zeros[start:stop] += zeros[up]

    terminals = game.terminals
    te_row, te_act, te_source = _path_entries(game, edge_action, terminals)
    # All ordered pairs of entries on one terminal's path.
    counts = np.bincount(te_row, minlength=len(terminals)).astype(np.int64)
    row_start = np.cumsum(counts) - counts
    per_entry = counts[te_row]
    pair_entry = np.repeat(np.arange(len(te_row), dtype=np.int64), per_entry)
    within = np.arange(int(per_entry.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(per_entry) - per_entry, per_entry
    )
    partner = row_start[te_row[pair_entry]] + within
    pair_key = te_act[pair_entry] * n_actions + te_act[partner]
    pair_above = game.depth[te_source[partner]] < game.depth[te_source[pair_entry]]

    members = np.array([m for s in sets for m in s.members], dtype=np.int64)
    member_row = np.full(n, -1, dtype=np.int64)
    member_row[members] = np.arange(len(members), dtype=np.int64)
    m_infoset = np.repeat(
        np.arange(len(sets), dtype=np.int64), [len(s.members) for s in sets]
    ).astype(np.int64)
    m_starts = np.cumsum([0] + [len(s.members) for s in sets[:-1]]).astype(np.int64)
    me_row, me_act, _ = _path_entries(game, edge_action, members)
    return _Tree(
        n_actions=n_actions,
        n_infosets=len(sets),
        act_infoset=act_infoset,
        act_player=act_player,
        starts=starts,
        n_terminals=len(terminals),
        t_logc=log_chance[terminals],
        t_zeros=zeros[terminals],
        te_row=te_row,
        te_act=te_act,
        te_member=member_row[te_source],
        te_payoff=payoff[te_row, act_player[te_act]] if te_row.size else np.zeros(0),
        pair_entry=pair_entry,
        pair_key=pair_key,
        pair_above=np.asarray(pair_above, dtype=bool),
        m_infoset=m_infoset,
        m_starts=m_starts,
        m_logc=log_chance[members],
        m_zeros=zeros[members],
        me_row=me_row,
        me_act=me_act,
        me_key=m_infoset[me_row] * n_actions + me_act,
    )


def _sum_by(keys: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sums of ``weights`` per key in ``0 .. size - 1``."""
    return np.asarray(np.bincount(keys, weights, minlength=size), dtype=np.float64)


def _log_beliefs(
    tree: _Tree, z: FloatArray, zero: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per member of an information set: log reach, zero moves above, log belief.

    The log-probability of reaching the member over the moves of positive
    probability; the number of ``zero`` actions and zero-probability chance
    moves above it; and the log of the Bayes belief in it given its set. For a
    set that only such moves lead to, beliefs are taken among the members the
    fewest of them lead to (``-inf`` for the others).
    """
    ze = np.where(zero, 0.0, z)
    M = len(tree.m_infoset)
    log_reach = tree.m_logc + np.bincount(tree.me_row, ze[tree.me_act], minlength=M)
    zeros = tree.m_zeros + np.bincount(
        tree.me_row, zero[tree.me_act].astype(np.int64), minlength=M
    )
    fewest = np.minimum.reduceat(zeros, tree.m_starts)
    log_m = np.where(zeros == fewest[tree.m_infoset], log_reach, -np.inf)
    top = np.maximum.reduceat(log_m, tree.m_starts)
    log_d = top + np.log(np.add.reduceat(np.exp(log_m - top[tree.m_infoset]), tree.m_starts))
    return log_reach, zeros.astype(np.float64), log_m - log_d[tree.m_infoset]


def _conditional_values(
    tree: _Tree,
    z: FloatArray,
    zero: BoolArray,
    jacobian: bool = True,
    fixed_sets: BoolArray | None = None,
    fixed_log_beliefs: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Conditional value of every action and its derivatives in the log-probabilities.

    ``u_a`` is the owner's expected payoff of taking ``a`` at its set, given
    the set is reached: the sum, over members ``h`` and terminals ``t`` below
    ``h`` through ``a``, of ``belief(h) * P(t | h, a) * payoff(t)``. ``zero``
    marks actions taken to have probability 0 (their ``z`` is ignored).
    Beliefs are Bayes' (see :func:`_log_beliefs`) except at the sets marked
    ``fixed_sets``, which get ``fixed_log_beliefs`` (per member) and do not
    vary with ``z``. Returns ``u`` (per action) and ``du[a, b] = d u_a / d z_b``.
    """
    A = tree.n_actions
    ze = np.where(zero, 0.0, z)
    zero_i = zero.astype(np.int64)
    T = tree.n_terminals
    log_reach_t = tree.t_logc + np.bincount(tree.te_row, ze[tree.te_act], minlength=T)
    zeros_t = tree.t_zeros + np.bincount(tree.te_row, zero_i[tree.te_act], minlength=T)
    log_reach_m, zeros_m, log_belief = _log_beliefs(tree, z, zero)
    if fixed_sets is not None:
        assert fixed_log_beliefs is not None
        log_belief = np.where(fixed_sets[tree.m_infoset], fixed_log_beliefs, log_belief)
    h = tree.te_member
    # P(t | h, a): the path below a, with no zero move on it.
    clear = (zeros_t[tree.te_row] - zeros_m[h] - zero_i[tree.te_act]) == 0
    exponent = np.where(
        clear,
        log_reach_t[tree.te_row] - log_reach_m[h] - ze[tree.te_act] + log_belief[h],
        -np.inf,
    )
    weighted = np.exp(exponent) * tree.te_payoff
    u = _sum_by(tree.te_act, weighted, A)
    if not jacobian:
        return u, None
    du = _sum_by(tree.pair_key, weighted[tree.pair_entry], A * A).reshape(A, A)
    # Bayes beliefs move with the actions above the set...
    g = _sum_by(tree.me_key, np.exp(log_belief)[tree.me_row], tree.n_infosets * A)
    bayes = u[:, None] * g.reshape(tree.n_infosets, A)[tree.act_infoset]
    if fixed_sets is not None and fixed_sets.any():
        # ...fixed ones do not: then only the paths below the member count.
        above = tree.pair_above
        below_member = _sum_by(tree.pair_key[above], weighted[tree.pair_entry[above]], A * A)
        below_member = below_member.reshape(A, A)
        bayes = np.where(fixed_sets[tree.act_infoset][:, None], below_member, bayes)
    du -= bayes
    du[np.diag_indices(A)] -= u
    return u, du


def _softmax(tree: _Tree, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per information set: softmax of ``v`` and its log-sum-exp (per set)."""
    top = np.maximum.reduceat(v, tree.starts)
    top = np.where(np.isfinite(top), top, 0.0)  # sets with no action left (all -inf)
    e = np.exp(v - top[tree.act_infoset])
    total = np.add.reduceat(e, tree.starts)
    safe = np.where(total > 0, total, 1.0)
    with np.errstate(divide="ignore"):
        return e / safe[tree.act_infoset], top + np.log(total)


def _homotopy(
    tree: _Tree, x: FloatArray, jacobian: bool = True
) -> tuple[FloatArray, FloatArray | None]:
    """``H(z, lambda)`` and its Jacobian (actions x (actions + 1)) at ``x = (z, lambda)``."""
    z, lam = x[:-1], float(x[-1])
    u, du = _conditional_values(tree, z, np.zeros(tree.n_actions, dtype=bool), jacobian)
    p, lse = _softmax(tree, lam * u)
    h = z - lam * u + lse[tree.act_infoset]
    if du is None:
        return h, None
    mean_u = np.add.reduceat(p * u, tree.starts)
    mean_du = np.add.reduceat(p[:, None] * du, tree.starts, axis=0)
    jac = np.empty((tree.n_actions, tree.n_actions + 1))
    jac[:, :-1] = -lam * (du - mean_du[tree.act_infoset])
    jac[np.diag_indices(tree.n_actions)] += 1.0
    jac[:, -1] = -(u - mean_u[tree.act_infoset])
    return h, jac


class _PathLost(Exception):
    """The branch cannot be followed further (steps too short, or too many)."""


@dataclass
class _Frame:
    """A point with the factored Jacobian there, bordered by the row ``normal``.

    The factors give the tangent ``t`` at ``x``; made at a predicted point,
    they are also the fixed matrix of the chord-Newton corrections from it
    (Allgower and Georg 1990, section 6.2), which then need only values of
    ``H``, not Jacobians.
    """

    x: FloatArray
    t: FloatArray
    normal: FloatArray
    lu: Any


def _far_off_the_branch() -> Any:
    """Quiet numpy's overflow warnings at a point that will be rejected for them.

    The predictor's step grows with lambda (up to ``MAX_STEP_RELATIVE`` times
    ``1 + lambda``), so at a large lambda (``1e5`` near a tie in the payoffs)
    a predicted point can lie far off the branch, with log-probabilities of
    hundreds: ``exp`` of them overflows in :func:`_conditional_values`, and a
    huge tangent or correction overflows its norm. Every such overflow leaves a
    value that is not finite where it is checked: an infinite term of ``u``
    makes ``u``, and with it ``H`` and its Jacobian, not finite (inf or nan,
    never a finite wrong number; the softmax overflows only when ``lambda u``
    is not finite already), and an overflowing norm is infinite. Then
    :func:`_frame` and :func:`_correct` return None and the step is halved, as
    for any failed step. So inside them these warnings only repeat what the
    checks see; everywhere else numpy's warnings stay as they are.
    """
    return np.errstate(over="ignore", invalid="ignore")


def _frame(tree: _Tree, x: FloatArray, normal: FloatArray) -> _Frame | None:
    """Jacobian, factorisation and tangent at ``x`` (None if singular or not finite)."""
    from scipy.linalg import lu_factor, lu_solve

    with _far_off_the_branch():
        _, jac = _homotopy(tree, x)
    assert jac is not None
    system = np.vstack([jac, normal[None, :]])
    if not np.all(np.isfinite(system)):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singularity is checked below
        lu = lu_factor(system, check_finite=False)
    if not np.all(np.isfinite(lu[0])) or np.min(np.abs(np.diag(lu[0]))) == 0:
        return None
    rhs = np.zeros(tree.n_actions + 1)
    rhs[-1] = 1.0
    t = lu_solve(lu, rhs, check_finite=False)
    with _far_off_the_branch():
        size = float(np.linalg.norm(t))
    if not math.isfinite(size) or size == 0:
        return None
    return _Frame(x=x, t=t / size, normal=normal, lu=lu)


def _correct(
    tree: _Tree,
    y: FloatArray,
    lu: Any,
    step: float,
    tolerance: float = CORRECTOR_TOLERANCE,
) -> tuple[FloatArray, float] | None:
    """Chord-Newton corrections of ``y`` with the factored bordered Jacobian ``lu``.

    The bordered row keeps the corrections in the hyperplane through ``y``
    that it is normal to. Returns the corrected point and how hard the
    correction was (1 nominal, above 1 harder: from the first correction's
    length and the contraction rate, as Allgower and Georg's step control), or
    None if it failed.
    """
    from scipy.linalg import lu_solve

    first = previous = math.inf
    contraction = 0.0
    # Corrections are measured relative to each coordinate's size: at high
    # precision the log-probabilities of inferior actions grow like lambda and
    # need only relative accuracy.
    weight = 1.0 / (1.0 + np.abs(y))
    for it in range(1, MAX_CORRECTOR + 1):
        with _far_off_the_branch():
            h, _ = _homotopy(tree, y, jacobian=False)
            if not np.all(np.isfinite(h)):
                return None
            d = lu_solve(lu, np.append(-h, 0.0), check_finite=False)
            length = float(np.linalg.norm(d))
            size = float(np.linalg.norm(d * weight))
        if not math.isfinite(length):
            return None
        noise = size <= NOISE_FLOOR  # rounding dominates: as good as it gets
        if length > MAX_CORRECTOR_DISTANCE * max(step, MIN_STEP) and not noise:
            return None
        y = y + d
        stalled = False
        if it == 1:
            first = 0.0 if noise else length
        elif size > tolerance:
            rate = size / previous
            stalled = rate > MAX_CONTRACTION
            if stalled and not noise:
                return None
            if not noise:  # the rate of rounding noise says nothing of the step
                contraction = max(contraction, rate)
        previous = size
        if size <= tolerance or stalled:
            effort = max(
                math.sqrt(first / (NOMINAL_DISTANCE * max(step, MIN_STEP))),
                math.sqrt(contraction / NOMINAL_CONTRACTION),
            )
            return y, effort
    if previous <= NOISE_FLOOR:
        return y, MAX_EFFORT
    return None


def _branch(
    tree: _Tree,
    first_step: float,
    max_accel: float,
    max_steps: int,
    stop_at: float | None = None,
) -> Iterator[tuple[FloatArray, FloatArray]]:
    """Points ``x = (z, lambda)`` of the principal branch from lambda = 0 up, with tangents.

    With ``stop_at`` the last point yielded has exactly that lambda.
    """
    sizes = np.diff(np.append(tree.starts, tree.n_actions))
    x = np.append(-np.log(sizes[tree.act_infoset].astype(np.float64)), 0.0)
    along_lambda = np.zeros(tree.n_actions + 1)
    along_lambda[-1] = 1.0
    here = _frame(tree, x, along_lambda)
    if here is None:
        raise _PathLost
    yield here.x, here.t
    if stop_at is not None and stop_at <= 0:
        return
    step = first_step
    for _ in range(max_steps):
        x, t = here.x, here.t
        lam = float(x[-1])
        landing = stop_at is not None and t[-1] > 0 and lam + step * t[-1] >= stop_at
        trial = step
        got = None
        if landing:
            assert stop_at is not None
            trial = (stop_at - lam) / t[-1]
            y = x + trial * t
            y[-1] = stop_at
            fixed = _frame(tree, y, along_lambda)  # corrections at constant lambda
            if fixed is not None:
                got = _correct(tree, y, fixed.lu, trial, LANDING_TOLERANCE)
        else:
            y = x + trial * t
            predicted = _frame(tree, y, t)
            if predicted is not None:
                got = _correct(tree, y, predicted.lu, trial)
        there = None
        effort = math.inf
        if got is not None:
            y, effort = got
            there = _frame(tree, y, t)
            if there is not None and not landing:
                cosine = float(there.t @ t)
                angle = math.acos(min(1.0, max(-1.0, cosine)))
                effort = max(effort, angle / NOMINAL_ANGLE)
                if effort > MAX_EFFORT:
                    there = None
        if there is None:
            step = trial / 2
            if step < MIN_STEP * (1.0 + abs(float(x[-1]))):
                raise _PathLost
            continue
        here = there
        yield here.x, here.t
        if landing:
            return
        step = trial / min(max(effort, 1.0 / max_accel), MAX_EFFORT)
        scale = 1.0 + abs(float(here.x[-1]))
        if step < MIN_STEP * scale:
            raise _PathLost  # only rounding noise is left to follow
        step = min(step, MAX_STEP_RELATIVE * scale)
    raise _PathLost


# ---------------------------------------------------------------------------------
# Finishing: from a QRE to the Nash equilibrium it approaches
# ---------------------------------------------------------------------------------
def _probabilities(tree: _Tree, z: FloatArray, zero: BoolArray) -> FloatArray:
    """Behaviour probabilities from log-probabilities, 0 where ``zero``, normalised per set."""
    v = np.where(zero, -np.inf, z)
    top = np.maximum.reduceat(v, tree.starts)
    e = np.where(zero, 0.0, np.exp(v - top[tree.act_infoset]))
    total = np.add.reduceat(e, tree.starts)
    p = e / total[tree.act_infoset]
    single = (e == 1.0) & (total[tree.act_infoset] == 1.0)
    p[single] = 1.0
    return np.asarray(p, dtype=np.float64)


def _unreachable_sets(tree: _Tree, zero: BoolArray) -> BoolArray:
    """Sets that no member of is reached once the ``zero`` actions have probability 0."""
    blocked = tree.m_zeros + np.bincount(
        tree.me_row, zero[tree.me_act].astype(np.int64), minlength=len(tree.m_infoset)
    )
    return np.asarray(np.minimum.reduceat(blocked, tree.m_starts) > 0, dtype=bool)


def _supports(tree: _Tree, x: FloatArray, t: FloatArray) -> list[BoolArray]:
    """Guesses of the limit's support: masks True where an action is outside it.

    Along the branch, the log-probability of an action outside the limit's
    support falls like ``-lambda * delta`` (``delta`` its payoff shortfall),
    while those in the support settle. So an action is out when its
    log-probability is ``SUPPORT_GAP`` below the best of its set and falls
    faster than the best's by more than ``SUPPORT_RATE`` per unit of
    ``log lambda``. Where the shortfall itself vanishes in the limit the fall
    is slower; the second guess, if different, takes out every action that is
    ``SUPPORT_GAP`` below the best.
    """
    z, lam = x[:-1], float(x[-1])
    top = np.maximum.reduceat(z, tree.starts)
    is_top = z == top[tree.act_infoset]
    position = np.where(is_top, np.arange(tree.n_actions), tree.n_actions)
    ref = np.minimum.reduceat(position, tree.starts)[tree.act_infoset]
    low = np.asarray(z < top[tree.act_infoset] - SUPPORT_GAP, dtype=bool)
    if t[-1] <= 0:
        return [low]  # lambda is turning back: use the gap alone
    rate = lam * t[:-1] / t[-1]
    leaving = np.asarray(low & (rate - rate[ref] < -SUPPORT_RATE), dtype=bool)
    return [leaving] if np.array_equal(leaving, low) else [leaving, low]


@dataclass(frozen=True)
class _Polished:
    """What :func:`_polish` found."""

    probabilities: FloatArray | None
    """The solution, or None if Newton's method failed."""
    residual: float
    """Largest residual where it stopped (below ``POLISH_TOLERANCE`` if solved)."""
    reached: BoolArray
    """Actions of the sets that the support reaches."""


def _polish(tree: _Tree, z: FloatArray, zero: BoolArray, sequential: bool) -> _Polished:
    """Solve the limit equations on a support.

    Starting from the QRE log-probabilities ``z``, with the actions marked
    ``zero`` at probability 0: the supported actions of each set have equal
    conditional values and probabilities summing to 1, by Newton's method.

    ``sequential``: at every set; those the support does not reach keep the
    QRE's beliefs, as the limit's (consistent) beliefs there. Otherwise only at
    the sets the support reaches, which is all a Nash equilibrium needs; the
    others keep the QRE's probabilities.
    """
    unreached = _unreachable_sets(tree, zero)
    fixed_sets: BoolArray | None = None
    fixed_log_beliefs: FloatArray | None = None
    if sequential:
        var = ~zero
        if unreached.any():
            fixed_sets = unreached
            qre_beliefs = _log_beliefs(tree, z, np.zeros(tree.n_actions, dtype=bool))
            fixed_log_beliefs = qre_beliefs[2]
    else:
        var = ~zero & ~unreached[tree.act_infoset]
    reached = ~unreached[tree.act_infoset]
    if not var.any():
        return _Polished(_probabilities(tree, z, zero), 0.0, reached)
    # Reference action of each set: its most likely one.
    masked = np.where(var, z, -np.inf)
    best = np.maximum.reduceat(masked, tree.starts)
    is_top = var & (masked == best[tree.act_infoset])
    position = np.where(is_top, np.arange(tree.n_actions), tree.n_actions)
    ref = np.minimum.reduceat(position, tree.starts)  # n_actions where the set is not solved
    ref_of = ref[tree.act_infoset]
    is_ref = var & (ref_of == np.arange(tree.n_actions))
    rows = np.flatnonzero(var)
    y = z.copy()
    start = y[rows].copy()
    last = math.inf
    for _ in range(MAX_POLISH):
        u, du = _conditional_values(tree, y, zero, True, fixed_sets, fixed_log_beliefs)
        assert du is not None
        safe_ref = np.minimum(ref_of, tree.n_actions - 1)
        p, lse = _softmax(tree, np.where(var, y, -np.inf))
        residual = np.where(is_ref, lse[tree.act_infoset], u - u[safe_ref])[rows]
        if not np.all(np.isfinite(residual)):
            return _Polished(None, math.inf, reached)
        size = float(np.max(np.abs(residual)))
        if size <= POLISH_TOLERANCE:
            break
        if size > POLISH_CONTRACTION * last:
            return _Polished(None, last, reached)  # not converging
        last = size
        jac = (du - du[safe_ref])[np.ix_(rows, rows)]
        lse_rows = np.flatnonzero(is_ref[rows])
        same_set = tree.act_infoset[rows][lse_rows, None] == tree.act_infoset[rows][None, :]
        jac[lse_rows] = np.where(same_set, p[rows][None, :], 0.0)
        d, *_ = np.linalg.lstsq(jac, -residual, rcond=None)
        if not np.all(np.isfinite(d)):
            return _Polished(None, math.inf, reached)
        longest = float(np.max(np.abs(d)))
        if longest > MAX_POLISH_STEP:
            d *= MAX_POLISH_STEP / longest
        y[rows] += d
        if float(np.max(np.abs(y[rows] - start))) > MAX_POLISH_DRIFT:
            # Heading for an equilibrium far from this QRE.
            return _Polished(None, math.inf, reached)
    return _Polished(_probabilities(tree, y, zero), min(size, last), reached)


# ---------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------
def _regret(game: Game, numbers: Numbers, probs: list[Any]) -> Number:
    regret, _ = behavior_regret(game, numbers, probs)
    return regret


def _passes(game: Game, numbers: Numbers, probs: list[Any]) -> bool:
    """Whether a float profile is a Nash equilibrium within each player's tolerance."""
    return bool(nash_regret_check(game, numbers, probs).excess <= 0)


def nearby_exact(game: Game, exact_numbers: Numbers, probs: FloatArray) -> Equilibrium | None:
    """An exact equilibrium in fractions near a float one (small denominators first), or None.

    Shared by the float methods (logit, gnm) that offer exact results.
    """
    sets = list(game.infosets.values())
    for bound in RATIONAL_BOUNDS:
        out: list[Fraction] = []
        for s in sets:
            block = [
                Fraction(float(p)).limit_denominator(bound)
                for p in probs[s.offset : s.offset + len(s.actions)]
            ]
            k = max(range(len(block)), key=block.__getitem__)
            block[k] += 1 - sum(block)
            if block[k] < 0:
                break
            out.extend(block)
        else:
            with contextlib.suppress(VerificationError):  # too coarse: try finer fractions
                return verified_equilibrium(game, exact_numbers, out)
    return None


def logit_solve(
    game: Game,
    values: Mapping[str, Number],
    exact: bool = False,
    all_equilibria: bool = False,
    lam: float | None = None,
    max_lambda: float | None = None,
    first_step: float = FIRST_STEP,
    max_accel: float = MAX_ACCEL,
    max_steps: int = MAX_STEPS,
) -> SolveResult:
    """Follow the principal branch of the agent logit QRE to a Nash equilibrium.

    Parameters
    ----------
    game
        Any extensive game with perfect recall, any number of players.
    values
        The value of every parameter the game uses.
    exact
        Logit is computed in floating point. If True, the equilibrium found is
        also turned into fractions and verified exactly; when that fails the
        float equilibrium is returned with ``exact`` False and a warning.
    all_equilibria
        Not supported: the principal branch leads to one equilibrium (a
        warning says so).
    lam
        If given, return the quantal response equilibrium at this precision
        (in the game's payoff units) instead of a Nash equilibrium. It is not
        an equilibrium: its ``max_regret`` is reported, not required to be 0.
    max_lambda
        Give up (``SolverError``) when the precision passes this without
        reaching a Nash equilibrium; default ``MAX_LAMBDA`` divided by the
        payoff range.
    first_step
        Arc length of the first step of the path.
    max_accel
        Largest factor by which the step may grow after an easy step.
    max_steps
        Largest number of steps along the path.

    Returns
    -------
    SolveResult
        Method ``"logit"``, one equilibrium; ``details`` holds ``lambda`` (the
        precision where the path was left, payoff units), ``steps`` and
        ``qre`` (True when ``lam`` was given).

    Raises
    ------
    SolverError
        If the path is lost or does not reach an equilibrium by ``max_lambda``.
    """
    if lam is not None and not lam >= 0:
        raise SolverError(f"logit: lambda must be a number >= 0, got {lam}")
    if first_step <= 0 or max_accel < 1 or max_steps < 1:
        raise SolverError("logit: first_step must be > 0, max_accel >= 1 and max_steps >= 1")
    with _one_blas_thread():
        return _logit(game, values, exact, all_equilibria, lam, max_lambda, first_step,
                      max_accel, max_steps)


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Keep BLAS to one thread while solving, where ``threadpoolctl`` is installed.

    The linear systems here have hundreds of unknowns and are solved thousands
    of times; on a busy machine a multithreaded BLAS makes each solve tens of
    times slower, not faster.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _logit(
    game: Game,
    values: Mapping[str, Number],
    exact: bool,
    all_equilibria: bool,
    lam: float | None,
    max_lambda: float | None,
    first_step: float,
    max_accel: float,
    max_steps: int,
) -> SolveResult:
    """:func:`logit_solve` after its arguments are checked."""
    numbers = game.numbers(values, exact=False)
    leaf = np.asarray(numbers.leaf_payoff, dtype=np.float64)
    low = float(leaf.min()) if leaf.size else 0.0
    spread = float(leaf.max()) - low if leaf.size else 0.0
    unit = spread if spread > 0 else 1.0
    tree = _prepare(game, numbers, (leaf - low) / unit)
    notes: list[str] = []
    if all_equilibria:
        notes.append(
            "logit follows one branch of quantal response equilibria to one Nash equilibrium; "
            "all equilibria were asked for: use enummixed or lcp for more"
        )
    if lam is not None:
        return _qre_result(
            game, values, numbers, tree, lam, unit, exact, notes, first_step, max_accel, max_steps
        )

    limit = MAX_LAMBDA if max_lambda is None else float(max_lambda) * unit
    last: list[FloatArray] = []  # the last point of the branch followed (log-probabilities, lambda)
    found, steps, lam_now, lost = _nash_search(game, numbers, tree, limit, first_step, max_accel, max_steps,
                                               last)
    lam_unit = unit
    restarts = 0
    step_now, accel_now, budget = first_step, max_accel, max_steps
    while found is None and lost and restarts < RESTARTS:
        # The path was lost (steps shrank to nothing, or the budget ran out):
        # follow the same branch again with shorter, more cautious steps and a
        # larger budget. The branch is the same; only the discretisation differs.
        restarts += 1
        step_now, accel_now, budget = (
            step_now * RESTART_STEP, 1.0 + (accel_now - 1.0) * RESTART_ACCEL, budget * RESTART_BUDGET
        )
        found, more, lam_now, lost = _nash_search(game, numbers, tree, limit, step_now, accel_now, budget,
                                                  last)
        steps += more
    if restarts and found is not None:
        notes.append(
            f"the logit path was lost with the first step {first_step:g} and growth {max_accel:g}; "
            f"it was followed again with first step {step_now:g}, growth {accel_now:g} and "
            f"{budget} steps at most ({restarts} restart{'s' if restarts > 1 else ''})"
        )
    if found is None and leaf.size:
        # One player's payoffs may be too small beside another's for the
        # common precision to resolve them by the limit. An equilibrium does
        # not change when one player's payoffs are scaled, so follow the
        # branch of the game with each player's payoffs divided by that
        # player's own spread (a different QRE path, the same Nash equilibria).
        own_low = leaf.min(axis=0)
        own_spread = leaf.max(axis=0) - own_low
        own_unit = np.where(own_spread > 0, own_spread, 1.0)
        if not np.all(own_unit == unit):
            tree_own = _prepare(game, numbers, (leaf - own_low) / own_unit)
            again = _nash_search(game, numbers, tree_own, limit, first_step, max_accel, max_steps, last)
            if again[0] is not None:
                found, more, lam_now, lost = again
                steps += more
                lam_unit = 1.0
                notes.append(
                    f"the logit branch of the game's own payoffs reached no equilibrium by lambda "
                    f"{limit / unit:.3g}; the players' payoff ranges differ ("
                    + ", ".join(f"{game.players.at(i).label} {float(r):.3g}" for i, r in enumerate(own_spread.tolist()))
                    + "), so the equilibrium shown is the limit of the branch with each player's "
                    "payoffs divided by that player's range (same equilibria, another path; "
                    "lambda in those units)"
                )
    if found is None:
        why = "the path was lost" if lost else f"lambda passed {limit / unit:.3g}"
        raise SolverError(
            f"logit: the quantal response path did not converge to a Nash equilibrium ({why} "
            f"after {steps} steps{f', {restarts} restarts with shorter steps' if restarts else ''}); "
            + _advice(game, lost)
        )
    equilibrium = verified_equilibrium(
        game, numbers, [float(p) for p in found], what="logit produced a profile"
    )
    result_exact = False
    if exact:
        exact_equilibrium = nearby_exact(game, game.numbers(values, exact=True), found)
        if exact_equilibrium is not None:
            equilibrium = exact_equilibrium
            result_exact = True
        else:
            notes.append(
                "logit works in floating point and no exact equilibrium with small denominators "
                "was found near its answer; the float equilibrium is shown"
            )
    if lost:
        notes.append("the logit path was lost before the end; the equilibrium found was verified")
    if last:
        equilibrium = _with_path_beliefs(game, values, tree, last[0], equilibrium, result_exact)
    return SolveResult(
        game=game,
        method="logit",
        exact=result_exact,
        parameters=dict(values),
        equilibria=(equilibrium,),
        warnings=tuple(notes),
        details={"lambda": lam_now / lam_unit, "steps": max(steps - 1, 0), "qre": False},
    )


#: What ``Equilibrium.refinement`` says of a logit limit whose path's beliefs make it sequential.
LOGIT_LIMIT = "logit limit"

#: Unused actions whose log-probabilities on the branch differ by less than this
#: times lambda (a loss under 1/16 of the payoff spread) count as trembling at one rate.
SAME_ORDER = 1 / 16
#: ...and whose probabilities differ by a factor of less than exp(this) (a million).
SAME_ORDER_RATIO = math.log(1e6)


def _with_path_beliefs(
    game: Game, values: Mapping[str, Number], tree: _Tree, point: FloatArray, eq: Equilibrium, exact: bool
) -> Equilibrium:
    """The equilibrium with the trembles of the logit branch that leads to it, if they make it sequential.

    Along the branch an action the limit does not use has probability about
    ``exp(-lambda * loss)`` (McKelvey and Palfrey 1998), so the branch is a
    fully mixed sequence whose leading terms have orders ``loss`` =
    ``-log(sigma) / lambda``, read at the branch's last point (rounded to
    fractions of denominator at most 1000); actions whose orders are within
    :data:`SAME_ORDER` share the order of the likeliest, with their ratios of
    probability as coefficients (so a player kept near indifference, as in
    Selten's horse, keeps the QRE's beliefs rather than a rounding's). The
    beliefs they give approximate those of the QRE at that lambda, and are
    consistent by construction (every such tremble system is); when the
    sequential check passes with them, the equilibrium carries them as its
    certificate and ``refinement`` :data:`LOGIT_LIMIT`, so that tables show
    the behaviour off the path with the beliefs of the logit limit.
    """
    from policy.solvers.result import Trembles
    from policy.solvers.sequential import sequential_check

    z = np.asarray(point[:-1], dtype=np.float64)
    lam = float(point[-1])
    if not lam > 0 or z.size != len(eq.probabilities):
        return eq
    top = np.maximum.reduceat(z, tree.starts)
    total = np.log(np.add.reduceat(np.exp(z - top[tree.act_infoset]), tree.starts)) + top
    log_p = z - total[tree.act_infoset]
    limit = 0 if exact else tolerances.PROFILE
    unused = [a for a, p in enumerate(eq.probabilities) if p <= limit]
    if not unused or not np.all(np.isfinite(log_p[unused])):
        return eq
    # Actions whose log-probabilities differ by less than SAME_ORDER * lambda are taken
    # to vanish at one rate: one order (the likeliest's), their ratio in the coefficients.
    ranked = sorted(unused, key=lambda a: -log_p[a])
    order: dict[int, Fraction] = {}
    coefficient: dict[int, Number] = {}
    lead = ranked[0]
    for a in ranked:
        if -log_p[a] - (-log_p[lead]) >= min(SAME_ORDER * lam, SAME_ORDER_RATIO):
            lead = a
        k = Fraction(float(-log_p[lead] / lam)).limit_denominator(1000)
        order[a] = max(k, Fraction(1, 1000))
        ratio = float(np.exp(log_p[a] - log_p[lead]))
        coefficient[a] = max(Fraction(ratio).limit_denominator(10**6), Fraction(1, 10**6)) if exact else ratio
    trembles = Trembles(order, coefficient)
    numbers = game.numbers(values, exact=exact)
    check = sequential_check(game, numbers, eq.probabilities, trembles, max_tries=1)
    if check.verdict and check.trembles is trembles:
        return dataclasses.replace(eq, refinement=LOGIT_LIMIT, trembles=trembles)
    return eq


def _advice(game: Game, lost: bool) -> str:
    """What to try when logit fails: the options that matter, and only methods that apply to this game."""
    from policy.solvers import fitting_methods

    others = [m for m in fitting_methods(game, exclude="logit") if not m.startswith("enumpure")]
    tune = (
        "a smaller --first-step or --max-accel, or a larger --max-steps"
        if lost
        else "a larger --max-lambda or --max-steps"
    )
    if others:
        return f"try {tune}, or another method that fits this game: {', '.join(others)}"
    return f"try {tune}"


def _nash_search(
    game: Game,
    numbers: Numbers,
    tree: _Tree,
    limit: float,
    first_step: float,
    max_accel: float,
    max_steps: int,
    last: list[FloatArray] | None = None,
) -> tuple[FloatArray | None, int, float, bool]:
    """Follow the principal branch of ``tree`` to a verified Nash equilibrium of ``game``.

    Returns the equilibrium's behaviour vector (None if none was found by
    ``limit``, in the tree's precision units), the steps taken, the last
    precision and whether the path was lost. ``last``, if given, receives the
    branch's last point (log-probabilities, then lambda) when one is found.
    """
    found: FloatArray | None = None
    previous: _Candidate | None = None
    check = CHECK_START
    steps = 0
    lam_now = 0.0
    lost = False
    x = t = np.zeros(tree.n_actions + 1)
    if tree.n_actions == 0:
        return np.zeros(0), 0, 0.0, False
    try:
        for x, t in _branch(tree, first_step, max_accel, max_steps):
            steps += 1
            lam_now = float(x[-1])
            if lam_now >= check:
                check = lam_now * CHECK_FACTOR
                got = _finish(game, numbers, tree, x, t)
                if _accept(got, previous):
                    assert got is not None
                    found = got.probabilities
                    break
                previous = got
            if lam_now > limit:
                break
    except _PathLost:
        lost = True
    if found is None and steps:
        # Last try: any verified equilibrium near the end of the path.
        got = _finish(game, numbers, tree, x, t)
        qre = _probabilities(tree, x[:-1], np.zeros(tree.n_actions, dtype=bool))
        if got is not None:
            found = got.probabilities
        elif _passes(game, numbers, qre.tolist()):
            found = qre
    if found is not None and last is not None and steps:
        last[:] = [np.array(x, dtype=np.float64)]
    return found, steps, lam_now, lost


@dataclass(frozen=True)
class _Candidate:
    """A verified Nash equilibrium found from a QRE, and how it was found."""

    probabilities: FloatArray
    distance: float
    """Largest difference in a behaviour probability from the QRE."""
    sequential: bool
    """Whether the limit equations held at every set (see :func:`_polish`)..."""
    residual: float
    """...and if not, how far from holding they stayed."""
    reached: BoolArray
    """Actions of the sets the equilibrium reaches."""
    zero: BoolArray
    """Actions outside the support guessed (see :func:`_supports`)."""
    qre_is_nash: bool
    """Whether the QRE itself already passes the regret test."""


def _finish(
    game: Game, numbers: Numbers, tree: _Tree, x: FloatArray, t: FloatArray
) -> _Candidate | None:
    """A verified Nash equilibrium found from the QRE ``x = (z, lambda)`` with tangent ``t``.

    For each guess of the support (:func:`_supports`), tries the sequential
    equations first, then the Nash ones. Candidates farther than
    ``CONFIRM_DISTANCE`` from the QRE are not checked.
    """
    z = x[:-1]
    qre = _probabilities(tree, z, np.zeros(tree.n_actions, dtype=bool))
    for zero in _supports(tree, x, t):
        residual = math.inf
        for sequential in (True, False):
            got = _polish(tree, z, zero, sequential)
            if sequential:
                residual = got.residual
            candidate = got.probabilities
            if candidate is None or not (
                np.all(np.isfinite(candidate)) and np.all(candidate >= 0)
            ):
                continue
            distance = float(np.max(np.abs(candidate - qre), initial=0.0))
            if distance > CONFIRM_DISTANCE:
                continue
            if not _passes(game, numbers, candidate.tolist()):
                continue
            qre_is_nash = _passes(game, numbers, qre.tolist())
            return _Candidate(
                candidate, distance, sequential, residual, got.reached, zero, qre_is_nash
            )
    return None


def _accept(now: _Candidate | None, before: _Candidate | None) -> bool:
    """Whether the equilibrium found at this check is the limit of the branch.

    A sequential candidate is, when the QRE is within ``ACCEPT_DISTANCE`` of
    it or is itself a Nash equilibrium (within the tolerance), or when the
    previous check found the same one (every probability within
    ``tolerances.PROFILE``) and the QRE has come closer to it by
    ``CONFIRM_RATIO`` since.

    A Nash candidate alone is not enough: behaviour off its path may still be
    moving, and with it which equilibrium the branch ends at (an action there
    that will leave the support leaves the sequential equations off by its
    payoff shortfall, a constant). It is accepted when the previous check
    found the same behaviour on its path from the same support, and the
    sequential equations have come closer to holding by ``CONFIRM_RATIO``
    since (as when mixing off the path is still settling, at the rate
    ``1 / lambda``).
    """
    if now is None or before is None:
        return now is not None and now.sequential and (
            now.distance <= ACCEPT_DISTANCE or now.qre_is_nash
        )
    if now.sequential:
        if now.distance <= ACCEPT_DISTANCE or now.qre_is_nash:
            return True
        same = now.probabilities - before.probabilities
        return bool(
            now.distance <= CONFIRM_RATIO * before.distance
            and float(np.max(np.abs(same), initial=0.0)) <= tolerances.PROFILE
        )
    on_path = now.reached & before.reached
    same = (now.probabilities - before.probabilities)[on_path]
    return bool(
        not before.sequential
        and np.array_equal(now.zero, before.zero)
        and np.array_equal(now.reached, before.reached)
        and float(np.max(np.abs(same), initial=0.0)) <= tolerances.PROFILE
        and now.residual <= CONFIRM_RATIO * before.residual
    )


def _qre_result(
    game: Game,
    values: Mapping[str, Number],
    numbers: Numbers,
    tree: _Tree,
    lam: float,
    unit: float,
    exact: bool,
    notes: list[str],
    first_step: float,
    max_accel: float,
    max_steps: int,
) -> SolveResult:
    """The QRE at precision ``lam`` (payoff units) on the principal branch."""
    z = np.zeros(0)
    steps = 0
    if tree.n_actions:
        try:
            for x, _ in _branch(tree, first_step, max_accel, max_steps, stop_at=lam * unit):
                z = x[:-1]
                steps += 1
        except _PathLost:
            raise SolverError(
                f"logit: the quantal response path was lost before lambda={lam:g}; "
                "try a smaller first_step"
            ) from None
    probs = _probabilities(tree, z, np.zeros(tree.n_actions, dtype=bool)).tolist()
    regret = _regret(game, numbers, probs)
    notes.append(f"quantal response equilibrium at lambda={lam:g}, not a Nash equilibrium")
    if exact:
        notes.append("quantal response equilibria are computed in floating point")
    return SolveResult(
        game=game,
        method="logit",
        exact=False,
        parameters=dict(values),
        equilibria=(evaluate_profile(game, numbers, probs, regret),),
        warnings=tuple(notes),
        details={"lambda": lam, "steps": max(steps - 1, 0), "qre": True},
    )
