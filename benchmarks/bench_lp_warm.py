"""``lp --float`` over a sweep: HiGHS warm-started from the last basis, against cold starts and linprog.

``policy.solvers.lp`` solves its programs with highspy and keeps, per thread,
the optimal basis of each program shape; a sweep that solves one game at
many parameter values then starts each program from the previous optimum
(issue 18). The sweep here: ``bench_nash.imperfect_game``'s zero-sum tree of
``--nodes`` nodes, and ``--samples`` variants of it whose player-1 payoffs
have half their entries (at random) scaled by ``1 + 0.05 N(0, 1)``, all in
hundredths and rounded to integers (same tree, same information sets: the
same program shape), solved one after the
other with ``lp_solve(game, {}, exact=False)`` three ways:

* ``linprog``: highspy hidden, so ``scipy.optimize.linprog(method="highs")``,
  every program from scratch (``lp`` before highspy);
* ``plain cold`` and ``plain warm``: highspy with ``lp.CANONICAL = False``,
  the answer whichever optimum HiGHS reaches from scratch: a fresh basis
  each time (``lp.WARM_START = False``), or the kept one, the program
  solved again from scratch when the optimum reached may not be unique
  (``lp`` before the canonical point);
* ``cold`` and ``warm``: highspy as ``lp`` runs by default (the canonical
  point of each optimal face, a second program), from a fresh basis or
  from the kept one.

Each is timed in CPU time (``time.process_time``; the machine is shared) per
sample, whole ``lp_solve`` (sequence form, both programs, exact recovery in
floats, verification) and the programs alone (time inside ``lp._solve_float``);
the mean simplex iterations per program come from HiGHS (every run of a
program counted: the canonical point's second program, a solve again from
scratch). Where OpenSpiel
and cvxpy are installed (optional), its ``sequence_form_lp`` solves each
sample too (``bench_lp.openspiel``: the ``.efg`` we write, loading not
timed; it has no state to keep between calls), and its value must agree
within 1e-6. The sweep is run
once untimed first (the sequence forms, the import of highspy, one solve of
the shape: a real sweep pays these once too), and the first sample of each
timed sweep is cold for ``warm`` as well (its basis is cleared). The game
values must agree across the five within 1e-9, and ``cold`` and ``warm``
give the same profiles, entry for entry (exit 1 otherwise).

Run: ``python benchmarks/bench_lp_warm.py [--nodes 364,2000,10000] [--samples 30]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_lp import openspiel  # noqa: E402
from bench_nash import imperfect_game  # noqa: E402
from bench_spe import load_average, machine, parse_sizes  # noqa: E402

from policy.gambit import write_efg  # noqa: E402
from policy.solvers import lp  # noqa: E402


def sweep_games(nodes: int, samples: int) -> list[Any]:
    """The ``samples`` variants of one tree (see the module docstring)."""
    rng = np.random.default_rng(nodes)

    def perturb(u: Any) -> Any:
        # In hundredths, rounded: integer payoffs, which OpenSpiel's .efg reader takes.
        scale = np.where(rng.random(len(u)) < 0.5, 1 + 0.05 * rng.standard_normal(len(u)), 1.0)
        return np.round(100 * u * scale)

    return [imperfect_game(nodes, 0, True, perturb) for _ in range(samples)]


WAYS = ("linprog", "plain cold", "plain warm", "cold", "warm")


def run(games: list[Any], how: str) -> tuple[float, float, float, list[float], list[Any]]:
    """One sweep: CPU seconds per sample (whole, programs), mean iterations per program, values, profiles."""
    solver = lp._WARM.solver()
    assert solver is not None
    hidden = how == "linprog"
    lp.WARM_START = how.endswith("warm")
    lp.CANONICAL = not how.startswith("plain")
    original = lp._solve_float
    spent = [0.0]
    iterations = [0, 0]

    def timed(program: Any, player: int) -> Any:
        start = time.process_time()
        before = solver.iterations
        out = original(program, player)
        spent[0] += time.process_time() - start
        if not hidden:
            iterations[0] += solver.iterations - before
            iterations[1] += 1
        return out

    lp._solve_float = timed  # type: ignore[assignment]
    if hidden:
        lp._WARM.solver = lambda: None  # type: ignore[method-assign]
    solver.bases.clear()
    solver.face_bases.clear()
    values, profiles = [], []
    try:
        start = time.process_time()
        for game in games:
            result = lp.lp_solve(game, {}, exact=False)
            values.append(float(result.details["value"]))
            profiles.append(result.equilibria[0].probabilities)
        whole = time.process_time() - start
    finally:
        lp._solve_float = original  # type: ignore[assignment]
        lp.WARM_START = True
        lp.CANONICAL = True
        if hidden:
            del lp._WARM.solver
    mean = iterations[0] / iterations[1] if iterations[1] else float("nan")
    return whole / len(games), spent[0] / len(games), mean, values, profiles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=parse_sizes, default=[364, 2000, 10000])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    info = machine()
    print(f"# python benchmarks/bench_lp_warm.py {' '.join(sys.argv[1:])}")
    print(f"# {info['date']}, {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}; "
          f"1-min load average before: {load_average()}")
    print("| nodes | lp_solve: linprog | plain cold | plain warm | cold | warm | plain cold / warm "
          "| programs: plain cold | plain warm | cold | warm | plain cold / warm "
          "| iterations plain cold / plain warm / cold / warm | OpenSpiel LP | warm / OpenSpiel |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for nodes in args.nodes:
        games = sweep_games(nodes, args.samples)
        run(games, "warm")  # untimed: sequence forms built, highspy loaded
        got = {how: run(games, how) for how in WAYS}
        base = got["linprog"][3]
        for how in WAYS[1:]:
            if max(abs(a - b) for a, b in zip(got[how][3], base, strict=True)) > 1e-9 * max(1.0, *map(abs, base)):
                failed = True
        if got["cold"][4] != got["warm"][4]:
            print(f"# {nodes} nodes: the canonical profiles differ cold and warm", flush=True)
            failed = True
        ms = {how: (f"{v[0] * 1e3:.3g} ms", f"{v[1] * 1e3:.3g} ms") for how, v in got.items()}
        theirs = [openspiel(write_efg(game)) for game in games]
        if isinstance(theirs[0], str):
            spiel, ratio = theirs[0], "-"
        else:
            mean = sum(t for t, _ in theirs) / len(theirs)  # type: ignore[misc]
            if max(abs(v - b) for (_, v), b in zip(theirs, base, strict=True)) > 1e-6:  # type: ignore[misc]
                failed = True
            spiel, ratio = f"{mean * 1e3:.3g} ms", f"{got['warm'][0] / mean:.2f}"
        print(f"| {nodes:,} | {ms['linprog'][0]} | {ms['plain cold'][0]} | {ms['plain warm'][0]} | "
              f"{ms['cold'][0]} | {ms['warm'][0]} | {got['plain cold'][0] / got['warm'][0]:.2f} | "
              f"{ms['plain cold'][1]} | {ms['plain warm'][1]} | {ms['cold'][1]} | {ms['warm'][1]} | "
              f"{got['plain cold'][1] / got['warm'][1]:.2f} | "
              + " / ".join(f"{got[how][2]:.0f}" for how in WAYS[1:])
              + f" | {spiel} | {ratio} |", flush=True)
    print(f"# 1-min load average after: {load_average()}")
    if failed:
        print("FAIL: the game values differ (linprog, cold, warm, OpenSpiel), or the canonical profiles", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
