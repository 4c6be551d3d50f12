"""What reusing HiGHS's state would give a sweep of ``lp`` solves (issue 18; measured, not built).

``policy.solvers.lp`` calls ``scipy.optimize.linprog(method="highs")``, which
starts every program from scratch: a sweep that solves the same game at many
parameter values pays a full simplex run each time. highspy (HiGHS's own
Python binding, not a dependency of ``policy``) can keep a ``Highs`` object
and start each program from the previous optimal basis (``passModel`` then
``setBasis``). This script measures the difference on player 1's program of
``lp`` (``lp._programs``, float), built from ``bench_nash.imperfect_game``'s
zero-sum tree of ``--nodes`` nodes, over ``--samples`` variants whose payoff
matrix has half its entries (at random) scaled by ``1 + 0.05 N(0, 1)``, a
stand-in for a sweep's samples. Three ways, CPU time per program: linprog as
now, highspy cold (a fresh model each time), highspy warm (the previous
basis); the optimal values must agree with linprog's.

Run: ``python benchmarks/bench_lp_warm.py [--nodes 364,2000,10000] [--samples 30]``
(needs highspy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_nash import imperfect_game  # noqa: E402
from bench_spe import load_average, parse_sizes  # noqa: E402

from policy import tolerances  # noqa: E402
from policy.representations.sequence import sequence_form  # noqa: E402
from policy.solvers.lp import _programs, payoff_scales  # noqa: E402


def main() -> int:
    import highspy
    from scipy import sparse
    from scipy.optimize import linprog

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=parse_sizes, default=[364, 2000, 10000])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    print(f"# python benchmarks/bench_lp_warm.py {' '.join(sys.argv[1:])}; load {load_average()}")
    print("| nodes | linprog | highspy cold | highspy warm | simplex iterations cold / warm |")
    print("|---:|---:|---:|---:|---:|")
    failed = False
    for nodes in args.nodes:
        game = imperfect_game(nodes, 0, True)
        numbers = game.numbers({}, exact=False)
        form = sequence_form(game, {}, exact=False)
        program = _programs(form, tolerances.payoff_units(payoff_scales(numbers)))[0]
        g, e, f = program.G.tocoo(), program.E, program.F
        n, m = g.shape[0], f.shape[0]
        cost = np.concatenate([np.zeros(n), -program.f])
        a_eq = sparse.hstack([e, sparse.csr_matrix((e.shape[0], m))], format="csr")
        rng = np.random.default_rng(nodes)
        variants = []
        for _ in range(args.samples):
            scale = np.where(rng.random(g.nnz) < 0.5, 1 + 0.05 * rng.standard_normal(g.nnz), 1.0)
            gs = sparse.coo_matrix((g.data * scale, (g.row, g.col)), shape=g.shape).tocsr()
            variants.append(sparse.hstack([-gs.T, f.T], format="csr"))
        start = time.process_time()
        want = []
        for a_ub in variants:
            res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), A_eq=a_eq, b_eq=program.e,
                          bounds=[(0.0, None)] * n + [(None, None)] * m, method="highs")
            want.append(res.fun)
        times = [time.process_time() - start]
        iterations = []
        for warm in (False, True):
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            basis: Any = None
            got, steps = [], 0
            start = time.process_time()
            for a_ub in variants:
                highs.passModel(_model(highspy, sparse, cost, a_ub, a_eq, program.e, n, m))
                if warm and basis is not None:
                    highs.setBasis(basis)
                highs.run()
                info = highs.getInfo()
                got.append(info.objective_function_value)
                steps += info.simplex_iteration_count
                basis = highs.getBasis()
            times.append(time.process_time() - start)
            iterations.append(steps / len(variants))
            failed |= max(abs(x - y) for x, y in zip(got, want, strict=True)) > 1e-7 * max(1.0, *map(abs, want))
        per = [f"{t / len(variants) * 1e3:.3g} ms" for t in times]
        print(f"| {nodes:,} | {per[0]} | {per[1]} | {per[2]} | {iterations[0]:.0f} / {iterations[1]:.0f} |",
              flush=True)
    if failed:
        print("FAIL: highspy's optimal values differ from linprog's", file=sys.stderr)
    return 1 if failed else 0


def _model(highspy: Any, sparse: Any, cost: Any, a_ub: Any, a_eq: Any, b_eq: Any, n: int, m: int) -> Any:
    """The program ``min cost.z : a_ub z <= 0, a_eq z = b_eq, z[:n] >= 0`` as a ``HighsLp``."""
    matrix = sparse.vstack([a_ub, a_eq], format="csc")
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.concatenate([np.zeros(n), np.full(m, -inf)])
    lp.col_upper_ = np.full(n + m, inf)
    lp.row_lower_ = np.concatenate([np.full(a_ub.shape[0], -inf), b_eq])
    lp.row_upper_ = np.concatenate([np.zeros(a_ub.shape[0]), b_eq])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    return lp


if __name__ == "__main__":
    raise SystemExit(main())
