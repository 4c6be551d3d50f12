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

The root payoffs of the four solves must agree (exit 1 otherwise). The
arrays are read by the whole-file reader (:mod:`policy.toml_arrays`), the
expressions by ``tomllib`` and the usual reader.

With ``--read``, the script instead compares the readers of the same file:
the file is written once per size, then each reader reads it in a child
process of its own (``load_game``), ``--repeat`` times in turn. The readers
(``--ways``): ``tomllib`` (``policy.toml_arrays.read_toml_arrays`` made to
decline: ``tomllib`` and the usual reader), ``lines`` (the whole-file reader
with its line patterns only: ``TOKENS_FROM`` set past any file) and
``tokens`` (the whole-file reader as shipped: the byte tokenizer first).
Each child reports the CPU time of the read (``time.process_time``), its
peak resident memory (``VmHWM`` in ``/proc/self/status``, Linux) and the
peak before the read, and a digest of the game read (arrays, names, node
locations, outcomes, probabilities), which must be the same for every reader
(exit 1 otherwise). The medians are printed.

Run: ``python benchmarks/bench_toml_distinct.py [--sizes 1e3,1e4,1e5] [--players 2,3] [--read [--repeat 3] [--ways tomllib,lines,tokens]]``
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
import policy.toml_arrays as toml_arrays  # noqa: E402
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
    fast = toml_arrays.read_toml_arrays

    def expressions(*args: Any, **kwargs: Any) -> Game:
        return real(*args, **{**kwargs, "constant_arrays": False})

    gamefile.build_game = expressions  # type: ignore[assignment]
    toml_arrays.read_toml_arrays = lambda *args: None  # type: ignore[assignment]
    try:
        return loads_game(text)
    finally:
        gamefile.build_game = real
        toml_arrays.read_toml_arrays = fast


#: What a child of ``--read`` runs: argv[1] the file, argv[2] "tomllib", "lines" or "tokens".
CHILD = r"""
import hashlib, re, sys, time
import numpy as np
import policy.toml_arrays as toml_arrays
from policy.gamefile import load_game
def peak_kib():  # this process's own high-water mark (ru_maxrss can carry the parent's over)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s*(\d+)", status.read()).group(1))
if sys.argv[2] == "tomllib":
    toml_arrays.read_toml_arrays = lambda *args: None
elif sys.argv[2] == "lines":
    toml_arrays.TOKENS_FROM = 1 << 62
before = peak_kib()
start = time.process_time()
game = load_game(sys.argv[1], known_claims=[])
cpu = time.process_time() - start
peak = peak_kib()
digest = hashlib.sha256()
for part in (game.parent, game.kind, game.player, game.infoset, game.outcome, game.num_children,
             game.outcomes.num, game.outcomes.den, game.chance_probability.edges,
             game.chance_probability.num, game.chance_probability.den):
    digest.update(np.ascontiguousarray(part).tobytes())
digest.update(repr((tuple(game.node_names), game.action_label, [game.location(i) for i in range(game.num_nodes)],
                    game.outcomes.labels, game.outcomes.texts, game.chance_probability.texts,
                    [game.infosets.at(k).name for k in range(len(game.infosets))])).encode())
print(cpu, before, peak, digest.hexdigest())
"""


def read_children(sizes: list[int], players_list: list[int], repeat: int, ways: list[str]) -> bool:
    """The ``--read`` table: each reader in children of its own, medians of ``repeat``."""
    import statistics
    import subprocess
    import tempfile

    ok = True
    last = ways[-1]
    print("| nodes | players | TOML | " + " | ".join(f"{w} reader" for w in ways)
          + "".join(f" | {last} vs {w}" for w in ways[:-1])
          + " | peak memory: " + " | ".join(ways) + " | (before reading) |")
    print("|---:" * (3 + 2 * len(ways) + len(ways) - 1 + 1) + "|")
    for size in sizes:
        for players in players_list:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "game.toml"
                path.write_text(dump_game(read_efg(efg_text(size, players, 0))), encoding="utf-8")
                runs: dict[str, list[tuple[float, int, int, str]]] = {w: [] for w in ways}
                for _ in range(repeat):
                    for way in runs:
                        out = subprocess.run(
                            [sys.executable, "-c", CHILD, str(path), way],
                            capture_output=True, text=True, check=True, cwd=HERE.parent,
                        ).stdout.split()
                        runs[way].append((float(out[0]), int(out[1]), int(out[2]), out[3]))
                digests = {r[3] for rs in runs.values() for r in rs}
                if len(digests) != 1:
                    print(f"{size} nodes, {players} players: the readers read different games", file=sys.stderr)
                    ok = False
                cpu = {w: statistics.median(r[0] for r in rs) for w, rs in runs.items()}
                peak = {w: statistics.median(r[2] for r in rs) / 1024 for w, rs in runs.items()}
                before = min(r[1] for rs in runs.values() for r in rs) / 1024
                print(
                    f"| {size:,} | {players} | {path.stat().st_size / 1e6:.1f} MB | "
                    + " | ".join(f"{cpu[w]:.3g} s" for w in ways)
                    + "".join(f" | {cpu[w] / cpu[last]:.1f}×" for w in ways[:-1])
                    + " | " + " | ".join(f"{peak[w]:.0f} MB" for w in ways) + f" | {before:.0f} MB |",
                    flush=True,
                )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5")
    ap.add_argument("--players", default="2,3")
    ap.add_argument("--read", action="store_true", help="compare the two readers only, in child processes")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each reader with --read (median)")
    ap.add_argument("--ways", default="tomllib,lines,tokens",
                    help="readers compared with --read, the last one against the others")
    args = ap.parse_args()
    if args.read:
        sizes = [int(float(s)) for s in args.sizes.split(",") if s]
        players_list = [int(p) for p in args.players.split(",") if p]
        ways = [w for w in args.ways.split(",") if w]
        if not ways or any(w not in ("tomllib", "lines", "tokens") for w in ways):
            ap.error("--ways: tomllib, lines and tokens, comma-separated")
        return 0 if read_children(sizes, players_list, args.repeat, ways) else 1
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
