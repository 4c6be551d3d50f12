"""Timings of qpe (quasi-perfect equilibrium, exact and float) and of the sequential check.

    PYTHONPATH=. python benchmarks/bench_qpe.py [--repeat N] [--signalling 4,6,8]

On Kuhn poker (Kuhn 1950; value -1/18), on every bundled game with two
players and imperfect information, at its defaults, and on random signalling
games with ``k`` types, messages and replies (rational priors, integer
payoffs, as in tests/games.py's ``random_signalling``, seed 1): ``qpe`` against our exact
``lcp``, both again in floats (``--float``: qpe's float run, with the arithmetic it
ended in, ``float`` or ``exact`` where the float run could not vouch; and the
float mode as it was before the float run, solved exactly then converted,
column "(exact)"), and, on Kuhn poker, pygambit 16.7's ``lcp_solve(rational=True)`` (which
returns a Nash equilibrium with the centroid off the path). Each call is timed
with ``time.perf_counter``, best of ``--repeat`` (default 5), the game's cached
numbers and sequence form dropped before each call. Also reported: the
sequential check's verdict on each answer and its time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import policy.solvers.qpe as qpe_module
from policy.expr import parse
from policy.gambit import write_efg
from policy.loading import load
from policy.model import Game, NodeKind, NodeSpec, Outcome, build_game
from policy.solvers import solve
from policy.solvers.sequential import check_equilibrium

ROOT = Path(__file__).resolve().parent.parent


def kuhn_poker() -> Game:
    """Kuhn poker, as in tests/games.py (three cards, ante 1, one bet of 1)."""
    cards = "JQK"
    deals = [a + b for a in cards for b in cards if a != b]

    def node(name: str, player: str, infoset: str, **acts: str) -> NodeSpec:
        return NodeSpec(name, NodeKind.DECISION, player=player, actions=tuple(acts.items()), infoset=infoset)

    def leaf(name: str, one: int) -> NodeSpec:
        return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, (parse(one), parse(-one))))

    specs = [NodeSpec("deal", NodeKind.CHANCE, actions=tuple((d, d) for d in deals),
                      probabilities=tuple(parse("1/6") for _ in deals))]
    for d in deals:
        one, two = d
        win = 1 if cards.index(one) > cards.index(two) else -1
        specs += [
            node(d, "P1", f"P1_{one}", check=f"{d}_c", bet=f"{d}_b"),
            node(f"{d}_c", "P2", f"P2_{two}_check", check=f"{d}_cc", bet=f"{d}_cb"),
            node(f"{d}_b", "P2", f"P2_{two}_bet", fold=f"{d}_bf", call=f"{d}_bc"),
            leaf(f"{d}_cc", win),
            node(f"{d}_cb", "P1", f"P1_{one}_cb", fold=f"{d}_cbf", call=f"{d}_cbc"),
            leaf(f"{d}_bf", 1), leaf(f"{d}_bc", 2 * win), leaf(f"{d}_cbf", -1), leaf(f"{d}_cbc", 2 * win),
        ]
    return build_game("Kuhn poker", ["P1", "P2"], specs)


def signalling(k: int, seed: int = 1) -> Game:
    """A random signalling game: chance picks one of ``k`` types, the sender a message, the receiver a reply."""
    from fractions import Fraction

    import numpy as np

    rng = np.random.default_rng(seed)
    size = k * k * k
    each = [rng.choice(201, size=size, replace=size > 201) - 100 for _ in range(2)]
    weights = [Fraction(int(rng.integers(1, 100)), int(rng.integers(1, 100))) for _ in range(k)]
    priors = [w / sum(weights) for w in weights]
    specs = [NodeSpec("nature", NodeKind.CHANCE, actions=tuple((f"t{t}", f"s{t}") for t in range(k)),
                      probabilities=tuple(parse(p) for p in priors))]
    cursor = 0
    for t in range(k):
        specs.append(NodeSpec(f"s{t}", NodeKind.DECISION, player="Sender",
                              actions=tuple((f"m{m}", f"r{t}_{m}") for m in range(k))))
        for m in range(k):
            specs.append(NodeSpec(f"r{t}_{m}", NodeKind.DECISION, player="Receiver", infoset=f"heard_m{m}",
                                  actions=tuple((f"a{a}", f"z{t}_{m}_{a}") for a in range(k))))
            for a in range(k):
                pay = (parse(int(each[0][cursor])), parse(int(each[1][cursor])))
                specs.append(NodeSpec(f"z{t}_{m}_{a}", NodeKind.TERMINAL, outcome=Outcome(f"z{t}_{m}_{a}", pay)))
                cursor += 1
    return build_game(f"signalling {k}x{k}x{k}", ["Sender", "Receiver"], specs)


def best(fn: Callable[[], Any], repeat: int, game: Game | None = None) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        if game is not None:
            game._cache.clear()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--signalling", default="4,6,8", help="sizes of random signalling games")
    args = parser.parse_args()
    games: list[tuple[str, Game, dict[str, Any]]] = [("Kuhn poker", kuhn_poker(), {})]
    for path in sorted((ROOT / "games").glob("*.toml")):
        game = load(path)
        if len(game.players) == 2 and not game.is_perfect_information:
            values = {k: p.default for k, p in game.parameters.items()}
            games.append((path.name, game, values))
    for k in (int(x) for x in args.signalling.split(",") if x):
        games.append((f"signalling {k}x{k}x{k}", signalling(k), {}))
    print(f"{'game':<28}{'nodes':>7}{'qpe s':>10}{'lcp s':>10}{'qpe fl s':>10}{'(exact)':>10}{'lcp fl s':>10}{'gambit s':>10}"
          "  sequential (qpe / lcp), check s; qpe --float ran in")
    for name, game, values in games:
        t_qpe, q = best(lambda g=game, v=values: solve(g, v, method="qpe"), args.repeat, game)
        t_lcp, lc = best(lambda g=game, v=values: solve(g, v, method="lcp"), args.repeat, game)
        floats = {k: float(v) for k, v in values.items()}
        t_qpe_f, qf = best(lambda g=game, v=floats: solve(g, v, method="qpe", exact=False), args.repeat, game)
        t_lcp_f, _ = best(lambda g=game, v=floats: solve(g, v, method="lcp", exact=False), args.repeat, game)
        # The float mode before qpe had a float run: solved exactly, then converted (now its fallback).
        held = qpe_module._float_solve
        qpe_module._float_solve = lambda *a: None  # type: ignore[assignment]
        try:
            t_qpe_x, _ = best(lambda g=game, v=floats: solve(g, v, method="qpe", exact=False), args.repeat, game)
        finally:
            qpe_module._float_solve = held  # type: ignore[assignment]
        t_check, verdict = best(lambda r=q: check_equilibrium(r, r.equilibria[0]).verdict, 1)
        lcp_verdict = check_equilibrium(lc, lc.equilibria[0]).verdict
        gambit = "-"
        if name == "Kuhn poker":
            try:
                import pygambit

                with tempfile.TemporaryDirectory() as tmp:
                    efg = Path(tmp) / "kuhn.efg"
                    efg.write_text(write_efg(game), encoding="utf-8")
                    g = pygambit.read_efg(str(efg))
                    t_gambit, _ = best(lambda g=g: pygambit.nash.lcp_solve(g, rational=True), args.repeat)
                gambit = f"{t_gambit:.4f}"
            except ImportError:
                pass
        print(f"{name:<28}{game.num_nodes:>7}{t_qpe:>10.4f}{t_lcp:>10.4f}{t_qpe_f:>10.4f}{t_qpe_x:>10.4f}{t_lcp_f:>10.4f}"
              f"{gambit:>10}  {verdict} / {lcp_verdict}, {t_check:.4f}; "
              f"{qf.details.get('arithmetic', 'exact')}")


if __name__ == "__main__":
    main()
