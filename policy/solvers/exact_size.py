"""How large the numbers of exact arithmetic may grow, estimated before solving.

Exact solving multiplies chance probabilities along every path: the probability
of reaching a node is the product of the probabilities on the way, and its
denominator is, in general, the product of theirs. A chain of ``d`` chance nodes
that each pick 1/3 reaches its end with probability ``3**-d``; the reach
probabilities of the whole chain hold about ``d**2 / 2`` digits together, and
the expected payoffs as many again. At ``d = 10**5`` that is billions of digits
(gigabytes of memory and hours of ``Fraction`` arithmetic, whose cost grows
faster than linearly in the digits), while the same game in floats is
instant.

So before an exact solve :func:`check_exact_size` estimates, on the game's
arrays and without any arithmetic on ``Fraction`` beyond reading bit lengths:

* each node's *path size*: the bits of the denominators of the chance
  probabilities from the root to it (``ceil(log2 q)`` for a denominator ``q``),
  plus, at a terminal, the bits of its payoffs (numerator and denominator);
  this is how large that node's reach probability, and its term in the expected
  payoffs, can be when the denominators share no factor;
* the *largest number*: the largest path size;
* the *total*: the sum of the path sizes over all nodes.

Exact solving is refused, with one line that suggests ``--float``, when the
largest number would have more than :data:`MAX_DIGITS` decimal digits or all
of them together more than ``TOTAL_FACTOR`` times that. The limit can be raised
with the environment variable ``POLICY_MAX_EXACT_DIGITS`` (:data:`ENVIRONMENT`).
Common denominators (probabilities 1/2 and 1/4 everywhere) make the true numbers
smaller than the estimate; denominators that are distinct primes can make the
expected payoffs larger (their least common multiple spans the whole tree), so
the estimate is a guard against runaway growth, not a bound.

Exact numbers that pass are printed in full
(:func:`policy.solvers.result.integer_text`), however long.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from policy import rational
from policy.model import Game, NodeKind, Numbers
from policy.solvers.errors import SolverError

#: By default no exact number may be estimated to need more decimal digits than
#: this (a few ``Fraction`` operations a second at this size)...
MAX_DIGITS = 100_000
#: ... and all of them together no more than this many times as many (a few
#: hundred megabytes while solving).
TOTAL_FACTOR = 1000
#: The environment variable that replaces :data:`MAX_DIGITS`.
ENVIRONMENT = "POLICY_MAX_EXACT_DIGITS"

_DIGITS_PER_BIT = math.log10(2)


class ExactSizeError(SolverError):
    """Exact arithmetic on this game would build numbers beyond the limit."""


@dataclass(frozen=True)
class ExactSize:
    """The estimate of :func:`estimate_exact_size`, in decimal digits.

    ``largest`` is the largest path size and ``node`` a node that has it;
    ``total`` the sum of the path sizes over all nodes.
    """

    largest: int
    total: int
    node: int


def max_digits() -> int:
    """The limit on one exact number's digits: ``POLICY_MAX_EXACT_DIGITS`` if set, else :data:`MAX_DIGITS`."""
    text = os.environ.get(ENVIRONMENT, "").strip()
    if not text:
        return MAX_DIGITS
    try:
        limit = int(text.replace("_", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise SolverError(f"{ENVIRONMENT}={text!r}: give a positive whole number of digits")
    return limit


def _bits(values: npt.NDArray[np.object_], denominator_only: bool) -> npt.NDArray[np.int64]:
    """``ceil(log2 q)`` of each denominator ``q`` (plus the numerator's bit length unless ``denominator_only``)."""
    flat = values.reshape(-1).tolist()  # Fraction or int: both have numerator and denominator
    if denominator_only:
        sizes = [(v.denominator - 1).bit_length() for v in flat]
    else:
        sizes = [(v.denominator - 1).bit_length() + v.numerator.bit_length() for v in flat]
    return np.array(sizes, dtype=np.int64).reshape(values.shape)


def _bit_lengths(values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """``int.bit_length`` of each non-negative integer of an int64 or object array."""
    if values.dtype != object and values.max(initial=0) < 2**53:  # exact in float64
        return np.frexp(values.astype(np.float64))[1].astype(np.int64)
    flat = values.reshape(-1).tolist()
    try:  # Python integers (what object arrays of exact numbers hold): the method mapped in C, 3x faster
        sizes = np.fromiter(map(int.bit_length, flat), dtype=np.int64, count=len(flat))
    except TypeError:  # anything else that converts to int
        sizes = np.array([int(v).bit_length() for v in flat], dtype=np.int64)
    return sizes.reshape(values.shape)


def _integer_bits(
    num: npt.NDArray[Any], den: npt.NDArray[Any], denominator_only: bool
) -> npt.NDArray[np.int64]:
    """:func:`_bits` of rationals held as integers in lowest terms (no ``Fraction`` made)."""
    sizes = _bit_lengths(den - 1)
    if not denominator_only:
        sizes = sizes + _bit_lengths(np.abs(num))
    return sizes


def estimate_exact_size(game: Game, numbers: Numbers) -> ExactSize:
    """Estimate how large exact solving's numbers get (see the module docstring)."""
    n = game.num_nodes
    if not n:
        return ExactSize(0, 0, -1)
    held = numbers.ratios
    edge_bits = np.zeros(n, dtype=np.int64)
    if n > 1:
        chance_kids = np.flatnonzero(game.kind[game.parent[1:]] == NodeKind.CHANCE) + 1
        if chance_kids.size and held is not None:
            edge_bits[chance_kids] = _integer_bits(held.prob_num[chance_kids], held.prob_den[chance_kids], True)
        elif chance_kids.size:
            edge_bits[chance_kids] = _bits(numbers.edge_prob[chance_kids], denominator_only=True)
    path = edge_bits
    for start, stop in game.levels[1:]:
        path[start:stop] += path[game.parent[start:stop]]
    if held is not None:  # integers already: each entry in lowest terms, as a Fraction would be
        if held.leaf_num.size:
            full = np.broadcast_to(held.leaf_den.reshape(-1, 1), held.leaf_num.shape)
            path[game.terminals] += _integer_bits(*rational.reduce(held.leaf_num, full), False).max(axis=1)
    elif numbers.leaf_payoff.size:
        leaf = numbers.leaf_payoff
        path[game.terminals] += _bits(np.asarray(leaf, dtype=object), denominator_only=False).max(axis=1)
    node = int(np.argmax(path))
    return ExactSize(
        largest=math.ceil(int(path[node]) * _DIGITS_PER_BIT),
        total=math.ceil(int(path.sum()) * _DIGITS_PER_BIT),
        node=node,
    )


def check_exact_size(
    game: Game, numbers: Numbers, limit: int | None = None, instead: str = "solve with --float"
) -> ExactSize:
    """Raise :class:`ExactSizeError` when exact solving would build too large numbers.

    Parameters
    ----------
    game, numbers
        The game and its exact payoffs and chance probabilities.
    limit
        Digits one number may have (default :func:`max_digits`); all of them
        together may have ``TOTAL_FACTOR`` times as many.
    instead
        What the message suggests doing instead.

    Returns
    -------
    ExactSize
        The estimate, when it is within the limit.
    """
    if limit is None:
        limit = max_digits()
    size = estimate_exact_size(game, numbers)
    total_limit = limit * TOTAL_FACTOR
    if size.largest <= limit and size.total <= total_limit:
        return size
    if size.largest > limit:
        what = f"numbers of about {size.largest:,} digits (limit {limit:,})"
    else:
        what = f"about {size.total:,} digits of numbers in all (limit {total_limit:,})"
    raise ExactSizeError(
        f"exact arithmetic on {game.title!r} would build {what}: chance probabilities' "
        f"denominators and payoffs multiply along the path to node {game.node_names[size.node]!r}; "
        f"{instead}, or raise the limit with {ENVIRONMENT} (digits of one number)"
    )
