"""The library's user-facing errors, gathered for the command line."""

from __future__ import annotations

from policy.analysis.errors import RegionsError, SweepError
from policy.claims import ClaimsError
from policy.expr import ExprError
from policy.fit.spec import FitError
from policy.gambit import GambitFormatError
from policy.gamefile import GameFileError
from policy.leaders import LeaderError
from policy.loading import UnknownFormatError
from policy.model import GameError
from policy.output import OutputError
from policy.render.plot import PlotError
from policy.render.tree import RenderError
from policy.solvers.errors import SolverError

#: Errors caused by input (files, options): shown as one line, exit code 1.
USER_ERRORS: tuple[type[Exception], ...] = (
    GameFileError,
    GameError,
    LeaderError,
    SolverError,
    ExprError,
    ClaimsError,
    GambitFormatError,
    UnknownFormatError,
    SweepError,
    PlotError,
    RenderError,
    RegionsError,
    OutputError,
    FitError,
)
