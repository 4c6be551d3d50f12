"""Campaigns: splicing and solving the chain as one game, against solving the stages one by one.

One run, four measurements:

1. The stand-in campaign ``benchmarks/standin/campaign.toml`` (the bundled
   games of perfect information chained 1937-1940, a coup deciding the
   profile of the later stages; not the scenario's own campaign, which is a
   later piece of work): the splice (``load_campaign``), then the exact
   subgame-perfect equilibrium of the spliced game (``solve(method="spe")``,
   its numbers evaluated anew), side by side with reading and solving the
   three stage games one by one, as was done before campaigns.
2. Monte Carlo over N draws (default 10^5) of each profile's declared
   uncertainty (``stalin`` and ``tukhachevsky``), by the batch solver
   (``run_sweep``), on the spliced game and on the stages one by one.
3. ``campaign_barbarossa.toml``: the same chain with the 1941 signalling game
   (imperfect information) after it, solved exactly by spe through its proper
   subgames (best of 3 after a first solve, numbers evaluated anew each
   time), in a child process killed after ``--budget`` seconds.
5. The bundled campaign ``games/ussr_1937_1941.toml`` (with barbarossa_1941,
   imperfect information, at 208 places): Monte Carlo over N draws of each
   profile, ``run_sweep(method="spe")``, by the batch solver (its subgames of
   imperfect information by Lemke in lockstep, :mod:`policy.analysis.batch_subgames`)
   against the one-by-one solves it used to fall back to, the latter timed on
   the first ``--estimate`` draws of each profile and extrapolated; then the
   process's peak memory (the sweep keeps per draw its path, payoffs, tie and
   facts, not every terminal's probability). ``--jobs N`` runs the sweep's
   blocks in N worker processes (default 1: this process); the CPU time then
   adds the workers' (they are waited for at the end of each sweep), and the
   largest worker's peak memory is printed beside this process's.
4. Linearity: a synthetic campaign whose one stage (a two-action decision)
   repeats R times, every terminal leading to the next play, so the spliced
   tree has about 2^(R+1) nodes; for each size, the splice and a float spe
   solve, and the time per node.
6. ``policy compare`` on the bundled campaign ``games/ussr_1937_1941.toml``
   (the library call the command makes: both leaders' solves, the swaps and
   each leader's distance to a flip over every ranged parameter), wall and CPU
   time, and how the flip search ran: by the batch solver (grid points per
   parameter, flips confirmed by exact solves), or not at all when the batch
   solver refuses the game and it is too big to search point by point.
7. The bundled campaign solved exactly by spe, in CPU time of this process
   (``time.process_time``): the splice, the first solve (it also compiles the
   game's expression table), then solves with the numbers evaluated anew
   (best of ``--repeat``), against reading and solving its four stage games
   one by one; then ``python cli.py solve games/ussr_1937_1941.toml --leader
   L`` in a child process (user and system CPU from ``getrusage``).

The stand-in files name their stage games as if beside them (a campaign may
only name files in its own folder); they are read from a temporary folder
holding them and a copy of ``games/*.toml``.

Run: ``python benchmarks/bench_campaign.py [--samples 100000] [--sizes 13,16,19] [--budget 300]
[--only 1,2,3,4,5,6,7] [--estimate 200] [--jobs 1] [--no-merge] [--quick] [--repeat 3]``. ``--no-merge`` makes the batch solver
solve every node of the spliced tree instead of each class of identical subtrees once
(:func:`policy.subtrees.subtree_classes`), as it did before.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policy.analysis.batch import BatchGame  # noqa: E402
from policy.analysis.sweep import monte_carlo_samples, run_sweep  # noqa: E402
from policy.campaign import load_campaign  # noqa: E402
from policy.gamefile import load_game  # noqa: E402
from policy.leaders import load_leader, resolve  # noqa: E402
from policy.solvers import solve  # noqa: E402

STANDIN = ROOT / "benchmarks" / "standin" / "campaign.toml"
BUNDLED = ROOT / "games" / "ussr_1937_1941.toml"
WITH_BARBAROSSA = ROOT / "benchmarks" / "standin" / "campaign_barbarossa.toml"
STAGES = [ROOT / "games" / f"{name}.toml" for name in ("coup_1937", "diplomacy_1939", "romania_1940")]
LEADERS = ("stalin", "tukhachevsky")

ROUND = """\
[game]
title = "One round"
players = ["A", "B"]

[parameters.x]
description = "What A's first action is worth"
default = "1/2"
range = [0, 1]

[nodes.start]
player = "A"
actions = { left = "l", right = "r" }

[nodes.l]
payoffs = { A = "x", B = 0 }

[nodes.r]
payoffs = { A = "1/3", B = 1 }
"""

REPEATED = """\
[campaign]
title = "A round repeated {rounds} times"
players = ["A", "B"]
discount = "9/10"

[stages.round]
game = "round.toml"
repeat = {rounds}

[[stages.round.transitions]]
next = "round"
"""


def load_standin(path: Path, clock: list[float] | None = None):
    """The stand-in campaign at ``path``, read beside a copy of the bundled games.

    ``clock``, if given, gets the seconds ``load_campaign`` took (the copying not counted).
    """
    with tempfile.TemporaryDirectory() as tmp:
        for game in (ROOT / "games").glob("*.toml"):
            shutil.copy(game, tmp)
        shutil.copy(path, tmp)
        campaign, took = timed(load_campaign, Path(tmp) / path.name)
    if clock is not None:
        clock.append(took)
    return campaign


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    out = function(*args, **kwargs)
    return out, time.perf_counter() - start


def fresh_solve(game, values, exact: bool = True):
    game._cache.clear()  # evaluate the numbers again: the solve pays for them
    return timed(solve, game, values, method="spe", exact=exact)


def standin() -> dict[str, float]:
    clock: list[float] = []
    campaign = load_standin(STANDIN, clock)
    build = clock[0]
    game = campaign.game
    values = resolve(game, load_leader("stalin"))
    _, first = fresh_solve(game, values)
    spliced = min(fresh_solve(game, values)[1] for _ in range(3))
    one_by_one = 0.0
    for path in STAGES:
        stage, read = timed(load_game, path)
        stage_values = resolve(stage, load_leader("stalin"))
        one_by_one += read + min(fresh_solve(stage, stage_values)[1] for _ in range(3))
    print(f"stand-in: {game.num_nodes} nodes, {len(campaign.instances)} stage instances, "
          f"{len(game.parameters)} parameters")
    print(f"  splice (read + build)        {build:8.3f} s")
    print(f"  spe exact, spliced           {spliced:8.3f} s   (first solve {first:.3f} s)")
    print(f"  spe exact, 3 stages one by one (read + solve) {one_by_one:8.3f} s")
    print(f"  ratio spliced / one by one   {(build + spliced) / one_by_one:8.1f}  (splice + solve against read + solve)")
    return {"build": build, "spliced": spliced, "one_by_one": one_by_one}


def monte_carlo(samples: int, merge: bool = True) -> None:
    game = load_standin(STANDIN).game
    if not merge:
        # run_sweep takes the compiled game from this cache entry; put one there that
        # solves every node (the time the splice cost before identical subtrees were shared).
        game._cache["batch"] = BatchGame(game, merge=False)
    total_spliced = total_stages = 0.0
    for key in LEADERS:
        leader = load_leader(key)
        start = time.perf_counter()
        drawn = monte_carlo_samples(game, leader, resolve(game, leader), samples, seed=0)
        result = run_sweep(game, drawn)
        spliced = time.perf_counter() - start
        stages = 0.0
        for path in STAGES:
            stage = load_game(path)
            start = time.perf_counter()
            run_sweep(stage, monte_carlo_samples(stage, leader, resolve(stage, leader), samples, seed=0))
            stages += time.perf_counter() - start
        total_spliced += spliced
        total_stages += stages
        print(f"  {key:13s} spliced {spliced:7.2f} s   stages one by one {stages:7.2f} s   "
              f"ratio {spliced / stages:5.1f}   ({len(result.path_shares())} distinct paths)")
    print(f"  both profiles: spliced {total_spliced:.2f} s, stages one by one {total_stages:.2f} s")


def _barbarossa(queue) -> None:  # pragma: no cover - runs in a child
    clock: list[float] = []
    campaign = load_standin(WITH_BARBAROSSA, clock)
    build = clock[0]
    game = campaign.game
    values = resolve(game, load_leader("stalin"))
    _, first = fresh_solve(game, values)
    took = min(fresh_solve(game, values)[1] for _ in range(3))
    queue.put((game.num_nodes, len(campaign.instances), build, first, took))


def barbarossa(budget: float) -> None:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.get_context("fork").Process(target=_barbarossa, args=(queue,))
    start = time.perf_counter()
    child.start()
    child.join(budget)
    if child.is_alive():
        child.kill()
        child.join()
        print(f"  not finished in {budget:.0f} s (killed)")
        return
    nodes, instances, build, first, took = queue.get()
    print(f"  {nodes} nodes, {instances} stage instances: splice {build:.2f} s, spe exact {took:.2f} s "
          f"(best of 3; first solve {first:.2f} s; wall {time.perf_counter() - start:.1f} s)")


def linear(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "round.toml").write_text(ROUND, encoding="utf-8")
        print(f"  {'rounds':>6} {'nodes':>10} {'splice s':>9} {'spe float s':>12} {'µs/node':>8}")
        for rounds in sizes:
            path = base / f"repeat_{rounds}.toml"
            path.write_text(REPEATED.format(rounds=rounds), encoding="utf-8")
            campaign, build = timed(load_campaign, path)
            game = campaign.game
            _, took = fresh_solve(game, {"x": 0.5}, exact=False)
            per = 1e6 * (build + took) / game.num_nodes
            print(f"  {rounds:>6} {game.num_nodes:>10,} {build:>9.2f} {took:>12.2f} {per:>8.2f}")
            del campaign, game


def _cpu_with_workers() -> float:
    """CPU time of this process and of its children waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bundled_monte_carlo(samples: int, estimate: int, jobs: int = 1) -> None:
    """Row 5: the bundled campaign, batch against one by one (extrapolated), both profiles."""
    from policy.analysis.sweep import _nash_block, batch_refusal, take

    campaign, build = timed(load_campaign, BUNDLED)
    game = campaign.game
    refused = batch_refusal(game)
    print(f"  {game.num_nodes:,} nodes, {len(game.terminals):,} terminals; splice {build:.2f} s; "
          f"batch: {'refused: ' + refused if refused else 'accepted'}")
    total_batch = total_one = total_cpu = total_one_cpu = 0.0
    for key in LEADERS:
        leader = load_leader(key)
        drawn = monte_carlo_samples(game, leader, resolve(game, leader), samples, seed=0)
        start, cpu = time.perf_counter(), _cpu_with_workers()
        result = run_sweep(game, drawn, method="spe", workers=1, jobs=jobs)
        batch, batch_cpu = time.perf_counter() - start, _cpu_with_workers() - cpu
        total_batch += batch
        total_cpu += batch_cpu
        if estimate <= 0:  # the batch solver alone
            print(f"  {key:13s} batch {batch:7.2f} s (CPU {batch_cpu:.2f} s; {1e3 * batch_cpu / samples:.2f} ms "
                  f"a draw)   ({len(result.path_shares())} distinct paths; solved one by one: "
                  f"{result.details.get('batch_one_by_one') or 'none'})")
            del result
            continue
        part = take(drawn, 0, min(estimate, samples))
        start, cpu = time.perf_counter(), time.process_time()
        _nash_block(game, part, 0, "spe")
        count = len(next(iter(part.values())))
        per, per_cpu = (time.perf_counter() - start) / count, (time.process_time() - cpu) / count
        one, one_cpu = per * samples, per_cpu * samples
        total_one += one
        total_one_cpu += one_cpu
        print(f"  {key:13s} batch {batch:7.2f} s (CPU {batch_cpu:.2f} s)   one by one {one:9.0f} s* "
              f"(CPU {one_cpu:.0f} s*; {1e3 * per_cpu:.0f} ms CPU a draw, from {count})   "
              f"ratio {one / batch:5.0f} (CPU {one_cpu / batch_cpu:.0f})   ({len(result.path_shares())} distinct paths)")
        del result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kilobytes on Linux
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(f"  peak memory of the process so far: {peak:.2f} GB"
          + (f"; of the largest worker: {worker:.2f} GB ({jobs} jobs)" if jobs > 1 else ""))
    if estimate <= 0:
        print(f"  both profiles: batch {total_batch:.2f} s (CPU {total_cpu:.2f} s; {1e3 * total_cpu / samples:.2f} ms "
              f"a draw of both, so 10^5 draws of both about {1e5 * total_cpu / samples:.0f} s of CPU)")
        return
    print(f"  both profiles: batch {total_batch:.2f} s (CPU {total_cpu:.2f} s), one by one {total_one:.0f} s* "
          f"(CPU {total_one_cpu:.0f} s*; * extrapolated), ratio {total_one / total_batch:.0f} "
          f"(CPU {total_one_cpu / total_cpu:.0f})")


def compare_campaign() -> None:
    from policy.analysis.compare import compare

    path = ROOT / "games" / "ussr_1937_1941.toml"
    game = load_campaign(path).game
    wall, cpu = time.perf_counter(), time.process_time()
    [c] = compare([(path, game)], list(LEADERS))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {game.num_nodes:,} nodes, {len(c.swaps)} swaps: wall {wall:.1f} s, CPU {cpu:.1f} s")
    for key, search in zip(LEADERS, c.flips, strict=True):
        if search.skipped:
            print(f"  {key}: flips {search.skipped}")
            continue
        how = "batch" if search.batched else "point by point"
        print(f"  {key}: {how}, {search.grid} grid points a parameter, {len(search.flips)} flips "
              f"({sum(f.confirmed for f in search.flips)} confirmed by exact solves), "
              f"{len(search.stable)} stable, {len(search.failed)} failed, {search.solves} verified solves")


BUNDLED_STAGES = [ROOT / "games" / f"{name}.toml" for name in ("coup_1937", "diplomacy_1939", "romania_1940",
                                                                  "barbarossa_1941")]


def cpu(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the CPU seconds of this process it took."""
    start = time.process_time()
    out = function(*args, **kwargs)
    return out, time.process_time() - start


def fresh_cpu(game, values):
    """CPU seconds of one exact spe solve with the game's numbers evaluated anew.

    ``game._cache`` holds what depends on the values (numbers, solved parts) and
    the subgame layout; the game's compiled expression table is kept, as in any
    solve after the first.
    """
    game._cache.clear()
    return cpu(solve, game, values, method="spe", exact=True)[1]


def bundled_exact(repeat: int) -> None:
    """Row 7: the bundled campaign solved exactly by spe, in process and from the command line."""
    import subprocess

    campaign, build = cpu(load_campaign, BUNDLED)
    game = campaign.game
    print(f"  {game.num_nodes:,} nodes, {len(game.parameters)} parameters; load and splice {build:.2f} s CPU")
    for key in LEADERS:
        values = resolve(game, load_leader(key))
        _, first = cpu(solve, game, values, method="spe", exact=True)
        again = sorted(fresh_cpu(game, values) for _ in range(repeat))
        one_by_one = 0.0
        for path in BUNDLED_STAGES:
            stage, read = cpu(load_game, path)
            stage_values = resolve(stage, load_leader(key))
            one_by_one += read + min(fresh_cpu(stage, stage_values) for _ in range(repeat))
        print(f"  {key:13s} spe exact: first solve {first:.2f} s, again {again[0]:.2f} s "
              f"(best of {repeat}; worst {again[-1]:.2f} s) CPU; the 4 stages one by one (read + solve) "
              f"{one_by_one:.3f} s; ratio {again[0] / one_by_one:.0f} (solve against read + solve)")
    for key in LEADERS:
        command = [sys.executable, "cli.py", "solve", str(BUNDLED.relative_to(ROOT)), "--leader", key]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        print(f"  python cli.py solve {BUNDLED.relative_to(ROOT)} --leader {key}: "
              f"{user:.2f} s user + {system:.2f} s system CPU (wall {wall:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--sizes", default="13,16,19", help="rounds of the repeated campaign (nodes ~ 2^(R+1))")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for the campaign with Barbarossa")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="which measurements to run (1-7, comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="solves of each kind in measurement 7 (best kept)")
    parser.add_argument("--estimate", type=int, default=200,
                        help="draws solved one by one to extrapolate from (measurement 5; 0: none, "
                             "the batch solver alone)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes for the sweep's blocks in measurement 5 (default 1: this process)")
    parser.add_argument("--no-merge", action="store_true",
                        help="Monte Carlo without sharing identical subtrees (every node solved)")
    parser.add_argument("--quick", action="store_true", help="10^4 samples, sizes 10,13, budget 30 s")
    args = parser.parse_args()
    only = {int(x) for x in args.only.split(",")}
    if args.quick:
        args.samples, args.sizes, args.budget = 10_000, "10,13", 30.0
    print(f"{datetime.date.today()}  {platform.python_version()}  {os.cpu_count()} CPUs  {platform.machine()}")
    if 1 in only:
        print("1. the stand-in campaign, spe exact")
        standin()
    if 2 in only:
        shared = "every node solved" if args.no_merge else "identical subtrees solved once"
        print(f"2. Monte Carlo, {args.samples:,} draws of each profile (batch solver, {shared})")
        monte_carlo(args.samples, merge=not args.no_merge)
    if 3 in only:
        print("3. with the 1941 signalling game (imperfect information), spe exact through subgames")
        barbarossa(args.budget)
    if 4 in only:
        print("4. splicing is linear: a two-action round repeated R times")
        linear([int(x) for x in args.sizes.split(",")])
    if 5 in only:
        print(f"5. the bundled campaign, Monte Carlo, {args.samples:,} draws of each profile, spe: "
              "batch (Lemke in lockstep) against one by one")
        bundled_monte_carlo(args.samples, args.estimate, args.jobs)
    if 6 in only:
        print("6. policy compare on the bundled campaign (stalin, tukhachevsky)")
        compare_campaign()
    if 7 in only:
        print("7. the bundled campaign, spe exact: in process (CPU) and the command line")
        bundled_exact(args.repeat)


if __name__ == "__main__":
    main()
