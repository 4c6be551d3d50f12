"""The library's user-facing errors, gathered for the command line.

The classes live in the modules that raise them, and several of those
modules are slow to import (rendering, the Gambit formats, the fit). The
tuple is therefore built on first use, which is only ever when an exception
is being handled: ``except user_errors() as err`` evaluates the call only
then, so a command that succeeds never imports a module just to name its
error.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

#: Where each error caused by input (files, options) is defined: shown as one line, exit code 1.
_WHERE: tuple[tuple[str, str], ...] = (
    ("policy.gamefile", "GameFileError"),
    ("policy.model", "GameError"),
    ("policy.leaders", "LeaderError"),
    ("policy.solvers.errors", "SolverError"),
    ("policy.expr", "ExprError"),
    ("policy.claims", "ClaimsError"),
    ("policy.gambit", "GambitFormatError"),
    ("policy.loading", "UnknownFormatError"),
    ("policy.analysis.errors", "SweepError"),
    ("policy.render.plot", "PlotError"),
    ("policy.render.tree", "RenderError"),
    ("policy.analysis.errors", "RegionsError"),
    ("policy.output", "OutputError"),
    ("policy.fit.spec", "FitError"),
)


@functools.cache
def user_errors() -> tuple[type[Exception], ...]:
    """The errors caused by input, as a tuple for ``except``."""
    return tuple(getattr(importlib.import_module(module), name) for module, name in _WHERE)


def __getattr__(name: str) -> Any:
    """``USER_ERRORS``, the same tuple, for code that wants it as a name (imports every module)."""
    if name == "USER_ERRORS":
        return user_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
