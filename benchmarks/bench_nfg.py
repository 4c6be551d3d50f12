"""Big .nfg files with distinct payoffs: reading, ours against pygambit's ``read_nfg``, in one run.

For each shape (default: 3 players 40 x 40 x 40 and 2 players 300 x 300)
one seeded random table of distinct integer payoffs (each player's a draw
without repetition from 10 x cells integers) is written as an ``.nfg`` file
in the payoff version and in the outcome version (one outcome per profile),
and then, side by side, CPU time (``time.process_time``; the machine is
shared) of

* ``policy.gambit.read_nfg`` (the whole-file array reader, ``policy/nfg_arrays.py``);
* the token-by-token reader it falls back to (``policy.gambit._read_nfg``);
* ``pygambit.read_nfg``.

Calls under 1 s are repeated and the best of 3 kept. Our payoffs must equal
pygambit's (``Game.to_arrays``) in every cell; the script exits 1 otherwise.

Run: ``python benchmarks/bench_nfg.py [--shapes 1000x1000,40x40x40] [--quick]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from bench_spe import timed  # noqa: E402

from policy.gambit import _read_nfg, _Reader, read_nfg  # noqa: E402
from policy.model import ConstantOutcomes, Game  # noqa: E402


def nfg_text(sizes: list[int], outcome_version: bool, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    cells = int(np.prod(sizes))
    n = len(sizes)
    pay = np.stack([rng.choice(10 * cells, size=cells, replace=False) - 5 * cells for _ in range(n)], axis=1)
    players = " ".join(f'"P{p + 1}"' for p in range(n))
    strategies = " ".join("{ " + " ".join(f'"s{k}"' for k in range(s)) + " }" for s in sizes)
    head = f'NFG 1 R "random {"x".join(map(str, sizes))}" {{ {players} }} {{ {strategies} }}\n"distinct payoffs"\n'
    rows = [" ".join(map(str, r)) for r in pay.tolist()]  # profiles with player 1's strategy fastest
    if outcome_version:
        outs = "\n".join(f'{{ "" {r} }}' for r in rows)
        return head + "{\n" + outs + "\n}\n" + " ".join(str(k) for k in range(1, cells + 1)) + "\n"
    return head + "\n".join(rows) + "\n"


def our_table(game: Game, sizes: list[int]) -> np.ndarray:
    """Payoffs as floats, indexed [s1, s2, ..., player]."""
    out = game.outcomes
    assert isinstance(out, ConstantOutcomes)
    terminals = game.outcome[game.num_children == 0]
    return (out.num / out.den)[terminals].reshape([*sizes, len(sizes)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default="40x40x40,300x300")
    ap.add_argument("--quick", action="store_true", help="small shapes (100x100,10x10x10)")
    args = ap.parse_args()
    shapes = "100x100,10x10x10" if args.quick else args.shapes
    import pygambit

    ok = True
    print("| shape | version | file MB | policy read_nfg | token reader | pygambit read_nfg | pygambit / ours |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes.split(","):
            sizes = [int(s) for s in shape.split("x")]
            for outcome_version in (False, True):
                path = Path(tmp) / f"t{shape}{outcome_version}.nfg"
                text = nfg_text(sizes, outcome_version)
                path.write_text(text)
                ours, game = timed(lambda path=path: read_nfg(path))
                token, _ = timed(lambda text=text: _read_nfg(_Reader(text, "t")))
                theirs, gg = timed(lambda path=path: pygambit.read_nfg(str(path)))
                mine = our_table(game, sizes)
                arrays = gg.to_arrays()
                for p in range(len(sizes)):
                    if not np.array_equal(mine[..., p], np.array(arrays[p], dtype=float)):
                        print(f"payoffs of player {p + 1} differ from pygambit's on {shape}", file=sys.stderr)
                        ok = False
                version = "outcomes" if outcome_version else "payoffs"
                mb = len(text) / 2**20
                print(
                    f"| {shape} | {version} | {mb:.1f} | {ours:.3f} s | {token:.2f} s | {theirs:.2f} s | {theirs / ours:.0f}x |",
                    flush=True,
                )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
