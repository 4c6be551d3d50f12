"""CPU time of exact spe solves of the bundled campaign, two source trees side by side.

Each round starts one fresh process per tree (in alternating order), and each
process loads games/ussr_1937_1941.toml and times with ``time.process_time``:

* ``cold``: Stalin's profile, the first solve in the process;
* ``second``: Tukhachevsky's, after it;
* ``moved``: Stalin's profile with one parameter moved by 1/(10^9 + 7), as
  the distance-to-a-flip search's exact confirmations move one parameter to
  a long rational (the median over the parameters given, each solved after
  the two leaders).

Every solve's answer (behaviour, values, reach, regret, warnings, details) is
hashed, and the hashes of the two trees must agree. Usage::

    python benchmarks/bench_spe_exact.py --trees /tmp/before,. --rounds 3

prints one line per process and the medians per tree, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MOVED = ("surprise_loss", "preempt_edge", "two_front_cost", "german_loss_weight", "japan_drain", "soviet_war_cost")

CHILD = r"""
import hashlib, json, sys, time
from fractions import Fraction
sys.path.insert(0, '.')
from policy import api
from policy.solvers import solve

game = api.load('games/ussr_1937_1941.toml')
values = {who: api._values(game, api._leader(who), None, {}) for who in ('stalin', 'tukhachevsky')}
digest = hashlib.sha256()

def timed(v):
    start = time.process_time()
    result = solve(game, v, method='auto')
    spent = time.process_time() - start
    for eq in result.equilibria:
        digest.update(repr((eq.probabilities, eq.values, eq.reach, eq.max_regret)).encode())
    digest.update(repr((result.warnings, result.ties, sorted(result.details.items(), key=str))).encode())
    return spent

out = {'cold': timed(values['stalin']), 'second': timed(values['tukhachevsky']), 'moved': []}
for name in sys.argv[1].split(','):
    v = dict(values['stalin'])
    step = Fraction(1, 10**9 + 7)
    v[name] = v[name] + step if v[name] < 1 else v[name] - step
    out['moved'].append(timed(v))
out['digest'] = digest.hexdigest()[:16]
print(json.dumps(out))
"""


def run(tree: Path, moved: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, moved], cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trees", default=".", help="comma-separated source trees (each with policy/ and games/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--moved", default=",".join(MOVED), help="parameters moved, comma-separated")
    args = parser.parse_args()
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    runs: dict[Path, list[dict]] = {t: [] for t in trees}
    for r in range(args.rounds):
        for tree in trees if r % 2 == 0 else trees[::-1]:
            got = run(tree, args.moved)
            got["moved_median"] = statistics.median(got["moved"])
            runs[tree].append(got)
            print(f"round {r} {tree}: cold {got['cold']:.3f} s, second {got['second']:.3f} s, "
                  f"moved median {got['moved_median']:.3f} s (sum {sum(got['moved']):.2f} s), "
                  f"digest {got['digest']}, load {os.getloadavg()[0]:.1f}", flush=True)
    digests = {g["digest"] for rs in runs.values() for g in rs}
    for tree, rs in runs.items():
        print(f"{tree}: median cold {statistics.median(g['cold'] for g in rs):.3f} s, "
              f"second {statistics.median(g['second'] for g in rs):.3f} s, "
              f"moved {statistics.median(g['moved_median'] for g in rs):.3f} s")
    print("answers identical" if len(digests) == 1 else f"ANSWERS DIFFER: {sorted(digests)}")


if __name__ == "__main__":
    main()
