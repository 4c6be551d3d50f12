"""Timings of estimation (policy.fit).

    PYTHONPATH=. python benchmarks/bench_fit.py [--data DIR] [--repeat N] [--cases N] [--link L]

1. The R package games' examples (Kenkel and Signorino 2014), when their data
   sets are in ``--data`` (default ../shared/data, or $POLICY_FIT_DATA): egame12
   on war1800 (probit, logit, private information), egame122 on data_122 and
   the private-information model on leblang2003. Best of ``--repeat`` runs of
   ``policy.fit.fit`` (reading the CSV included), with the log-likelihood.
2. A random tree with 50 terminals: binary decision nodes of 3 players in
   turn below a chance root (two branches, 3/5 and 2/5), grown from
   ``default_rng(seed)``; 12 payoffs estimated, each an intercept and one
   covariate (24 parameters): one terminal below each of 12 decision nodes,
   for the player who moves there. ``--cases`` outcomes (default 10,000) are drawn
   from the model at known parameters, then fitted from statistical-backward-
   induction starting values. Reported: time, iterations, log-likelihood, and
   the largest |estimate - truth| / standard error.
3. The signalling game ``games/fit/signal.toml`` (imperfect information: the
   agent QRE solved per case), 2,500 cases drawn from the model of
   ``tests/test_fit_qre.py`` (8 parameters), logit and probit.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from policy.fit import Table, fit, load_spec, read_csv, spec_from_dict
from policy.fit.data import build_design
from policy.fit.likelihood import compile_model, terminal_probabilities
from policy.gamefile import load_game
from policy.model import Game

ROOT = Path(__file__).resolve().parent.parent
FIT = ROOT / "games" / "fit"
PLAYERS = ("P1", "P2", "P3")


def r_examples(data: Path, repeat: int) -> None:
    cases = [
        ("egame12 war1800 probit agent", "egame12", "war1800", {}, "war1800"),
        ("egame12 war1800 logit agent", "egame12", "war1800", {"link": "logit"}, "war1800"),
        ("egame12 war1800 probit private", "egame12", "war1800", {"errors": "private"}, "war1800"),
        ("egame122 data_122 probit agent", "egame122", "data_122", {}, "data_122"),
        ("egame12 leblang2003 probit private", "currency_attack", "leblang2003", {}, "leblang2003"),
    ]
    for label, game_name, spec_name, changes, data_name in cases:
        game = load_game(FIT / f"{game_name}.toml")
        spec = dataclasses.replace(load_spec(FIT / f"{spec_name}.toml"), **changes)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            result = fit(game, spec, read_csv(data / f"{data_name}.csv"))
            best = min(best, time.perf_counter() - start)
        print(f"{label:38s} N={result.num_cases:5d}  logLik={result.loglik:12.4f}  {best:7.3f} s")


def random_tree(terminals: int, seed: int) -> tuple[str, list[str]]:
    """TOML text of a random binary tree with a chance root; returns it and the terminal names."""
    rng = np.random.default_rng(seed)
    lines = ['[game]', 'title = "Random tree for the fit benchmark"', f"players = {list(PLAYERS)!r}", ""]
    lines += ["[nodes.root]", "chance = true", 'actions = { a = "n1", b = "n2" }',
              'probabilities = { a = "3/5", b = "2/5" }', ""]
    leaves = ["n1", "n2"]
    depth = {"n1": 0, "n2": 0}
    inner: list[tuple[str, str, str, int]] = []
    count = 2
    while len(leaves) < terminals:
        node = leaves.pop(int(rng.integers(len(leaves))))
        left, right = f"n{count + 1}", f"n{count + 2}"
        count += 2
        inner.append((node, left, right, depth[node]))
        depth[left] = depth[right] = depth[node] + 1
        leaves += [left, right]
    for node, left, right, d in inner:
        lines += [f"[nodes.{node}]", f'player = "{PLAYERS[d % 3]}"',
                  f'actions = {{ left = "{left}", right = "{right}" }}', ""]
    zero = ", ".join(f"{p} = 0" for p in PLAYERS)
    for leaf in leaves:
        lines += [f"[nodes.{leaf}]", f"payoffs = {{ {zero} }}", ""]
    return "\n".join(lines), leaves


def big_tree(cases: int, seed: int, link: str) -> None:
    text, leaves = random_tree(50, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree.toml"
        path.write_text(text)
        game: Game = load_game(path)
    rng = np.random.default_rng(seed)
    # One estimated payoff below each of 12 decision nodes, for the player who moves
    # there (its sibling's payoffs stay 0, so each is identified).
    payoffs: dict[str, dict[str, list[str]]] = {}
    used: set[int] = set()
    for k in rng.permutation(len(leaves)).tolist():
        parent = game.node(leaves[k]).parent
        assert parent is not None
        if parent.player is None or parent.index in used:
            continue
        used.add(parent.index)
        payoffs[leaves[k]] = {parent.player.label: [f"x{len(used) % 4}"]}
        if len(used) == 12:
            break
    spec = spec_from_dict({"fit": {"outcome": "y", "link": link, "payoffs": payoffs}})
    x = {f"x{j}": rng.normal(size=cases).tolist() for j in range(4)}
    covariates = Table.from_columns(x)
    design = build_design(covariates, game, spec, with_outcome=False)
    model = compile_model(game, spec, design)
    truth = rng.normal(scale=1.0, size=model.num_params)
    probs = terminal_probabilities(model, design, truth)
    names = [game.node_names[int(t)] for t in game.terminals.tolist()]
    draws = (rng.random(cases)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    table = Table.from_columns({**x, "y": [names[min(i, len(names) - 1)] for i in draws]})
    start = time.perf_counter()
    result = fit(game, spec, table)
    took = time.perf_counter() - start
    z = np.abs(result.estimates - truth) / result.std_errors
    print(f"50-terminal tree, {game.num_nodes} nodes, {cases} cases, {model.num_params} parameters, "
          f"{link}: {took:.2f} s, {result.iterations} iterations, logLik {result.loglik:.2f}, "
          f"max |est - truth| / se = {np.nanmax(z):.2f}, {result.message}")


SIGNAL_SPEC = {"fit": {"outcome": "y", "payoffs": {
    "rty": {"S": ["x1"]}, "rqy": {"S": []}, "itf": {"S": ["x2"], "R": []}, "rtf": {"R": ["x1"]}}}}
SIGNAL_THETA = np.array([1.5, 0.8, 2.5, -1.0, 0.7, 1.2, -0.5, 1.0])


def signalling(cases: int, seed: int) -> None:
    game = load_game(FIT / "signal.toml")
    for link in ("logit", "probit"):
        spec = dataclasses.replace(spec_from_dict(SIGNAL_SPEC), link=link)
        rng = np.random.default_rng(seed)
        x = {"x1": rng.normal(size=cases).tolist(), "x2": rng.normal(size=cases).tolist()}
        design = build_design(Table.from_columns(x), game, spec, with_outcome=False)
        probs = terminal_probabilities(compile_model(game, spec, design), design, SIGNAL_THETA)
        names = [game.node_names[int(t)] for t in game.terminals.tolist()]
        draws = (rng.random(cases)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
        table = Table.from_columns({**x, "y": [names[min(i, len(names) - 1)] for i in draws]})
        start = time.perf_counter()
        result = fit(game, spec, table)
        took = time.perf_counter() - start
        z = np.abs(result.estimates - SIGNAL_THETA) / result.std_errors
        print(f"signalling game (imperfect information), {cases} cases, {link}: {took:.2f} s, "
              f"{result.iterations} iterations, max |est - truth| / se = {np.nanmax(z):.2f}, "
              f"{result.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("POLICY_FIT_DATA", str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--data", default=default)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--link", choices=["probit", "logit"], default="probit")
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "war1800.csv").is_file():
        alt = ROOT.parent.parent / "shared" / "data"
        data = alt if (alt / "war1800.csv").is_file() else data
    if (data / "war1800.csv").is_file():
        r_examples(data, args.repeat)
    else:
        print(f"(no data sets in {data}: the R package examples are skipped)")
    big_tree(args.cases, args.seed, args.link)
    signalling(2_500, args.seed)


if __name__ == "__main__":
    main()
