"""Exact rational numbers as arrays of integer numerators and denominators.

A game read from a Gambit file or built from arrays holds its payoffs and
chance probabilities as constants; in exact mode they are rationals. One
``Fraction`` object per number costs a microsecond or two to make and as much
again for each operation, so a million-node game would spend seconds there.
Here a set of rationals is two integer arrays (``num`` and ``den``, ``den > 0``)
and the operations backward induction needs (weighted sums of children,
comparisons within groups) are a handful of numpy calls per level of the tree.

Numerators and denominators are int64 while every intermediate product is
known to stay below :data:`INT_LIMIT` (checked beforehand in floating point,
with a wide margin); otherwise the same operations run on arrays of Python
integers (numpy ``object`` arrays), which cannot overflow. The answers are the
same either way: exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from policy.model import Game

Array = npt.NDArray[Any]

#: int64 arithmetic is used only while every intermediate value stays below this.
INT_LIMIT = float(2**60)


def as_object(a: Array) -> Array:
    """An integer array as an array of Python integers (no overflow)."""
    return a if a.dtype == object else a.astype(object)


def _is_object(*arrays: Array) -> bool:
    return any(a.dtype == object for a in arrays)


def _magnitude(a: Array) -> Array:
    """``|a|`` in float64 (a bound for the overflow checks; Python ints convert too)."""
    return np.abs(a.astype(np.float64))


def reduce(num: Array, den: Array) -> tuple[Array, Array]:
    """Lowest terms: divide ``num`` (rows, or a vector) and ``den`` by their common factors.

    ``num`` may have one more dimension than ``den`` (a row of numerators per
    denominator); the factor is then common to the whole row.
    """
    if num.ndim == den.ndim:
        g = np.gcd(num, den)
    else:
        g = np.gcd.reduce(num, axis=1) if num.shape[1] else np.ones_like(den)
        g = np.gcd(g, den)
    g = np.where(g == 0, 1, g)
    if num.ndim == den.ndim:
        return num // g, den // g
    return num // g[:, None], den // g


def from_fractions(values: Iterable[Fraction | int]) -> tuple[Array, Array]:
    """Numerators and denominators of rationals (int64 when they fit, else Python ints)."""
    items = [Fraction(v) for v in values]
    num = [v.numerator for v in items]
    den = [v.denominator for v in items]
    try:
        n = np.array(num, dtype=np.int64)
        d = np.array(den, dtype=np.int64)
    except OverflowError:
        return np.array(num, dtype=object), np.array(den, dtype=object)
    if len(n) and (np.abs(n).max() > INT_LIMIT or d.max() > INT_LIMIT):
        return np.array(num, dtype=object), np.array(den, dtype=object)
    return n, d


def coprime_fraction(num: int, den: int) -> Fraction:
    """``Fraction(num, den)`` for a numerator and a positive denominator already in lowest terms.

    Skips the normalisation (a gcd and a type check) that ``Fraction()`` does;
    the object is the same as ``Fraction(num, den)`` would make.
    """
    f = object.__new__(Fraction)
    f._numerator = num  # type: ignore[attr-defined]
    f._denominator = den  # type: ignore[attr-defined]
    return f


def to_fractions(num: Array, den: Array) -> Array:
    """An object array of ``Fraction``; equal values that are 0 or 1 share one object.

    When most values repeat (int64 input), equal values share one object each.
    """
    out = np.empty(num.shape, dtype=object)
    full_den = np.broadcast_to(den.reshape(den.shape + (1,) * (num.ndim - den.ndim)), num.shape)
    num, full_den = reduce(num, full_den)  # a row's common denominator may not be each entry's lowest
    if not _is_object(num, full_den) and num.size > 64:
        # Many entries repeat (copies of one subtree): one object per distinct value.
        first, where = _distinct_pairs(num.ravel(), full_den.ravel())
        if len(first) * 2 < num.size:
            made = np.empty(len(first), dtype=object)
            made[:] = _fractions_of(num.ravel()[first].tolist(), full_den.ravel()[first].tolist())
            out.ravel()[:] = made[where]
            return out
    out.ravel()[:] = _fractions_of(num.ravel().tolist(), full_den.ravel().tolist())
    return out


def _distinct_pairs(a: Array, b: Array) -> tuple[Array, Array]:
    """The distinct pairs ``(a[i], b[i])`` of two int64 vectors: where each first occurs, and each pair's number.

    ``a[first[j]], b[first[j]]`` is pair ``j``; ``where[i]`` the number of pair ``i``.
    One lexicographic sort of the two columns (``np.unique`` with ``axis=0`` sorts
    rows as opaque records, several times slower).
    """
    order = np.lexsort((b, a))
    sa, sb = a[order], b[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
    ids = np.cumsum(new) - 1
    where = np.empty(len(order), dtype=np.int64)
    where[order] = ids
    return order[new], where


def _fractions_of(flat_num: list[Any], flat_den: list[Any]) -> list[Fraction]:
    """``Fraction`` objects of coprime numerators and denominators; 0 and 1 share one object each."""
    zero, one = Fraction(0), Fraction(1)
    made = []
    for a, b in zip(flat_num, flat_den, strict=True):
        if a == 0:
            made.append(zero)
        elif a == b:
            made.append(one)
        else:
            made.append(coprime_fraction(a, b))
    return made


def to_floats(num: Array, den: Array) -> npt.NDArray[np.float64]:
    """The nearest float64 of each rational (``num / den`` rounded once when both are exact in float)."""
    if not _is_object(num, den) and np.abs(num).max(initial=0) < 2**53 and den.max(initial=1) < 2**53:
        d = den if num.ndim == den.ndim else den[:, None]
        return num.astype(np.float64) / d.astype(np.float64)
    d = den if num.ndim == den.ndim else np.broadcast_to(den[:, None], num.shape)
    flat = [float(Fraction(a, b)) for a, b in zip(num.ravel().tolist(), np.ravel(d).tolist(), strict=True)]
    return np.array(flat, dtype=np.float64).reshape(num.shape)


def group_sum(
    num: Array, den: Array, wnum: Array, wden: Array, starts: Array
) -> tuple[Array, Array]:
    """Per group of consecutive rows, the sum of weight times value, exactly.

    ``num`` is (rows, players) with one denominator ``den`` per row; the
    weights are ``wnum / wden`` per row; ``starts`` are the groups' first rows
    (as for ``reduceat``). Returns one row of numerators and one denominator
    per group, in lowest terms.
    """
    if not _is_object(num, den, wnum, wden) and len(den):
        got = _group_sum_int64(num, den, wnum, wden, starts)
        if got is not None:
            return got
    return _group_sum(as_object(num), as_object(den), as_object(wnum), as_object(wden), starts)


def _group_sum_int64(num: Array, den: Array, wnum: Array, wden: Array, starts: Array) -> tuple[Array, Array] | None:
    """:func:`group_sum` of int64 arrays in int64, or None when some intermediate might not fit."""
    if (wden.astype(np.float64) * den.astype(np.float64)).max() < INT_LIMIT:
        scale = wden * den
        lcm = _group_lcm(scale, starts)
        if lcm is not None:
            counts = np.diff(np.append(starts, len(scale)))
            ratio = (np.repeat(lcm, counts) // scale).astype(np.float64)
            size = _magnitude(wnum)[:, None] * _magnitude(num) * ratio[:, None]
            if not size.size or np.add.reduceat(size, starts, axis=0).max() < INT_LIMIT:
                return _group_sum(num, den, wnum, wden, starts, lcm)
    return None


def _group_lcm(scale: Array, starts: Array) -> Array | None:
    """The lcm of each group of an int64 vector, or None if one might not fit int64.

    Taken one position of the groups at a time, each step checked (in float)
    before it is made: the denominators of sibling values share most factors,
    so their lcm is far below their product.
    """
    lcm, ok = _group_lcm_each(scale, starts, np.diff(np.append(starts, len(scale))))
    return lcm if ok.all() else None


def _group_sum(
    num: Array, den: Array, wnum: Array, wden: Array, starts: Array, lcm: Array | None = None
) -> tuple[Array, Array]:
    scale = wden * den
    if lcm is None:
        lcm = np.lcm.reduceat(scale, starts)
    counts = np.diff(np.append(starts, len(scale)))
    factor = np.repeat(lcm, counts) // scale * wnum
    total = np.add.reduceat(num * factor[:, None], starts, axis=0)
    return reduce(total, lcm)


def group_best(num: Array, den: Array, starts: Array) -> tuple[Array, Array]:
    """Within each group of consecutive entries, which equal the group's largest, exactly.

    Returns ``is_best`` per entry and the number of best entries per group.
    """
    if not _is_object(num, den) and len(den):
        bound = np.add.reduceat(np.log2(np.maximum(den.astype(np.float64), 1)), starts)
        if bound.max() < 60:
            lcm_f = np.repeat(np.exp2(bound), np.diff(np.append(starts, len(den))))
            if (_magnitude(num) * lcm_f).max() < INT_LIMIT:
                return _group_best(num, den, starts)
    return _group_best(as_object(num), as_object(den), starts)


def _group_best(num: Array, den: Array, starts: Array) -> tuple[Array, Array]:
    counts = np.diff(np.append(starts, len(den)))
    lcm = np.repeat(np.lcm.reduceat(den, starts), counts)
    scaled = num * (lcm // den)
    best = np.maximum.reduceat(scaled, starts)
    is_best = np.asarray(scaled == np.repeat(best, counts), dtype=bool)
    return is_best, np.add.reduceat(is_best.astype(np.int64), starts)


def multiply(anum: Array, aden: Array, bnum: Array, bden: Array) -> tuple[Array, Array]:
    """Elementwise products in lowest terms."""
    if not _is_object(anum, aden, bnum, bden):
        top = _magnitude(anum) * _magnitude(bnum)
        bottom = aden.astype(np.float64) * bden.astype(np.float64)
        if top.max(initial=0) < INT_LIMIT and bottom.max(initial=0) < INT_LIMIT:
            return reduce(anum * bnum, aden * bden)
    return reduce(as_object(anum) * as_object(bnum), as_object(aden) * as_object(bden))


def less(anum: Array, aden: Array, bnum: Array, bden: Array) -> Array:
    """Elementwise ``a < b`` exactly (denominators positive)."""
    if not _is_object(anum, aden, bnum, bden):
        left = _magnitude(anum) * bden.astype(np.float64)
        right = _magnitude(bnum) * aden.astype(np.float64)
        if max(left.max(initial=0), right.max(initial=0)) < INT_LIMIT:
            return np.asarray(anum * bden < bnum * aden, dtype=bool)
    return np.asarray(as_object(anum) * as_object(bden) < as_object(bnum) * as_object(aden), dtype=bool)


def split(values: Iterable[Any]) -> tuple[Array, Array]:
    """Numerators and denominators of ``Fraction`` (or int) objects, in lowest terms as they are.

    Like :func:`from_fractions` but without making a new ``Fraction`` per
    value: int64 when every part is below :data:`INT_LIMIT`, else Python ints.
    """
    items = values if isinstance(values, list) else list(values)
    num = [x.numerator for x in items]
    den = [x.denominator for x in items]
    if num and (max(max(num), -min(num)) >= INT_LIMIT or max(den) >= INT_LIMIT):
        return np.array(num, dtype=object), np.array(den, dtype=object)
    return np.array(num, dtype=np.int64), np.array(den, dtype=np.int64)


def common_rows(num: Array, den: Array) -> tuple[Array, Array]:
    """Entry-wise rationals ``num / den`` of shape (rows, k) over one denominator per row.

    Returns numerators (rows, k) and the row denominators (the lcm of each
    row's), int64 when every value stays below :data:`INT_LIMIT`.
    """
    if not _is_object(num, den):
        # The lcm column by column, each step checked (in float) before it is taken:
        # the product of the denominators would be a far looser bound.
        row = np.ones(len(den), dtype=np.int64)
        fits = True
        for k in range(den.shape[1]):
            g = np.gcd(row, den[:, k])
            if ((row // g).astype(np.float64) * den[:, k].astype(np.float64)).max(initial=0) >= INT_LIMIT:
                fits = False
                break
            row = row // g * den[:, k]
        if fits:
            scale = row[:, None] // den
            if (_magnitude(num) * scale.astype(np.float64)).max(initial=0) < INT_LIMIT:
                return num * scale, row
    num, den = as_object(num), as_object(den)
    row = np.lcm.reduce(den, axis=1) if den.shape[1] else np.ones(len(den), dtype=object)
    return num * (row[:, None] // den), row


def add(anum: Array, aden: Array, bnum: Array, bden: Array) -> tuple[Array, Array]:
    """Elementwise sums in lowest terms (``num`` and ``den`` of one shape)."""
    if not _is_object(anum, aden, bnum, bden):
        a = aden.astype(np.float64)
        b = bden.astype(np.float64)
        size = _magnitude(anum) * b + _magnitude(bnum) * a
        if size.max(initial=0) < INT_LIMIT and (a * b).max(initial=0) < INT_LIMIT:
            return reduce(anum * bden + bnum * aden, aden * bden)
    anum, aden, bnum, bden = (as_object(x) for x in (anum, aden, bnum, bden))
    return reduce(anum * bden + bnum * aden, aden * bden)


def tree_values(
    game: Game, leaf_num: npt.NDArray[Any], leaf_den: npt.NDArray[Any], wnum: npt.NDArray[Any],
    wden: npt.NDArray[Any],
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Every node's expected payoff vector under the edge weights ``wnum/wden``, from the terminals'
    ``leaf_num/leaf_den``: numerators (nodes, players) over one denominator per node, in lowest
    terms (:func:`policy.solvers.verify.subgame_values` in integers, before its ``Fraction`` objects).
    int64 while the numbers fit, Python integers (object arrays) from the first level that needs them."""
    if not _is_object(leaf_num, leaf_den, wnum, wden):
        return _tree_values_mixed(game, leaf_num, leaf_den, wnum, wden)
    n = game.num_nodes
    big = _is_object(leaf_num, leaf_den)
    num = np.zeros((n, leaf_num.shape[1]), dtype=object if big else np.int64)
    den = np.ones(n, dtype=object if big else np.int64)
    num[game.terminals] = leaf_num
    den[game.terminals] = leaf_den
    for inner, cstart, cstop in game.levels_bottom_up():
        offsets = game.first_child[inner] - cstart
        snum, sden = group_sum(num[cstart:cstop], den[cstart:cstop], wnum[cstart:cstop], wden[cstart:cstop], offsets)
        if snum.dtype == object and num.dtype != object:
            num, den = as_object(num), as_object(den)
        num[inner] = snum
        den[inner] = sden
    return num, den


def _tree_values_mixed(
    game: Game, leaf_num: Array, leaf_den: Array, wnum: Array, wden: Array
) -> tuple[Array, Array]:
    """:func:`tree_values` from int64 numbers, each node in int64 unless its own sum may not fit.

    A parameter at a long rational makes a few dozen of a campaign's values
    pass int64; taking the whole tree to Python integers from the first level
    that needs them made the pass some fifteen times slower. Here each
    parent's sum is checked on its own (the bounds of :func:`group_sum`,
    group by group); the parents that pass, and whose children are all int64,
    are summed in int64, the others in Python integers. The values are the
    same, in lowest terms either way: int64 arrays when no node needed more,
    else object arrays throughout, as :func:`tree_values` gives.
    """
    n = game.num_nodes
    num = np.zeros((n, leaf_num.shape[1]), dtype=np.int64)
    den = np.ones(n, dtype=np.int64)
    num[game.terminals] = leaf_num
    den[game.terminals] = leaf_den
    big: npt.NDArray[np.bool_] | None = None  # nodes whose value is held in the object arrays below
    onum: Array | None = None
    oden: Array | None = None
    for inner, cstart, cstop in game.levels_bottom_up():
        starts = game.first_child[inner] - cstart
        cnum, cden, cwnum, cwden = num[cstart:cstop], den[cstart:cstop], wnum[cstart:cstop], wden[cstart:cstop]
        if big is None or not big[cstart:cstop].any():
            got = _group_sum_int64(cnum, cden, cwnum, cwden, starts)  # every parent fits: the usual case
            if got is not None:
                num[inner], den[inner] = got
                continue
        counts = np.diff(np.append(starts, cstop - cstart))
        scale_f = cwden.astype(np.float64) * cden.astype(np.float64)
        row_ok = scale_f < INT_LIMIT
        if big is not None:
            row_ok &= ~big[cstart:cstop]
        scale = np.where(row_ok, cwden * cden, 1)
        lcm, ok = _group_lcm_each(scale, starts, counts)
        ok &= np.logical_and.reduceat(row_ok, starts)
        ratio = (np.repeat(lcm, counts) // scale).astype(np.float64)
        size = _magnitude(cwnum)[:, None] * _magnitude(cnum) * ratio[:, None]
        if size.size:
            ok &= np.add.reduceat(size, starts, axis=0).max(axis=1) < INT_LIMIT
        if ok.all():
            num[inner], den[inner] = _group_sum(cnum, cden, cwnum, cwden, starts, lcm)
            continue
        # The parents that pass, in int64 (the others' rows give values not used), then the rest exactly.
        safe = np.repeat(ok, counts)
        snum, sden = _group_sum(np.where(safe[:, None], cnum, 0), np.where(safe, cden, 1),
                                np.where(safe, cwnum, 0), np.where(safe, cwden, 1), starts,
                                np.where(ok, lcm, 1))
        num[inner[ok]], den[inner[ok]] = snum[ok], sden[ok]
        if big is None:
            big = np.zeros(n, dtype=bool)
            onum = np.empty(num.shape, dtype=object)
            oden = np.empty(n, dtype=object)
        assert onum is not None and oden is not None
        rows = np.flatnonzero(~safe)
        held = big[cstart + rows]
        xnum, xden = as_object(cnum[rows]), as_object(cden[rows])
        if held.any():
            xnum[held] = onum[cstart + rows[held]]
            xden[held] = oden[cstart + rows[held]]
        sub_counts = counts[~ok]
        sub_starts = np.cumsum(sub_counts) - sub_counts
        bnum, bden = _group_sum(xnum, xden, as_object(cwnum[rows]), as_object(cwden[rows]), sub_starts)
        parents = inner[~ok]
        onum[parents], oden[parents] = bnum, bden
        big[parents] = True
    if big is None:
        return num, den
    assert onum is not None and oden is not None
    out_num, out_den = num.astype(object), den.astype(object)
    out_num[big], out_den[big] = onum[big], oden[big]
    return out_num, out_den


def _group_lcm_each(scale: Array, starts: Array, counts: Array) -> tuple[Array, Array]:
    """:func:`_group_lcm` group by group: each group's lcm, and whether it surely fits int64
    (where it may not, its lcm is left at 1 and the group marked)."""
    lcm = scale[starts].copy()
    ok = np.ones(len(starts), dtype=bool)
    for j in range(1, int(counts.max(initial=0))):
        has = np.flatnonzero((counts > j) & ok)
        if not has.size:
            continue
        step = scale[starts[has] + j]
        cur = lcm[has]
        g = np.gcd(cur, step)
        fits = (cur // g).astype(np.float64) * step.astype(np.float64) < INT_LIMIT
        lcm[has[fits]] = (cur // g * step)[fits]
        ok[has[~fits]] = False
    lcm[~ok] = 1
    return lcm, ok
