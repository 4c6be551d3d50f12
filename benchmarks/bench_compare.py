"""`policy compare` and `policy report` on the bundled campaign, cold: CPU, wall and memory.

Each command runs in a fresh Python process (``python cli.py ...`` from the
repository root, so nothing is kept from an earlier run: no solve, no
compiled batch game), as a user runs it. Measured from the parent with
``resource.getrusage(RUSAGE_CHILDREN)``: the child's user and system CPU
time and its peak resident memory; wall time with ``time.perf_counter``.
CPU time is the number to compare on a shared machine (the wall time grows
with the load); issue 13 asks for compare under 1 s of CPU and report under 2 s.

With ``--phases``, one more run in this process splits compare's CPU time:
the leaders' and the swaps' exact solves, the distance-to-a-flip search (its
batch solves, with the number of points they solve, and its exact
confirmations), the end-state probabilities and the count.

With ``--solves``, one more run in this process times exact spe solves of the
campaign as compare makes them: with every part kept from earlier solves (the
two leaders' values alternated ten times; median) and with one parameter
moved by a small rational from a leader's values (twelve solves; each time).

Run: ``python benchmarks/bench_compare.py [--only compare,report] [--repeat 1] [--phases] [--solves]``
(``--only ''`` runs no command).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(args: list[str]) -> tuple[float, float, float, float]:
    """Run ``python cli.py ARGS`` at the root: (wall s, user s, system s, peak GB of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "cli.py", "--no-color", *args], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"policy {' '.join(args)} failed: {done.stderr.strip()}")
    # ru_maxrss of the children is the largest of any child so far (kilobytes on Linux).
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, after.ru_maxrss / 2**20


def phases() -> None:
    """Split one compare's CPU time by the functions it calls (wrapped in place)."""
    sys.path.insert(0, str(ROOT))
    import policy.analysis.compare as compare_module
    import policy.analysis.flip as flip
    from policy.loading import load

    spent: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()

    def wrap(owner: object, name: str, label: str) -> None:
        function = getattr(owner, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - start
                calls[label] += 1

        setattr(owner, name, timed)

    wrap(compare_module, "solve", "exact solves of the leaders and the swaps")
    wrap(compare_module, "swap_values", "  of which the swaps")
    wrap(compare_module, "fact_probabilities", "end-state (fact) probabilities")
    wrap(compare_module, "distances_to_flip_many", "distance-to-a-flip search (all of it)")
    wrap(flip, "_solve_points", "  of which batch solves (every leader's points together)")
    wrap(flip._Trials, "exact_path", "  of which exact confirmations (calls, solved or kept)")
    wrap(compare_module, "count_for", "counts")
    points = flip._solve_points

    def counted(game, asked):  # type: ignore[no-untyped-def]
        calls["  points given to the batch solver"] += sum(len(p) for _, p in asked)
        return points(game, asked)

    flip._solve_points = counted  # type: ignore[assignment]  # inside the batch solves' timer
    path = ROOT / "games" / "ussr_1937_1941.toml"
    start = time.process_time()
    game = load(path)
    loaded = time.process_time() - start
    start = time.process_time()
    compare_module.compare([(path, game)])
    total = time.process_time() - start
    print(f"  phases of one compare, in this process (load {loaded:.2f} s CPU, compare {total:.2f} s CPU):")
    for label, seconds in spent.items():
        print(f"    {label:55s} {calls[label]:4d} calls {seconds:7.2f} s")
    print(f"    {'  points given to the batch solver':55s} {calls['  points given to the batch solver']:5d}")


#: Parameters moved in ``--solves`` (the confirmations' parameters of a run of compare).
MOVED = ("stroke_submit_cost", "soviet_intent_estimate", "mobilisation_cost", "german_war_cost",
         "britain_drain", "german_loss_weight")


def solves() -> None:
    """CPU time of exact spe solves of the campaign: every part kept, and one parameter moved."""
    import statistics
    from fractions import Fraction

    sys.path.insert(0, str(ROOT))
    from policy.analysis.compare import DEFAULT_LEADERS
    from policy.leaders import load_leader, resolve
    from policy.loading import load
    from policy.solvers import solve

    game = load(ROOT / "games" / "ussr_1937_1941.toml")
    values = [resolve(game, load_leader(x)) for x in DEFAULT_LEADERS]
    for v in values:
        solve(game, v)
    kept = []
    for k in range(10):
        start = time.process_time()
        solve(game, values[k % 2])
        kept.append(time.process_time() - start)
    moved = []
    for k in range(2 * len(MOVED)):
        v = dict(values[k % 2])
        name = MOVED[k % len(MOVED)]
        v[name] += Fraction(1 + k // len(MOVED), 7919)
        start = time.process_time()
        solve(game, v)
        moved.append(time.process_time() - start)
    print(f"  exact solves: every part kept, median {statistics.median(kept) * 1000:.0f} ms; "
          f"one parameter moved, {len(moved)} solves {sum(moved):.2f} s ({' '.join(f'{m:.2f}' for m in moved)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="compare,report", help="which commands to time (comma-separated)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command")
    parser.add_argument("--phases", action="store_true", help="also split compare's CPU time by phase")
    parser.add_argument("--solves", action="store_true", help="also time exact solves, kept and moved")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}  {platform.python_version()}  {os.cpu_count()} CPUs  "
          f"load average {load:.1f}")
    only = [x for x in args.only.split(",") if x]
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "compare": ["compare"],
            "report": ["report", "-o", str(Path(tmp) / "report.html")],
        }
        for name in only:
            for _ in range(args.repeat):
                wall, user, system, peak = child(commands[name])
                print(f"  policy {name:8s} CPU {user + system:6.2f} s (user {user:.2f}, system {system:.2f})  "
                      f"wall {wall:6.2f} s  peak memory (largest child so far) {peak:.2f} GB")
    if args.phases:
        phases()
    if args.solves:
        solves()


if __name__ == "__main__":
    main()
