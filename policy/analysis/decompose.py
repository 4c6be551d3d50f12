"""Decompose the difference between two leaders' end states: by groups of parameters, and by stage.

Two profiles A and B give a game (or campaign) different parameter values,
and so different probabilities of each end state (each value of each outcome
fact, :func:`policy.analysis.compare.fact_probabilities`). How much of each
difference comes from each group of parameters (army, preferences,
beliefs ...), and, in a campaign, from each stage?

Both answers are Shapley values (Shapley 1953), the one split of a total among
contributors that is efficient (the parts add up to the whole), symmetric,
and gives nothing to a contributor that never changes anything. The
contributors are the groups (or the stages); the worth of a coalition S is
the end-state probabilities when the parameters of S take B's values and all
others A's:

    phi_g = sum over S not containing g of |S|! (k - |S| - 1)! / k! * (v(S + g) - v(S))

so ``sum_g phi_g = v(all) - v(none)``, B's probabilities minus A's, exactly
when the solves are exact. This takes 2^k solves for k contributors (only
those whose parameters differ count; the others get 0), so k is capped at
:data:`MAX_CONTRIBUTORS`.

Groups come from the campaign's ``[groups]`` table or from the caller (the
command line's ``--group``); a differing parameter in no group is a group of
its own. For stages, the campaign is spliced again with every parameter
split by stage (:func:`policy.campaign.load_campaign` with ``split``), so that
a coalition of stages can take B's values while the other stages keep A's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policy.analysis.compare import display_path, fact_probabilities
from policy.analysis.errors import SweepError
from policy.campaign import campaign_of, load_campaign
from policy.leaders import Leader, resolve
from policy.model import Game, Number
from policy.solvers import solve

#: Most groups (or stages) decomposed over: 2^k solves.
MAX_CONTRIBUTORS = 12

Facts = dict[str, dict[str, Number]]


class DecomposeError(SweepError):
    """A decomposition that cannot run as asked; ``str()`` is one line."""


@dataclass(frozen=True)
class Part:
    """One contributor's share of each end-state difference (fact -> value -> share)."""

    name: str
    parameters: tuple[str, ...]
    share: Facts


@dataclass(frozen=True)
class Decomposition:
    """The difference B - A in each end-state probability, and its Shapley parts."""

    game: Game
    file: str
    first: Leader
    second: Leader
    method: str
    exact: bool
    facts_first: Facts
    facts_second: Facts
    groups: tuple[Part, ...]
    stages: tuple[Part, ...]

    def difference(self, fact: str, value: str) -> Number:
        return self.facts_second[fact][value] - self.facts_first[fact][value]

    def rows(self) -> list[tuple[str, str]]:
        """The (fact, value) pairs whose probability differs between the leaders."""
        return [
            (fact, value)
            for fact, values in self.facts_first.items()
            for value in values
            if self.difference(fact, value) != 0
        ]


def shapley(
    contributors: Sequence[str], worth: Callable[[frozenset[str]], Mapping[tuple[str, str], Number]]
) -> dict[str, dict[tuple[str, str], Number]]:
    """Shapley values of every contributor, for a worth that is a vector (keyed by (fact, value)).

    ``worth`` is called once per coalition (2^k times).
    """
    k = len(contributors)
    values: dict[frozenset[str], Mapping[tuple[str, str], Number]] = {}
    for mask in range(1 << k):
        coalition = frozenset(c for i, c in enumerate(contributors) if mask >> i & 1)
        values[coalition] = worth(coalition)
    keys = list(values[frozenset()])
    out: dict[str, dict[tuple[str, str], Number]] = {}
    for g in contributors:
        total: dict[tuple[str, str], Number] = {key: 0 * values[frozenset()][key] for key in keys}
        for coalition, v in values.items():
            if g in coalition:
                continue
            weight = Fraction(math.factorial(len(coalition)) * math.factorial(k - len(coalition) - 1), math.factorial(k))
            w = values[coalition | {g}]
            for key in keys:
                gain = w[key] - v[key]
                total[key] += weight * gain if isinstance(gain, Fraction) else float(weight) * gain
        out[g] = total
    return out


def _facts(
    game: Game, values: Mapping[str, Number], method: str, exact: bool | None, options: Mapping[str, Any]
) -> tuple[dict[tuple[str, str], Number], bool]:
    result = solve(game, values, method=method, exact=exact, **options)
    facts = fact_probabilities(game, result.equilibria[0])
    return {(f, v): p for f, vs in facts.items() for v, p in vs.items()}, result.exact


def _nest(flat: Mapping[tuple[str, str], Number]) -> Facts:
    out: Facts = {}
    for (fact, value), p in flat.items():
        out.setdefault(fact, {})[value] = p
    return out


def decompose(
    file: str,
    game: Game,
    first: Leader,
    second: Leader,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: str = "auto",
    exact: bool | None = None,
    **options: Any,
) -> Decomposition:
    """Decompose leader ``second``'s end-state probabilities minus ``first``'s.

    Parameters
    ----------
    file, game
        The game or campaign, as read by :func:`policy.loading.load`.
    method, exact, options
        As for :func:`policy.solvers.solve`, for every solve.
    groups
        Group name -> parameter names, beside (and before) the campaign's own
        ``[groups]``; for a campaign, names are the declared ones (``q``
        groups ``q`` and every profile's ``p__q`` alike).

    Raises
    ------
    DecomposeError
        For a group naming a parameter the game lacks, or too many contributors.
    """
    campaign = campaign_of(game)
    a, b = resolve(game, first), resolve(game, second)
    declared_groups: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (groups or {}).items()}
    origin = campaign.origin if campaign is not None else {}
    names = set(game.parameters) | set(origin.values())
    if campaign is not None:
        for name, members in campaign.groups.items():
            # A branch campaign keeps its whole campaign's [groups]; the stages it does
            # not reach take their parameters with them.
            kept = tuple(m for m in members if m in names)
            if kept:
                declared_groups.setdefault(name, kept)
    member_of: dict[str, str] = {}
    for group, members in declared_groups.items():
        for m in members:
            if m not in names:
                raise DecomposeError(f"--group {group}: unknown parameter {m!r} (the game declares: {', '.join(sorted(game.parameters))})")
            member_of.setdefault(m, group)
    differing = [p for p in game.parameters if a[p] != b[p]]
    by_group: dict[str, list[str]] = {}
    for p in differing:
        group = member_of.get(p) or member_of.get(origin.get(p, p)) or p
        by_group.setdefault(group, []).append(p)
    if len(by_group) > MAX_CONTRIBUTORS:
        raise DecomposeError(
            f"{len(by_group)} groups of parameters differ; at most {MAX_CONTRIBUTORS} can be decomposed "
            f"(2^k solves): group them with --group NAME=p,q or a [groups] table"
        )
    base, exact_used = _facts(game, a, method, exact, options)
    whole, _ = _facts(game, b, method, exact, options)

    def worth_groups(coalition: frozenset[str]) -> Mapping[tuple[str, str], Number]:
        values = dict(a)
        for g in coalition:
            for p in by_group[g]:
                values[p] = b[p]
        return _facts(game, values, method, exact, options)[0]

    group_parts = shapley(list(by_group), worth_groups) if by_group else {}
    stage_parts: dict[str, dict[tuple[str, str], Number]] = {}
    stage_params: dict[str, list[str]] = {}
    if campaign is not None and differing:
        split = load_campaign(campaign.read_from or campaign.file, split=True)
        sgame = split.game
        sa = {p: a[whole_name] for p, (whole_name, _) in split.split.items()}
        sb = {p: b[whole_name] for p, (whole_name, _) in split.split.items()}
        for p, (_, stage) in split.split.items():
            if sa[p] != sb[p]:
                stage_params.setdefault(stage, []).append(p)
        if len(stage_params) > MAX_CONTRIBUTORS:
            raise DecomposeError(f"{len(stage_params)} stages use differing parameters; at most {MAX_CONTRIBUTORS}")

        def worth_stages(coalition: frozenset[str]) -> Mapping[tuple[str, str], Number]:
            values = dict(sa)
            for s in coalition:
                for p in stage_params[s]:
                    values[p] = sb[p]
            return _facts(sgame, values, method, exact, options)[0]

        stage_parts = shapley(list(stage_params), worth_stages)
    return Decomposition(
        game=game,
        file=display_path(file),
        first=first,
        second=second,
        method=method,
        exact=exact_used,
        facts_first=_nest(base),
        facts_second=_nest(whole),
        groups=tuple(Part(g, tuple(by_group[g]), _nest(share)) for g, share in group_parts.items()),
        stages=tuple(
            Part(s, tuple(split.split[p][0] for p in stage_params[s]), _nest(share))
            for s, share in stage_parts.items()
        ),
    )

