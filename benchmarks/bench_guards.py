"""What the hardening guards cost on normal games: their time as a share of a solve.

Every solve now passes through checks that refuse hostile input before any
work: the capped reader of input files (:mod:`policy.files`), the size check of
the method asked for (:mod:`policy.solvers.sizes`) and, in exact mode, the
estimate of how large the exact numbers grow (:mod:`policy.solvers.exact_size`).
This script times each guard on its own, on a fresh game (no cached sizes), and
sets it beside the whole solve (guards included) on:

1. the bundled scenario games, read from their files, solved by ``auto``;
2. seeded random perfect-information trees of 10^3 to 10^5 nodes (the trees of
   ``bench_spe.py``, with chance), solved by spe exact and float;
3. seeded random 2-player imperfect-information games (``bench_nash.py``'s
   generator), solved by lcp exact and float.

Reading a file is timed as the capped reader against a plain ``Path.read_text``.
Times are the best of 3. A share near 0% means the guards cost nothing that
matters; the script exits 1 if any guard costs more than 10% of its solve and
more than a millisecond.

Run: ``python benchmarks/bench_guards.py [--sizes 1e3,1e4,1e5]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_nash import imperfect_game  # noqa: E402
from bench_spe import build_ours, random_tree  # noqa: E402

from policy.bundled import bundled_games  # noqa: E402
from policy.files import read_text  # noqa: E402
from policy.loading import load  # noqa: E402
from policy.solvers import choose_method, solve  # noqa: E402
from policy.solvers.exact_size import estimate_exact_size  # noqa: E402
from policy.solvers.sizes import GameSize, too_big  # noqa: E402

#: A guard is reported as too costly (exit 1) when it takes more than this share
#: of its solve and more than ``NOTICEABLE`` seconds: 50 microseconds on a
#: 0.4 ms solve is a tenth of it, but nothing a user can notice.
TOO_COSTLY = 0.10
NOTICEABLE = 1e-3


def best_of_3(fn: Callable[[], Any]) -> float:
    """The shortest of three timings of ``fn()``, in seconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def guard_time(game: Any, method: str, exact: bool) -> float:
    """Time of the guards ``solve`` runs before solving, on a fresh size cache."""
    values = {name: p.default for name, p in game.parameters.items()}

    def guards() -> None:
        too_big(method, GameSize(game), exact)
        if exact:
            estimate_exact_size(game, game.numbers(values, exact=True))

    return best_of_3(guards)


def row(label: str, game: Any, method: str, exact: bool) -> tuple[str, float, float]:
    values = {name: p.default for name, p in game.parameters.items()}
    total = best_of_3(lambda: solve(game, values, method=method, exact=exact))
    return (f"{label}, {method} {'exact' if exact else 'float'}", guard_time(game, method, exact),
            total)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e3,1e4,1e5", help="random tree sizes (nodes)")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]

    rows: list[tuple[str, float, float]] = []
    reads: list[tuple[str, float, float]] = []
    for path in bundled_games():
        game = load(path)
        rows.append(row(path.stem, game, choose_method(game), True))
        reads.append((path.name, best_of_3(lambda p=path: read_text(p)),
                      best_of_3(lambda p=path: Path(p).read_text())))
    rng = np.random.default_rng(2026)
    for n in sizes:
        game = build_ours(random_tree(n, rng))
        for exact in (True, False):
            rows.append(row(f"random tree {n:,} nodes", game, "spe", exact))
    for n in (100, 300):
        game = imperfect_game(n, 7, False)
        for exact in (True, False):
            rows.append(row(f"imperfect game, {game.num_nodes} nodes", game, "lcp", exact))

    print("| game and method | guards | whole solve | guards' share |")
    print("|---|---|---|---|")
    costly = []
    for label, guard, total in rows:
        share = guard / total if total else 0.0
        if share > TOO_COSTLY and guard > NOTICEABLE:
            costly.append(label)
        print(f"| {label} | {guard * 1e3:.3f} ms | {total * 1e3:.1f} ms | {share:.1%} |")
    print()
    print("| file | capped reader | Path.read_text | ratio |")
    print("|---|---|---|---|")
    for name, capped, plain in reads:
        print(f"| {name} | {capped * 1e6:.0f} us | {plain * 1e6:.0f} us | {capped / plain:.2f} |")
    if costly:
        print(f"\nguards cost more than {TOO_COSTLY:.0%} of the solve and more than "
              f"{NOTICEABLE * 1e3:.0f} ms: {', '.join(costly)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
