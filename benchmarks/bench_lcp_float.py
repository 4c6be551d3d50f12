"""``solve --method lcp --float`` on small poker games against pygambit's float ``lcp_solve``, in one run.

Games: the Kuhn-like and Leduc-like poker trees of ``bench_lp.py`` (Kuhn 1950
with N card ranks; a two-round game with a pair of each rank), written as
``.efg`` files. For each, CPU time (``time.process_time``, best of
``--repeat``; the machine is shared) of

* ours: ``policy.api.solve(path, method="lcp", exact=False)``, the whole
  command's work after start-up (reading the file, the sequence form,
  Lemke's method, the regret check of the answer);
* ours, in parts: ``read_efg`` alone, and ``read_efg`` then ``lcp_solve``
  (the sequence form, Lemke's method and the check, without the command's
  size check and result record);
* pygambit: ``read_efg`` then ``nash.lcp_solve(game, rational=False)``.

Both answers' expected payoffs must agree (1e-6); the script exits 1 otherwise.

Run: ``python benchmarks/bench_lcp_float.py [--kuhn 3,4] [--leduc 2] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_lp import kuhn_like, leduc_like  # noqa: E402

from policy import api  # noqa: E402
from policy.gambit import read_efg, write_efg  # noqa: E402
from policy.solvers.lcp import lcp_solve  # noqa: E402


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kuhn", default="3,4")
    ap.add_argument("--leduc", default="2")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    import pygambit as gbt

    games = [kuhn_like(int(n)) for n in args.kuhn.split(",") if n]
    games += [leduc_like(int(n)) for n in args.leduc.split(",") if n]
    ok = True
    print("| game | nodes | policy solve (whole) | policy read | policy read + lcp_solve | pygambit read+lcp float | ours / gambit |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for g in games:
            path = Path(tmp) / "g.efg"
            path.write_text(write_efg(g))
            whole, res = best(lambda path=path: api.solve(path, method="lcp", exact=False), args.repeat)
            read, _ = best(lambda path=path: read_efg(path), args.repeat)
            solved, _ = best(lambda path=path: lcp_solve(read_efg(path), {}, exact=False), args.repeat)

            def gambit(path: Path = path) -> Any:
                gg = gbt.read_efg(str(path))
                return gg, gbt.nash.lcp_solve(gg, rational=False)

            theirs, (gg, out) = best(gambit, args.repeat)
            eq = res.equilibria[0] if hasattr(res, "equilibria") else res.result.equilibria[0]
            mine = [float(v) for v in eq.values]
            prof = out.equilibria[0]
            them = [float(prof.payoff(p)) for p in gg.players]
            if any(abs(a - b) > 1e-6 for a, b in zip(mine, them, strict=True)):
                print(f"{g.title}: payoffs {mine} != pygambit's {them}", file=sys.stderr)
                ok = False
            print(
                f"| {g.title} | {g.num_nodes} | {whole * 1e3:.1f} ms | {read * 1e3:.1f} ms | {solved * 1e3:.1f} ms | "
                f"{theirs * 1e3:.1f} ms | {whole / theirs:.2f} |",
                flush=True,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
