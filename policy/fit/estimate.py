"""Maximum-likelihood estimation of a game's payoffs (the library entry points).

:func:`fit` reads nothing: it takes a game, a :class:`~policy.fit.spec.FitSpec`
and a :class:`~policy.fit.data.Table`, maximises the likelihood of
:mod:`policy.fit.likelihood` with scipy's BFGS from zero starting values, and
returns a frozen :class:`FitResult`. Gradients and the Hessian are central
finite differences, computed in one vectorized pass over a batch of parameter
vectors. Standard errors come from the inverse of the negative Hessian, or from
a case bootstrap on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from policy.fit.data import Design, Table, build_design
from policy.fit.likelihood import (
    PROBABILITY_FLOOR,
    TreeModel,
    check_spec,
    compile_model,
    loglik_gradient,
    path_cases,
    run,
    terminal_probabilities,
)
from policy.fit.spec import FitError, FitSpec
from policy.model import Game, NodeKind

FloatArray = npt.NDArray[np.float64]

GRADIENT_STEP = 1e-6
"""Relative step of the central differences for the gradient."""
HESSIAN_STEP = 1e-4
"""Relative step of the second differences of the log-likelihood (the check on the Hessian)."""
HESSIAN_GRADIENT_STEP = 1e-6
"""Relative step of the forward differences of the exact gradient that make the Hessian."""
GRADIENT_TOLERANCE = 1e-6
"""BFGS stops when the largest gradient component (of the total log-likelihood) is below this."""
IDENTIFICATION_RATIO = 1e-9
"""The negative Hessian counts as singular when its smallest eigenvalue is below this times its largest."""
DIVERGENCE_LIMIT = 1e4
"""An estimate larger than this in magnitude is reported as divergence (separation)."""
SEPARATION_PROBABILITY = 1.0 - 1e-7
"""A node where every case's observed action has at least this probability is separated."""
BATCH_CELLS = 2_000_000
"""Cases x parameter vectors evaluated at once (bounds memory)."""


@dataclass(frozen=True)
class FitResult:
    """Estimates of a fit, with their uncertainty and the fit's summary numbers."""

    names: tuple[str, ...]
    estimates: FloatArray
    std_errors: FloatArray
    vcov: FloatArray
    loglik: float
    num_cases: int
    dropped: int
    link: str
    errors: str
    converged: bool
    iterations: int
    message: str
    boot: FloatArray | None = None
    """(replicates, K) bootstrap estimates, when asked for (all of them, kept or not)."""
    boot_status: tuple[str, ...] = ()
    """Per bootstrap replicate: "converged", "not converged" or "diverged"."""
    fixed: tuple[tuple[str, float], ...] = ()
    """Payoffs held fixed, with their values (those the spec names, and the game's own)."""
    game_title: str = ""
    _model: TreeModel | None = field(default=None, repr=False, compare=False)
    _design: Design | None = field(default=None, repr=False, compare=False)

    @property
    def num_params(self) -> int:
        return len(self.names)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.num_params

    @property
    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.names, self.estimates.tolist(), strict=True))

    @property
    def boot_kept(self) -> npt.NDArray[np.bool_] | None:
        """Which bootstrap replicates converged (the others are left out of the spread)."""
        if self.boot is None:
            return None
        return np.array([s == "converged" for s in self.boot_status], dtype=bool)

    @property
    def boot_counts(self) -> dict[str, int]:
        """How many bootstrap replicates converged, did not converge, and diverged."""
        return {what: sum(1 for s in self.boot_status if s == what)
                for what in ("converged", "not converged", "diverged")}

    @property
    def boot_std_errors(self) -> FloatArray | None:
        """Spread of the converged bootstrap replicates (NaN with fewer than two)."""
        kept = self.boot_kept
        if self.boot is None or kept is None:
            return None
        if kept.sum() < 2:
            return np.full(self.boot.shape[1], np.nan)
        return np.asarray(np.std(self.boot[kept], axis=0, ddof=1), dtype=np.float64)

    @property
    def boot_warning(self) -> str | None:
        """A one-line warning when some bootstrap replicates were left out, else None."""
        if self.boot is None:
            return None
        counts = self.boot_counts
        dropped = len(self.boot_status) - counts["converged"]
        if not dropped:
            return None
        return (f"{dropped} of {len(self.boot_status)} bootstrap resamples left out "
                f"({counts['not converged']} did not converge, {counts['diverged']} diverged); "
                f"the bootstrap standard errors use the {counts['converged']} that converged")

    def predict(self, table: Table | None = None) -> tuple[tuple[str, ...], FloatArray]:
        """Probability of each terminal for each row of ``table`` (default: the fitted rows).

        Returns the terminal names and an (n, T) array.
        """
        names, probs, _ = self.predict_rows(table)
        return names, probs

    def predict_rows(self, table: Table | None = None
                     ) -> tuple[tuple[str, ...], FloatArray, npt.NDArray[np.int64]]:
        """As :meth:`predict`, with the positions in ``table`` of the rows predicted
        (rows with a missing covariate are left out)."""
        assert self._model is not None and self._design is not None
        model, design = self._model, self._design
        if table is not None:
            design = build_design(table, model.game, model.spec, with_outcome=False,
                                  levels=self._design.levels)
        names = tuple(model.game.node_names[int(t)] for t in model.game.terminals.tolist())
        return names, terminal_probabilities(model, design, self.estimates), design.rows


class Objective:
    """Total log-likelihood of a design, for batches of parameter vectors.

    ``nodes`` restricts the sum to the choices made at those nodes; ``free``
    lets only those parameters vary (the others stay at ``base``).
    """

    def __init__(self, model: TreeModel, design: Design, nodes: set[int] | None = None,
                 free: npt.NDArray[np.int64] | None = None, base: FloatArray | None = None) -> None:
        assert design.terminal is not None
        self.model = model
        self.design = design
        masks = path_cases(model.game, design.terminal)
        if nodes is not None:
            game = model.game
            none = np.zeros(0, dtype=np.int64)
            masks = [m if int(game.parent[v]) in nodes else none for v, m in enumerate(masks)]
        self.masks = masks
        self.free = free
        self.base = base

    def _full(self, thetas: FloatArray) -> FloatArray:
        if self.free is None:
            return thetas
        assert self.base is not None
        full = np.repeat(self.base[None, :], thetas.shape[0], axis=0)
        full[:, self.free] = thetas
        return full

    def totals(self, thetas: FloatArray) -> FloatArray:
        chunk = max(1, BATCH_CELLS // max(1, self.design.num_cases))
        out = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, thetas.shape[0], chunk):
                part = run(self.model, self.design, self._full(thetas[start:start + chunk]),
                           on_path=self.masks)
                out.append(part.loglik.sum(axis=1))
        return np.concatenate(out)

    def value(self, theta: FloatArray) -> float:
        """Log-likelihood at one parameter vector (of the free parameters, if any)."""
        return float(self.totals(theta[None, :])[0])

    def value_and_gradient(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Log-likelihood and its gradient: exact (reverse mode), or with coupled
        information sets by the implicit function theorem from central differences
        of one pass at the fixed point (:func:`~policy.fit.likelihood._coupled_gradient`).
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            full = self._full(theta[None, :])[0]
            value, grad = loglik_gradient(self.model, self.design, full, self.masks)
        return value, (grad if self.free is None else grad[self.free])

    def gradient(self, theta: FloatArray) -> FloatArray:
        """Exact gradient (reverse mode) of the log-likelihood."""
        return self.value_and_gradient(theta)[1]

    def numeric_gradient(self, theta: FloatArray) -> FloatArray:
        """Central-difference gradient, one batched pass (a check on :meth:`gradient`)."""
        k = theta.shape[0]
        h = GRADIENT_STEP * np.maximum(1.0, np.abs(theta))
        steps = np.diag(h)
        f = self.totals(np.vstack([theta + steps, theta - steps]))
        return (f[:k] - f[k:]) / (2.0 * h)

    def hessian(self, theta: FloatArray) -> FloatArray:
        """Forward differences of the gradient, symmetrised (K + 1 gradients)."""
        k = theta.shape[0]
        h = HESSIAN_GRADIENT_STEP * np.maximum(1.0, np.abs(theta))
        base = self.gradient(theta)
        hess = np.empty((k, k))
        for i in range(k):
            step = np.zeros(k)
            step[i] = h[i]
            hess[:, i] = (self.gradient(theta + step) - base) / h[i]
        return (hess + hess.T) / 2.0

    def numeric_hessian(self, theta: FloatArray) -> FloatArray:
        """Second differences of the log-likelihood, one batched pass."""
        k = theta.shape[0]
        h = HESSIAN_STEP * np.maximum(1.0, np.abs(theta))
        eye = np.diag(h)
        points = [theta]
        index: dict[tuple[int, int, int, int], int] = {}
        for i in range(k):
            for j in range(i, k):
                for si in (1, -1):
                    for sj in (1, -1):
                        index[(i, j, si, sj)] = len(points)
                        points.append(theta + si * eye[i] + sj * eye[j])
        f = self.totals(np.vstack(points))
        hess = np.empty((k, k))
        for i in range(k):
            for j in range(i, k):
                val = (f[index[(i, j, 1, 1)]] - f[index[(i, j, 1, -1)]]
                       - f[index[(i, j, -1, 1)]] + f[index[(i, j, -1, -1)]]) / (4.0 * h[i] * h[j])
                hess[i, j] = hess[j, i] = val
        return hess


def fit(
    game: Game,
    spec: FitSpec,
    table: Table,
    *,
    bootstrap: int = 0,
    seed: int | None = 0,
    start: FloatArray | None = None,
) -> FitResult:
    """Estimate the payoffs ``spec`` names from the cases in ``table``.

    Raises
    ------
    FitError
        For data or a spec that do not fit the game (with the place), for
        perfect separation, and for a likelihood that cannot be maximised.
    """
    check_spec(game, spec)  # the spec against the game, before the data
    design = build_design(table, game, spec)
    model = compile_model(game, spec, design)
    _check_variation(model, design, table)
    names = tuple(_names(model, design))
    theta0 = sbi_start(model, design) if start is None else np.asarray(start, dtype=float)
    if theta0.shape != (model.num_params,):
        raise FitError("start", f"{theta0.size} starting values for {model.num_params} parameters")
    theta, ok, iterations, message = _maximise(model, design, theta0)
    _check_separation(model, design, theta, names, table)
    if model.coupled:
        unsolved = run(model, design, theta[None, :]).unsolved
        if unsolved:
            ok = False
            message += (f"; at the estimate the quantal response fixed point did not converge for "
                        f"{unsolved} of {design.num_cases} cases")
    objective = Objective(model, design)
    hess = objective.hessian(theta)
    eig = np.linalg.eigvalsh(-hess) if np.all(np.isfinite(hess)) else np.array([np.nan])
    if not np.all(np.isfinite(eig)) or eig.min() <= IDENTIFICATION_RATIO * max(eig.max(), 1e-300):
        vcov = np.full_like(hess, np.nan)
        message += ("; the Hessian is singular or not negative definite: some parameters are not "
                    "identified (a covariate in all of a mover's payoffs at one decision, say), so "
                    "there are no standard errors")
    else:
        vcov = np.asarray(np.linalg.inv(-hess), dtype=np.float64)
    boot: FloatArray | None = None
    boot_status: tuple[str, ...] = ()
    if bootstrap > 0:
        boot, boot_status = _bootstrap(model, design, theta, bootstrap, seed)
    fixed = tuple((f"{t.node}:{t.player}", float(t.value)) for t in spec.terms
                  if not t.estimated and t.value is not None)
    return FitResult(
        names=names, estimates=theta, std_errors=np.sqrt(np.diag(vcov)), vcov=vcov,
        loglik=objective.value(theta), num_cases=design.num_cases, dropped=design.dropped,
        link=spec.link, errors=spec.errors, converged=ok, iterations=iterations,
        message=message, boot=boot, boot_status=boot_status, fixed=fixed, game_title=game.title,
        _model=model, _design=design,
    )


def _names(model: TreeModel, design: Design) -> list[str]:
    est = [t for t in model.spec.terms if t.estimated]
    out = [f"{t.label}:{c}" for t, cols in zip(est, design.names, strict=True) for c in cols]
    players = model.game.players
    for i, cols in enumerate(design.scale_names):
        who = players.at(i).label if len(design.scale_names) > 1 else "all"
        out.extend(f"log(scale):{who}:{c}" for c in cols)
    return out


def sbi_start(model: TreeModel, design: Design) -> FloatArray:
    """Starting values by statistical backward induction (Signorino's SBI, as the R package).

    Decision nodes are taken bottom-up. At each, the mover's payoff terms below
    it that no lower node of theirs has fixed are fitted to the choices made
    there alone (a binary or multinomial probit or logit), with the choice
    probabilities of later movers at the values already found. Terms no node
    decides, and scale equations, start at 0.
    """
    game = model.game
    theta = np.zeros(model.num_params)
    below = _terminals_below(game)
    assert design.terminal is not None
    reaching = path_cases(game, design.terminal)
    done: set[int] = set()
    for v in range(game.num_nodes - 1, -1, -1):
        if game.kind[v] != NodeKind.DECISION:
            continue
        player = int(game.player[v])
        new = [i for i, (t, p) in enumerate(model.term_slots)
               if p == player and t in below[v] and i not in done]
        if not new:
            continue
        if not reaching[v].size:
            continue
        free = np.concatenate([np.arange(model.blocks[i].start, model.blocks[i].stop) for i in new])
        objective = Objective(model, _subset(design, reaching[v]), nodes={v}, free=free, base=theta)
        best = _bfgs(objective, theta[free], 1e-4, 200)
        if np.all(np.isfinite(best.x)) and np.max(np.abs(best.x)) < DIVERGENCE_LIMIT:
            theta[free] = best.x
        done.update(new)
    return theta


def _bfgs(objective: Objective, theta0: FloatArray, gtol: float, maxiter: int) -> Any:
    def negative(theta: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective.value_and_gradient(theta)
        return -value, -grad

    return minimize(negative, theta0, jac=True, method="BFGS",
                    options={"gtol": gtol, "maxiter": maxiter})


def _terminals_below(game: Game) -> list[set[int]]:
    below: list[set[int]] = [set() for _ in range(game.num_nodes)]
    for pos, t in enumerate(game.terminals.tolist()):
        v = int(t)
        while v >= 0:
            below[v].add(pos)
            v = int(game.parent[v])
    return below


def _maximise(model: TreeModel, design: Design, theta0: FloatArray) -> tuple[FloatArray, bool, int, str]:
    objective = Objective(model, design)

    best = _bfgs(objective, theta0, GRADIENT_TOLERANCE, 2000)
    theta = np.asarray(best.x, dtype=float)
    # BFGS may stop on lost precision near the optimum; a few Newton steps settle it.
    for _ in range(5):
        grad = objective.gradient(theta)
        if np.max(np.abs(grad)) < GRADIENT_TOLERANCE or np.max(np.abs(theta)) > DIVERGENCE_LIMIT:
            break
        hess = objective.hessian(theta)
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:
            break
        if objective.value(theta + step) < objective.value(theta):
            break
        theta = theta + step
    grad = objective.gradient(theta)
    ok = bool(np.max(np.abs(grad)) < 10 * GRADIENT_TOLERANCE * max(1.0, design.num_cases / 100))
    message = "converged" if ok else f"not converged: {best.message}"
    return theta, ok, int(best.nit), message


def _mover_terms_below(model: TreeModel, node: int) -> bool:
    """Whether the mover at ``node`` has an estimated payoff at some terminal below it."""
    game = model.game
    player = int(game.player[node])
    below = set()
    for pos, t in enumerate(game.terminals.tolist()):
        v = int(t)
        while v >= 0:
            if v == node:
                below.add(pos)
                break
            v = int(game.parent[v])
    return any(p == player and t in below for t, p in model.term_slots) or bool(model.scale_blocks)


def _surely_unbounded(model: TreeModel, node: int) -> bool:
    """Whether one action taken by every case at ``node`` surely leaves the likelihood unbounded.

    So when the mover moves nowhere else on the paths through the node (its
    payoffs below it then bear on this choice alone) and one of its estimated
    payoffs below has an intercept: moving that intercept off to infinity
    makes the observed action certain for every case. In other cases the
    check after the fit decides.
    """
    game = model.game
    if int(game.infoset[node]) in model.coupled:
        return False  # its choice shares a probability with the set's other members
    player = int(game.player[node])
    all_below = _terminals_below(game)
    below = all_below[node]
    v = int(game.parent[node])
    while v >= 0:
        if game.kind[v] == NodeKind.DECISION and int(game.player[v]) == player:
            return False
        v = int(game.parent[v])
    for w in range(game.num_nodes):
        if (w != node and game.kind[w] == NodeKind.DECISION and int(game.player[w]) == player
                and all_below[w] <= below):
            return False
    estimated = [t for t in model.spec.terms if t.estimated]
    return any(p == player and t in below and term.intercept
               for (t, p), term in zip(model.term_slots, estimated, strict=True))


def _check_variation(model: TreeModel, design: Design, table: Table) -> None:
    """A decision node whose cases all take one action: the likelihood has no maximum."""
    assert design.terminal is not None
    game = model.game
    masks = path_cases(game, design.terminal)
    for v in range(game.num_nodes):
        if game.kind[v] != NodeKind.DECISION or not masks[v].size:
            continue
        first, count = int(game.first_child[v]), int(game.num_children[v])
        taken = [int(masks[c].size) for c in range(first, first + count)]
        if sum(1 for x in taken if x) == 1 and _surely_unbounded(model, v):
            action = game.action_label[first + next(i for i, x in enumerate(taken) if x)]
            raise FitError(table.file or "data", f"perfect separation at node {game.node_names[v]}: "
                           f"all {sum(taken)} cases that reach it take {action!r}, so the payoffs "
                           "behind that choice have no finite estimate (fix them, or add cases)")


def _check_separation(model: TreeModel, design: Design, theta: FloatArray, names: tuple[str, ...],
                      table: Table) -> None:
    where = table.file or "data"
    big = np.flatnonzero(np.abs(theta) > DIVERGENCE_LIMIT)
    game = model.game
    result = run(model, design, theta[None, :], keep_edges=True)
    assert design.terminal is not None
    masks = path_cases(game, design.terminal)
    for v in range(game.num_nodes):
        if game.kind[v] != NodeKind.DECISION or not masks[v].size:
            continue
        first, count = int(game.first_child[v]), int(game.num_children[v])
        worst = 1.0
        for c in range(first, first + count):
            e = result.edge[c]
            if e is not None and masks[c].size:
                worst = min(worst, float(e[0][masks[c]].min()))
        if worst >= SEPARATION_PROBABILITY and _mover_terms_below(model, v):
            raise FitError(where, f"perfect separation at node {game.node_names[v]}: the covariates "
                           "predict every observed choice there with certainty, so the estimates "
                           "diverge (drop or fix the covariates that separate the choices)")
    if big.size:
        raise FitError(where, f"the estimate of {names[int(big[0])]} diverges (|value| > "
                       f"{DIVERGENCE_LIMIT:g}): the data separate the outcomes")


def _bootstrap(model: TreeModel, design: Design, theta: FloatArray, replicates: int,
               seed: int | None) -> tuple[FloatArray, tuple[str, ...]]:
    """Refits on case resamples; each replicate's estimates and whether it converged.

    A replicate whose estimates are not finite or exceed :data:`DIVERGENCE_LIMIT`
    is "diverged" (its resample separates the outcomes); one where BFGS stopped
    short of a maximum is "not converged".
    """
    rng = np.random.default_rng(seed)
    n = design.num_cases
    out = np.empty((replicates, theta.shape[0]))
    status = []
    for r in range(replicates):
        est, ok, _, _ = _maximise(model, _subset(design, rng.integers(0, n, size=n)), theta)
        out[r] = est
        if not np.all(np.isfinite(est)) or np.max(np.abs(est)) > DIVERGENCE_LIMIT:
            status.append("diverged")
        else:
            status.append("converged" if ok else "not converged")
    return out, tuple(status)


def _subset(design: Design, pick: npt.NDArray[np.int64]) -> Design:
    """The cases at positions ``pick`` (repeats allowed) of a design."""
    assert design.terminal is not None
    return Design(tuple(m[pick] for m in design.matrices), design.names,
                  tuple(m[pick] for m in design.scale_matrices), design.scale_names,
                  design.terminal[pick], design.rows[pick], 0, design.levels)


def summary_dict(result: FitResult) -> dict[str, Any]:
    """The result as plain JSON-ready data."""
    boot_se = result.boot_std_errors
    rows = []
    for i, name in enumerate(result.names):
        row: dict[str, Any] = {"name": name, "estimate": float(result.estimates[i]),
                               "std_error": _finite(result.std_errors[i])}
        if boot_se is not None:
            row["boot_std_error"] = _finite(boot_se[i])
        rows.append(row)
    counts = result.boot_counts
    return {
        "game": result.game_title, "link": result.link, "errors": result.errors,
        "coefficients": rows, "fixed": dict(result.fixed),
        "log_likelihood": result.loglik, "aic": result.aic, "num_cases": result.num_cases,
        "dropped_rows": result.dropped, "converged": result.converged,
        "iterations": result.iterations, "message": result.message,
        "bootstrap_replicates": 0 if result.boot is None else int(result.boot.shape[0]),
        "bootstrap_converged": counts["converged"],
        "bootstrap_not_converged": counts["not converged"],
        "bootstrap_diverged": counts["diverged"],
        "bootstrap_warning": result.boot_warning,
    }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


__all__ = ["FitResult", "fit", "summary_dict", "PROBABILITY_FLOOR"]
