"""A fit as text (laid out like the R package's summary) or JSON-ready data."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from policy.fit.estimate import FitResult


def fit_table(result: FitResult, *, use_boot: bool = True) -> str:
    """Coefficients with standard errors, z values and two-sided p values, then the fit's numbers."""
    errors = "agent error" if result.errors == "agent" else "private information"
    lines = [f"{result.game_title}: {result.link} link, {errors}", ""]
    se = result.boot_std_errors if use_boot and result.boot is not None else result.std_errors
    what = "Boot. SE" if use_boot and result.boot is not None else "Std. Error"
    width = max([len(n) for n in result.names] + [12])
    lines.append(f"{'':{width}}  {'Estimate':>10}  {what:>10}  {'z value':>8}  {'Pr(>|z|)':>9}")
    assert se is not None
    for name, est, s in zip(result.names, result.estimates.tolist(), se.tolist(), strict=True):
        if math.isfinite(s) and s > 0:
            z = est / s
            p = 2.0 * float(ndtr(-abs(z)))
            lines.append(f"{name:{width}}  {est:10.5f}  {s:10.5f}  {z:8.3f}  {_p(p):>9} {_stars(p)}".rstrip())
        else:
            lines.append(f"{name:{width}}  {est:10.5f}  {'NA':>10}  {'NA':>8}  {'NA':>9}")
    lines.append("---")
    lines.append(SIGNIF_LEGEND)
    lines.append("")
    if result.fixed:
        lines.append("Fixed payoffs: " + ", ".join(f"{k} = {v:g}" for k, v in result.fixed))
    left_out = f" ({result.dropped} rows with missing values left out)" if result.dropped else ""
    lines.append(f"Log-likelihood: {result.loglik:.4f}   AIC: {result.aic:.4f}   "
                 f"N: {result.num_cases}{left_out}")
    if result.boot is not None:
        counts = result.boot_counts
        lines.append(f"Bootstrap: {result.boot.shape[0]} replicates ({counts['converged']} converged, "
                     f"{counts['not converged']} did not converge, {counts['diverged']} diverged)")
        if result.boot_warning:
            lines.append(f"Warning: {result.boot_warning}")
    lines.append(f"Optimisation: {result.message} ({result.iterations} BFGS iterations)")
    return "\n".join(lines)


SIGNIF_CODES = ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "."))
"""R's significance codes: the mark of a p value below each bound."""
SIGNIF_LEGEND = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"


def _stars(p: float) -> str:
    return next((mark for bound, mark in SIGNIF_CODES if p < bound), "")


def _p(p: float) -> str:
    return "<2e-16" if p < 2e-16 else f"{p:.4g}"


def predictions_csv(names: Sequence[str], probs: npt.NDArray[np.float64]) -> str:
    """One row per case, one column ``Pr(terminal)`` per terminal."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"Pr({n})" for n in names])
    for row in probs.tolist():
        writer.writerow([f"{x:.6g}" for x in row])
    return out.getvalue()


def predictions_dict(names: Sequence[str], probs: npt.NDArray[np.float64],
                     rows: npt.NDArray[np.int64], lines: Sequence[int]) -> dict[str, Any]:
    """Predictions as JSON-ready data: per predicted row, its line in the CSV file
    (``lines``, one per row of the table) and each terminal's probability."""
    return {
        "terminals": list(names),
        "rows_left_out": len(lines) - len(rows),
        "predictions": [{"line": int(lines[r]), "probabilities": dict(zip(names, p, strict=True))}
                        for r, p in zip(rows.tolist(), probs.tolist(), strict=True)],
    }
