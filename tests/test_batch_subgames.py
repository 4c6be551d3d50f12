"""The batch solver on games with subgames of imperfect information.

Checked against the one-sample solvers (``spe`` through proper subgames,
float Lemke) sample by sample, and against pygambit's regret of the profiles
it returns.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from policy.analysis.batch import BatchGame, path_words
from policy.analysis.batch_lemke import lemke_lockstep
from policy.analysis.compare import path_text
from policy.analysis.sweep import _nash_block, batch_refusal, run_sweep, solve_block
from policy.expr import parse
from policy.model import Game, NodeKind, NodeSpec, Outcome, Parameter, build_game
from policy.representations.sequence import sequence_form
from policy.solvers import solve
from policy.solvers.errors import SolverError
from policy.solvers.lcp import SequenceLCP
from policy.solvers.lemke import lemke
from tests.conftest import chance, decision, gambit_regret
from tests.games import flat_behavior, imperfect_games, random_signalling

PARAMETERS = {
    "p": (0.1, 0.9),
    "x": (-2.0, 2.0),
    "y": (-2.0, 2.0),
}


NAMES = tuple(PARAMETERS)


def _end(name: str, *payoffs: object, names: tuple[str, ...] = NAMES) -> NodeSpec:
    return NodeSpec(name, NodeKind.TERMINAL, outcome=Outcome(name, tuple(parse(p, names) for p in payoffs)))


def _draw(name: str, left: str, right: str, prior: str, names: tuple[str, ...] = NAMES) -> NodeSpec:
    return NodeSpec(name, NodeKind.CHANCE, actions=(("t0", left), ("t1", right)),
                    probabilities=(parse(prior, names), parse(f"1 - ({prior})", names)))


def _signalling(prefix: str, rng: np.random.Generator, prior: str, x: str = "x", y: str = "y",
                names: tuple[str, ...] = NAMES) -> list:
    """A 2-type, 2-message, 2-reply signalling game of A (sender) and B, whose payoffs use x and y.

    C, who does not move here, is paid too (carried along by the solver).
    """
    specs = [_draw(prefix, f"{prefix}s0", f"{prefix}s1", prior, names)]
    for k in range(2):
        specs.append(decision(f"{prefix}s{k}", "A", m0=f"{prefix}r{k}0", m1=f"{prefix}r{k}1"))
        for m in range(2):
            specs.append(decision(f"{prefix}r{k}{m}", "B", f"{prefix}heard{m}",
                                  a0=f"{prefix}z{k}{m}0", a1=f"{prefix}z{k}{m}1"))
            for a in range(2):
                c = rng.integers(-3, 4, size=5)
                specs.append(_end(f"{prefix}z{k}{m}{a}", f"{c[0]}*{x} + {c[1]}", f"{c[2]}*{y} + {c[3]}",
                                  int(c[4]), names=names))
    return specs


def small_campaign(seed: int) -> Game:
    """C chooses; B may choose; three signalling subgames below, two of them identical copies."""
    copy = _signalling("g", np.random.default_rng(seed), "p")
    same = _signalling("k", np.random.default_rng(seed), "p")
    other = _signalling("h", np.random.default_rng(seed + 100), "1 - p/2")
    specs = [
        decision("root", "C", left="g", right="mid"),
        decision("mid", "B", stop="out", go="k", alt="h"),
        _end("out", "x", "y - 1", 1),
        *copy,
        *same,
        *other,
    ]
    params = {k: Parameter(k, k, None, None) for k in NAMES}
    return build_game("small campaign", ["A", "B", "C"], specs, parameters=params)


def draws(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in PARAMETERS.items()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_batch_matches_spe_sample_by_sample(seed):
    game = small_campaign(seed)
    samples = draws(40, seed)
    batch = solve_block(game, samples, 0, "spe", rows=True)
    assert batch_refusal(game) is None
    one = _nash_block(game, samples, 0, "spe", rows=True)
    paths = [batch.path_words[k] for k in batch.path_index]
    assert paths == [one.path_words[k] for k in one.path_index]
    np.testing.assert_allclose(np.asarray(batch.rows), np.asarray(one.rows), atol=1e-9)
    np.testing.assert_allclose(batch.facts, one.facts, atol=1e-9)
    np.testing.assert_allclose(batch.payoffs, one.payoffs, atol=1e-9)
    np.testing.assert_allclose(batch.behavior_sum, one.behavior_sum, atol=1e-7)
    # The paths pass through the subgames' information sets with mixed choices too.
    assert any("heard" in p for p in paths)


def test_samples_sharing_a_part_get_what_their_own_solve_gives():
    # A search moves one parameter at a time: the parts that parameter does not
    # reach repeat bit for bit, within a block and from one block to the next,
    # and are solved once. Each sample must get exactly (bit for bit) what it gets
    # solved alone by a fresh solver, and the path that spe gives it one by one.
    game = small_campaign(7)
    base = {"p": 0.4, "x": 0.5, "y": -0.25}
    points = [dict(base)] + [dict(base, **{k: v}) for k in PARAMETERS for v in (0.3, 0.7, -1.5, 1.5)
                             if PARAMETERS[k][0] <= v <= PARAMETERS[k][1]]
    points = [pt for pt in points for _ in range(2)]  # and each twice, within one block
    samples = {k: np.array([pt[k] for pt in points]) for k in PARAMETERS}
    n = len(points)
    solver = BatchGame(game)
    for _ in range(2):  # the second pass finds every part kept from the first
        for start in range(0, n, 5):
            block = {k: v[start : start + 5] for k, v in samples.items()}
            got = solver.solve(block)
            for i in range(len(block["p"])):
                alone = BatchGame(game).solve({k: v[i : i + 1] for k, v in block.items()})
                assert np.array_equal(got.behavior[i], alone.behavior[0])
                assert np.array_equal(got.payoffs[i], alone.payoffs[0])
                assert np.array_equal(got.path_choices()[i], alone.path_choices()[0])
    batch = solve_block(game, samples, 0, "spe")
    one = _nash_block(game, samples, 0, "spe")
    assert [batch.path_words[k] for k in batch.path_index] == [one.path_words[k] for k in one.path_index]


TWIN_NAMES = ("p", "x", "y", "u", "v", "s", "t")


def twin_campaign(seed: int) -> Game:
    """C picks one of three copies of one signalling game, written in different parameters.

    The copies pay in (x, y), (u, v) and (s, t): three different subtrees (their
    expressions differ), whose numbers are the same bit for bit wherever the
    draws make u = s = x and v = t = y, as a stage played in several states
    that change nothing it uses.
    """
    copies = [_signalling(f"c{k}", np.random.default_rng(seed), "p", x, y, TWIN_NAMES)
              for k, (x, y) in enumerate((("x", "y"), ("u", "v"), ("s", "t")))]
    specs = [decision("root", "C", a="c0", b="c1", c="c2"), *(spec for c in copies for spec in c)]
    params = {k: Parameter(k, k, None, None) for k in TWIN_NAMES}
    return build_game("three copies", ["A", "B", "C"], specs, parameters=params)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parts_with_the_same_numbers_share_one_solve_and_get_what_their_own_gives(seed, monkeypatch):
    # The second copy's LCP equals the first's: it takes the first run's final bases
    # in its own numbers; the third equals the second bit for bit and takes the
    # second's answer (a twin) instead of solving those bases again. Each copy and
    # each draw must get exactly what solving it without twins gives.
    import policy.analysis.batch_subgames as bs

    game = twin_campaign(seed)
    drawn = draws(300, seed)
    samples = {"p": drawn["p"], "x": drawn["x"], "y": drawn["y"], "u": drawn["x"].copy(),
               "v": drawn["y"].copy(), "s": drawn["x"].copy(), "t": drawn["y"].copy()}
    found = []
    twin_of = bs._twin_of

    def counted(*args):
        twin = twin_of(*args)
        found.append(twin is not None)
        return twin

    monkeypatch.setattr(bs, "_twin_of", counted)
    shared = BatchGame(game).solve(samples)
    assert found == [False, False, True]  # the third copy took the second's answer
    monkeypatch.setattr(bs, "_twin_of", lambda *args: None)
    alone = BatchGame(game).solve(samples)
    np.testing.assert_array_equal(shared.behavior, alone.behavior)
    np.testing.assert_array_equal(shared.payoffs, alone.payoffs)
    np.testing.assert_array_equal(shared.path_choices(), alone.path_choices())
    np.testing.assert_array_equal(shared.outcome_probability, alone.outcome_probability)
    assert shared.resolved == alone.resolved
    # Draws where the copies' numbers differ: no twin, and the same answers as before.
    found.clear()
    monkeypatch.setattr(bs, "_twin_of", counted)
    samples["t"] = samples["t"] + 1e-3
    BatchGame(game).solve(samples)
    assert found == [False, False, False]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_part_whose_lcps_are_the_runs_bit_for_bit_takes_the_runs_end(seed, monkeypatch):
    # The second copy's LCPs equal the first copy's bit for bit: rather than solve the
    # first run's final bases again in the same numbers, it takes that run's end. Every
    # answer must be what the basis solve gives, bit for bit. The third copy is
    # drawn apart (its own run).
    import policy.analysis.batch_subgames as bs

    game = twin_campaign(seed)
    drawn = draws(300, seed)
    samples = {"p": drawn["p"], "x": drawn["x"], "y": drawn["y"], "u": drawn["x"].copy(),
               "v": drawn["y"].copy(), "s": drawn["x"] + 1e-3, "t": drawn["y"].copy()}
    taken: list[bool] = []
    own_end = bs._own_end

    def counted(*args):
        taken.append(own_end(*args))
        return taken[-1]

    monkeypatch.setattr(bs, "_own_end", counted)
    ended = BatchGame(game).solve(samples)
    assert taken == [True]
    monkeypatch.setattr(bs, "_own_end", lambda *args: False)
    solved = BatchGame(game).solve(samples)
    np.testing.assert_array_equal(ended.behavior, solved.behavior)
    np.testing.assert_array_equal(ended.payoffs, solved.payoffs)
    np.testing.assert_array_equal(ended.path_choices(), solved.path_choices())
    np.testing.assert_array_equal(ended.outcome_probability, solved.outcome_probability)
    assert ended.resolved == solved.resolved
    # LCPs within rounding of the run's but not equal to them: the bases are solved again.
    taken.clear()
    monkeypatch.setattr(bs, "_own_end", counted)
    samples["u"] = drawn["x"] * (1 + 2.0**-45)
    BatchGame(game).solve(samples)
    assert taken == [False]


def test_batch_profiles_are_subgame_perfect_by_spe_verification_and_gambit():
    game = small_campaign(5)
    samples = draws(6, 5)
    result = BatchGame(game).solve(samples)
    for s in range(6):
        values = {k: Fraction(float(v[s])) for k, v in samples.items()}
        flat = flat_behavior(result, s)
        behavior = {
            st.name: {a: Fraction(float(flat[st.offset + i])) for i, a in enumerate(st.actions)}
            for st in game.infosets.values()
        }
        # pygambit (independent): the profile's regret in the whole game is ~0.
        assert float(gambit_regret(game, behavior, values)) <= 1e-9
        np.testing.assert_allclose(
            result.payoffs[s],
            solve(game, {k: float(v) for k, v in values.items()}, method="spe", exact=False).equilibria[0].values,
            atol=1e-9,
        )


@pytest.mark.parametrize("seed", [3, 11, 42])
def test_signalling_game_alone_agrees_with_qpe_and_gambit(seed):
    # The batch solver takes qpe in a two-player subgame, as an exact spe does:
    # its draw is the exact quasi-perfect equilibrium (and Nash by pygambit).
    game = random_signalling(2, 2, 2, seed)
    result = BatchGame(game).solve({})
    one = solve(game, {}, method="qpe").equilibria[0]
    flat = flat_behavior(result, 0)
    np.testing.assert_allclose(flat, np.asarray([float(p) for p in one.probabilities]), atol=1e-9)
    behavior = {
        st.name: {a: Fraction(float(flat[st.offset + i])) for i, a in enumerate(st.actions)}
        for st in game.infosets.values()
    }
    assert float(gambit_regret(game, behavior)) <= 1e-9 * 100


def test_path_words_name_mixed_choices_by_support():
    game = small_campaign(0)
    result = BatchGame(game).solve(draws(30, 0))
    columns = result.path_columns()
    for s in range(30):
        eq_words = path_words(game, result.decision_nodes, columns[:, s])
        values = {k: float(v[s]) for k, v in draws(30, 0).items()}
        one = solve(game, values, method="spe", exact=False)
        assert eq_words == path_text(one, one.equilibria[0])


def test_three_movers_in_a_subgame_are_refused_with_a_reason_and_the_sweep_falls_back():
    specs = [
        chance("root", {"l": "1/2", "r": "1/2"}, l="a1", r="a2"),
        decision("a1", "A", "sa", u="b1", d="b2"),
        decision("a2", "A", "sa", u="b3", d="b4"),
        # B does not see the chance move, nor C: every set spans both halves.
        *(decision(f"b{k}", "B", f"sb{k % 2}", u=f"c{k}", d=f"t{k}") for k in range(1, 5)),
        *(decision(f"c{k}", "C", f"sc{k % 2}", u=f"u{k}", d=f"v{k}") for k in range(1, 5)),
        *(_end(f"t{k}", k, -k, "x") for k in range(1, 5)),
        *(_end(f"u{k}", -k, k, 1) for k in range(1, 5)),
        *(_end(f"v{k}", 0, 1, "x") for k in range(1, 5)),
    ]
    game = build_game("three", ["A", "B", "C"], specs, parameters={"x": Parameter("x", "x", None, None)})
    with pytest.raises(SolverError, match="3 player"):
        BatchGame(game)
    result = run_sweep(game, {"x": np.array([0.0, 2.0])}, method="spe", workers=1)
    assert "3 player" in (batch_refusal(game) or "")
    assert "3 player" in result.details["batch_refused"]
    assert result.done == 2


def pennies_or_signals() -> Game:
    """C chooses between matching pennies (zero-sum at every sample: each sample's part is
    solved again one by one, by lp, as spe solves it) and a signalling game."""
    pennies = [
        decision("pennies", "A", heads="h", tails="t"),
        decision("h", "B", "guess", heads="hh", tails="ht"),
        decision("t", "B", "guess", heads="th", tails="tt"),
        _end("hh", "x", "-x", 0), _end("ht", -1, 1, 0), _end("th", -1, 1, 0), _end("tt", 1, -1, 0),
    ]
    specs = [decision("root", "C", left="pennies", right="g"), *pennies,
             *_signalling("g", np.random.default_rng(2), "p")]
    params = {k: Parameter(k, k, None, None) for k in NAMES}
    return build_game("pennies or signals", ["A", "B", "C"], specs, parameters=params)


def test_a_batched_sweep_counts_what_it_solved_one_by_one():
    result = run_sweep(pennies_or_signals(), draws(30, 2), method="spe", workers=1)
    counts = result.details["batch_one_by_one"]
    assert counts == {"the part is constant-sum at the sample (solved by lp)": 30}
    assert result.done == 30


def _lcp(game: Game) -> SequenceLCP:
    return SequenceLCP(sequence_form(game, {}, exact=False), game.numbers({}, exact=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_games(players=(2,), max_nodes=24))
def test_lockstep_lemke_follows_the_float_path(game):
    """Every sample the lockstep run solves gets the one-by-one float path: same pivots, same solution."""
    base = _lcp(game)
    rng = np.random.default_rng(0)
    # The game's LCP and copies with B's payoffs rescaled (other paths, same shape).
    Ms = [base.M]
    n1, n2, _, _ = base.sizes
    for _ in range(3):
        M = base.M.copy()
        M[n1 : n1 + n2, :n1] *= rng.uniform(0.5, 2.0)
        Ms.append(M)
    run = lemke_lockstep(np.stack(Ms, axis=2), base.c)
    one_by_one = 0
    for s, M in enumerate(Ms):
        try:
            one = lemke(M, base.c, exact=False)
        except SolverError:
            assert not run.solved[s]
            continue
        one_by_one += 1
        if run.solved[s]:
            assert run.pivots[s] == one.pivots
            np.testing.assert_allclose(run.z[:, s], one.z, atol=1e-9)
        else:
            assert run.reason[s] > 0
    # Else a lockstep run that left every sample to the caller would pass.
    assert run.solved.any() or not one_by_one


RECORD = """
[record]
title = "Left, then a message"

[[moves]]
infoset = "root"
action = "left"

[[moves]]
node = "g"
action = "t0"

[[moves]]
infoset = "gs0"
action = "m1"

[[moves]]
infoset = "gheard1"
action = "a0"
"""


def test_record_samples_use_the_batch_solver_with_the_same_edges():
    from policy.analysis.record import _SampleSolver, loads_record, trace

    game = small_campaign(1)
    t = trace(game, loads_record(RECORD))
    batched = _SampleSolver(t, "spe")
    assert batched.batch is not None
    one = _SampleSolver(t, "spe")
    one.batch = None  # sample by sample, as before
    samples = draws(25, 1)
    edges = batched.edges(samples, 25)
    np.testing.assert_allclose(edges, one.edges(samples, 25), atol=1e-9)
    assert ((edges > 1e-6) & (edges < 1 - 1e-6)).any()  # mixed choices on the record's path


def _barbarossa_lcps(count: int, seed: int) -> tuple[Game, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    from policy.gamefile import load_game

    game = load_game("games/barbarossa_1941.toml")
    rng = np.random.default_rng(seed)
    drawn = {k: rng.uniform(float(p.range[0]), float(p.range[1]), count) for k, p in game.parameters.items()}
    Ms, qs = [], []
    for s in range(count):
        values = {k: float(v[s]) for k, v in drawn.items()}
        lcp = SequenceLCP(sequence_form(game, values, exact=False), game.numbers(values, exact=False))
        Ms.append(lcp.M)
        qs.append(lcp.c)
    return game, drawn, np.stack(Ms, axis=2), np.stack(qs, axis=1)


def test_lockstep_lemke_makes_its_tableau_afresh_where_the_float_method_does():
    # Draws of the bundled signalling stage: at a few of them a ratio-test decision
    # lies near the rounding noise, and the float method computes its tableau from
    # the data again. The lockstep run must do the same there (not give the sample
    # up) and end, at every sample, with the one-by-one path's pivots and solution.
    _, _, M, q = _barbarossa_lcps(300, 0)
    run = lemke_lockstep(M, q)
    assert run.refreshed is not None and (run.refreshed > 0).any()
    assert run.solved.all()
    for s in range(M.shape[2]):
        one = lemke(M[:, :, s], q[:, s], exact=False)
        assert run.pivots[s] == one.pivots
        np.testing.assert_array_equal(run.z[:, s], one.z)
        assert tuple(run.basis[:, s].tolist()) == one.basis


def test_bundled_stage_batch_matches_spe_one_by_one():
    game, drawn, _, _ = _barbarossa_lcps(60, 1)
    assert batch_refusal(game) is None
    batch = solve_block(game, drawn, 0, "spe", rows=True)
    one = _nash_block(game, drawn, 0, "spe", rows=True)
    assert [batch.path_words[k] for k in batch.path_index] == [one.path_words[k] for k in one.path_index]
    np.testing.assert_allclose(batch.payoffs, one.payoffs, atol=1e-9)
    np.testing.assert_allclose(batch.behavior_sum, one.behavior_sum, atol=1e-7)


@given(hst.lists(hst.integers(0, 5), min_size=0, max_size=40), hst.integers(0, 2**32 - 1))
def test_adding_round_by_round_is_add_at_bit_for_bit(targets, seed):
    # Values of mixed signs and sizes, so that the order of the additions shows in the bits.
    from policy.analysis.batch_subgames import _add_at, _rounds

    index = np.array(targets, dtype=np.int64)
    values = np.random.default_rng(seed).standard_normal((len(index), 3)) * 10.0 ** np.arange(-8, 8, 5.5)
    want = np.zeros((6, 3))
    np.add.at(want, index, values)
    got = np.zeros((6, 3))
    _add_at(got, (index,), values, _rounds(index))
    assert want.tobytes() == got.tobytes()


def test_the_pivot_row_by_row_and_whole_give_the_same_bits(monkeypatch):
    """The tableau's update a row at a time (many samples) and in one product (few): the same
    runs, bit for bit, whichever is used at every size."""
    from policy.analysis import batch_lemke

    _, _, M, q = _barbarossa_lcps(40, 3)
    runs = []
    for threshold in (1, 10**9):
        monkeypatch.setattr(batch_lemke, "ROW_BY_ROW", threshold)
        runs.append(lemke_lockstep(M, q))
    a, b = runs
    for field in ("z", "solved", "reason", "pivots", "basis"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field


def test_repeated_samples_are_solved_once_and_get_and_count_what_each_would(monkeypatch):
    # Samples that agree on every number the parts read are solved once and spread
    # (a flip search's points mostly move parameters outside the parts). Each must get,
    # bit for bit, what solving every sample gives, and the samples re-solved one by one
    # are counted once per sample, copies included.
    import policy.analysis.batch_subgames as batch_subgames

    game = pennies_or_signals()
    drawn = draws(30, 2)
    samples = {k: np.repeat(v, 3) for k, v in drawn.items()}  # each draw three times in a block
    spread = []
    real = batch_subgames.same_samples
    monkeypatch.setattr(batch_subgames, "same_samples", lambda values: spread.append(real(values)) or spread[-1])
    once = run_sweep(game, samples, method="spe", workers=1)
    assert spread and all(s is not None and len(s[0]) == 30 for s in spread)
    monkeypatch.setattr(batch_subgames, "same_samples", lambda values: None)
    every = run_sweep(game, samples, method="spe", workers=1)
    assert once.details["batch_one_by_one"] == every.details["batch_one_by_one"]
    assert sum(once.details["batch_one_by_one"].values()) == 90  # each pennies part, copies included
    got, want = BatchGame(game), BatchGame(game)
    monkeypatch.setattr(batch_subgames, "same_samples", real)
    a = got.solve(samples)
    monkeypatch.setattr(batch_subgames, "same_samples", lambda values: None)
    b = want.solve(samples)
    for field in ("behavior", "payoffs", "class_choice", "class_tie"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.resolved == b.resolved


def _walked(game: Game, part) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """A part's rows found by walking up from each terminal, node by node (the reference)."""
    table = game._expression_table()
    sh, order = part.shape, part.order
    edge = {int(n): int(r) for n, r in zip(table.chance_edges, table.chance_index, strict=True)}
    outcome = {int(n): k for k, n in enumerate(table.outcome_nodes.tolist())}
    local = {int(v): i for i, v in enumerate(order.tolist())}
    sets: dict[int, int] = {}
    for i in np.flatnonzero(sh.kind == NodeKind.DECISION).tolist():
        sets.setdefault(int(sh.local_set[i]), int(sh.num_children[i]))
    starts = np.cumsum([0] + [sets[k] for k in sorted(sets)])
    chance_rows, outcome_rows, actions = [], [], []
    for t in np.flatnonzero(sh.kind == NodeKind.TERMINAL).tolist():
        ch, oc, ac = [], [], []
        if not sh.cut[t] and int(order[t]) in outcome:
            oc.append(outcome[int(order[t])])
        i = t
        while i > 0:
            p = local[int(game.parent[order[i]])]
            if sh.kind[p] == NodeKind.CHANCE:
                ch.append(edge[int(order[i])])
            elif sh.kind[p] == NodeKind.DECISION:
                ac.append(int(starts[int(sh.local_set[p])]) + int(order[i] - game.first_child[order[p]]))
            if p > 0 and int(order[p]) in outcome:
                oc.append(outcome[int(order[p])])
            i = p
        chance_rows.append(ch[::-1])
        outcome_rows.append(oc[::-1])
        actions.append(ac[::-1])
    return chance_rows, outcome_rows, actions


def _rows(padded: np.ndarray) -> list[list[int]]:
    return [[int(v) for v in row if v >= 0] for row in padded]


def pennies_with_a_cut() -> Game:
    """Matching pennies where heads-heads hands C a move of its own: a proper subgame the part cuts."""
    specs = [
        decision("pennies", "A", heads="h", tails="t"),
        decision("h", "B", "guess", heads="hh", tails="ht"),
        decision("t", "B", "guess", heads="th", tails="tt"),
        decision("hh", "C", keep="hh1", give="hh2"),
        _end("hh1", "x", "-x", 1), _end("hh2", "x", "1 - x", 0),
        _end("ht", -1, 1, 0), _end("th", -1, "y", 0), _end("tt", 1, -1, 0),
    ]
    params = {k: Parameter(k, k, None, None) for k in NAMES}
    return build_game("pennies with a cut", ["A", "B", "C"], specs, parameters=params)


@pytest.mark.parametrize("which", ["barbarossa", "small", "twins", "pennies", "cut"])
def test_each_part_reads_the_rows_on_its_terminals_paths(which):
    # Parts of one shape share their tree (sequences, constraints, paths); the rows
    # their numbers come from are each part's own, found here by walking up the tree.
    from policy.gamefile import load_game

    game = {
        "barbarossa": lambda: load_game("games/barbarossa_1941.toml"),
        "small": lambda: small_campaign(3),
        "twins": lambda: twin_campaign(1),
        "pennies": pennies_or_signals,
        "cut": pennies_with_a_cut,
    }[which]()
    solver = BatchGame(game)
    plan = solver._nash
    for part in plan.parts:
        chance_rows, outcome_rows, actions = _walked(game, part)
        assert _rows(part.chance_rows) == chance_rows
        assert _rows(part.outcome_rows) == outcome_rows
        assert _rows(part.path_actions) == actions
        assert part.chance_rows.shape[1] == max(map(len, chance_rows), default=0)
        cut = np.flatnonzero(part.shape.cut[part.shape.kind == NodeKind.TERMINAL])
        assert np.array_equal(np.flatnonzero(part.cut_class >= 0), cut)
        assert np.array_equal(part.cut_class[cut], solver.classes.of_node[part.order[
            np.flatnonzero(part.shape.kind == NodeKind.TERMINAL)[cut]]])
        assert part.E.flags.writeable is False and part.F.flags.writeable is False  # shared: read-only
    if which == "cut":
        assert any((part.cut_class >= 0).any() for part in plan.parts)
    if which in ("small", "twins"):
        assert len({id(p.E) for p in plan.parts}) < len(plan.parts)  # shapes repeat here, and share
