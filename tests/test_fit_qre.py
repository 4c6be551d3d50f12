"""Estimation in trees with imperfect information: the agent QRE per case (policy.fit.qre).

Checked against independent computations: policy's own logit solver
(policy.solvers.logit, the principal branch of the agent logit QRE; McKelvey
and Palfrey, "Quantal response equilibria for extensive form games",
Experimental Economics 1, 1998) and Gambit's ``logit_solve_lambda`` on the
same game; against backward induction on perfect-information trees solved as
a fixed point; and by recovering the parameters of simulated data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from policy.fit import FitError, Table, fit, spec_from_dict
from policy.fit.data import build_design
from policy.fit.estimate import Objective, _maximise
from policy.fit.likelihood import compile_model, run, terminal_probabilities
from policy.fit.qre import decision_sets
from policy.gamefile import load_game
from policy.model import Game
from tests.conftest import needs_pygambit, pygambit, to_pygambit
from tests.test_fit import THREE, THREE_SPEC, TRUE_THETA, _simulate, _three

PROJECT = Path(__file__).resolve().parent.parent
SIGNAL = PROJECT / "games" / "fit" / "signal.toml"

SIGNAL_SPEC = {"fit": {
    "outcome": "y",
    "payoffs": {
        "rty": {"S": ["x1"]},
        "rqy": {"S": []},
        "itf": {"S": ["x2"], "R": []},
        "rtf": {"R": ["x1"]},
    }}}
SIGNAL_THETA = np.array([1.5, 0.8, 2.5, -1.0, 0.7, 1.2, -0.5, 1.0])
"""rty:S (1, x1), rqy:S (1), itf:S (1, x2), itf:R (1), rtf:R (1, x1)."""


@pytest.fixture(scope="module")
def signal() -> Game:
    return load_game(SIGNAL)


def _fixed_model(game: Game, link: str) -> tuple[Any, Any]:
    """The game's own payoffs, only the common log scale a parameter."""
    first = game.node_names[int(game.terminals[0])]
    own = float(game.numbers({}, exact=False).leaf_payoff[0][0])  # named at its own value
    spec = spec_from_dict({"fit": {"outcome": "y", "link": link, "scale": {},
                                   "payoffs": {first: {game.players.at(0).label: own}}}})
    design = build_design(Table.from_columns({"y": [first]}), game, spec, with_outcome=False)
    return compile_model(game, spec, design), design


def _behaviour(game: Game, model: Any, design: Any, theta: np.ndarray) -> np.ndarray:
    """Per action of every information set (in the game's flat order): its probability."""
    edges = run(model, design, theta[None, :], keep_edges=True).edge
    out = []
    for s in game.infosets.values():
        first = int(game.first_child[s.members[0]])
        out.extend(float(edges[first + a][0, 0]) for a in range(len(s.actions)))  # type: ignore[index]
    return np.array(out)


def test_the_signalling_game_has_a_coupled_set(signal: Game) -> None:
    model, _ = _fixed_model(signal, "logit")
    assert len(model.coupled) == 2 and not signal.is_perfect_information


@pytest.mark.parametrize("log_scale", [0.0, -1.0, -2.0, -3.0])
def test_logit_agent_error_is_policys_logit_qre(signal: Game, log_scale: float) -> None:
    # logit agent error at scale sigma is the agent logit QRE at lambda = 1 / (sigma sqrt 2)
    from policy.solvers.logit import logit_solve

    model, design = _fixed_model(signal, "logit")
    theta = np.array([log_scale])
    ours = terminal_probabilities(model, design, theta)[0]
    (qre,) = logit_solve(signal, {}, lam=float(np.exp(-log_scale) / np.sqrt(2.0))).equilibria
    assert ours == pytest.approx([float(x) for x in qre.reach], abs=1e-9)


@needs_pygambit
@pytest.mark.parametrize("log_scale", [0.0, -1.5])
def test_logit_agent_error_is_gambits_logit_qre(signal: Game, log_scale: float) -> None:
    model, design = _fixed_model(signal, "logit")
    theta = np.array([log_scale])
    lam = float(np.exp(-log_scale) / np.sqrt(2.0))
    g, actions = to_pygambit(signal, {})
    (profile,) = pygambit.qre.logit_solve_lambda(g, lam=[lam])
    assert profile.lam == pytest.approx(lam)
    # the profile indexes actions in Gambit's order: by player, information set, action
    order = [a for p in g.players for s in p.infosets for a in s.actions]
    theirs = [float(profile[order.index(actions[(s.name, a)])])
              for s in signal.infosets.values() for a in s.actions]
    assert _behaviour(signal, model, design, theta) == pytest.approx(theirs, abs=1e-7)


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_a_perfect_information_tree_as_a_fixed_point_is_backward_induction(tmp_path: Path, link: str) -> None:
    # Solving every decision set of the three-player tree as one fixed point
    # gives what statistical backward induction gives: the likelihood, and the
    # implicit-function gradient equals backward induction's reverse-mode one.
    game = _three(tmp_path)
    spec = dataclasses.replace(spec_from_dict(THREE_SPEC), link=link)
    table = _simulate(game, spec, TRUE_THETA, 1_000, seed=5)
    design = build_design(table, game, spec)
    plain = compile_model(game, spec, design)
    forced = dataclasses.replace(plain, coupled=decision_sets(game))
    rng = np.random.default_rng(1)
    for _ in range(3):
        theta = TRUE_THETA + rng.normal(scale=0.5, size=TRUE_THETA.size)
        value, grad = Objective(forced, design).value_and_gradient(theta)
        bi_value, bi_grad = Objective(plain, design).value_and_gradient(theta)
        assert value == pytest.approx(bi_value, rel=1e-11)
        assert grad == pytest.approx(bi_grad, rel=1e-6, abs=1e-6 * np.abs(bi_grad).max())
    if link == "logit":  # and the same maximum (the probit one is slower: quadrature at s3)
        by_bi = fit(game, spec, table)
        estimates = _maximise(forced, design, np.zeros(plain.num_params))[0]
        assert estimates == pytest.approx(by_bi.estimates, abs=2e-4 * max(1.0, np.abs(by_bi.estimates).max()))


def test_singleton_information_sets_written_out_fit_the_same(tmp_path: Path) -> None:
    text = THREE
    for node in ("start", "s2", "w2", "s3", "w3"):
        text = text.replace(f"[nodes.{node}]\n", f'[nodes.{node}]\ninfoset = "set_{node}"\n')
    path = tmp_path / "sets.toml"
    path.write_text(text)
    written = load_game(path)
    game = _three(tmp_path)
    spec = spec_from_dict(THREE_SPEC)
    table = _simulate(game, spec, TRUE_THETA, 1_000, seed=6)
    one, two = fit(game, spec, table), fit(written, spec, table)
    assert two.estimates == pytest.approx(one.estimates, abs=1e-8)
    assert two.loglik == pytest.approx(one.loglik, abs=1e-8)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_recovers_the_parameters_of_a_signalling_game(signal: Game, link: str) -> None:
    spec = dataclasses.replace(spec_from_dict(SIGNAL_SPEC), link=link)
    table = _simulate(signal, spec, SIGNAL_THETA, 2_500, seed=9)
    result = fit(signal, spec, table)
    assert result.converged, result.message
    z = (result.estimates - SIGNAL_THETA) / result.std_errors
    assert np.all(np.abs(z) < 4.0), dict(zip(result.names, z.round(2).tolist(), strict=True))
    objective = Objective(result._model, result._design)  # type: ignore[arg-type]
    assert objective.value(SIGNAL_THETA) < result.loglik
    # the fixed point holds at the estimate: every case's choice probabilities solved
    model, design = result._model, result._design
    assert run(model, design, result.estimates[None, :]).unsolved == 0  # type: ignore[arg-type]


def test_private_information_needs_perfect_information(signal: Game) -> None:
    spec = dataclasses.replace(spec_from_dict(SIGNAL_SPEC), errors="private")
    with pytest.raises(FitError, match="private information needs a game of perfect information"):
        fit(signal, spec, Table.from_columns({"x1": [0.1], "x2": [0.2], "y": ["rty"]}))


def test_command_line_fits_the_signalling_game_from_action_columns(signal: Game, tmp_path: Path) -> None:
    # One column per information set: the receiver's answer is recorded in one
    # column whichever type sent the message; the type and message in others.
    from click.testing import CliRunner

    from policy.cli import main

    spec = spec_from_dict(SIGNAL_SPEC)
    table = _simulate(signal, spec, SIGNAL_THETA, 1_500, seed=12)
    rows = ["x1,x2,type,message,answer"]
    for x1, x2, y in zip(table.columns["x1"], table.columns["x2"], table.columns["y"], strict=True):
        kind = "resolute" if y.startswith("r") else "irresolute"
        message = "threaten" if y[1] == "t" else "quiet"
        rows.append(f"{x1},{x2},{kind},{message},{'yield' if y[2] == 'y' else 'firm'}")
    data = tmp_path / "signals.csv"
    data.write_text("\n".join(rows) + "\n")
    game = tmp_path / "signal.toml"
    game.write_text(SIGNAL.read_text() + """
[fit]
[fit.actions]
nature = "type"
res = "message"  # one column for both types' messages
irr = "message"
after_threat = "answer"
after_quiet = "answer"
[fit.payoffs.rty]
S = ["x1"]
[fit.payoffs.rqy]
S = []
[fit.payoffs.itf]
S = ["x2"]
R = []
[fit.payoffs.rtf]
R = ["x1"]
""")
    done = CliRunner().invoke(main, ["fit", str(game), str(data), "--format", "json"])
    assert done.exit_code == 0, done.output
    by_outcome = fit(signal, spec, table)
    import json
    got = json.loads(done.stdout)
    assert got["log_likelihood"] == pytest.approx(by_outcome.loglik, abs=1e-6)
    assert [c["estimate"] for c in got["coefficients"]] == pytest.approx(by_outcome.estimates.tolist(),
                                                                          abs=1e-5)
