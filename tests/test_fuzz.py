"""Mutation fuzzing of the command line: no traceback, no hang, no runaway memory.

A seeded loop mutates the bundled games and the test data (bytes flipped, lines
dropped or repeated, numbers swapped for hostile ones, files cut short) and runs
one command on each mutant. Each case runs in a forked child with a memory cap
(``RLIMIT_AS``) and a CPU-time alarm, so a hang or a runaway allocation fails
the case instead of the test run. Every case must end with exit code 0, or exit
code 1 and exactly one ``Error:`` line on stderr, and never a traceback.

The mutants are reproducible from the seed; a failing case's file is kept under
pytest's tmp_path and its command printed, so it can be replayed by hand with
``python cli.py ...``.
"""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

#: Mutants generated per run; each gets one command.
CASES = 300
#: Seed of the mutation loop (fixed, so CI and a developer see the same cases).
SEED = 20261205
#: Address-space cap of one case's child process. Numpy and OpenBLAS reserve
#: virtual memory generously, so this is well above what a case really uses.
MEMORY_CAP = 3 * 2**30
#: CPU seconds one case may use before it counts as a hang.
TIME_CAP = 30

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork"), reason="the fuzz loop forks one child per case"
)

#: Seeds: every bundled game and every game file among the test data.
SEED_FILES = sorted(
    [*PROJECT.glob("games/*.toml"), *PROJECT.glob("tests/data/*.*"),
     *PROJECT.glob("tests/data_nfg/*.nfg"), *PROJECT.glob("tests/data/hostile/*.*"),
     *PROJECT.glob("tests/data/campaigns/*.toml")]
)
#: Campaigns name their stage games and profiles beside them: a mutated campaign
#: (or stage) is run in a copy of its folder.
CAMPAIGNS = PROJECT / "tests" / "data" / "campaigns"

#: Leader profiles are mutated too, and used with a bundled game.
LEADER_FILES = sorted(PROJECT.glob("games/leaders/*.toml"))
BUNDLED_GAMES = sorted(PROJECT.glob("games/*.toml"))

#: Hostile numbers: beyond float range, tiny, huge exponents, undefined.
NUMBERS = [
    "0", "-1", "1e400", "-1e400", "1e-400", "99999**64", "1e999999999999999999999",
    "nan", "inf", "1/0", "0/0", "2**2**2**2**2", "10**10**10", "1000000000",
    "4294967297", "-0", "1e-12", "2", "0.5", "-0.5", "1/3", "1e308*10", "exp(1000)",
    "log(0)", "sqrt(-1)", "10**-400",
]
#: Hostile replacements for a number or a name.
TOKENS = NUMBERS + [
    "1.", ".5e", '"', "'", "{", "}", "[", "]", "[[[[[[[[[[", "\\",
    "\x00", "\x7f", "\ufeff", "\u00a0", "ｘ", "𝐱", "lambda", "None", "True", "__import__",
    "a.b", "x[0]", "()", "min()", "\n", "\r", "#",
    "=", ",", "\"\"\"", "'''", "R", "p", "c", "t", "NFG", "EFG", "1 2 3 4",
]


#: A number or quoted expression after ``=`` in TOML, or a number in .efg/.nfg.
VALUE = re.compile(rb'(?:=\s*|[{,]\s*|\s)(-?\d[\d./eE+-]*|"[^"\n]*")(?=[\s,}\]])')


def _mutate(text: bytes, rng: random.Random) -> bytes:
    """Apply one or two random mutations to a file's bytes."""
    for _ in range(rng.randint(1, 2)):
        # Mostly mutations that keep the file readable, so that the cases reach
        # validation, evaluation and the solvers rather than stopping at the parser.
        kind = rng.choices(range(9), weights=[1, 1, 1, 3, 1, 1, 1, 4, 6])[0]
        if not text:
            text = rng.choice(TOKENS).encode()
            continue
        at = rng.randrange(len(text))
        if kind == 0:  # flip one byte
            text = text[:at] + bytes([rng.randrange(256)]) + text[at + 1:]
        elif kind == 1:  # drop a line
            lines = text.split(b"\n")
            del lines[rng.randrange(len(lines))]
            text = b"\n".join(lines)
        elif kind == 2:  # repeat a line
            lines = text.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = b"\n".join(lines)
        elif kind == 3:  # a hostile token in place of a number or a word
            spans = [m.span() for m in re.finditer(rb"[A-Za-z_][A-Za-z0-9_]*|-?\d+(\.\d+)?", text)]
            if spans:
                start, end = rng.choice(spans)
                text = text[:start] + rng.choice(TOKENS).encode() + text[end:]
        elif kind == 4:  # cut short
            text = text[:at]
        elif kind == 5:  # insert a hostile token anywhere
            text = text[:at] + rng.choice(TOKENS).encode() + text[at:]
        elif kind == 6:  # swap two lines
            lines = text.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = b"\n".join(lines)
        elif kind == 8:  # a hostile number where a payoff, probability or value stands
            spans = [m.span(1) for m in VALUE.finditer(text)]
            if spans:
                start, end = rng.choice(spans)
                text = text[:start] + f'"{rng.choice(NUMBERS)}"'.encode() + text[end:]
        else:  # keep the syntax, change the meaning: a hostile value in a quoted string
            spans = [m.span(1) for m in re.finditer(rb'"([^"\n]*)"', text)]
            if spans:
                start, end = rng.choice(spans)
                token = rng.choice(NUMBERS if rng.random() < 0.5 else TOKENS).replace('"', "").replace("\\", "").replace("\n", "")
                text = text[:start] + token.encode() + text[end:]
    return text


def _commands(path: Path, out_dir: Path, rng: random.Random) -> list[Callable[[], list[str]]]:
    """Commands a user may run on a mutated file (one is picked per case)."""
    base = str(path)
    if path.stem == "leader":
        game = str(rng.choice(BUNDLED_GAMES))
        return [
            lambda: ["solve", game, "--leader", base],
            lambda: ["solve", game, "--leader", base, "--float"],
            lambda: ["validate", game, "--leader", base],
            lambda: ["explain", game, "--leader", base],
        ]
    return [
        lambda: ["validate", base],
        lambda: ["solve", base],
        lambda: ["solve", base, "--float"],
        lambda: ["solve", base, "--format", "json"],
        lambda: ["solve", base, "--method", "enumpure"],
        lambda: ["convert", base, str(out_dir / "converted.efg")],
        lambda: ["convert", base, str(out_dir / "converted.toml")],
        lambda: ["solve", base, "--float", "--format", "json"],
    ]


@dataclass(frozen=True)
class Outcome:
    """How one case ended: exit code or signal, and what it printed on stderr."""

    code: int | None
    signal: int | None
    stderr: str


def _run_in_child(args: list[str], work: Path) -> Outcome:
    """Run ``policy ARGS`` in a forked child under the memory and time caps."""
    err_path = work / "stderr.txt"
    out_path = work / "stdout.txt"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
            resource.setrlimit(resource.RLIMIT_CPU, (TIME_CAP, TIME_CAP + 5))
            # The alarm kills the child: not the handler a test-timeout plugin may have set here.
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(TIME_CAP * 2)
            out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            os.chdir(work)
            from policy.cli import main

            try:
                main(args, prog_name="policy", standalone_mode=True)
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 70
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    stderr = err_path.read_text(errors="replace") if err_path.exists() else ""
    if os.WIFSIGNALED(status):
        return Outcome(None, os.WTERMSIG(status), stderr)
    return Outcome(os.WEXITSTATUS(status), None, stderr)


def _problem(outcome: Outcome) -> str | None:
    """What is wrong with how a case ended, or None if it kept the contract."""
    if outcome.signal is not None:
        return f"killed by signal {outcome.signal} (a hang or the memory cap)"
    if "Traceback" in outcome.stderr:
        return "a traceback"
    if outcome.code == 0:
        return None
    if outcome.code != 1:
        return f"exit code {outcome.code}"
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        return f"{len(lines)} lines on stderr instead of one 'Error:' line"
    return None


def test_seed_files_exist() -> None:
    """The loop has something to mutate: games, .efg and .nfg files."""
    suffixes = {p.suffix for p in SEED_FILES}
    assert {".toml", ".efg", ".nfg"} <= suffixes


@pytest.mark.slow
def test_mutants_keep_the_error_contract(tmp_path: Path) -> None:
    """Every mutant ends with exit 0, or exit 1 and one located error line."""
    rng = random.Random(SEED)
    failures: list[str] = []
    for case in range(CASES):
        seed = rng.choice(SEED_FILES + LEADER_FILES)
        work = tmp_path / f"case{case:04d}"
        work.mkdir()
        if seed.parent == CAMPAIGNS:
            shutil.copytree(CAMPAIGNS, work, dirs_exist_ok=True)
            mutant = work / seed.name
        else:
            mutant = work / ("leader.toml" if seed in LEADER_FILES else f"mutant{seed.suffix}")
        mutant.write_bytes(_mutate(seed.read_bytes(), rng))
        args = rng.choice(_commands(mutant, work, rng))()
        outcome = _run_in_child(args, work)
        problem = _problem(outcome)
        if problem:
            last = outcome.stderr.strip().splitlines()[-1:] or [""]
            failures.append(f"case {case} (from {seed.name}): policy {' '.join(args)}: "
                            f"{problem}: {last[0][:200]}")
    assert not failures, f"{len(failures)} of {CASES} cases broke the contract:\n" + "\n".join(
        failures
    )


def test_contract_check_catches_a_traceback(tmp_path: Path) -> None:
    """The judge itself: a traceback, a signal and two error lines are all caught."""
    assert _problem(Outcome(1, None, "Traceback (most recent call last):\n  ...\n")) is not None
    assert _problem(Outcome(None, 9, "")) is not None
    assert _problem(Outcome(1, None, "warning: x\nError: y\n")) is not None
    assert _problem(Outcome(2, None, "Error: y\n")) is not None
    assert _problem(Outcome(1, None, "Error: game.toml: line 3: bad\n")) is None
    assert _problem(Outcome(0, None, "")) is None


def test_child_reports_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case that runs past the CPU cap is reported as killed, not waited for forever."""
    monkeypatch.setattr(sys.modules[__name__], "TIME_CAP", 1)
    hang = tmp_path / "hang.toml"
    hang.write_text("")
    import policy.cli as cli

    def spin(*_args: object, **_kwargs: object) -> None:
        while True:
            pass

    monkeypatch.setattr(cli, "main", spin)
    outcome = _run_in_child(["validate", str(hang)], tmp_path)
    assert outcome.signal is not None
