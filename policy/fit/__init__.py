"""Estimation: fit the payoffs of a game tree to observed outcomes.

Signorino's statistical strategic models (agent error and private information,
probit and logit) for any perfect-information tree in our format; see
``docs/estimation.md``.
"""

from policy.fit.data import Table, read_csv
from policy.fit.estimate import FitResult, fit, summary_dict
from policy.fit.spec import FitError, FitSpec, Term, load_spec, spec_from_dict

__all__ = ["FitError", "FitResult", "FitSpec", "Table", "Term", "fit", "load_spec", "read_csv",
           "spec_from_dict", "summary_dict"]
