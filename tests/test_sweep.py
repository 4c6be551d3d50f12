"""Sweeps: grids and Monte Carlo draws, solved in blocks, summarised; plots written whole."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from policy.analysis import sweep as sweep_module
from policy.analysis.sweep import (
    SweepError,
    Vary,
    grid_samples,
    monte_carlo_samples,
    parse_vary,
    run_sweep,
    solve_block,
    uncertain_parameters,
)
from policy.bundled import games_dir
from policy.gamefile import load_game, loads_game
from policy.leaders import LeaderError, load_leader, resolve
from policy.render.plot import PlotError, plot_bars, plot_line, plot_regions
from policy.solvers import solve
from tests.games import GUESS

DIPLOMACY = games_dir() / "diplomacy_1939.toml"


@pytest.fixture(scope="module")
def diplomacy():
    return load_game(DIPLOMACY)


@pytest.fixture(scope="module")
def stalin():
    return load_leader("stalin")


# -- choosing samples ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p=0:1", Vary("p", 0.0, 1.0, 101)),
        ("p=1/4:3/4:11", Vary("p", 0.25, 0.75, 11)),
        (" q = -1:2.5:3", Vary("q", -1.0, 2.5, 3)),
    ],
)
def test_parse_vary(text, expected):
    assert parse_vary(text) == expected


@pytest.mark.parametrize("text", ["p", "p=1", "p=1:0", "p=0:1:1", "p=a:b", "=0:1", "p=0:1:2:3"])
def test_parse_vary_refuses_bad_specs(text):
    with pytest.raises(SweepError, match="--vary"):
        parse_vary(text)


def test_grid_covers_the_product_first_parameter_slowest(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    s = grid_samples(diplomacy, base, [Vary("readiness", 0.1, 0.9, 3), Vary("oil_value", 0.1, 0.6, 2)])
    assert s["readiness"].tolist() == pytest.approx([0.1, 0.1, 0.5, 0.5, 0.9, 0.9])
    assert s["oil_value"].tolist() == pytest.approx([0.1, 0.6] * 3)
    assert s["loss_weight"].tolist() == [float(base["loss_weight"])] * 6


def test_grid_refuses_unknown_and_repeated_parameters(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    with pytest.raises(SweepError, match="unknown parameter 'nope'"):
        grid_samples(diplomacy, base, [Vary("nope", 0, 1)])
    with pytest.raises(SweepError, match="given twice"):
        grid_samples(diplomacy, base, [Vary("readiness", 0, 1), Vary("readiness", 0, 1)])
    with pytest.raises(SweepError, match="one or two"):
        grid_samples(diplomacy, base, [])


def test_monte_carlo_is_reproducible_and_stays_in_range(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    a = monte_carlo_samples(diplomacy, stalin, base, 2000, seed=7)
    b = monte_carlo_samples(diplomacy, stalin, base, 2000, seed=7)
    c = monte_carlo_samples(diplomacy, stalin, base, 2000, seed=8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["readiness"], c["readiness"])
    for name in uncertain_parameters(diplomacy, stalin):
        lo, hi = (float(x) for x in stalin.values[name].range)
        assert lo <= a[name].min() and a[name].max() <= hi
        assert a[name].std() > 0
    # Triangular by default: the mean is (low + mode + high) / 3.
    r = stalin.values["readiness"]
    mean = (float(r.range[0]) + float(r.value) + float(r.range[1])) / 3
    assert a["readiness"].mean() == pytest.approx(mean, abs=0.01)


def write_leader(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "someone.toml"
    path.write_text('[leader]\nname = "Someone"\n\n' + body)
    return path


@pytest.mark.parametrize(
    ("distribution", "check"),
    [
        ('"uniform"', lambda x: abs(x.mean() - 0.5) < 0.02 and abs(x.var() - 0.8**2 / 12) < 0.005),
        ('{ kind = "beta", a = 2, b = 6 }', lambda x: abs(x.mean() - (0.1 + 0.8 * 0.25)) < 0.02),
        ('{ kind = "normal", sd = 0.05 }', lambda x: abs(x.mean() - 0.35) < 0.01 and x.std() < 0.06),
        ('"fixed"', lambda x: np.all(x == 0.35)),
    ],
)
def test_declared_distributions_shape_the_draws(tmp_path, diplomacy, distribution, check):
    leader = load_leader(write_leader(
        tmp_path, f"[values.readiness]\nvalue = 0.35\nrange = [0.1, 0.9]\ndistribution = {distribution}\n"
    ))
    draws = monte_carlo_samples(diplomacy, leader, resolve(diplomacy, leader), 20000, seed=3)
    assert check(draws["readiness"])
    assert np.all(draws["oil_value"] == float(diplomacy.parameters["oil_value"].default))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('distribution = "poisson"', "unknown kind 'poisson'"),
        ('distribution = { kind = "beta", a = 2 }', "distribution.b: missing"),
        ('distribution = { kind = "normal", sd = 0 }', "distribution.sd: must be positive"),
        ('distribution = { kind = "uniform", sd = 1 }', "not a setting of uniform"),
        ("distribution = 3", "must be a name or a table"),
    ],
)
def test_bad_distributions_are_refused_with_file_and_place(tmp_path, body, message):
    path = write_leader(tmp_path, f"[values.readiness]\nvalue = 0.35\nrange = [0.1, 0.9]\n{body}\n")
    with pytest.raises(LeaderError, match=message) as info:
        load_leader(path)
    assert str(info.value).startswith(f"{path}: values.readiness.distribution")


def test_a_distribution_needs_a_range(tmp_path):
    path = write_leader(tmp_path, '[values.readiness]\nvalue = 0.35\ndistribution = "uniform"\n')
    with pytest.raises(LeaderError, match="needs a range"):
        load_leader(path)


# -- solving -------------------------------------------------------------------------
def test_sweep_matches_exact_solving_at_every_grid_point(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    samples = grid_samples(diplomacy, base, [Vary("readiness", 0.1, 0.9, 33)])
    result = run_sweep(diplomacy, samples, varied=["readiness"], block_size=10)
    assert result.done == 33 and not result.interrupted
    for i, x in enumerate(samples["readiness"]):
        values = dict(base, readiness=Fraction(x).limit_denominator(10**6))
        eq = solve(diplomacy, values, method="spe").equilibria[0]
        assert result.reach[i] == pytest.approx([float(r) for r in eq.reach])
        assert result.payoffs[i] == pytest.approx([float(v) for v in eq.values])


def test_summaries_add_up(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    samples = monte_carlo_samples(diplomacy, stalin, base, 3000, seed=1)
    result = run_sweep(diplomacy, samples)
    shares = result.path_shares()
    assert sum(s for _, s in shares) == pytest.approx(1)
    assert [s for _, s in shares] == sorted((s for _, s in shares), reverse=True)
    outcomes = result.outcome_probabilities()
    assert sum(m for m, _, _ in outcomes.values()) == pytest.approx(1)
    assert all(lo <= m <= hi for m, lo, hi in outcomes.values())
    for s, actions in result.choice_shares().items():
        assert sum(actions.values()) == pytest.approx(1), s


def test_interrupted_sweep_keeps_the_blocks_done(diplomacy, stalin, monkeypatch):
    base = resolve(diplomacy, stalin)
    samples = grid_samples(diplomacy, base, [Vary("readiness", 0.1, 0.9, 50)])
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    result = run_sweep(diplomacy, samples, block_size=20, progress=progress)
    assert result.interrupted and result.done == 40 and result.requested == 50
    assert calls == [20, 40]




def test_imperfect_information_is_solved_sample_by_sample_in_processes():
    game = loads_game(GUESS, "guess.toml", known_claims=[])
    n = 6
    samples = {"bonus": np.linspace(1, 3, n)}
    one = run_sweep(game, samples, workers=1, block_size=2)
    pooled = run_sweep(game, samples, workers=2, block_size=2)
    assert one.method == "lp"
    # The hider goes left with probability 2 / (bonus + 3) (indifference of the seeker).
    left = one.reach[:, 0] + one.reach[:, 1]
    assert left == pytest.approx(2 / (samples["bonus"] + 3))
    assert np.array_equal(one.reach, pooled.reach)
    assert one.paths == pooled.paths
    direct = solve_block(game, {k: v[:1] for k, v in samples.items()}, 0)
    assert direct.rows[0] == pytest.approx(one.reach[0])


# -- plots ---------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_line_plot_is_a_png_of_the_expected_size(tmp_path, diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    result = run_sweep(diplomacy, grid_samples(diplomacy, base, [Vary("readiness", 0.1, 0.9, 41)]),
                       varied=["readiness"])
    out = plot_line(result, tmp_path / "line.png")
    assert png_size(out) == (960, 540)
    assert list(tmp_path.iterdir()) == [out]


def test_region_map_is_valid_svg(tmp_path, diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    vary = [Vary("readiness", 0.1, 0.9, 21), Vary("ideology_cost", 0.0, 0.8, 21)]
    result = run_sweep(diplomacy, grid_samples(diplomacy, base, vary), varied=["readiness", "ideology_cost"])
    out = plot_regions(result, tmp_path / "regions.svg")
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert "readiness" in out.read_text()
    with pytest.raises(PlotError, match="exactly one"):
        plot_line(result, tmp_path / "x.png")


def test_bar_chart_per_leader(tmp_path, diplomacy):
    results = []
    for key in ("stalin", "tukhachevsky"):
        leader = load_leader(key)
        samples = monte_carlo_samples(diplomacy, leader, resolve(diplomacy, leader), 500, seed=2)
        results.append(run_sweep(diplomacy, samples, leader=key))
    out = plot_bars(results, tmp_path / "bars.png")
    assert png_size(out)[0] > 100


def test_a_failed_plot_leaves_no_file(tmp_path, diplomacy, stalin, monkeypatch):
    base = resolve(diplomacy, stalin)
    result = run_sweep(diplomacy, grid_samples(diplomacy, base, [Vary("readiness", 0.1, 0.9, 5)]),
                       varied=["readiness"])

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", boom)
    with pytest.raises(KeyboardInterrupt):
        plot_line(result, tmp_path / "line.png")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(PlotError, match=".png or .svg"):
        plot_line(result, tmp_path / "line.pdf")


def test_block_sizes_do_not_change_results(diplomacy, stalin):
    base = resolve(diplomacy, stalin)
    samples = monte_carlo_samples(diplomacy, stalin, base, 1000, seed=5)
    assert sweep_module.BLOCK > 1000  # so the default solves the samples as one block
    a = run_sweep(diplomacy, samples)
    b = run_sweep(diplomacy, samples, block_size=37)
    assert np.array_equal(a.reach, b.reach)
    assert a.paths == b.paths


def test_facts_stated_above_a_terminal_count_as_in_compare(tmp_path):
    # A fact on an interior outcome holds for every terminal below it, unless a
    # terminal states the same fact itself (as policy compare reads them).
    text = GUESS.replace(
        '[nodes.seek_l]\nplayer = "Seeker"\n',
        '[nodes.seek_l]\nplayer = "Seeker"\npayoffs = { Hider = 0, Seeker = 0 }\nfacts = { hidden = "left" }\n',
    ).replace(
        '[nodes.ll]\n', '[nodes.ll]\nfacts = { hidden = "found" }\n'
    )
    game = loads_game(text, "guess.toml", known_claims=[])
    result = run_sweep(game, {"bonus": np.array([1.0])}, workers=1)
    # Hider left with 2/(bonus + 3) = 1/2, seeker left with 1/2: ll has 1/4, lr 1/4.
    facts = result.fact_probabilities()["hidden"]
    assert facts["found"][0] == pytest.approx(0.25)
    assert facts["left"][0] == pytest.approx(0.25)


# ---------------------------------------------------------------------------------
# Spliced campaigns: identical subtrees solved once
# ---------------------------------------------------------------------------------
STANDIN = Path(__file__).resolve().parent.parent / "benchmarks" / "standin" / "campaign.toml"


def load_standin(folder: Path):
    """The benchmark's stand-in campaign, read beside a copy of the bundled games."""
    import shutil

    from policy.campaign import load_campaign

    for game in games_dir().glob("*.toml"):
        shutil.copy(game, folder)
    shutil.copy(STANDIN, folder)
    return load_campaign(folder / STANDIN.name)


@pytest.mark.parametrize("leader", ["stalin", "tukhachevsky"])
def test_standin_campaign_sweep_is_the_same_with_and_without_shared_subtrees(tmp_path, leader):
    from policy.analysis.batch import BatchGame

    game = load_standin(tmp_path).game
    profile = load_leader(leader)
    samples = monte_carlo_samples(game, profile, resolve(game, profile), 3000, seed=7)
    merged = run_sweep(game, samples, block_size=1000, rows=True)
    assert BatchGame(game).classes.count < game.num_nodes / 10  # the sharing is real
    game._cache["batch"] = BatchGame(game, merge=False)  # what run_sweep solves with
    separate = run_sweep(game, samples, block_size=1000, rows=True)
    assert merged.path_shares() == separate.path_shares()
    assert merged.outcome_probabilities() == separate.outcome_probabilities()
    assert merged.choice_shares() == separate.choice_shares()
    assert np.array_equal(merged.reach, separate.reach)
    assert np.array_equal(merged.payoffs, separate.payoffs)
    assert np.array_equal(merged.tie, separate.tie)
    assert merged.paths == separate.paths


def packed_reference(rows):
    """The distinct rows as the sweep numbered them before: packed when they fit, else np.unique."""
    radix = int(rows.max(initial=0)) + 2
    if radix ** rows.shape[1] < 2**62:
        keys = (rows.astype(np.int64) + 1) @ (radix ** np.arange(rows.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return rows[first], np.ravel(inverse)
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    return unique, np.ravel(inverse)


@pytest.mark.parametrize("width", [1, 5, 30, 31, 40, 100, 700])
@pytest.mark.parametrize("actions", [1, 2, 4])
def test_distinct_paths_are_numbered_as_before_however_wide(width, actions):
    rng = np.random.default_rng(width * 10 + actions)
    base = rng.integers(-1, actions, (12, width)).astype(np.int16)
    same = rng.random(width) < 0.5  # columns equal in every row, as off-path nodes are
    base[:, same] = base[0, same]
    rows = base[rng.integers(0, len(base), 500)]
    unique, inverse = sweep_module._distinct_rows(np.ascontiguousarray(rows.T))
    expected_unique, expected_inverse = packed_reference(rows)
    assert np.array_equal(unique, expected_unique)
    assert np.array_equal(inverse, expected_inverse)
    assert np.array_equal(unique[inverse], rows)


@pytest.mark.parametrize("samples", [0, 1, 7])
def test_distinct_paths_of_wide_rows_all_alike(samples):
    rows = np.tile(np.arange(-1, 99, dtype=np.int16) % 3 - 1, (samples, 1))
    unique, inverse = sweep_module._distinct_rows(np.ascontiguousarray(rows.T))
    assert unique.shape == (min(samples, 1), 100) and np.array_equal(unique[inverse], rows)
    assert not inverse.any()


def test_big_game_keeps_facts_not_rows_and_the_summaries_agree(tmp_path):
    """Without per-sample rows (a big game's default) the outcome table, the facts
    and the CSV say what the full (samples, terminals) table says."""
    from policy.analysis.compare import terminal_facts
    from policy.render.sweep import sweep_csv

    game = load_standin(tmp_path).game
    assert len(game.terminals) > sweep_module.ROW_TERMINALS
    profile = load_leader("stalin")
    samples = monte_carlo_samples(game, profile, resolve(game, profile), 700, seed=3)
    full = run_sweep(game, samples, block_size=300, rows=True)
    slim = run_sweep(game, samples, block_size=256, rows=False)
    assert slim.rows is None
    # Left to itself, a big game keeps the rows of a small sweep only.
    assert sweep_module._keep_rows(game, 700, None) == (700 * len(game.terminals) <= sweep_module.ROW_CELLS)
    assert not sweep_module._keep_rows(game, sweep_module.ROW_CELLS, None)
    with pytest.raises(SweepError, match="kept no per-sample outcome probabilities"):
        slim.reach  # noqa: B018
    table = np.asarray(full.reach)
    assert table.shape == (700, len(game.terminals))
    assert slim.paths == full.paths and np.array_equal(slim.payoffs, full.payoffs)
    # The outcome table: means and intervals from the whole table, column by column.
    names = [game.node_names[t] for t in game.terminals.tolist()]
    outcomes = slim.outcome_probabilities()
    for name, triple in full.outcome_probabilities().items():
        assert outcomes[name] == pytest.approx(triple, abs=1e-12)
    for k in np.flatnonzero(table.any(axis=0)).tolist():
        col = table[:, k]
        half = sweep_module.Z95 * col.std(ddof=1) / np.sqrt(len(col))
        assert outcomes[names[k]] == pytest.approx((col.mean(), max(0, col.mean() - half), min(1, col.mean() + half)))
    # Each sample's facts: its terminals' probabilities added up by fact value.
    pairs, _ = sweep_module.fact_columns(game)
    expected = np.zeros((700, len(pairs)))
    for k, facts in enumerate(terminal_facts(game)):
        for key, value in facts.items():
            expected[:, pairs.index((key, value))] += table[:, k]
    assert np.allclose(slim.facts, expected, atol=1e-12)
    assert slim.fact_probabilities() == full.fact_probabilities()
    # The CSV lists the facts instead of the terminals.
    import csv

    header, first = list(csv.reader(sweep_csv([slim]).splitlines()))[:2]
    at = header.index("path") + 1
    assert header[at : at + len(pairs)] == [f"{k}={v}" for k, v in pairs]
    assert header[at + len(pairs)] == f"payoff_{next(iter(game.players))}"
    assert [float(x) for x in first[at : at + len(pairs)]] == slim.facts[0].tolist()


def test_outcome_rows_index_like_the_dense_table():
    rng = np.random.default_rng(5)
    dense = np.where(rng.random((9, 6)) < 0.4, rng.random((9, 6)), 0.0)
    sample, item = np.nonzero(dense)
    rows = sweep_module.OutcomeRows.of_pairs(9, sample, item, dense[sample, item], 6)
    assert np.array_equal(np.asarray(rows), dense)
    assert np.array_equal(rows[2:7], dense[2:7]) and np.array_equal(rows[3], dense[3])
    assert np.array_equal(rows[-1], dense[-1]) and np.array_equal(rows[:, 4], dense[:, 4])
    joined = sweep_module.OutcomeRows.joined([rows, rows], 6)
    assert np.array_equal(np.asarray(joined), np.vstack([dense, dense]))


def test_the_sweep_table_lists_the_likeliest_outcomes_told_apart_and_its_text_is_plain() -> None:
    """A new user's review: a campaign's sweep printed 1,395 outcome rows, many with the same
    label and nothing to tell them apart. The table lists the likeliest OUTCOMES_SHOWN, each
    shared label with its node, and the rest in one line; text from the game file is shown
    as written (a label in brackets was read as rich markup and vanished)."""
    from policy.loading import load
    from policy.render.sweep import OUTCOMES_SHOWN, sweep_table

    game = load(games_dir() / "ussr_1939_1941_stalin.toml")
    stalin = load_leader(games_dir() / "leaders" / "stalin.toml")
    drawn = monte_carlo_samples(game, stalin, resolve(game, stalin), 200, seed=1)
    result = run_sweep(game, drawn, method="spe", leader="stalin", jobs=1)
    text = sweep_table([result], width=200)
    block = text[text.index("Outcomes (mean"):text.index("Facts")]
    rows = [line for line in block.splitlines()[4:] if line.strip()]
    reached = [m for m in result.outcome_probabilities().values() if m[0] > 0]
    assert len(reached) > OUTCOMES_SHOWN + 1
    assert len(rows) == OUTCOMES_SHOWN + 1
    assert f"{len(reached) - OUTCOMES_SHOWN:,} other outcomes" in rows[-1]
    assert "Pact kept through 1942 (unready army) [barbarossa-" in block
    labels = [row.split("%")[-1].strip() for row in rows[:-1]]
    assert len(set(labels)) == len(labels)  # told apart
    plain = loads_game(
        '[game]\ntitle = "t"\nplayers = ["A"]\n[parameters.x]\ndescription = "x"\ndefault = "1/2"\nrange = [0, 1]\n'
        '[nodes.root]\nplayer = "A"\nactions = { l = "left", r = "right" }\n'
        '[nodes.left]\noutcome = "[red] wins"\npayoffs = { A = "x" }\n'
        '[nodes.right]\noutcome = "blue wins"\npayoffs = { A = "1 - x" }\n'
    )
    grid = run_sweep(plain, grid_samples(plain, resolve(plain, None), [parse_vary("x=0:1:5")]), varied=("x",))
    assert "[red] wins" in sweep_table([grid], width=120)
