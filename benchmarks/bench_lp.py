"""``lp --float`` on poker-like zero-sum games against OpenSpiel's sequence-form LP.

Usage::

    python benchmarks/bench_lp.py [--kuhn 3,13,30] [--leduc 2,3,4] [--repeat 3] [--json FILE]

(from the repository root). Games, written by :func:`kuhn_like` and
:func:`leduc_like` below:

* **Kuhn-like, N cards** (Kuhn 1950 with a deck of N distinct ranks): both
  players ante 1 and get one card each; player 1 checks or bets 1; after a
  check player 2 checks (showdown) or bets, and player 1 folds or calls;
  after a bet player 2 folds or calls. N = 3 is Kuhn poker (value -1/18).
* **Leduc-like, R ranks** (Southey et al. 2005, "Bayes' bluff", with R ranks
  of two suits each; R = 3 is the usual deck of six): ante 1, one private
  card each, a round of betting (bet 2), a public card, a second round
  (bet 4); each round is Kuhn's betting (check/bet, check/bet, fold/call; no
  raises). A player whose card pairs the public card wins, else the higher
  rank; equal ranks split. Information sets see ranks, not suits.

What is timed (CPU time of the process, ``time.process_time``, best of
``--repeat``; the machine is shared, so wall time would mostly measure the others): our
``lp_solve(game, {}, exact=False)`` with the game's caches and ``lp``'s
kept HiGHS bases cleared before each call (sequence form and numbers
rebuilt, HiGHS from scratch, as a fresh solve would), and
the same with ``lp.CANONICAL`` off (``plain``: HiGHS's own optimum, no
second program for the canonical point), and
OpenSpiel's ``sequence_form_lp.solve_zero_sum_game`` (cvxpy with HiGHS) on the same game read
from the ``.efg`` we write (``pyspiel.load_efg_game``). Loading and writing
are not timed. OpenSpiel is optional: without ``pyspiel`` (or without the
``cvxpy`` its LP needs) its column says so and our times are still printed.
The game values must agree within 1e-6 (``FAIL`` and exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy.gambit import write_efg  # noqa: E402
from policy.model import Game, build_game  # noqa: E402
from policy.solvers import lp as lp_module  # noqa: E402
from policy.solvers.lp import lp_solve  # noqa: E402
from tests.conftest import chance, decision, terminal  # noqa: E402


def _betting(prefix: str, p1: str, p2: str, pot: int, bet: int, after: Any, specs: list[Any]) -> None:
    """Kuhn's betting at node ``prefix``: ``after(node, history, pot, folded_by)`` ends each line.

    ``folded_by`` is 0 or 1 when that player folded, None for a showdown (or
    the next round) with ``pot`` each in.
    """
    specs += [
        decision(prefix, "P1", f"{p1}", check=f"{prefix}c", bet=f"{prefix}b"),
        decision(f"{prefix}c", "P2", f"{p2}c", check=f"{prefix}cc", bet=f"{prefix}cb"),
        decision(f"{prefix}b", "P2", f"{p2}b", fold=f"{prefix}bf", call=f"{prefix}bc"),
        decision(f"{prefix}cb", "P1", f"{p1}cb", fold=f"{prefix}cbf", call=f"{prefix}cbc"),
    ]
    after(f"{prefix}cc", "cc", pot, None)
    after(f"{prefix}bf", "bf", pot, 1)
    after(f"{prefix}bc", "bc", pot + bet, None)
    after(f"{prefix}cbf", "cbf", pot, 0)
    after(f"{prefix}cbc", "cbc", pot + bet, None)


def kuhn_like(cards: int) -> Game:
    """Kuhn poker with ``cards`` ranks (see the module docstring)."""
    deals = [(i, j) for i in range(cards) for j in range(cards) if i != j]
    p = f"1/{len(deals)}"
    specs: list[Any] = [chance("deal", {f"d{i}_{j}": p for i, j in deals},
                               **{f"d{i}_{j}": f"d{i}_{j}" for i, j in deals})]
    for i, j in deals:
        win = 1 if i > j else -1

        def end(node: str, _h: str, pot: int, folded: int | None, win: int = win) -> None:
            gain = pot * win if folded is None else (pot if folded == 1 else -pot)
            specs.append(terminal(node, gain, -gain))

        _betting(f"d{i}_{j}", f"P1_{i}_", f"P2_{j}_", 1, 1, end, specs)
    return build_game(f"Kuhn-like poker, {cards} cards", ["P1", "P2"], specs)


def leduc_like(ranks: int) -> Game:
    """Leduc hold'em with ``ranks`` ranks of two suits (see the module docstring)."""
    deck = [(r, s) for r in range(ranks) for s in range(2)]
    deals = [(a, b) for a in range(len(deck)) for b in range(len(deck)) if a != b]
    p = f"1/{len(deals)}"
    specs: list[Any] = [chance("deal", {f"d{a}_{b}": p for a, b in deals},
                               **{f"d{a}_{b}": f"d{a}_{b}" for a, b in deals})]
    for a, b in deals:
        r1, r2 = deck[a][0], deck[b][0]

        def first(node: str, h: str, pot: int, folded: int | None, a: int = a, b: int = b,
                  r1: int = r1, r2: int = r2) -> None:
            if folded is not None:
                gain = pot if folded == 1 else -pot
                specs.append(terminal(node, gain, -gain))
                return
            rest = [c for c in range(len(deck)) if c not in (a, b)]
            q = Fraction(1, len(rest))
            specs.append(chance(node, {f"{node}p{c}": str(q) for c in rest},
                                **{f"{node}p{c}": f"{node}p{c}" for c in rest}))
            for c in rest:
                pub = deck[c][0]

                def second(leaf: str, _h: str, pot2: int, folded2: int | None, pub: int = pub) -> None:
                    if folded2 is not None:
                        gain = pot2 if folded2 == 1 else -pot2
                    else:
                        s1 = (r1 == pub, r1)
                        s2 = (r2 == pub, r2)
                        gain = pot2 if s1 > s2 else -pot2 if s1 < s2 else 0
                    specs.append(terminal(leaf, gain, -gain))

                _betting(f"{node}p{c}", f"P1_{r1}_{h}_{pub}_", f"P2_{r2}_{h}_{pub}_", pot, 4, second, specs)

        _betting(f"d{a}_{b}", f"P1_{r1}_", f"P2_{r2}_", 1, 2, first, specs)
    return build_game(f"Leduc-like poker, {ranks} ranks", ["P1", "P2"], specs)


#: The LP engine OpenSpiel's sequence-form LP is given (through cvxpy).
OPENSPIEL_SOLVER = "HIGHS"


def ours(game: Game, canonical: bool = True) -> tuple[float, float]:
    """Our float lp from a cold game: seconds and the value to player 1.

    Each call is a fresh solve: the game's caches and what ``lp`` keeps
    between calls (HiGHS's bases and the program shapes, for sweeps;
    ``benchmarks/bench_lp_warm.py`` measures those) are cleared first.
    ``canonical`` False: ``lp.CANONICAL`` off, HiGHS's own optimum taken
    (``lp`` before the canonical point, which costs a second program).
    """
    game._cache.clear()
    kept = lp_module._WARM.solver()
    if kept is not None:
        kept.bases.clear()
        kept.face_bases.clear()
        kept.shapes.clear()
    lp_module.CANONICAL = canonical
    try:
        start = time.process_time()
        result = lp_solve(game, {}, exact=False)
        return time.process_time() - start, float(result.details["value"])
    finally:
        lp_module.CANONICAL = True


def openspiel(efg: str) -> tuple[float, float] | str:
    """OpenSpiel's sequence-form LP on the game read from ``efg``: seconds and value, or why not."""
    try:
        import pyspiel
        from open_spiel.python.algorithms import sequence_form_lp
    except ImportError as err:
        return f"not installed ({err.name})"
    from open_spiel.python.algorithms import lp_solver

    # OpenSpiel's default is ECOS, which cvxpy no longer ships; its default
    # options (ECOS's) are bound as a default argument, so they are emptied in
    # place and cvxpy is asked for HiGHS, the engine our lp uses too.
    lp_solver.DEFAULT_SOLVER_KWARGS.clear()
    lp_solver.DEFAULT_SOLVER_KWARGS["verbose"] = False
    game = pyspiel.load_efg_game(efg)
    start = time.process_time()
    value = sequence_form_lp.solve_zero_sum_game(game, solver=OPENSPIEL_SOLVER)[0]
    return time.process_time() - start, float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kuhn", default="3,13,30", help="deck sizes of the Kuhn-like games")
    parser.add_argument("--leduc", default="2,3,4", help="ranks of the Leduc-like games")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many calls")
    parser.add_argument("--json", help="also save the rows here")
    args = parser.parse_args(argv)
    games = [kuhn_like(int(n)) for n in args.kuhn.split(",") if n] + [
        leduc_like(int(r)) for r in args.leduc.split(",") if r]
    rows = []
    failed = False
    print(f"{'game':<28} | {'nodes':>7} | {'plain (s)':>9} | {'ours lp --float (s)':>19} | "
          f"{'OpenSpiel LP (s)':>16} | {'plain/OpenSpiel':>15} | {'ours/OpenSpiel':>14} | value")
    for game in games:
        plain_runs = [ours(game, canonical=False) for _ in range(args.repeat)]
        ours_runs = [ours(game) for _ in range(args.repeat)]
        mine, value = min(t for t, _ in ours_runs), ours_runs[0][1]
        plain = min(t for t, _ in plain_runs)
        failed |= abs(plain_runs[0][1] - value) > 1e-9 * max(1.0, abs(value))
        efg = write_efg(game)
        theirs_runs = [openspiel(efg) for _ in range(args.repeat)]
        if isinstance(theirs_runs[0], str):
            theirs, ratio, plain_ratio, agree = theirs_runs[0], "-", "-", "-"
        else:
            best = min(t for t, _ in theirs_runs)  # type: ignore[misc]
            other = theirs_runs[0][1]  # type: ignore[index]
            ok = abs(other - value) <= 1e-6
            failed |= not ok
            theirs, ratio, agree = f"{best:.4f}", f"{mine / best:.2f}", "✓" if ok else f"FAIL ({other})"
            plain_ratio = f"{plain / best:.2f}"
        rows.append({"game": game.title, "nodes": len(game.nodes), "plain": plain, "ours": mine,
                     "openspiel": theirs, "value": value})
        print(f"{game.title:<28} | {len(game.nodes):>7,} | {plain:>9.4f} | {mine:>19.4f} | {theirs:>16} | "
              f"{plain_ratio:>15} | {ratio:>14} | {value:.6f} {agree}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
