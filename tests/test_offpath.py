"""Off the path: information sets an equilibrium never reaches are marked, not shown as chosen.

An equilibrium says nothing about behaviour at a set it reaches with
probability 0 unless a refinement makes it optimal there: lcp's centroid
(1/2-1/2, Gambit's choice) and a Nash threat are not choices. Tables, JSON
and drawings say ``unreached`` there unless the sequential check (or a
refinement it confirms) justifies the behaviour.
"""

from __future__ import annotations

import json
from fractions import Fraction

from policy.model import game_from_arrays
from policy.render.data import result_data
from policy.render.text import solve_table
from policy.render.tree import tree_dot, tree_view
from policy.solvers import solve
from tests.games import ENTRY_VALUES, entry_deterrence, kuhn_poker
from tests.test_sequential import entry_with_two_ways_in


def lines_of(table: str, name: str) -> list[str]:
    return [line for line in table.splitlines() if line.split() and line.split()[0] == name]


def test_unreached_sets_of_an_equilibrium():
    result = solve(entry_with_two_ways_in(), {}, method="enumpure", all_equilibria=True)
    by_entry = {eq.choice("start"): eq for eq in result.equilibria}
    assert by_entry["out"].unreached == {"entered"}
    assert by_entry["in1"].unreached == frozenset()


def test_float_unreached_uses_the_profile_tolerance():
    result = solve(entry_deterrence(), ENTRY_VALUES, method="enumpure", exact=False, all_equilibria=True)
    assert sorted(sorted(eq.unreached) for eq in result.equilibria) == [[], ["response"]]


def test_table_marks_the_lcp_filler_unreached_and_qpe_justified():
    lcp = solve_table(solve(kuhn_poker(), {}, method="lcp"), width=120, colour=False)
    (row,) = lines_of(lcp, "P1_K_cb")
    assert row.split()[-1] == "unreached" and "1/2" not in row
    assert "sequential: no (at P1_K_cb: P1 gains 3/2 by call whatever the beliefs (unreached))" in lcp
    qpe = solve_table(solve(kuhn_poker(), {}, method="qpe"), width=120, colour=False)
    row, *beliefs = lines_of(qpe, "P1_K_cb")
    assert row.split()[2:] == ["call", "(unreached;", "quasi-perfect)"]
    # The consistent beliefs there are listed too, marked unreached.
    assert beliefs and beliefs[0].split()[1] == "(unreached)"
    assert "sequential: yes" in qpe


def test_table_of_a_nash_threat():
    result = solve(entry_deterrence(), ENTRY_VALUES, method="enumpure", all_equilibria=True)
    table = solve_table(result, width=120, colour=False)
    assert [line.split()[-1] for line in lines_of(table, "response")] == ["accommodate", "unreached"]
    assert "sequential: no (at response: Incumbent gains 2 by accommodate)" in table


def test_json_reached_off_path_and_sequential():
    data = json.loads(json.dumps(result_data(solve(kuhn_poker(), {}, method="lcp"))))
    (eq,) = data["equilibria"]
    assert eq["reached"]["P1_K_cb"] is False and eq["reached"]["P1_K"] is True
    assert eq["off_path"] == {"P1_K_cb": None}
    assert eq["behavior"]["P1_K_cb"] == {"fold": "1/2", "call": "1/2"}  # the profile, kept
    assert eq["refinement"] is None
    assert eq["sequential"]["verdict"] == "no" and eq["sequential"]["infoset"] == "P1_K_cb"
    assert eq["sequential"]["beliefs"] == {}


def test_json_beliefs_off_the_path_when_sequential():
    # The entrant with two ways in (tests/test_sequential.py): where the
    # entrant stays out, the incumbent's threat to fight is unreached and no
    # belief makes it optimal, so nothing justifies it: off_path says null.
    result = solve(entry_with_two_ways_in(), {}, method="enumpure", all_equilibria=True)
    data = result_data(result)
    by_entry = {e["behavior"]["start"]["out"]: e for e in data["equilibria"]}
    threat = by_entry["1"]
    assert threat["off_path"] == {"entered": None}
    assert threat["sequential"]["verdict"] == "no"


def test_drawing_shows_no_probability_at_an_unjustified_unreached_set():
    game = kuhn_poker()
    lcp = tree_view(game, {}, solve(game, {}, method="lcp"))
    edges = [e for e in lcp.edges if lcp.node(e.tail).name in ("KJ_cb", "KQ_cb")]
    assert edges and all(e.probability is None and not e.chosen for e in edges)
    assert all(lcp.node(k).unreached for k in {e.tail for e in edges})
    assert "sequential: no" in lcp.caption
    assert "unreached" in tree_dot(lcp)
    qpe = tree_view(game, {}, solve(game, {}, method="qpe"))
    edges = [e for e in qpe.edges if qpe.node(e.tail).name in ("KJ_cb", "KQ_cb")]
    assert sorted({(e.action, e.probability) for e in edges}) == [("call", "1"), ("fold", "0")]
    assert not any(n.unreached for n in qpe.nodes)


def test_exact_reach_of_a_tiny_probability_is_reached():
    # An exact reach of 3**-700 is not 0, though as a float it would be.
    tiny = Fraction(1, 3**700)
    assert float(tiny) == 0
    game = game_from_arrays(
        "tiny", ["A", "B"], num_children=[2, 2, 0, 0, 0], kind=[1, 0, 2, 2, 2], player=[-1, 0, -1, -1, -1],
        payoffs=[[1, 0], [0, 1], [2, 2]], probabilities={0: [tiny, 1 - tiny]},  # A moves with chance tiny
    )
    (eq,) = solve(game, {}, method="spe").equilibria
    assert eq.unreached == frozenset()
