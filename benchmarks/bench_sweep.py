"""Monte Carlo over a leader's uncertainty: the batch solver against sample-by-sample solving.

One run, the same samples for every contender:

1. ``policy.analysis.sweep.run_sweep`` (the batch solver: backward induction on
   all samples of a block at once) on N samples (default 10^6) of
   ``games/diplomacy_1939.toml`` drawn from Stalin's profile;
2. our own exact solver, ``spe_solve(exact=True)``, one sample at a time, and
   the float one, ``spe_solve(exact=False)``;
3. a loop over pygambit 16.7: for each sample, the same tree built at the
   sample's values (``tests.conftest.to_pygambit``) and solved with
   ``pygambit.nash.lcp_solve(rational=False)``, the cheapest of its solvers
   for two-player trees (Gambit 16.7 has no subgame-perfect solver).

2 and 3 run on the first ``--subset`` samples and are extrapolated linearly to
N (marked ``*``). Every sample of the subset must give the same equilibrium
path from the batch solver and from our exact solver; the script exits with
status 1 otherwise.

Run: ``python benchmarks/bench_sweep.py [--samples 1000000] [--subset 300] [--seed 0] [--quick]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policy.analysis.sweep import monte_carlo_samples, run_sweep  # noqa: E402
from policy.bundled import games_dir  # noqa: E402
from policy.gamefile import load_game  # noqa: E402
from policy.leaders import load_leader, resolve  # noqa: E402
from policy.solvers.backward import spe_solve  # noqa: E402


def path_of(result) -> str:
    """An equilibrium path in the words ``run_sweep`` uses."""
    from policy.analysis.compare import path_text

    return path_text(result, result.equilibria[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=float, default=1e6)
    parser.add_argument("--subset", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--leader", default="stalin")
    parser.add_argument("--quick", action="store_true", help="10^5 samples, subset 50")
    args = parser.parse_args()
    n = int(1e5 if args.quick else args.samples)
    subset = 50 if args.quick else args.subset

    game = load_game(games_dir() / "diplomacy_1939.toml")
    leader = load_leader(args.leader)
    base = resolve(game, leader)
    t = time.perf_counter()
    samples = monte_carlo_samples(game, leader, base, n, seed=args.seed)
    draw = time.perf_counter() - t

    t = time.perf_counter()
    result = run_sweep(game, samples)
    batch = time.perf_counter() - t

    values = [{k: Fraction(float(v[i])) for k, v in samples.items()} for i in range(subset)]
    t = time.perf_counter()
    exact = [spe_solve(game, v, exact=True) for v in values]
    exact_time = (time.perf_counter() - t) / subset
    t = time.perf_counter()
    for v in values:
        spe_solve(game, {k: float(x) for k, x in v.items()}, exact=False)
    float_time = (time.perf_counter() - t) / subset

    disagree = [i for i, r in enumerate(exact) if not r.ties and path_of(r) != result.paths[i]]

    gambit_time = None
    try:
        import pygambit

        from tests.conftest import to_pygambit

        t = time.perf_counter()
        for v in values:
            g, _ = to_pygambit(game, v)
            pygambit.nash.lcp_solve(g, rational=False)
        gambit_time = (time.perf_counter() - t) / subset
    except ImportError:
        pass

    print(f"policy bench_sweep: {game.title!r}, leader {args.leader}, {n:,} Monte Carlo samples "
          f"(seed {args.seed}); {datetime.date.today()}, {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    print(f"drawing the samples: {draw:.2f} s")
    rows = [("batch solver (run_sweep)", batch, False)]
    rows.append(("spe_solve exact, one by one", exact_time * n, True))
    rows.append(("spe_solve float, one by one", float_time * n, True))
    if gambit_time is not None:
        rows.append(("pygambit build + lcp_solve, one by one", gambit_time * n, True))
    print(f"{'':42} {'time':>12} {'per sample':>12} {'ratio':>9}")
    for name, total, extrapolated in rows:
        star = "*" if extrapolated else " "
        print(f"{name:42} {total:11.1f}s{star} {total / n * 1e6:10.2f}us {total / batch:8.0f}x")
    print(f"* measured on {subset} samples and extrapolated to {n:,}; ratio = time / batch time")
    print(f"paths: batch and exact agree on {subset - len(disagree)} of {subset} samples "
          f"({sum(bool(r.ties) for r in exact)} with exact ties skipped)")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
