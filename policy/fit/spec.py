"""The fit spec: which payoffs of a game are estimated, from which covariates.

A fit spec is a small TOML file (see ``docs/estimation.md``)::

    [fit]
    link = "probit"          # or "logit"
    errors = "agent"         # or "private"
    outcome = "y"            # a column naming the terminal reached
    factors = ["regime1"]    # columns read as categories

    [fit.payoffs.war]        # a terminal node of the game
    A = ["regime1"]          # A's payoff there: intercept + regime1 dummies
    B = 0                    # fixed at 0

Payoffs the spec does not name keep the game's own value (parameters at their
defaults). Reading checks every key and says where a problem is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from policy.files import InputError, parse_toml, read_text

LINKS = ("probit", "logit")
ERRORS = ("agent", "private")
FIT_KEYS = {"link", "errors", "outcome", "actions", "factors", "payoffs", "scale", "description"}
ACTION_KEYS = {"column", "values", "unreached"}
TERM_KEYS = {"covariates", "intercept"}
SCALE_KEYS = {"covariates", "intercept", "by_player"}


class FitError(ValueError):
    """A fit that cannot be made as asked; ``str()`` is one line naming the place."""

    def __init__(self, where: str, message: str) -> None:
        if where.endswith(".toml") and message.startswith("fit"):
            where = _with_line(where, message.split(": ", 1)[0])
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def _with_line(file: str, key: str) -> str:
    """``file:line`` where ``key`` is written in the spec ``file`` (when it can be found)."""
    from policy.gamefile import find_line

    try:
        line = find_line(read_text(file).splitlines(), key)
    except (InputError, OSError, UnicodeError):
        return file
    return f"{file}:{line}" if line else file


@dataclass(frozen=True)
class Term:
    """One payoff (a player's at a terminal): fixed, or linear in covariates.

    ``covariates`` is ``None`` for a fixed payoff; then ``value`` is used, or the
    game's own payoff when ``value`` is ``None`` too.
    """

    node: str
    player: str
    covariates: tuple[str, ...] | None = None
    intercept: bool = True
    value: float | None = None

    @property
    def estimated(self) -> bool:
        return self.covariates is not None

    @property
    def label(self) -> str:
        return f"{self.node}:{self.player}"


@dataclass(frozen=True)
class ActionColumn:
    """The column recording the action taken at one decision node."""

    node: str
    column: str
    values: Mapping[str, str] = field(default_factory=dict)
    """Data value -> action label; empty when the data hold action labels."""
    ignore_unreached: bool = False
    """Accept (and ignore) a value where the node was not reached."""


@dataclass(frozen=True)
class ScaleSpec:
    """log(scale) = intercept + covariates; one equation, or one per player."""

    covariates: tuple[str, ...] = ()
    intercept: bool = True
    by_player: bool = False


@dataclass(frozen=True)
class FitSpec:
    """What to estimate: read from a file with :func:`load_spec` or made in code."""

    terms: tuple[Term, ...]
    link: str = "probit"
    errors: str = "agent"
    outcome: str | None = None
    actions: tuple[ActionColumn, ...] = ()
    factors: tuple[str, ...] = ()
    scale: ScaleSpec | None = None
    file: str = ""

    def __post_init__(self) -> None:
        if self.link not in LINKS:
            raise FitError(self.file, f"fit.link: {self.link!r} is not one of {', '.join(LINKS)}")
        if self.errors not in ERRORS:
            raise FitError(self.file, f"fit.errors: {self.errors!r} is not one of {', '.join(ERRORS)}")
        if (self.outcome is None) == (not self.actions):
            raise FitError(self.file, "fit: give either outcome (a column of terminal names) "
                           "or actions (one column per decision node), not both or neither")
        if self.errors == "private" and self.link == "logit":
            raise FitError(self.file, "fit.link: private information needs the probit link "
                           "(sums of logistic errors have no closed form)")


def load_spec(path: str | Path) -> FitSpec:
    """Read a fit spec file, or the ``[fit]`` table of a game file; errors name the file and the key."""
    file = str(path)
    text = ""
    try:
        text = read_text(path)
        data = parse_toml(text)
    except InputError as err:
        line = err.line
        if line is None and "end of document" in err.message:
            # tomllib names no line for what is still open at the end: the last line
            line = len(text.rstrip().splitlines()) or 1
        where = f"{file}:{line}" if line else file
        raise FitError(where, err.message) from None
    except OSError as err:
        raise FitError(file, f"cannot read: {err.strerror or err}") from None
    if "nodes" in data or "game" in data:  # a game file: its [fit] table
        if "fit" not in data:
            raise FitError(file, "the game file has no [fit] table saying what to estimate (add one, "
                           "or give a separate spec with --spec)")
        data = {"fit": data["fit"]}
    return spec_from_dict(data, file)


def _fail(file: str, key: str, message: str) -> FitError:
    return FitError(file, f"{key}: {message}")


def _names(value: Any, file: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(file, key, "expected a list of column names")
    if len(set(value)) != len(value):
        raise _fail(file, key, "a column is listed twice")
    return tuple(value)


def _check_keys(body: Mapping[str, Any], allowed: set[str], file: str, key: str) -> None:
    for k in body:
        if k not in allowed:
            raise _fail(file, f"{key}.{k}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def spec_from_dict(data: Mapping[str, Any], file: str = "") -> FitSpec:
    """Build a :class:`FitSpec` from the tables of a spec file (``{"fit": {...}}``)."""
    for k in data:
        if k != "fit":
            raise _fail(file, k, "unknown table (a fit spec has one table, [fit])")
    body = data.get("fit")
    if not isinstance(body, dict):
        raise FitError(file, "no [fit] table")
    _check_keys(body, FIT_KEYS, file, "fit")
    link = body.get("link", "probit")
    errors = body.get("errors", "agent")
    for key, v in (("link", link), ("errors", errors)):
        if not isinstance(v, str):
            raise _fail(file, f"fit.{key}", "expected a string")
    outcome = body.get("outcome")
    if outcome is not None and not (isinstance(outcome, str) and outcome):
        raise _fail(file, "fit.outcome", "expected a column name")
    factors = _names(body.get("factors", []), file, "fit.factors")
    actions = _actions(body.get("actions", {}), file)
    terms = _terms(body.get("payoffs"), file)
    scale = _scale(body["scale"], file) if "scale" in body else None
    return FitSpec(terms=terms, link=link, errors=errors, outcome=outcome, actions=actions,
                   factors=factors, scale=scale, file=file)


def _actions(table: Any, file: str) -> tuple[ActionColumn, ...]:
    if not isinstance(table, dict):
        raise _fail(file, "fit.actions", "expected a table of decision nodes")
    out = []
    for node, body in table.items():
        key = f"fit.actions.{node}"
        if isinstance(body, str):
            out.append(ActionColumn(node, body))
            continue
        if not isinstance(body, dict) or "column" not in body:
            raise _fail(file, key, 'expected a column name or a table with "column"')
        _check_keys(body, ACTION_KEYS, file, key)
        column = body["column"]
        if not isinstance(column, str) or not column:
            raise _fail(file, f"{key}.column", "expected a column name")
        values = body.get("values", {})
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise _fail(file, f"{key}.values", 'expected a table { "data value" = "action" }')
        unreached = body.get("unreached", "error")
        if unreached not in ("error", "ignore"):
            raise _fail(file, f"{key}.unreached", 'expected "error" or "ignore"')
        out.append(ActionColumn(node, column, dict(values), unreached == "ignore"))
    return tuple(out)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return None


def _terms(table: Any, file: str) -> tuple[Term, ...]:
    if not isinstance(table, dict) or not table:
        raise _fail(file, "fit.payoffs", "expected a table [fit.payoffs.NODE] of payoffs to estimate")
    terms = []
    for node, players in table.items():
        if not isinstance(players, dict):
            raise _fail(file, f"fit.payoffs.{node}", "expected a table { player = covariates or number }")
        for player, spec in players.items():
            key = f"fit.payoffs.{node}.{player}"
            number = _number(spec)
            if number is not None:
                terms.append(Term(node, player, value=number))
            elif isinstance(spec, list):
                terms.append(Term(node, player, _names(spec, file, key)))
            elif isinstance(spec, dict):
                _check_keys(spec, TERM_KEYS, file, key)
                covs = _names(spec.get("covariates", []), file, f"{key}.covariates")
                intercept = spec.get("intercept", True)
                if not isinstance(intercept, bool):
                    raise _fail(file, f"{key}.intercept", "expected true or false")
                if not covs and not intercept:
                    raise _fail(file, key, "no intercept and no covariates: write 0 to fix it at 0")
                terms.append(Term(node, player, covs, intercept))
            else:
                raise _fail(file, key, "expected a number (fixed), a list of covariates, "
                            "or a table {covariates, intercept}")
    return tuple(terms)


def _scale(body: Any, file: str) -> ScaleSpec:
    if not isinstance(body, dict):
        raise _fail(file, "fit.scale", "expected a table {covariates, intercept, by_player}")
    _check_keys(body, SCALE_KEYS, file, "fit.scale")
    covs = _names(body.get("covariates", []), file, "fit.scale.covariates")
    intercept = body.get("intercept", True)
    by_player = body.get("by_player", False)
    for key, v in (("intercept", intercept), ("by_player", by_player)):
        if not isinstance(v, bool):
            raise _fail(file, f"fit.scale.{key}", "expected true or false")
    if not covs and not intercept:
        raise _fail(file, "fit.scale", "no intercept and no covariates")
    return ScaleSpec(covs, intercept, by_player)
