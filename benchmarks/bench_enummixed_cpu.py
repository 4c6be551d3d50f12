"""``enummixed --float`` against QuantEcon's ``vertex_enumeration``, in CPU time, interleaved.

The games are ``bench_nash.bimatrix``'s (random n x n integer payoffs in
[-100, 100], seeded by ``(seed, n)``). For each size the two calls alternate
``--reps`` times in this process, each timed with ``time.process_time`` (the
CPU time of the process, all its threads, so other jobs on the machine
disturb it less than wall time), after a garbage collection (``--no-gc``: without it); the least time
of each is reported. Ours is ``bench_nash.ours_enummixed(game, exact=False)``
(cold game: normal form, enumeration, every answer made exact and verified in
the table); QuantEcon's is ``bench_nash.quantecon_enumeration(A, B)``, with
numba's compilation done before. A third column times our enumeration on
the matrices alone (``vertex_float.exact_extreme_pairs``: the same exact,
checked answers, without the game: no normal form, no records), called in
turn with the two others. Counts: the distinct equilibria of each
(``bench_nash.distinct``) and, up to ``--exact-max``, of our exact
enumeration (``policy.solvers.vertex.extreme_equilibria``); the script exits
with status 1 if ours differs from the exact count.

Run: ``python benchmarks/bench_enummixed_cpu.py [--dims 2,4,...,15] [--reps 10] [--seed 2024] [--no-gc]``
(QuantEcon is needed: an optional benchmark dependency).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_nash import bimatrix, distinct, ours_enummixed, quantecon_enumeration  # noqa: E402
from bench_spe import load_average, machine, parse_sizes  # noqa: E402

from policy.solvers.vertex import extreme_equilibria  # noqa: E402
from policy.solvers.vertex_float import exact_extreme_pairs  # noqa: E402
from tests.games import table_game  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dims", type=parse_sizes, default=[2, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15])
    parser.add_argument("--reps", type=int, default=10, help="alternating calls per size (15 x 15: a third)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--exact-max", type=int, default=12, help="largest n counted exactly too")
    parser.add_argument(
        "--no-gc", action="store_true",
        help="no garbage collection before each call (a full collection empties Python's free lists, "
        "so the next call pays to allocate afresh)",
    )
    args = parser.parse_args()
    a, b = bimatrix(3, 0)
    quantecon_enumeration(a, b)  # numba compiles here
    ours_enummixed(table_game([a.tolist(), b.tolist()]), False)
    print(f"# python benchmarks/bench_enummixed_cpu.py {' '.join(sys.argv[1:])}")
    info = machine()
    print(f"# {info['date']}, {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}; "
          f"seed {args.seed}; 1-min load average before: {load_average()}")
    print("| n×n | ours `--float` CPU | QuantEcon CPU | ours / QuantEcon | matrices alone CPU | alone / QuantEcon "
          "| equilibria (ours, QuantEcon, exact) |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    failed = False
    for n in args.dims:
        a, b = bimatrix(n, args.seed)
        game = table_game([a.tolist(), b.tolist()])
        reps = args.reps if n < 15 else max(1, args.reps // 3)
        ours_times, their_times, alone_times = [], [], []
        ours = theirs = None
        fa, fb = a.astype(float), b.astype(float)
        for _ in range(reps):
            if not args.no_gc:
                gc.collect()
            start = time.process_time()
            ours = ours_enummixed(game, False)
            ours_times.append(time.process_time() - start)
            if not args.no_gc:
                gc.collect()
            start = time.process_time()
            theirs = quantecon_enumeration(a, b)
            their_times.append(time.process_time() - start)
            if not args.no_gc:
                gc.collect()
            start = time.process_time()
            exact_extreme_pairs(fa, fb)
            alone_times.append(time.process_time() - start)
        assert ours is not None and theirs is not None
        count = distinct(ours)
        exact = len(extreme_equilibria(a.tolist(), b.tolist()).equilibria) if n <= args.exact_max else None
        if exact is not None and exact != count:
            failed = True
        mine, other, alone = min(ours_times), min(their_times), min(alone_times)
        shown = "-" if exact is None else str(exact)
        print(f"| {n}×{n} | {mine * 1e3:.3g} ms | {other * 1e3:.3g} ms | {mine / other:.2f} | "
              f"{alone * 1e3:.3g} ms | {alone / other:.2f} | {count}, {distinct(theirs)}, {shown} |", flush=True)
    print(f"# 1-min load average after: {load_average()}")
    if failed:
        print("FAIL: an equilibrium count differs from the exact enumeration's", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
