"""The report's own part, timed apart from the comparison it draws on.

``policy report`` on the bundled campaign is the comparison (``compare``,
timed by ``bench_compare.py``) plus the report's own work: per game the
explanation, per leader the tree (``tree_view``, with the sequential check
of the equilibrium, then the DOT text and Graphviz's ``dot``), and the HTML.
This script times that second part alone, in CPU seconds
(``time.process_time``; ``dot`` runs in a child process and is timed apart
by ``resource.getrusage(RUSAGE_CHILDREN)``).

Two steps, so that two source trees can be timed on the same comparison::

    python benchmarks/bench_report_trees.py save /tmp/cmp.pickle   # runs compare once (about 40 s of CPU)
    python benchmarks/bench_report_trees.py time /tmp/cmp.pickle --reps 5

``save`` pickles the comparisons (``GameComparison`` objects, games and
results included); ``time`` loads them and builds the report's sections and
HTML ``--reps`` times, dropping the sequential checks kept with the
equilibria between repetitions, and prints each part's median (the first
repetition also evaluates the numbers at the leaders' values, which the
pickle does not keep). Run ``time`` from each
source tree's root (``cd /tmp/main_export && python
/path/to/bench_report_trees.py time ...``), alternating, on the same
pickle: the classes are looked up by name, so both trees must define the
same ones. ``--html OUT`` also writes the last repetition's page, to compare
two trees' pages byte for byte.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())


def _save(out: Path) -> None:
    from policy.analysis.compare import DEFAULT_LEADERS, compare
    from policy.bundled import bundled_campaigns
    from policy.leaders import load_leader
    from policy.loading import load

    profiles = tuple(load_leader(x) for x in DEFAULT_LEADERS)
    loaded = [(Path(p), load(p)) for p in bundled_campaigns()]
    start = time.process_time()
    comparisons = compare(loaded, profiles)
    print(f"compare: {time.process_time() - start:.2f} s CPU")
    for c in comparisons:
        for r in c.results:
            for eq in r.equilibria if r is not None else ():
                eq.__dict__.pop("_sequential", None)
    with out.open("wb") as f:
        pickle.dump((loaded, profiles, comparisons), f, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"saved {out}")


def _forget(comparisons: Any) -> None:
    """Drop the sequential checks a previous repetition kept with the equilibria."""
    for c in comparisons:
        for r in c.results:
            for eq in r.equilibria if r is not None else ():
                eq.__dict__.pop("_sequential", None)


def _children() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _time(path: Path, reps: int, html_out: Path | None) -> None:
    import policy.render.report as rep
    from policy.analysis.compare import display_path
    from policy.analysis.explain import catalogue_for, explain
    from policy.claims import load_claims
    from policy.render.tree import run_dot, tree_dot, tree_view

    with path.open("rb") as f:
        loaded, profiles, comparisons = pickle.load(f)
    for c in comparisons:
        # The expression table's memo of equal subtrees is keyed by object
        # identities, which do not survive pickling: rebuilt on first use.
        table = c.game.__dict__.get("_expressions")
        if table is not None:
            table._derived.clear()
    parts: dict[str, list[float]] = {k: [] for k in ("view", "dot_text", "dot_child", "explain", "html", "all")}
    page = ""
    for _ in range(reps):
        _forget(comparisons)
        gc.collect()
        t = dict.fromkeys(parts, 0.0)
        begin = time.process_time()
        sections = []
        for (p, _g), c in zip(loaded, comparisons, strict=True):
            s0 = time.process_time()
            found = catalogue_for(p)
            claims = load_claims(found) if found is not None else {}
            explanation = explain(c.game, display_path(p), profiles, claims=claims,
                                  catalogue=display_path(found) if found is not None else None)
            t["explain"] += time.process_time() - s0
            depth = rep.auto_depth(c.game)
            trees = []
            for k, leader in enumerate(c.leaders):
                result = c.results[k]
                s0 = time.process_time()
                view = tree_view(c.game, result.parameters, result, depth=depth, leader=leader.name)
                s1 = time.process_time()
                text = tree_dot(view)
                s2 = time.process_time()
                before = _children()
                svg = run_dot(text, "svg").decode("utf-8")
                t["dot_child"] += _children() - before
                s3 = time.process_time()
                t["view"] += s1 - s0
                t["dot_text"] += (s2 - s1) + (s3 - s2)
                said = view.caption.removeprefix(f"leader {leader.name}, ")
                caption = f"{c.game.title} under {leader.name}: {said}; bold edges are the equilibrium path."
                if depth is not None:
                    caption += f" Subtrees below depth {depth} are collapsed into dashed boxes."
                trees.append(rep.Picture(leader.key, svg, caption))
            plots, notes = rep._sweeps(c, "auto")
            sections.append(rep.GameSection(f"game-{rep._slug(p.stem)}", p.stem, c, explanation, tuple(trees),
                                            depth, plots, notes))
        report = rep.Report(tuple(sections), profiles, "bench", "2026-01-01", "policy report -o x.html")
        s0 = time.process_time()
        page = rep.report_html(report)
        t["html"] += time.process_time() - s0
        t["all"] = time.process_time() - begin
        for k, v in t.items():
            parts[k].append(v)
    for k, v in parts.items():
        print(f"{k:10s} median {statistics.median(v):7.3f} s   runs " + " ".join(f"{x:.3f}" for x in v))
    print(f"load average {os.getloadavg()[0]:.1f}")
    if html_out is not None:
        html_out.write_text(page, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    save = sub.add_parser("save", help="run compare once and pickle it")
    save.add_argument("out", type=Path)
    timing = sub.add_parser("time", help="time the report's own part on a saved comparison")
    timing.add_argument("saved", type=Path)
    timing.add_argument("--reps", type=int, default=3)
    timing.add_argument("--html", type=Path, default=None)
    args = parser.parse_args()
    if args.step == "save":
        _save(args.out)
    else:
        _time(args.saved, args.reps, args.html)


if __name__ == "__main__":
    main()
