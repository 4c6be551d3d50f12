"""Lemke's method on many LCPs of one size at once, in lockstep over a sample axis.

The problems ``w = q + M z >= 0, z >= 0, w . z = 0`` of a batch share their
size and covering vector; each sample has its own ``M`` (and possibly ``q``).
Every sample follows its own path (Lemke 1965; Cottle, Pang and Stone, *The
Linear Complementarity Problem*, 1992, section 4.4): the steps are those of
the float method of :mod:`policy.solvers.lemke`, written on arrays with the
samples on the last axis, the pivot row and entering column chosen per sample
by fancy indexing. A sample whose path has ended (``z0`` left the basis) is
dropped from the arrays, so samples finishing at different pivot counts cost
nothing more.

The tableau is kept *condensed*: its ``n + 1`` non-basic columns and the
right-hand side, ``n x (n + 2)`` numbers per sample, against ``n x (2n + 2)``
for the full tableau of :mod:`policy.solvers.lemke`. The full tableau's basic
columns are unit vectors throughout (the pivot leaves exact 1s and 0s there),
so nothing is lost: the entry of a row in the basis inverse is read from the
condensed column of a non-basic ``w_j``, or is 1 or 0 for a basic one, and a
row's largest entry (the scale of its rounding noise) is the larger of 1 and
its condensed entries. Every other number is computed by the same float
operations in the same order as the one-by-one method (divide the pivot row by
the pivot; subtract factor times pivot row from each other row; the leaving
variable's new column ``1/p`` in the pivot row and ``0 - factor/p`` elsewhere),
so a sample gets the same bits, the same ratio-test decisions and the same
solution as :func:`policy.solvers.lemke.lemke` with ``exact=False`` given the
same data.

The ratio test is the one-by-one test: entries within
:data:`~policy.solvers.lemke.FLOAT_ZERO` of their row's largest count as 0,
ratios within :data:`~policy.solvers.lemke.FLOAT_RATIO_TIE` tie, a tie that
includes ``z0``'s row lets ``z0`` leave, other ties go to the lexicographic
rule on the rows of the basis inverse, column by column with the same
tolerance. Where the one-by-one method computes its tableau afresh from the
data and its basis (a decision close to the noise level on a tableau pivoted
since its last such step, and every
:data:`~policy.solvers.lemke.FLOAT_REFACTOR` pivots), so does the lockstep
run, for those samples only, all at once and by the same steps
(:func:`_solve_bases`), and decides again. Where the one-by-one method gives
up (a repeated basis, a ray, the pivot bound), the sample is marked as not
solved, with the reason, for its caller to solve one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from policy.solvers.lemke import (
    FLOAT_DOUBT,
    FLOAT_PIVOT,
    FLOAT_RATIO_TIE,
    FLOAT_REFACTOR,
    FLOAT_REFINE,
    FLOAT_ZERO,
    default_max_pivots,
)
from policy.solvers.qpe import FLOAT_PIVOT as QPE_PIVOT
from policy.solvers.qpe import FLOAT_TIE as QPE_TIE
from policy.solvers.qpe import PlanLayout, perturbed_end, perturbed_rhs

Array = npt.NDArray[np.float64]

#: Why a sample was left unsolved (``LockstepResult.reason``); 0 for a solved one.
SOLVED, DOUBT, REPEAT, RAY, LONG, PERTURBED = 0, 1, 2, 3, 4, 5
REASONS = {
    DOUBT: "a ratio-test decision close to rounding noise",  # no longer given: the tableau is made afresh
    REPEAT: "a basis met twice (rounding in a degenerate problem)",
    RAY: "the path ended on a ray",
    LONG: "the pivot bound reached",
    PERTURBED: "the float run of qpe's perturbed path could not vouch for its end",
}

#: Final bases are solved afresh this many samples at a time.
BASES_CHUNK = 256

#: Random 64-bit words, one per variable, whose exclusive or names a basis
#: (Zobrist hashing): a repeat of a basis repeats its word. Two bases that
#: share a word by chance (about 2**-64) only send a sample to the one-by-one solver.
_WORDS = np.random.default_rng(20261205).integers(0, 2**63 - 1, size=4096, dtype=np.int64)


@dataclass(frozen=True)
class LockstepResult:
    """The solutions of S problems.

    Attributes
    ----------
    z
        (n, S): the solution of each solved sample (zeros where not solved).
    solved
        (S,): whether the sample's path ended in a solution.
    reason
        (S,): :data:`SOLVED`, or why the sample was left (see :data:`REASONS`).
    pivots
        (S,): pivots taken.
    basis
        (n, S): the basic variable of each row at the end (``i`` for ``w_i``,
        ``n + i`` for ``z_i``), for the solved samples.
    """

    z: Array
    solved: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.int8]
    pivots: npt.NDArray[np.int64]
    basis: npt.NDArray[np.int64]
    #: (S,): how many times the sample's tableau was computed afresh from its data (None: not counted).
    refreshed: npt.NDArray[np.int64] | None = None
    #: (actions, S): with a plan layout (qpe's perturbed path), the limit behaviour of each solved sample.
    behavior: Array | None = None


def lemke_lockstep(
    M: Array, q: Array, d: Array | None = None, max_pivots: int | None = None, layout: PlanLayout | None = None
) -> LockstepResult:
    """Solve ``w = q + M z`` for every sample by Lemke's method, in floats.

    With ``layout`` (the problems are sequence-form LCPs laid out so), the
    path is instead qpe's, the right-hand side perturbed symbolically
    (:func:`perturbed_lockstep`).

    Parameters
    ----------
    M
        (n, n, S): one matrix per sample, samples last.
    q
        (n,) shared by all samples, or (n, S).
    d
        (n,): the covering vector, every entry positive; all ones by default.
    max_pivots
        Pivots after which a sample is given up (default
        :func:`policy.solvers.lemke.default_max_pivots`).
    """
    M = np.asarray(M, dtype=np.float64)
    n, S = M.shape[0], M.shape[2]
    if M.shape[1] != n:
        raise ValueError(f"M must be (n, n, S), not {M.shape}")
    if 2 * n + 1 > len(_WORDS):
        raise ValueError(f"LCPs of size {n} are too large for the lockstep method")
    q2 = np.broadcast_to(np.asarray(q, dtype=np.float64).reshape(n, -1), (n, S))
    dv = np.ones(n) if d is None else np.asarray(d, dtype=np.float64).ravel()
    if dv.shape != (n,) or (dv <= 0).any():
        raise ValueError("the covering vector must have n positive entries")
    limit = default_max_pivots(n) if max_pivots is None else max_pivots
    if layout is not None:
        if d is not None:
            raise ValueError("qpe's path has the covering vector of ones")
        return perturbed_lockstep(M, q2, layout, limit)
    z = np.zeros((n, S))
    reason = np.zeros(S, dtype=np.int8)
    pivots = np.zeros(S, dtype=np.int64)
    solved = np.zeros(S, dtype=bool)
    basis = np.repeat(np.arange(n, dtype=np.int64)[:, None], S, axis=1)
    refreshed = np.zeros(S, dtype=np.int64)
    trivial = (q2 >= 0).all(axis=0)
    solved[trivial] = True
    todo = np.flatnonzero(~trivial)
    if todo.size:
        _run(M[:, :, todo], np.ascontiguousarray(q2[:, todo]), dv, limit, todo, z, solved, reason, pivots, basis,
             refreshed)
    return LockstepResult(z=z, solved=solved, reason=reason, pivots=pivots, basis=basis, refreshed=refreshed)


def basis_solution(M: Array, q: Array, basis: npt.NDArray[np.int64], d: Array | None = None) -> tuple[Array, npt.NDArray[np.bool_]]:
    """The solutions ``z`` (n, S) of given final bases (n, S), solved from the data as the float method's last step.

    For problems close to others already solved (the same stage whose numbers
    differ by rounding): their path's end, taken as this problem's. Returns
    ``z`` and whether each basis gave a solution (not singular, ``z >= 0`` up
    to the float method's clipping); the caller verifies the equilibrium.
    """
    M = np.asarray(M, dtype=np.float64)
    n, S = M.shape[0], M.shape[2]
    q2 = np.ascontiguousarray(np.broadcast_to(np.asarray(q, dtype=np.float64).reshape(n, -1), (n, S)))
    dv = np.ones(n) if d is None else np.asarray(d, dtype=np.float64).ravel()
    z = np.zeros((n, S))
    values = _refined(_Data(n, M, q2, dv), basis, np.arange(S))
    ok = np.asarray(np.isfinite(values).all(axis=0))
    rows, which = np.nonzero((basis >= n) & (basis < 2 * n) & ok[None, :])
    z[basis[rows, which] - n, which] = np.maximum(values[rows, which], 0.0)
    return z, ok


@dataclass(frozen=True)
class _Data:
    """The problems' data: ``M`` (n, n, S), ``q`` (n, S), the covering vector ``d`` (n,)."""

    n: int
    M: Array
    q: Array
    d: Array


class _State:
    """The condensed tableaux of the samples still on their paths, and their bookkeeping.

    Variables are numbered as in :mod:`policy.solvers.lemke`: ``i`` for
    ``w_i``, ``n + i`` for ``z_i``, ``2n`` for ``z0``. ``T`` is (n, n + 2, S):
    columns 0..n are the non-basic variables' (``slot_var`` says which), column
    n + 1 the right-hand side.
    """

    def __init__(self, M: Array, q: Array, d: Array, ids: npt.NDArray[np.int64]) -> None:
        n, S = M.shape[0], M.shape[2]
        self.n = n
        self.T = np.empty((n, n + 2, S))
        self.T[:, :n] = -M
        self.T[:, n] = -d[:, None]
        self.T[:, n + 1] = q
        # The data of every sample of the run, by its place in it (``ids`` index
        # the caller's samples, ``place`` these).
        self.M, self.q, self.d = M, q, d
        self.ids = ids
        self.place = np.arange(S)
        self.buffer = np.empty_like(self.T)
        self.basis = np.repeat(np.arange(n, dtype=np.int64)[:, None], S, axis=1)
        self.slot_of = np.full((2 * n + 1, S), -1, dtype=np.int64)
        self.slot_of[n : 2 * n + 1] = np.arange(n + 1, dtype=np.int64)[:, None]
        self.row_of = np.full((2 * n + 1, S), -1, dtype=np.int64)
        self.row_of[:n] = np.arange(n, dtype=np.int64)[:, None]
        self.key = np.full(S, np.bitwise_xor.reduce(_WORDS[:n]), dtype=np.int64)
        self.history: list[npt.NDArray[np.int64]] = [self.key.copy()]
        self.pivots = np.zeros(S, dtype=np.int64)
        #: Pivots since each sample's tableau was last computed from the data.
        self.fresh = np.zeros(S, dtype=np.int64)
        #: Per sample of the caller (by ``ids``), the tableaux made afresh, if counted.
        self.refreshed: npt.NDArray[np.int64] | None = None

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Drop the samples not in ``mask``."""
        self.T = self.T[:, :, mask]
        self.ids = self.ids[mask]
        self.place = self.place[mask]
        self.buffer = self.buffer[:, :, : self.T.shape[2]]
        self.basis = self.basis[:, mask]
        self.slot_of = self.slot_of[:, mask]
        self.row_of = self.row_of[:, mask]
        self.key = self.key[mask]
        self.history = [h[mask] for h in self.history]
        self.pivots = self.pivots[mask]
        self.fresh = self.fresh[mask]

    def zero(self, cols: npt.NDArray[np.int64]) -> Array:
        """(n, k): per row of samples ``cols``, the size at or below which an entry counts as 0 (as in the full tableau)."""
        if cols.size == self.T.shape[2]:
            big = np.abs(self.T, out=self.buffer).max(axis=1)
        else:
            big = np.abs(self.T[:, :, cols]).max(axis=1)
        return np.asarray(FLOAT_ZERO * np.maximum(big, 1.0))

    def basis_rows(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> Array:
        """(m, n, k): rows ``rows`` (m, k) of the basis inverse of samples ``cols`` (k,).

        The full tableau's w columns: a non-basic ``w_j``'s condensed column,
        or the unit column of a basic one.
        """
        n = self.n
        slot = self.slot_of[:n, cols]  # (n columns, k)
        gathered = self.T[rows[:, None, :], np.maximum(slot, 0)[None, :, :], cols[None, None, :]]
        unit = self.row_of[:n, cols][None, :, :] == rows[:, None, :]
        return np.where(slot[None, :, :] >= 0, gathered, unit.astype(np.float64))

    def refactor(self, cols: npt.NDArray[np.int64]) -> None:
        """Compute the tableaux of samples ``cols`` afresh from their data and bases.

        As :func:`policy.solvers.lemke._refactored_held` does for the float
        method: every stored column (the non-basic variables, the right-hand
        side) solved again; a singular basis keeps its tableau.
        """
        n, k = self.n, len(cols)
        held = np.full((n + 2, k), 2 * n + 1, dtype=np.int64)
        v, s = np.nonzero(self.slot_of[:, cols] >= 0)
        held[self.slot_of[v, cols[s]], s] = v
        with np.errstate(all="ignore"):
            fresh, ok = _solve_bases(self, self.basis[:, cols], self.place[cols], held)
        self.T[:, :, cols[ok]] = fresh[:, :, ok]
        self.fresh[cols] = 0
        if self.refreshed is not None:
            np.add.at(self.refreshed, self.ids[cols], 1)

def _run(
    M: Array,
    q: Array,
    d: Array,
    limit: int,
    ids: npt.NDArray[np.int64],
    z_out: Array,
    solved: npt.NDArray[np.bool_],
    reason: npt.NDArray[np.int8],
    pivots_out: npt.NDArray[np.int64],
    basis_out: npt.NDArray[np.int64],
    refreshed: npt.NDArray[np.int64],
) -> None:
    st = _State(M, q, d, ids)
    st.refreshed = refreshed
    n = st.n
    z0 = 2 * n
    rhs = n + 1
    # First step: z0 enters; the least (q, I) / d over every row (the column of z0 is -d, its ratio uses d).
    S = st.T.shape[2]
    big = np.maximum(np.abs(st.T).max(axis=1), np.abs(d)[:, None])  # z0's column counted as +d
    zero = FLOAT_ZERO * np.maximum(big, 1.0)
    div = np.repeat(d[:, None], S, axis=1)
    eligible = np.ones((n, S), dtype=bool)
    r, _ = _ratio_test(st, st.T[:, rhs], div, eligible, zero, np.full(S, -1, dtype=np.int64))
    entering = np.full(S, z0, dtype=np.int64)
    while True:
        finished, nxt = _pivot(st, r, entering)
        st.pivots += 1
        fail = np.zeros(finished.shape, dtype=np.int8)
        fail[~finished & (st.pivots >= limit)] = LONG
        # A repeated basis (the exact rule never meets one twice).
        for h in st.history:
            fail[(fail == 0) & ~finished & (h == st.key)] = REPEAT
        st.history.append(st.key.copy())
        leaving_done = finished
        if leaving_done.any():
            _finish(st, leaving_done, z_out, solved, pivots_out)
            basis_out[:, st.ids[leaving_done]] = st.basis[:, leaving_done]
        if (fail > 0).any():
            reason[st.ids[fail > 0]] = fail[fail > 0]
            pivots_out[st.ids[fail > 0]] = st.pivots[fail > 0]
        going = ~leaving_done & (fail == 0)
        if not going.all():
            st.keep(going)
            nxt = nxt[going]
        if not st.ids.size:
            return
        entering = nxt
        # Every FLOAT_REFACTOR pivots the float method computes its tableau afresh.
        st.fresh += 1
        due = np.flatnonzero(st.fresh >= FLOAT_REFACTOR)
        if due.size:
            st.refactor(due)
        r, ray = _choose(st, entering, rhs, z0, np.arange(st.ids.size), True)
        bad = np.where(ray, RAY, 0).astype(np.int8)
        if bad.any():
            reason[st.ids[bad > 0]] = bad[bad > 0]
            pivots_out[st.ids[bad > 0]] = st.pivots[bad > 0]
            keep = bad == 0
            st.keep(keep)
            r, entering = r[keep], entering[keep]
            if not st.ids.size:
                return


def _choose(
    st: _State, entering: npt.NDArray[np.int64], rhs: int, z0: int, cols: npt.NDArray[np.int64], retry: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The leaving row of samples ``cols`` for their ``entering`` variables, and whether each path ends on a ray.

    As the float method: a decision in doubt on a tableau pivoted since it
    was last computed from the data is made again on a fresh one (``retry``);
    on a fresh tableau the decision stands.
    """
    zero = st.zero(cols)
    column = st.T[:, st.slot_of[entering, cols], cols]  # (n, k)
    tol = np.maximum(FLOAT_PIVOT * np.maximum(1.0, np.abs(column).max(axis=0)), zero)
    eligible = column > tol
    ray = ~eligible.any(axis=0)
    r, doubt = _ratio_test(st, st.T[:, rhs, cols], column, eligible, zero, st.row_of[z0, cols], cols)
    again = np.flatnonzero(doubt & ~ray & (st.fresh[cols] > 0)) if retry else np.zeros(0, dtype=np.int64)
    if again.size:
        st.refactor(cols[again])
        r[again], ray[again] = _choose(st, entering[again], rhs, z0, cols[again], False)
    return r, ray


#: From this many samples on, :func:`_pivot` updates the tableau a row at a time
#: (fewer, the calls per row cost more than the memory they save).
ROW_BY_ROW = 256


def _pivot(
    st: _State, r: npt.NDArray[np.int64], entering: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Pivot every sample on its row ``r`` and entering variable.

    Returns where z0 left, and the complement of each leaving variable (the next to enter).
    """
    n = st.n
    T = st.T
    S = T.shape[2]
    idx = np.arange(S)
    k = st.slot_of[entering, idx]
    p = T[r, k, idx]
    row = T[r, :, idx] / p[:, None]  # (S, n + 2)
    row[idx, k] = 1.0 / p  # the leaving variable's column: 1/p in the pivot row
    factor = T[:, k, idx]  # (n, S): the entering column
    factor[r, idx] = 0.0
    T[:, k, idx] = 0.0  # the leaving variable's column elsewhere: 0 - factor * (1/p)
    # The pivot rows laid out samples last (contiguous): the product below runs about twice as fast.
    rows = np.ascontiguousarray(row.T)
    if S >= ROW_BY_ROW:
        # Row by row through a buffer of one row: the tableau is read and written once,
        # where a product of its whole size would be written and read again (the update
        # is bound by memory). The same products and differences, so the same bits.
        scratch = np.empty_like(rows)
        for i in range(n):
            np.multiply(rows, factor[i], out=scratch)
            np.subtract(T[i], scratch, out=T[i])
    else:  # into a compact array: the kept buffer is a strided slice once samples have left
        product = np.multiply(factor[:, None, :], rows[None, :, :])
        T -= product
    T[r, :, idx] = row
    leaving = st.basis[r, idx]
    st.basis[r, idx] = entering
    st.slot_of[leaving, idx] = k
    st.slot_of[entering, idx] = -1
    st.row_of[entering, idx] = r
    st.row_of[leaving, idx] = -1
    st.key ^= _WORDS[leaving] ^ _WORDS[entering]
    return np.asarray(leaving == 2 * n), np.where(leaving < n, leaving + n, leaving - n)


def _ratio_test(
    st: _State,
    values: Array,
    div: Array,
    eligible: npt.NDArray[np.bool_],
    zero: Array,
    z0_row: npt.NDArray[np.int64],
    which: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The leaving row of each sample (lexicographic minimum ratio), and whether the decision is in doubt.

    ``values`` and ``div`` are (n, S): right-hand sides and the entering
    column; only ``eligible`` rows compete. As
    :func:`policy.solvers.lemke._lex_min_rows_float`.
    """
    n, S = values.shape
    size = np.abs(values)
    noise = size <= zero
    doubt = np.count_nonzero((size <= FLOAT_DOUBT * zero) & eligible, axis=0) > np.count_nonzero(
        noise & eligible, axis=0
    )
    clean = np.where(noise, 0.0, values)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(eligible, clean / np.where(eligible, div, 1.0), np.inf)
    best = ratios.min(axis=0)
    with np.errstate(invalid="ignore"):
        tied = eligible & (ratios - best <= FLOAT_RATIO_TIE * np.maximum(np.abs(ratios), np.abs(best)))
    idx = np.arange(S)
    r = np.argmax(tied, axis=0).astype(np.int64)
    count = np.count_nonzero(tied, axis=0)
    has_z0 = z0_row >= 0
    z0_tied = has_z0 & tied[np.maximum(z0_row, 0), idx]
    r = np.where(z0_tied & (count > 1), z0_row, r)
    need = (count > 1) & ~z0_tied
    if need.any():
        cols = np.flatnonzero(need)
        t = tied[:, cols]  # (n rows, k)
        # The tied rows of each sample, first to last, padded with its first (masked).
        m = int(count[cols].max())
        order = np.argsort(~t, axis=0, kind="stable")[:m]  # (m, k): tied rows first, in row order
        live = np.arange(m)[:, None] < count[cols][None, :]
        rows = np.where(live, order, order[:1])
        block = st.basis_rows(rows, cols if which is None else which[cols])  # (m, n columns, k)
        small = zero[rows, cols[None, :]][:, None, :]
        bsize = np.abs(block)
        bnoise = bsize <= small
        lv = live[:, None, :]
        noisy = np.count_nonzero((bsize <= FLOAT_DOUBT * small) & lv, axis=(0, 1)) > np.count_nonzero(
            bnoise & lv, axis=(0, 1)
        )
        doubt[cols] |= noisy
        block = np.where(bnoise, 0.0, block) / div[rows, cols[None, :]][:, None, :]
        left = live.copy()
        for j in range(n):
            v = block[:, j, :]  # (m, k)
            lowest = np.where(left, v, np.inf).min(axis=0)
            scale = np.maximum(np.abs(v), np.abs(lowest))
            left &= (v == lowest) | (v - lowest <= FLOAT_RATIO_TIE * scale)
            if (np.count_nonzero(left, axis=0) <= 1).all():
                break
        r[cols] = rows[np.argmax(left, axis=0), np.arange(len(cols))]
    return r, doubt


def _finish(
    st: _State,
    done: npt.NDArray[np.bool_],
    z_out: Array,
    solved: npt.NDArray[np.bool_],
    pivots_out: npt.NDArray[np.int64],
) -> None:
    """Read the solutions of the samples whose path ended, refined from the original data."""
    n = st.n
    cols = np.flatnonzero(done)
    basis = st.basis[:, cols]  # (n rows, k)
    values = st.T[:, n + 1, cols].copy()  # (n, k)
    k = len(cols)
    # Solved again from the original data, as the one-by-one method does it
    # (lemke._refactored_held), every sample at once.
    again = _refined(st, basis, st.place[cols])
    with np.errstate(invalid="ignore"):
        close = np.all(np.abs(again - values) <= FLOAT_REFINE + FLOAT_REFINE * np.abs(values), axis=0)
    values[:, close] = again[:, close]
    z = np.zeros((n, k))
    is_z = (basis >= n) & (basis < 2 * n)
    rows, which = np.nonzero(is_z)
    z[basis[rows, which] - n, which] = np.maximum(values[rows, which], 0.0)
    ids = st.ids[cols]
    z_out[:, ids] = z
    solved[ids] = True
    pivots_out[ids] = st.pivots[cols]


def _solve_bases(
    st: _Data | _State, basis: npt.NDArray[np.int64], places: npt.NDArray[np.int64], held: npt.NDArray[np.int64]
) -> tuple[Array, npt.NDArray[np.bool_]]:
    """The tableau columns of variables ``held`` for final bases ``basis``, solved afresh from the data.

    ``basis`` (n, k) is each sample's basic variable of each row, ``held``
    (h, k) the variables whose columns are wanted (``2n + 1`` for the
    right-hand side ``q``), ``places`` the samples' places in ``st``.
    Returns the columns (n, h, k) and whether each basis was solved (not
    singular). Every sample gets the steps of
    :func:`policy.solvers.lemke._refactored_held` on its own data, all
    samples at once whatever their bases: the system of the rows whose ``w``
    is not basic, by Gauss-Jordan elimination with partial pivoting (a row
    whose entry in the pivot column is 0 is left alone), then the rows of the
    basic ``w`` less their couplings' multiples of the solved rows, one
    column of couplings after another. The systems are padded to the largest
    size with unit rows and columns, which the elimination leaves as they are
    and which change no other number.
    """
    k = len(places)
    if k > BASES_CHUNK:  # a few hundred samples at a time: their arrays stay in the cache
        parts = [_solve_bases(st, basis[:, a : a + BASES_CHUNK], places[a : a + BASES_CHUNK],
                              held[:, a : a + BASES_CHUNK]) for a in range(0, k, BASES_CHUNK)]
        return np.concatenate([p[0] for p in parts], axis=2), np.concatenate([p[1] for p in parts])
    n = st.n
    h = held.shape[0]
    idx = np.arange(k)
    # Every original column, by variable: the unit columns of w, -M, -d, q. (k, variables, n)
    orig = np.empty((k, 2 * n + 2, n))
    orig[:, :n] = np.eye(n)
    orig[:, n : 2 * n] = -np.transpose(st.M[:, :, places], (2, 1, 0))
    orig[:, 2 * n] = -st.d
    orig[:, 2 * n + 1] = st.q[:, places].T
    is_z = basis >= n  # (n, k): rows of a basic z or z0
    size = np.count_nonzero(is_z, axis=0)
    m = int(size.max(initial=0))
    z_rows = np.argsort(~is_z, axis=0, kind="stable")[:m]  # (m, k): those rows, in order
    live = np.arange(m)[:, None] < size[None, :]  # (m, k)
    columns = np.where(live, np.take_along_axis(basis, z_rows, axis=0), 0)
    constrained = np.ones((n, k), dtype=bool)
    wr, ws = np.nonzero(~is_z)
    constrained[basis[wr, ws], ws] = False
    c_rows = np.argsort(~constrained, axis=0, kind="stable")[:m]  # (m, k): rows of the system
    B = np.take_along_axis(orig, columns.T[:, :, None], axis=1)  # (k, m, n): basic columns
    B[~live.T] = 0.0
    H = np.take_along_axis(orig, held.T[:, :, None], axis=1)  # (k, h, n)
    live_i = live.T[:, :, None]  # (k, m, 1): real rows of the system
    live_j = live.T[:, None, :]  # (k, 1, m): real columns
    system = np.take_along_axis(B, c_rows.T[:, None, :], axis=2).transpose(0, 2, 1)  # (k, m rows, m columns)
    aug = np.zeros((k, m, m + h))
    aug[:, :, :m] = np.where(live_i & live_j, system, np.where(~live_i & np.eye(m, dtype=bool), 1.0, 0.0))
    aug[:, :, m:] = np.where(live_i, np.take_along_axis(H, c_rows.T[:, None, :], axis=2).transpose(0, 2, 1), 0.0)
    # A basic column 0 in every row of the system: singular.
    ok = ((system != 0) & live_i).any(axis=1).all(axis=1, where=live.T) if m else np.ones(k, dtype=bool)
    least = FLOAT_PIVOT * np.maximum(1.0, np.abs(aug[:, :, :m]).max(axis=(1, 2), initial=0.0))
    for c in range(m):
        p = c + np.argmax(np.abs(aug[:, c:, c]), axis=1)
        ok &= ~((np.abs(aug[idx, p, c]) <= least) & (c < size))
        swap = np.flatnonzero(p != c)
        if len(swap):
            top = aug[swap, c].copy()
            aug[swap, c] = aug[swap, p[swap]]
            aug[swap, p[swap]] = top
        rest = aug[:, :, c:]
        rest[:, c] /= rest[:, c, :1]
        factor = rest[:, :, 0].copy()
        factor[:, c] = 0.0
        np.subtract(rest, factor[:, :, None] * rest[:, c][:, None, :], out=rest, where=(factor != 0)[:, :, None])
    carried = aug[:, :, m:]  # (k, m, h): row t belongs to z_rows[t]
    # The rows of the basic w: their original rows less the couplings' multiples, column by column.
    unit = np.transpose(H, (0, 2, 1)).copy()  # (k, n rows, h)
    for t in range(m):
        coupling = B[:, t, :, None]  # (k, n, 1)
        np.subtract(unit, coupling * carried[:, t, None, :], out=unit, where=coupling != 0)
    rank = np.cumsum(is_z, axis=0) - 1  # each z row's place among them
    from_z = np.take_along_axis(carried, np.maximum(rank, 0).T[:, :, None], axis=1)
    from_w = np.take_along_axis(unit, np.where(is_z, 0, basis).T[:, :, None], axis=1)
    out = np.where(is_z.T[:, :, None], from_z, from_w)  # (k, n, h)
    return np.transpose(out, (1, 2, 0)), ok


def _refined(st: _Data | _State, basis: npt.NDArray[np.int64], places: npt.NDArray[np.int64]) -> Array:
    """(n, k): the right-hand sides of final bases (n, k) solved afresh, as
    :func:`policy.solvers.lemke._refactored_held` does for the float method's last step; NaN
    columns where a basis is singular."""
    n = st.n
    rhs = np.full((1, len(places)), 2 * n + 1, dtype=np.int64)
    with np.errstate(all="ignore"):
        out, ok = _solve_bases(st, basis, places, rhs)
    values = out[:, 0, :]
    values[:, ~ok] = np.nan
    return values


# -------------------------------------------------------------------------------------
# qpe's perturbed path (Miltersen and Sorensen 2010; policy.solvers.qpe)
# -------------------------------------------------------------------------------------
def perturbed_lockstep(M: Array, q: Array, layout: PlanLayout, limit: int) -> LockstepResult:
    """qpe's float path (:func:`policy.solvers.qpe._float_path`) for every sample, in lockstep.

    The right-hand side is the ``K + 1`` columns ``q_0, ..., q_K`` of the
    perturbation ``q(eps)`` (:func:`policy.solvers.qpe.perturbed_rhs`), carried
    in the condensed tableau after ``q_0``. The ratio test is that of
    ``_float_path``: rows whose entry in the entering column exceeds
    ``FLOAT_PIVOT`` times the column's largest (and 1) compete; column by column,
    ``q_0`` to ``q_K`` then the basis inverse, the rows whose ratio lies within
    ``FLOAT_TIE`` (times the larger of 1 and the least) of the least stay; a tie
    over all the ``q`` columns that includes ``z0``'s row lets ``z0`` leave;
    the first row left wins. The pivots are the same float operations as that
    method's full tableau (see the module docstring), so a sample follows the
    one-by-one path bit for bit. No tableau is made afresh (the one-by-one path
    does not). The end of each finished path is read by
    :func:`policy.solvers.qpe.perturbed_end`; a sample whose path repeats a
    basis, ends on a ray, reaches the pivot bound, or whose end does not check
    is left unsolved with reason :data:`PERTURBED`, for its caller to solve
    one by one (exactly: the one-by-one float method would give up there too).
    """
    n, S = M.shape[0], M.shape[2]
    Q = perturbed_rhs(M, q, layout.lengths)  # (n, W, S)
    width = Q.shape[1]
    z = np.zeros((n, S))
    reason = np.zeros(S, dtype=np.int8)
    pivots_out = np.zeros(S, dtype=np.int64)
    basis_out = np.repeat(np.arange(n, dtype=np.int64)[:, None], S, axis=1)
    finished = np.zeros(S, dtype=bool)
    st = _State(M, q, np.ones(n), np.arange(S, dtype=np.int64))
    T = np.empty((n, n + 1 + width, S))
    T[:, : n + 1] = st.T[:, : n + 1]
    T[:, n + 1 :] = Q
    st.T, st.buffer = T, np.empty_like(T)
    z0 = 2 * n
    rhs = np.arange(n + 1, n + 1 + width)
    # First step: z0 enters; its column is -1, the ratio test divides by 1 in every row.
    r = _perturbed_choice(st, rhs, np.ones((n, S)), np.ones((n, S), dtype=bool), np.full(S, -1, dtype=np.int64))
    entering = np.full(S, z0, dtype=np.int64)
    with np.errstate(all="ignore"):
        while True:
            done, nxt = _pivot(st, r, entering)
            st.pivots += 1
            fail = ~done & (st.pivots >= limit)
            for h in st.history:
                fail |= ~done & (h == st.key)
            st.history.append(st.key.copy())
            if done.any():
                finished[st.ids[done]] = True
                basis_out[:, st.ids[done]] = st.basis[:, done]
                pivots_out[st.ids[done]] = st.pivots[done]
            if fail.any():
                reason[st.ids[fail]] = PERTURBED
                pivots_out[st.ids[fail]] = st.pivots[fail]
            going = ~done & ~fail
            if not going.all():
                st.keep(going)
                nxt = nxt[going]
            if not st.ids.size:
                break
            entering = nxt
            idx = np.arange(st.ids.size)
            column = st.T[:, st.slot_of[entering, idx], idx]
            eligible = column > QPE_PIVOT * np.maximum(1.0, np.abs(column).max(axis=0))
            ray = ~eligible.any(axis=0)
            if ray.any():
                reason[st.ids[ray]] = PERTURBED
                pivots_out[st.ids[ray]] = st.pivots[ray]
                st.keep(~ray)
                entering, column, eligible = entering[~ray], column[:, ~ray], eligible[:, ~ray]
                if not st.ids.size:
                    break
            r = _perturbed_choice(st, rhs, np.where(eligible, column, 1.0), eligible, st.row_of[z0])
        behavior = np.zeros((layout.num_actions, S))
        solved = np.zeros(S, dtype=bool)
        ends = np.flatnonzero(finished)
        if ends.size:
            end = perturbed_end(M[:, :, ends], Q[:, :, ends], basis_out[:, ends], layout)
            good = ends[end.ok]
            solved[good] = True
            z[:, good] = np.maximum(end.plans[:, end.ok], 0.0)
            behavior[:, good] = end.behavior[:, end.ok]
            reason[ends[~end.ok]] = PERTURBED
    return LockstepResult(z=z, solved=solved, reason=reason, pivots=pivots_out, basis=basis_out, behavior=behavior)


def qpe_layout(
    first: tuple[npt.ArrayLike, npt.ArrayLike],
    parent: tuple[npt.ArrayLike, npt.ArrayLike],
    sizes: tuple[npt.ArrayLike, npt.ArrayLike],
    positions: tuple[npt.ArrayLike, npt.ArrayLike],
    n: int,
    num_actions: int,
) -> PlanLayout | None:
    """The plan layout of a sequence-form LCP of size ``n`` where ``spe`` solves its subgame by
    qpe, None where it takes lcp (the LCP is beyond qpe's size, :mod:`policy.solvers.sizes`).

    The arrays are each player's, as :meth:`policy.solvers.qpe.PlanLayout.of` takes them.
    """
    from policy.solvers.sizes import LCP_EXACT_DIMENSION

    if n > LCP_EXACT_DIMENSION:
        return None
    return PlanLayout.of(first, parent, sizes, positions, n, num_actions)


def perturbed_basis_behavior(
    M: Array, q: Array, basis: npt.NDArray[np.int64], layout: PlanLayout
) -> tuple[Array, npt.NDArray[np.bool_]]:
    """The limit behaviour (actions, S) of given final bases of qpe's path (n, S), and whether each checks.

    What :func:`basis_solution` is to Lemke's path: for problems close to
    others already solved, their path's end read in these problems' numbers
    (:func:`policy.solvers.qpe.perturbed_end`).
    """
    M = np.asarray(M, dtype=np.float64)
    n, S = M.shape[0], M.shape[2]
    q2 = np.broadcast_to(np.asarray(q, dtype=np.float64).reshape(n, -1), (n, S))
    with np.errstate(all="ignore"):
        end = perturbed_end(M, perturbed_rhs(M, q2, layout.lengths), basis, layout)
    return end.behavior, end.ok


def _perturbed_choice(
    st: _State, rhs: npt.NDArray[np.int64], div: Array, eligible: npt.NDArray[np.bool_], z0_row: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The leaving row of each sample by the ratio test of :func:`perturbed_lockstep`."""
    n, S = div.shape
    idx = np.arange(S)
    left = eligible.copy()
    for col in rhs.tolist():
        left = _least_within(st.T[:, col, :] / div, left)
    count = np.count_nonzero(left, axis=0)
    r = np.argmax(left, axis=0).astype(np.int64)
    z0_tied = (z0_row >= 0) & left[np.maximum(z0_row, 0), idx] & (count > 1)
    r[z0_tied] = z0_row[z0_tied]
    need = np.flatnonzero((count > 1) & ~z0_tied)
    if need.size:
        t = left[:, need]
        m = int(count[need].max())
        rows = np.argsort(~t, axis=0, kind="stable")[:m]  # (m, k): the tied rows first, in row order
        live = np.arange(m)[:, None] < count[need][None, :]
        block = st.basis_rows(rows, need) / div[rows, need[None, :]][:, None, :]  # (m, n, k)
        keep = live
        for j in range(n):
            keep = _least_within(block[:, j, :], keep)
            if (np.count_nonzero(keep, axis=0) <= 1).all():
                break
        r[need] = rows[np.argmax(keep, axis=0), np.arange(need.size)]
    return r


def _least_within(ratio: Array, left: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Of the rows ``left``, those whose ratio is within qpe's ``FLOAT_TIE`` of the least (per sample)."""
    least = np.where(left, ratio, np.inf).min(axis=0)
    return np.asarray(left & (ratio - least <= QPE_TIE * np.maximum(1.0, np.abs(least))))
