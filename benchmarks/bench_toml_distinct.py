"""Big TOML games with a distinct number at every terminal: held as arrays against one expression per payoff.

For each size and number of players, the random tree of
``bench_efg_distinct.efg_text`` (the shape of ``bench_spe.random_tree``,
distinct integer payoffs, 10 % chance nodes with rational probabilities) is
written as one of our TOML files (``policy.gamefile.dump_game``). The script
times, in CPU seconds (``time.process_time``, best of 3 under 1 s), reading
it (``loads_game``), then a first ``spe_solve`` in float and in exact mode on
the game just read, in two ways in the same process:

* arrays: as the reader does now (``build_game(..., constant_arrays=True)``:
  the payoffs and probabilities as :class:`policy.model.ConstantOutcomes` and
  :class:`policy.model.ConstantProbabilities`);
* expressions: the same reader with ``constant_arrays=False`` (one
  expression per payoff and per probability, as before issue 16).

The root payoffs of the four solves must agree (exit 1 otherwise).

Run: ``python benchmarks/bench_toml_distinct.py [--sizes 1e3,1e4,1e5] [--players 2,3]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_efg_distinct import efg_text  # noqa: E402

import policy.gamefile as gamefile  # noqa: E402
from policy.gambit import read_efg  # noqa: E402
from policy.gamefile import dump_game, loads_game  # noqa: E402
from policy.model import ConstantOutcomes, Game  # noqa: E402
from policy.solvers.backward import spe_solve  # noqa: E402

REPEAT_BELOW = 1.0
REPEATS = 3


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU time of one call (best of REPEATS when under REPEAT_BELOW s)."""
    best = float("inf")
    result = None
    for k in range(REPEATS):
        gc.collect()
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
        if k == 0 and best >= REPEAT_BELOW:
            break
    return best, result


def first_solve(text: str, arrays: bool, exact: bool) -> tuple[float, Any]:
    """CPU time of ``spe_solve`` on a game just read (its numbers not yet evaluated), as :func:`cpu` repeats."""
    best = float("inf")
    result = None
    for _ in range(REPEATS):
        game = read(text, arrays)
        gc.collect()
        start = time.process_time()
        result = spe_solve(game, {}, exact=exact)
        best = min(best, time.process_time() - start)
        if best >= REPEAT_BELOW:
            break
    return best, result


def read(text: str, arrays: bool) -> Game:
    """``loads_game(text)``, with the payoffs held as arrays or as expressions."""
    if arrays:
        return loads_game(text)
    real = gamefile.build_game

    def expressions(*args: Any, **kwargs: Any) -> Game:
        return real(*args, **{**kwargs, "constant_arrays": False})

    gamefile.build_game = expressions  # type: ignore[assignment]
    try:
        return loads_game(text)
    finally:
        gamefile.build_game = real


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5")
    ap.add_argument("--players", default="2,3")
    args = ap.parse_args()
    ok = True
    print("| nodes | players | TOML | read: expressions | read: arrays | spe --float: expressions | arrays "
          "| spe exact: expressions | arrays |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(float(s)) for s in args.sizes.split(",") if s):
        for players in (int(p) for p in args.players.split(",") if p):
            text = dump_game(read_efg(efg_text(size, players, 0)))
            row: dict[str, float] = {}
            roots = []
            for arrays in (False, True):
                way = "arrays" if arrays else "expressions"
                row[f"read {way}"], game = cpu(lambda arrays=arrays, text=text: read(text, arrays))
                if isinstance(game.outcomes, ConstantOutcomes) != arrays:
                    print(f"{size} nodes: the {way} path did not hold its payoffs as {way}", file=sys.stderr)
                    ok = False
                for exact in (False, True):
                    row[f"{exact} {way}"], result = first_solve(text, arrays, exact)
                    roots.append([float(v) for v in result.equilibria[0].values])
            if any(max(abs(a - b) for a, b in zip(r, roots[0], strict=True)) > 1e-9 for r in roots):
                print(f"{size} nodes, {players} players: root payoffs differ: {roots}", file=sys.stderr)
                ok = False
            print(
                f"| {size:,} | {players} | {len(text) / 1e6:.1f} MB | {row['read expressions']:.3g} s "
                f"| {row['read arrays']:.3g} s | {row['False expressions']:.3g} s | {row['False arrays']:.3g} s "
                f"| {row['True expressions']:.3g} s | {row['True arrays']:.3g} s |",
                flush=True,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
