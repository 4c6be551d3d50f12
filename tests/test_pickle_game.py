"""A game survives pickling and deep copies with its caches used (worker processes and notebooks copy games)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from policy.leaders import load_leader, resolve
from policy.loading import load

GAMES = Path(__file__).resolve().parent.parent / "games"


@pytest.mark.parametrize("name", ["barbarossa_1941.toml", "romania_1940.toml"])
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_numbers_after_a_copy_of_a_used_game(name: str, how: str) -> None:
    game = load(GAMES / name)
    values = resolve(game, load_leader("stalin"))
    # Use the game first, so that its expression table holds what it derives (some of it keyed by ids).
    before = game.numbers(values, exact=True)
    other = pickle.loads(pickle.dumps(game)) if how == "pickle" else copy.deepcopy(game)
    after = other.numbers(values, exact=True)  # raised KeyError after a pickle before the fix
    assert after.leaf_payoff.tolist() == before.leaf_payoff.tolist()
    assert after.edge_prob.tolist() == before.edge_prob.tolist()
