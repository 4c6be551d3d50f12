"""The Python API: what the ``policy`` command does, as functions for scripts and notebooks.

Every function here calls the same library functions as the command of the
same name, so a notebook and the command line give the same answers::

    import policy

    game = policy.load("games/diplomacy_1939.toml")
    solution = policy.solve(game, leader="stalin")        # defaults, then the leader's values
    solution = policy.solve(game, readiness="3/5")        # or parameter values by name
    policy.compare("games/diplomacy_1939.toml", leaders=["stalin", "tukhachevsky"])
    svg = policy.draw(game, leader="stalin")            # the tree as SVG text

Games can be made in code as well as read from files: `from_dict` takes
the same nested tables as a TOML game file (validated by the same reader),
`GameBuilder` adds nodes one call at a time, and `from_matrices` turns
payoff arrays into a strategic-form game as ``nashpy.Game(A, B)`` does (any
number of players; `bimatrix` is the two-player tree with a builder's names).

Results (`Solution`, `Comparison`, `Sweep`,
`Regions`) wrap the library's own result types, which stay reachable
as ``.result``; in Jupyter they show as HTML tables (``_repr_html_``), and
`Drawing` shows a tree as SVG.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policy.analysis.compare import GameComparison
    from policy.analysis.decompose import Decomposition
    from policy.analysis.explain import Explanation
    from policy.analysis.record import RecordScore
    from policy.analysis.regions import RegionsResult
    from policy.analysis.sweep import SweepResult
    from policy.claims import Claim
    from policy.leaders import Leader
    from policy.model import Game, Number
    from policy.solvers.count import Count
    from policy.solvers.result import SolveResult

__all__ = [
    "Checked",
    "Comparison",
    "Drawing",
    "GameBuilder",
    "Note",
    "Regions",
    "Solution",
    "Stopped",
    "Sweep",
    "bimatrix",
    "find_claims",
    "compare",
    "convert",
    "decompose",
    "draw",
    "explain",
    "from_dict",
    "from_matrices",
    "leader",
    "load",
    "record",
    "regions",
    "report",
    "solve",
    "sweep",
    "validate",
    "values",
]

class Note(UserWarning):
    """A remark on what a call chose for you (the method ``auto`` picked, how deep a tree is drawn).

    The command prints these on stderr as ``note: ...``; other warnings
    (values outside their declared ranges, a leader who sets none of a
    game's parameters, samples that failed) as ``warning: ...``.
    """


class Stopped(UserWarning):
    """A sweep stopped early by Ctrl-C or an error; the result holds what was solved."""


def _note(text: str) -> None:
    import warnings

    warnings.warn(text, Note, stacklevel=3)


def _where(game: Game) -> str:
    from policy.analysis.compare import display_path

    return display_path(game.file) if game.file else f"<{game.title}>"


def _note_auto(game: Game, method: str) -> None:
    """Say which method ``auto`` chose where the rule is not the plain one (imperfect information, 3+ players)."""
    if method != "auto" or game.is_perfect_information or len(game.players) <= 2:
        return
    from policy.solvers import auto_reason, choose_method

    _note(f"{_where(game)}: method auto chose {choose_method(game)}: {auto_reason(game)}")


# -- reading -------------------------------------------------------------------------------


def load(path: str | Path) -> Game:
    """Read a game file: our TOML format, or Gambit's ``.efg`` / ``.nfg`` (by suffix).

    The same reader as every command's ``FILE`` argument
    (`policy.loading.load`); errors name the file and the line. A bundled
    game is found from any folder, by its path in the project
    (``games/diplomacy_1939.toml``) or by its name (``diplomacy_1939``);
    see `bundled_file`.
    """
    from policy.loading import load as read

    return read(bundled_file(path))


def bundled_file(path: str | Path) -> str | Path:
    """``path`` itself when it exists; else the bundled file it names, when there is one.

    So that the examples work outside the checkout, from an installed wheel:
    ``games/coup_1937.toml`` is looked for in the bundled data as well, and a
    bare name without a suffix (``coup_1937``) among the bundled games. A
    file of the user's always comes first.
    """
    from policy.bundled import data_root, games_dir

    given = Path(path)
    if given.exists() or given.is_absolute():
        return path
    for candidate in (data_root() / given,
                      games_dir() / f"{given}.toml" if not given.suffix and given.parent == Path() else None):
        if candidate is not None and candidate.is_file():
            return candidate
    return path


def leader(name_or_path: str | Path) -> Leader:
    """A leader profile: a bundled name (``"stalin"``) or a profile file."""
    from policy.leaders import load_leader

    return load_leader(name_or_path)


def _game(game: Game | str | Path) -> Game:
    from policy.model import Game

    return game if isinstance(game, Game) else load(game)


def _leader(who: Leader | str | Path | None) -> Leader | None:
    if who is None:
        return None
    from policy.leaders import Leader

    return who if isinstance(who, Leader) else leader(who)


def _exact(value: Any, name: str) -> Fraction:
    """A parameter value given in Python: int, Fraction, exact string (``"2/3"``) or float.

    A float is read as its shortest decimal (``0.6`` is 3/5), as TOML numbers are.
    """
    from policy.leaders import parse_assignments

    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError(f"parameter {name}: expected a number, not {value!r}")
    if isinstance(value, float | int | Decimal):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str):
        raise TypeError(f"parameter {name}: expected a number, not {type(value).__name__}")
    return parse_assignments([f"{name}={value}"])[name]


def values(
    game: Game | str | Path,
    leader: Leader | str | Path | None = None,
    values: Mapping[str, Any] | None = None,
    **params: Any,
) -> dict[str, Fraction]:
    """Every parameter's value: the game's defaults, then the leader's, then ``values`` and ``params``.

    The same rule as ``--leader`` and ``--set`` (`policy.leaders.resolve`):
    a name the game does not declare, or a parameter left without a value, is
    a `policy.leaders.LeaderError` listing the names.
    """
    from policy.leaders import resolve

    given = {**(values or {}), **params}
    return resolve(_game(game), _leader(leader), {k: _exact(v, k) for k, v in given.items()})


# -- solving -------------------------------------------------------------------------------


def solve(
    game: Game | str | Path,
    leader: Leader | str | Path | None = None,
    method: str = "auto",
    values: Mapping[str, Any] | None = None,
    *,
    exact: bool | None = None,
    all_equilibria: bool = False,
    refinement: str | None = None,
    lam: float | None = None,
    subgame_method: str | None = None,
    max_pivots: int | None = None,
    max_bases: int | None = None,
    max_seconds: float | None = None,
    options: Mapping[str, Any] | None = None,
    **params: Any,
) -> Solution:
    """Solve a game for its equilibria, each verified (its max regret is computed), as ``policy solve``.

    Parameters
    ----------
    game
        A game, or the path of a game file.
    leader
        A leader profile, a bundled name or a profile file; its values
        replace the game's defaults.
    method
        ``auto``, ``spe``, ``lcp``, ``lp``, ``enummixed``, ``enumpure`` or
        ``logit`` (see `policy.solvers`).
    values
        Parameter values that replace the defaults and the leader's (as
        ``--set``), such as ``{"p": "2/3"}``. Numbers may be ints, fractions,
        exact strings or floats (read as written: ``0.6`` is 3/5).
    exact
        Rational arithmetic or floats (``--exact/--float``); by default the
        method's own (exact for all but ``logit``).
    all_equilibria
        More than one equilibrium (``--all``).
    refinement
        ``"intuitive"``: the perfect Bayesian equilibria of a signalling game
        that pass the Intuitive Criterion (``--refine intuitive``).
    lam
        ``logit``: the quantal response equilibrium at this lambda (``--lambda``).
    subgame_method
        ``spe`` with imperfect information: the Nash method for each proper subgame.
    max_pivots
        ``lcp``: the most pivots of each Lemke run.
    max_bases
        ``enummixed``: stop with an error after this many bases.
    max_seconds
        ``enummixed``: stop with an error after this many seconds.
    options
        Further options of the n-player methods, by the name of the
        command's option (``seed``, ``max_lambda``, ``first_step``,
        ``max_accel``, ``max_steps``, ``max_regret``).
    **params
        Parameter values by name, as ``values``: ``p="2/3"``.
    """
    from policy.solvers import solve as run

    g = _game(game)
    profile = _leader(leader)
    chosen = _values(g, profile, values, params)
    if refinement is None:
        _note_auto(g, method)
    result = run(
        g,
        chosen,
        method=method,
        exact=exact,
        all_equilibria=all_equilibria,
        refinement=refinement,
        lam=lam,
        subgame_method=subgame_method,
        max_pivots=max_pivots,
        max_bases=max_bases,
        max_seconds=max_seconds,
        **(options or {}),
    )
    return Solution(result, profile)


def _values(game: Game, profile: Leader | None, given: Mapping[str, Any] | None,
            params: Mapping[str, Any]) -> dict[str, Fraction]:
    """The values to solve at, as ``--leader`` and ``--set`` give them.

    Values outside their declared ranges are used, with a warning, as the
    command warns on stderr.
    """
    import warnings

    from policy.leaders import out_of_range, resolve

    merged = {**(given or {}), **params}
    chosen = resolve(game, profile, {k: _exact(v, k) for k, v in merged.items()})
    for message in out_of_range(game, chosen):
        warnings.warn(message, UserWarning, stacklevel=3)
    return chosen


def compare(
    *games: Game | str | Path,
    leaders: Sequence[Leader | str | Path] | str | None = None,
    method: str = "auto",
    exact: bool | None = None,
    swaps: bool = True,
    flips: bool = True,
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> Comparison:
    """Solve games under several leaders side by side, as ``policy compare``.

    A leader at whose values a game cannot be solved is marked in its
    column (``Comparison[k].failures``) with a warning, and the rest go on;
    when nothing at all could be solved, the first reason is raised.

    Parameters
    ----------
    games
        Games or game files; none: the bundled campaign (as ``policy compare``).
    leaders
        Leader names or profiles (a list, or one comma-separated string);
        by default Stalin and Tukhachevsky.
    method
        The solving method, as for `solve`; the swaps and flips use it too.
    exact
        Rational arithmetic or floats, as for `solve`.
    swaps
        Whether to find what drives the differences: the first leader solved
        again with one value of each other leader's at a time.
    flips
        Whether to search each leader's distance to a flip.
    progress
        Called with a few words before each step (``"<title>: solving under
        Joseph Stalin"``, ...): what ``policy compare`` shows on a terminal.
    **options
        Method options, as for `solve` (``lam``, ``subgame_method``, ``max_bases``, ...).
    """
    from policy.analysis.compare import DEFAULT_LEADERS
    from policy.analysis.compare import compare as run

    if leaders is None:
        chosen: Sequence[Leader | str | Path] = DEFAULT_LEADERS
    elif isinstance(leaders, str):
        chosen = [n.strip() for n in leaders.split(",") if n.strip()]
    else:
        chosen = list(leaders)
    import warnings

    from policy.bundled import bundled_campaigns
    from policy.leaders import unset

    if not chosen:
        raise ValueError("leaders: give at least one leader")
    # Profiles first: a misspelt leader is reported before any game is read.
    profiles = [p for p in (_leader(x) for x in chosen) if p is not None]
    pairs = [(_label(bundled_file(g) if isinstance(g, str | Path) else g), _game(g))
             for g in (games or tuple(bundled_campaigns()))]
    for label, g in pairs:
        _note_auto(g, method)
        for profile in profiles:
            if unset(profile, g):
                warnings.warn(f"{_shown(label)}: leader {profile.key!r} sets none of the game's parameters: "
                              "its column is the game's defaults", UserWarning, stacklevel=2)
    found = run(pairs, profiles, method=method, exact=exact, swaps=swaps, flips=flips, progress=progress, **options)
    failed = [(c.file, leader, c.failure(k)) for c in found for k, leader in enumerate(c.leaders) if c.failure(k)]
    if failed and len(failed) == sum(len(c.leaders) for c in found):
        from policy.solvers.errors import SolverError

        raise SolverError(failed[0][2])  # nothing solved: the first reason is the error
    for where, profile, why in failed:  # marked in their places, and said here
        warnings.warn(f"{where}: leader {profile.key!r}: cannot solve: {why}", UserWarning, stacklevel=2)
    return Comparison(found)


def _shown(label: str | Path) -> str:
    from policy.analysis.compare import display_path

    return display_path(label) if not str(label).startswith("<") else str(label)


def _label(game: Game | str | Path) -> str | Path:
    """The file a game came from, for the headings (``<title>`` for a game made in code)."""
    from policy.model import Game

    if isinstance(game, Game):
        return game.file or f"<{game.title}>"
    return game


def sweep(
    game: Game | str | Path,
    vary: Mapping[str, tuple[Any, Any] | tuple[Any, Any, int]] | Sequence[str] | str | None = None,
    leader: Leader | str | Path | None = None,
    *,
    samples: int | None = None,
    seed: int = 0,
    method: str = "auto",
    values: Mapping[str, Any] | None = None,
    workers: int | None = 1,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    **params: Any,
) -> Sweep:
    """Solve a game over a grid of parameter values or Monte Carlo draws, as ``policy sweep``.

    A sample that cannot be solved is reported in its place
    (``Sweep.failed``, with a warning) and the sweep goes on; Ctrl-C or an
    error after the first block stops it with what was solved
    (``Sweep.interrupted``, ``Sweep.error``, with a warning).

    Parameters
    ----------
    vary
        A grid over one or two parameters: ``{"p": (0, 1)}``,
        ``{"p": (0, 1, 21)}`` (low, high, points; 101 points by default), or
        the command's words ``"p=0:1:21"`` (one, or a list of two).
    leader
        Fixes the parameters not varied; with ``samples``, the declared
        uncertainty that is drawn from.
    samples
        Monte Carlo: this many draws from the leader's uncertainty (instead
        of ``vary``).
    seed
        The seed of the Monte Carlo draws.
    method
        ``spe``, and ``auto`` where it chooses spe (perfect information, or
        subgames of imperfect information with at most two movers each),
        solve all the samples of a block at once (the batch solver); other
        methods solve sample by sample.
    values
        Parameter values that replace the defaults and the leader's.
    workers
        Processes for games solved sample by sample (None: one per CPU);
        by default the sweep runs in this process.
    executor
        Where the blocks of samples run instead: a ``concurrent.futures``
        executor or a Dask ``distributed.Client`` (see `policy.analysis.cluster`).
    progress
        Called with ``(samples done, samples in all)`` after each block.
    jobs
        Processes for the blocks of a game the batch solver takes (1: this
        process). By default one per CPU for a sweep of several blocks and
        many (sample, node) cells (`policy.analysis.sweep.JOBS_CELLS`), else
        this process. The answers are the same bit for bit whatever the number.
    **params
        The same, by name.
    """
    from policy.analysis.sweep import (
        SweepError,
        Vary,
        grid_samples,
        monte_carlo_samples,
        parse_vary,
        run_sweep,
        uncertain_parameters,
    )

    if (vary is None) == (samples is None):
        raise SweepError("give either vary (a grid) or samples (Monte Carlo), not both or neither")
    g = _game(game)
    profile = _leader(leader)
    base = _values(g, profile, values, params)
    if vary is not None:
        if isinstance(vary, str):
            grid = [parse_vary(vary, g)]
        elif isinstance(vary, Mapping):
            grid = []
            for name, spec in vary.items():
                low, high, *rest = spec
                grid.append(Vary(name, float(_exact(low, name)), float(_exact(high, name)),
                                 int(rest[0]) if rest else 101))
        else:
            grid = [parse_vary(v, g) for v in vary]
        drawn = grid_samples(g, base, grid)
        varied = [v.name for v in grid]
    else:
        if profile is None:
            raise SweepError("samples draw from a leader's declared uncertainty: give leader")
        drawn = monte_carlo_samples(g, profile, base, samples or 0, seed)
        overrides = {**(values or {}), **params}
        for name in overrides:
            drawn[name][:] = float(base[name])
        varied = [n for n in uncertain_parameters(g, profile) if n not in overrides]
    result = run_sweep(g, drawn, method=method, varied=varied if vary is not None else (),
                       leader=profile.key if profile else "", workers=workers, executor=executor,
                       progress=progress, jobs=jobs)
    _warn_partial(result)
    return Sweep(result, seed if samples else None)


def _warn_partial(result: SweepResult) -> None:
    """Warn, as the command says on stderr, of samples that failed and of a sweep stopped early."""
    import warnings

    if result.failed:
        first = min(result.failed)
        warnings.warn(f"{len(result.failed)} of {result.done} samples failed to solve; "
                      f"the first, sample {first}: {result.failed[first]}", UserWarning, stacklevel=3)
    if result.interrupted:
        why = result.error or "interrupted"
        warnings.warn(f"the sweep stopped with {result.done} of {result.requested} samples solved: {why}",
                      Stopped, stacklevel=3)


def regions(
    game: Game | str | Path,
    vary: Mapping[str, tuple[Any, Any] | None] | Sequence[str] | str,
    leader: Leader | str | Path | None = None,
    *,
    max_seconds: float | None = 120.0,
    values: Mapping[str, Any] | None = None,
    **params: Any,
) -> Regions:
    """Exact regions of one or two parameters with the same subgame-perfect equilibrium, as ``policy regions``.

    Parameters
    ----------
    vary
        One or two parameters: names (varied over their declared ranges),
        ``{"p": (low, high)}``, or the command's words (``"p"``, ``"p=0:1/2"``).
    leader
        Fixes the other parameters, as for `solve`.
    max_seconds
        Stop with an error after this long (None: no limit).
    values
        Parameter values that replace the defaults and the leader's.
    **params
        The same, by name.
    """
    from policy.analysis.regions import RegionsError
    from policy.analysis.regions import regions as run

    g = _game(game)
    base = _values(g, _leader(leader), values, params)
    asked: dict[str, tuple[Any, Any] | None] = {}
    if isinstance(vary, Mapping):
        asked = dict(vary)
    else:
        for item in [vary] if isinstance(vary, str) else vary:
            name, sep, spec = item.partition("=")
            low, colon, high = spec.partition(":")
            if sep and (not colon or not name.strip() or not low.strip() or not high.strip()):
                raise RegionsError(f"--vary {item!r}: expected NAME or NAME=LOW:HIGH")
            asked[name.strip()] = (low.strip(), high.strip()) if sep else None
    box = []
    for name, bounds in asked.items():
        if bounds is not None:
            try:
                box.append((name, _exact(bounds[0], name), _exact(bounds[1], name)))
            except (TypeError, ValueError):
                raise RegionsError(f"--vary {name}: LOW and HIGH must be numbers, not {bounds!r}") from None
            continue
        p = g.parameters.get(name)
        if p is None:
            declared = ", ".join(g.parameters) or "none"
            raise RegionsError(f"--vary: unknown parameter {name!r} (the game declares: {declared})")
        if p.range is None:
            raise RegionsError(f"--vary {name}: the parameter declares no range; give one as {name}=LOW:HIGH "
                               f"({{{name!r}: (low, high)}} in Python)")
        box.append((name, p.range[0], p.range[1]))
    return Regions(run(g, base, box, max_seconds=max_seconds))


def draw(
    game: Game | str | Path | Solution,
    leader: Leader | str | Path | None = None,
    fmt: str = "svg",
    *,
    method: str = "auto",
    solved: bool = True,
    depth: int | None = None,
    exact: bool | None = None,
    lam: float | None = None,
    subgame_method: str | None = None,
    values: Mapping[str, Any] | None = None,
    path: bool | None = None,
    **params: Any,
) -> str | bytes:
    """Draw the game tree with the equilibrium marked, as ``policy render``.

    Parameters
    ----------
    game
        A game, a game file, or a `Solution` (drawn as solved).
    leader
        A leader profile whose values the game is solved and drawn at.
    fmt
        ``svg`` (text), ``dot`` (Graphviz text), ``tex`` (TikZ) or ``png``
        (bytes). SVG and PNG use Graphviz's ``dot`` program when it is
        installed, else the layout of `policy.render.layout`.
    method
        The solving method, as for `solve`.
    solved
        False draws the bare game, without solving it.
    depth
        Collapse the subtrees below this depth; by default only trees of more
        than 1,500 nodes are collapsed (along the path when that fits, see
        ``path``).
    exact, lam, subgame_method
        As for `solve`.
    values
        Parameter values that replace the defaults and the leader's.
    path
        True: draw the equilibrium path, the nodes it reaches and their
        children, each subtree it does not enter as one box. None (default):
        so for a solved tree of more than 1,500 nodes whose path drawing has
        at most 1,500, else by depth. False: never.
    **params
        The same, by name.
    """
    from policy.render.tree import (
        RenderError,
        auto_depth,
        legible_view,
        run_dot,
        tree_dot,
        tree_view,
    )

    if fmt not in ("svg", "dot", "tex", "png"):
        raise ValueError(f"fmt {fmt!r}: expected svg, dot, tex or png")
    if path is not None and not isinstance(path, bool):
        raise TypeError(f"path={path!r}: draw's path is True, False or None; a game parameter named path "
                        "goes in values={'path': ...}")
    if path and (depth is not None or not solved):
        raise ValueError("path=True draws the equilibrium path: it takes neither depth nor solved=False")
    if isinstance(game, Solution):
        if leader is not None or values or params:
            raise ValueError("a Solution is drawn at its own values: give the game to draw it at others")
        result: SolveResult | None = game.result
        g, profile = game.result.game, game.leader
        chosen: Mapping[str, Number] = game.result.parameters
    else:
        g, profile = _game(game), _leader(leader)
        chosen = _values(g, profile, values, params)
        result = solve(g, profile, method, chosen, exact=exact, lam=lam,
                       subgame_method=subgame_method).result if solved else None
    if path and (result is None or not result.equilibria):
        raise RenderError(f"{g.title}: no equilibrium was found, so there is no equilibrium path to draw "
                          "(draw without --path / path=True)")
    who = profile.name if profile else None
    if path is None and depth is None:  # whole, or along the path, or to a depth: whatever fits
        view, said = legible_view(g, chosen, result, exact=exact is not False, leader=who)
        if said:
            _note(said)
    else:
        if depth is None and not path:
            depth = auto_depth(g)
            if depth is not None:
                _note(f"{g.num_nodes} nodes: drawing down to depth {depth} (choose with --depth)")
        view = tree_view(g, chosen, result, depth=depth, exact=exact is not False, leader=who, path=bool(path))
    if fmt == "tex":
        from policy.render.tikz import tree_tikz

        return tree_tikz(view)
    text = tree_dot(view)
    if fmt == "dot":
        return text
    data = run_dot(text, fmt)
    return data.decode("utf-8") if fmt == "svg" else data


# -- the other commands --------------------------------------------------------------------


def explain(game: Game | str | Path, leaders: Sequence[Leader | str | Path] | str | None = None) -> Explanation:
    """A game's structure, and each parameter's meaning, values and claims, as ``policy explain``.

    ``leaders``: whose values to show (a list, or one comma-separated
    string); by default every bundled leader. The claims are those of the
    catalogue the game cites from (`policy.analysis.explain.catalogue_for`).
    """
    from policy.analysis.compare import display_path
    from policy.analysis.explain import catalogue_for
    from policy.analysis.explain import explain as run
    from policy.bundled import bundled_leaders
    from policy.claims import load_claims

    g = _game(game)
    file = _label(bundled_file(game) if isinstance(game, str | Path) else game)
    profiles = [p for p in (_leader(x) for x in _names(leaders, tuple(bundled_leaders()))) if p is not None]
    found = catalogue_for(file) if not str(file).startswith("<") else None
    claims = load_claims(found) if found is not None else {}
    shown = display_path(found) if found is not None else None
    return run(g, display_path(file), profiles, claims=claims, catalogue=shown)


def _names(given: Sequence[Leader | str | Path] | str | None, default: Sequence[str] = ()) -> list[Leader | str | Path]:
    """Leaders from a list or one comma-separated string, each once, in order; ``default`` when none."""
    if given is None:
        return list(default)
    items: list[Leader | str | Path] = []
    for item in [given] if isinstance(given, str) else list(given):
        parts: list[Leader | str | Path] = (
            [n.strip() for n in item.split(",") if n.strip()] if isinstance(item, str) else [item])
        items += [x for x in parts if x not in items]
    return items or list(default)


def find_claims(game: str | None = None, status: str | None = None) -> list[Claim]:
    """The claims of the catalogue in use, as ``policy claims``.

    ``game``: only those bearing on this game (a name such as
    ``coup_1937``, or its file, whose own catalogue is then read, as every
    command finds it: `policy.claims.listed_catalogue`);
    ``status``: ``accepted``, ``contested`` or ``wrong``.
    """
    from policy.analysis.explain import select_claims
    from policy.claims import listed_catalogue, load_claims

    return select_claims(load_claims(listed_catalogue(game)), game=game, status=status)


def convert(
    source: Game | str | Path,
    target: str | Path,
    leader: Leader | str | Path | None = None,
    values: Mapping[str, Any] | None = None,
    **params: Any,
) -> Path:
    """Write a game as our TOML or Gambit's ``.efg`` / ``.nfg`` (by ``target``'s suffix), as ``policy convert``.

    Gambit files have no parameters, so writing one evaluates the payoffs at
    the parameter values (defaults, then ``leader``'s, then ``values``).
    The file is written whole or not at all. Returns its path. A TOML file
    written where the game's claim ids cannot be found keeps them as comments
    (`policy.loading.save`), with a `Note` that says so.
    """
    from policy.leaders import resolve
    from policy.loading import save

    g = _game(source)
    profile = _leader(leader)
    given = {**(values or {}), **params}
    chosen = None
    if Path(target).suffix.lower() != ".toml" or profile is not None or given:
        chosen = resolve(g, profile, {k: _exact(v, k) for k, v in given.items()})
    note = save(g, target, values=chosen)
    if note is not None:
        _note(note)
    return Path(target)


def record(
    game: Game | str | Path,
    record_file: str | Path,
    leader: Leader | str | Path | None = None,
    *,
    method: str = "auto",
    samples: int = 0,
    seed: int = 0,
    lam: float | str | None = None,
    effects: bool = True,
    values: Mapping[str, Any] | None = None,
    jobs: int | None = None,
    **params: Any,
) -> RecordScore:
    """Score an observed record (the moves taken) against a game, as ``policy record``.

    ``samples``: Monte Carlo draws from the leader's uncertainty; ``lam``:
    the record's likelihood under logit QRE at this precision, or ``"fit"``;
    ``effects``: each parameter's distance to reproducing the record;
    ``jobs``: worker processes for the draws and the parameters' grids
    (None: one per CPU for a long batched run, as :func:`sweep`; the answers
    do not depend on it).
    """
    from policy.analysis.record import load_record, score_record
    from policy.leaders import resolve

    rec = load_record(bundled_file(record_file))
    if isinstance(game, str | Path):
        game = bundled_file(game)
        _same_game(rec, game)
    g = _game(game)
    if g.file:
        _same_game(rec, g.file)
    profile = _leader(leader)
    given = {**(values or {}), **params}
    chosen = resolve(g, profile, {k: _exact(v, k) for k, v in given.items()})
    return score_record(g, rec, chosen, profile, method=method, samples=samples, seed=seed,
                        lam=lam, effects=effects, jobs=jobs)


def _same_game(rec: Any, game: str | Path) -> None:
    """A record that names its game (``record.game``) is scored against that file and no other.

    Before the game is read, so that a record given with the wrong game (a
    campaign's branch against the whole campaign, say) stops at once.
    """
    from policy.analysis.record import RecordError
    from policy.campaign import locate

    if not rec.game:
        return
    named = (Path(rec.file).parent / rec.game).resolve()
    if Path(game).resolve() != named:
        raise RecordError(rec.file, "record.game", f"this record is of {rec.game}, and {game} is another file: "
                          "score it against the game it names (or change record.game)",
                          locate(list(rec.lines), "record.game"))


def decompose(
    game: Game | str | Path,
    leaders: Sequence[Leader | str | Path] | str,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "auto",
    exact: bool | None = None,
    **options: Any,
) -> Decomposition:
    """Split two leaders' difference in end states by group of parameters and by stage, as ``policy decompose``.

    ``leaders``: exactly two (the difference is the second's end states
    minus the first's); ``groups``: groups of parameters decomposed over as
    one, beside a campaign's own.
    """
    from policy.analysis.decompose import decompose as run

    names = _names(leaders)
    if len(names) != 2:
        raise ValueError("leaders: give exactly two leaders (A, B: B's end states minus A's)")
    first, second = (_leader(x) for x in names)
    assert first is not None and second is not None
    g = _game(game)
    return run(str(_label(bundled_file(game) if isinstance(game, str | Path) else game)), g, first, second, groups=dict(groups or {}), method=method, exact=exact,
               **options)


def report(
    output: str | Path,
    *games: str | Path,
    leaders: Sequence[Leader | str | Path] | str | None = None,
    fmt: str | None = None,
    method: str = "auto",
    exact: bool | None = None,
    command: str = "",
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> list[Path]:
    """Write the report comparing leaders, as ``policy report``: one HTML page, or Markdown with SVG files.

    ``games``: game files (none: the bundled campaign); ``fmt``: ``html``
    or ``markdown`` (by default from ``output``'s suffix). Every file is
    written whole or not at all; returns them, ``output`` last.
    ``progress`` is called with a few words before each step, as in `compare`.
    """
    from policy.analysis.compare import DEFAULT_LEADERS
    from policy.bundled import bundled_campaigns
    from policy.render.report import build_report, check_output, write_report

    if fmt is None:
        fmt = "markdown" if Path(output).suffix.lower() in (".md", ".markdown") else "html"
    check_output(output, fmt)  # before the solving, which takes a while
    built = build_report([Path(bundled_file(f)) for f in games] or bundled_campaigns(), _names(leaders, DEFAULT_LEADERS),
                         command=command, method=method, exact=exact, progress=progress, **options)
    return write_report(built, output, fmt)


def validate(files: Sequence[str | Path], leaders: Sequence[Leader | str | Path] | str | None = None) -> list[Checked]:
    """Check game files and leader profiles, as ``policy validate``: one `Checked` per file or leader.

    A game is read, and evaluated at each of ``leaders``' values (or at its
    defaults, when every parameter has one); a profile (a file, or one of
    ``leaders``) must give each value sources or a note starting
    "judgement:". Nothing is raised for a bad file: its `Checked` holds the
    errors.
    """
    from policy.analysis.record import is_record
    from policy.errors import user_errors
    from policy.leaders import load_leader, load_shared, profile_kind, resolve, unsourced
    from policy.loading import load as read

    out: list[Checked] = []
    profiles: list[Leader] = []
    for name in _names(leaders):
        try:
            profile = name if not isinstance(name, str | Path) else load_leader(name)
        except user_errors() as err:
            out.append(Checked(str(name), "", (_line(err),)))
            continue
        profiles.append(profile)
        missing = tuple(unsourced(profile))
        if missing:
            out.append(Checked(str(profile.file or profile.key), "", missing))
    named = {Path(bundled_file(f)).resolve(): f for f in files}
    alone: list[tuple[int, Leader]] = []  # profiles given as FILE, checked once the games are read
    declared: set[str] = set()  # the parameters of the games named in this command
    for file in files:
        if is_record(file):
            out.append(_check_record(file, named))
            continue
        kind = profile_kind(file)
        if kind is not None:
            try:
                profile = load_leader(file) if kind == "leader" else load_shared(file)
            except user_errors() as err:
                out.append(Checked(str(file), "", (_line(err),)))
                continue
            if kind == "leader":
                alone.append((len(out), profile))
            missing = tuple(unsourced(profile))
            count = len(profile.values)
            what = f"leader {profile.name!r}" if kind == "leader" else "shared values (included by profiles)"
            out.append(Checked(str(file), "" if missing else
                               f"{what}: {_count(count, 'value')}, each sourced", missing))
            continue
        try:
            g = read(bundled_file(file))
            declared.update(_declared(g))
            checks: list[Leader | None] = [*profiles] or [None]
            for checked in checks:
                if checked or all(p.default is not None for p in g.parameters.values()):
                    g.numbers(resolve(g, checked), exact=True)
        except user_errors() as err:
            out.append(Checked(str(file), "", (_line(err),)))
            continue
        kinds = "perfect information" if g.is_perfect_information else "imperfect information"
        out.append(Checked(str(file), (
            f"{g.title!r}: {_count(len(g.players), 'player')}, {_count(g.num_nodes, 'node')}, "
            f"{_count(len(g.infosets), 'information set')}, {_count(len(g.parameters), 'parameter')}, {kinds}"
        )))
    for k, profile in alone:
        out[k] = _check_profile_names(out[k], profile, declared)
    return out


def _declared(game: Game) -> set[str]:
    """The parameter names a profile may give a value for in ``game`` (for a campaign, as its stages declare them)."""
    from policy.campaign import campaign_of

    names = set(game.parameters)
    campaign = campaign_of(game)
    if campaign is not None:
        names.update(campaign.origin.values())
    return names


def _check_profile_names(checked: Checked, profile: Leader, declared: set[str]) -> Checked:
    """A profile given to `validate` as FILE: its value names against the games named with it and beside it.

    As when a game uses the profile, a value that names no parameter of those
    games is refused. With no such game (none named, none in the profile's
    folder or the one above), the names cannot be checked, and the summary
    says so.
    """
    from policy.errors import user_errors
    from policy.leaders import check_declared, games_beside

    if not declared and not games_beside(profile):
        if checked.ok and profile.values:
            return Checked(checked.file, checked.summary + "; names not checked (no game named with it or "
                           "beside it declares parameters)")
        return checked
    try:
        check_declared(profile, declared, "the games named with it or beside it")
    except user_errors() as err:
        return Checked(checked.file, "", (*checked.errors, _line(err)))
    return checked


def _check_record(file: str | Path, named: Mapping[Path, str | Path]) -> Checked:
    """`validate` of a record file: it reads, cites known claims, and fits its game if that was named too.

    The game a record names (``record.game``, relative to the record) is read
    only when the same command names it: a file must not make the tool read
    files the user did not name.
    """
    from policy.analysis.record import check_sources, load_record, trace
    from policy.claims import catalogue_ids, find_catalogue
    from policy.errors import user_errors
    from policy.loading import load as read

    try:
        rec = load_record(file)
        catalogue = find_catalogue(Path(file).parent)
        if catalogue.is_file():
            check_sources(rec, catalogue_ids(catalogue))
        moves = _count(len(rec.moves), "move")
        if not rec.game:
            return Checked(str(file), f"record {rec.title!r}: {moves} (names no game: give record.game to check its moves)")
        target = (Path(file).parent / rec.game).resolve()
        if target not in named:
            return Checked(str(file), f"record {rec.title!r}: {moves}; its moves were not laid on {rec.game} "
                           "(name that file in the same command to check them)")
        trace(read(bundled_file(named[target])), rec)
    except user_errors() as err:
        return Checked(str(file), "", (_line(err),))
    return Checked(str(file), f"record {rec.title!r}: {moves}, each found in {named[target]}")


def _line(err: Exception) -> str:
    return " ".join(str(err).split())


def _count(n: int, what: str) -> str:
    """``1 parameter``, ``2 parameters``."""
    return f"{n} {what}{'' if n == 1 else 's'}"


class Checked:
    """What `validate` found for one file or leader: ``summary`` when it is fine, else ``errors``."""

    def __init__(self, file: str, summary: str, errors: Sequence[str] = ()) -> None:
        self.file = file
        self.summary = summary
        self.errors = tuple(errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        if self.ok:
            return f"ok {self.file}: {self.summary}"
        return "\n".join(f"Error: {e}" for e in self.errors)

    def __repr__(self) -> str:
        return f"<Checked {self.file}: {'ok' if self.ok else f'{len(self.errors)} errors'}>"


# -- results -------------------------------------------------------------------------------


def _cell(x: Any) -> str:
    from policy.render.text import fmt

    if isinstance(x, Fraction | int | float) and not isinstance(x, bool):
        return fmt(x)
    return str(x)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table, every cell escaped (numbers as ``policy`` shows them)."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


class Drawing:
    """A tree drawn as SVG; Jupyter shows it as a picture (``_repr_svg_``)."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


class Solution:
    """A solved game: the `policy.solvers.SolveResult` and the leader it was solved for.

    The result's attributes are reachable here too (``equilibria``,
    ``method``, ``exact``, ``parameters``, ``warnings``); ``str()`` is the
    table ``policy solve`` prints, `data` its JSON object, and Jupyter
    shows HTML tables.
    """

    def __init__(self, result: SolveResult, leader: Leader | None = None) -> None:
        self.result = result
        self.leader = leader

    def __getattr__(self, name: str) -> Any:
        if name in ("result", "leader"):  # not set yet (copying, unpickling)
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def game(self) -> Game:
        return self.result.game

    def data(self, count: bool = True) -> dict[str, Any]:
        """The JSON object of ``policy solve --format json``: with ``count`` (whether the
        equilibrium is the only one, :meth:`count`), as the command gives it unless
        ``--no-count``; ``count=False`` leaves it out."""
        from policy.render.data import result_data
        from policy.solvers.count import count_data

        data = result_data(self.result, self.leader)
        if count:
            data["count"] = count_data(self.count())
        return data

    def table(self) -> str:
        """The tables of ``policy solve``, as plain text."""
        from policy.render.text import solve_table

        return solve_table(self.result, self.leader, colour=False)

    def count(self, max_seconds: float | None = None) -> Count:
        """Whether the first equilibrium is the only one of its kind, as ``policy solve``'s last line says.

        Methods that list every equilibrium answer from their own result;
        for one found by lcp, lp or logit, the game's equilibria are listed
        for up to ``max_seconds`` (by default 5 s; a big ``spe`` game is
        counted part by part, by default within 60 s;
        `policy.solvers.count.count_for`).
        """
        from policy.solvers.count import count_for

        return count_for(self.result, self.result.parameters, max_seconds=max_seconds)

    def tree(self, depth: int | None = None) -> Drawing:
        """The tree with the first equilibrium marked, as a `Drawing`."""
        svg = draw(self, fmt="svg", depth=depth)
        assert isinstance(svg, str)
        return Drawing(svg)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        who = f", leader {self.leader.key!r}" if self.leader else ""
        n = len(self.result.equilibria)
        return f"<Solution of {self.game.title!r}{who}: {n} equilibri{'um' if n == 1 else 'a'} by {self.result.method}>"

    def _repr_html_(self) -> str:
        from policy.analysis.compare import path_decisions

        r, game = self.result, self.result.game
        head = f"{game.title}: method {r.method} ({'exact' if r.exact else 'float'})"
        if self.leader:
            head += f", leader {self.leader.name}"
        parts = [f"<p><strong>{html.escape(head)}</strong></p>"]
        if r.parameters:
            parts.append(html_table(["parameter", "value"], sorted(r.parameters.items())))
        total = len(r.equilibria)
        for k, eq in enumerate(r.equilibria, 1):
            label = f"Equilibrium {k} of {total}" if total > 1 else "Equilibrium"
            reached = {d.infoset for d in path_decisions(r, eq)}
            rows = [
                [s.name + ("" if s.name in reached else " (off path)"), s.player.label,
                 ", ".join(f"{a} {_cell(p)}" for a, p in eq.behavior[s.name].items() if p)]
                for s in game.infosets.values()
            ]
            parts.append(html_table(["information set", "player", "choice"], rows,
                                    f"{label} (max regret {_cell(eq.max_regret)})"))
            parts.append(html_table(["player", "expected payoff"], eq.payoffs.items()))
            parts.append(html_table(["outcome", "probability"], [(t, p) for t, p in eq.outcomes.items() if p]))
        parts += [f"<p>warning: {html.escape(w)}</p>" for w in r.warnings]
        return "\n".join(parts)


class Comparison:
    """Games solved under several leaders: a list of `policy.analysis.compare.GameComparison`.

    ``str()`` is the table ``policy compare`` prints, `markdown` its
    Markdown, `data` its JSON object; Jupyter shows one HTML table per game.
    """

    def __init__(self, comparisons: Sequence[GameComparison]) -> None:
        self.comparisons = list(comparisons)

    def __len__(self) -> int:
        return len(self.comparisons)

    def __getitem__(self, k: int) -> GameComparison:
        return self.comparisons[k]

    def data(self) -> dict[str, Any]:
        from policy.render.data import comparison_data

        return comparison_data(self.comparisons)

    def table(self) -> str:
        from policy.render.text import compare_table

        return compare_table(self.comparisons, colour=False)

    def markdown(self) -> str:
        from policy.render.text import compare_table

        return compare_table(self.comparisons, markdown=True)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        titles = ", ".join(repr(c.game.title) for c in self.comparisons)
        return f"<Comparison of {titles}>"

    def _repr_html_(self) -> str:
        from policy.render.text import compare_rows

        parts = []
        for c in self.comparisons:
            names = [leader.name for leader in c.leaders]
            rows = [[f"<strong>{html.escape(label)}</strong>" if not cells else html.escape(label),
                     *[html.escape(x) for x in cells]] for label, cells in compare_rows(c)]
            body = "".join(
                "<tr>" + "".join(f"<td>{x}</td>" for x in row) + "".join("<td></td>" for _ in names[len(row) - 1:])
                + "</tr>"
                for row in rows
            )
            heads = "".join(f"<th>{html.escape(n)}</th>" for n in ["", *names])
            parts.append(f"<table><caption>{html.escape(c.game.title)} [{html.escape(c.file)}]</caption>"
                         f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>")
        return "\n".join(parts)


class Sweep:
    """A game solved over a grid or Monte Carlo draws: the `policy.analysis.sweep.SweepResult`."""

    def __init__(self, result: SweepResult, seed: int | None = None) -> None:
        self.result = result
        self.seed = seed

    def __getattr__(self, name: str) -> Any:
        if name in ("result", "seed"):
            raise AttributeError(name)
        return getattr(self.result, name)

    def table(self) -> str:
        from policy.render.sweep import sweep_table

        return sweep_table([self.result])

    def csv(self) -> str:
        """One row per sample, as ``policy sweep --format csv``."""
        from policy.render.sweep import sweep_csv

        return sweep_csv([self.result])

    def data(self) -> dict[str, Any]:
        from policy.render.sweep import sweep_data

        return sweep_data(self.result, self.seed)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<Sweep of {self.result.game.title!r}: {self.result.done} samples>"

    def _repr_html_(self) -> str:
        r = self.result
        paths = html_table(["equilibrium path", "share of samples"], r.path_shares(),
                           f"{r.game.title}: {r.done} samples, method {r.method}")
        outcomes = html_table(
            ["outcome", "mean probability", "95% low", "95% high"],
            [(name, *triple) for name, triple in r.outcome_probabilities().items() if triple[2] > 0],
        )
        return paths + "\n" + outcomes


class Regions:
    """The regions of one or two parameters: the `policy.analysis.regions.RegionsResult`."""

    def __init__(self, result: RegionsResult) -> None:
        self.result = result

    def __getattr__(self, name: str) -> Any:
        if name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    def data(self) -> dict[str, Any]:
        from policy.render.data import regions_data

        return regions_data(self.result)

    def __str__(self) -> str:
        from policy.analysis.regions import regions_text

        return regions_text(self.result)

    def __repr__(self) -> str:
        return f"<Regions of {', '.join(self.result.parameters)} in {self.result.game.title!r}>"

    def _repr_html_(self) -> str:
        r = self.result
        rows = [(region.text, region.undefined and f"undefined ({region.undefined})"
                 or ", ".join(region.path) or "(no decision)") for region in r.regions]
        out = html_table(["region", "equilibrium path"], rows, f"{r.game.title}: regions of {', '.join(r.parameters)}")
        if r.boundaries:
            out += "\n" + html_table(["boundary"], [(b.text,) for b in r.boundaries])
        return out


# -- games made in code --------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Python values as the TOML reader gives them: floats as their decimal, fractions as text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _plain(value.item())
    return value


def from_dict(data: Mapping[str, Any], name: str = "<dict>", claims: Sequence[str] | None = None) -> Game:
    """A game from nested tables of the same shape as a TOML game file (``game``, ``parameters``, ``nodes``).

    Checked by the reader of game files (`policy.gamefile`), so it
    accepts what a file may hold and refuses the rest with the same messages;
    ``name`` stands for the file in them. Numbers may be ints, fractions,
    exact strings or floats (read as written: ``0.6`` is 3/5).

    ``claims``: the claim ids that ``sources`` may cite (by default, the
    bundled catalogue).
    """
    from policy.gamefile import _Reader
    from policy.model import GameError

    reader = _Reader("", name)
    try:
        return reader.game(_plain(data), claims, None)
    except GameError as err:
        raise reader.error(err.path, err.message) from None


class GameBuilder:
    """Build a game one node at a time, then `build` it (checked as a game file is).

    Example::

        b = GameBuilder("Entry", ["Entrant", "Incumbent"])
        b.parameter("fight_cost", default=1, range=(0, 3), description="what fighting costs")
        b.decision("start", "Entrant", {"enter": "entered", "stay_out": "out"})
        b.decision("entered", "Incumbent", {"fight": "war", "accommodate": "share"})
        b.terminal("out", {"Entrant": 0, "Incumbent": 2})
        b.terminal("war", {"Entrant": -1, "Incumbent": "-fight_cost"})
        b.terminal("share", {"Entrant": 1, "Incumbent": 1})
        game = b.build()

    The first node added is the root unless ``root`` is given.
    """

    def __init__(self, title: str, players: Sequence[str], *, description: str = "",
                 root: str | None = None) -> None:
        self._head: dict[str, Any] = {"title": title, "players": list(players)}
        if description:
            self._head["description"] = description
        if root:
            self._head["root"] = root
        self._parameters: dict[str, dict[str, Any]] = {}
        self._nodes: dict[str, dict[str, Any]] = {}

    def _node(self, name: str, body: dict[str, Any]) -> GameBuilder:
        if name in self._nodes:
            raise ValueError(f"node {name!r} is already defined")
        self._nodes[name] = body
        return self

    def parameter(self, name: str, *, description: str, default: Any = None,
                  range: tuple[Any, Any] | None = None) -> GameBuilder:  # noqa: A002 - the file's key
        """Declare a parameter (``[parameters.NAME]``)."""
        body: dict[str, Any] = {"description": description}
        if default is not None:
            body["default"] = default
        if range is not None:
            body["range"] = list(range)
        self._parameters[name] = body
        return self

    def decision(self, name: str, player: str, actions: Mapping[str, str], *,
                 infoset: str | None = None) -> GameBuilder:
        """A decision node: ``actions`` maps each action to the node it leads to, in order."""
        body: dict[str, Any] = {"player": player, "actions": dict(actions)}
        if infoset:
            body["infoset"] = infoset
        return self._node(name, body)

    def chance(self, name: str, actions: Mapping[str, str], probabilities: Mapping[str, Any]) -> GameBuilder:
        """A chance node: ``probabilities`` maps each action to a number or an expression."""
        return self._node(name, {"chance": True, "actions": dict(actions), "probabilities": dict(probabilities)})

    def terminal(self, name: str, payoffs: Mapping[str, Any], *, outcome: str | None = None,
                 facts: Mapping[str, str | int] | None = None) -> GameBuilder:
        """A terminal node: a payoff (number or expression) for every player."""
        body: dict[str, Any] = {"payoffs": dict(payoffs)}
        if outcome:
            body["outcome"] = outcome
        if facts:
            body["facts"] = dict(facts)
        return self._node(name, body)

    def as_dict(self) -> dict[str, Any]:
        """The nested tables of the game file this builder describes."""
        data: dict[str, Any] = {"game": dict(self._head)}
        if self._parameters:
            data["parameters"] = {k: dict(v) for k, v in self._parameters.items()}
        data["nodes"] = {k: dict(v) for k, v in self._nodes.items()}
        return data

    def build(self, claims: Sequence[str] | None = None) -> Game:
        """The game, checked as a game file is (see `from_dict`)."""
        return from_dict(self.as_dict(), f"<{self._head['title']}>", claims=claims)


def bimatrix(
    a: Any,
    b: Any | None = None,
    *,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    players: tuple[str, str] = ("Row", "Column"),
    title: str = "Bimatrix game",
) -> Game:
    """A two-player game in strategic form from payoff matrices, as ``nashpy.Game(A, B)``.

    ``a[i][j]`` is the row player's payoff and ``b[i][j]`` the column
    player's when row ``i`` meets column ``j``; without ``b`` the game is
    zero-sum (``b = -a``). As a tree: the row player moves first, and the
    column player chooses in one information set, not knowing the row.
    Entries may be ints, fractions, floats (read as written) or exact strings.
    """
    import numpy as np

    matrix_a = np.asarray(a, dtype=object)
    matrix_b = np.asarray(b, dtype=object) if b is not None else None
    if matrix_a.ndim != 2 or 0 in matrix_a.shape:
        raise ValueError(f"A must be a matrix with at least one row and one column, not shape {matrix_a.shape}")
    if matrix_b is not None and matrix_b.shape != matrix_a.shape:
        raise ValueError(f"A and B differ in shape: {matrix_a.shape} and {matrix_b.shape}")
    m, n = matrix_a.shape
    row_names = list(rows) if rows is not None else [f"r{i + 1}" for i in range(m)]
    col_names = list(columns) if columns is not None else [f"c{j + 1}" for j in range(n)]
    if len(row_names) != m or len(col_names) != n:
        raise ValueError(f"{len(row_names)} row and {len(col_names)} column labels for a {m}x{n} matrix")
    first, second = players
    builder = GameBuilder(title, [first, second])
    builder.decision("root", first, {r: f"row{i + 1}" for i, r in enumerate(row_names)})
    for i in range(m):
        builder.decision(f"row{i + 1}", second, {c: f"cell{i + 1}_{j + 1}" for j, c in enumerate(col_names)},
                         infoset=second)
    for i, r in enumerate(row_names):
        for j, c in enumerate(col_names):
            x = _exact(_plain(matrix_a[i, j]), "A")
            y = _exact(_plain(matrix_b[i, j]), "B") if matrix_b is not None else -x
            builder.terminal(f"cell{i + 1}_{j + 1}", {first: str(x), second: str(y)}, outcome=f"{r}, {c}")
    return builder.build(claims=())


# Integers the .nfg reader takes as plain digits (at most 18 of them).
_PLAIN_INTEGER = 10**18


def _integer_game(payoffs: tuple[Any, ...], labels: list[list[str]], names: list[str], title: str) -> Game | None:
    """:func:`from_matrices`'s game without writing and reading the ``.nfg`` text, or None.

    Taken when every payoff is an integer (Python or numpy, not a bool) of
    at most 18 digits and no text holds a quote, a backslash or a NUL: the
    file's reader would then read back these very integers and labels, so
    :func:`policy.nfg_arrays.integer_table` builds the same game from the
    arrays. Anything else goes through the file, which also words the errors.
    """
    import numpy as np

    from policy.nfg_arrays import integer_table

    texts = [title, *names, *(s for strats in labels for s in strats)]
    if any('"' in t or "\\" in t or "\x00" in t for t in texts):
        return None
    ints = []
    for given in payoffs:
        a = given if isinstance(given, np.ndarray) else None
        if a is None or a.dtype.kind not in "iu":
            # Lists (which numpy would read as integers even with a bool among them) and
            # object arrays: each entry an int or a numpy integer, not a bool.
            a = np.asarray(given, dtype=object)
            flat = a.ravel().tolist()
            if not all(type(v) is int or isinstance(v, np.integer) for v in flat):
                return None
            if not all(-_PLAIN_INTEGER < v < _PLAIN_INTEGER for v in flat):
                return None
            a = np.array([int(v) for v in flat], dtype=np.int64).reshape(a.shape)
        elif a.itemsize == 8 and a.size and (int(a.max()) >= _PLAIN_INTEGER or int(a.min()) <= -_PLAIN_INTEGER):
            return None  # (narrower integers are below 10^18)
        ints.append(a.astype(np.int64))
    if len(ints) == 1:  # zero-sum: B = -A
        ints.append(-ints[0])
    # The outcome labels in the file's order: player 1's strategy changing fastest.
    cells = [", ".join(reversed(at)) for at in itertools.product(*reversed(labels))]
    return integer_table(title, names, labels, ints, cells)


def from_matrices(
    *payoffs: Any,
    strategies: Sequence[Sequence[str]] | None = None,
    players: Sequence[str] | None = None,
    title: str = "Strategic-form game",
) -> Game:
    """A game in strategic form from payoff arrays, as ``nashpy.Game(A, B)``, for any number of players.

    ``from_matrices(A, B)``: two players, ``A[i][j]`` the row player's payoff
    and ``B[i][j]`` the column player's when row ``i`` meets column ``j``;
    ``from_matrices(A)`` is zero-sum (``B = -A``). With more players, one
    array per player, all of the same shape ``(s1, ..., sn)``:
    ``payoffs[p][i1, ..., in]`` is player ``p``'s payoff when each player
    ``q`` plays strategy ``iq``. Entries may be ints, fractions, floats (read
    as written: ``0.1`` is 1/10) or exact strings (``"2/3"``).

    The game is the one a Gambit ``.nfg`` file with these payoffs gives
    (`policy.gambit.read_nfg`): player 1 moves at the root, each later player in
    one information set that does not see the earlier moves, and the commands
    show it as a strategic-form table. Each cell is an outcome labelled by
    its strategies (``"r1, c2"``).

    Parameters
    ----------
    strategies
        Each player's strategy labels (default ``r1, r2, ...`` and ``c1, ...``
        for two players, ``s1, s2, ...`` otherwise).
    players
        The players' names (default ``Row`` and ``Column``, or ``Player 1``, ...).
    title
        The game's title.
    """
    import numpy as np

    from policy.gambit import read_nfg

    if not payoffs:
        raise ValueError("give at least one payoff array (A, or A and B, or one array per player)")
    arrays = [np.asarray(a, dtype=object) for a in payoffs]
    if len(arrays) == 1:
        if arrays[0].ndim != 2:
            raise ValueError(f"one array alone is a zero-sum two-player game: A must be a matrix, not shape "
                             f"{arrays[0].shape}")
        arrays.append(None)  # type: ignore[arg-type]  # filled below as -A
    n = len(arrays)
    shape = arrays[0].shape
    if len(shape) != n or 0 in shape:
        raise ValueError(f"{n} players need arrays with {n} axes and at least one strategy on each, "
                         f"not shape {shape}")
    for p, a in enumerate(arrays[1:], 2):
        if a is not None and a.shape != shape:
            raise ValueError(f"the payoff arrays differ in shape: {shape} (player 1) and {a.shape} (player {p})")
    names = list(players) if players is not None else (
        ["Row", "Column"] if n == 2 else [f"Player {p + 1}" for p in range(n)])
    if len(names) != n:
        raise ValueError(f"{len(names)} player names for {n} payoff arrays")
    if strategies is not None:
        labels = [list(s) for s in strategies]
    elif n == 2:
        labels = [[f"r{i + 1}" for i in range(shape[0])], [f"c{j + 1}" for j in range(shape[1])]]
    else:
        labels = [[f"s{i + 1}" for i in range(size)] for size in shape]
    if [len(s) for s in labels] != list(shape):
        raise ValueError(f"strategy labels of sizes {[len(s) for s in labels]} for arrays of shape {shape}")

    fast = _integer_game(payoffs, labels, names, title)
    if fast is not None:
        return fast

    def number(x: Any, who: int, at: tuple[int, ...]) -> Fraction:
        try:
            return _exact(_plain(x), f"payoff of player {who} at {at}")
        except (TypeError, ValueError) as err:
            raise ValueError(f"player {who}'s payoff at {at}: {err}") from None

    def quoted(text: str) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    cells = []
    outcomes = []
    # Gambit's order: player 1's strategy changes fastest.
    for reverse in np.ndindex(*shape[::-1]):
        at = tuple(reverse[::-1])
        values = [number(a[at], p + 1, at) for p, a in enumerate(arrays) if a is not None]
        if arrays[1] is None:
            values.append(-values[0])
        label = ", ".join(labels[p][k] for p, k in enumerate(at))
        outcomes.append("{ " + quoted(label) + " " + " ".join(str(v) for v in values) + " }")
        cells.append(str(len(outcomes)))
    text = (
        f"NFG 1 R {quoted(title)} {{ {' '.join(quoted(p) for p in names)} }}\n"
        "{ " + " ".join("{ " + " ".join(quoted(s) for s in strats) + " }" for strats in labels) + " }\n"
        '""\n{\n' + "\n".join(outcomes) + "\n}\n" + " ".join(cells) + "\n"
    )
    return read_nfg(text, f"<{title}>")
