"""The whole-file ``.nfg`` reader (policy/nfg_arrays.py) against the token reader.

Independent check: the token-by-token reader in policy/gambit.py is the
reference; on random files of both forms of the format (payoff list and
outcome list) the two must build the same game (strategies, payoffs, labels,
comment) and the solvers must find the same equilibria on both. Files the
whole-file reader does not take must still read (by the token reader), and bad
files must give the token reader's located error.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.gambit import GambitFormatError, _read_nfg, _Reader, assert_same_game, read_nfg
from policy.model import ConstantOutcomes
from policy.nfg_arrays import read_nfg_arrays
from policy.solvers.enummixed import enummixed_solve
from policy.solvers.enumpure import enumpure_solve

LABELS = st.sampled_from(["", "a", "b", "a", "Up", "Down", "x y", "é"])
NUMBERS = st.one_of(
    st.integers(-50, 50).map(str),
    st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.integers(-(10**17), 10**17).map(str),
)
SPACE = st.sampled_from([" ", "  ", "\n", "\t", " \n "])


@st.composite
def nfg_files(draw: st.DrawFn, max_players: int = 3) -> str:
    n = draw(st.integers(1, max_players))
    sizes = [draw(st.integers(1, 4)) for _ in range(n)]
    cells = 1
    for s in sizes:
        cells *= s
    sp = lambda: draw(SPACE)  # noqa: E731
    players = " ".join(f'"{draw(LABELS)}"' for _ in range(n))
    if draw(st.booleans()):
        strategies = " ".join("{ " + " ".join(f'"{draw(LABELS)}"' for _ in range(s)) + " }" for s in sizes)
    else:
        strategies = " ".join(str(s) for s in sizes)
    head = f'NFG 1 R "{draw(LABELS)}" {{ {players} }}{sp()}{{ {strategies} }}{sp()}'
    if draw(st.booleans()):
        head += f'"{draw(LABELS)}"{sp()}'
    if draw(st.booleans()):
        body = sp().join(draw(NUMBERS) for _ in range(cells * n))
    else:
        k = draw(st.integers(0, 5))  # 0: an empty outcome list, every profile 0
        outs = []
        for _ in range(k):
            comma = draw(st.booleans())
            pays = (", " if comma else " ").join(draw(NUMBERS) for _ in range(n))
            outs.append(f'{{ "{draw(LABELS)}" {pays} }}')
        numbers = [str(draw(st.integers(0, k))) for _ in range(cells)]
        body = "{" + sp() + sp().join(outs) + sp() + "}" + sp() + sp().join(numbers)
    return head + body + draw(st.sampled_from(["", "\n"]))


def _equilibria(result) -> list:
    return [(e.probabilities, e.values) for e in result.equilibria]


@settings(max_examples=200, deadline=None)
@given(nfg_files())
def test_whole_file_reader_builds_the_game_the_token_reader_builds(text):
    fast = read_nfg_arrays(text)
    slow = _read_nfg(_Reader(text, "<string>"))
    assert fast is not None  # plain files are taken
    assert isinstance(fast.outcomes, ConstantOutcomes)
    assert_same_game(fast, slow)
    assert fast.action_label == slow.action_label
    assert_same_game(read_nfg(text), slow)
    for exact in (True, False):
        assert _equilibria(enumpure_solve(fast, {}, exact=exact)) == _equilibria(enumpure_solve(slow, {}, exact=exact))


@settings(max_examples=60, deadline=None)
@given(nfg_files(max_players=2))
def test_same_mixed_equilibria_from_both_readers(text):
    fast, slow = read_nfg_arrays(text), _read_nfg(_Reader(text, "<string>"))
    assert fast is not None
    if len(fast.players) != 2:
        return
    for exact in (True, False):
        a = enummixed_solve(fast, {}, exact=exact)
        b = enummixed_solve(slow, {}, exact=exact)
        assert _equilibria(a) == _equilibria(b)


PLAIN = 'NFG 1 R "g" { "A" "B" } { 2 2 }\n'


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        ("1 2 3 4 5 6 7 8e0", "1 2 3 4 5 6 7 8"),  # an exponent
        ('{ { "" 1 2 } { "" 3 4 } } 1 2 2 +1', '{ { "" 1 2 } { "" 3 4 } } 1 2 2 1'),  # a signed outcome number
        ('{ { "a\\"b" 1 2 } } 1 1 1 1', None),  # an escaped quote in a label
    ],
)
def test_unusual_files_are_read_by_the_token_reader(body, plain):
    text = PLAIN + body
    assert read_nfg_arrays(text) is None
    game = read_nfg(text)
    assert not isinstance(game.outcomes, ConstantOutcomes)
    if plain is None:
        assert game.outcomes[0].label == 'a"b'
    else:
        fast = read_nfg(PLAIN + plain)
        assert isinstance(fast.outcomes, ConstantOutcomes)
        assert_same_game(game, fast)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("1 2 3 4 5 6 7", 2),  # one payoff short
        ("1 2 3 4 5 6 7 8 9", 2),  # one too many
        ("1 2 3 4\n5 6 x 8", 3),  # a word
        ('{ { "" 1 2 } } 1 1 1 2', 2),  # no outcome 2
        ('{ { "" 1 2 3 } } 1 1 1 1', 2),  # three payoffs for two players
    ],
)
def test_bad_files_give_the_token_readers_located_error(body, line):
    text = PLAIN + body
    assert read_nfg_arrays(text) is None
    with pytest.raises(GambitFormatError) as err:
        read_nfg(text)
    assert err.value.line == line
