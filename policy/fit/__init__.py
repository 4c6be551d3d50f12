"""Estimation: fit the payoffs of a game tree to observed outcomes.

Signorino's statistical strategic models (agent error and private information,
probit and logit) for any perfect-information tree in our format; see
``docs/estimation.md``. Names are loaded on first use, so that the command line
can register ``policy fit`` without importing numpy and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policy.fit.data import Table, read_csv
    from policy.fit.estimate import FitResult, fit, summary_dict
    from policy.fit.spec import FitError, FitSpec, Term, load_spec, spec_from_dict

_WHERE = {
    "Table": "data", "read_csv": "data",
    "FitResult": "estimate", "fit": "estimate", "summary_dict": "estimate",
    "FitError": "spec", "FitSpec": "spec", "Term": "spec", "load_spec": "spec",
    "spec_from_dict": "spec",
}

__all__ = ["FitError", "FitResult", "FitSpec", "Table", "Term", "fit", "load_spec", "read_csv",
           "spec_from_dict", "summary_dict"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"policy.fit.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'policy.fit' has no attribute {name!r}")
