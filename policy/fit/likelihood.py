"""Likelihood of observed outcomes under a game tree with random utilities.

Statistical backward induction (Signorino 1999, "Strategic interaction and the
statistical analysis of international conflict", APSR 93:279-297; Signorino
2003, "Structure and uncertainty in discrete choice models", Political Analysis
11:316-344). Utilities are linear in covariates; players choose with error, and
choice probabilities are computed from the bottom of the tree up, each player
folding in the choice probabilities of those who move later. Two error
structures:

- agent error: at each decision node, each action's expected utility gets an
  independent error of scale ``sigma`` (per player). Probit: normal errors, so
  with two actions P(a) = Phi((EU_a - EU_b) / (sigma sqrt 2)); with more, a
  one-dimensional integral (Gauss-Hermite). Logit: P(a) is proportional to
  exp(EU_a / (sigma sqrt 2)), the convention of the R package ``games``
  (``plogis(x, scale = sqrt(2))`` with two actions).
- private information: each player's utility of each outcome carries a normal
  error (scale ``sigma``) that only that player knows. A player's expected
  utility of an action is then normal with variance ``sigma^2 sum_t q_t^2``,
  where ``q_t`` is the chance of reaching terminal ``t`` after it, given the
  others' choice probabilities. This is exact when no player moves twice on one
  path (checked), and reproduces Signorino's closed form for the R package's
  ``egame12`` and ``egame122``.

Everything is vectorized over cases and over a batch of parameter vectors, so
that a finite-difference gradient is one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from policy.fit.data import Design
from policy.fit.qre import Layout, coupled_sets, evaluate, solve
from policy.fit.spec import FitError, FitSpec
from policy.model import Game, NodeKind

FloatArray = npt.NDArray[np.float64]

QUADRATURE_POINTS = 32
"""Gauss-Hermite points for probit nodes with more than two actions."""
PROBABILITY_FLOOR = float(np.finfo(float).eps)
"""Probabilities are kept in [eps, 1 - eps] before taking logs, as R's ``finiteProbs``."""
SQRT2 = float(np.sqrt(2.0))

_gh_x, _gh_w = np.polynomial.hermite.hermgauss(QUADRATURE_POINTS)
GH_Z = _gh_x * SQRT2
GH_W = _gh_w / np.sqrt(np.pi)


@dataclass(frozen=True)
class TreeModel:
    """A game compiled for estimation: which payoffs come from which parameters."""

    game: Game
    spec: FitSpec
    base: FloatArray
    """(T, P) fixed payoffs: the game's own (parameters at defaults) or the spec's values."""
    edge_prob: FloatArray
    """Chance probability of the edge into each node (1 below decision nodes)."""
    term_slots: tuple[tuple[int, int], ...]
    """Per estimated term: (terminal position, player index)."""
    blocks: tuple[slice, ...]
    """Per estimated term: its slice of the parameter vector."""
    scale_blocks: tuple[slice, ...]
    num_params: int
    coupled: tuple[int, ...] = ()
    """Information sets solved as a fixed point (those with several members; see :mod:`policy.fit.qre`)."""

    @property
    def num_terminals(self) -> int:
        return int(self.base.shape[0])


def check_spec(game: Game, spec: FitSpec) -> list[tuple[int, int]]:
    """Check the spec names the game's terminals and players; the (terminal, player) of each term."""
    where = spec.file
    if not game.is_perfect_information and spec.errors == "private":
        raise FitError(where, "fit.errors: private information needs a game of perfect information "
                       "(every information set a single node); use agent error")
    pos = {game.node_names[t]: i for i, t in enumerate(game.terminals.tolist())}
    slots: list[tuple[int, int]] = []
    for term in spec.terms:
        key = f"fit.payoffs.{term.node}"
        if term.node not in pos:
            raise FitError(where, f"{key}: no terminal node {term.node!r} in the game")
        if term.player not in game.players:
            raise FitError(where, f"{key}.{term.player}: no player of that name "
                           f"(players: {', '.join(game.players)})")
        slot = (pos[term.node], game.players[term.player].index)
        if slot in slots:
            raise FitError(where, f"{key}.{term.player}: given twice")
        slots.append(slot)
    if spec.errors == "private":
        _check_private(game, where)
    return slots


def compile_model(game: Game, spec: FitSpec, design: Design) -> TreeModel:
    """Check the game and spec agree, and lay out the parameter vector."""
    where = spec.file
    all_slots = check_spec(game, spec)
    terminals = game.terminals.tolist()
    values = {name: p.default for name, p in game.parameters.items() if p.default is not None}
    numbers = game.numbers(values, exact=False)
    base = np.array(numbers.leaf_payoff, dtype=np.float64).reshape(len(terminals), len(game.players))
    slots: list[tuple[int, int]] = []
    for term, slot in zip(spec.terms, all_slots, strict=True):
        if term.value is not None:
            base[slot] = term.value
        if term.estimated:
            base[slot] = 0.0
            slots.append(slot)
    if not slots and spec.scale is None:
        raise FitError(where, "fit.payoffs: nothing to estimate (no payoff has covariates)")
    blocks, start = [], 0
    for m in design.matrices:
        blocks.append(slice(start, start + m.shape[1]))
        start += m.shape[1]
    sblocks = []
    for m in design.scale_matrices:
        sblocks.append(slice(start, start + m.shape[1]))
        start += m.shape[1]
    edge = np.array(numbers.edge_prob, dtype=np.float64)
    return TreeModel(game, spec, base, edge, tuple(slots), tuple(blocks), tuple(sblocks), start,
                     coupled_sets(game))


def _check_private(game: Game, where: str) -> None:
    """Private information as computed here needs no player to move twice on a path."""
    movers: list[frozenset[int]] = [frozenset()] * game.num_nodes
    for v in range(game.num_nodes):
        parent = int(game.parent[v])
        above = movers[parent] if parent >= 0 else frozenset()
        if parent >= 0 and game.kind[parent] == NodeKind.DECISION:
            above = above | {int(game.player[parent])}
        movers[v] = above
        if game.kind[v] == NodeKind.DECISION and int(game.player[v]) in above:
            raise FitError(where, f"fit.errors: private information needs each player to move at "
                           f"most once on any path; {game.players.at(int(game.player[v])).label} "
                           f"moves again at {game.node_names[v]}")


@dataclass
class Pass:
    """The result of one pass: log-likelihood per (batch, case), and edge probabilities."""

    loglik: FloatArray
    edge: list[FloatArray | None]
    """Per node: probability of the edge into it, (B, n), when kept."""
    unsolved: int = 0
    """Cases (times batch) where the quantal response fixed point did not converge."""


def utilities(model: TreeModel, design: Design, theta: FloatArray) -> FloatArray:
    """(T, P, B, n) payoffs of each terminal for a batch of parameter vectors.

    Cases come last, so that each terminal's payoffs are contiguous in memory.
    """
    b, n = theta.shape[0], design.num_cases
    t_count, players = model.base.shape
    u = np.empty((t_count, players, b, n))
    u[...] = model.base[:, :, None, None]
    for (t, p), block, x in zip(model.term_slots, model.blocks, design.matrices, strict=True):
        u[t, p] = theta[:, block] @ x.T
    return u


def scales(model: TreeModel, design: Design, theta: FloatArray) -> FloatArray:
    """(P, B, n) error scales: exp of the scale equations, or 1."""
    b, n, players = theta.shape[0], design.num_cases, len(model.game.players)
    if not model.scale_blocks:
        return np.ones((players, b, n))
    logs = [theta[:, block] @ z.T for block, z in zip(model.scale_blocks, design.scale_matrices,
                                                        strict=True)]
    if len(logs) == 1:
        logs = logs * players
    return np.exp(np.clip(np.stack(logs), -700.0, 700.0))


def choice_probabilities(mean: Sequence[FloatArray], var: Sequence[FloatArray], link: str) -> list[FloatArray]:
    """Probability that each action has the largest ``mean + sqrt(var) * error``.

    Probit: independent normal errors. Logit (``var`` equal across actions):
    P proportional to exp(mean / sqrt(2 var)).
    """
    k = len(mean)
    if link == "logit":
        s = np.stack(mean) / np.sqrt(2.0 * np.stack(var))
        s = s - s.max(axis=0, keepdims=True)
        e = np.exp(s)
        p = e / e.sum(axis=0, keepdims=True)
        return list(p)
    if k == 2:
        sd = np.sqrt(var[0] + var[1])
        d = (mean[0] - mean[1]) / sd
        return [ndtr(d), ndtr(-d)]
    return _quadrature(mean, var)[0]


def _quadrature(mean: Sequence[FloatArray], var: Sequence[FloatArray]) -> tuple[list[FloatArray], Any]:
    """Probit choice among more than two actions, by Gauss-Hermite quadrature.

    P_a = E_z prod_{b != a} Phi((m_a + s_a z - m_b) / s_b), normalised to sum
    to 1. Returns the probabilities and what :func:`_quadrature_backward` needs.
    """
    k = len(mean)
    sds = [np.sqrt(v) for v in var]
    cdf: dict[tuple[int, int], FloatArray] = {}
    ratio: dict[tuple[int, int], FloatArray] = {}
    raw = []
    for a in range(k):
        za = mean[a][..., None] + sds[a][..., None] * GH_Z
        prod = np.ones_like(za)
        for b in range(k):
            if b != a:
                r = (za - mean[b][..., None]) / sds[b][..., None]
                ratio[a, b] = r
                cdf[a, b] = ndtr(r)
                prod = prod * cdf[a, b]
        raw.append(prod @ GH_W)
    total = np.sum(raw, axis=0)
    return [r / total for r in raw], (sds, cdf, ratio, total)


def run(
    model: TreeModel,
    design: Design,
    theta: FloatArray,
    *,
    keep_edges: bool = False,
    on_path: Sequence[npt.NDArray[np.int64]] | None = None,
) -> Pass:
    """One bottom-up pass for a batch ``theta`` of shape (B, K)."""
    game = model.game
    u = utilities(model, design, theta)
    sig = scales(model, design, theta)
    if model.coupled:
        return _run_coupled(model, u, sig, keep_edges=keep_edges, on_path=on_path)
    b, n = theta.shape[0], design.num_cases
    nn = game.num_nodes
    # Per node, freed once the parent is done: (P, B, n) values and (B, n) sums of squared reach.
    value: list[Any] = [None] * nn
    reach2: list[Any] = [None] * nn
    edge: list[FloatArray | None] = [None] * nn
    loglik = np.zeros((b, n))
    private = model.spec.errors == "private"
    terminal_pos = {int(t): i for i, t in enumerate(game.terminals.tolist())}
    ones = np.ones((b, n))
    for v in range(nn - 1, -1, -1):
        kind = game.kind[v]
        if kind == NodeKind.TERMINAL:
            value[v] = u[terminal_pos[v]]
            reach2[v] = ones
            continue
        first, count = int(game.first_child[v]), int(game.num_children[v])
        children = range(first, first + count)
        if kind == NodeKind.CHANCE:
            probs = [np.full((b, n), model.edge_prob[c]) for c in children]
        else:
            j = int(game.player[v])
            mean = [value[c][j] for c in children]
            if private:
                var = [sig[j] ** 2 * reach2[c] for c in children]
            else:
                var = [sig[j] ** 2] * count
            probs = choice_probabilities(mean, var, model.spec.link)
        total = sum(p[None] * value[c] for p, c in zip(probs, children, strict=True))
        value[v] = total
        if private:
            reach2[v] = sum(p * p * reach2[c] for p, c in zip(probs, children, strict=True))
        for p, c in zip(probs, children, strict=True):
            if on_path is not None:
                idx = on_path[c]
                if idx.size:
                    loglik[:, idx] += np.log(np.clip(p[:, idx], PROBABILITY_FLOOR, 1.0))
            if keep_edges:
                edge[c] = p
            value[c] = None
            reach2[c] = None
    return Pass(loglik, edge)


def _run_coupled(
    model: TreeModel, u: FloatArray, sig: FloatArray, *, keep_edges: bool,
    on_path: Sequence[npt.NDArray[np.int64]] | None,
) -> Pass:
    """:func:`run` for a tree with coupled information sets: the QRE per case (agent error)."""
    layout = Layout(model.game, model.coupled)
    _, edges, unsolved = solve(layout, model.edge_prob, u, sig ** 2, model.spec.link, choice_probabilities)
    b, n = u.shape[2], u.shape[3]
    loglik = np.zeros((b, n))
    if on_path is not None:
        for c in range(1, model.game.num_nodes):
            idx = on_path[c]
            if idx.size:
                loglik[:, idx] += np.log(np.clip(edges[c][:, idx], PROBABILITY_FLOOR, 1.0))
    return Pass(loglik, edges if keep_edges else [None] * model.game.num_nodes, unsolved)


COUPLED_STEP = 1e-6
"""Step (relative to the value, at least absolute) of the central differences in
:func:`_coupled_gradient`."""


def _coupled_gradient(
    model: TreeModel, design: Design, theta: FloatArray, on_path: Sequence[npt.NDArray[np.int64]],
) -> tuple[float, FloatArray]:
    """Log-likelihood and gradient through the quantal response fixed point (implicit function).

    With ``X*`` the coupled sets' probabilities at the fixed point ``X = Phi(X, theta)``
    and ``L(X, theta)`` the log-likelihood of a pass at given ``X``,
    ``dL/dtheta = dL/dtheta|_X + w' dPhi/dtheta|_X`` where ``(I - dPhi/dX)' w = dL/dX``,
    per case. The partial derivatives are central differences of one pass at
    ``X*`` (no fixed point solved again): ``2 (K + size of X)`` passes, batched.
    """
    game = model.game
    layout = Layout(game, model.coupled)
    link = model.spec.link
    n, k, size = design.num_cases, theta.shape[0], layout.size
    u = utilities(model, design, theta[None, :])
    sig = scales(model, design, theta[None, :])
    x = solve(layout, model.edge_prob, u, sig ** 2, link, choice_probabilities)[0][:, 0, :]  # (size, n)
    h_theta = COUPLED_STEP * np.maximum(1.0, np.abs(theta))
    h_x = COUPLED_STEP
    # copies: the point, +/- each theta, +/- each X
    m = 1 + 2 * k + 2 * size
    thetas = np.repeat(theta[None, :], m, axis=0)
    for i in range(k):
        thetas[1 + i, i] += h_theta[i]
        thetas[1 + k + i, i] -= h_theta[i]
    xs = np.repeat(x[:, None, :], m, axis=1)
    base = 1 + 2 * k
    for i in range(size):
        xs[i, base + i] += h_x
        xs[i, base + size + i] -= h_x
    phi, edges = evaluate(layout, model.edge_prob, utilities(model, design, thetas),
                          scales(model, design, thetas) ** 2, xs, link, choice_probabilities)
    loglik = np.zeros((m, n))
    for c in range(1, game.num_nodes):
        idx = on_path[c]
        if idx.size:
            loglik[:, idx] += np.log(np.clip(edges[c][:, idx], PROBABILITY_FLOOR, 1.0))
    d_l_theta = (loglik[1:1 + k] - loglik[1 + k:base]) / (2.0 * h_theta[:, None])           # (k, n)
    d_phi_theta = (phi[:, 1:1 + k] - phi[:, 1 + k:base]) / (2.0 * h_theta[None, :, None])   # (size, k, n)
    d_l_x = (loglik[base:base + size] - loglik[base + size:]) / (2.0 * h_x)                 # (size, n)
    jac = (phi[:, base:base + size] - phi[:, base + size:]) / (2.0 * h_x)                   # (out, in, n)
    matrix = np.eye(size)[:, :, None] - jac
    lhs = np.moveaxis(matrix, 2, 0).transpose(0, 2, 1)                                       # (n, in, out)'
    w = np.linalg.solve(lhs, d_l_x.T[:, :, None])[..., 0]                                    # (n, size)
    grad = d_l_theta.sum(axis=1) + np.einsum("nc,ckn->k", w, d_phi_theta)
    return float(loglik[0].sum()), grad


def path_cases(game: Game, terminal: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Per node: the cases (positions) whose observed terminal lies at or below it."""
    n = terminal.shape[0]
    masks = [np.zeros(n, dtype=bool) for _ in range(game.num_nodes)]
    for pos, node in enumerate(game.terminals.tolist()):
        hit = terminal == pos
        v = int(node)
        while v >= 0:
            masks[v] |= hit
            v = int(game.parent[v])
    return [np.flatnonzero(m) for m in masks]


def terminal_probabilities(model: TreeModel, design: Design, theta: FloatArray) -> FloatArray:
    """(n, T) probability of each terminal for each case at one parameter vector."""
    game = model.game
    result = run(model, design, theta[None, :], keep_edges=True)
    reach: list[FloatArray] = [np.ones(design.num_cases)] * game.num_nodes
    for v in range(1, game.num_nodes):
        e = result.edge[v]
        assert e is not None
        reach[v] = reach[int(game.parent[v])] * e[0]
    return np.stack([reach[int(t)] for t in game.terminals.tolist()], axis=1)


def _probabilities_backward(
    mean: Sequence[FloatArray], var: Sequence[FloatArray], probs: Sequence[FloatArray],
    grad_p: Sequence[FloatArray], link: str,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Carry d(loglik)/d(P_a) back to the means and variances of :func:`choice_probabilities`."""
    k = len(mean)
    if link == "logit":
        weighted = sum(p * g for p, g in zip(probs, grad_p, strict=True))
        gm, gv = [], []
        for a in range(k):
            gz = probs[a] * (grad_p[a] - weighted)
            sd = np.sqrt(2.0 * var[a])
            gm.append(gz / sd)
            gv.append(-gz * mean[a] / (sd * 2.0 * var[a]))
        return gm, gv
    if k == 2:
        total = var[0] + var[1]
        sd = np.sqrt(total)
        d = (mean[0] - mean[1]) / sd
        gd = (grad_p[0] - grad_p[1]) * np.exp(-0.5 * d * d) / np.sqrt(2.0 * np.pi)
        gvar = -gd * d / (2.0 * total)
        return [gd / sd, -gd / sd], [gvar, gvar]
    return _quadrature_backward(_quadrature(mean, var), grad_p)


def _quadrature_backward(
    forward: tuple[list[FloatArray], Any], grad_p: Sequence[FloatArray],
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Derivatives through :func:`_quadrature` (given its output), to means and variances.

    With r_ab(z) = (m_a + s_a z - m_b) / s_b, the raw P_a = sum_q w_q
    prod_{b != a} Phi(r_ab(z_q)); the quotient rule of the normalisation comes first.
    """
    norm, (sds, cdf, ratio, total) = forward
    k = len(norm)
    weighted = sum(g * p for g, p in zip(grad_p, norm, strict=True))
    g_raw = [(g - weighted) / total for g in grad_p]
    gm = [np.zeros_like(total) for _ in range(k)]
    gs = [np.zeros_like(total) for _ in range(k)]
    for a in range(k):
        for b in range(k):
            if b == a:
                continue
            r = ratio[a, b]
            rest = np.exp(-0.5 * r * r) / (np.sqrt(2.0 * np.pi) * sds[b][..., None])
            for c in range(k):
                if c not in (a, b):
                    rest = rest * cdf[a, c]
            dm = g_raw[a] * (rest @ GH_W)
            gm[a] += dm
            gm[b] -= dm
            gs[a] += g_raw[a] * ((rest * GH_Z) @ GH_W)
            gs[b] -= g_raw[a] * ((rest * r) @ GH_W)
    gv = [g / (2.0 * sd) for g, sd in zip(gs, sds, strict=True)]
    return gm, gv


def loglik_gradient(
    model: TreeModel, design: Design, theta: FloatArray, on_path: Sequence[npt.NDArray[np.int64]],
) -> tuple[float, FloatArray]:
    """Log-likelihood and its exact gradient at one parameter vector (reverse mode).

    The bottom-up pass of :func:`run` is repeated keeping every intermediate
    value; a top-down pass then carries the derivative of the log-likelihood
    from the choice probabilities back to the payoffs and scales, and on to the
    coefficients through the design matrices. Trees with coupled information
    sets go to :func:`_coupled_gradient`.
    """
    game = model.game
    if model.coupled:
        return _coupled_gradient(model, design, theta, on_path)
    link, private = model.spec.link, model.spec.errors == "private"
    u = utilities(model, design, theta[None, :])[:, :, 0, :]
    sig = scales(model, design, theta[None, :])[:, 0, :]
    n, nn = design.num_cases, game.num_nodes
    terminal_pos = {int(t): i for i, t in enumerate(game.terminals.tolist())}
    value: list[Any] = [None] * nn
    reach2: list[Any] = [None] * nn
    edge: list[Any] = [None] * nn
    stash: list[Any] = [None] * nn
    loglik = 0.0
    ones = np.ones(n)
    kinds = game.kind.tolist()
    terminal, chance = int(NodeKind.TERMINAL), int(NodeKind.CHANCE)
    firsts, counts, movers = game.first_child.tolist(), game.num_children.tolist(), game.player.tolist()
    sig2 = sig ** 2
    # Binary logit choices without private information take a shorter path:
    # P0 = 1 / (1 + exp(-d)), d = (m0 - m1) / sd, sd = sqrt(2) sigma.
    sd2 = np.sqrt(2.0 * sig2)
    for v in range(nn - 1, -1, -1):
        if kinds[v] == terminal:
            value[v] = u[terminal_pos[v]]
            reach2[v] = ones
            continue
        first, count = firsts[v], counts[v]
        children = range(first, first + count)
        if kinds[v] == chance:
            probs = [np.full(n, model.edge_prob[c]) for c in children]
        else:
            j = movers[v]
            mean = [value[c][j] for c in children]
            var = ([sig2[j] * reach2[c] for c in children] if private else [sig2[j]] * count)
            if count == 2 and not private and link == "logit":
                d = np.clip((mean[0] - mean[1]) / sd2[j], -700.0, 700.0)
                probs = [1.0 / (1.0 + np.exp(-d)), 1.0 / (1.0 + np.exp(d))]
                stash[v] = (d, None, "binary")
            elif link == "probit" and count > 2:
                quad = _quadrature(mean, var)
                probs = quad[0]
                stash[v] = (mean, var, quad)
            else:
                probs = choice_probabilities(mean, var, link)
                stash[v] = (mean, var, None)
        total = probs[0][None] * value[first]
        for p, c in zip(probs[1:], children[1:], strict=True):
            total += p[None] * value[c]
        value[v] = total
        if private:
            reach2[v] = sum(p * p * reach2[c] for p, c in zip(probs, children, strict=True))
        for p, c in zip(probs, children, strict=True):
            edge[c] = p
            idx = on_path[c]
            if idx.size:
                loglik += float(np.log(np.clip(p[idx], PROBABILITY_FLOOR, 1.0)).sum())
    players = len(game.players)
    scaled = bool(model.scale_blocks)
    g_value: list[Any] = [None] * nn
    g_reach: list[Any] = [None] * nn
    g_value[0] = np.zeros((players, n))
    g_reach[0] = np.zeros(n)
    g_sigma = np.zeros((players, n))
    g_u = np.zeros((*model.base.shape, n))
    for v in range(nn):
        gv_v, gr_v = g_value[v], g_reach[v]
        if kinds[v] == terminal:
            g_u[terminal_pos[v]] = gv_v
            continue
        first, count = firsts[v], counts[v]
        children = range(first, first + count)
        for c in children:
            g_value[c] = edge[c][None] * gv_v
            if private:
                g_reach[c] = edge[c] ** 2 * gr_v
        if kinds[v] == chance:
            continue
        j = movers[v]
        mean, var, quad = stash[v]
        grad_p = []
        for c in children:
            g = np.einsum("pn,pn->n", gv_v, value[c])
            if private:
                g += 2.0 * gr_v * edge[c] * reach2[c]
            idx = on_path[c]
            if idx.size:
                g[idx] += 1.0 / np.maximum(edge[c][idx], PROBABILITY_FLOOR)
            grad_p.append(g)
        if isinstance(quad, str):  # the binary logit shortcut: d = (m0 - m1) / sd
            d = mean
            gd = edge[first] * edge[first + 1] * (grad_p[0] - grad_p[1])
            g_value[first][j] += gd / sd2[j]
            g_value[first + 1][j] -= gd / sd2[j]
            if scaled:
                g_sigma[j] -= gd * d / sig[j]  # d is proportional to 1 / sigma
            continue
        if quad is not None:
            gm, gvar = _quadrature_backward(quad, grad_p)
        else:
            gm, gvar = _probabilities_backward(mean, var, [edge[c] for c in children], grad_p, link)
        for a, c in enumerate(children):
            g_value[c][j] += gm[a]
            if private:
                g_sigma[j] += gvar[a] * 2.0 * sig[j] * reach2[c]
                g_reach[c] = g_reach[c] + gvar[a] * sig[j] ** 2
            elif scaled:
                g_sigma[j] += gvar[a] * 2.0 * sig[j]
    grad = np.zeros(model.num_params)
    for (t, who), block, x in zip(model.term_slots, model.blocks, design.matrices, strict=True):
        grad[block] += x.T @ g_u[t, who]
    if model.scale_blocks:
        g_log = g_sigma * sig
        if len(model.scale_blocks) == 1:
            g_log = g_log.sum(axis=0, keepdims=True)
        for i, (block, z) in enumerate(zip(model.scale_blocks, design.scale_matrices, strict=True)):
            grad[block] += z.T @ g_log[i]
    return loglik, grad
