"""Re-solve the Monte Carlo draws of `policy sweep` or `policy record` exactly, one by one.

`policy sweep --samples N --seed S` and `policy record --samples N --seed S` solve their
draws in floats. Since `qpe` has a float mode that follows the exact path, `spe` selects
in floats as it does exactly (`qpe` in each two-mover subgame, `lcp` only where `qpe`
is too big or cannot solve in floats), so the draws should take the selection of the
point figures. This script checks that: it draws the same samples (the same generator,
seed and profile), solves each in exact arithmetic and in floats, and counts the draws
whose answer differs between the two arithmetics.

Used by docs/scenario.md ("How near the answer is to turning", "How probable is the
record?"); run from the repository's root:

    python docs/scripts/exact_draws.py sweep games/ussr_1939_1941_stalin.toml -l stalin --samples 100 --seed 1
    python docs/scripts/exact_draws.py record games/ussr_1939_1941_stalin.toml \
        games/records/history_1937_1941.toml -l stalin --samples 100 --seed 0

Each draw's values are the floats the commands draw, taken as exact rationals.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from policy import api  # noqa: E402
from policy.analysis.sweep import monte_carlo_samples  # noqa: E402
from policy.leaders import resolve  # noqa: E402

#: The end-state facts reported for a sweep, as the essay's table gives them.
FACTS = ("war_with_germany", "alignment", "romania_oil")


def draws(game: Any, leader: Any, n: int, seed: int) -> list[dict[str, Fraction]]:
    """The N draws `policy sweep`/`policy record --samples N --seed S` make, as exact values."""
    base = resolve(game, leader)
    drawn = monte_carlo_samples(game, leader, base, n, seed)
    return [{k: Fraction(float(v[s])) for k, v in drawn.items()} for s in range(n)]


def end_states(game: Any, values: dict[str, Fraction], exact: bool) -> dict[tuple[str, str], float]:
    """Probability of each (fact, value) at the end of the game, solved by spe."""
    result = api.solve(game, method="spe", values=values, exact=exact).result
    eq = result.equilibria[0]
    out: dict[tuple[str, str], float] = defaultdict(float)
    for t, p in zip(game.terminals.tolist(), eq.reach, strict=True):
        if p:
            for key, value in game.nodes.at(t).outcome.facts:
                if key in FACTS:
                    out[key, value] += float(p)
    return out


def sweep(args: argparse.Namespace) -> None:
    game, leader = api.load(args.game), api.leader(args.leader)
    samples = draws(game, leader, args.samples, args.seed)
    exact_sum: dict[tuple[str, str], float] = defaultdict(float)
    float_sum: dict[tuple[str, str], float] = defaultdict(float)
    differ = []
    for s, values in enumerate(samples):
        e, f = end_states(game, values, True), end_states(game, values, False)
        for k, v in e.items():
            exact_sum[k] += v
        for k, v in f.items():
            float_sum[k] += v
        if any(abs(e.get(k, 0.0) - f.get(k, 0.0)) > 1e-9 for k in set(e) | set(f)):
            differ.append(s)
    n = len(samples)
    print(f"{args.game}, -l {args.leader}, {n} draws (seed {args.seed}), spe: mean share exact / floats")
    for key in sorted(set(exact_sum) | set(float_sum)):
        print(f"  {key[0]} = {key[1]}: {100 * exact_sum[key] / n:.1f}% / {100 * float_sum[key] / n:.1f}%")
    print(f"draws whose end states differ between the two: {len(differ)} {differ}")


def record(args: argparse.Namespace) -> None:
    # The float scores are the command's own, per draw: the batch solver `policy record
    # --samples` runs (private to policy.analysis.record; this script follows it).
    import numpy as np

    from policy.analysis.record import _SampleSolver, _scores, load_record, trace

    game, leader = api.load(args.game), api.leader(args.leader)
    samples = draws(game, leader, args.samples, args.seed)
    n = len(samples)
    joint_exact = []
    stages: dict[str, list[float]] = defaultdict(list)
    for values in samples:
        score = api.record(game, args.record, leader, method="spe", values=values, effects=False)
        joint_exact.append(float(score.joint))
        for stage, p in score.by_stage.items():
            stages[stage].append(float(p))
    t = trace(game, load_record(args.record))
    drawn = monte_carlo_samples(game, leader, resolve(game, leader), n, args.seed)
    joint_float = np.asarray(_scores(t, _SampleSolver(t, "spe").edges(drawn, n))[0], dtype=float)
    differ = [s for s in range(n) if abs(joint_exact[s] - joint_float[s]) > 1e-9]
    print(f"{args.record} on {args.game}, -l {args.leader}, {n} draws (seed {args.seed}), spe")
    print(f"  the whole record, exact: {100 * sum(joint_exact) / n:.1f}%; "
          f"in floats (as the command): {100 * float(joint_float.mean()):.1f}%")
    for stage, ps in stages.items():
        print(f"  {stage}, exact: {100 * sum(ps) / n:.1f}%")
    print(f"draws whose score differs between the two: {len(differ)} {differ}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("sweep", "record"):
        p = sub.add_parser(name)
        p.add_argument("game")
        if name == "record":
            p.add_argument("record")
        p.add_argument("-l", "--leader", required=True)
        p.add_argument("--samples", type=int, default=100)
        p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sweep(args) if args.command == "sweep" else record(args)


if __name__ == "__main__":
    main()
