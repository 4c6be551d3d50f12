"""Exact regions of one or two parameters in which the subgame-perfect equilibrium stays the same.

For a game of perfect information, :func:`regions` varies one or two
parameters over a box (the others fixed at exact rational values, e.g. a
leader's) and returns the pieces of the box on which backward induction
(:func:`policy.solvers.backward.spe_solve`, first best action on ties) gives
the same profile, with exact boundaries: rationals or algebraic numbers
(``sqrt(2)``, ``CRootOf(...)``) for one parameter, polynomial inequalities with
exact coefficients for two.

Method
------
*One-shot deviation* (Osborne and Rubinstein 1994, Lemma 98.2; Kuhn 1953): a
pure profile sigma of a finite game of perfect information is
subgame-perfect exactly where, at every decision node ``n`` and every other
child ``c``, the gap ``g(n, c) = u_mover(sigma below the chosen child) -
u_mover(sigma below c)`` is ``>= 0``. Backward induction with the first best
action picks sigma exactly where moreover ``g(n, c) > 0`` for every ``c``
listed before the chosen action. The gaps are built bottom-up as sympy
expressions in the varied parameters (:attr:`policy.expr.Expr.sym`, fixed
parameters replaced by rationals), so each profile's region is a set of exact
sign conditions.

*Finding every profile* (instead of walking from one end and guessing the
next piece, as a sweep would). Take the curves (points, with one parameter)
where a gap of a profile found so far is zero or undefined, where a ``min``,
``max`` or ``abs`` switches branch, where an expression of the game is
undefined, and where a chance probability reaches 0 or 1. Their arrangement
splits the box into open cells. Solve the game exactly at one rational point
of every cell; if a new profile appears, add its curves and repeat. This stops
(there are finitely many profiles) and misses nothing: in a cell where no gap
of the profile sigma found at its sample point changes sign, backward
induction picks sigma everywhere (each gap is positive, or zero throughout),
so the cell cannot hold another profile. With two parameters the sample
points come from a cylindrical decomposition (Collins 1975) of the curves,
reduced to what a sample per cell needs: the critical values of the first
parameter are the real roots of leading coefficients, discriminants and
pairwise resultants in the second, and of the curves on the box's edges;
between them, the curves are ordered in the second parameter and one point
is taken between each neighbouring pair. Solving a cell takes one exact
backward induction on rationals (``Game.numbers``), independent of the
symbolic gaps.

*Describing a region.* One parameter: maximal intervals with one equilibrium
path (the decisions reached with positive probability); each holds one or
more profiles (they may differ off the path), and each end says whether it
belongs to the interval. Every point where something happens is a
:class:`Boundary`: the path or the profile changes, a mover is indifferent
only there, or the game is undefined. Two parameters: one region per path,
made of one part per profile, each part a conjunction of gap inequalities.
Inequalities that hold throughout the box, or that the part's other
inequalities imply, are dropped: both are decided exactly on the sample
points of all cells, since every inequality has constant sign on every cell.

Exactness. Roots of polynomials (after clearing denominators) are exact
algebraic numbers: irreducible factors over the rationals and the index of the
root, shown as radicals up to degree 2 and as ``CRootOf`` above. Other
expressions (``sqrt``, ``exp``, ``log`` of a varied parameter) go to sympy's
``solveset`` on the interval; when it cannot answer, zeros are located
numerically from sign changes (to about 40 digits; a zero where the sign does
not change may then be missed) and the result says ``exact=False``. With two
parameters, every gap must be a rational function of them after ``min``,
``max`` and ``abs`` are split; otherwise profiles are found on a
:data:`FALLBACK_GRID` grid only and the result says ``complete=False``.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from policy.analysis.errors import RegionsError
from policy.model import Game, GameError, NodeKind
from policy.solvers.backward import require_perfect_information

__all__ = [
    "Boundary",
    "Endpoint",
    "Inequality",
    "Part",
    "Point",
    "Profile",
    "Region",
    "RegionsError",
    "RegionsResult",
    "Tie",
    "regions",
    "regions_text",
]

PRECISION = 60
"""Decimal digits of the approximations used to order exact numbers."""

CLOSE = Fraction(1, 10**45)
"""Two approximations closer than this are compared exactly rather than numerically."""

SEED_GRID = 5
"""Points per parameter of the first grid of exact solutions (two parameters)."""

FALLBACK_GRID = 21
"""Points per parameter of the grid used when the cells cannot be computed exactly."""

MAX_BRANCHES = 256
"""Most branch combinations of ``min``/``max``/``abs`` expanded in one expression."""

NUMERIC_SAMPLES = 256
"""Points at which a transcendental expression is sampled for sign changes."""

MAX_DEGREE = 24
"""Largest degree given to sympy's exact routines on algebraic numbers (real root
isolation of an irreducible factor, ``solveset``, ``minimal_polynomial``), and
to the curves of two parameters. Their cost grows steeply with the degree
(``minimal_polynomial`` ran for minutes on a root of ``x**64 - 3*x**31 + x``);
above it zeros are located numerically and signs decided with extra digits, and
the result says it is not exact."""

MAX_FACTOR_DEGREE = 96
"""Largest degree of a polynomial in one parameter that is factored (about 2 s at
96) so that its irreducible factors can be held to :data:`MAX_DEGREE`."""

MAX_SECONDS = 120.0
"""Default time budget of :func:`regions`, checked between steps."""

Sym = Any
"""A sympy object (sympy ships no type information)."""
Key = tuple[Any, ...]
Choice = tuple[int, ...]
"""A pure profile: the position of the chosen action at each decision node, breadth-first."""


class _NotRational(Exception):
    """An expression is not a rational function of the varied parameters."""


class _TooComplex(Exception):
    """Too many ``min``/``max``/``abs`` branches to expand."""


class _Undefined(Exception):
    """A value is not a finite real number (division by zero, log of 0, ...)."""


class _HighDegree(Exception):
    """A polynomial's degree is above :data:`MAX_DEGREE`."""


def _degree_bound(value: Sym) -> int:
    """An upper bound on the algebraic degree of a constant sympy expression.

    The product of the degrees of its algebraic atoms: ``CRootOf`` (the
    degree of its polynomial) and rational powers ``b**(p/q)`` (``q``); a
    number built from them by field operations has at most that degree.
    """
    bound = 1
    for r in value.atoms(sp.CRootOf):
        bound *= int(r.poly.degree())
    for p in value.atoms(sp.Pow):
        if p.exp.is_Rational and not p.exp.is_Integer:
            bound *= int(p.exp.q)
    return bound


def _expression_degree(expr: Sym, gen: Sym) -> int:
    """A rough degree of ``expr`` in ``gen``, counting ``gen**(p/q)`` as degree ``|p| * q``."""
    worst = 1
    for p in expr.atoms(sp.Pow):
        if p.has(gen) and p.exp.is_Rational:
            worst = max(worst, abs(int(p.exp.p)) * int(p.exp.q))
    return worst


# ---------------------------------------------------------------------------------
# Exact real numbers
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Point:
    """An exact real number at which something may happen.

    Attributes
    ----------
    value
        A sympy number: ``Rational``, a radical, ``CRootOf``, another exact
        expression, or a ``Float`` when ``exact`` is False.
    exact
        False only for zeros located numerically.
    key
        Identity: ``("q", Fraction)``, ``("alg", coefficients, index)`` (the
        index-th real root of an irreducible integer polynomial), ``("expr",
        text)`` or ``("num", Fraction)``. Equal keys mean equal numbers.
    approx
        A rational within about ``10**-PRECISION`` of the value (the value
        itself when rational).
    """

    value: Sym
    exact: bool
    key: Key = field(repr=False)
    approx: Fraction = field(repr=False)

    @property
    def rational(self) -> Fraction | None:
        """The value as a ``Fraction`` when it is rational, else None."""
        return self.key[1] if self.key[0] == "q" else None

    @property
    def text(self) -> str:
        """``19/49``; ``sqrt(2) (~1.41421)``; ``~0.5671432904`` when not exact."""
        q = self.rational
        if q is not None:
            return str(q)
        if not self.exact:
            return f"~{float(self.approx):.12g}"
        return f"{sp.sstr(self.value)} (~{float(self.approx):.6g})"

    def __float__(self) -> float:
        return float(self.approx)

    def __str__(self) -> str:
        return self.text


def _rational_point(q: Fraction) -> Point:
    return Point(sp.Rational(q.numerator, q.denominator), True, ("q", q), q)


def _fraction(value: Sym) -> Fraction:
    r = sp.Rational(value)
    return Fraction(int(r.p), int(r.q))


def _approx(value: Sym) -> Fraction:
    """A rational within about 10**-PRECISION of a real sympy number."""
    number = sp.N(value, PRECISION)
    real, imag = number.as_real_imag()
    if imag != 0 and abs(imag) > sp.Float(10) ** (-PRECISION // 2):
        raise _Undefined(f"{value} is not real")
    if not real.is_finite:
        raise _Undefined(f"{value} is not finite")
    return _fraction(real)


def _compare(a: Point, b: Point) -> int:
    """-1, 0 or 1 as ``a`` is below, equal to or above ``b`` (exactly, when both are exact)."""
    if a.key == b.key:
        return 0
    d = a.approx - b.approx
    if abs(d) > CLOSE or (a.key[0] == "q" and b.key[0] == "q"):
        return (d > 0) - (d < 0)
    return _Signer().sign(a.value - b.value)


def _sorted_unique(points: Iterable[Point]) -> list[Point]:
    """Points in increasing order, equal ones once (exact keys are preferred to numeric ones)."""
    ordered = sorted(points, key=functools.cmp_to_key(_compare))
    out: list[Point] = []
    for p in ordered:
        if out and _compare(out[-1], p) == 0:
            if out[-1].key[0] in ("expr", "num") and p.key[0] in ("q", "alg"):
                out[-1] = p
            continue
        out.append(p)
    return out


def _simplest_in(low: Fraction, high: Fraction) -> Fraction:
    """The rational with the smallest denominator strictly between ``low < high``."""
    if low < 0 < high:
        return Fraction(0)
    if high <= 0:
        return -_simplest_in(-high, -low)
    n = low.numerator // low.denominator
    if n + 1 < high:
        return Fraction(n + 1)
    if low == n:
        rest = high - n  # in (0, 1]: the largest unit fraction below it
        k = rest.denominator // rest.numerator + 1
        return n + Fraction(1, k)
    return n + 1 / _simplest_in(1 / (high - n), 1 / (low - n))


def _simplest_between(a: Point, b: Point) -> Fraction:
    """A simple rational strictly between two points ``a < b``."""
    low = a.approx if a.rational is not None else a.approx + CLOSE
    high = b.approx if b.rational is not None else b.approx - CLOSE
    if low >= high:  # distinct but closer than the approximations can tell
        return (a.approx + b.approx) / 2
    return _simplest_in(low, high)


class _Signer:
    """Signs of exact sympy numbers; ``exact`` turns False if one had to be decided numerically.

    It also holds the time budget: :meth:`check` raises :class:`RegionsError`
    once ``deadline`` (a ``time.monotonic()`` value) has passed; every sign
    and every numeric search checks it.
    """

    def __init__(self, deadline: float | None = None, budget: float | None = None) -> None:
        self.exact = True
        self.high_degree = False
        """Whether a zero was located numerically because of :data:`MAX_DEGREE`."""
        self.deadline = deadline
        self.budget = budget

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise RegionsError(
                f"regions: not finished within {self.budget:g} s (the time budget, --max-seconds); "
                "narrow the range of the varied parameter(s) or raise --max-seconds"
            )

    def sign(self, value: Any) -> int:
        self.check()
        if isinstance(value, Fraction | int):
            return (value > 0) - (value < 0)
        if value.is_Rational:
            return (value.p > 0) - (value.p < 0)
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise _Undefined(f"{value} is not finite")
        reduced = _reduce_root(value)
        if reduced is not None:
            value = reduced
            if value.is_Rational:
                return (value.p > 0) - (value.p < 0)
        approx = _approx(value)
        if abs(approx) > Fraction(1, 10 ** (PRECISION // 2)):
            return (approx > 0) - (approx < 0)
        if reduced is not None:
            # A non-zero polynomial of degree below the root's: not 0, only small.
            return self._digits(value, exact=True)
        if _degree_bound(value) > MAX_DEGREE:
            self.exact = False
            return self._digits(value, exact=False)
        # Too close to 0 to tell numerically: an algebraic number is 0 when its
        # minimal polynomial is t; otherwise more digits separate it from 0.
        t = sp.Dummy("t")
        try:
            if sp.minimal_polynomial(value, t) == t:
                return 0
        except (NotImplementedError, sp.polys.polyerrors.NotAlgebraic, sp.PolynomialError):
            if value.equals(0):
                return 0
            self.exact = False
        fine = sp.N(value, 4 * PRECISION)
        return int(sp.sign(sp.re(fine)))

    def _digits(self, value: Sym, exact: bool) -> int:
        """The sign of a number known (``exact``) or assumed to be non-zero, from more digits."""
        for digits in (4 * PRECISION, 16 * PRECISION):
            self.check()
            fine = sp.re(sp.N(value, digits))
            if fine != 0 and abs(fine) > sp.Float(10) ** (-digits // 2):
                return int(sp.sign(fine))
        if exact:
            self.exact = False
        return int(sp.sign(sp.re(sp.N(value, 16 * PRECISION))))


def _reduce_root(value: Sym) -> Sym | None:
    """``value`` with one ``CRootOf`` atom ``r`` rewritten below the degree of ``r``.

    When ``value`` is a rational function of a single root ``r`` of an
    irreducible polynomial ``f`` (a point where something happens), numerator
    and denominator are reduced modulo ``f``: exact, and cheap where
    ``minimal_polynomial`` of the unreduced value can take minutes. A zero
    remainder means the value is 0 (or undefined, for the denominator), since
    ``f`` is irreducible. None when ``value`` is not of that form.
    """
    roots = value.atoms(sp.CRootOf)
    if len(roots) != 1:
        return None
    (r,) = roots
    y = sp.Dummy("y")
    bare = value.xreplace({r: y})
    if bare.free_symbols != {y} or bare.atoms(sp.Function):
        return None
    if any(not p.exp.is_Integer for p in bare.atoms(sp.Pow)):
        return None
    f = r.poly.as_expr().xreplace({r.poly.gen: y})
    try:
        num, den = sp.fraction(sp.together(bare))
        num_r = sp.rem(sp.Poly(num, y, domain=sp.QQ), sp.Poly(f, y, domain=sp.QQ))
        den_r = sp.rem(sp.Poly(den, y, domain=sp.QQ), sp.Poly(f, y, domain=sp.QQ))
    except _POLY_ERRORS:
        return None
    if den_r.is_zero:
        raise _Undefined(f"{value} divides by zero")
    if num_r.is_zero:
        return sp.Integer(0)
    return (num_r.as_expr() / den_r.as_expr()).xreplace({y: r})


# ---------------------------------------------------------------------------------
# Polynomials and their real roots
# ---------------------------------------------------------------------------------
def _integer_factors(poly: Sym) -> list[Sym]:
    """The distinct irreducible factors of positive degree: primitive, over ZZ, LC > 0."""
    if poly.is_zero:
        return []
    if poly.domain.is_Field:
        poly = poly.clear_denoms(convert=True)[1]
    out = []
    for f, _ in _factor_list(poly):
        if f.total_degree() < 1:
            continue
        f = f.primitive()[1]
        if f.LC() < 0:
            f = -f
        out.append(f)
    return out


def _factor_list(poly: Sym) -> list[tuple[Sym, int]]:
    return _cached_factors(_poly_key(poly), poly)


def _poly_key(poly: Sym) -> Key:
    return (tuple(str(g) for g in poly.gens), tuple(poly.terms()))


_FACTOR_CACHE: dict[Key, list[tuple[Sym, int]]] = {}


def _cached_factors(key: Key, poly: Sym) -> list[tuple[Sym, int]]:
    got = _FACTOR_CACHE.get(key)
    if got is None:
        if len(_FACTOR_CACHE) > 20_000:
            _FACTOR_CACHE.clear()
        got = _FACTOR_CACHE[key] = list(poly.factor_list()[1])
    return got


@functools.lru_cache(maxsize=8192)
def _factor_roots(coefficients: tuple[int, ...], generator: str) -> tuple[Point, ...]:
    """Every real root of an irreducible integer polynomial, ascending, as points."""
    if len(coefficients) == 2:
        q = Fraction(-coefficients[1], coefficients[0])
        return (_rational_point(q),)
    poly = sp.Poly(list(coefficients), sp.Symbol(generator), domain=sp.ZZ)
    return tuple(
        Point(r, True, ("alg", coefficients, k), _approx(r)) for k, r in enumerate(poly.real_roots())
    )


def _coefficients(f: Sym) -> tuple[int, ...]:
    return tuple(int(c) for c in f.all_coeffs())


def _in_range(p: Point, low: Point, high: Point, closed: bool) -> bool:
    a, b = _compare(p, low), _compare(p, high)
    if closed:
        return a >= 0 and b <= 0
    return a > 0 and b < 0


def _real_roots(expr: Sym, gen: Sym, low: Point, high: Point, closed: bool) -> list[Point]:
    """Real zeros of a polynomial in ``gen`` (rational coefficients) in the interval.

    Raises ``PolynomialError``/``CoercionFailed`` when ``expr`` is not such a
    polynomial, and :class:`_HighDegree` when its degree is above
    :data:`MAX_FACTOR_DEGREE` or one of its irreducible factors' above
    :data:`MAX_DEGREE`.
    """
    poly = sp.Poly(expr, gen, domain=sp.QQ)
    if poly.degree() > MAX_FACTOR_DEGREE:
        raise _HighDegree
    factors = _integer_factors(poly)
    if any(f.degree() > MAX_DEGREE for f in factors):
        raise _HighDegree
    out = []
    for f in factors:
        for p in _factor_roots(_coefficients(f), str(gen)):
            if _in_range(p, low, high, closed):
                out.append(p)
    return out


def _point_of(value: Sym, gen: Sym) -> Point:
    """A point for an exact real number given by an expression (canonical when algebraic)."""
    if value.is_Rational:
        return _rational_point(_fraction(value))
    approx = _approx(value)
    if _degree_bound(value) > MAX_DEGREE:
        return Point(value, True, ("expr", sp.srepr(value)), approx)
    try:
        minimal = sp.Poly(sp.minimal_polynomial(value, gen), gen)
    except (NotImplementedError, sp.polys.polyerrors.NotAlgebraic, sp.PolynomialError):
        return Point(value, True, ("expr", sp.srepr(value)), approx)
    (f,) = _integer_factors(minimal)
    roots = _factor_roots(_coefficients(f), str(gen))
    return min(roots, key=lambda r: abs(r.approx - approx))


_POLY_ERRORS = (sp.PolynomialError, sp.polys.polyerrors.CoercionFailed)


def _zeros(expr: Sym, gen: Sym, low: Point, high: Point, signer: _Signer) -> list[Point]:
    """Points of [low, high] where an expression without min/max/abs is zero.

    Exact for polynomials (algebraic points) and where ``solveset`` returns a
    finite set; otherwise located numerically (and ``signer.exact`` is cleared).
    """
    if not expr.has(gen):
        return []
    signer.check()
    try:
        return _real_roots(expr, gen, low, high, closed=True)
    except _HighDegree:
        signer.exact = False
        signer.high_degree = True
        return _numeric_zeros(expr, gen, low, high, signer)
    except _POLY_ERRORS:
        pass
    if _expression_degree(expr, gen) > MAX_DEGREE:
        signer.exact = False
        signer.high_degree = True
        return _numeric_zeros(expr, gen, low, high, signer)
    try:
        found = sp.solveset(expr, gen, sp.Interval(low.value, high.value))
    except Exception:  # sympy raises many kinds of error on hard equations
        found = None
    if found is not None and found.is_FiniteSet:
        points = []
        for v in found:
            try:
                points.append(_point_of(v, gen))
            except _Undefined:
                continue
        return points
    if found is sp.S.EmptySet:
        return []
    signer.exact = False
    return _numeric_zeros(expr, gen, low, high, signer)


def _numeric_zeros(expr: Sym, gen: Sym, low: Point, high: Point, signer: _Signer) -> list[Point]:
    """Zeros located by sign changes on a fine sample, refined by bisection."""

    def value(x: Fraction) -> Fraction | None:
        signer.check()
        # Numerically, with the point substituted inside evalf: substituting it
        # exactly first makes sympy simplify (x**(1/64) of a long fraction
        # factors integers), seconds per point.
        try:
            return _approx(expr.evalf(PRECISION, subs={gen: sp.Rational(x.numerator, x.denominator)}))
        except (_Undefined, ZeroDivisionError, ValueError, TypeError):
            return None

    a, b = low.approx, high.approx
    xs = [a + (b - a) * k / NUMERIC_SAMPLES for k in range(NUMERIC_SAMPLES + 1)]
    vs = [value(x) for x in xs]
    out = []
    for k in range(NUMERIC_SAMPLES + 1):
        before, now = vs[k - 1] if k else None, vs[k]
        if now == 0:
            out.append(xs[k])
        if before is not None and now is not None and before * now < 0:
            lo, hi, s_lo = xs[k - 1], xs[k], before > 0
            for _ in range(140):  # about 40 digits
                mid = (lo + hi) / 2
                v = value(mid)
                if v is None or v == 0:
                    break
                lo, hi = (mid, hi) if (v > 0) == s_lo else (lo, mid)
            out.append((lo + hi) / 2)
    return [Point(sp.Float(sp.Rational(x.numerator, x.denominator), 40), False, ("num", x), x) for x in out]


def _has_kink(e: Sym) -> bool:
    return bool(e.has(sp.Min, sp.Max, sp.Abs))


def _expand_kinks(expr: Sym) -> tuple[list[Sym], list[Sym]]:
    """Split ``min``, ``max`` and ``abs``: every branch expression, and the switch expressions.

    Each branch is ``expr`` with every kink replaced by one of its arguments
    (``abs(u)``: ``u`` or ``-u``); on any set where the switch expressions keep
    their signs, ``expr`` equals one branch. Switches (``u - v`` for ``min(u, v)``,
    ``u`` for ``abs(u)``) are kink-free.
    """
    branches: list[Sym] = []
    switches: list[Sym] = []
    todo = [expr]
    while todo:
        current = todo.pop()
        inner = sorted(
            (k for k in current.atoms(sp.Min, sp.Max, sp.Abs) if not any(_has_kink(a) for a in k.args)),
            key=sp.default_sort_key,
        )
        if not inner:
            branches.append(current)
            continue
        kink = inner[0]
        if isinstance(kink, sp.Abs):
            options = [kink.args[0], -kink.args[0]]
            switches.append(kink.args[0])
        else:
            options = list(kink.args)
            switches.extend(u - v for u, v in itertools.combinations(options, 2))
        todo.extend(current.xreplace({kink: o}) for o in options)
        if len(branches) + len(todo) > MAX_BRANCHES:
            raise _TooComplex
    return branches, list(dict.fromkeys(switches))


def _domain_arguments(expr: Sym) -> list[Sym]:
    """Arguments whose sign decides whether ``expr`` is defined: roots' radicands, logs' arguments."""
    out = [a.base for a in expr.atoms(sp.Pow) if not a.exp.is_integer]
    out.extend(a.args[0] for a in expr.atoms(sp.log))
    return out


@functools.lru_cache(maxsize=65_536)
def _fraction_parts(expr: Sym) -> tuple[Sym, Sym]:
    """Numerator and denominator without common factors (``expr`` itself and 1 for a polynomial)."""
    if not expr.has(sp.Pow) or all(p.exp.is_Integer and p.exp > 0 for p in expr.atoms(sp.Pow)):
        return expr, sp.Integer(1)
    return sp.fraction(sp.cancel(sp.together(expr)))


# ---------------------------------------------------------------------------------
# Public result types
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """A pure strategy profile: ``"infoset=action"`` at every decision node, breadth-first."""

    choices: tuple[str, ...]

    def action(self, infoset: str) -> str:
        """The action chosen at an information set."""
        for c in self.choices:
            name, _, action = c.partition("=")
            if name == infoset:
                return action
        raise KeyError(f"no information set {infoset!r}")


@dataclass(frozen=True)
class Tie:
    """A mover indifferent between the action taken and another."""

    node: str
    player: str
    action: str
    alternative: str

    @property
    def text(self) -> str:
        return f"{self.player} at {self.node}: {self.action} ~ {self.alternative}"


@dataclass(frozen=True)
class Inequality:
    """``expr >= 0`` (``> 0`` if ``strict``): the mover at ``node`` prefers ``action`` to ``alternative``.

    ``expr`` is a sympy expression in the varied parameters with exact
    coefficients whose sign is that of the mover's gain from ``action`` over
    ``alternative`` (a polynomial made primitive when the gain is rational).
    """

    expr: Sym
    strict: bool
    node: str
    player: str
    action: str
    alternative: str
    text: str
    solved: tuple[str, str, Sym, str] | None = None
    """``(parameter, operator, bound, bound as text)`` when it reads ``parameter op bound``."""

    def holds(self, values: Mapping[str, Fraction]) -> bool:
        """Whether the inequality holds at exact values of the varied parameters."""
        names = sorted(self.expr.free_symbols, key=str)
        function = self._function
        try:
            if function is not None:
                value = function([Fraction(values[s.name]) for s in names])
                sign = (value > 0) - (value < 0)
            else:
                subs = {s: sp.Rational(Fraction(values[s.name])) for s in names}
                sign = _Signer().sign(self.expr.xreplace(subs))
        except _Undefined:
            return False
        return sign > 0 or (sign == 0 and not self.strict)

    @functools.cached_property
    def _function(self) -> _Function | None:
        return _fraction_function(self.expr, sorted(self.expr.free_symbols, key=str))


@dataclass(frozen=True)
class Endpoint:
    """One end of an interval: a point, and whether the interval contains it."""

    point: Point
    closed: bool


@dataclass(frozen=True)
class Part:
    """Where one profile is the equilibrium, within a region.

    ``low``/``high`` (one parameter) or ``inequalities`` (two) say where;
    ``sample`` is a point inside; ``ties`` are indifferences that hold on a
    whole stretch of it, not just at points (the first listed action is taken).
    """

    profile: Profile
    sample: dict[str, Fraction]
    low: Endpoint | None = None
    high: Endpoint | None = None
    inequalities: tuple[Inequality, ...] = ()
    ties: tuple[Tie, ...] = ()

    @property
    def text(self) -> str:
        if self.low is not None and self.high is not None:
            name = next(iter(self.sample))
            return _interval_text(name, self.low, self.high)
        if not self.inequalities:
            return "everywhere in the box"
        return _conjunction_text(self.inequalities)


@dataclass(frozen=True)
class Region:
    """Where the equilibrium path is ``path``.

    One parameter: an interval (``low``, ``high``), one part per profile along
    it. Two parameters: the union of its parts, each a conjunction of
    inequalities. ``undefined`` (with an empty path) marks where the game
    cannot be evaluated, saying why.
    """

    path: tuple[str, ...]
    parts: tuple[Part, ...]
    text: str
    low: Endpoint | None = None
    high: Endpoint | None = None
    undefined: str = ""
    samples: tuple[dict[str, Fraction], ...] = ()

    @property
    def profiles(self) -> tuple[Profile, ...]:
        return tuple(p.profile for p in self.parts)

    @property
    def sample(self) -> dict[str, Fraction]:
        return self.parts[0].sample if self.parts else dict(self.samples[0]) if self.samples else {}


@dataclass(frozen=True)
class Boundary:
    """A point of a one-parameter range where something happens.

    ``kind``: ``"path"`` (the equilibrium path changes), ``"profile"`` (only
    choices off the path change), ``"tie"`` (a mover is indifferent here but
    the equilibrium is the same on both sides), ``"undefined"`` (the game
    cannot be evaluated on one side or here). ``at_point`` is the path that
    backward induction gives at the point itself (None if undefined), and
    ``ties`` the movers indifferent there.
    """

    parameter: str
    point: Point
    kind: str
    left: Profile | None
    right: Profile | None
    left_path: tuple[str, ...] | None
    right_path: tuple[str, ...] | None
    at_point: tuple[str, ...] | None
    ties: tuple[Tie, ...]
    note: str = ""

    @property
    def text(self) -> str:
        head = f"{self.parameter} = {self.point.text}"
        parts = []
        if self.kind in ("path", "profile") and self.left and self.right:
            reached = {w.partition("=")[0] for w in (*(self.left_path or ()), *(self.right_path or ()))}
            on: list[str] = []
            off: list[str] = []
            for a, b in zip(self.left.choices, self.right.choices, strict=True):
                if a != b:
                    infoset, _, before = a.partition("=")
                    (on if infoset in reached else off).append(
                        f"{infoset}: {before} -> {b.partition('=')[2]}"
                    )
            if on:
                parts.append(f"path changes: {'; '.join(on)}")
            if off:
                parts.append(f"off the path: {'; '.join(off)}")
        if self.ties:
            parts.append("indifferent: " + "; ".join(t.text for t in self.ties))
        if self.note:
            parts.append(self.note)
        return f"{head}: {', '.join(parts) if parts else self.kind}"


@dataclass(frozen=True)
class RegionsResult:
    """The regions of a box of one or two parameters, the others fixed.

    Attributes
    ----------
    exact
        Every boundary is exact (False if a zero had to be located numerically).
    complete
        Every cell of the box was solved, so no region can be missing (False
        for two parameters when the gaps are not rational functions).
    """

    game: Game = field(repr=False)
    parameters: tuple[str, ...]
    box: tuple[tuple[Fraction, Fraction], ...]
    fixed: Mapping[str, Fraction]
    regions: tuple[Region, ...]
    boundaries: tuple[Boundary, ...]
    exact: bool
    complete: bool
    warnings: tuple[str, ...] = ()

    def path_at(self, values: Mapping[str, Fraction | int]) -> tuple[str, ...] | None:
        """The equilibrium path the regions give at a point of the box (None: undefined or unknown).

        With one parameter this reads the intervals and boundaries, ends
        included. With two it reads the inequalities shown, which are exact
        off the curves where they are equalities; on such a curve the answer
        is None when the regions disagree there.
        """
        point = tuple(Fraction(values[n]) for n in self.parameters)
        if any(not lo <= v <= hi for v, (lo, hi) in zip(point, self.box, strict=True)):
            return None
        if len(point) == 1:
            return self._path_1d(point[0])
        found = set()
        named = dict(zip(self.parameters, point, strict=True))
        try:
            prob = self.game.numbers({**self.fixed, **named}, exact=True).edge_prob
        except GameError:
            prob = None
        for region in self.regions:
            if region.undefined:
                continue
            for part in region.parts:
                if all(i.holds(named) for i in part.inequalities):
                    # The profile is that of the cell; which of its decisions are reached
                    # can change on curves where a chance probability is 0.
                    found.add(region.path if prob is None else _reached(self.game, prob, part.profile))
        return found.pop() if len(found) == 1 else None

    def _path_1d(self, x: Fraction) -> tuple[str, ...] | None:
        here = _rational_point(x)
        for boundary in self.boundaries:
            if _compare(boundary.point, here) == 0:
                return boundary.at_point
        for region in self.regions:
            assert region.low is not None and region.high is not None
            a, b = _compare(here, region.low.point), _compare(here, region.high.point)
            inside = (a > 0 or (a == 0 and region.low.closed)) and (
                b < 0 or (b == 0 and region.high.closed)
            )
            if inside:
                return None if region.undefined else region.path
        return None


def _reached(game: Game, prob: Any, profile: Profile) -> tuple[str, ...]:
    """The decisions of a profile reached with positive probability, given exact chance probabilities."""
    actions = dict(c.partition("=")[::2] for c in profile.choices)
    reach = [False] * game.num_nodes
    reach[0] = True
    path = []
    for i in range(game.num_nodes):
        if not reach[i]:
            continue
        kind = int(game.kind[i])
        if kind == NodeKind.DECISION:
            s = game.infosets.at(int(game.infoset[i]))
            action = actions[s.name]
            path.append(f"{s.name}={action}")
            reach[int(game.first_child[i]) + s.actions.index(action)] = True
        elif kind == NodeKind.CHANCE:
            for c in game.children_of(i):
                reach[c] = prob[c] > 0
    return tuple(path)


# ---------------------------------------------------------------------------------
# The game at a point, and symbolic gaps of a profile
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Solution:
    """Backward induction at one point: the profile, its path and the ties (or why it failed)."""

    choice: Choice | None
    path: tuple[str, ...] | None
    ties: frozenset[tuple[int, int, int]]  # (node, chosen position, other position)
    error: str = ""


@dataclass(frozen=True)
class _Gap:
    node: int
    chosen: int
    alternative: int
    strict: bool
    expr: Sym


@dataclass
class _ProfileData:
    choice: Choice
    profile: Profile
    gaps: list[_Gap]
    zero_keys: set[Key] = field(default_factory=set)


class _Context:
    """A game with some parameters fixed, as exact symbolic and numeric evaluations."""

    def __init__(
        self,
        game: Game,
        fixed: Mapping[str, Fraction],
        box: Sequence[tuple[str, Fraction, Fraction]],
        max_seconds: float | None = None,
    ):
        self.game = game
        self.fixed = dict(fixed)
        self.names = [name for name, _, _ in box]
        self.symbols = [sp.Symbol(n) for n in self.names]
        self.box = [(lo, hi) for _, lo, hi in box]
        self.box_points = [(_rational_point(lo), _rational_point(hi)) for lo, hi in self.box]
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.signer = _Signer(deadline, max_seconds)
        self.n_players = len(game.players)
        self.decision = np.flatnonzero(game.kind == NodeKind.DECISION).tolist()
        subs = {sp.Symbol(k): sp.Rational(v.numerator, v.denominator) for k, v in self.fixed.items()}
        n = self.n_players
        self.leaf: dict[int, list[Sym]] = {}
        for t in game.terminals.tolist():
            flat = game.path_payoff_exprs(t)
            self.leaf[t] = [sp.Add(*[e.sym for e in flat[p::n]]).xreplace(subs) for p in range(n)]
        self.prob: dict[int, Sym] = {}
        for c, e in enumerate(game.chance_probability):
            if e is not None:
                self.prob[c] = e.sym.xreplace(subs)
        self.terminal_row = {t: k for k, t in enumerate(game.terminals.tolist())}
        self.solutions: dict[Key, _Solution] = {}
        self.profiles: dict[Choice, _ProfileData] = {}
        self._critical: dict[tuple[Sym, bool], tuple[list[Point], frozenset[Key]]] = {}

    # -- numbers at a point ----------------------------------------------------------
    def solve(self, point: Sequence[Fraction | Point]) -> _Solution:
        """Backward induction (first best action) at a point, exactly."""
        self.signer.check()
        key = tuple(("q", p) if isinstance(p, Fraction) else p.key for p in point)
        got = self.solutions.get(key)
        if got is None:
            got = self.solutions[key] = self._solve(point)
        return got

    def _solve(self, point: Sequence[Fraction | Point]) -> _Solution:
        rational = [p if isinstance(p, Fraction) else p.rational for p in point]
        game = self.game
        if all(q is not None for q in rational):
            values = {**self.fixed, **dict(zip(self.names, rational, strict=True))}
            try:
                numbers = game.numbers(values, exact=True)  # type: ignore[arg-type]
            except GameError as err:
                try:
                    game.numbers(values, exact=False)  # type: ignore[arg-type]
                except GameError:
                    return _Solution(None, None, frozenset(), str(err))
            else:
                from policy.solvers.exact_size import check_exact_size

                # The same bound on exact numbers as solving.
                check_exact_size(game, numbers, instead="use policy sweep (floats) instead")
                leaf = {t: list(numbers.leaf_payoff[k]) for t, k in self.terminal_row.items()}
                return self._induct(leaf, numbers.edge_prob, Fraction(0))
        subs = {
            s: (sp.Rational(p.numerator, p.denominator) if isinstance(p, Fraction) else p.value)
            for s, p in zip(self.symbols, point, strict=True)
        }
        where = ", ".join(
            f"{n} = {p if isinstance(p, Fraction) else p.text}" for n, p in zip(self.names, point, strict=True)
        )
        leaf = {t: [e.xreplace(subs) for e in row] for t, row in self.leaf.items()}
        prob: dict[int, Sym] = {c: e.xreplace(subs) for c, e in self.prob.items()}
        sign = self.signer.sign
        for t, row in leaf.items():
            try:
                for v in row:
                    sign(v)  # raises when not a finite real number
            except _Undefined:
                return _Solution(None, None, frozenset(), f"{game.location(t)}.payoffs: undefined at {where}")
        for node in np.flatnonzero(game.kind == NodeKind.CHANCE).tolist():
            kids = game.children_of(node)
            try:
                bad = any(sign(prob[c]) < 0 or sign(1 - prob[c]) < 0 for c in kids)
                bad = bad or sign(sp.Add(*[prob[c] for c in kids]) - 1) != 0
            except _Undefined:
                bad = True
            if bad:
                return _Solution(
                    None, None, frozenset(), f"{game.location(node)}.probabilities: not a distribution at {where}"
                )
        probs: list[Any] = [prob.get(c, 1) for c in range(game.num_nodes)]
        return self._induct(leaf, probs, sp.Integer(0))

    def _induct(self, leaf: Mapping[int, list[Any]], prob: Any, zero: Any) -> _Solution:
        game = self.game
        sign = self.signer.sign
        n = game.num_nodes
        values: list[Any] = [None] * n
        chosen: dict[int, int] = {}
        ties: set[tuple[int, int, int]] = set()
        kind, first, count, player = game.kind, game.first_child, game.num_children, game.player
        for i in range(n - 1, -1, -1):
            k = int(kind[i])
            if k == NodeKind.TERMINAL:
                values[i] = leaf[i]
                continue
            f = int(first[i])
            kids = range(f, f + int(count[i]))
            if k == NodeKind.CHANCE:
                values[i] = [sum((prob[c] * values[c][p] for c in kids), zero) for p in range(self.n_players)]
                continue
            p = int(player[i])
            best = f
            for c in kids[1:]:
                if sign(values[c][p] - values[best][p]) > 0:
                    best = c
            for c in kids:
                if c != best and sign(values[best][p] - values[c][p]) == 0:
                    ties.add((i, best - f, c - f))
            chosen[i] = best
            values[i] = values[best]
        reach = [False] * n
        reach[0] = True
        path = []
        for i in range(n):
            if not reach[i]:
                continue
            k = int(kind[i])
            if k == NodeKind.DECISION:
                c = chosen[i]
                path.append(self._word(i, c - int(first[i])))
                reach[c] = True
            elif k == NodeKind.CHANCE:
                f = int(first[i])
                for c in range(f, f + int(count[i])):
                    reach[c] = sign(prob[c]) > 0
        choice = tuple(chosen[d] - int(first[d]) for d in self.decision)
        return _Solution(choice, tuple(path), frozenset(ties))

    def _word(self, node: int, position: int) -> str:
        s = self.game.infosets.at(int(self.game.infoset[node]))
        return f"{s.name}={s.actions[position]}"

    def tie(self, node: int, chosen: int, other: int) -> Tie:
        s = self.game.infosets.at(int(self.game.infoset[node]))
        return Tie(self.game.node_names[node], s.player.label, s.actions[chosen], s.actions[other])

    def ties(self, found: Iterable[tuple[int, int, int]]) -> tuple[Tie, ...]:
        return tuple(self.tie(*t) for t in sorted(found))

    # -- symbolic gaps -----------------------------------------------------------------
    def profile(self, choice: Choice) -> _ProfileData:
        """The gaps of a profile: the one-shot deviation conditions, symbolically."""
        got = self.profiles.get(choice)
        if got is not None:
            return got
        game = self.game
        chosen = {d: int(game.first_child[d]) + k for d, k in zip(self.decision, choice, strict=True)}
        values: list[Any] = [None] * game.num_nodes
        for i in range(game.num_nodes - 1, -1, -1):
            k = int(game.kind[i])
            if k == NodeKind.TERMINAL:
                values[i] = self.leaf[i]
            elif k == NodeKind.CHANCE:
                kids = game.children_of(i)
                values[i] = [sp.Add(*[self.prob[c] * values[c][p] for c in kids]) for p in range(self.n_players)]
            else:
                values[i] = values[chosen[i]]
        gaps = []
        for d, k in zip(self.decision, choice, strict=True):
            p = int(game.player[d])
            mine = values[chosen[d]][p]
            for j, c in enumerate(game.children_of(d)):
                if j != k:
                    gaps.append(_Gap(d, k, j, j < k, mine - values[c][p]))
        profile = Profile(tuple(self._word(d, k) for d, k in zip(self.decision, choice, strict=True)))
        data = self.profiles[choice] = _ProfileData(choice, profile, gaps)
        return data

    def expressions(self) -> list[tuple[Sym, bool]]:
        """Every distinct expression of the game, flagged True for chance probabilities."""
        out: dict[Sym, bool] = {}
        for row in self.leaf.values():
            for e in row:
                out.setdefault(e, False)
        for e in self.prob.values():
            out[e] = True
        return list(out.items())

    # -- one parameter: critical points ---------------------------------------------------
    def critical(self, expr: Sym, zeros: bool) -> tuple[list[Point], frozenset[Key]]:
        """Points where ``expr`` may change sign or definedness, and the keys of those that are
        zeros or poles of a branch (where a mover may be indifferent, or the game undefined).

        Includes the points where a ``min``/``max``/``abs`` switches, where a
        branch's denominator or a radicand or log argument vanishes, and (when
        ``zeros``) where a branch vanishes. A superset is harmless.
        """
        key = (expr, zeros)
        got = self._critical.get(key)
        if got is not None:
            return got
        x = self.symbols[0]
        low, high = self.box_points[0]
        try:
            branches, switches = _expand_kinks(expr)
        except _TooComplex:
            raise RegionsError(
                f"an expression has more than {MAX_BRANCHES} min/max/abs branches: {sp.sstr(expr)[:80]}"
            ) from None
        points: list[Point] = []
        zero_keys: set[Key] = set()
        for s in switches:
            points.extend(_zeros(s, x, low, high, self.signer))
        for b in branches:
            num, den = _fraction_parts(b)
            special = [den, *_domain_arguments(b)]
            if zeros:
                special.append(num)
            for e in special:
                found = _zeros(e, x, low, high, self.signer)
                points.extend(found)
                zero_keys.update(p.key for p in found)
        got = self._critical[key] = (points, frozenset(zero_keys))
        return got


# ---------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------
def regions(
    game: Game,
    base_values: Mapping[str, Fraction],
    vary: Sequence[tuple[str, Fraction | int, Fraction | int]],
    max_seconds: float | None = MAX_SECONDS,
) -> RegionsResult:
    """The regions of one or two parameters in which the subgame-perfect equilibrium is the same.

    Parameters
    ----------
    game
        A game of perfect information.
    base_values
        Exact values of the other parameters (e.g. :func:`policy.leaders.resolve`);
        values given for the varied ones are ignored.
    vary
        One or two ``(name, low, high)`` with ``low < high``.
    max_seconds
        Time budget (None: none), checked between steps; each step is kept
        short by :data:`MAX_DEGREE` (higher-degree polynomials are handled
        numerically, and the result says ``exact=False``).

    Returns
    -------
    RegionsResult
        Regions (intervals or inequalities) with their equilibrium paths and
        profiles, and for one parameter every boundary point.

    Raises
    ------
    RegionsError
        When ``vary`` names an unknown parameter, twice, an empty range, or
        more than two parameters, or a needed value is missing, or the time
        budget is spent.
    policy.solvers.errors.SolverError
        When the game has imperfect information.
    """
    require_perfect_information(
        game,
        "regions (exact boundaries of the backward-induction answer)",
        "for a game with information sets, `policy sweep FILE --vary NAME --method M` maps the "
        "answer of any method on a grid",
    )
    if not 1 <= len(vary) <= 2:
        raise RegionsError("regions: vary one or two parameters")
    box = []
    for name, low, high in vary:
        if name not in game.parameters:
            declared = ", ".join(game.parameters) or "none"
            raise RegionsError(f"regions: unknown parameter {name!r} (the game declares: {declared})")
        low, high = Fraction(low), Fraction(high)
        if not low < high:
            raise RegionsError(f"regions: the range of {name} is empty ({low} to {high})")
        box.append((name, low, high))
    if len(box) == 2 and box[0][0] == box[1][0]:
        raise RegionsError(f"regions: {box[0][0]} is given twice")
    varied = {name for name, _, _ in box}
    fixed = {k: Fraction(v) for k, v in base_values.items() if k not in varied and k in game.parameters}
    missing = sorted(game.used_parameters() - varied - set(fixed))
    if missing:
        raise RegionsError(f"regions: no value for parameter(s) {', '.join(missing)}")
    if max_seconds is not None and not max_seconds > 0:
        raise RegionsError("regions: the time budget must be positive")
    ctx = _Context(game, fixed, box, max_seconds)
    if len(box) == 1:
        return _regions_1d(ctx)
    return _regions_2d(ctx)


# ---------------------------------------------------------------------------------
# One parameter
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Piece:
    low: Point
    high: Point
    sample: Fraction
    solution: _Solution


def _regions_1d(ctx: _Context) -> RegionsResult:
    name = ctx.names[0]
    low, high = ctx.box_points[0]
    critical: dict[Key, Point] = {}
    for expr, is_probability in ctx.expressions():
        for e in (expr, 1 - expr) if is_probability else (expr,):
            critical.update((p.key, p) for p in ctx.critical(e, zeros=is_probability)[0])
    domain = set(critical)  # poles, switches, and where a chance probability is 0 or 1
    while True:
        inside = [p for p in critical.values() if _in_range(p, low, high, closed=False)]
        cuts = [low, *_sorted_unique(inside), high]
        pieces = []
        new = False
        for a, b in itertools.pairwise(cuts):
            s = _simplest_between(a, b)
            solution = ctx.solve((s,))
            pieces.append(_Piece(a, b, s, solution))
            if solution.choice is not None and solution.choice not in ctx.profiles:
                data = ctx.profile(solution.choice)
                for gap in data.gaps:
                    points, zero_keys = ctx.critical(gap.expr, zeros=True)
                    critical.update((p.key, p) for p in points)
                    data.zero_keys |= zero_keys
                new = True
        if not new:
            break
    boundaries, at = _boundaries_1d(ctx, pieces, domain)
    regions_out = _merge_1d(ctx, pieces, at)
    warnings = []
    if not ctx.signer.exact:
        why = (
            f"a polynomial of degree above {MAX_DEGREE}, or an expression"
            if ctx.signer.high_degree
            else "a transcendental expression"
        )
        warnings.append(
            f"not exact: some zeros were located numerically ({why} too hard for exact algebra): "
            "points marked ~ are approximate, and a zero where the sign does not change may be missed"
        )
    return RegionsResult(
        game=ctx.game,
        parameters=(name,),
        box=tuple(ctx.box),
        fixed=ctx.fixed,
        regions=tuple(regions_out),
        boundaries=tuple(boundaries),
        exact=ctx.signer.exact,
        complete=ctx.signer.exact,
        warnings=tuple(warnings),
    )


def _boundaries_1d(
    ctx: _Context, pieces: list[_Piece], watch: set[Key]
) -> tuple[list[Boundary], dict[Key, _Solution]]:
    """The points where something happens, and the solution at every evaluated cut.

    A cut is solved when the pieces on its sides differ, when it is a zero or
    pole of a gap of their profile (a mover may be indifferent there), when it
    is in ``watch`` (the game's own special points), or when it is rational
    (solving there costs little).
    """
    name = ctx.names[0]
    out: list[Boundary] = []
    at: dict[Key, _Solution] = {}

    def zero_keys(s: _Solution) -> set[Key]:
        return ctx.profiles[s.choice].zero_keys if s.choice is not None else set()

    for i in range(len(pieces) + 1):
        left = pieces[i - 1].solution if i > 0 else None
        right = pieces[i].solution if i < len(pieces) else None
        point = pieces[i].low if i < len(pieces) else pieces[-1].high
        changes = left is None or right is None or (left.choice, left.path) != (right.choice, right.path)
        if not changes and left is not None and left.error:
            continue  # inside a stretch where the game is undefined
        touched = point.key in watch or any(point.key in zero_keys(s) for s in (left, right) if s is not None)
        if not changes and not touched and point.rational is None:
            continue
        if not point.exact:
            if not changes:
                continue
            # Known only numerically: what happens at the point itself is not decided.
            here = _Solution(None, None, frozenset(), "")
        else:
            here = at[point.key] = ctx.solve((point,))
        sides = [s for s in (left, right) if s is not None]
        lasting = frozenset.intersection(*(s.ties for s in sides))
        ties = here.ties - lasting
        same_here = all((here.choice, here.path) == (s.choice, s.path) for s in sides)
        if not ties and same_here and not (left is not None and right is not None and changes):
            continue
        if here.error or any(s.error for s in sides):
            kind = "undefined"
        elif left is not None and right is not None and left.choice != right.choice:
            kind = "path" if left.path != right.path else "profile"
        elif len({s.path for s in sides} | {here.path}) > 1 and point.exact:
            kind = "path"
        else:
            kind = "tie"
        note = here.error
        if not point.exact:
            note = "located numerically: the point itself is not decided"
        elif not note and all((here.choice, here.path) != (s.choice, s.path) for s in sides):
            note = f"at the point itself: {', '.join(here.path or ())}"
        out.append(
            Boundary(
                parameter=name,
                point=point,
                kind=kind,
                left=_profile_of(ctx, left),
                right=_profile_of(ctx, right),
                left_path=left.path if left is not None else None,
                right_path=right.path if right is not None else None,
                at_point=here.path,
                ties=ctx.ties(ties),
                note=note,
            )
        )
    return out, at


def _profile_of(ctx: _Context, s: _Solution | None) -> Profile | None:
    if s is None or s.choice is None:
        return None
    return ctx.profile(s.choice).profile


def _merge_1d(ctx: _Context, pieces: list[_Piece], at: Mapping[Key, _Solution]) -> list[Region]:
    """Maximal intervals with one path (or undefined), each split into parts by profile."""
    name = ctx.names[0]

    def closed(point: Point, match: Any) -> bool:
        here = at.get(point.key)
        return here is not None and bool(match(here))

    out: list[Region] = []
    for _, group in itertools.groupby(pieces, key=lambda p: (p.solution.path, p.solution.error != "")):
        run = list(group)
        first, last = run[0], run[-1]
        solution = first.solution
        if solution.error:
            low = Endpoint(first.low, closed(first.low, lambda s: bool(s.error)))
            high = Endpoint(last.high, closed(last.high, lambda s: bool(s.error)))
            text = _interval_text(name, low, high)
            out.append(
                Region((), (), text, low, high, undefined=solution.error, samples=({name: first.sample},))
            )
            continue
        path = solution.path or ()
        low = Endpoint(first.low, closed(first.low, lambda s, p=path: not s.error and s.path == p))
        high = Endpoint(last.high, closed(last.high, lambda s, p=path: not s.error and s.path == p))
        parts = []
        for _, sub in itertools.groupby(run, key=lambda p: p.solution.choice):
            chunk = list(sub)
            choice = chunk[0].solution.choice
            assert choice is not None
            ties = set().union(*(p.solution.ties for p in chunk))
            part_low = Endpoint(chunk[0].low, closed(chunk[0].low, lambda s, c=choice: s.choice == c))
            part_high = Endpoint(chunk[-1].high, closed(chunk[-1].high, lambda s, c=choice: s.choice == c))
            sample = min((p.sample for p in chunk), key=lambda q: (q.denominator, abs(q)))
            parts.append(
                Part(ctx.profile(choice).profile, {name: sample}, part_low, part_high, (), ctx.ties(ties))
            )
        out.append(Region(path, tuple(parts), _interval_text(name, low, high), low, high))
    return out


def _interval_text(name: str, low: Endpoint, high: Endpoint) -> str:
    left = "<=" if low.closed else "<"
    right = "<=" if high.closed else "<"
    return f"{low.point.text} {left} {name} {right} {high.point.text}"


# ---------------------------------------------------------------------------------
# Two parameters
# ---------------------------------------------------------------------------------
class _Arrangement:
    """Sample points of every open cell of the arrangement of polynomial curves in a box.

    The first parameter ``x`` is projected: its critical values are where
    curves cross, turn vertical, go to infinity or cross the box's top or
    bottom edge. Between neighbouring critical values the curves do not meet,
    so on one vertical line they cut the box into the same sectors as anywhere
    else in that strip, and one point per sector samples every cell.
    """

    def __init__(self, x: Sym, y: Sym, box: Sequence[tuple[Fraction, Fraction]], signer: _Signer):
        self.x, self.y = x, y
        (self.xlo, self.xhi), (self.ylo, self.yhi) = box
        self.xpoints = (_rational_point(self.xlo), _rational_point(self.xhi))
        self.ypoints = (_rational_point(self.ylo), _rational_point(self.yhi))
        self.signer = signer
        self.factors: dict[Key, Sym] = {}
        self.critical: dict[Key, Point] = {}
        self._ysections: dict[tuple[Key, Fraction], list[Point]] = {}

    def add(self, expr: Sym) -> None:
        """Add the curves where a rational function is zero or undefined.

        Raises ``_NotRational`` if it is not a rational function with rational coefficients.
        """
        num, den = _fraction_parts(expr)
        for part in (num, den):
            try:
                poly = sp.Poly(part, self.y, self.x, domain=sp.QQ)
            except _POLY_ERRORS:
                raise _NotRational from None
            if poly.total_degree() > MAX_DEGREE:
                raise _HighDegree
            for f in _integer_factors(poly):
                key = _poly_key(f)
                if key not in self.factors:
                    self._add_factor(key, f)

    def _xroots(self, expr: Sym) -> None:
        low, high = self.xpoints
        for p in _real_roots(expr, self.x, low, high, closed=False):
            self.critical.setdefault(p.key, p)

    def _add_factor(self, key: Key, f: Sym) -> None:
        y = self.y
        e = f.as_expr()
        if f.degree(y) == 0:
            self._xroots(e)
        else:
            self._xroots(sp.Poly(e, y).LC())
            if f.degree(y) >= 2:
                self._xroots(sp.discriminant(e, y))
            for edge in (self.ylo, self.yhi):
                self._xroots(e.xreplace({y: sp.Rational(edge.numerator, edge.denominator)}))
            for g in self.factors.values():
                if g.degree(y) >= 1:
                    self._xroots(sp.resultant(e, g.as_expr(), y))
        self.factors[key] = f

    def cells(self) -> list[tuple[Fraction, Fraction]]:
        """One rational point in every open cell."""
        low, high = self.xpoints
        inside = [p for p in self.critical.values() if _in_range(p, low, high, closed=False)]
        xcuts = [low, *_sorted_unique(inside), high]
        out: list[tuple[Fraction, Fraction]] = []
        for a, b in itertools.pairwise(xcuts):
            xs = _simplest_between(a, b)
            sections: list[Point] = []
            for key, f in self.factors.items():
                if f.degree(self.y) >= 1:
                    sections.extend(self._section(key, f, xs))
            ycuts = [self.ypoints[0], *_sorted_unique(sections), self.ypoints[1]]
            out.extend((xs, _simplest_between(c, d)) for c, d in itertools.pairwise(ycuts))
        return out

    def _section(self, key: Key, f: Sym, xs: Fraction) -> list[Point]:
        got = self._ysections.get((key, xs))
        if got is None:
            e = f.as_expr().xreplace({self.x: sp.Rational(xs.numerator, xs.denominator)})
            low, high = self.ypoints
            got = self._ysections[(key, xs)] = _real_roots(e, self.y, low, high, closed=False)
        return got


class _Condition:
    """One gap of a profile in two parameters: its sign at sample points, and how to show it."""

    def __init__(self, gap: _Gap, gens: tuple[Sym, Sym], signer: _Signer):
        self.gap = gap
        self.gens = gens
        self.signer = signer
        self.function = _fraction_function(gap.expr, gens)
        self.parts: tuple[Sym, Sym] | None = None
        self.den_function: _Function | None = None
        if not _has_kink(gap.expr):
            num, den = _fraction_parts(gap.expr)
            if num.is_polynomial(*gens) and den.is_polynomial(*gens):
                self.parts = (num, den)
                self.den_function = _fraction_function(den, gens)

    def sign(self, point: tuple[Fraction, Fraction]) -> int:
        if self.function is not None:
            value = self.function(point)
            return (value > 0) - (value < 0)
        subs = {g: sp.Rational(v.numerator, v.denominator) for g, v in zip(self.gens, point, strict=True)}
        return self.signer.sign(self.gap.expr.xreplace(subs))

    def holds(self, point: tuple[Fraction, Fraction]) -> bool:
        try:
            s = self.sign(point)
        except _Undefined:
            return False
        return s > 0 or (s == 0 and not self.gap.strict)

    def display(self, samples: Sequence[tuple[Fraction, Fraction]]) -> Sym:
        """An expression with the sign of the gap: a primitive polynomial when it can be."""
        if self.parts is None or self.den_function is None:
            return self.gap.expr
        num, den = self.parts
        signs = {self.den_function(s) > 0 for s in samples}
        expr = num if signs == {True} else -num if signs == {False} else num * den
        try:
            poly = sp.Poly(expr, *self.gens, domain=sp.QQ)
        except _POLY_ERRORS:
            return expr
        if poly.is_zero:
            return sp.Integer(0)
        poly = poly.clear_denoms(convert=True)[1]
        content = poly.primitive()[0]
        return sp.expand(poly.as_expr() / abs(content))


_Function = Callable[[Sequence[Fraction]], Fraction]


def _fraction_function(expr: Sym, gens: Sequence[Sym]) -> _Function | None:
    """``expr`` as a function of exact values of ``gens``, in ``Fraction`` arithmetic.

    Built once by walking the sympy tree into closures (nothing is compiled or
    evaluated from text); None unless ``expr`` uses only rationals, ``gens``,
    ``+``, ``*``, integer powers, ``min``, ``max`` and ``abs``. The function
    raises ``_Undefined`` on division by zero.
    """
    index = {g: k for k, g in enumerate(gens)}

    def build(e: Sym) -> _Function:
        if e.is_Rational:
            q = _fraction(e)
            return lambda v: q
        if e.is_Symbol and e in index:
            k = index[e]
            return lambda v: v[k]
        if e.is_Pow and e.exp.is_Integer:
            base, n = build(e.base), int(e.exp)
            return lambda v: base(v) ** n
        if isinstance(e, sp.Abs):
            inner = build(e.args[0])
            return lambda v: abs(inner(v))
        args = [build(a) for a in e.args]
        if e.is_Add:
            return lambda v: sum((a(v) for a in args), Fraction(0))
        if e.is_Mul:
            return lambda v: functools.reduce(lambda x, y: x * y, (a(v) for a in args), Fraction(1))
        if isinstance(e, sp.Min):
            return lambda v: min(a(v) for a in args)
        if isinstance(e, sp.Max):
            return lambda v: max(a(v) for a in args)
        raise _NotRational

    try:
        function = build(expr)
    except _NotRational:
        return None

    def run(values: Sequence[Fraction]) -> Fraction:
        try:
            return function(values)
        except ZeroDivisionError:
            raise _Undefined("division by zero") from None

    return run


def _grid(box: Sequence[tuple[Fraction, Fraction]], n: int) -> list[tuple[Fraction, Fraction]]:
    (xlo, xhi), (ylo, yhi) = box
    xs = [xlo + (xhi - xlo) * k / (n - 1) for k in range(n)]
    ys = [ylo + (yhi - ylo) * k / (n - 1) for k in range(n)]
    return [(a, b) for a in xs for b in ys]


def _regions_2d(ctx: _Context) -> RegionsResult:
    x, y = ctx.symbols
    arrangement = _Arrangement(x, y, ctx.box, ctx.signer)
    cells_exact = True

    def add_curves(exprs: Iterable[Sym]) -> None:
        nonlocal cells_exact
        if not cells_exact:
            return
        try:
            for expr in exprs:
                branches, switches = _expand_kinks(expr)
                for e in [*switches, *branches]:
                    arrangement.add(e)
        except (_NotRational, _TooComplex, _HighDegree):
            cells_exact = False

    domain: list[Sym] = []
    for expr, is_probability in ctx.expressions():
        if is_probability:
            domain.extend((expr, 1 - expr))  # where a probability reaches 0 or 1
        elif expr.free_symbols:
            domain.append(_fraction_parts(expr)[1])  # where a payoff is undefined
            domain.extend(_switches_or_none(expr))
    add_curves(domain)

    solved: dict[tuple[Fraction, Fraction], _Solution] = {}

    def visit(points: Iterable[tuple[Fraction, Fraction]]) -> bool:
        new = False
        for point in points:
            if point in solved:
                continue
            solution = solved[point] = ctx.solve(point)
            if solution.choice is not None and solution.choice not in ctx.profiles:
                data = ctx.profile(solution.choice)
                add_curves(g.expr for g in data.gaps)
                new = True
        return new

    visit(_grid(ctx.box, SEED_GRID))
    samples: list[tuple[Fraction, Fraction]] = []
    while cells_exact:
        samples = arrangement.cells()
        if not visit(samples):
            break
    warnings = []
    if not cells_exact:
        grid = _grid(ctx.box, FALLBACK_GRID)
        visit(grid)
        samples = sorted(set(grid) | set(solved))
        warnings.append(
            "the gaps are not rational functions of the varied parameters (or have too many "
            f"min/max/abs branches, or a degree above {MAX_DEGREE}): profiles were found on a {FALLBACK_GRID}x{FALLBACK_GRID} grid, "
            "so a region smaller than its spacing may be missing"
        )
    region_list, more = _describe_2d(ctx, samples, {s: solved[s] for s in samples})
    warnings.extend(more)
    if not ctx.signer.exact:
        warnings.append("some signs were decided numerically")
    return RegionsResult(
        game=ctx.game,
        parameters=tuple(ctx.names),
        box=tuple(ctx.box),
        fixed=ctx.fixed,
        regions=tuple(region_list),
        boundaries=(),
        exact=ctx.signer.exact,
        complete=cells_exact and ctx.signer.exact,
        warnings=tuple(warnings),
    )


def _switches_or_none(expr: Sym) -> list[Sym]:
    try:
        return _expand_kinks(expr)[1]
    except _TooComplex:
        return []


def _describe_2d(
    ctx: _Context,
    samples: Sequence[tuple[Fraction, Fraction]],
    solved: Mapping[tuple[Fraction, Fraction], _Solution],
) -> tuple[list[Region], list[str]]:
    """One part per profile (its binding inequalities), grouped into regions by path."""
    names = ctx.names
    gens = (ctx.symbols[0], ctx.symbols[1])
    warnings: list[str] = []
    by_choice: dict[Choice, list[tuple[Fraction, Fraction]]] = {}
    undefined: dict[str, list[tuple[Fraction, Fraction]]] = {}
    for s in samples:
        solution = solved[s]
        if solution.choice is None:
            undefined.setdefault(solution.error, []).append(s)
        else:
            by_choice.setdefault(solution.choice, []).append(s)
    defined = [s for s in samples if solved[s].choice is not None]
    parts_by_path: dict[tuple[str, ...], list[Part]] = {}
    for choice, mine in by_choice.items():
        data = ctx.profile(choice)
        conditions = [_Condition(g, gens, ctx.signer) for g in data.gaps]
        truth = [[c.holds(s) for s in defined] for c in conditions]
        member = [solved[s].choice == choice for s in defined]
        keep = [k for k, row in enumerate(truth) if not all(row)]
        for k in sorted(keep, key=lambda k: -sum(truth[k])):
            others = [j for j in keep if j != k]
            implied = all(
                truth[k][i] for i in range(len(defined)) if all(truth[j][i] for j in others)
            )
            if implied:
                keep = others
        described = [all(truth[j][i] for j in keep) for i in range(len(defined))]
        if described != member:
            warnings.append(
                f"the inequalities of profile {', '.join(data.profile.choices)} do not match every "
                "sample point (a bug: please report it)"
            )
        inequalities = []
        for k in keep:
            c = conditions[k]
            expr = c.display(defined)
            inequalities.append(_inequality(ctx, c.gap, expr, gens))
        path_counts = Counter(solved[s].path for s in mine)
        path = path_counts.most_common(1)[0][0] or ()
        if len(path_counts) > 1:
            warnings.append(
                f"profile {', '.join(data.profile.choices)} has different paths in different "
                "places (a chance probability is zero on part of its region); shown with its most "
                "frequent path"
            )
        ties = set().union(*(solved[s].ties for s in mine))
        sample = min(mine, key=lambda p: (p[0].denominator + p[1].denominator, abs(p[0]) + abs(p[1])))
        parts_by_path.setdefault(path, []).append(
            Part(
                data.profile,
                dict(zip(names, sample, strict=True)),
                inequalities=tuple(inequalities),
                ties=ctx.ties(ties),
            )
        )
    out = []
    for path, parts in parts_by_path.items():
        text = " or ".join(f"({p.text})" if len(parts) > 1 else p.text for p in parts)
        out.append(Region(path, tuple(parts), text))
    for error, where in undefined.items():
        pts = tuple(dict(zip(names, s, strict=True)) for s in where)
        out.append(Region((), (), "undefined", undefined=error, samples=pts))
    return out, warnings


def _inequality(ctx: _Context, gap: _Gap, expr: Sym, gens: tuple[Sym, Sym]) -> Inequality:
    tie = ctx.tie(gap.node, gap.chosen, gap.alternative)
    ranges = dict(zip(gens, ctx.box_points, strict=True))
    solved = _solve_for(expr, gap.strict, gens, ranges, ctx.signer)
    if solved is not None:
        name, op, _, shown = solved
        text = f"{name} {op} {shown}"
    else:
        text = _relation_text(expr, gap.strict)
    return Inequality(
        expr=expr,
        strict=gap.strict,
        node=tie.node,
        player=tie.player,
        action=tie.action,
        alternative=tie.alternative,
        text=text,
        solved=solved,
    )


def _show(expr: Sym, at: Mapping[Sym, Sym]) -> str:
    """A bound as text: ``(55*r - 29)/35``, ``(5*r + 3)/(5 - 5*r)`` (denominator positive at ``at``)."""
    if expr.is_Number:
        return str(sp.sstr(expr))
    num, den = _fraction_parts(expr)
    if den.is_Number:
        return str(sp.sstr(sp.factor(expr)))
    if den.xreplace(at).is_negative:
        num, den = -num, -den

    def wrapped(e: Sym) -> str:
        text = str(sp.sstr(sp.expand(e)))
        return text if e.is_Atom or e.is_Pow else f"({text})"

    return f"{wrapped(num)}/{wrapped(den)}"


def _solve_for(
    expr: Sym, strict: bool, gens: Sequence[Sym], ranges: Mapping[Sym, tuple[Point, Point]], signer: _Signer
) -> tuple[str, str, Sym, str] | None:
    """``expr >= 0`` as ``g >= bound`` or ``g <= bound`` for a parameter ``g`` that enters it
    linearly, with a coefficient that keeps one sign over the box; None if there is none."""
    if _has_kink(expr) or not expr.is_polynomial(*gens):
        return None
    expanded = sp.expand(expr)
    for g in reversed(gens):
        (other,) = [h for h in gens if h != g]
        if sp.degree(expanded, g) != 1:
            continue
        coefficient = expanded.coeff(g, 1)
        rest = sp.expand(expanded - coefficient * g)
        if rest.has(g) or coefficient.has(g):
            continue
        low, high = ranges[other]
        if coefficient.has(other):
            try:
                if _real_roots(coefficient, other, low, high, closed=True):
                    continue
            except (*_POLY_ERRORS, _HighDegree):
                continue
        middle = _simplest_between(low, high)
        at = {other: sp.Rational(middle.numerator, middle.denominator)}
        coefficient_sign = signer.sign(coefficient.xreplace(at))
        if coefficient_sign == 0:
            continue
        bound = sp.cancel(-rest / coefficient)
        op = (">" if strict else ">=") if coefficient_sign > 0 else ("<" if strict else "<=")
        return str(g), op, bound, _show(bound, at)
    return None


def _relation_text(expr: Sym, strict: bool) -> str:
    """``expr >= 0`` with positive terms on the left and negative ones on the right."""
    op = ">" if strict else ">="
    terms = sp.Add.make_args(sp.expand(expr))
    plus = [t for t in terms if not t.could_extract_minus_sign()]
    minus = [-t for t in terms if t.could_extract_minus_sign()]
    left = sp.sstr(sp.Add(*plus)) if plus else "0"
    right = sp.sstr(sp.Add(*minus)) if minus else "0"
    return f"{left} {op} {right}"


def _conjunction_text(inequalities: Sequence[Inequality]) -> str:
    """Inequalities joined by "and", a lower and an upper bound on one parameter as one range."""
    lower: dict[str, list[Inequality]] = {}
    upper: dict[str, list[Inequality]] = {}
    for i in inequalities:
        if i.solved is not None:
            (lower if i.solved[1].startswith(">") else upper).setdefault(i.solved[0], []).append(i)
    used: set[int] = set()
    texts = []
    for i in inequalities:
        if id(i) in used:
            continue
        if i.solved is not None:
            name = i.solved[0]
            lows, highs = lower.get(name, []), upper.get(name, [])
            if len(lows) == 1 and len(highs) == 1:
                lo, hi = lows[0], highs[0]
                assert lo.solved is not None and hi.solved is not None
                left = "<" if lo.solved[1] == ">" else "<="
                texts.append(f"{lo.solved[3]} {left} {name} {hi.solved[1]} {hi.solved[3]}")
                used.update((id(lo), id(hi)))
                continue
        texts.append(i.text)
        used.add(id(i))
    return " and ".join(texts)


# ---------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------
def regions_text(result: RegionsResult) -> str:
    """The regions and boundaries as plain text, one region per line (one parameter) or block."""
    names = result.parameters
    box = ", ".join(f"{n} in [{lo}, {hi}]" for n, (lo, hi) in zip(names, result.box, strict=True))
    fixed = ", ".join(f"{k} = {v}" for k, v in sorted(result.fixed.items()))
    lines = [result.game.title, f"regions of {box}", f"fixed: {fixed or 'nothing'}", ""]
    for region in result.regions:
        if region.undefined:
            lines.append(f"{region.text}: undefined ({region.undefined})")
            continue
        path = ", ".join(region.path) or "(no decision)"
        if len(names) == 1:
            lines.append(f"{region.text}: {path}")
            if len(region.parts) > 1:
                for part in region.parts:
                    lines.append(f"    {part.text}: {', '.join(part.profile.choices)}")
        else:
            lines.append(f"{path}:")
            for part in region.parts:
                lines.append(f"    where {part.text}")
                if len(region.parts) > 1:
                    lines.append(f"      profile {', '.join(part.profile.choices)}")
        for part in region.parts:
            for t in part.ties:
                lines.append(f"    indifferent on a stretch, first action taken: {t.text}")
    if result.boundaries:
        lines.extend(["", "boundaries:"])
        lines.extend(f"  {b.text}" for b in result.boundaries)
    if not result.exact:
        lines.append("")
        lines.append("not exact: some points were located numerically (marked ~)")
    lines.extend(f"warning: {w}" for w in result.warnings)
    return "\n".join(lines)
