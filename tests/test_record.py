"""policy record: a record laid on a game or campaign and scored against a profile.

The campaign is tests/data/campaigns/two_stage.toml (worked by hand in
docs/game-format.md). In record_two_stage.toml the army strikes and loses,
France holds, and the USSR, under the old regime with half an army
(strength halved), stands firm. Firmness pays when Germany fights anyway and
(3 s - 2)/2 > -1/2, i.e. s > 1/3, i.e. the leader's strength > 2/3.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, line_of

from policy.analysis.record import RecordError, load_record, loads_record, score_record, trace
from policy.analysis.sweep import monte_carlo_samples
from policy.leaders import load_leader, resolve
from policy.loading import load
from policy.solvers import solve

DATA = Path(__file__).resolve().parent / "data" / "campaigns"
CAMPAIGN = DATA / "two_stage.toml"
RECORD = DATA / "record_two_stage.toml"
ALPHA = load_leader(DATA / "leaders" / "alpha.toml")
BETA = load_leader(DATA / "leaders" / "beta.toml")
F = Fraction


def score(leader=BETA, **options):
    game = load(CAMPAIGN)
    return score_record(game, load_record(RECORD), resolve(game, leader), leader, **options)


def direct_reproduction(game, values: dict[str, float]) -> bool:
    """Solve one sample on its own and follow the record by hand along the equilibrium."""
    eq = solve(game, values, method="spe", exact=False).equilibria[0]
    # The record: coup, (chance: lose), (chance: holds), firm. After a lost coup and
    # France holding, the crisis is the sixth instance (docs: instances are breadth-first).
    return eq.choice("coup.start") == "coup" and eq.choice("crisis-6.start") == "firm"


def test_monte_carlo_against_a_direct_monte_carlo() -> None:
    game = load(CAMPAIGN)
    values = resolve(game, BETA)
    n = 300
    drawn = monte_carlo_samples(game, BETA, values, n, seed=11)
    direct = [
        direct_reproduction(game, {k: float(v[s]) for k, v in drawn.items()}) for s in range(n)
    ]
    result = score(samples=n, seed=11, effects=False)
    assert result.joint_mc == pytest.approx(sum(direct) / n, abs=1e-12)
    assert result.by_stage_mc["crisis"] == pytest.approx(sum(direct) / n, abs=1e-12)
    assert result.by_stage_mc["coup"] == 1.0
    # And against the distribution itself: strength ~ triangular(1/2, 3/4, 1),
    # P(strength > 2/3) = 1 - (1/6)**2 / ((1/2) * (1/4)) = 7/9.
    big = score(samples=20000, seed=3, effects=False)
    assert big.joint_mc == pytest.approx(7 / 9, abs=4 * math.sqrt(7 / 9 * 2 / 9 / 20000))


def test_move_by_move_at_the_profile_values() -> None:
    beta = score(effects=False)
    assert beta.joint == 1 and beta.reproduced
    assert [m.probability for m in beta.moves] == [1, None, None, 1]
    assert beta.moves[3].nodes == ("crisis-6.start",)
    alpha = score(ALPHA, effects=False)
    # Alpha's strength is 1/4, halved to 1/8: the USSR yields.
    assert alpha.joint == 0 and not alpha.reproduced
    assert alpha.by_stage == {"coup": 1, "crisis": 0}
    assert alpha.moves[3].probability == 0 and alpha.moves[3].chosen == "yield"


def test_a_recorded_chance_move_of_probability_0_is_said(tmp_path: Path) -> None:
    # The record has the coup lost; at p_win = 1 a lost coup cannot happen. The players'
    # moves after it are still scored as if it had (given the recorded chance moves), and the
    # output says the record cannot happen there.
    game = load(CAMPAIGN)
    values = {**resolve(game, BETA), "p_win": F(1)}
    sure = score_record(game, load_record(RECORD), values, BETA, effects=False)
    assert [m.impossible for m in sure.moves] == [False, True, False, False]
    assert not any(m.impossible for m in score(effects=False).moves)
    code, out, _ = invoke("--no-color", "record", str(CAMPAIGN), str(RECORD), "--leader", str(DATA / "leaders" / "beta.toml"),
                          "--set", "p_win=1", "--samples", "0")
    text = " ".join(out.split())
    assert code == 0
    assert "has probability 0 at these values: the record cannot happen here" in text
    assert "given; probability 0 here" in text


def test_parameter_effects_by_hand(tmp_path: Path) -> None:
    # A record of loyalty, France falling, and yielding: the army stays loyal
    # only for p_win < 9/13 (docs), so under Alpha (p_win = 3/4) the nearest
    # reproducing value is 9/13, 3/52 of the range away.
    text = (
        '[[moves]]\nstage = "coup"\ninfoset = "start"\naction = "loyal"\n\n'
        '[[moves]]\nstage = "france"\nnode = "chance"\naction = "falls"\n\n'
        '[[moves]]\nstage = "crisis"\ninfoset = "start"\naction = "yield"\n'
    )
    path = tmp_path / "loyal.toml"
    path.write_text(text, encoding="utf-8")
    game = load(CAMPAIGN)
    result = score_record(game, load_record(path), resolve(game, ALPHA), ALPHA)
    assert result.joint == 0
    effect = {e.name: e for e in result.effects}
    assert effect["p_win"].nearest == pytest.approx(9 / 13, abs=1e-6)
    assert effect["p_win"].distance == pytest.approx(3 / 4 - 9 / 13, abs=1e-6)
    assert effect["p_win"].share == pytest.approx(70 / 101)  # grid points 0, 0.01, ..., 0.69
    assert effect["strength"].nearest is None and effect["strength"].share == 0
    assert result.effects[0].name == "p_win"  # the one that moves the probability most


def test_quantal_likelihood_by_hand() -> None:
    # The crisis alone (a plain game), record: firm, then war. Agent logit QRE
    # at lambda: Germany fights with exp(l*u_war) / (exp(l*u_war) + exp(l*u_back));
    # the USSR is firm with the logit of its expected values given that.
    game = load(DATA / "crisis.toml")
    record = loads_record(
        '[[moves]]\ninfoset = "start"\naction = "firm"\n\n[[moves]]\ninfoset = "reply"\naction = "war"\n'
    )
    values = resolve(game, overrides={"strength": F(1, 4)})  # free 0
    lam = 1.5
    war, back = 1 - 4 * 0.25, -1.0
    p_war = math.exp(lam * war) / (math.exp(lam * war) + math.exp(lam * back))
    firm = p_war * (3 * 0.25 - 2) + (1 - p_war) * 1
    p_firm = math.exp(lam * firm) / (math.exp(lam * firm) + math.exp(lam * -1))
    result = score_record(game, record, values, method="spe", lam=lam, effects=False)
    assert result.quantal is not None
    assert result.quantal.likelihood == pytest.approx(p_firm * p_war, rel=1e-6)
    # The equilibrium: Germany would fight (0 > -1), so the USSR yields (-5/4 < -1).
    assert result.joint == 0 and result.moves[0].chosen == "yield"


def test_fitted_lambda_is_the_most_likely() -> None:
    game = load(DATA / "crisis.toml")
    record = loads_record(
        '[[moves]]\ninfoset = "start"\naction = "firm"\n\n[[moves]]\ninfoset = "reply"\naction = "war"\n'
    )
    values = resolve(game, overrides={"strength": F(1, 4)})
    fitted = score_record(game, record, values, lam="fit", effects=False).quantal
    assert fitted is not None and fitted.fitted
    for other in (fitted.lam / 3, fitted.lam * 3):
        given = score_record(game, record, values, lam=other, effects=False).quantal
        assert given is not None and given.likelihood <= fitted.likelihood + 1e-9


BAD = {
    "stage": ('stage = "crisis"', 'stage = "crises"', 'stage = "crises"', "moves[3].stage: no stage 'crises'"),
    "infoset": ('infoset = "start"\naction = "firm"', 'infoset = "begin"\naction = "firm"', 'infoset = "begin"',
                "moves[3].infoset: stage 'crisis' has no information set 'begin'"),
    "action": ('action = "firm"', 'action = "bluff"', 'action = "bluff"', "moves[3].action: no action 'bluff'"),
    "node": ('node = "draw"', 'node = "won"', 'node = "won"', "'won' is a terminal of stage 'coup'"),
}
ORDER = (
    '[[moves]]\nstage = "crisis"\ninfoset = "start"\naction = "firm"\n\n'
    '[[moves]]\nstage = "coup"\ninfoset = "start"\naction = "coup"\n'
)


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_record_gives_one_located_error(tmp_path: Path, case: str) -> None:
    old, new, needle, message = BAD[case]
    text = RECORD.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "record.toml"
    path.write_text(text, encoding="utf-8")
    game = load(CAMPAIGN)
    with pytest.raises(RecordError) as info:
        trace(game, load_record(path))
    assert message in str(info.value)
    assert info.value.line == line_of(text, needle)
    code, out, err = invoke("record", str(CAMPAIGN), str(path))
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith(f"Error: {path}:")


def test_record_command(tmp_path: Path) -> None:
    code, out, _ = invoke("record", str(CAMPAIGN), str(RECORD), "--leader", str(DATA / "leaders" / "beta.toml"),
                          "--samples", "500", "--lambda", "2")
    assert code == 0
    assert "crisis.start [crisis-6.start]" in out and "Logit QRE at lambda 2" in out
    assert "given the recorded chance moves" in " ".join(out.split())
    code, out, _ = invoke("record", str(CAMPAIGN), str(RECORD), "--format", "json", "--no-parameters")
    assert code == 0
    import json

    data = json.loads(out)
    assert data["joint"] == "0" and data["by_stage"] == {"coup": "1", "crisis": "0"}
    assert data["moves"][3]["equilibrium_choice"] == "yield"
    code, _, err = invoke("record", str(CAMPAIGN), str(RECORD), "--lambda", "much")
    assert code == 2 and "--lambda" in err


def test_moves_out_of_order(tmp_path: Path) -> None:
    path = tmp_path / "order.toml"
    path.write_text(ORDER, encoding="utf-8")
    with pytest.raises(RecordError, match="coup.start cannot be reached after crisis.start=firm") as info:
        trace(load(CAMPAIGN), load_record(path))
    assert info.value.line == line_of(ORDER, "[[moves]]", 2)


def test_a_plain_game_record() -> None:
    game = load(DATA / "crisis.toml")
    record = loads_record('[[moves]]\nnode = "reply"\naction = "back"\n')
    result = score_record(game, record, resolve(game, overrides={"strength": F(3, 4)}), effects=False)
    # Strength 3/4, free 0: war is worth -2 to Germany, so it backs down.
    assert result.joint == 1 and result.moves[0].nodes == ("reply",)


def test_validate_checks_a_record_against_the_game_named_with_it(tmp_path: Path) -> None:
    # Named together, the record's moves are laid on its game (record.game, relative to it).
    code, out, err = invoke("validate", str(CAMPAIGN), str(RECORD))
    assert code == 0 and err == ""
    assert f"ok {RECORD}: record 'A lost coup, then firmness': 4 moves, each found in {CAMPAIGN}" in out
    # Alone, it is read and its claims checked, but its game is not opened unasked.
    code, out, _ = invoke("validate", str(RECORD))
    assert code == 0 and "its moves were not laid on two_stage.toml" in out
    # A move the game lacks is a located error once the game is named too.
    text = RECORD.read_text(encoding="utf-8").replace('action = "holds"', 'action = "stands"', 1)
    import shutil

    shutil.copytree(DATA, tmp_path / "c")
    bad = tmp_path / "c" / "record.toml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = invoke("validate", str(tmp_path / "c" / "two_stage.toml"), str(bad))
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"Error: {bad}:")
    assert "stands" in err


def test_validate_rejects_a_record_citing_an_unknown_claim(tmp_path: Path) -> None:
    text = RECORD.read_text(encoding="utf-8").replace(
        'action = "lose"', 'action = "lose"\nsources = ["no-such-claim"]', 1)
    bad = tmp_path / "record.toml"
    bad.write_text(text, encoding="utf-8")
    code, _, err = invoke("validate", str(bad))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"Error: {bad}:{line_of(text, 'no-such-claim')}: moves[1].sources: unknown claim 'no-such-claim'")


def test_validate_the_bundled_record_with_its_branch() -> None:
    games = Path(__file__).resolve().parent.parent / "games"
    record = games / "records" / "history_1937_1941.toml"
    code, out, err = invoke("validate", str(games / "ussr_1939_1941_stalin.toml"), str(record))
    assert code == 0 and err == "" and "moves, each found in" in out


def test_a_record_is_scored_only_against_the_game_it_names() -> None:
    """A record naming its game (record.game) given with another file stops before that file is read.

    Review 5 (finding 7): the bundled record, of the Stalin branch, given with the
    whole campaign ran for minutes before anything was said.
    """
    other = DATA / "crisis.toml"
    code, _, err = invoke("record", str(other), str(RECORD))
    assert code == 1
    line = line_of(RECORD.read_text(encoding="utf-8"), "game =")
    assert f"{RECORD}:{line}: record.game: this record is of two_stage.toml" in err
    assert len(err.strip().splitlines()) == 1
    from policy import api

    with pytest.raises(RecordError, match="another file"):
        api.record(load(other), RECORD)
    # The game it names, by another spelling of its path, is accepted.
    assert api.record(str(DATA / ".." / "campaigns" / "two_stage.toml"), RECORD, effects=False).moves


def test_the_draws_selection_is_said_on_a_game_with_subgames_of_imperfect_information(tmp_path: Path) -> None:
    """Review 5 (finding 1): the point is exact, the draws in floats; where they may select
    different equilibria the output says so. With spe they no longer do (qpe in each
    two-player subgame in both arithmetics: tests/test_qpe_float.py), so it is not said;
    nor with auto, which takes qpe for a two-player game in floats as exactly (user30,
    finding 8b: the note said lcp in floats). With lcp it is said, naming lcp. Not said
    on a game of perfect information (both are backward induction)."""
    games = Path(__file__).resolve().parent.parent / "games"
    path = tmp_path / "record.toml"
    path.write_text('[[moves]]\ninfoset = "plan"\naction = "attack_1941"\n', encoding="utf-8")
    code, out, _ = invoke("record", str(games / "barbarossa_1941.toml"), str(path), "-l", "stalin", "--method", "spe",
                          "--samples", "4", "--no-parameters")
    assert code == 0, out
    assert "may count different ones" not in " ".join(out.split())
    code, out, _ = invoke("record", str(games / "barbarossa_1941.toml"), str(path), "-l", "stalin",
                          "--samples", "4", "--no-parameters")
    assert code == 0, out
    assert "may count different ones" not in " ".join(out.split())
    code, out, _ = invoke("record", str(games / "barbarossa_1941.toml"), str(path), "-l", "stalin", "--method", "lcp",
                          "--samples", "4", "--no-parameters")
    assert code == 0, out
    said = " ".join(out.split())
    assert "the point above exactly (method lcp)" in said and "may count different ones" in said
    assert "qpe exactly" not in said
    code, out, _ = invoke("record", str(CAMPAIGN), str(RECORD), "-l", str(DATA / "leaders" / "beta.toml"),
                          "--samples", "4", "--no-parameters")
    # Not said; the output names the files, whose paths may hold "lcp" themselves.
    for named in (CAMPAIGN, RECORD, DATA / "leaders" / "beta.toml"):
        out = out.replace(str(named), "")
    assert code == 0 and "lcp" not in out


# A three-player game whose one subgame of imperfect information has two movers:
# auto chooses spe there, so the record's draws go to the batch solver.
THREE = """
[game]
title = "An ally, then a standoff"
players = ["Ally", "USSR", "Germany"]

[parameters.strength]
description = "The USSR's strength"
default = "1/2"
range = [0, 1]

[nodes.root]
player = "Ally"
actions = { join = "j", stay = "s" }

[nodes.j]
payoffs = { Ally = "-1/2", USSR = 1, Germany = -1 }

[nodes.s]
player = "USSR"
actions = { firm = "sf", yield = "sy" }

[nodes.sf]
player = "Germany"
infoset = "guess"
actions = { war = "sfw", back = "sfb" }

[nodes.sy]
player = "Germany"
infoset = "guess"
actions = { war = "syw", back = "syb" }

# A standoff with one equilibrium, mixed: the USSR firm with probability
# 1/(1 + strength), Germany at war with 1/2. The ally stays when strength > 1/2.
[nodes.sfw]
payoffs = { Ally = "strength - 1", USSR = -2, Germany = "strength" }

[nodes.sfb]
payoffs = { Ally = "strength - 1", USSR = 1, Germany = 0 }

[nodes.syw]
payoffs = { Ally = "strength - 1", USSR = -1, Germany = -1 }

[nodes.syb]
payoffs = { Ally = "strength - 1", USSR = 0, Germany = 0 }
"""

THREE_RECORD = """
[[moves]]
infoset = "root"
action = "stay"

[[moves]]
infoset = "s"
action = "firm"
"""

THREE_LEADER = """
[leader]
name = "Gamma"
[values.strength]
value = "3/5"
range = ["1/5", 1]
note = "judgement: a test value"
"""


def _three(tmp_path: Path):
    (tmp_path / "three.toml").write_text(THREE, encoding="utf-8")
    (tmp_path / "rec.toml").write_text(THREE_RECORD, encoding="utf-8")
    (tmp_path / "gamma.toml").write_text(THREE_LEADER, encoding="utf-8")
    game = load(tmp_path / "three.toml")
    leader = load_leader(tmp_path / "gamma.toml")
    return game, load_record(tmp_path / "rec.toml"), leader


def test_auto_scores_draws_with_the_batch_solver_where_it_chooses_spe(tmp_path: Path) -> None:
    """auto on a game with imperfect information where solve's auto takes spe: the draws go
    to the batch solver, as --method spe does, and give what spe one sample at a time gives
    (they were solved one by one before, hundreds of times slower on the bundled campaign)."""
    from policy.analysis.record import _SampleSolver
    from policy.analysis.sweep import batchable
    from policy.solvers import choose_method

    game, rec, leader = _three(tmp_path)
    assert not game.is_perfect_information and choose_method(game, exact=False) == "spe"
    assert batchable(game, "auto") and batchable(game, "spe")
    assert _SampleSolver(trace(game, rec), "auto").batch is not None
    values = resolve(game, leader)
    n = 200
    auto = score_record(game, rec, values, leader, samples=n, seed=5, effects=False)
    spe = score_record(game, rec, values, leader, method="spe", samples=n, seed=5, effects=False)
    assert auto.joint_mc == spe.joint_mc
    drawn = monte_carlo_samples(game, leader, values, n, seed=5)
    direct = 0.0
    for s in range(n):
        eq = solve(game, {k: float(v[s]) for k, v in drawn.items()}, method="spe", exact=False).equilibria[0]
        if eq.choice("root") == "stay":
            direct += eq.behavior["s"]["firm"]
    assert auto.joint_mc == pytest.approx(direct / n, abs=1e-9)
    by_hand = sum(1 / (1 + float(x)) for x in drawn["strength"] if x > 0.5) / n
    assert auto.joint_mc == pytest.approx(by_hand, abs=1e-9)
    assert 0 < auto.joint_mc < 1


def test_draws_in_blocks_and_workers_give_the_one_block_answer(tmp_path: Path, monkeypatch) -> None:
    """The draws are scored block by block (memory stays a block's), in two worker processes
    when asked: the same numbers as all draws in one batch, bit for bit."""
    import numpy as np

    import policy.analysis.record as record_module
    import policy.analysis.sweep as sweep_module
    from policy.analysis.record import _SampleSolver, _scores

    game = load(CAMPAIGN)
    values = resolve(game, BETA)
    rec = load_record(RECORD)
    n = 1000
    drawn = monte_carlo_samples(game, BETA, values, n, seed=2)
    solver = _SampleSolver(trace(game, rec), "spe")
    whole = _scores(solver.t, solver.edges(drawn, n))
    monkeypatch.setattr(sweep_module, "BLOCK", 256)  # four blocks of this game
    real = record_module._start_worker

    def start(*args):  # runs in each worker: say which process it is
        (tmp_path / f"worker-{os.getpid()}").touch()
        real(*args)

    monkeypatch.setattr(record_module, "_start_worker", start)
    for jobs in (1, 2):
        joint, stages, per_move = solver.scores(drawn, n, jobs)
        assert np.array_equal(joint, whole[0])
        assert stages.keys() == whole[1].keys()
        assert all(np.array_equal(stages[s], whole[1][s]) for s in stages)
        assert all((a is None and b is None) or np.array_equal(a, b) for a, b in zip(per_move, whole[2], strict=True))
    assert solver.scores(drawn, n, 2, joint_only=True)[0].tolist() == whole[0].tolist()
    # Two worker processes really ran, neither of them this one.
    pids = {int(f.name.split("-")[1]) for f in tmp_path.glob("worker-*")}
    assert len(pids) >= 2 and os.getpid() not in pids
    result = score_record(game, rec, values, BETA, samples=n, seed=2, effects=True, jobs=2)
    alone = score_record(game, rec, values, BETA, samples=n, seed=2, effects=True, jobs=1)
    assert result.joint_mc == alone.joint_mc and result.effects == alone.effects


def test_record_command_takes_jobs(tmp_path: Path) -> None:
    code, out, _ = invoke("record", str(CAMPAIGN), str(RECORD), "-l", str(DATA / "leaders" / "beta.toml"),
                          "--samples", "300", "--seed", "1", "--jobs", "2", "--format", "json")
    assert code == 0, out
    code1, out1, _ = invoke("record", str(CAMPAIGN), str(RECORD), "-l", str(DATA / "leaders" / "beta.toml"),
                            "--samples", "300", "--seed", "1", "--format", "json")
    assert code1 == 0 and out1 == out


def test_monte_carlo_means_come_with_their_95_percent_interval(tmp_path: Path) -> None:
    """A new user's review: record printed its Monte Carlo means bare, so 0.26 against 0.18
    over 100 draws looked like a difference. Each mean now has its interval, computed here
    from the draws directly (mean +- 1.96 standard errors, clipped to [0, 1])."""
    import numpy as np

    from policy.analysis.record import _SampleSolver
    from policy.render.record import record_data, record_table

    game, rec, leader = _three(tmp_path)
    values = resolve(game, leader)
    n = 400
    result = score_record(game, rec, values, leader, samples=n, seed=7, effects=False)
    drawn = monte_carlo_samples(game, leader, values, n, seed=7)
    joint = _SampleSolver(trace(game, rec), "spe").scores(drawn, n)[0]
    half = 1.959963984540054 * float(np.std(joint, ddof=1)) / math.sqrt(n)
    low, high = result.intervals_mc[""]
    assert low == pytest.approx(max(0.0, joint.mean() - half), abs=1e-12)
    assert high == pytest.approx(min(1.0, joint.mean() + half), abs=1e-12)
    assert low < result.joint_mc < high
    data = record_data(result)["monte_carlo"]
    assert data["joint_interval"] == [low, high]
    text = record_table(result, width=100, colour=False)
    assert "95% interval" in text and f"{100 * low:.1f}% to {100 * high:.1f}%" in text


def test_long_parameter_names_are_shown_whole_and_noise_is_no_spread() -> None:
    from policy.analysis.record import _spread
    from policy.render.record import record_table

    assert _spread(np.array([0.3, 0.3 + 3.3e-16])) == 0.0
    assert _spread(np.array([0.3, 0.5])) == pytest.approx(0.2)
    result = score(samples=0, effects=True)
    long = "a_parameter_with_a_rather_long_name_1941"
    renamed = replace(result, effects=tuple(replace(e, name=long) for e in result.effects[:1]))
    text = record_table(renamed, width=80, colour=False)
    assert long in text
