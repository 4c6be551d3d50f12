"""Compare leaders: solve each game under each leader profile, side by side.

For each game and leader, :func:`compare` keeps the solve result, from which
the report reads the decisions on the equilibrium path, the probability of each
outcome and each player's expected payoff; it adds the probability of each
value of each outcome fact (:func:`fact_probabilities`) and, to show which
assumptions drive the differences between two leaders, the swaps: leader A
solved again with one parameter set to leader B's value, all else A's, for
each parameter on which they differ (:class:`Swap`). With more than two
leaders, every other leader is swapped against the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from policy import tolerances
from policy.analysis.flip import FlipSearch, distances_to_flip_many
from policy.expr import ExprError
from policy.leaders import Leader, load_leader, resolve
from policy.model import (
    ConstantOutcomes,
    Game,
    GameError,
    NodeKind,
    Number,
    fewer_collections,
)
from policy.solvers import SolveResult, solve
from policy.solvers.count import Count, count_for
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium
from policy.solvers.verify import beliefs, edge_weights, reach_probabilities

#: The leaders ``policy compare`` uses when none are named.
DEFAULT_LEADERS = ("stalin", "tukhachevsky")

#: Seconds each leader's count may take in a comparison (listing the equilibria of the game);
#: CPU seconds where the count goes part by part, so its verdict does not depend on the machine's load.
COUNT_SECONDS = 2.0

Behavior = dict[str, Number]
"""Action -> probability at one information set."""


@dataclass(frozen=True)
class Decision:
    """A decision reached with positive probability in an equilibrium."""

    node: str
    player: str
    infoset: str
    reach: Number
    behavior: Behavior

    @property
    def choice(self) -> str | None:
        """The action taken for sure, or None when the mover mixes."""
        return next((a for a, p in self.behavior.items() if p == 1), None)


@dataclass(frozen=True)
class Change:
    """How the behaviour at one information set on the path differs after a swap.

    ``before`` is None when the set was not reached before the swap, ``after``
    None when it is no longer reached.
    """

    infoset: str
    player: str
    before: Behavior | None
    after: Behavior | None


@dataclass(frozen=True)
class Swap:
    """Leader ``leader`` solved again with ``parameter`` at leader ``other``'s value.

    ``changes`` lists the information sets on either equilibrium path (the
    first equilibrium of each solve) where behaviour differs, in tree order;
    it is empty when the swap leaves the path alone. ``same_as_other`` says
    whether the path is then the other leader's. ``result`` is None and
    ``error`` says why when the game cannot be solved at the mixed values (a
    chance probability out of range, say).
    """

    leader: str
    other: str
    parameter: str
    before: Fraction
    after: Fraction
    result: SolveResult | None
    changes: tuple[Change, ...] = ()
    same_as_other: bool = False
    outcomes_change: bool = False
    """Whether any outcome probability differs from the leader's own solve."""
    error: str = ""

    @property
    def path_changes(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class GameComparison:
    """One game solved under several leaders (``results[k]`` for ``leaders[k]``).

    ``facts[k]`` is :func:`fact_probabilities` of the first equilibrium under
    ``leaders[k]``; ``swaps`` holds every :class:`Swap` of the game, for each
    other leader against the first.
    """

    game: Game
    file: str
    leaders: tuple[Leader, ...]
    results: tuple[SolveResult | None, ...]
    """``results[k]``: the solve under ``leaders[k]``, or None when it failed (``failures[k]`` says why)."""
    facts: tuple[dict[str, dict[str, Number]], ...] = ()
    swaps: tuple[Swap, ...] = ()
    flips: tuple[FlipSearch, ...] = ()
    """``flips[k]``: the distance to a flip of each parameter under ``leaders[k]``."""
    counts: tuple[Count, ...] = ()
    """``counts[k]``: whether ``results[k]``'s equilibrium is the only one (:mod:`policy.solvers.count`)."""
    failures: tuple[str, ...] = ()
    """``failures[k]``: why the game could not be solved under ``leaders[k]`` (one line), or empty."""

    def failure(self, k: int) -> str:
        """Why ``leaders[k]``'s solve failed, or empty."""
        return self.failures[k] if k < len(self.failures) else ""

    def other_paths(self, k: int, most: int = 5) -> list[str]:
        """The equilibrium paths other than the one shown, for ``leaders[k]``, when several were listed."""
        result = self.results[k]
        if k >= len(self.counts) or self.counts[k].unique is not False or result is None:
            return []
        shown = path_text(result, result.equilibria[0])
        seen: list[str] = []
        for eq in self.counts[k].found:
            text = path_text(result, eq)
            if text != shown and text not in seen:
                seen.append(text)
        return seen[:most]


def path_decisions(result: SolveResult, eq: Equilibrium) -> list[Decision]:
    """The decisions an equilibrium reaches, in tree order (breadth-first)."""
    game = result.game
    numbers = game.numbers(result.parameters, exact=result.exact)
    weight = edge_weights(game, numbers, eq.probabilities)
    behavior = eq.behavior
    if result.exact:
        # The decisions reached, from the terminals' reach; each one's reach down its own
        # path only (a campaign reaches a few hundred of its nodes), not a Fraction per node.
        nodes = _reached_decisions(result, eq).tolist()
        reach: Mapping[int, Number] | np.ndarray = _path_reach(game, weight, nodes)
    else:
        every = reach_probabilities(game, weight)
        nodes = np.flatnonzero((game.kind == NodeKind.DECISION) & (every > 0)).tolist()
        reach = every
    out = []
    for n in nodes:
        s = game.infosets.at(int(game.infoset[n]))
        out.append(Decision(game.node_names[n], s.player.label, s.name, reach[n], behavior[s.name]))
    return out


def _path_reach(game: Game, weight: np.ndarray, nodes: Sequence[int]) -> dict[int, Number]:
    """The exact probability of reaching each of ``nodes``: the product of the edge weights
    down its path, as :func:`policy.solvers.verify.reach_probabilities` forms it (an edge of
    weight 1 passes its parent's reach on as it is)."""
    parent = game.parent
    reach: dict[int, Number] = {0: weight[0]}

    def at(n: int) -> Number:
        got = reach.get(n)
        if got is None:
            above = at(int(parent[n]))
            own = weight[n]
            got = reach[n] = above if own == 1 or above == 0 else own * above
        return got

    return {n: at(n) for n in nodes}


def path_text(result: SolveResult, eq: Equilibrium) -> str:
    """An equilibrium path in words: ``infoset=action`` for each decision reached, in tree order.

    A mixed choice is written by its support, ``infoset=a/b`` (its
    probabilities vary continuously with the parameters; the support does
    not). These are the words :mod:`policy.analysis.sweep` and
    :mod:`policy.analysis.flip` compare paths by.
    """
    game = result.game
    behavior = eq.behavior
    words = []
    for n in _reached_decisions(result, eq).tolist():
        name = game.infosets.at(int(game.infoset[n])).name
        actions = behavior[name]
        choice = next((a for a, p in actions.items() if p == 1), None)
        words.append(f"{name}={choice or '/'.join(a for a, p in actions.items() if p > 0)}")
    return ", ".join(dict.fromkeys(words))


def _reached_decisions(result: SolveResult, eq: Equilibrium) -> np.ndarray:
    """The decision nodes an equilibrium reaches with positive probability, in tree order.

    Exact: a node is reached exactly when some terminal below it is (the
    probabilities below every node add up to 1), so the terminals' reach,
    which the equilibrium holds, is folded up the tree as yes or no, with no
    probability computed again. Float: from the nodes' reach, as
    :func:`path_decisions` finds them.
    """
    game = result.game
    if not result.exact:
        numbers = game.numbers(result.parameters, exact=False)
        reach = reach_probabilities(game, edge_weights(game, numbers, eq.probabilities))
        return np.flatnonzero((game.kind == NodeKind.DECISION) & (reach > 0))
    reached = np.zeros(game.num_nodes, dtype=bool)
    # A reach is never negative, so being nonzero is being positive (bool of a Fraction is far cheaper
    # than > 0). Most terminals hold one shared zero object: those are told by identity, the rest by bool.
    terminal_reach = eq.reach
    zero = next((r for r in terminal_reach if not r), None)
    ends = np.array([r is not zero for r in terminal_reach], dtype=bool)
    for k in np.flatnonzero(ends).tolist():
        ends[k] = bool(terminal_reach[k])
    reached[game.terminals] = ends
    for inner, cstart, cstop in game.levels_bottom_up():
        reached[inner] = np.logical_or.reduceat(reached[cstart:cstop], game.first_child[inner] - cstart)
    return np.flatnonzero((game.kind == NodeKind.DECISION) & reached)


def shared_beliefs(result: SolveResult, eq: Equilibrium) -> dict[str, dict[str, Number]]:
    """Beliefs at the information sets with several nodes that an equilibrium reaches.

    Information set -> member node -> probability of being there given that
    the set is reached (Bayes' rule on the profile; see
    :func:`policy.solvers.verify.beliefs`). Sets of one node are left out
    (the belief there is 1), and so are sets reached with probability 0.
    """
    game = result.game
    if game.is_perfect_information:
        return {}
    numbers = game.numbers(result.parameters, exact=result.exact)
    return {
        name: probs
        for name, probs in beliefs(game, numbers, eq.probabilities).items()
        if len(game.infosets[name].members) > 1
    }


def instances_named(c: GameComparison, flips: int | None = None) -> list[int]:
    """For a campaign, the stage instances a comparison names, in order of first mention.

    Those of the decisions on each leader's equilibrium path, then those
    whose choices change after each leader's first ``flips`` flips (every
    flip: None). Empty for a plain game. A reader of ``barbarossa-190.plan``
    needs to know where that copy of the stage is played
    (:meth:`policy.campaign.Campaign.story`).
    """
    from policy.campaign import campaign_of

    campaign = campaign_of(c.game)
    if campaign is None:
        return []
    sets: list[str] = []
    for r in c.results:
        if r is not None:
            sets += [d.infoset for d in path_decisions(r, r.equilibria[0])]
    for search in c.flips:
        before = set(search.path.split(", ")) if search.path else set()
        for f in search.flips[:flips]:
            sets += [w.partition("=")[0] for w in f.path_after.split(", ") if w not in before]
    return campaign.instances_of_sets(sets)


def on_path(result: SolveResult, eq: Equilibrium) -> dict[str, Behavior]:
    """Information set -> behaviour, for the sets an equilibrium reaches, in tree order."""
    return {d.infoset: d.behavior for d in path_decisions(result, eq)}


def terminal_facts(game: Game) -> list[dict[str, str]]:
    """The facts of each terminal (``game.terminals`` order).

    A terminal's facts are those of its own outcome and of outcomes attached
    above it; where both state a fact, the one nearer the terminal counts.
    """
    # Top-down, once per node (parents come first in the breadth-first arrays): a node
    # without an outcome shares its parent's facts; one with an outcome lists its own
    # first, then those above it that it does not state.
    return [dict(facts) for facts in _kept_terminal_facts(game)]


def _kept_terminal_facts(game: Game) -> tuple[dict[str, str], ...]:
    """:func:`terminal_facts`, made once per game and shared (not to be changed)."""
    kept = game._cache.get("terminal_facts")
    if kept is None:
        outcome = game.outcome.tolist()
        parent = game.parent.tolist()
        stated = list(_outcome_facts(game)) or [()] * len(game.outcomes)
        above: list[dict[str, str]] = [{}] * game.num_nodes
        for n in range(game.num_nodes):
            inherited = above[parent[n]] if n else {}
            o = outcome[n]
            if o >= 0 and stated[o]:
                facts: dict[str, str] = {}
                for key, value in stated[o]:
                    facts.setdefault(key, value)
                for key, value in inherited.items():
                    facts.setdefault(key, value)
                above[n] = facts
            else:
                above[n] = inherited
        kept = game._cache["terminal_facts"] = tuple(above[t] for t in game.terminals.tolist())
    return kept  # type: ignore[return-value]


def _outcome_facts(game: Game) -> Iterator[tuple[tuple[str, str], ...]]:
    """Each outcome's facts, in order; of outcomes held as arrays (a Gambit file's, 10^6 of
    them), without making an Outcome object for each."""
    outcomes = game.outcomes
    if isinstance(outcomes, ConstantOutcomes):
        if outcomes.facts is not None:
            yield from outcomes.facts
        return
    for o in outcomes:
        yield o.facts


def fact_values(game: Game) -> dict[str, list[str]]:
    """Each fact the game's outcomes state, with its values, in order of first use."""
    kept: dict[str, list[str]] | None = game._cache.get("fact_values")  # type: ignore[assignment]
    if kept is None:
        kept = {}
        for facts in _outcome_facts(game):
            for key, value in facts:
                values = kept.setdefault(key, [])
                if value not in values:
                    values.append(value)
        game._cache["fact_values"] = kept
    return {key: list(values) for key, values in kept.items()}  # the caller's own copy


def fact_probabilities(game: Game, eq: Equilibrium) -> dict[str, dict[str, Number]]:
    """Fact -> value -> probability that the play ends in an outcome stating it.

    Every value of every fact is listed, zeros included. Terminals that do not
    state a fact add nothing to it, so a fact's probabilities sum to less than
    1 when some reachable terminal leaves it out.
    """
    zero: Number = eq.reach[0] * 0 if eq.reach else Fraction(0)
    out = {key: {v: zero for v in values} for key, values in fact_values(game).items()}
    if not out:
        return out  # no fact stated: no walk over the terminals (a Gambit file's 10^6)
    for facts, p in zip(_kept_terminal_facts(game), eq.reach, strict=True):
        if not p:
            # A terminal not reached adds nothing (exactly: x + 0 is x, in floats too, and
            # the sums start at +0). A campaign reaches a few dozen of its 70,924.
            continue
        for key, value in facts.items():
            out[key][value] += p
    return out


def same_behavior(a: Mapping[str, Behavior], b: Mapping[str, Behavior]) -> bool:
    """Whether two paths reach the same sets and behave the same there (floats within tolerance)."""
    return list(a) == list(b) and all(_same(a[s], b[s]) for s in a)


def _same(x: Behavior, y: Behavior) -> bool:
    return all(_close(x[k], y[k]) for k in x)


def _close(x: Number, y: Number) -> bool:
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return x == y
    return abs(float(x) - float(y)) <= tolerances.PROFILE


def path_changes(game: Game, before: Mapping[str, Behavior], after: Mapping[str, Behavior]) -> list[Change]:
    """The sets where two paths differ, in the game's order of information sets."""
    out = []
    for s in game.infosets.values():
        b, a = before.get(s.name), after.get(s.name)
        if b is None and a is None:
            continue
        if b is not None and a is not None and _same(b, a):
            continue
        out.append(Change(s.name, s.player.label, b, a))
    return out


def compare(
    games: Sequence[tuple[str | Path, Game]],
    leaders: Sequence[str | Path | Leader] = DEFAULT_LEADERS,
    method: str = "auto",
    exact: bool | None = None,
    swaps: bool = True,
    flips: bool = True,
    count: bool = True,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> list[GameComparison]:
    """Solve every game under every leader.

    Parameters
    ----------
    games
        ``(file, game)`` pairs, as read by :func:`policy.loading.load`.
    leaders
        Bundled leader keys, profile paths, or profiles already read.
    method, exact, options
        As for :func:`policy.solvers.solve`; the swaps use the same.
    swaps
        Whether to solve the swaps (see :class:`Swap`).
    flips
        Whether to search each leader's distance to a flip
        (:func:`policy.analysis.flip.distances_to_flip_many`, with the same
        ``method``, ``exact`` and ``options``; a parameter whose search fails
        is reported in ``FlipSearch.failed`` and the others go on).
    count
        Whether to say, for each leader, if the equilibrium shown is the only
        one (:func:`policy.solvers.count.count_for`, within
        :data:`COUNT_SECONDS` each), and list the other paths when several
        equilibria are found.
    progress
        Called with a few words before each step (a solve under a leader, the
        swaps, the search for flips, the count), for a status line.
    """
    with fewer_collections():
        return _compare(games, leaders, method, exact, swaps, flips, count, options, progress or _quiet)


def _quiet(step: str) -> None:
    """No status line."""


def _compare(
    games: Sequence[tuple[str | Path, Game]],
    leaders: Sequence[str | Path | Leader],
    method: str,
    exact: bool | None,
    swaps: bool,
    flips: bool,
    count: bool,
    options: Mapping[str, Any],
    progress: Callable[[str], None],
) -> list[GameComparison]:
    profiles = tuple(x if isinstance(x, Leader) else load_leader(x) for x in leaders)
    out = []
    for file, game in games:
        values = [resolve(game, leader) for leader in profiles]
        solved = []
        for leader, v in zip(profiles, values, strict=True):
            progress(f"{game.title}: solving under {leader.name}")
            solved.append(_solve_or_why(game, v, method, exact, options))
        results = tuple(r for r, _ in solved)
        failures = tuple(why for _, why in solved)
        facts = tuple(fact_probabilities(game, r.equilibria[0]) if r is not None else {} for r in results)
        found: list[Swap] = []
        first = results[0]
        if swaps and first is not None and len(profiles) > 1:
            progress(f"{game.title}: what drives the differences (the swaps)")
            for k in range(1, len(profiles)):
                other = results[k]
                if other is None:
                    continue
                found += swap_values(
                    game,
                    (profiles[0].key, values[0], first),
                    (profiles[k].key, values[k], other),
                    method=method,
                    exact=exact,
                    **options,
                )
        searches: tuple[FlipSearch, ...] = ()
        if flips:
            progress(f"{game.title}: each parameter's distance to a flip")
            searches = _flips_or_why(game, values, results, method, exact, options)
        counts: tuple[Count, ...] = ()
        if count:
            progress(f"{game.title}: counting the equilibria")
            counts = tuple(_count_or_why(r, v) for v, r in zip(values, results, strict=True))
        out.append(
            GameComparison(
                game, display_path(file), profiles, results, facts, tuple(found), searches, counts, failures
            )
        )
    return out


#: The errors that fail one piece of a comparison (marked in its place) rather than the command.
PIECE_ERRORS = (GameError, SolverError, ExprError)


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def _solve_or_why(
    game: Game, values: Mapping[str, Fraction], method: str, exact: bool | None, options: Mapping[str, Any]
) -> tuple[SolveResult | None, str]:
    """A leader's solve, or None and why it failed (a probability out of range at its values, say)."""
    try:
        return solve(game, values, method=method, exact=exact, **options), ""
    except PIECE_ERRORS as err:
        return None, _one_line(err)


def _flips_or_why(
    game: Game, values: Sequence[Mapping[str, Fraction]], results: Sequence[SolveResult | None], method: str,
    exact: bool | None, options: Mapping[str, Any],
) -> tuple[FlipSearch, ...]:
    """Each leader's distances to a flip (searched side by side), or a search marked as not run, with the reason."""
    solved = [k for k, r in enumerate(results) if r is not None]
    paths = {k: path_text(r, r.equilibria[0]) for k, r in enumerate(results) if r is not None}
    try:
        found: list[FlipSearch | Exception] = distances_to_flip_many(
            game, [values[k] for k in solved], method=method, exact=exact, paths=[paths[k] for k in solved], **options
        )
    except PIECE_ERRORS as err:
        found = [err] * len(solved)
    searches = dict(zip(solved, found, strict=True))
    out = []
    for k in range(len(results)):
        search = searches.get(k)
        if search is None:
            out.append(FlipSearch("", (), (), {}, skipped="not searched: the game could not be solved at these values"))
        elif isinstance(search, Exception):
            out.append(FlipSearch(paths[k], (), (), {}, skipped=f"not searched: {_one_line(search)}"))
        else:
            out.append(search)
    return tuple(out)


def _count_or_why(result: SolveResult | None, values: Mapping[str, Fraction]) -> Count:
    """Whether a leader's equilibrium is the only one; undecided, with the reason, when that cannot be told."""
    if result is None:
        return Count("equilibria", None, "not counted: the game could not be solved at these values")
    try:
        return count_for(result, values, max_seconds=COUNT_SECONDS)
    except PIECE_ERRORS as err:
        return Count("equilibria", None, f"not counted: {_one_line(err)}")


def swap_values(
    game: Game,
    first: tuple[str, Mapping[str, Fraction], SolveResult],
    second: tuple[str, Mapping[str, Fraction], SolveResult],
    method: str = "auto",
    exact: bool | None = None,
    **options: Any,
) -> list[Swap]:
    """For each parameter on which two leaders differ, the first leader with the second's value.

    ``first`` and ``second`` are ``(leader key, parameter values, solve result)``.
    Only parameters whose values differ are solved again, in the game's order.
    """
    key_a, values_a, result_a = first
    key_b, values_b, result_b = second
    base = on_path(result_a, result_a.equilibria[0])
    target = on_path(result_b, result_b.equilibria[0])
    base_reach = result_a.equilibria[0].reach
    out = []
    for name in game.parameters:
        if values_a.get(name) == values_b.get(name) or name not in values_b:
            continue
        mixed = dict(values_a)
        mixed[name] = values_b[name]
        swap = Swap(key_a, key_b, name, values_a[name], values_b[name], None)
        try:
            result = solve(game, mixed, method=method, exact=exact, **options)
        except (GameError, SolverError, ExprError) as err:
            out.append(replace(swap, error=" ".join(str(err).split())))
            continue
        eq = result.equilibria[0]
        path = on_path(result, eq)
        # Equal tuples first (identical objects are not compared: spe's reaches share one zero).
        moved = eq.reach != base_reach and any(not _close(x, y) for x, y in zip(eq.reach, base_reach, strict=True))
        out.append(
            replace(
                swap,
                result=result,
                changes=tuple(path_changes(game, base, path)),
                same_as_other=same_behavior(path, target),
                outcomes_change=moved,
            )
        )
    return out


def display_path(file: str | Path) -> str:
    """A file as a reader wants to see it: relative to the working directory or the project."""
    from policy.bundled import data_root

    path = Path(file).resolve()
    for base in (Path.cwd(), data_root()):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(file)
