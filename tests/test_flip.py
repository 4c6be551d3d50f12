"""Distance to a flip: the nearest parameter change that changes the equilibrium path."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policy.analysis.compare import path_text
from policy.analysis.flip import distances_to_flip
from policy.gamefile import loads_game
from policy.leaders import load_leader, resolve

# This module's hand-computed values were derived from the scenario as it stood
# before the review (tests/conftest.py SCENARIO_V1), so it keeps using it.
pytestmark = pytest.mark.usefixtures("scenario_v1")


GAMBLE = """
[game]
title = "Gamble"
players = ["A", "B"]

[parameters.p]
description = "Chance that the risky venture pays"
default = "1/2"
range = [0, 1]

[parameters.bonus]
description = "A payoff to B that changes nothing A cares about"
default = 1
range = [0, 10]

[parameters.stake]
description = "What the safe option pays A"
default = 1
range = [0, 4]

[nodes.start]
player = "A"
actions = { risky = "venture", safe = "kept" }

[nodes.venture]
chance = true
actions = { pays = "won", fails = "lost" }
probabilities = { pays = "p", fails = "1 - p" }

[nodes.won]
payoffs = { A = 3, B = "bonus" }

[nodes.lost]
payoffs = { A = 0, B = "bonus" }

[nodes.kept]
payoffs = { A = "stake", B = 0 }
"""


@pytest.fixture
def gamble():
    return loads_game(GAMBLE, "gamble.toml", known_claims=[])


def test_nearest_flip_is_where_the_expected_values_cross(gamble):
    # risky is worth 3p, safe is worth stake: at p = 1/2, stake = 1 the switch points
    # are p = stake/3 = 1/3 (distance 1/6 of p's range [0, 1]) and stake = 3p = 3/2
    # (distance 1/2 of stake's range [0, 4], i.e. 1/8).
    search = distances_to_flip(gamble, {"p": Fraction(1, 2), "bonus": 1, "stake": 1})
    assert search.path == "start=risky"
    assert [f.parameter for f in search.flips] == ["stake", "p"]
    stake, p = search.flips
    assert stake.boundary == pytest.approx(1.5, abs=1e-8)  # ties are judged within 1e-9 relative
    assert stake.share_of_range == pytest.approx(1 / 8, abs=1e-9)
    assert p.boundary == pytest.approx(1 / 3, abs=1e-8)
    assert p.change == pytest.approx(-1 / 6, abs=1e-8)
    assert p.path_after == "start=safe"
    assert p.tolerance < 2e-6  # narrowed to about a millionth of the range (flip.RELATIVE_TOLERANCE)
    assert search.stable == ("bonus",)


def test_no_flip_inside_the_range(gamble):
    # With stake = 0 the venture is never worse than keeping nothing.
    search = distances_to_flip(gamble, {"p": Fraction(1, 2), "bonus": 1, "stake": 0},
                               parameters=["p", "bonus"])
    assert search.flips == ()
    assert set(search.stable) == {"p", "bonus"}


def test_mixed_equilibria_flip_only_when_the_support_changes():
    from tests.test_sweep import GUESS

    game = loads_game(GUESS.replace('default = 1\n', 'default = 1\nrange = [-5, 5]\n', 1),
                      "guess.toml", known_claims=[])
    search = distances_to_flip(game, {"bonus": Fraction(1)})
    # For bonus > -1 both players mix; at bonus < -1 the seeker always seeks right
    # (left pays it at most -1 against 1) and the hider hides left.
    assert search.path == "hide=left/right, seek=left/right"
    (flip,) = search.flips
    assert abs(flip.boundary + 1) <= flip.tolerance < 1e-4


def test_bundled_flip_agrees_with_exact_solving():
    from policy.bundled import games_dir
    from policy.gamefile import load_game
    from policy.solvers import solve

    game = load_game(games_dir() / "diplomacy_1939.toml")
    values = resolve(game, load_leader("stalin"))
    search = distances_to_flip(game, values)
    for flip in search.flips:
        step = 1e-6 * (flip.high - flip.low)
        beyond = flip.boundary + (step if flip.change > 0 else -step)
        before = flip.boundary - (step if flip.change > 0 else -step)
        for x, expected in ((beyond, flip.path_after), (before, flip.path_before)):
            v = dict(values, **{flip.parameter: Fraction(x)})
            result = solve(game, v, method="spe")
            assert path_text(result, result.equilibria[0]) == expected, (flip.parameter, x)


# A two-player game with imperfect information (A bets without seeing the chance
# move), so that the search solves point by point, and chance probabilities that
# depend on a parameter: p and 1 - p must add up to exactly 1 at every point tried.
SCOUT = """
[game]
title = "Scout"
players = ["A", "B"]

[parameters.p]
description = "Chance that the venture is good"
default = "1/2"
range = [0, 1]

[parameters.q]
description = "What B gets by quitting"
default = "1/2"
range = [0, 2]

[nodes.start]
player = "B"
actions = { play = "nature", quit = "quitted" }

[nodes.quitted]
payoffs = { A = 0, B = "q" }

[nodes.nature]
chance = true
actions = { good = "a_good", bad = "a_bad" }
probabilities = { good = "p", bad = "1 - p" }

[nodes.a_good]
player = "A"
infoset = "guess"
actions = { bet = "good_bet", fold = "good_fold" }

[nodes.a_bad]
player = "A"
infoset = "guess"
actions = { bet = "bad_bet", fold = "bad_fold" }

[nodes.good_bet]
payoffs = { A = 2, B = 1 }

[nodes.good_fold]
payoffs = { A = 0, B = 1 }

[nodes.bad_bet]
payoffs = { A = -1, B = 1 }

[nodes.bad_fold]
payoffs = { A = 0, B = 1 }
"""


@pytest.fixture
def scout():
    return loads_game(SCOUT, "scout.toml", known_claims=[])


def recording_solve(monkeypatch, fail=None):
    """Wrap the solver registry's solve: keep the values of each call, fail where ``fail`` says."""
    import policy.solvers
    from policy.solvers.errors import SolverError

    seen = []
    real = policy.solvers.solve

    def wrapped(game, values, *args, **kwargs):
        seen.append(dict(values))
        if fail is not None and fail(values):
            raise SolverError("the solver gave up here (test)")
        return real(game, values, *args, **kwargs)

    monkeypatch.setattr(policy.solvers, "solve", wrapped)
    return seen


def test_every_point_tried_is_exact_and_a_valid_game(scout, monkeypatch):
    # Regression: the search fed floats to the solvers, where p and 1 - p stopped
    # adding up to exactly 1 (the campaign failed with "probabilities sum to
    # 50000000000000003/50000000000000000"). Every point is now an exact rational.
    seen = recording_solve(monkeypatch)
    search = distances_to_flip(scout, {"p": 0.5, "q": 0.5})
    assert search.failed == {}
    assert len(seen) > 2 * 21  # both grids and the bisections
    for values in seen:
        assert all(isinstance(v, Fraction) for v in values.values()), values
        numbers = scout.numbers(values, exact=True)  # raises if the probabilities do not sum to 1
        assert sum(numbers.edge_prob[scout.first_child[1] : scout.first_child[1] + 2]) == 1
    # A bets when 2p - (1 - p) > 0, i.e. p > 1/3; B plays while q < 1 (playing pays 1).
    flips = {f.parameter: f for f in search.flips}
    assert search.path == "start=play, guess=bet"
    assert abs(flips["p"].boundary - 1 / 3) <= flips["p"].tolerance < 1e-5
    assert abs(flips["q"].boundary - 1) <= flips["q"].tolerance < 1e-5
    assert flips["p"].path_after == "start=play, guess=fold"
    assert flips["q"].path_after.startswith("start=quit")
    assert all(f.confirmed for f in search.flips)


def test_a_parameter_whose_range_leaves_a_valid_game_fails_alone(scout):
    # p's range reaches 2: past p = 1 the chance probabilities leave [0, 1]. The
    # search of p fails, saying where and why; q's goes on.
    game = loads_game(SCOUT.replace("range = [0, 1]", "range = [0, 2]"), "scout.toml", known_claims=[])
    search = distances_to_flip(game, {"p": Fraction(1, 2), "q": Fraction(1, 2)})
    assert set(search.failed) == {"p"}
    assert search.failed["p"].startswith("at p = 11/10: ")
    assert "outside [0, 1]" in search.failed["p"]
    assert [f.parameter for f in search.flips] == ["q"]


def test_a_failed_solve_while_bisecting_is_reported_and_the_search_goes_on(scout, monkeypatch):
    # The grid over p's range [0, 1] has the points k/20; the solver fails between them.
    recording_solve(monkeypatch, fail=lambda v: (v["p"] * 20).denominator != 1)
    search = distances_to_flip(scout, {"p": Fraction(1, 2), "q": Fraction(1, 2)})
    assert set(search.failed) == {"p"}
    assert "the solver gave up here (test)" in search.failed["p"]
    assert search.failed["p"].startswith("at p = ")
    assert [f.parameter for f in search.flips] == ["q"]


def test_batch_search_with_an_invalid_range_fails_alone(gamble):
    # Perfect information: all parameters' grids go to the batch solver at once;
    # when one parameter's range holds an invalid game, the others are still searched.
    # With nothing at stake A takes the venture at every p >= 0 (at p = 0 A is
    # indifferent and the first action is taken), so the search of p meets p < 0.
    game = loads_game(GAMBLE.replace("range = [0, 1]", "range = [-1, 1]"), "gamble.toml", known_claims=[])
    search = distances_to_flip(game, {"p": Fraction(1, 2), "bonus": 1, "stake": 0})
    assert search.batched
    assert search.failed["p"].startswith("at p = -1: ")
    assert [f.parameter for f in search.flips] == ["stake"]
    assert search.flips[0].boundary == pytest.approx(1.5, abs=1e-8)


def test_batch_search_stops_a_side_at_its_first_change(gamble, monkeypatch):
    # With 1 at stake A turns to the safe option below p = 1/3, nearer than the
    # invalid games of p < 0: the points beyond the change are not solved, and
    # the flip is found as in a range without them. The other side stops too,
    # where a change could no longer be nearer than p = 1/3.
    import policy.analysis.flip as flip

    asked = []
    solve_points = flip._solve_points
    monkeypatch.setattr(flip, "_solve_points", lambda game, jobs: asked.extend(
        x for _, points in jobs for name, x in points if name == "p") or solve_points(game, jobs))
    wide = loads_game(GAMBLE.replace("range = [0, 1]", "range = [-1, 1]"), "gamble.toml", known_claims=[])
    search = distances_to_flip(wide, {"p": Fraction(1, 2), "bonus": 1, "stake": 1})
    assert search.failed == {}
    (flip_p,) = [f for f in search.flips if f.parameter == "p"]
    assert flip_p.boundary == pytest.approx(1 / 3, abs=1e-8) and flip_p.confirmed
    assert min(asked) > 0  # nothing below the change at 3/10 was solved
    # The side without a change is solved as far as a change there could be nearer
    # than the one below (p = 1/2 + 1/6), but not to its end: a change beyond would
    # be farther, and only the nearest flip of a parameter is kept.
    assert 1 / 2 + 1 / 6 < max(asked) < 1


def test_simplest_between():
    from policy.analysis.flip import simplest_between

    third = Fraction(1, 3)
    assert simplest_between(third - Fraction(1, 10**9), third + Fraction(1, 10**9)) == third
    assert simplest_between(Fraction(-5, 2), Fraction(-7, 3)) == Fraction(-5, 2)
    assert simplest_between(Fraction(1, 1000), Fraction(2, 1000)) == Fraction(1, 500)
    assert simplest_between(Fraction(-1), Fraction(1, 7)) == 0


def test_a_game_too_big_to_search_point_by_point_is_not_searched(scout, monkeypatch):
    import policy.analysis.flip as flip

    # Scout has 9 nodes and 2 ranged parameters: 9 * 21 * 2 node-solves.
    monkeypatch.setattr(flip, "POINTWISE_WORK", 9 * 21 * 2 - 1)
    search = distances_to_flip(scout, {"p": Fraction(1, 2), "q": Fraction(1, 2)})
    assert search.path == "start=play, guess=bet"
    assert search.flips == () and search.stable == () and search.failed == {}
    assert search.skipped.startswith("not searched: method auto is solved point by point, and 21 points")
    monkeypatch.setattr(flip, "POINTWISE_WORK", 9 * 21 * 2)
    assert not distances_to_flip(scout, {"p": Fraction(1, 2), "q": Fraction(1, 2)}).skipped


def test_long_paths_after_a_flip_show_what_changes() -> None:
    from policy.render.text import LONG_PATH, _path_change

    short_before, short_after = "a=x, b=y", "a=z, b=y"
    assert _path_change(short_before, short_after) == short_after
    before = ", ".join(f"s{k}=keep" for k in range(40))
    after = before.replace("s7=keep", "s7=strike").replace("s30=keep", "s30=wait")
    assert len(after) > LONG_PATH
    assert _path_change(before, after) == "s7=strike, s30=wait (the rest as before)"


def test_searches_side_by_side_find_what_each_finds_alone(gamble):
    from policy.analysis.flip import distances_to_flip_many

    # A takes the venture while 3p > stake: at p = 1/2, stake = 1 the switches are
    # p = 1/3 and stake = 3/2; at p = 1/4, stake = 1/2 they are p = 1/6 and stake = 3/4.
    first = {"p": Fraction(1, 2), "bonus": 1, "stake": 1}
    second = {"p": Fraction(1, 4), "bonus": 2, "stake": Fraction(1, 2)}
    together = distances_to_flip_many(gamble, [first, second])
    alone = [distances_to_flip(gamble, first), distances_to_flip(gamble, second)]
    assert together == alone
    for search, (p, stake) in zip(together, [(1 / 3, 1.5), (1 / 6, 0.75)], strict=True):
        assert not isinstance(search, Exception) and search.batched
        flips = {f.parameter: f for f in search.flips}
        # Narrowed to about a millionth of each range (flip.RELATIVE_TOLERANCE): [0, 1] and [0, 4].
        assert abs(flips["p"].boundary - p) <= flips["p"].tolerance < 2e-6
        assert abs(flips["stake"].boundary - stake) <= flips["stake"].tolerance < 8e-6
        assert search.stable == ("bonus",)


def test_a_leader_whose_values_cannot_be_solved_fails_alone_side_by_side(gamble):
    from policy.analysis.flip import distances_to_flip_many

    # p = 2 makes the venture's probabilities 2 and -1: that leader's search fails, the other's goes on.
    good, bad = {"p": Fraction(1, 2), "bonus": 1, "stake": 1}, {"p": Fraction(2), "bonus": 1, "stake": 1}
    found = distances_to_flip_many(gamble, [bad, good])
    assert isinstance(found[0], Exception) and "outside [0, 1]" in str(found[0])
    assert found[1] == distances_to_flip(gamble, good)


def test_a_range_with_an_invalid_game_fails_alone_side_by_side(gamble):
    from policy.analysis.flip import distances_to_flip_many

    # p's range [-1, 1] holds invalid games: the shared batch fails, and each search goes on as it would alone.
    game = loads_game(GAMBLE.replace("range = [0, 1]", "range = [-1, 1]"), "gamble.toml", known_claims=[])
    values = [{"p": Fraction(1, 2), "bonus": 1, "stake": 0}, {"p": Fraction(1, 4), "bonus": 1, "stake": 0}]
    together = distances_to_flip_many(game, values)
    assert together == [distances_to_flip(game, v) for v in values]
    assert all(not isinstance(s, Exception) and s.failed["p"].startswith("at p = -1: ") for s in together)


def test_flip_data_prints_only_the_digits_the_final_bracket_supports(gamble):
    from policy.analysis.flip import Flip, FlipSearch
    from policy.render.data import flip_data

    # A bracket 2.3e-7 wide on a range of 1: seven decimals; 1e-3 wide on a range of 100:
    # three decimals for the value and the change, five for the share of the range.
    narrow = Flip("p", 0.5, 1 / 3, 0.0, 1.0, "a", "b", tolerance=2.3e-7)
    wide = Flip("q", 40.0, 42.123456, 0.0, 100.0, "a", "c", tolerance=1e-3)
    got = flip_data(FlipSearch("a", (narrow, wide), (), {}))["nearest"]
    assert [(f["flips_at"], f["change"], f["share_of_range"]) for f in got] == [
        (0.3333333, -0.1666667, 0.1666667),
        (42.123, 2.123, 0.02123),
    ]
    # A search's own flips: never more digits than its bracket holds, nor more than 8.
    search = distances_to_flip(gamble, {"p": Fraction(1, 2), "bonus": 1, "stake": 1})
    for f, data in zip(search.flips, flip_data(search)["nearest"], strict=True):
        assert abs(data["flips_at"] - f.boundary) <= f.tolerance
        assert len(repr(data["flips_at"]).lstrip("-0.").replace(".", "")) <= 8


def test_bisecting_with_the_next_round_solved_ahead_finds_the_same_flips(gamble, monkeypatch):
    # A big game's narrowing bisects (one point a boundary a round); each batch call then
    # also solves the next round's two possible points, so the next round needs no call.
    import policy.analysis.flip as flip
    from policy.analysis.flip import distances_to_flip_many

    monkeypatch.setattr(flip, "ROUND_WORK", 1)  # as on a big game: one point a boundary a round
    calls = []
    solve_points = flip._solve_points
    monkeypatch.setattr(flip, "_solve_points", lambda game, jobs: calls.append(1) or solve_points(game, jobs))
    leaders = [{"p": Fraction(1, 2), "bonus": 1, "stake": 1}, {"p": Fraction(1, 4), "bonus": 2, "stake": Fraction(1, 2)}]
    ahead = distances_to_flip_many(gamble, leaders)
    with_ahead = len(calls)
    calls.clear()
    monkeypatch.setattr(flip, "LOOK_AHEAD", False)
    one_by_one = distances_to_flip_many(gamble, leaders)
    assert ahead == one_by_one
    assert with_ahead < len(calls)  # about half the narrowing rounds make a call


BRANCHES = """
[game]
title = "Branches"
players = ["A", "B"]

[parameters.q]
description = "Chance that A moves rather than B"
default = "1/2"
range = [0, 1]

[nodes.root]
chance = true
actions = { a_turn = "a", b_turn = "b" }
probabilities = { a_turn = "q", b_turn = "1 - q" }

[nodes.a]
player = "A"
actions = { good = "a1", bad = "a2" }

[nodes.b]
player = "B"
actions = { good = "b1", bad = "b2" }

[nodes.a1]
payoffs = { A = 1, B = 0 }
[nodes.a2]
payoffs = { A = 0, B = 0 }
[nodes.b1]
payoffs = { A = 0, B = 1 }
[nodes.b2]
payoffs = { A = 0, B = 0 }
"""


@pytest.mark.parametrize("method", ["spe", "lcp"])  # the batch search, and point by point
def test_a_chance_probability_reaching_0_is_no_flip(method: str) -> None:
    # At q = 0 (or 1) a branch is cut off and its decision drops off the path, but no choice
    # changes anywhere: the same choices, other odds. Found by a new user's review, where
    # "q: 1/2 -> 0 (50% of its range), then b=good" read as if B changed its mind.
    game = loads_game(BRANCHES, "branches.toml", known_claims=[])
    search = distances_to_flip(game, {"q": Fraction(1, 2)}, method=method)
    assert search.path == "a=good, b=good"
    assert search.flips == () and search.stable == ("q",)
    # A real change still counts: B's good pays 1 - 2q... here a payoff that turns.
    turned = loads_game(BRANCHES.replace("payoffs = { A = 0, B = 1 }", 'payoffs = { A = 0, B = "1 - 2 * q" }'),
                        "turned.toml", known_claims=[])
    search = distances_to_flip(turned, {"q": Fraction(1, 4)}, method=method)
    (flip,) = search.flips
    assert flip.boundary == pytest.approx(0.5, abs=1e-6) and "b=bad" in flip.path_after


def _ladder(thresholds):
    """A chance move to one of k rooms; in room i, A takes x_i or a sure c_i (its flip: x_i = c_i)."""
    k = len(thresholds)
    lines = ['[game]', 'title = "Ladder"', 'players = ["A"]', '']
    for i in range(k):
        lines += [f"[parameters.x{i}]", f'description = "What going pays in room {i}"', 'default = "1/2"',
                  "range = [0, 1]", ""]
    rooms = ", ".join(f'r{i} = "room{i}"' for i in range(k))
    odds = ", ".join(f'r{i} = "1/{k}"' for i in range(k))
    lines += ["[nodes.start]", "chance = true", f"actions = {{ {rooms} }}", f"probabilities = {{ {odds} }}", ""]
    for i, c in enumerate(thresholds):
        lines += [f"[nodes.room{i}]", 'player = "A"', f'actions = {{ go = "went{i}", stay = "stayed{i}" }}', "",
                  f"[nodes.went{i}]", f'payoffs = {{ A = "x{i}" }}', "",
                  f"[nodes.stayed{i}]", f'payoffs = {{ A = "{c}" }}', ""]
    return loads_game("\n".join(lines), "ladder.toml", known_claims=[])


@pytest.mark.parametrize("round_work", [None, 19 * 6])
def test_only_the_flips_to_be_confirmed_are_narrowed_fully(monkeypatch, round_work):
    # Six rooms whose switches lie 1/20 ... 9/20 of the range from the leader's value 1/2.
    # Asked to confirm two, the search narrows those two as it narrows every flip when all
    # are confirmed (through the same rounds: with ROUND_WORK at 19 nodes times 6, a round
    # bisects while all six are narrowed, and would take three points if only two counted);
    # the others stay at a bracket that still holds their switch.
    import policy.analysis.flip as flip

    if round_work is not None:
        monkeypatch.setattr(flip, "ROUND_WORK", round_work)
    game = _ladder(["9/20", "2/5", "3/10", "1/5", "3/20", "1/20"])
    assert game.num_nodes == 19
    values = {f"x{i}": Fraction(1, 2) for i in range(6)}
    full = distances_to_flip(game, values)
    lazy = distances_to_flip(game, values, confirm=2)
    assert [f.parameter for f in full.flips] == [f"x{i}" for i in range(6)]
    assert all(f.confirmed for f in full.flips)
    assert lazy.flips[:2] == full.flips[:2]
    assert {f.parameter for f in lazy.flips} == {f.parameter for f in full.flips}
    exact = {f.parameter: f for f in full.flips}
    rest = lazy.flips[2:]
    assert not any(f.confirmed for f in rest)
    for f in rest:
        assert abs(f.boundary - exact[f.parameter].boundary) <= f.tolerance + exact[f.parameter].tolerance
    assert max(f.tolerance for f in rest) > 100 * max(f.tolerance for f in full.flips)


def fail_confirmation(monkeypatch, name: str) -> None:
    """Make the exact confirmation of ``name``'s flip fail (the parameter then found stable)."""
    import policy.analysis.flip as flip

    real = flip._confirm

    def failing(trials, b, here, failed, stable):
        if b.name == name:
            stable.append(b.name)
            return None
        return (yield from real(trials, b, here, failed, stable))

    monkeypatch.setattr(flip, "_confirm", failing)


def test_a_flip_confirmed_in_place_of_a_nearer_one_is_narrowed_first(monkeypatch):
    # When the nearest flip's confirmation fails (here: made to fail), the next one is
    # confirmed in its place, and narrowed first as fully as the nearest were.

    game = _ladder(["9/20", "2/5", "3/10", "1/5"])
    values = {f"x{i}": Fraction(1, 2) for i in range(4)}
    fail_confirmation(monkeypatch, "x0")
    search = distances_to_flip(game, values, confirm=2)
    assert [f.parameter for f in search.flips[:2]] == ["x1", "x2"]
    assert all(f.confirmed for f in search.flips[:2])
    third = search.flips[1]
    assert third.boundary == pytest.approx(0.3, abs=1e-6)
    assert third.tolerance < 2e-6
