"""Reading game files: every validation rule of docs/game-format.md, and good files.

Each bad file is a small edit of a good one. The error must name the file, the
line where the problem is written (computed here from the text), the key path,
and say what is wrong.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from policy.gamefile import GameFileError, dump_game, find_line, load_game, loads_game
from policy.model import GameError
from policy.solvers import solve
from tests.conftest import doc_example, line_of

ENTRY = """\
[game]
title = "Entry"
players = ["Entrant", "Incumbent"]

[parameters.cost]
description = "What a price war costs each side"
default = 1
range = [0, 5]

[nodes.entry]
player = "Entrant"
actions = { enter = "response", stay_out = "out" }

[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }

[nodes.out]
payoffs = { Entrant = 0, Incumbent = 2 }

[nodes.war]
payoffs = { Entrant = "-cost", Incumbent = "-cost" }

[nodes.shared]
payoffs = { Entrant = 1, Incumbent = 1 }
"""

RESPONSE = """\
[nodes.response]
player = "Incumbent"
actions = { fight = "war", accommodate = "shared" }
"""

# Player A moves, then B moves without seeing A's move (one information set).
GUESS = """\
[game]
title = "Guess"
players = ["A", "B"]

[nodes.root]
player = "A"
actions = { l = "x", r = "y" }

[nodes.x]
player = "B"
infoset = "guess"
actions = { u = "t1", d = "t2" }

[nodes.y]
player = "B"
infoset = "guess"
actions = { u = "t3", d = "t4" }

[nodes.t1]
payoffs = { A = 1, B = 0 }

[nodes.t2]
payoffs = { A = 0, B = 1 }

[nodes.t3]
payoffs = { A = 0, B = 1 }

[nodes.t4]
payoffs = { A = 1, B = 0 }
"""

ORPHAN = """
[nodes.orphan]
payoffs = { Entrant = 0, Incumbent = 0 }
"""

LOOP = """
[nodes.a]
player = "Entrant"
actions = { x = "b" }

[nodes.b]
player = "Incumbent"
actions = { y = "a" }
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def as_chance(probabilities: str) -> str:
    """ENTRY with the incumbent's move replaced by a chance move."""
    return edit(
        ENTRY,
        RESPONSE,
        "[nodes.response]\nchance = true\n"
        'actions = { fight = "war", accommodate = "shared" }\n'
        f"probabilities = {probabilities}\n",
    )


# (text, key path, (needle, occurrence) locating the line, phrase of the message)
BAD_FILES = {
    "unknown-child": (
        edit(ENTRY, 'accommodate = "shared"', 'accommodate = "sharde"'),
        "nodes.response.actions.accommodate", ('accommodate = "sharde"', 1), "unknown node 'sharde'",
    ),
    "unknown-player-at-decision": (
        edit(ENTRY, 'player = "Incumbent"', 'player = "Incumbant"'),
        "nodes.response.player", ('"Incumbant"', 1), "unknown player 'Incumbant'",
    ),
    "unknown-player-in-payoffs": (
        edit(ENTRY, "{ Entrant = 1, Incumbent = 1 }", "{ Entrant = 1, Incumbent = 1, Regulator = 0 }"),
        "nodes.shared.payoffs.Regulator", ("Regulator", 1), "unknown player 'Regulator'",
    ),
    "unknown-parameter": (
        edit(ENTRY, 'Entrant = "-cost"', 'Entrant = "-costs"'),
        "nodes.war.payoffs.Entrant", ('"-costs"', 1), "unknown parameter 'costs'",
    ),
    "cycle": (
        ENTRY + LOOP,
        "nodes.a", ("[nodes.a]", 1), "cycle",
    ),
    "cycle-through-named-root": (
        edit(edit(ENTRY, 'players = ["Entrant", "Incumbent"]',
                  'players = ["Entrant", "Incumbent"]\nroot = "entry"'),
             'accommodate = "shared"', 'accommodate = "entry"'),
        "game.root", ('root = "entry"', 1), "cycle",
    ),
    "cycle-without-root": (
        edit(ENTRY, 'accommodate = "shared"', 'accommodate = "entry"').replace(
            "[nodes.shared]\npayoffs = { Entrant = 1, Incumbent = 1 }\n", ""),
        "nodes.entry", ("[nodes.entry]", 1), "cycle",
    ),
    "two-parents": (
        edit(ENTRY, 'stay_out = "out"', 'stay_out = "war"'),
        "nodes.response.actions.fight", ('fight = "war"', 1), "has two parents",
    ),
    "unreachable": (
        edit(ENTRY, 'players = ["Entrant", "Incumbent"]',
             'players = ["Entrant", "Incumbent"]\nroot = "entry"') + ORPHAN,
        "nodes.orphan", ("[nodes.orphan]", 1), "cannot be reached from the root 'entry'",
    ),
    "two-roots": (
        ENTRY + ORPHAN,
        "game.root", ("[game]", 1), "2 root candidates",
    ),
    "terminal-missing-a-payoff": (
        edit(ENTRY, "{ Entrant = 1, Incumbent = 1 }", "{ Entrant = 1 }"),
        "nodes.shared.payoffs", ("{ Entrant = 1 }", 1), "no payoff for Incumbent",
    ),
    "terminal-without-payoffs": (
        edit(ENTRY, "payoffs = { Entrant = 1, Incumbent = 1 }", 'outcome = "Shared market"'),
        "nodes.shared.payoffs", ("[nodes.shared]", 1), "a terminal node needs a payoff",
    ),
    "chance-probability-above-1": (
        as_chance('{ fight = "3/2", accommodate = "-1/2" }'),
        "nodes.response.probabilities.fight", ("probabilities =", 1), "3/2 is outside [0, 1]",
    ),
    "chance-probability-negative": (
        as_chance('{ fight = 1, accommodate = -0.25 }'),
        "nodes.response.probabilities.accommodate", ("probabilities =", 1),
        "-1/4 is outside [0, 1]",
    ),
    "chance-probabilities-sum": (
        as_chance('{ fight = "1/2", accommodate = 0.3 }'),
        "nodes.response.probabilities", ("probabilities =", 1), "sum to 4/5, not 1",
    ),
    "infoset-mixes-players": (
        edit(GUESS, 'player = "B"\ninfoset = "guess"\nactions = { u = "t3"',
             'player = "A"\ninfoset = "guess"\nactions = { u = "t3"'),
        "nodes.y.infoset", ('infoset = "guess"', 2), "mixes players",
    ),
    "infoset-differs-in-actions": (
        edit(GUESS, '{ u = "t3", d = "t4" }', '{ u = "t3", down = "t4" }'),
        "nodes.y.actions", ('down = "t4"', 1), "has actions",
    ),
    "imperfect-recall": (
        GUESS.replace('player = "B"', 'player = "A"'),
        "nodes.y.infoset", ('infoset = "guess"', 2), "imperfect recall",
    ),
    "unknown-key-in-node": (
        edit(ENTRY, "[nodes.war]\n", '[nodes.war]\ncolour = "red"\n'),
        "nodes.war.colour", ("colour", 1), "unknown key 'colour'",
    ),
    "unknown-key-in-game": (
        edit(ENTRY, 'title = "Entry"', 'title = "Entry"\nauthor = "me"'),
        "game.author", ("author", 1), "unknown key 'author'",
    ),
    "unknown-key-in-parameter": (
        edit(ENTRY, "default = 1", "default = 1\nunit = \"roubles\""),
        "parameters.cost.unit", ("unit =", 1), "unknown key 'unit'",
    ),
    "unknown-table": (
        ENTRY + '\n[extras]\nnote = "x"\n',
        "extras", ("[extras]", 1), "unknown table",
    ),
    "default-outside-range": (
        edit(ENTRY, "default = 1", "default = 7"),
        "parameters.cost.default", ("default = 7", 1), "outside the range [0, 5]",
    ),
    "range-reversed": (
        edit(ENTRY, "range = [0, 5]", "range = [5, 0]"),
        "parameters.cost.range", ("range = [5, 0]", 1), "above high",
    ),
    "bad-expression": (
        edit(ENTRY, 'Incumbent = "-cost"', 'Incumbent = "cost.real"'),
        "nodes.war.payoffs.Incumbent", ('"cost.real"', 1), "not allowed",
    ),
    "decision-without-actions": (
        edit(ENTRY, 'player = "Incumbent"\nactions = { fight = "war", accommodate = "shared" }',
             'player = "Incumbent"'),
        "nodes.response.actions", ("[nodes.response]", 1), "needs actions",
    ),
    "facts-not-a-table": (
        edit(ENTRY, "[nodes.war]\n", '[nodes.war]\nfacts = "war"\n'),
        "nodes.war.facts", ('facts = "war"', 1), "must be a table",
    ),
    "fact-value-not-a-string": (
        edit(ENTRY, "[nodes.war]\n", "[nodes.war]\nfacts = { war = true }\n"),
        "nodes.war.facts.war", ("facts = { war = true }", 1), "must be a string",
    ),
    "facts-without-payoffs": (
        edit(ENTRY, RESPONSE, RESPONSE + 'facts = { war = "maybe" }\n'),
        "nodes.response.facts", ('facts = { war = "maybe" }', 1), "needs payoffs",
    ),
    "missing-title": (
        edit(ENTRY, 'title = "Entry"\n', ""),
        "game.title", ("[game]", 1), "missing",
    ),
}


@pytest.mark.parametrize(
    ("text", "path", "needle", "phrase"), list(BAD_FILES.values()), ids=list(BAD_FILES)
)
def test_bad_file_is_refused_with_file_line_path_and_message(
    write_game, text, path, needle, phrase
):
    file = write_game(text, "crisis.toml")
    line = line_of(text, *needle)
    with pytest.raises(GameFileError) as info:
        load_game(file, known_claims=["c1"])
    err = info.value
    assert (err.file, err.line, err.path) == (str(file), line, path)
    assert str(err).startswith(f"{file}:{line}: {path}: ")
    assert phrase in str(err)
    assert "\n" not in str(err)


CLAIM_PLACES = {
    "game": ('title = "Entry"\n', "game.sources"),
    "parameter": ("range = [0, 5]\n", "parameters.cost.sources"),
    "node": ("[nodes.war]\n", "nodes.war.sources"),
}


@pytest.mark.parametrize(("after", "path"), list(CLAIM_PLACES.values()), ids=list(CLAIM_PLACES))
def test_unknown_claim_id_is_refused(write_game, after, path):
    text = edit(ENTRY, after, after + 'sources = ["c1", "purge-scale"]\n')
    file = write_game(text)
    with pytest.raises(GameFileError) as info:
        load_game(file, known_claims=["c1"])
    line = line_of(text, "purge-scale")
    assert str(info.value).startswith(f"{file}:{line}: {path}: ")
    assert "unknown claim 'purge-scale'" in str(info.value)
    # The same file is fine once the claim is known.
    game = load_game(file, known_claims=["c1", "purge-scale"])
    assert game.nodes["war"].is_terminal


def test_duplicate_node_table_is_refused_with_line(write_game):
    text = ENTRY + "\n[nodes.out]\npayoffs = { Entrant = 5, Incumbent = 5 }\n"
    file = write_game(text)
    with pytest.raises(GameFileError) as info:
        load_game(file, known_claims=["c1"])
    line = line_of(text, "[nodes.out]", 2)
    assert info.value.line == line
    assert str(info.value).startswith(f"{file}:{line}: ")
    assert "not valid TOML" in str(info.value)
    assert "'out'" in str(info.value)


def test_duplicate_action_label_is_refused_with_line(write_game):
    text = edit(ENTRY, 'stay_out = "out"', 'enter = "out"')
    file = write_game(text)
    with pytest.raises(GameFileError) as info:
        load_game(file, known_claims=["c1"])
    assert info.value.line == line_of(text, 'enter = "out"')
    assert "not valid TOML" in str(info.value)


def test_invalid_toml_is_refused_with_line(write_game):
    text = edit(ENTRY, 'stay_out = "out" }', "stay_out = }")
    file = write_game(text)
    with pytest.raises(GameFileError) as info:
        load_game(file, known_claims=["c1"])
    line = line_of(text, "stay_out = }")
    assert str(info.value).startswith(f"{file}:{line}: not valid TOML")


def test_missing_file_is_a_game_file_error(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(GameFileError, match="cannot read") as info:
        load_game(missing, known_claims=[])
    assert str(missing) in str(info.value)


# -- probabilities that depend on parameters: checked at the values in use -----------------
SYMBOLIC_CHANCE = {
    "outside-range": ('{ fight = "cost", accommodate = "1 - cost" }', Fraction(2),
                      "nodes.response.probabilities.fight",
                      "probability of 'fight' is 2, outside [0, 1]",
                      "probability of 'fight' is 2, outside [0, 1]"),
    "sum-not-one": ('{ fight = "cost", accommodate = "cost" }', Fraction(1, 4),
                    "nodes.response.probabilities", "sum to 1/2, not 1", "sum to 0.5, not 1"),
}


@pytest.mark.parametrize(
    ("probabilities", "cost", "path", "exact_phrase", "float_phrase"),
    list(SYMBOLIC_CHANCE.values()), ids=list(SYMBOLIC_CHANCE),
)
def test_symbolic_probabilities_are_checked_at_the_values_in_use(
    write_game, probabilities, cost, path, exact_phrase, float_phrase
):
    game = load_game(write_game(as_chance(probabilities)), known_claims=["c1"])  # loads fine
    fine = game.numbers({"cost": Fraction(1, 2)})
    assert fine.edge_prob[game.nodes["war"].index] == Fraction(1, 2)
    for exact, phrase in ((True, exact_phrase), (False, float_phrase)):
        with pytest.raises(GameError) as info:
            game.numbers({"cost": cost}, exact=exact)
        assert info.value.path == path
        assert phrase in str(info.value)
        with pytest.raises(GameError) as info:
            solve(game, {"cost": cost}, exact=exact)
        assert str(info.value).startswith(f"{path}: ")


# -- good files ---------------------------------------------------------------------
def test_documented_example_loads_and_solves(write_game):
    game = load_game(write_game(doc_example(), "entry.toml"), known_claims=[])
    assert game.title == "Entry deterrence"
    assert list(game.players) == ["Entrant", "Incumbent"]
    assert game.parameters["fight_cost"].default == 1
    assert game.parameters["fight_cost"].range == (0, 5)
    assert game.nodes["out"].outcome.label == "Entrant stays out"
    result = solve(game, {"fight_cost": game.parameters["fight_cost"].default})
    (eq,) = result.equilibria
    assert result.unique
    assert eq.choice("entry") == "enter"
    assert eq.choice("response") == "accommodate"
    assert eq.payoffs == {"Entrant": 1, "Incumbent": 1}
    assert eq.outcomes == {"out": 0, "war": 0, "shared": 1}


def test_decimals_are_read_exactly(write_game):
    text = edit(ENTRY, "default = 1", "default = 0.6")
    game = load_game(write_game(text), known_claims=[])
    assert game.parameters["cost"].default == Fraction(3, 5)


def test_interior_payoffs_are_added_to_terminals_below(write_game):
    text = edit(ENTRY, RESPONSE, RESPONSE + "payoffs = { Entrant = 10, Incumbent = 100 }\n")
    game = load_game(write_game(text), known_claims=[])
    numbers = game.numbers({"cost": 1})
    by_name = {game.node_names[t]: list(v) for t, v in zip(game.terminals, numbers.leaf_payoff,
                                                            strict=True)}
    assert by_name == {"out": [0, 2], "war": [9, 99], "shared": [11, 101]}


def test_loads_game_names_the_given_file_in_errors():
    with pytest.raises(GameFileError) as info:
        loads_game(edit(ENTRY, 'player = "Incumbent"', 'player = "X"'), "inline.toml",
                   known_claims=[])
    line = line_of(ENTRY, 'player = "Incumbent"')
    assert str(info.value).startswith(f"inline.toml:{line}: nodes.response.player: ")


def test_facts_are_read_in_order_and_dumped(write_game):
    text = edit(ENTRY, "[nodes.war]\n", '[nodes.war]\nfacts = { war = "yes", year = 1941 }\n')
    game = load_game(write_game(text), known_claims=[])
    war = next(o for o in game.outcomes if o.payoffs and o.label == "war")
    assert war.facts == (("war", "yes"), ("year", "1941"))
    assert all(o.facts == () for o in game.outcomes if o is not war)
    again = loads_game(dump_game(game), known_claims=[])
    assert again.outcomes == game.outcomes


def test_dump_of_a_loaded_file_loads_back(write_game):
    game = load_game(write_game(doc_example()), known_claims=[])
    again = loads_game(dump_game(game), known_claims=[])
    assert dump_game(again) == dump_game(game)


# -- find_line --------------------------------------------------------------------------
FIND_LINE = {
    "table": ("nodes.war", 21),
    "key": ("nodes.war.payoffs", 22),
    "inline-key": ("nodes.war.payoffs.Incumbent", 22),
    "parameter-key": ("parameters.cost.range", 8),
    "missing-key-falls-back-to-table": ("nodes.war.sources", 21),
    "unknown-table": ("nodes.nowhere", None),
    "empty": ("", None),
}


@pytest.mark.parametrize(("path", "line"), list(FIND_LINE.values()), ids=list(FIND_LINE))
def test_find_line(path, line):
    assert find_line(ENTRY.splitlines(), path) == line
