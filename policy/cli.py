"""The `policy` command: a thin click front over the library.

Each command reads its inputs with one library call, solves with one, and
prints what a formatter in ``policy.render`` makes of the result. Library
errors become one line on stderr and exit code 1; usage errors exit 2. The
library is imported inside the commands so that ``policy --help`` is instant.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

# One BLAS thread unless the user says otherwise (set before numpy loads). The
# solvers factorise many small dense matrices, where threads only contend: on a
# loaded 2-core machine logit on a 201-node chain took 23 s with OpenBLAS's
# threads and 0.9 s with one.
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")


def _keep_freed_memory() -> None:
    """On glibc, keep freed memory for reuse instead of handing it back to the system at once.

    Lemke's float path and the batch solvers allocate and free arrays of the
    same size at every step. By default glibc returns the top of the heap to
    the system after each free (above 128 kB) and takes it back, page by page,
    at the next allocation: on the 8x8x8 signalling game that was 250,000 page
    faults and 0.5 s of system time in a 5 s solve. So the heap keeps up to
    256 MB of freed memory (M_TRIM_THRESHOLD). Setting that turns off glibc's
    sliding mmap threshold, so every array above 128 kB would then be mapped
    and faulted in afresh: the batch solvers' arrays of a few MB are taken from
    the heap up to 32 MB (M_MMAP_THRESHOLD, glibc's own ceiling for it). That
    took `policy compare` from 6.0 to 1.1 s of system time and a sweep of 2,048
    draws of Stalin's branch from 3.7 to 1.3 (docs/speed.md).
    Elsewhere (macOS, musl) this does nothing; ``MALLOC_TRIM_THRESHOLD_`` or
    ``MALLOC_MMAP_THRESHOLD_`` set by the user wins.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the C library already loaded
        if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
            libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc


_keep_freed_memory()

if TYPE_CHECKING:
    from policy.leaders import Leader
    from policy.output import Outputs

F = TypeVar("F", bound=Callable[..., Any])


def library_errors(func: F) -> F:
    """Turn the library's own errors into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        from policy.errors import user_errors

        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            shown = warnings.showwarning
            warnings.showwarning = functools.partial(_show_warning, shown)
            try:
                return func(*args, **kwargs)
            except user_errors() as err:
                raise click.ClickException(" ".join(str(err).split())) from None

    return wrapper  # type: ignore[return-value]


def _show_warning(fallback: Callable[..., None], message: Warning | str, category: type[Warning],
                  *args: Any, **kwargs: Any) -> None:
    """The library's warnings on stderr: ``note: ...`` for a :class:`policy.api.Note`, else ``warning: ...``.

    A :class:`policy.api.Stopped` sweep is said by the command itself; other
    kinds of warning (numpy's, say) are shown as Python shows them.
    """
    from policy.api import Note, Stopped

    if issubclass(category, Stopped):
        return
    if issubclass(category, Note):
        click.echo(f"note: {message}", err=True)
    elif issubclass(category, UserWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        fallback(message, category, *args, **kwargs)


def method_options(func: F) -> F:
    """--method, --exact/--float, --lambda and --subgame-method, shared by solve and compare."""
    func = click.option(
        "--subgame-method",
        type=click.Choice(["lcp", "lp", "enummixed", "enumpure", "logit", "qpe"]),
        help="spe with imperfect information: the Nash method for each proper subgame "
        "(default, by the players who move in it: two, lp if constant-sum, else qpe, lcp where "
        "qpe would be too big or with --all; three or more, logit).",
    )(func)
    func = click.option(
        "--lambda",
        "lam",
        type=click.FloatRange(min=0),
        help="logit: return the quantal response equilibrium at this lambda instead of the limit.",
    )(func)
    func = click.option(
        "--exact/--float",
        "exact",
        default=None,
        help="Rational arithmetic or floating point (default: exact, but float for logit).",
    )(func)
    func = click.option(
        "--method",
        "-m",
        type=click.Choice(["auto", "spe", "lcp", "lp", "enummixed", "enumpure", "logit", "qpe",
                           "perfect", "gnm", "simpdiv", "enumpoly"]),
        default="auto",
        show_default=True,
        help="auto: spe with perfect information, else lp (2-player constant-sum), qpe (2 players, "
        "exact or --float alike; lcp if too big for it, or for solve --all), "
        "spe (more players, at most two moving in each imperfect-information subgame) or logit. "
        "qpe: a quasi-perfect equilibrium (2 players); perfect: the extreme equilibria that "
        "are normal-form perfect (2 players; one traced, von Stengel et al. 2002, for large forms). "
        "Any number of players: enumpure, "
        "enumpoly (all isolated equilibria of small games), gnm, simpdiv, logit.",
    )(func)
    return func


def budget_options(func: F) -> F:
    """--max-bases and --max-seconds: how far enummixed may enumerate (solve and compare)."""
    func = click.option(
        "--max-seconds",
        type=click.FloatRange(min=0, min_open=True),
        help="enummixed, perfect: stop with an error after this many seconds [default: 300].",
    )(func)
    func = click.option(
        "--max-bases",
        type=click.IntRange(min=1),
        help="enummixed, perfect: stop with an error once this many bases of a best-response polytope "
        "are met; bounds its memory [default: 200000].",
    )(func)
    return func


#: The flags that turn colours off, taken (like --claims) before or after the command's name.
NO_COLOR_FLAGS = ("--no-color", "--no-colour")


#: Options of the n-player methods, handed to the solver only when given.
NPLAYER_OPTIONS = ("seed", "max_lambda", "first_step", "max_accel", "max_steps", "max_regret")


def nplayer_options(func: F) -> F:
    """--seed, --max-lambda, --first-step, --max-accel, --max-steps, --max-regret (solve).

    They reach the command as one dict, ``nplayer``, passed on to the solver.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {k: kwargs.pop(k) for k in NPLAYER_OPTIONS if k in kwargs}
        return func(*args, nplayer=given, **kwargs)

    options = [
        ("--seed", click.IntRange(min=0), "gnm: seed of the random perturbation [default: 0]."),
        ("--max-lambda", click.FloatRange(min=0, min_open=True),
         "logit: give up when lambda passes this (game's payoff units)."),
        ("--first-step", click.FloatRange(min=0, min_open=True),
         "logit: arc length of the first step [default: 0.03]."),
        ("--max-accel", click.FloatRange(min=1), "logit: largest growth of the step [default: 1.5]."),
        ("--max-steps", click.IntRange(min=1), "logit, gnm: steps along the path at most."),
        ("--max-regret", click.FloatRange(min=0, min_open=True),
         "simpdiv: stop once the regret is below this times the payoff range [default: 1e-9]."),
    ]
    for name, kind, text in reversed(options):
        wrapper = click.option(name, type=kind, help=text)(wrapper)
    return wrapper  # type: ignore[return-value]


class PolicyGroup(click.Group):
    """The command group; Ctrl-C in any command ends with exit code 130, not click's "Aborted!" and 1.

    Files being written are dropped by :mod:`policy.output` before this runs.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Take the group's own options anywhere before ``--``, also after the command's name."""
        end = args.index("--") if "--" in args else len(args)
        hoisted: list[str] = []
        rest: list[str] = []
        k = 0
        while k < end:
            arg = args[k]
            if arg in NO_COLOR_FLAGS or arg.startswith("--claims="):
                hoisted.append(arg)
            elif arg == "--claims" and k + 1 < end:
                hoisted += [arg, args[k + 1]]
                k += 1
            else:
                rest.append(arg)
            k += 1
        return super().parse_args(ctx, [*hoisted, *rest, *args[end:]])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted; no file written", err=True)
            sys.exit(130)


def no_empty_leader(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse ``-l ''``, which would otherwise quietly mean no leader (or every leader)."""
    for item in value if isinstance(value, tuple) else (value,):
        if item is not None and not any(name.strip() for name in item.split(",")):
            raise click.BadParameter("needs a leader name or a profile file, not an empty value")
    return value


@click.group(cls=PolicyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-games")
@click.option("--no-color", "--no-colour", "no_color", is_flag=True,
              help="Plain output without colours (also when NO_COLOR is set or the output is not a terminal).")
@click.option("--claims", "claims_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The claims catalogue that games and profiles cite, instead of a claims.toml "
              "beside the game or the bundled one (also $POLICY_CLAIMS; a game's own game.claims "
              "comes first).")
@click.pass_context
def main(ctx: click.Context, no_color: bool, claims_file: str | None) -> None:
    """Model a diplomatic crisis as a game, solve it, and compare leaders.

    Start with `policy compare`, which solves the bundled 1937-1941 scenario
    under Stalin and under Tukhachevsky.
    """
    # Colour is for terminals: policy.render.text colours its tables when the
    # context says so, and click.echo strips escape codes when it says not.
    # NO_COLOR (https://no-color.org) and --no-color win over FORCE_COLOR.
    if claims_file:
        before = os.environ.get("POLICY_CLAIMS")
        os.environ["POLICY_CLAIMS"] = claims_file

        def restore() -> None:  # for callers that run the command in-process
            if before is None:
                os.environ.pop("POLICY_CLAIMS", None)
            else:
                os.environ["POLICY_CLAIMS"] = before

        ctx.call_on_close(restore)
    if no_color or os.environ.get("NO_COLOR"):
        ctx.color = False
    elif os.environ.get("FORCE_COLOR") or sys.stdout.isatty():
        ctx.color = True


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--leader", "-l", "leaders", multiple=True, callback=no_empty_leader, metavar="L[,L...]",
              help="Also check each game at these leaders' values, and that every value of theirs "
              "says where it comes from. Repeat or separate with commas.")
def validate(files: tuple[str, ...], leaders: tuple[str, ...]) -> None:
    """Check game files (.toml, .efg, .nfg), leader profiles and records; print one line per file.

    A leader profile given as FILE (a .toml with a [leader] table) is checked on
    its own: it loads, every value has sources or a note starting 'judgement:',
    and every value names a parameter of a game named in the same command or
    beside the profile (its folder or the one above). A file of shared values
    (a [shared] table), which profiles include, is checked for sources.

    A record (a .toml with a [record] table) is read and its claim ids checked;
    its moves are laid on its game (record.game) when that file is named too.

    Example: policy validate entry.toml games/diplomacy_1939.toml
    """
    from policy.api import validate as run

    failed = False
    for checked in run(files, leader_names(leaders)):
        if checked.ok:
            click.echo(str(checked))
        for line in checked.errors:
            failed = True
            click.echo(f"Error: {line}", err=True)
    if failed:
        sys.exit(1)


def _count(n: int, what: str) -> str:
    """``1 parameter``, ``2 parameters``."""
    return f"{n} {what}{'' if n == 1 else 's'}"


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--leader", "-l", callback=no_empty_leader, help="Leader profile: a bundled name (stalin) or a file.")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@method_options
@budget_options
@click.option(
    "--all",
    "all_equilibria",
    is_flag=True,
    help="More than one equilibrium: every pure SPE (spe), every extreme one (enummixed), "
    "those reachable from other starts (lcp).",
)
@click.option("--max-pivots", type=click.IntRange(min=1),
              help="lcp: stop each Lemke run after this many pivots (default 1000 + 100 x the LCP's size).")
@nplayer_options
@click.option("--refine", type=click.Choice(["intuitive"]),
              help="intuitive: a signalling game's perfect Bayesian equilibria that pass the Intuitive "
              "Criterion (Cho-Kreps 1987), the others named with the reason; auto then lists every "
              "extreme equilibrium (enummixed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--no-count", is_flag=True,
              help="Do not check whether the equilibrium is the only one (the check lists the game's "
              "equilibria for up to 5 s; a big game with subgames part by part, up to 60 s of CPU).")
@library_errors
def solve(
    file: str,
    leader: str | None,
    assignments: tuple[str, ...],
    method: str,
    exact: bool | None,
    lam: float | None,
    subgame_method: str | None,
    max_bases: int | None,
    max_seconds: float | None,
    all_equilibria: bool,
    max_pivots: int | None,
    nplayer: dict[str, Any],
    refine: str | None,
    fmt: str,
    no_count: bool,
) -> None:
    """Solve a game (.toml, or Gambit .efg/.nfg) for its equilibria.

    The last line says whether the equilibrium shown is the only one: methods
    that list every equilibrium answer themselves; for one found by lcp, lp or
    logit, enummixed (2 players) or enumpure (more) lists the game's within 5 s,
    and when that cannot decide it the line says so (--no-count skips it).

    Example: policy solve games/diplomacy_1939.toml --leader stalin --set readiness=0.6
    """
    from policy.api import solve as run
    from policy.leaders import parse_assignments

    solution = run(
        file,
        leader,
        method,
        parse_assignments(assignments),
        exact=exact,
        all_equilibria=all_equilibria,
        refinement=refine,
        lam=lam,
        subgame_method=subgame_method,
        max_bases=max_bases,
        max_seconds=max_seconds,
        max_pivots=max_pivots,
        options=nplayer,
    )
    result, profile = solution.result, solution.leader
    count = None if no_count else solution.count()
    if fmt == "json":
        from policy.render.data import write_result
        from policy.solvers.count import count_data

        write_result(result, profile, None if count is None else count_data(count), lambda t: click.echo(t, nl=False))
    else:
        from policy.render.text import solve_table_blocks

        for block in solve_table_blocks(result, profile, count=count):  # a big game's table is never held whole
            click.echo(block, nl=False)
        if count is not None:
            click.echo(f"How many: {count.text}.")


def leader_names(given: tuple[str, ...], default: tuple[str, ...] = ()) -> list[str]:
    """Leader names from repeated and comma-separated options, in order, each once."""
    names: list[str] = []
    for item in given:
        for name in item.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return names or list(default)


def compared_leaders(given: tuple[str, ...]) -> list[str]:
    """The leaders of compare and report: those given, or stalin and tukhachevsky."""
    from policy.analysis.compare import DEFAULT_LEADERS

    if given and not leader_names(given):
        raise click.UsageError("--leaders needs at least one leader")
    return leader_names(given, DEFAULT_LEADERS)


def leaders_option(help_text: str, plural: bool = True) -> Callable[[F], F]:
    """--leaders and --leader (-l), repeatable and comma-separated (compare and explain).

    ``plural`` puts ``--leaders`` first in the help (compare), else ``--leader`` (explain).
    """
    names = ("--leaders", "--leader") if plural else ("--leader", "--leaders")
    return click.option(
        *names,
        "-l",
        "leaders",
        multiple=True,
        callback=no_empty_leader,
        metavar="L[,L...]",
        help=help_text + " Bundled names (stalin) or profile files; repeat or separate with commas.",
    )


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@leaders_option("Leaders to compare [default: stalin,tukhachevsky].")
@method_options
@budget_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True
)
@library_errors
def compare(
    files: tuple[str, ...],
    leaders: tuple[str, ...],
    method: str,
    exact: bool | None,
    lam: float | None,
    subgame_method: str | None,
    max_bases: int | None,
    max_seconds: float | None,
    fmt: str,
) -> None:
    """Solve games under several leaders and show them side by side.

    With no FILE, the bundled campaign (games/ussr_1937_1941.toml, the four
    stage games chained into one game) is compared; name the stage games
    (games/coup_1937.toml ...) to compare them one by one. For each game: the
    decisions on the equilibrium path, the probability of each outcome and of
    each value of each outcome fact, the expected payoffs, which assumptions
    drive the differences (the first leader solved again with one value of
    the other's at a time), and each parameter's distance to a flip.

    Example: policy compare --leaders stalin,tukhachevsky --format markdown
    """
    from policy.api import compare as run

    with _status_line() as progress:
        comparisons = run(
            *files,
            leaders=compared_leaders(leaders),
            method=method,
            exact=exact,
            lam=lam,
            subgame_method=subgame_method,
            max_bases=max_bases,
            max_seconds=max_seconds,
            progress=progress,
        ).comparisons
    if fmt == "json":
        from policy.render.data import comparison_data, dumps

        click.echo(dumps(comparison_data(comparisons)))
    else:
        from policy.render.text import compare_table

        click.echo(compare_table(comparisons, markdown=fmt == "markdown"), nl=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@leaders_option("Show the values of these leaders only [default: every bundled leader].", plural=False)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@library_errors
def explain(file: str, leaders: tuple[str, ...], fmt: str) -> None:
    """Explain a game: its structure, and each parameter's meaning, values and claims.

    For each parameter: what it means, its range, its value under each leader
    with the leader's note and sources, and the claims behind it (contested
    and wrong ones marked, with why). For the game: who moves when, what
    chance decides, who knows what, its description and what it leaves out.

    Example: policy explain games/diplomacy_1939.toml --leader stalin
    """
    from policy.api import explain as run

    explanation = run(file, leader_names(leaders) or None)
    if fmt == "json":
        from policy.render.data import dumps, explanation_data

        click.echo(dumps(explanation_data(explanation)))
    else:
        from policy.render.text import explain_text

        click.echo(explain_text(explanation), nl=False)


@main.command()
@click.option("--game", "game", metavar="GAME", help="Only claims bearing on this game (a name such as coup_1937, or its file).")
@click.option("--status", type=click.Choice(["accepted", "contested", "wrong"]), help="Only claims with this status.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@library_errors
def claims(game: str | None, status: str | None, fmt: str) -> None:
    """List the claims catalogue that games and leaders cite.

    The catalogue is the bundled seeds/claims.toml, or the one --claims FILE
    names; with --game FILE, the game's own (a claims.toml beside it counts,
    as for every command). Each claim: its id, kind, the post and author
    (thread) or the source (external), its status, a one-line summary, and
    what it bears on.

    Example: policy claims --game coup_1937 --status wrong
    """
    from policy.analysis.compare import display_path
    from policy.api import find_claims as run
    from policy.claims import listed_catalogue

    path = listed_catalogue(game)
    chosen = run(game, status)
    if fmt == "json":
        from policy.render.data import claims_data, dumps

        click.echo(dumps(claims_data(chosen, display_path(path))))
    else:
        from policy.render.text import claims_text

        click.echo(claims_text(chosen), nl=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@leaders_option(
    "Leader profile: its values fix the parameters not varied, and its declared uncertainty is what "
    "--samples draws from (several leaders: one Monte Carlo run each).",
    plural=False,
)
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("--vary", multiple=True, metavar="NAME[=LOW:HIGH[:POINTS]]",
              help="A grid over this parameter (POINTS default 101); give one or two.")
@click.option("--samples", type=click.IntRange(min=1), help="Monte Carlo: draw this many samples from the leader's uncertainty.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the Monte Carlo draws.")
@click.option(
    "--method",
    "-m",
    type=click.Choice(["auto", "spe", "lcp", "lp", "enummixed", "enumpure", "logit"]),
    default="auto",
    show_default=True,
    help="auto: the method solve's auto chooses; where that is spe, the batch solver "
         "(all samples of a block at once), else that method sample by sample.",
)
@click.option("--plot", type=click.Path(dir_okay=False), help="Also draw the sweep to this .png or .svg file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="csv: one row per sample.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the output to this file instead of the screen.")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Processes on this machine (default: one per CPU; a short sweep stays in one). "
                   "The results do not depend on it.")
@click.option("--workers", type=click.IntRange(min=1), help="Run on a local Dask cluster of this many processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Run on the Dask cluster at this address (tcp://host:8786).")
@library_errors
def sweep(
    file: str,
    leaders: tuple[str, ...],
    assignments: tuple[str, ...],
    vary: tuple[str, ...],
    samples: int | None,
    seed: int,
    method: str,
    plot: str | None,
    fmt: str,
    output: str | None,
    jobs: int | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Solve a game over a grid of parameter values or Monte Carlo draws.

    With --vary, a grid over one or two parameters, the others at the
    leader's values. With --samples, draws from the uncertainty each leader
    profile declares (its ranges and distributions). Prints the share of
    samples taking each equilibrium path, each outcome's probability with a
    95% interval, and the outcome facts. A sample that cannot be solved (a
    probability outside [0, 1] there, a solver that gives up even in exact
    arithmetic) is listed in its place with the reason, and the sweep goes
    on. Ctrl-C (exit code 130), or an error that stops the sweep (exit code
    1), keeps what was solved: it is printed, or written whole to -o (never
    half a file); the plot is then not drawn.

    Example: policy sweep games/diplomacy_1939.toml --leader stalin --vary readiness=0.1:0.9:81
    """
    from policy.output import Outputs

    if bool(vary) == bool(samples):
        raise click.UsageError("give either --vary (a grid) or --samples (Monte Carlo), not both or neither")
    names = leader_names(leaders)
    if vary and len(names) > 1:
        raise click.UsageError("a grid (--vary) takes one leader")
    if samples and not names:
        raise click.UsageError("--samples draws from a leader's declared uncertainty: give --leader")
    state = {"committed": False}
    try:
        with Outputs() as outputs:
            _sweep(file, names, assignments, vary, samples, seed, method, plot, fmt, output,
                   jobs, workers, scheduler, outputs, state)
    except KeyboardInterrupt:
        # Ctrl-C outside the solving (which stops on its own, below): reading,
        # drawing the samples, formatting or writing. Nothing was committed
        # unless the commit had finished.
        done = "the output was complete" if state["committed"] else "no file written"
        click.echo(f"interrupted; {done}", err=True)
        sys.exit(130)


def _sweep(
    file: str,
    names: list[str],
    assignments: tuple[str, ...],
    vary: tuple[str, ...],
    samples: int | None,
    seed: int,
    method: str,
    plot: str | None,
    fmt: str,
    output: str | None,
    jobs: int | None,
    workers: int | None,
    scheduler: str | None,
    outputs: Outputs,
    state: dict[str, bool],
) -> None:
    """The work of ``policy sweep``, its files prepared in ``outputs`` and committed together."""
    import contextlib
    import time

    from policy.analysis.sweep import parse_vary
    from policy.api import leader as load_leader
    from policy.api import load
    from policy.api import sweep as run
    from policy.leaders import parse_assignments
    from policy.output import check

    for v in vary:
        if "=" in v:
            parse_vary(v)  # the syntax first; bare names need the game
    # The files are checked before the solving, which may take a while.
    targets = [check(f) for f in (plot, output) if f]
    if plot:
        from policy.render.plot import plot_format

        plot_format(plot)
    if len(targets) == 2 and targets[0].path == targets[1].path:
        raise click.UsageError(f"--plot and -o name the same file {output!r}")
    game = load(file)
    overrides = parse_assignments(assignments)
    profiles: list[Leader | None] = [load_leader(n) for n in names] or [None]
    results = []
    with contextlib.ExitStack() as stack:
        executor = None
        if workers or scheduler:
            from policy.analysis.cluster import dask_client

            executor = stack.enter_context(dask_client(scheduler, workers))
        for profile in profiles:
            label = profile.key if profile else ""
            results.append(run(
                game, list(vary) or None, profile, samples=samples, seed=seed, method=method, values=overrides,
                workers=jobs, executor=executor, jobs=jobs,
                progress=_progress_bar(stack, label or game.title, time.monotonic()),
            ).result)
            if results[-1].interrupted:
                break

    from policy.render.sweep import sweep_csv_chunks, sweep_table, sweeps_json

    def chunks() -> Iterator[str]:
        if fmt == "json":
            yield sweeps_json(results, seed if samples else None)
        elif fmt == "csv":
            yield from sweep_csv_chunks(results)
        else:
            yield sweep_table(results)

    last = results[-1]
    stopped = last.interrupted or len(results) < len(profiles)
    if stopped:
        # Stopped by Ctrl-C or an error while solving: what was solved is the
        # output (written whole to -o, else printed); the plot is not drawn.
        solved = f"{last.done} of {last.requested} samples solved"
        message = f"Error: {last.error}; stopped with {solved}" if last.error else f"interrupted: {solved}"
        if len(results) == 1 and last.done == 0:
            # Stopped before any block came back: nothing to show, and the old file stays.
            message += "; no file written" if output else ""
            output = None
            results = []
        elif output:
            message += f"; the partial results written to {output}"
        if plot:
            message += f"; no plot drawn ({plot} left as it was)"
        plot = None
    if plot:
        from policy.render.plot import plot_bars, plot_line, plot_regions

        if samples:
            plot_bars(results, plot, outputs)
        elif len(vary) == 1:
            plot_line(results[0], plot, outputs)
        else:
            plot_regions(results[0], plot, outputs)
    if output:
        with outputs.open(output, text=True) as handle:
            for chunk in chunks():
                handle.write(chunk)
    elif results:
        for chunk in chunks():
            click.echo(chunk, nl=False)
    outputs.commit()
    state["committed"] = True
    if stopped:
        click.echo(message, err=True)
        sys.exit(1 if last.error else 130)
    if output:
        click.echo(f"wrote {output}" + (f" and {plot}" if plot else ""), err=True)
    elif plot:
        click.echo(f"wrote {plot}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--leader", "-l", callback=no_empty_leader, help="Leader profile: its values fix the parameters not varied.")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("--vary", multiple=True, required=True, metavar="NAME[=LOW:HIGH]",
              help="A parameter to vary over its declared range, or LOW:HIGH; give one or two.")
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
              help="Stop with an error after this long (checked between steps).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@library_errors
def regions(
    file: str, leader: str | None, assignments: tuple[str, ...], vary: tuple[str, ...], max_seconds: float, fmt: str
) -> None:
    """Exact regions of one or two parameters where the subgame-perfect equilibrium is the same.

    For a game of perfect information, the boundaries at which the
    equilibrium changes, as exact numbers (one parameter) or inequalities
    (two), each region with its equilibrium path; the other parameters at
    the leader's values. Zeros of polynomials with an irreducible factor of
    degree above 24 are located numerically, and the output says so.

    Example: policy regions games/diplomacy_1939.toml --leader stalin --vary readiness
    """
    from policy.analysis.regions import regions_text
    from policy.api import regions as run
    from policy.leaders import parse_assignments

    result = run(file, list(vary), leader, max_seconds=max_seconds, values=parse_assignments(assignments)).result
    if fmt == "json":
        from policy.render.data import dumps, regions_data

        click.echo(dumps(regions_data(result)))
    else:
        click.echo(regions_text(result).rstrip("\n"))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("record_file", metavar="RECORD", type=click.Path(dir_okay=False))
@click.option("--leader", "-l", help="Leader profile: its values, and the uncertainty --samples draws from.")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("--method", "-m", type=click.Choice(["auto", "spe", "lcp", "lp", "enummixed", "enumpure", "logit"]),
              default="auto", show_default=True, help="The equilibrium the record is checked against.")
@click.option("--samples", type=click.IntRange(min=0), default=0, show_default=True,
              help="Monte Carlo draws from the leader's declared uncertainty.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo draws.")
@click.option("--lambda", "lam", metavar="LAMBDA|fit",
              help="Also the likelihood of the record under logit QRE at this precision, or at the fitted one.")
@click.option("--no-parameters", is_flag=True, help="Skip each parameter's distance to reproducing the record.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--jobs", type=click.IntRange(min=1),
              help="Processes for the draws and the parameters' grids (default: one per CPU for a long "
                   "batched run, as sweep's; else 1). The results do not depend on it.")
@library_errors
def record(
    file: str,
    record_file: str,
    leader: str | None,
    assignments: tuple[str, ...],
    method: str,
    samples: int,
    seed: int,
    lam: str | None,
    no_parameters: bool,
    fmt: str,
    jobs: int | None,
) -> None:
    """Score an observed record (the moves actually taken) against a game or campaign.

    Move by move, whether the equilibrium at the leader's values reproduces
    the record; the probability that it does under the leader's declared
    uncertainty (--samples), per stage and jointly; which parameters most
    change that, with the nearest values that reproduce the record; and with
    --lambda, the record's likelihood under logit quantal response.

    Example: policy record tests/data/campaigns/two_stage.toml tests/data/campaigns/record_two_stage.toml -l tests/data/campaigns/leaders/beta.toml --samples 10000 --lambda fit
    """
    from policy.api import record as run
    from policy.leaders import parse_assignments

    precision: float | str | None = None
    if lam is not None:
        try:
            precision = "fit" if lam == "fit" else float(lam)
        except ValueError:
            raise click.UsageError(f"--lambda {lam!r}: expected a number >= 0 or 'fit'") from None
        if precision != "fit" and not float(precision) >= 0:
            raise click.UsageError(f"--lambda {lam!r}: expected a number >= 0 or 'fit'")
    result = run(file, record_file, leader, method=method, samples=samples, seed=seed, lam=precision,
                 effects=not no_parameters, values=parse_assignments(assignments), jobs=jobs)
    if fmt == "json":
        from policy.render.data import dumps
        from policy.render.record import record_data

        click.echo(dumps(record_data(result)))
    else:
        from policy.render.record import record_table

        click.echo(record_table(result), nl=False)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@leaders_option("The two leaders: the difference is the second's end states minus the first's.")
@click.option("--group", "groups", multiple=True, metavar="NAME=P,Q,...",
              help="A group of parameters decomposed over as one (repeatable); beside a campaign's [groups].")
@method_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@library_errors
def decompose(
    file: str,
    leaders: tuple[str, ...],
    groups: tuple[str, ...],
    method: str,
    exact: bool | None,
    lam: float | None,
    subgame_method: str | None,
    fmt: str,
) -> None:
    """Split the difference between two leaders' end states by group of parameters and by stage.

    For each end state (each value of each outcome fact) whose probability
    differs, how much of the difference comes from each group of parameters
    (Shapley values over the groups: the parts add up to the whole) and, for
    a campaign, from each stage.

    Example: policy decompose tests/data/campaigns/two_stage.toml -l tests/data/campaigns/leaders/alpha.toml,tests/data/campaigns/leaders/beta.toml
    """
    from policy.api import decompose as run

    names = leader_names(leaders)
    if len(names) != 2:
        raise click.UsageError("--leaders needs exactly two leaders (A,B: B's end states minus A's)")
    declared: dict[str, list[str]] = {}
    for item in groups:
        name, sep, members = item.partition("=")
        parts = [m.strip() for m in members.split(",") if m.strip()]
        if not sep or not name.strip() or not parts:
            raise click.UsageError(f"--group {item!r}: expected NAME=P,Q,...")
        declared[name.strip()] = parts
    result = run(file, names, declared, method=method, exact=exact, lam=lam, subgame_method=subgame_method)
    if fmt == "json":
        from policy.render.data import dumps
        from policy.render.decompose import decomposition_data

        click.echo(dumps(decomposition_data(result)))
    else:
        from policy.render.decompose import decomposition_table

        click.echo(decomposition_table(result), nl=False)


@contextlib.contextmanager
def _status_line() -> Iterator[Callable[[str], None]]:
    """A callback that shows what a long command is doing, as one transient line on a terminal's
    stderr (a spinner and the step); nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda step: None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting", spinner="dots") as status:
        yield lambda step: status.update(step)


def _progress_bar(stack: Any, what: str, started: float) -> Callable[[int, int], None]:
    """A progress callback that shows a rich bar on a terminal's stderr once a sweep has run for a second."""
    import time

    state: dict[str, Any] = {}
    shown = sys.stderr.isatty()

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if not shown or time.monotonic() - started < 1.0 or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            bar = stack.enter_context(Progress(console=Console(stderr=True), transient=True))
            state["bar"] = bar
            state["task"] = bar.add_task(f"solving {what}", total=total)
        state["bar"].update(state["task"], completed=done)

    return update


@main.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--leader", "-l", callback=no_empty_leader, help="Gambit files have no parameters: evaluate at this leader's values.")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@library_errors
def convert(source: str, target: str, leader: str | None, assignments: tuple[str, ...]) -> None:
    """Convert a game between our TOML and Gambit's .efg / .nfg, by file suffix.

    Labels and exact numbers are kept. Writing .efg or .nfg evaluates the
    payoffs at the parameter values (defaults, --leader, --set), since Gambit
    files have no parameters. The target is written whole or not at all.

    Example: policy convert games/diplomacy_1939.toml diplomacy.efg --leader stalin
    """
    from policy.api import convert as run
    from policy.leaders import parse_assignments

    run(source, target, leader, parse_assignments(assignments))
    click.echo(f"wrote {target}")


#: Output formats of ``policy render`` by file suffix.
RENDER_SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".tex": "tex", ".tikz": "tex"}


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--leader", "-l", callback=no_empty_leader, help="Leader profile: a bundled name (stalin) or a file.")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@method_options
@click.option("--no-solve", is_flag=True, help="Draw the game alone, without an equilibrium.")
@click.option("--depth", type=click.IntRange(min=0),
              help="Collapse the subtrees below this depth (the root is 0) into boxes.")
@click.option("--path", "along_path", is_flag=True,
              help="Draw the equilibrium path: the nodes it reaches and their children, each subtree it "
              "does not enter as one box (the default for trees of more than 1500 nodes, where it fits).")
@click.option("--format", "fmt", type=click.Choice(["dot", "svg", "png", "tex", "tikz"]),
              help="dot (Graphviz text), svg, png (laid out by Graphviz's dot program when installed, "
              "else in Python) or tex (TikZ; "
              "tikz is the same). Default: from -o's suffix, else dot.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of the screen.")
@library_errors
def render(
    file: str,
    leader: str | None,
    assignments: tuple[str, ...],
    method: str,
    exact: bool | None,
    lam: float | None,
    subgame_method: str | None,
    no_solve: bool,
    depth: int | None,
    along_path: bool,
    fmt: str | None,
    output: str | None,
) -> None:
    """Draw a game tree with the equilibrium marked: DOT, SVG, PNG or TikZ.

    Decision nodes are coloured by player, chance nodes carry their
    probabilities, information sets are joined by dashed lines, terminals show
    payoffs and outcome labels. Each action has its equilibrium probability
    beside it and the equilibrium path is bold. A tree of more than 1500 nodes
    is drawn along its equilibrium path (the subtrees off it as boxes with
    their values) when that fits, else collapsed below a depth; --depth and
    --path choose.

    Example: policy render games/diplomacy_1939.toml -l stalin -o tree.svg
    """
    from policy.api import draw
    from policy.leaders import parse_assignments
    from policy.output import check, write

    if fmt == "tikz":
        fmt = "tex"
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        if output and suffix not in RENDER_SUFFIXES:
            raise click.UsageError(f"cannot tell the format from {output!r}: give --format dot|svg|png|tex")
        fmt = RENDER_SUFFIXES.get(suffix, "dot")
    if fmt == "png" and not output:
        raise click.UsageError("--format png writes a binary file: give -o FILE.png")
    if along_path and (no_solve or depth is not None):
        raise click.UsageError("--path draws the equilibrium path: it takes neither --no-solve nor --depth")
    if output:
        check(output)  # before the solving and drawing
    data = draw(file, leader, fmt, method=method, solved=not no_solve, depth=depth, exact=exact, lam=lam,
                subgame_method=subgame_method, values=parse_assignments(assignments),
                path=True if along_path else None)
    if not output:
        click.echo(data if isinstance(data, str) else data.decode("utf-8"), nl=False)
        return
    write(output, data)
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@leaders_option("Leaders to compare [default: stalin,tukhachevsky].")
@method_options
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]),
              help="html (one self-contained page) or markdown (pictures as SVG files beside it). "
              "Default: markdown if -o ends in .md, else html.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The report file to write.")
@library_errors
def report(
    files: tuple[str, ...],
    leaders: tuple[str, ...],
    method: str,
    exact: bool | None,
    lam: float | None,
    subgame_method: str | None,
    fmt: str | None,
    output: str,
) -> None:
    """Write one report comparing leaders: a self-contained HTML page, or Markdown.

    With no FILE, the bundled campaign (games/ussr_1937_1941.toml); name the
    stage games to report on them one by one. For each game: its description, what it
    leaves out and its structure; the comparison (paths, outcomes, payoffs,
    what drives the difference, distance to a flip); the tree under each
    leader with the equilibrium marked; sweep plots over the parameter nearest
    to a flip (perfect information only); and each parameter with every
    leader's value and the claims behind it. The HTML loads nothing from the
    network. The trees are laid out by Graphviz's dot program when it is
    installed, else by policy's own tidy-tree layout.

    Example: policy report --leaders stalin,tukhachevsky -o report.html
    """
    import shlex

    from policy.api import report as run

    names = compared_leaders(leaders)
    if fmt is None:
        fmt = "markdown" if Path(output).suffix.lower() in (".md", ".markdown") else "html"
    words = ["policy", "report", *files]
    if leaders:
        words += ["--leaders", ",".join(names)]
    if method != "auto":
        words += ["--method", method]
    if exact is not None:
        words.append("--exact" if exact else "--float")
    if lam is not None:
        words += ["--lambda", f"{lam:g}"]
    if subgame_method:
        words += ["--subgame-method", subgame_method]
    words += ["--format", fmt, "-o", output]
    with _status_line() as progress:
        written = run(output, *files, leaders=names, fmt=fmt, method=method, exact=exact,
                      command=shlex.join(words), lam=lam, subgame_method=subgame_method, progress=progress)
    extra = len(written) - 1
    pictures = f" and {extra} SVG picture{'s' if extra != 1 else ''} beside it" if extra else ""
    click.echo(f"wrote {output}{pictures}", err=True)


from policy.fit.command import fit_command  # noqa: E402  (imports only click; the library loads inside)

main.add_command(fit_command)


if __name__ == "__main__":  # pragma: no cover
    main()
