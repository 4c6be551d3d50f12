"""Review of stop 32 (flip search narrowing only the flips to be confirmed): cases that
answered differently from d5fda53 (the expected values are d5fda53's), fixed since, and
one kept as a documented limitation (xfail)."""

from __future__ import annotations

from fractions import Fraction

import pytest

import policy.analysis.flip as flip
from policy.analysis.flip import distances_to_flip
from policy.gamefile import loads_game
from policy.solvers import solve
from tests.test_flip import fail_confirmation

#: Rooms of filler (a sure choice each) that make the game big: 3 nodes a room, so
#: about 51,000 nodes, and with 4 or 5 flipping parameters num_nodes * flipping exceeds
#: CONFIRM_WORK: only CONFIRMED (3) flips are confirmed and the others can be left coarse.
FILLERS = 17_000


def _rooms(rooms: list[tuple[str, str, str]], fillers: int = FILLERS) -> str:
    """A chance move to one room of many; in room i, A takes ``go`` or a sure ``stay``.

    ``rooms``: (go payoff, stay payoff, parameter) per room; every parameter has range
    [0, 1] and default 1/2. The filler rooms pay constants.
    """
    lines = ["[game]", 'title = "Rooms"', 'players = ["A"]', ""]
    for name in dict.fromkeys(p for _, _, p in rooms):
        lines += [f"[parameters.{name}]", f'description = "p {name}"', 'default = "1/2"', "range = [0, 1]", ""]
    every = [(go, stay) for go, stay, _ in rooms] + [("1/3", "1/4")] * fillers
    k = len(every)
    acts = ", ".join(f'r{i} = "room{i}"' for i in range(k))
    odds = ", ".join(f'r{i} = "1/{k}"' for i in range(k))
    lines += ["[nodes.start]", "chance = true", f"actions = {{ {acts} }}", f"probabilities = {{ {odds} }}", ""]
    for i, (go, stay) in enumerate(every):
        lines += [f"[nodes.room{i}]", 'player = "A"', f'actions = {{ go = "went{i}", stay = "stayed{i}" }}', "",
                  f"[nodes.went{i}]", f'payoffs = {{ A = "{go}" }}', "",
                  f"[nodes.stayed{i}]", f'payoffs = {{ A = "{stay}" }}', ""]
    return "\n".join(lines)


def _grid_step(parameters: int, fillers: int = FILLERS) -> tuple[Fraction, Fraction]:
    """The grid step (distances from 1/2) about a tenth below 1/2, as _batch_search lays the grid."""
    nodes = 3 * (parameters + 1 + fillers) + 1  # one room more: a parameter flipping both ways has two
    points = max(flip.NASH_GRID, min(flip.GRID, flip.GRID_WORK // (nodes * parameters)))
    below = [k for k in range(points) if Fraction(k, points - 1) < Fraction(1, 2)]
    k = below[-1] - 19
    return Fraction(1, 2) - Fraction(k + 1, points - 1), Fraction(1, 2) - Fraction(k, points - 1)


def test_a_parameter_flipping_both_ways_is_reported_at_its_nearer_switch():
    # y flips downwards at a distance d_lo + h/10 (room 3) and upwards at d_lo + 9h/10
    # (room 4), both inside the same grid step [d_lo, d_lo + h] of distance from 1/2, so
    # neither side is dropped; x1..x3 flip nearer, so y is left coarse. Both sides' brackets
    # then give the same distance (mirror images), and the first side (upwards) is kept.
    # d5fda53 narrows both, drops the upper side and reports y at 1/2 - d_lo - h/10.
    lo, hi = _grid_step(4)
    down = Fraction(1, 2) - (lo + (hi - lo) / 10)
    up = Fraction(1, 2) + (lo + (hi - lo) * 9 / 10)
    rooms = [("x1", "49/100", "x1"), ("x2", "48/100", "x2"), ("x3", "47/100", "x3"),
             ("y", str(down), "y"), ("1 - y", str(1 - up), "y")]
    game = loads_game(_rooms(rooms, FILLERS - 1), "rooms.toml", known_claims=[])
    search = distances_to_flip(game, {n: Fraction(1, 2) for n in ("x1", "x2", "x3", "y")}, exact=False)
    (y,) = [f for f in search.flips if f.parameter == "y"]
    assert y.boundary < 0.5  # the nearer switch is below (d5fda53: 0.40461538...)
    assert abs(y.boundary - float(down)) <= y.tolerance
    assert "room3=stay" in y.path_after


def test_a_flip_confirmed_in_place_of_a_failed_one_is_the_next_nearest(monkeypatch):
    # x0's confirmation fails (made to); the next flip is confirmed in its place. x3 and x4
    # switch in the same grid step (x4 nearer), both coarse with the same bracket, so they
    # tie on share of range and x3 (by name) is confirmed, while d5fda53 confirms x4.
    lo, hi = _grid_step(5, 14_000)
    far, near = Fraction(1, 2) - (lo + (hi - lo) * 9 / 10), Fraction(1, 2) - (lo + (hi - lo) / 10)
    rooms = [("x0", "49/100", "x0"), ("x1", "48/100", "x1"), ("x2", "47/100", "x2"),
             ("x3", str(far), "x3"), ("x4", str(near), "x4")]
    game = loads_game(_rooms(rooms, 14_000), "rooms.toml", known_claims=[])
    fail_confirmation(monkeypatch, "x0")
    search = distances_to_flip(game, {f"x{i}": Fraction(1, 2) for i in range(5)}, exact=False)
    confirmed = [f.parameter for f in search.flips if f.confirmed]
    assert confirmed == ["x1", "x2", "x4"]


def test_a_confirmed_flip_is_where_d5fda53_put_it():
    # Four switches close together (0.45, 0.449, 0.4485, 0.4482) and one far. d5fda53
    # narrows in quarters (ROUND_WORK // (nodes * 5) = 3 sections a round) and finds
    # x3 at 0.4485 exactly; with bisection the confirmation's bracket ends at 553/1233,
    # a simpler rational, reported instead (0.44849959..., "0.4484996" in the JSON).
    rooms = [("x1", "45/100", "x1"), ("x2", "449/1000", "x2"), ("x3", "4485/10000", "x3"),
             ("x4", "4482/10000", "x4"), ("x5", "30/100", "x5")]
    game = loads_game(_rooms(rooms), "rooms.toml", known_claims=[])
    search = distances_to_flip(game, {f"x{i}": Fraction(1, 2) for i in range(1, 6)}, exact=False)
    got = {f.parameter: f.boundary for f in search.flips if f.confirmed}
    assert got == {"x1": 0.45, "x2": 0.449, "x3": 0.4485}


def test_exact_spe_solves_a_perfect_information_game_with_a_wide_level():
    # 31 decisions on one level: the exact induction's NaN check (np.isnan on an object
    # array of Fractions) raises TypeError; the float solve is fine. `policy solve FILE`
    # on such a game (/tmp/r32/wide.toml in the report) shows the traceback.
    game = loads_game(_rooms([("x", "1/10", "x")], 30), "rooms.toml", known_claims=[])
    result = solve(game, {"x": Fraction(1, 2)}, method="spe", exact=True)
    assert result.equilibria


@pytest.mark.xfail(strict=True, reason="documented (docs/guide.md, compare): an unconfirmed flip left at its bracket names the path at the bracket's far end")
def test_a_coarse_flip_names_the_path_just_past_its_switch():
    # y switches twice inside one grid step below 1/2: room 3 at 9/10 of the step (the
    # nearer), room 4 at 5/10. x1..x3 flip nearer, so y is left coarse at the grid step,
    # and its path_after is the grid point's (rooms 3 and 4 stay); d5fda53 narrows it and
    # names the path just past the nearer switch (room 3 stays, room 4 goes).
    nodes = 3 * (5 + FILLERS) + 1
    points = max(flip.NASH_GRID, min(flip.GRID, flip.GRID_WORK // (nodes * 4)))
    k = max(k for k in range(points) if Fraction(k, points - 1) < Fraction(1, 2)) - 19
    a, b = Fraction(k, points - 1), Fraction(k + 1, points - 1)
    rooms = [("x1", "49/100", "x1"), ("x2", "48/100", "x2"), ("x3", "47/100", "x3"),
             ("y", str(a + (b - a) * 9 / 10), "y"), ("y", str(a + (b - a) / 2), "y")]
    game = loads_game(_rooms(rooms), "rooms.toml", known_claims=[])
    search = distances_to_flip(game, {n: Fraction(1, 2) for n in ("x1", "x2", "x3", "y")}, exact=False)
    (y,) = [f for f in search.flips if f.parameter == "y"]
    assert "room3=stay, room4=go" in y.path_after
