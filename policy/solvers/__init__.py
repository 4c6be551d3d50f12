"""Solvers: every method takes a game and parameter values and returns a :class:`SolveResult`.

Names follow Gambit's so its users feel at home:

========== ====================================================================
spe        subgame-perfect: backward induction with perfect information, else
           proper subgames solved bottom-up with a Nash method
lcp        2 players: sequence-form LCP by Lemke's algorithm (one equilibrium;
           ``--all``: more from other starts)
lp         2-player constant-sum: sequence-form linear program (game value)
enummixed  2 players: all extreme equilibria of the reduced strategic form
enumpure   any players: all pure equilibria of the reduced strategic form
enumpoly   any players: all isolated equilibria of a small reduced strategic
           form (supports and polynomial systems, sympy)
gnm        any players: global Newton method on the reduced strategic form
simpdiv    any players: simplicial subdivision with restarts on the reduced
           strategic form
logit      any players: logit quantal response path to a Nash equilibrium, or
           the QRE at a given lambda
qpe        2 players: a quasi-perfect (so sequential) equilibrium, sequence-form
           LCP with a symbolic perturbation (Miltersen and Sørensen 2010); in
           floats the same path, with an exact fallback
perfect    2 players: every extreme equilibrium of the reduced strategic form
           that is normal-form perfect: no player's strategy weakly dominated
           (van Damme 1991, Theorem 3.2.2); exact test
auto       spe with perfect information; else lp if 2-player constant-sum,
           qpe if 2 players (lcp if too big for qpe, or with --all); with
           more players spe when at most two players move in each
           imperfect-information subgame (:func:`auto_reason`), logit otherwise
========== ====================================================================

Each method accepts games up to a stated size of its own representation
(:mod:`policy.solvers.sizes`); :func:`solve` checks it before solving and, for
a game too big, names the methods that do fit.

Solver modules are imported when first used, so importing this package is cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from policy.model import Game, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult

__all__ = [
    "METHODS",
    "REFINEMENTS",
    "Equilibrium",
    "Method",
    "SolveResult",
    "SolverError",
    "auto_reason",
    "choose_method",
    "fitting_methods",
    "solve",
]


@dataclass(frozen=True)
class Method:
    """A solving method: where its function lives and what it accepts."""

    name: str
    module: str
    function: str
    summary: str
    exact_default: bool = True
    options: frozenset[str] = frozenset()
    #: Whether the method takes only games of exactly two players.
    two_players: bool = False

    def load(self) -> Callable[..., SolveResult]:
        func: Callable[..., SolveResult] = getattr(importlib.import_module(self.module), self.function)
        return func


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "spe",
            "policy.solvers.subgames",
            "spe_subgames_solve",
            "subgame-perfect equilibrium (backward induction; proper subgames otherwise)",
            options=frozenset({"subgame_method"}),
        ),
        Method(
            "lcp",
            "policy.solvers.lcp",
            "lcp_solve",
            "2 players: sequence-form LCP, Lemke's algorithm",
            options=frozenset({"max_pivots"}),
            two_players=True,
        ),
        Method(
            "lp", "policy.solvers.lp", "lp_solve", "2-player constant-sum: sequence-form LP (HiGHS)", two_players=True
        ),
        Method(
            "enummixed",
            "policy.solvers.enummixed",
            "enummixed_solve",
            "2 players: all extreme equilibria of the reduced strategic form",
            options=frozenset({"max_bases", "max_seconds"}),
            two_players=True,
        ),
        Method(
            "enumpure",
            "policy.solvers.enumpure",
            "enumpure_solve",
            "any players: all pure equilibria of the reduced strategic form",
        ),
        Method(
            "logit",
            "policy.solvers.logit",
            "logit_solve",
            "any players: logit QRE path to a Nash equilibrium, or the QRE at --lambda",
            exact_default=False,
            options=frozenset({"lam", "max_lambda", "first_step", "max_accel", "max_steps"}),
        ),
        # n-player methods on the reduced strategic form (issue 12).
        Method(
            "gnm",
            "policy.solvers.gnm",
            "gnm_solve",
            "any players: global Newton method (Govindan-Wilson) on the strategic form",
            exact_default=False,
            options=frozenset({"seed", "max_steps"}),
        ),
        Method(
            "simpdiv",
            "policy.solvers.simpdiv",
            "simpdiv_solve",
            "any players: simplicial subdivision with restarts (Merrill) on the strategic form",
            options=frozenset({"max_regret", "refine"}),
        ),
        Method(
            "enumpoly",
            "policy.solvers.enumpoly",
            "enumpoly_solve",
            "any players: all isolated equilibria of a small strategic form (supports, polynomials)",
        ),
        # Refinements (issue 12).
        Method(
            "qpe",
            "policy.solvers.qpe",
            "qpe_solve",
            "2 players: a quasi-perfect equilibrium (sequence-form LCP, symbolic perturbation; --float follows the exact path)",
            options=frozenset({"max_pivots"}),
            two_players=True,
        ),
        Method(
            "perfect",
            "policy.solvers.perfect",
            "perfect_solve",
            "2 players: the extreme equilibria that are normal-form perfect (undominated strategies)",
            options=frozenset({"max_bases", "max_seconds"}),
            two_players=True,
        ),
    )
}


#: What ``solve(..., refinement=R)`` accepts (``policy solve --refine R``).
REFINEMENTS: dict[str, str] = {
    "intuitive": "signalling games: perfect Bayesian equilibria that pass the Intuitive Criterion (Cho-Kreps 1987)",
}


def choose_method(game: Game, exact: bool | None = None, all_equilibria: bool = False) -> str:
    """The method ``auto`` runs for this game (:func:`auto_reason` says why).

    ``exact``: the arithmetic asked for (None: each method's default). A
    two-player game takes ``qpe`` in both arithmetics (its float mode follows
    the exact path, so both select one equilibrium); asked for every
    equilibrium (``all_equilibria``), which ``qpe`` does not give, ``lcp``
    from several starts, as ``spe`` does in such subgames.
    """
    return _auto(game, exact, all_equilibria)[0]


def auto_reason(game: Game, exact: bool | None = None, all_equilibria: bool = False) -> str:
    """Why ``auto`` runs the method it does, in a few words."""
    return _auto(game, exact, all_equilibria)[1]


def _auto(game: Game, exact: bool | None = None, all_equilibria: bool = False) -> tuple[str, str]:
    if game.is_perfect_information:
        return "spe", "perfect information: backward induction"
    if len(game.players) == 2:
        if game.is_constant_sum:
            return "lp", "two players, constant sum"
        from policy.solvers.sizes import too_big

        if all_equilibria:
            return "lcp", "two players, every equilibrium asked (qpe gives one): lcp from several starts"
        problem = too_big("qpe", game, True)
        if problem is None:
            return "qpe", "two players, imperfect information: a quasi-perfect (so sequential) equilibrium"
        return "lcp", f"two players; too big for the refined qpe ({problem})"
    most = _most_nash_movers(game)
    if most <= 2:
        return "spe", (
            f"{len(game.players)} players, but at most {most} move in each subgame with imperfect "
            f"information ({'decision problems' if most < 2 else 'solved by lp, qpe or lcp'}), so spe"
        )
    return "logit", f"{len(game.players)} players, {most} of them moving in one subgame with imperfect information"


def _most_nash_movers(game: Game) -> int:
    """The most players moving in one part that ``spe`` hands to a Nash method.

    A part is a smallest proper subgame holding an information set with
    several members, less the proper subgames below it (solved first and
    replaced by their payoffs): its movers are the players at the decision
    nodes whose nearest proper-subgame root is the part's root.
    """
    cached = game._cache.get("nash_movers")
    if isinstance(cached, int):
        return cached
    import numpy as np

    from policy.model import NodeKind
    from policy.solvers.subgames import _structure

    structure = _structure(game)
    nearest = np.arange(game.num_nodes, dtype=np.int64)
    for start, stop in game.levels[1:]:
        up = ~structure.is_root[start:stop]
        nearest[start:stop][up] = nearest[game.parent[start:stop][up]]
    decision = np.flatnonzero(game.kind == NodeKind.DECISION)
    inside = decision[structure.nash[nearest[decision]]]
    pairs = {(int(r), int(p)) for r, p in zip(nearest[inside].tolist(), game.player[inside].tolist(), strict=True)}
    counts: dict[int, int] = {}
    for root, _ in pairs:
        counts[root] = counts.get(root, 0) + 1
    most = max(counts.values(), default=0)
    game._cache["nash_movers"] = most
    return most


def solve(
    game: Game,
    values: Mapping[str, Number],
    method: str = "auto",
    exact: bool | None = None,
    all_equilibria: bool = False,
    refinement: str | None = None,
    **options: Any,
) -> SolveResult:
    """Solve ``game`` at parameter ``values`` with ``method`` (``auto`` chooses).

    Parameters
    ----------
    exact
        Rational arithmetic or floats; ``None`` takes the method's default
        (exact for all but ``logit`` and ``gnm``).
    refinement
        ``"intuitive"``: the game must be a signalling game; keep the perfect
        Bayesian equilibria that pass the Intuitive Criterion (Cho and Kreps
        1987) and name the others with the reason
        (:mod:`policy.solvers.intuitive`). ``auto`` then lists every extreme
        equilibrium (``enummixed``; ``enumpoly`` beyond two players).
    options
        Method options: ``lam`` (logit), ``subgame_method`` (spe),
        ``max_pivots`` (lcp), ``seed`` (gnm), ``max_lambda``, ``first_step``,
        ``max_accel``, ``max_steps`` (logit; ``max_steps`` also gnm),
        ``max_regret``, ``refine`` (simpdiv). Options left at ``None`` are
        not passed on.

    Raises
    ------
    SolverError
        For an unknown method, an option the method does not take, or a game
        the method cannot handle, or one larger than the method accepts
        (:mod:`policy.solvers.sizes`; the message names the methods that fit);
        in exact arithmetic also when the numbers it would build are too large
        (:mod:`policy.solvers.exact_size`).
    """
    if refinement is not None and refinement not in REFINEMENTS:
        raise SolverError(f"unknown refinement {refinement!r} (available: {', '.join(REFINEMENTS)})")
    if refinement == "intuitive":
        from policy.solvers.intuitive import intuitive_refine, signalling_form

        signalling_form(game, values)  # refuse a game of another shape before solving
        if method == "auto":
            method = "enummixed" if len(game.players) == 2 else "enumpoly"
        result = solve(game, values, method=method, exact=exact, all_equilibria=all_equilibria, **options)
        return intuitive_refine(result)
    if method == "auto":
        method = choose_method(game, exact, all_equilibria)
    entry = METHODS.get(method)
    if entry is None:
        raise SolverError(f"unknown method {method!r} (available: auto, {', '.join(METHODS)})")
    given = {k: v for k, v in options.items() if v is not None}
    wrong = sorted(set(given) - entry.options)
    if wrong:
        flags = ", ".join("--lambda" if w == "lam" else "--" + w.replace("_", "-") for w in wrong)
        raise SolverError(f"{flags} does not apply to method {method!r}")
    mode = entry.exact_default if exact is None else exact
    _check_size(game, method, mode)
    if method == "spe":
        given["solve"] = _subgame_solver
    if mode:
        from policy.solvers.exact_size import check_exact_size

        check_exact_size(game, game.numbers(values, exact=True))
    result = entry.load()(
        game,
        values,
        exact=mode,
        all_equilibria=all_equilibria,
        **given,
    )
    if method in ENUMERATING or method in ("spe", "logit") or all_equilibria:
        return result
    return _rational_where_chance_never_goes(game, values, result, method, mode, given)


#: Methods that list equilibria of the game as they are (each one's sequential check then
#: speaks for it), rather than pick one: their behaviour behind a chance move of probability 0
#: is left as they found it (:func:`_rational_where_chance_never_goes`).
ENUMERATING = frozenset({"enummixed", "enumpure", "enumpoly", "perfect"})


def _rational_where_chance_never_goes(
    game: Game, values: Mapping[str, Number], result: SolveResult, method: str, exact: bool,
    given: Mapping[str, Any],
) -> SolveResult:
    """The equilibria with sensible choices behind every chance move of probability 0.

    No profile, not even a fully mixed one, reaches a node behind a chance move
    of probability 0, so a method that selects one equilibrium (through the
    sequence form, the strategic form, or trembles of the players: chance does
    not tremble) may leave any choice there, even a strictly worse one. The
    profile is then still a Nash equilibrium, but not subgame perfect. Where
    such a node starts a proper subgame (its subtree holds every member of
    every information set in it), the subgame is solved on its own with the
    same method (``auto`` when the method does not take it, e.g. a subgame
    where one player moves; the outermost such subgames, each with the ones
    inside it), and its behaviour replaces what was there; the
    rest of the profile, its payoffs and reach are unchanged (nothing else
    depends on those nodes), and each changed profile is verified again. A
    region that is not a proper subgame is left as it was: the sequential
    check then judges it (:mod:`policy.solvers.sequential`).
    """
    import numpy as np

    from policy.model import NodeKind
    from policy.solvers.sequential import cut_off_by_chance
    from policy.solvers.subgames import subgame_roots, subtree
    from policy.solvers.verify import verified_equilibrium

    numbers = game.numbers(values, exact=exact)
    cut = cut_off_by_chance(game, numbers)
    if not cut.any() or not (cut & (game.kind == NodeKind.DECISION)).any():
        return result
    # The outermost proper subgames behind a zero chance: each solved whole (those inside it too).
    starts = [r for r in subgame_roots(game) if cut[r]]
    inside = np.zeros(game.num_nodes, dtype=bool)
    inside[starts] = True
    above = np.zeros(game.num_nodes, dtype=bool)  # a start strictly above, level by level
    for first, stop in game.levels[1:]:
        up = game.parent[first:stop]
        above[first:stop] = above[up] | inside[up]
    roots = [r for r in starts if not above[r]]
    patches: list[tuple[int, list[Number]]] = []
    for root in roots:
        sub = subtree(game, numbers, root)
        try:
            solved = solve(sub, {}, method=method, exact=exact, **given)
        except SolverError:
            try:
                solved = solve(sub, {}, method="auto", exact=exact)
            except SolverError:
                continue
        probs = solved.equilibria[0].probabilities
        for t in sub.infosets.values():
            here = game.infosets[t.name]
            patches.append((here.offset, list(probs[t.offset : t.offset + len(t.actions)])))
    if not patches:
        return result
    equilibria = []
    for eq in result.equilibria:
        flat = list(eq.probabilities)
        for offset, part in patches:
            flat[offset : offset + len(part)] = part
        again = verified_equilibrium(game, numbers, flat, what=f"{method}, behind a chance move of probability 0,")
        equilibria.append(replace(again, refinement=eq.refinement, trembles=eq.trembles))
    return replace(result, equilibria=tuple(equilibria))


def _subgame_solver(
    game: Game, values: Mapping[str, Number], method: str, exact: bool, all_equilibria: bool = False
) -> SolveResult:
    """How ``spe`` solves each proper subgame: through this registry."""
    _check_size(game, method, exact, subgame=True)
    return solve(game, values, method=method, exact=exact, all_equilibria=all_equilibria)


def _check_size(game: Game, method: str, exact: bool, subgame: bool = False) -> None:
    """Refuse, before any solving, a game larger than ``method`` accepts in this mode.

    ``subgame``: the game is a proper subgame that ``spe`` hands to ``method``,
    which the user picks with ``--subgame-method``. A two-player method given
    a game of another size is not measured here: the method refuses it itself,
    in one line that names the methods for such games.
    """
    from policy.solvers.sizes import game_size, too_big

    entry = METHODS.get(method)
    if entry is not None and entry.two_players and len(game.players) != 2:
        return
    size = game_size(game)
    problem = too_big(method, size, exact)
    if problem is None:
        return
    mode = "exact" if exact else "float"
    others = fitting_methods(game, size, exclude=method)
    if exact and too_big(method, size, False) is None:
        others.insert(0, f"{method} --float")
    if subgame:
        others = [m for m in others if m != "spe"]
    if not others:
        hint = "; no method accepts a game this size"
    elif subgame:
        hint = "; subgame methods that fit (--subgame-method): " + ", ".join(others)
    else:
        hint = "; methods that fit: " + ", ".join(others)
    raise SolverError(f"{game.title!r} is too big for {method} ({mode}): {problem}{hint}")


def fitting_methods(game: Game, size: Any = None, exclude: str = "") -> list[str]:
    """The methods (with ``--float`` where only float mode fits) that accept ``game``.

    Methods for two players are offered only for two-player games, ``lp`` only
    for constant-sum ones and ``spe`` only with perfect information or where
    ``auto`` would choose it (otherwise its subgames go to the methods listed).
    """
    from policy.solvers.sizes import game_size, too_big

    size = game_size(game) if size is None else size
    two = len(game.players) == 2
    out = []
    for name, entry in METHODS.items():
        if name == exclude:
            continue
        if name == "spe":
            if game.is_perfect_information or choose_method(game) == "spe":
                out.append(name)
            continue
        if entry.two_players and not two:
            continue
        if name == "lp" and not game.is_constant_sum:
            continue
        if too_big(name, size, entry.exact_default) is None:
            out.append(name)
        elif entry.exact_default and too_big(name, size, False) is None:
            out.append(f"{name} --float")
    return out
