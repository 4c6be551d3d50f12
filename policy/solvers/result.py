"""The one result type every solver returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from policy import tolerances
from policy.model import Game, Number

#: How a Nash method that finds one equilibrium and looks for no other ends its warning
#: (qpe, tracing); a count that finds the equilibrium the only one answers it
#: (:func:`policy.solvers.count.settled`).
MAY_HAVE_OTHERS = "the game may have others"


@dataclass(frozen=True)
class Trembles:
    """A fully mixed perturbation of a profile, by leading terms (see :mod:`policy.solvers.sequential`).

    Each action the profile never takes (flat position) is played with
    probability ``coefficient[a] * eps**order[a]``, ``order[a] > 0``,
    ``coefficient[a] > 0``; the actions it takes keep their probability.
    The limit of Bayes' beliefs along it is a consistent belief system.
    """

    order: Mapping[int, Fraction]
    coefficient: Mapping[int, Number]


@dataclass(frozen=True)
class Equilibrium:
    """A behaviour profile with what it implies, verified before it is returned.

    ``probabilities`` is the flat behaviour vector: entry ``infoset.offset + k``
    is the probability that the owner of ``infoset`` picks its ``k``-th action.
    ``reach`` is the probability of reaching each terminal (``game.terminals``
    order), ``values`` each player's expected payoff, and ``max_regret`` the
    largest gain any player could get by deviating (for ``spe``: at any node,
    i.e. the subgame-perfection check).

    ``refinement`` names what the solver promises beyond Nash (``"quasi-perfect"``),
    ``""`` if nothing; ``trembles`` is the solver's certificate for the
    beliefs off the path, if it gives one (checked by
    :func:`policy.solvers.sequential.sequential_check`).
    """

    game: Game = field(repr=False, compare=False)
    probabilities: tuple[Number, ...]
    values: tuple[Number, ...]
    reach: tuple[Number, ...]
    max_regret: Number
    refinement: str = field(default="", compare=False)
    trembles: Trembles | None = field(default=None, repr=False, compare=False)

    @cached_property
    def unreached(self) -> frozenset[str]:
        """The information sets the equilibrium reaches with probability 0.

        A node is reached exactly when some terminal below it is (the
        probabilities at every node sum to 1), so this needs only ``reach``;
        in float mode a reach of at most ``tolerances.PROFILE`` counts as 0.
        Behaviour at these sets is not chosen on the path: it is a filler
        (when the owner's own moves avoid the set), a threat that keeps others
        away, or, when a refinement justifies it, what the owner would do if
        the set were reached.
        """
        game = self.game
        hit = np.zeros(game.num_nodes, dtype=bool)
        limit: Number = Fraction(0) if self.reach and isinstance(self.reach[0], Fraction) else tolerances.PROFILE
        hit[game.terminals] = np.array([r > limit for r in self.reach], dtype=bool)
        for start, stop in reversed(game.levels[1:]):
            np.logical_or.at(hit, game.parent[start:stop], hit[start:stop])
        sets = game.infoset[hit]
        seen = np.zeros(len(game.infosets), dtype=bool)
        seen[sets[sets >= 0]] = True
        return frozenset(game.infosets.at(k).name for k in np.flatnonzero(~seen).tolist())

    @cached_property
    def behavior(self) -> dict[str, dict[str, Number]]:
        """Information set name -> action -> probability.

        Built once per equilibrium and then shared (a table looks up every set
        in it; rebuilding it per lookup made a table quadratic in the number
        of sets). Treat it as read-only.
        """
        return self._build_behavior()

    def _build_behavior(self) -> dict[str, dict[str, Number]]:
        out: dict[str, dict[str, Number]] = {}
        probabilities = self.probabilities
        for s in self.game.infosets.values():
            out[s.name] = {a: probabilities[s.offset + k] for k, a in enumerate(s.actions)}
        return out

    @property
    def payoffs(self) -> dict[str, Number]:
        """Player label -> expected payoff."""
        return {p: v for p, v in zip(self.game.players, self.values, strict=True)}

    @property
    def outcomes(self) -> dict[str, Number]:
        """Terminal node name -> probability of reaching it (all terminals, zeros included)."""
        names = self.game.node_names
        return {names[t]: r for t, r in zip(self.game.terminals.tolist(), self.reach, strict=True)}

    def choice(self, infoset: str) -> str | None:
        """The action chosen with probability 1 at an information set, or None if mixed."""
        for action, p in self.behavior[infoset].items():
            if p == 1:
                return action
        return None


@dataclass(frozen=True)
class SolveResult:
    """What a solver found: the same shape for every method.

    ``ties`` names decision nodes where a player was indifferent between best
    actions (so the equilibrium shown is not the only one); ``warnings`` says
    anything else a reader should know.
    """

    game: Game = field(repr=False)
    method: str
    exact: bool
    parameters: Mapping[str, Number]
    equilibria: tuple[Equilibrium, ...]
    warnings: tuple[str, ...] = ()
    ties: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    """Method-specific extras (e.g. ``value`` of a zero-sum game)."""

    @property
    def unique(self) -> bool:
        return len(self.equilibria) == 1 and not self.ties


def show_number(x: Number) -> str:
    """A number as people read it: ``2/3`` when exact, 6 significant digits otherwise.

    Exact numbers are written in full, however many digits they have.
    """
    if isinstance(x, Fraction):
        top = integer_text(x.numerator)
        return top if x.denominator == 1 else f"{top}/{integer_text(x.denominator)}"
    return f"{x:.6g}"


#: Integers with at most this many bits are converted by ``str`` in one go; it
#: is far below Python's default limit of 4,300 digits on ``str(int)``.
_DIRECT_BITS = 8192


def integer_text(n: int) -> str:
    """The decimal digits of ``n``, however many.

    Python refuses ``str`` of integers beyond ``sys.get_int_max_str_digits()``
    digits (a guard against slow conversions of untrusted input). Exact results
    may legitimately be longer (a product of many chance probabilities), and
    their size is bounded before solving (:mod:`policy.solvers.exact_size`), so
    long integers are split into halves by a power of ten, each converted in
    turn, without touching the interpreter-wide setting.
    """
    if n < 0:
        return "-" + integer_text(-n)
    if n.bit_length() <= _DIRECT_BITS:
        return str(n)
    # Digits of the lower half: about half the decimal digits of n.
    low_digits = int(n.bit_length() * 0.30102999566398120) // 2
    high, low = divmod(n, 10**low_digits)
    return integer_text(high) + integer_text(low).rjust(low_digits, "0")
