"""A whole-file reader of big TOML games, straight into the arrays of the game.

:func:`policy.gamefile.loads_game` parses a game file with ``tomllib`` into
nested dicts, checks every node table, makes a :class:`~policy.model.NodeSpec`
and an :class:`~policy.model.Outcome` per node, and builds the tree from them:
tens of microseconds a node, so a million-node file takes minutes. Most of a
big file is the node tables in one shape (``[nodes.NAME]``, then one line per
key, with inline tables of numbers and names), which regular expressions can
read over the whole text at once.

:func:`read_toml_arrays` does that. It cuts the file into the run of
``[nodes.NAME]`` tables and the rest; the rest (``[game]``,
``[parameters.NAME]``, ``[fit]``) is read by ``tomllib`` and checked by the
usual reader, with one empty node table written in the place of the run, so
that where the run stood is checked too (inside an array the header would be
an error; inside a multi-line string it would make no table). The run is
read line by line with one pattern (``findall``), and every inline table of
the run with another; then the usual reader's checks are made on lists and
arrays, and the game is assembled as :func:`policy.model.build_game`
assembles it with ``constant_arrays``.

It only accepts what it reads exactly as ``tomllib`` and the usual reader
would: anything else (in the node tables multi-line strings, escapes,
``\\r`` or text that is not printable ASCII; dotted keys, nested inline
tables, numbers with ``_``, hexadecimal or ``inf``, payoffs or probabilities
that are not numbers, a second run of node tables, any error at all) makes it
return ``None``, and the caller reads the file the usual way, which gives
the same game or the located error. Numbers are read by the same function
(:func:`policy.expr.parse`), once per distinct text.

Big files (:data:`TOKENS_FROM`) are first read by :func:`_read_tokens`, a
tokenizer over the bytes with numpy (as :mod:`policy.efg_arrays` reads
``.efg`` files), which makes the same checks and the same game as arrays
throughout, with no Python object per node but those the game keeps. It
reads fewer spellings (no comments, literal strings, quoted node names,
``facts`` or ``sources`` among the node tables); anything else it passes on
to the line patterns, which decide as above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from policy.expr import MAX_LITERAL_DIGITS, ExprError, parse
from policy.files import InputError, parse_toml
from policy.model import (
    ConstantOutcomes,
    ConstantProbabilities,
    Game,
    GameError,
    NodeKind,
    NumberedNames,
    game_from_parts,
    gc_paused,
)
from policy.rational import INT_LIMIT, group_sum, split

if TYPE_CHECKING:
    from policy.gamefile import _Reader

__all__ = ["read_toml_arrays"]

# Pieces of TOML this reader takes (on printable ASCII only: see _ODD).
_KEY = r"""[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*'"""
_STRING = r""""[^"\\\n]*"|'[^'\n]*'"""
# Decimal integers and floats without '_' (tomllib gives int or, for floats, the text to Decimal).
_NUMBER = r"[+-]?(?:0|[1-9][0-9]{0,39})(?:\.[0-9]{1,40})?(?:[eE][+-]?[0-9]{1,4})?"
_SCALAR = rf"{_STRING}|true|false|{_NUMBER}"
_END = r"[ \t]*(?:#[^\n]*)?\n"
_HEADER = rf"[ \t]*\[nodes\.({_KEY})\]{_END}"

#: One line of the node tables: a header, a key and its value, a blank or
#: comment line, or anything else (then the reader declines).
_LINE = re.compile(
    rf"{_HEADER}"
    rf"|[ \t]*({_KEY})[ \t]*=[ \t]*({_SCALAR}|\{{[^{{}}\n]*\}}|\[[^\[\]\n]*\]){_END}"
    rf"|{_END}"
    r"|([^\n]*)\n"
)
_FIRST_HEADER = re.compile("^" + _HEADER.replace(_END, r"[ \t]*(?:#[^\n]*)?$"), re.M)
#: A line that opens any other table (or anything else starting with '['), from
#: the newline before it (the first node table is not one).
_OTHER_HEADER = re.compile(
    rf"\n[ \t]*\[(?!nodes\.(?:{_KEY})\][ \t]*(?:#[^\n]*)?$)", re.M
)
#: A line that starts with '[' and then not ``nodes.``, from the newline before it:
#: where the byte tokenizer takes the run of node tables to end.
_NOT_NODES = re.compile(r"\n\[(?!nodes\.)")
#: One key and value of an inline table, after its '{' or ',' (tables joined by newlines).
_PAIR = re.compile(
    rf"([{{,])[ \t]*({_KEY})[ \t]*=[ \t]*({_SCALAR})[ \t]*(\}}\n)?"
    r"|([^\n]*\n)"
)
#: A whole number whose text is ``str`` of its value: in quotes, or a bare TOML integer.
_WHOLE = re.compile(r'"(0|-?[1-9][0-9]{0,16})"\n|(-?(?:0|[1-9][0-9]{0,16}))\n|[^\n]*\n')
_ARRAY_OF_STRINGS = re.compile(rf"\[[ \t]*(?:(?:{_STRING})[ \t]*,[ \t]*)*(?:(?:{_STRING})[ \t]*)?\]")
_STRING_ITEM = re.compile(_STRING)
#: Text the node tables may not hold: anything but printable ASCII, tab and newline.
_ODD = re.compile(r"[^\t\n\x20-\x7e]")
_NODE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_FACT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NODE_KEYS = (
    "player", "chance", "actions", "probabilities", "infoset", "outcome", "payoffs",
    "facts", "description", "sources",
)


#: The one node table that stands for the run of node tables in the rest of the file.
_CUT = "__node_tables_cut_here__"


class _Decline(Exception):
    """The file needs the usual reader."""


def read_toml_arrays(
    text: str, reader: _Reader, known_claims: Sequence[str] | None, base: Path | None
) -> Game | None:
    """The game of a TOML game file's text (byte-order mark removed), or None when the usual reader must read it.

    ``reader`` is the usual reader of the same text (its checks of the
    tables other than the nodes are used as they are).
    """
    try:
        with gc_paused():  # many small lists and tuples, none of them in a cycle
            return _read(text, reader, known_claims, base)
    except (_Decline, GameError, ExprError, InputError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
        # GameFileError is a ValueError: the usual reader finds it again, with its line.
        return None


def _head(
    text: str, start: int, end: int, reader: _Reader, known_claims: Sequence[str] | None, base: Path | None
) -> Any:
    """The tables other than the run of node tables ``text[start:end]``, read and checked by the usual reader."""
    # The rest, with one empty node table where the node tables were: the header
    # would be an error inside an array, and make no table inside a multi-line string.
    data = parse_toml(f"{text[:start]}[nodes.{_CUT}]\n{text[end:]}")
    if data.get("nodes") != {_CUT: {}}:
        raise _Decline  # node tables elsewhere too, or the cut inside a string
    head = reader.head(data, known_claims, base)
    players = head.players
    if not players or len(set(players)) != len(players):
        raise _Decline
    return head


def _unquote(token: str) -> str:
    return token[1:-1] if token[:1] in ("'", '"') else token


def _read(text: str, reader: _Reader, known_claims: Sequence[str] | None, base: Path | None) -> Game:
    if _CUT in text:
        raise _Decline
    first = _FIRST_HEADER.search(text)
    if first is None:
        raise _Decline
    start = first.start()
    if len(text) - start >= TOKENS_FROM:
        try:
            return _read_tokens(text, start, reader, known_claims, base)
        except GameError:
            raise  # the line patterns would build the same arrays: the usual reader says what is wrong
        except (_Tokens, _Decline, ExprError, InputError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
            if TOKENS_ONLY:
                raise _Decline from None
            # The line patterns read it, or decline.
    after = _OTHER_HEADER.search(text, start)
    end = after.start() + 1 if after is not None else len(text)
    # The node tables are read in place; a last line without its newline is given one.
    if text.endswith("\n", start, end):
        source, begin, stop = text, start, end
    else:
        source = text[start:end] + "\n"
        begin, stop = 0, len(source)
    if (
        source.find('"""', begin, stop) >= 0
        or source.find("'''", begin, stop) >= 0
        or _ODD.search(source, begin, stop) is not None
    ):
        raise _Decline
    head = _head(text, start, end, reader, known_claims, base)
    players = head.players

    # -- the node tables, line by line ------------------------------------------
    names: list[str] = []
    fields: dict[str, dict[int, str]] = {key: {} for key in _NODE_KEYS}
    node = -1
    for header, key, value, junk in _LINE.findall(source, begin, stop):
        if header:
            names.append(header)
            node += 1
        elif key:
            if node < 0:
                raise _Decline
            got = fields.get(key if key[0] not in "'\"" else key[1:-1])
            if got is None or node in got:
                raise _Decline  # an unknown key (the usual reader names it), or a key given twice
            got[node] = value
        elif junk:
            raise _Decline
    n = len(names)
    if not n:
        raise _Decline
    names = [_unquote(name) for name in names]
    if len(set(names)) != n:
        raise _Decline
    if any(_NODE_NAME.fullmatch(name) is None for name in names):
        raise _Decline

    # -- values: arrays of strings only; inline tables only where tables belong ---
    table_keys = ("actions", "probabilities", "payoffs", "facts")
    for key, got in fields.items():
        for value in got.values():
            if value[0] == "[" and _ARRAY_OF_STRINGS.fullmatch(value) is None:
                raise _Decline
            if value[0] == "{" and key not in table_keys:
                raise _Decline
    for key in ("actions", "payoffs", "facts"):
        if any(value[0] != "{" for value in fields[key].values()):
            raise _Decline  # always an error when it is not a table
    for node_index, value in fields["probabilities"].items():
        if value[0] != "{" and node_index in fields["actions"]:
            raise _Decline  # ignored on a terminal only

    # -- every inline table at once ----------------------------------------------
    owners: list[tuple[str, list[int]]] = []
    texts: list[str] = []
    for key in table_keys:
        got = fields[key]
        nodes = [i for i, v in got.items() if v[0] == "{"]
        owners.append((key, nodes))
        texts.extend(got[i] for i in nodes)
    pairs = _PAIR.findall("\n".join(texts) + "\n") if texts else []
    if any(p[4] for p in pairs):
        raise _Decline
    opens = np.array([p[0] == "{" for p in pairs], dtype=bool)
    closes = np.array([p[3] != "" for p in pairs], dtype=bool)
    if len(pairs) and (
        not opens[0] or not closes[-1] or not np.array_equal(opens[1:], closes[:-1])
    ):
        raise _Decline
    if int(opens.sum()) != len(texts):
        raise _Decline  # an empty table
    table_of = np.cumsum(opens) - 1
    bounds = np.searchsorted(table_of, np.arange(len(texts) + 1))
    pair_keys = [p[1] if p[1][0] not in "'\"" else p[1][1:-1] for p in pairs]
    pair_values = [p[2] for p in pairs]
    # A key twice in one table is an error in TOML.
    distinct: dict[str, int] = {}
    key_ids = np.array([distinct.setdefault(k, len(distinct)) for k in pair_keys], dtype=np.int64)
    if len(pairs) and len(np.unique(table_of * (len(distinct) + 1) + key_ids)) != len(pairs):
        raise _Decline
    tables: dict[str, dict[int, tuple[list[str], list[str]]]] = {}
    cuts = bounds.tolist()
    t = 0
    for key, nodes in owners:
        tables[key] = {
            node_index: (pair_keys[lo:hi], pair_values[lo:hi])
            for node_index, lo, hi in zip(nodes, cuts[t:], cuts[t + 1 :], strict=False)
        }
        t += len(nodes)

    constant = _constants(frozenset(head.parameters))

    # -- kinds and checks, node by node (as the usual reader's checks) ---------
    def string(key: str, node_index: int) -> str | None:
        value = fields[key].get(node_index)
        if value is None:
            return None
        if value[0] not in "'\"":
            raise _Decline
        return value[1:-1]

    claims = head.claims
    for value in fields["sources"].values():
        if _ARRAY_OF_STRINGS.fullmatch(value) is None:
            raise _Decline
        cited = [_unquote(s) for s in _STRING_ITEM.findall(value)]
        if claims is not None and any(s not in claims for s in cited):
            raise _Decline
    for node_index in fields["description"]:
        string("description", node_index)
    chance_field = fields["chance"]
    for value in chance_field.values():
        if value not in ("true", "false"):
            raise _Decline
    actions = tables["actions"]
    payoffs = tables["payoffs"]
    facts_tables = tables["facts"]
    probabilities = tables["probabilities"]
    player_index = {p: i for i, p in enumerate(players)}
    n_players = len(players)
    kind = np.full(n, NodeKind.TERMINAL, dtype=np.int8)
    mover = np.full(n, -1, dtype=np.int32)
    infoset_of: dict[int, str] = {}
    for node_index in fields["facts"]:
        if node_index not in payoffs:
            raise _Decline
    for node_index in range(n):
        chance = chance_field.get(node_index) == "true"
        if node_index not in actions:
            if node_index in fields["actions"]:
                raise _Decline  # actions that are not a table
            if chance or node_index in fields["player"] or node_index not in fields["payoffs"]:
                raise _Decline
            continue
        if chance:
            if node_index in fields["player"] or node_index in fields["infoset"]:
                raise _Decline
            if node_index not in probabilities:
                raise _Decline
            kind[node_index] = NodeKind.CHANCE
            continue
        if node_index in fields["probabilities"]:
            raise _Decline
        player = string("player", node_index)
        if player is None or player not in player_index:
            raise _Decline
        kind[node_index] = NodeKind.DECISION
        mover[node_index] = player_index[player]
        infoset = string("infoset", node_index)
        if infoset is not None:
            if not infoset:
                raise _Decline
            infoset_of[node_index] = infoset
    for node_index in fields["payoffs"]:
        if node_index not in payoffs:
            raise _Decline  # payoffs that are not a table

    # -- the tree: children, one parent each, the root, breadth-first ----------
    index = {name: i for i, name in enumerate(names)}
    children: list[list[int]] = [[] for _ in range(n)]
    child_labels: list[list[str]] = [[] for _ in range(n)]
    parent_file = [-1] * n
    for node_index, (labels, targets) in actions.items():
        kids = []
        for target in targets:
            if target[0] not in "'\"":
                raise _Decline
            kid = index[target[1:-1]]
            if parent_file[kid] >= 0:
                raise _Decline  # two parents
            parent_file[kid] = node_index
            kids.append(kid)
        children[node_index] = kids
        child_labels[node_index] = labels
    root, description = reader.root_and_description(head)
    if root is None:
        roots = [i for i, up in enumerate(parent_file) if up < 0]
        if len(roots) != 1:
            raise _Decline
        root_file = roots[0]
    else:
        root_file = index[root]
        if parent_file[root_file] >= 0:
            raise _Decline
    order = [root_file]
    for at in order:  # grows as it goes: breadth-first
        order.extend(children[at])
        if len(order) > n:
            raise _Decline
    if len(order) != n:
        raise _Decline  # unreachable nodes, or a cycle
    order_a = np.array(order, dtype=np.int64)
    bfs_of = np.empty(n, dtype=np.int64)
    bfs_of[order_a] = np.arange(n)
    num_children_file = np.array([len(kids) for kids in children], dtype=np.int32)
    num_children = num_children_file[order_a]
    first_child = np.zeros(n, dtype=np.int64)
    if n > 1:
        first_child[:] = 1 + np.concatenate(([0], np.cumsum(num_children, dtype=np.int64)[:-1]))
        first_child[num_children == 0] = 0
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(n, dtype=np.int64), num_children)
    depths = [0] * n
    for i, up in enumerate(parent.tolist()):  # parents come first
        if up >= 0:
            depths[i] = depths[up] + 1
    depth = np.array(depths, dtype=np.int32)
    kind_bfs = kind[order_a]
    player_bfs = mover[order_a]
    action_label: list[str] = [""]
    for f in order:
        action_label.extend(child_labels[f])
    node_names = tuple(names[f] for f in order)

    # -- chance probabilities, in the order of the actions ------------------------
    probs: list[Fraction] = []
    prob_texts: dict[int, str] = {}
    edges: list[int] = []
    for i in np.flatnonzero(kind_bfs == NodeKind.CHANCE).tolist():
        f = order[i]
        labels = child_labels[f]
        keys, tokens = probabilities[f]
        given = dict(zip(keys, tokens, strict=True))
        if any(k not in labels for k in keys) or len(given) != len(labels):
            raise _Decline
        total = Fraction(0)
        base_child = int(first_child[i])
        for k, label in enumerate(labels):
            value, shown = constant(given[label])
            if not 0 <= value <= 1:
                raise _Decline
            total += value
            if shown is not None:
                prob_texts[len(edges)] = shown
            edges.append(base_child + k)
            probs.append(value)
        if total != 1:
            raise _Decline

    # -- outcomes: one per node with payoffs, breadth-first ----------------------
    with_payoffs = np.sort(bfs_of[np.fromiter(payoffs, dtype=np.int64, count=len(payoffs))]).tolist()
    outcome = np.full(n, -1, dtype=np.int32)
    outcome[with_payoffs] = np.arange(len(with_payoffs), dtype=np.int32)
    tokens_all: list[str] = []
    outcome_labels: list[str] = []
    outcome_facts: list[tuple[tuple[str, str], ...]] = []
    label_field = fields["outcome"]
    for i in with_payoffs:
        f = order[i]
        keys, tokens = payoffs[f]
        if keys == players:
            tokens_all.extend(tokens)
        else:
            if len(keys) != n_players:
                raise _Decline
            by_player = dict(zip(keys, tokens, strict=True))
            tokens_all.extend(by_player[label] for label in players)
        label_token = label_field.get(f)
        if label_token is None:
            outcome_labels.append(names[f])
        elif label_token[0] in "'\"":
            outcome_labels.append(label_token[1:-1])
        else:
            raise _Decline
        facts = facts_tables.get(f)
        outcome_facts.append(_facts(*facts) if facts is not None else ())
    num, den, value_texts = _payoff_arrays(tokens_all, constant)
    n_outcomes = len(with_payoffs)
    value_texts_2d = {(k // n_players, k % n_players): shown for k, shown in value_texts.items()}

    # -- information sets, named as the usual reader names them ------------------
    infoset_names: list[str | None] = [None] * n
    for i in np.flatnonzero(kind_bfs == NodeKind.DECISION).tolist():
        f = order[i]
        infoset_names[i] = infoset_of.get(f, names[f])

    pnum, pden = split(probs)
    outcomes = ConstantOutcomes(
        outcome_labels,
        num.reshape(n_outcomes, n_players),
        den.reshape(n_outcomes, n_players),
        outcome_facts if any(outcome_facts) else None,
        value_texts_2d,
    )
    chance_probability = ConstantProbabilities(n, np.array(edges, dtype=np.int64), pnum, pden, prob_texts)
    return game_from_parts(
        title=head.title,
        players=players,
        parameters=head.parameters,
        node_names=node_names,
        parent=parent,
        kind=kind_bfs,
        player=player_bfs,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children,
        depth=depth,
        action_label=tuple(action_label),
        chance_probability=chance_probability,
        outcomes=outcomes,
        infoset_names=infoset_names,
        description=description,
        sources=head.sources,
        comment="",
        origin="toml",
        node_paths=tuple(f"nodes.{name}" for name in node_names),
        node_labels=(),
        node_infoset_labels=(),
    )


def _payoff_arrays(
    tokens: list[str], constant: Callable[[str], tuple[Fraction, str | None]]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], dict[int, str]]:
    """Numerators, denominators (as :func:`policy.rational.split` makes them) and texts of payoff tokens.

    Whole numbers of at most 17 digits, bare or in double quotes as ``str``
    writes them, are converted all at once (their value is their text, far
    below :data:`policy.rational.INT_LIMIT`); the others go through
    ``constant``, the usual parser.
    """
    found = _WHOLE.findall("\n".join(tokens) + "\n")
    num = np.array([int(quoted or bare or 0) for quoted, bare in found], dtype=np.int64)
    den = np.ones(len(tokens), dtype=np.int64)
    texts: dict[int, str] = {}
    others: dict[int, Fraction] = {}
    for k in [k for k, (quoted, bare) in enumerate(found) if not quoted and not bare]:
        value, shown = constant(tokens[k])
        others[k] = value
        if shown is not None:
            texts[k] = shown
    if others:
        big = any(
            abs(v.numerator) >= INT_LIMIT or v.denominator >= INT_LIMIT for v in others.values()
        )
        if big:
            num, den = num.astype(object), den.astype(object)
        for k, v in others.items():
            num[k], den[k] = v.numerator, v.denominator
    return num, den, texts


def _facts(keys: list[str], tokens: list[str]) -> tuple[tuple[str, str], ...]:
    """An outcome's facts as the usual reader reads them: names, then strings or whole numbers."""
    out = []
    for key, token in zip(keys, tokens, strict=True):
        if _FACT_NAME.fullmatch(key) is None:
            raise _Decline
        if token[0] in "'\"":
            out.append((key, token[1:-1]))
        elif token[0] in "tf" or "." in token or "e" in token or "E" in token:
            raise _Decline  # booleans and floats are refused
        else:
            number = int(token)
            if abs(number) >= 10**MAX_LITERAL_DIGITS:
                raise _Decline
            out.append((key, str(number)))
    return tuple(out)


def _constants(parameter_names: frozenset[str]) -> Callable[[str], tuple[Fraction, str | None]]:
    """The value of a payoff or probability token by the usual parser, once per distinct text."""
    known: dict[str, tuple[Fraction, str | None]] = {}

    def constant(token: str) -> tuple[Fraction, str | None]:
        """Value of a payoff or probability token, and its text when not ``str`` of the value."""
        got = known.get(token)
        if got is not None:
            return got
        first_char = token[0]
        source: str | int | Decimal
        if first_char in "'\"":
            source = token[1:-1]
        elif first_char in "tf":
            raise _Decline  # a boolean: the usual reader refuses it
        elif "." in token or "e" in token or "E" in token:
            source = Decimal(token)
        else:
            source = int(token)
        e = parse(source, parameter_names)
        if e.constant is None:
            raise _Decline  # a parameter appears: the usual reader keeps expressions
        value = e.constant
        got = known[token] = (value, e.text if e.text != str(value) else None)
        return got

    return constant


# ---------------------------------------------------------------------------------
# The byte tokenizer: big node tables in the shape ``dump_game`` writes, with numpy
# ---------------------------------------------------------------------------------

#: Files whose node tables (and what follows them) hold at least this many
#: characters are first tokenized with numpy (:func:`_read_tokens`); below it
#: numpy's cost per call outweighs its work, and the line patterns read them.
TOKENS_FROM = 20_000
#: For tests: when True, a file the byte tokenizer does not take is declined
#: (the line patterns are not tried), so that its own reading can be checked.
TOKENS_ONLY = False


class _Tokens(Exception):
    """The node tables need the line patterns."""


# Byte classes outside strings: space, word, string, the one-byte tokens, anything else.
_SP, _WD, _QT, _NL, _LB, _RB, _LC, _RC, _EQ, _CM, _BAD, _CTL = range(12)
_CLASS = np.full(256, _BAD, dtype=np.uint8)
_CLASS[list(range(32)) + [127, ord("\\")]] = _CTL  # (tab and newline are set below; a backslash: an escape)
_CLASS[[ord(" "), ord("\t")]] = _SP
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+.":
    _CLASS[_c] = _WD
for _c, _k in zip(b'"\n[]{}=,', (_QT, _NL, _LB, _RB, _LC, _RC, _EQ, _CM), strict=True):
    _CLASS[_c] = _k
#: Node keys the tokenizer reads (facts and sources are left to the line patterns).
_TOKEN_KEYS = ("player", "chance", "actions", "probabilities", "infoset", "outcome", "payoffs", "description")
_PLAYER, _CHANCE, _ACTIONS, _PROBABILITIES, _INFOSET, _OUTCOME, _PAYOFFS, _DESCRIPTION = range(8)
_TABLE_KEYS = (_ACTIONS, _PROBABILITIES, _PAYOFFS)
#: Bytes tokenized per step, and rows of byte grids made per step: small
#: enough for the processor's cache (and for the allocator to reuse memory).
_PART = 1 << 20
_ROWS = 1 << 16
#: ``_distinct(..., few=True)``: the keys its distinct values are first taken
#: from, and how many distinct values it takes before sorting all keys instead.
_SAMPLE = 1024
_FEW = 4096
_NUMBER_TEXT = re.compile(_NUMBER)
#: Text in the node tables that makes the tokenizer decline (comment lines, escapes,
#: multi-line strings, \r, facts and sources), looked for before it starts ('#' and
#: "'" may be inside strings, which it reads), in the first :data:`_LOOKED_AT`
#: characters of the node tables only: hand-written files (comments, facts) show
#: them early, and the tokenizer refuses them anywhere in any case.
_REFUSED = ("\n#", "\\", '"""', "\r", "\nfacts", "\nsources")
_LOOKED_AT = 1 << 20
#: The low k bytes of a little-endian uint64 (memory order: the first k bytes).
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype="<u8")


def _tokenize(data: bytes, lo: int, hi: int) -> tuple[npt.NDArray[np.uint8], Any, _Ends, npt.NDArray[np.uint8], Any]:
    """The bytes of ``data``, each token's start, end (exclusive) and class in ``data[lo:hi]``, and its lines.

    The lines are ``(first, length, k0, k1, k2)``: each line's first token,
    its number of tokens before its newline, and the classes of its first three
    tokens (past the line's end: of the tokens after it, or a newline).

    Tokens are words (runs of letters, digits and ``_-+.``), basic strings
    (quotes included) and the one-byte tokens ``\\n [ ] { } = ,``. Anything
    TOML would read otherwise than this (a backslash, ``#``, ``'``, a string
    over a line end, any other byte outside strings) is refused. ``data[lo:hi]``
    ends with a newline; it is read in parts of whole lines.
    """
    if data.find(b'"""', lo, hi) >= 0:  # (a backslash, inside a string too, is of the class _CTL)
        raise _Tokens
    b = np.frombuffer(data, dtype=np.uint8)
    index = np.int32 if len(b) < 2**31 - 1 else np.int64
    # At most one token a byte: the arrays are made that long and filled part by part
    # (memory is only taken for what is filled), not joined at the end (a copy).
    starts = np.empty(hi - lo, dtype=index)
    lens = np.empty(hi - lo, dtype=np.uint16)
    kinds = np.empty(hi - lo, dtype=np.uint8)
    # The lines too, part by part while the part's tokens are in the cache.
    n_lines = data.count(b"\n", lo, hi)
    first = np.empty(n_lines, dtype=index)
    length = np.empty(n_lines, dtype=index)
    k0, k1, k2 = (np.empty(n_lines, dtype=np.uint8) for _ in range(3))
    count = 0
    line = 0
    while lo < hi:
        stop = data.find(b"\n", min(lo + _PART, hi - 1), hi) + 1
        if stop <= 0:
            raise _Tokens
        k = _tokenize_part(b[lo:stop], lo, starts[count:], lens[count:], kinds[count:])
        part_kinds = kinds[count : count + k]
        ends_at = np.flatnonzero(part_kinds == _NL)
        m = len(ends_at)
        if m != data.count(b"\n", lo, stop):
            raise _Tokens  # a string over a line end
        firsts = np.empty(m, dtype=np.int64)
        firsts[0] = 0
        firsts[1:] = ends_at[:-1] + 1
        first[line : line + m] = firsts + count
        length[line : line + m] = ends_at - firsts
        k0[line : line + m] = part_kinds[firsts]
        k1[line : line + m] = part_kinds.take(firsts + 1, mode="clip")  # (a part ends with a newline)
        k2[line : line + m] = part_kinds.take(firsts + 2, mode="clip")
        count += k
        line += m
        lo = stop
    lines = (first, length, k0, k1, k2)
    return b, starts[:count], _Ends(starts[:count], lens[:count]), kinds[:count], lines


class _Ends:
    """Where tokens end (exclusive), from their starts and lengths (kept as uint16: less memory)."""

    def __init__(self, starts: npt.NDArray[Any], lens: npt.NDArray[np.uint16]) -> None:
        self.starts = starts
        self.lens = lens

    def __getitem__(self, at: Any) -> npt.NDArray[Any]:
        return self.starts[at] + self.lens[at].astype(self.starts.dtype)


def _tokenize_part(
    b: npt.NDArray[np.uint8], base: int, starts_out: npt.NDArray[Any], lens_out: npt.NDArray[np.uint16],
    kinds_out: npt.NDArray[np.uint8],
) -> int:
    """:func:`_tokenize` on whole lines ``b`` starting at byte ``base``: its tokens written at the start of the ``_out`` arrays.

    Returns the number of tokens.
    """
    cls = np.take(_CLASS, b)
    if (cls == _CTL).any():
        raise _Tokens  # control characters and backslashes, inside strings too
    quote = cls == _QT
    q = np.flatnonzero(quote)
    if len(q) % 2:
        raise _Tokens
    # Inside a string every byte is of the string's class (set position by position:
    # a running parity of the quotes, with numpy's accumulate, takes several times longer).
    inner = q[1::2] - q[0::2] - 1
    total = int(inner.sum())
    if total:
        cls[np.repeat(q[0::2] + 1 - (np.cumsum(inner) - inner), inner) + np.arange(total)] = _QT
    if (cls == _BAD).any():
        raise _Tokens
    # A token starts where the class changes (not a space), at every one-byte token
    # and at every opening quote; one more entry stands for the end.
    size = len(cls)
    begins = np.empty(size + 1, dtype=bool)
    begins[0] = True
    np.not_equal(cls[1:], cls[:-1], out=begins[1:size])
    space = cls == _SP
    begins[:size] &= ~space
    begins[:size] |= cls >= _NL
    begins[q[0::2]] = True
    begins[size] = True
    starts = np.flatnonzero(begins[:size])
    # A token's last byte: not a space, followed by a token's start or a space.
    last = begins[1:]
    last[: size - 1] |= space[1:]
    last &= ~space
    ends = np.flatnonzero(last)
    k = len(starts)
    if len(ends) != k:
        raise _Tokens  # (not possible: each token ends once)
    ends += 1
    ends -= starts  # the lengths
    if k and int(ends.max()) > 0xFFFF:
        raise _Tokens  # a token longer than its length can be kept
    lens_out[:k] = ends
    np.take(cls, starts, out=kinds_out[:k])
    starts += base
    starts_out[:k] = starts
    return k


def _grid(b: npt.NDArray[np.uint8], lo: Any, hi: Any, width: int) -> npt.NDArray[np.uint8]:
    """The bytes ``b[lo:hi]`` of each range, one row each, cut or padded with zeros to ``width``."""
    grid = np.empty((len(lo), width), dtype=np.uint8)
    limit = len(b) - width  # the last byte a whole row of ``width`` bytes may start at
    # Row k of ``windows`` is b[k : k + width] (a view: rows are gathered whole).
    windows = np.lib.stride_tricks.as_strided(b, shape=(max(limit + 1, 0), width), strides=(1, 1), writeable=False)
    columns = np.arange(width)
    last = len(b) - 1
    for at in range(0, len(lo), _ROWS):  # a block of rows at a time: small temporaries
        start, lens = lo[at : at + _ROWS], hi[at : at + _ROWS] - lo[at : at + _ROWS]
        rows = grid[at : at + _ROWS]
        late = start > limit
        if late.any():  # too near the end for a whole row: byte by byte
            for c in range(width):
                rows[:, c] = np.where(lens > c, b[np.minimum(start + c, last)], 0)
            continue
        np.multiply(windows[start], columns < lens[:, None], out=rows)
    return grid


def _keys(b: npt.NDArray[np.uint8], lo: Any, hi: Any) -> tuple[npt.NDArray[Any], int]:
    """A key per byte range (ASCII, no NUL), equal for equal texts: uint64 up to 8 bytes, else bytes."""
    width = int((hi - lo).max()) if len(lo) else 0
    if width > 256:
        raise _Tokens
    if width <= 8:
        if len(b) < 8 or int(lo.max()) > len(b) - 8:
            return _grid(b, lo, hi, 8).view("<u8").ravel(), 8
        # Eight bytes from each start as one number, the bytes past the end masked off.
        windows = np.lib.stride_tricks.as_strided(b, shape=(len(b) - 7, 8), strides=(1, 1), writeable=False)
        keys = np.empty(len(lo), dtype="<u8")
        for at in range(0, len(lo), _ROWS):
            part = slice(at, at + _ROWS)
            keys[part] = windows[lo[part]].view("<u8").ravel() & _LOW_BYTES[hi[part] - lo[part]]
        return keys, 8
    return _grid(b, lo, hi, width).view(f"S{width}").ravel(), width


def _texts(distinct: npt.NDArray[Any], width: int) -> list[str]:
    if distinct.dtype != np.dtype(f"S{width}"):
        distinct = distinct.view(f"S{width}")  # the bytes of the uint64 keys, in memory order
    return distinct.astype(f"U{width}").tolist()  # (ASCII: each byte its character; no NUL inside)


def _distinct(
    b: npt.NDArray[np.uint8], lo: Any, hi: Any, few: bool = False
) -> tuple[npt.NDArray[np.int32], list[str]]:
    """For byte ranges (ASCII, no NUL): an id per range (equal ids for equal texts) and the texts by id.

    With ``few`` (few distinct texts expected), the distinct keys are found
    from a sample and each key placed among them by binary search, which
    beats sorting all of them.
    """
    if not len(lo):
        return np.zeros(0, dtype=np.int32), []
    if not few and 8 < int((hi - lo).max()) <= 16:
        return _distinct_pairs(b, lo, hi)
    keys, width = _keys(b, lo, hi)
    if few:
        distinct = np.unique(keys[:_SAMPLE])
        ids = np.empty(len(keys), dtype=np.int32)
        at = 0
        while at < len(keys):  # a block at a time: small temporaries
            part = keys[at : at + _ROWS]
            found = np.minimum(np.searchsorted(distinct, part), len(distinct) - 1)
            missing = distinct[found] != part
            if missing.any():
                if len(distinct) > _FEW:
                    break  # not few: sort them all
                distinct = np.union1d(distinct, np.unique(part[missing]))
                ids[:at] = np.searchsorted(distinct, keys[:at])  # the ids so far, in the new order
                continue
            ids[at : at + _ROWS] = found
            at += _ROWS
        else:
            return ids, _texts(distinct, width)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int32).ravel(), _texts(distinct, width)


def _distinct_pairs(b: npt.NDArray[np.uint8], lo: Any, hi: Any) -> tuple[npt.NDArray[np.int32], list[str]]:
    """:func:`_distinct` of texts of 9 to 16 bytes, each as two big-endian uint64 (sorted as the texts)."""
    grid = _grid(b, lo, hi, 16)
    pair = grid.view(">u8")  # two columns; numeric order is the order of the bytes
    order = np.lexsort((pair[:, 1], pair[:, 0]))  # (sorting two numbers beats sorting 16-byte strings)
    first, second = pair[order, 0], pair[order, 1]
    new = np.empty(len(order), dtype=bool)
    new[0] = True
    np.not_equal(first[1:], first[:-1], out=new[1:])
    new[1:] |= second[1:] != second[:-1]
    ids = np.empty(len(order), dtype=np.int32)
    ids[order] = np.cumsum(new, dtype=np.int32) - 1
    return ids, _texts(grid[order[new]].view("S16").ravel(), 16)


def _whole_numbers(
    b: npt.NDArray[np.uint8], lo: Any, hi: Any, quoted: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Which ranges hold a whole number as the line patterns convert it at once, and its value.

    That is ``-?(0|[1-9][0-9]{0,16})`` bare, and the same but for ``-0`` in quotes.
    """
    n = len(lo)
    if n > _ROWS:
        parts = [_whole_numbers(b, lo[at : at + _ROWS], hi[at : at + _ROWS], quoted[at : at + _ROWS])
                 for at in range(0, n, _ROWS)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    lens = (hi - lo).astype(np.int64)
    width = max(1, min(18, int(lens.max()))) if n else 1
    last = len(b) - 1
    minus = b[np.minimum(lo, last)] == ord("-")
    digits = lens - minus
    ok = (lens <= 18) & (digits >= 1) & (digits <= 17)
    first = b[np.minimum(lo + minus, last)]
    ok &= (first != ord("0")) | (digits == 1)
    ok &= ~(quoted & minus & (first == ord("0")))
    # The digits right-aligned in ``width`` columns (the last digit in the last
    # column), the columns before them zero; the value is one product with the
    # powers of ten (a row that is not a number gets some value, never used).
    grid = _right_grid(b, np.minimum(hi, lo + 18), width)
    grid -= ord("0")  # (uint8: anything but a digit is above 9)
    grid *= np.arange(width) >= (width - np.clip(digits, 0, width))[:, None]
    ok &= (grid <= 9).all(axis=1)
    value = grid.astype(np.int64) @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))
    return ok, np.where(minus, -value, value)


def _right_grid(b: npt.NDArray[np.uint8], end: Any, width: int) -> npt.NDArray[np.uint8]:
    """The ``width`` bytes before each ``end``, one row each (a copy); ``"0"`` before the start of ``b``."""
    start = end - width
    if len(start) and int(start.min()) < 0:
        grid = np.empty((len(end), width), dtype=np.uint8)
        for c in range(width):
            at = start + c
            grid[:, c] = np.where(at >= 0, b[np.maximum(at, 0)], ord("0"))
        return grid
    windows = np.lib.stride_tricks.as_strided(b, shape=(len(b) - width + 1, width), strides=(1, 1), writeable=False)
    return windows[start]


def _name_numbers(b: npt.NDArray[np.uint8], lo: Any, hi: Any) -> npt.NDArray[np.int64] | None:
    """``k`` for each name ``n{k}`` (``k`` as ``str`` writes it), or None when some name is not one."""
    if not len(lo):
        return np.zeros(0, dtype=np.int64)
    if (hi - lo < 2).any() or (b[lo] != ord("n")).any() or (b[lo + 1] == ord("-")).any():
        return None
    ok, value = _whole_numbers(b, lo + 1, hi, np.zeros(len(lo), dtype=bool))
    return value if ok.all() else None


def _each_once(values: npt.NDArray[Any], groups: npt.NDArray[Any], counts: npt.NDArray[Any]) -> bool:
    """Whether no value (a small number, below 63) comes twice in a group of consecutive entries.

    ``groups`` are the groups' first entries and ``counts`` their sizes.
    """
    if not len(values):
        return True
    if int(values.max()) < 63:
        bits = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), values.astype(np.uint64)), groups)
        return bool(np.array_equal(np.bitwise_count(bits).astype(np.int64), counts))
    key = np.repeat(np.arange(len(groups), dtype=np.int64), counts) * (int(values.max()) + 1) + values
    ordered = np.sort(key)
    return not bool((ordered[1:] == ordered[:-1]).any())


def _read_tokens(
    text: str, start: int, reader: _Reader, known_claims: Sequence[str] | None, base: Path | None
) -> Game:
    """The game of a file whose node tables start at ``text[start]``, tokenized with numpy.

    Reads node tables in the shape :func:`policy.gamefile.dump_game` writes
    (and the same with other spacing, quoted table keys, bare numbers):
    ``[nodes.NAME]`` with a bare name at the start of its line, then ``key =
    value`` lines whose values are basic strings, ``true``/``false``, numbers
    or inline tables of them. Anything else (comments, literal strings,
    quoted names, dotted keys, arrays, ``facts``, ``sources``, any doubt)
    raises :class:`_Tokens`, and the line patterns read the file. It makes
    the checks and the game of the line patterns' reader, without a Python
    object per node but those the game keeps (its names when they are not
    ``n0, n1, ...`` in breadth-first order).
    """
    # The run of node tables ends at the first line that starts with '[' but
    # not '[nodes.': every line inside that starts with '[' must be a node table
    # header as the line patterns take it (checked below), so it is the run's end.
    # It is looked for from the last line that starts with '[nodes.' on (found
    # from the end of the text at once): any such line before it inside the run
    # fails those checks, and the line patterns decide.
    after = _NOT_NODES.search(text, max(start, text.rfind("\n[nodes.", start)))
    end = after.start() + 1 if after is not None else len(text)
    # What the tokenizer would refuse anyway, found at once (hand-written files).
    early = min(end, start + _LOOKED_AT)  # (looking through 100 MB took a quarter of a second)
    if any(text.find(odd, start, early) >= 0 for odd in _REFUSED):
        raise _Tokens
    if text.isascii():  # the whole text, not a copy of the run first
        data, lo, hi = text.encode("ascii"), start, end
    else:
        data, lo, hi = text[start:end].encode("ascii"), 0, end - start
    if not data.endswith(b"\n", lo, hi):
        data, lo, hi = data[lo:hi] + b"\n", 0, hi - lo + 1
    head = _head(text, start, end, reader, known_claims, base)
    players = head.players
    n_players = len(players)
    constant = _constants(frozenset(head.parameters))
    b, starts, ends, kinds, (line_first, line_len, k0, k1, k2) = _tokenize(data, lo, hi)
    del data

    # -- lines: headers, key = value, blank ------------------------------------
    # (Arrays per line and per token in int32 where they fit: arrays above some
    # tens of MB are given fresh memory by the allocator each time, which costs.)
    header = (k0 == _LB) & (k1 == _WD) & (k2 == _RB) & (line_len == 3)
    keyed = (k0 == _WD) & (k1 == _EQ) & (line_len >= 3)
    scalar = keyed & (line_len == 3) & ((k2 == _WD) | (k2 == _QT))
    table = keyed & (k2 == _LC) & (line_len >= 7) & ((line_len & 3) == 3)  # 3 + 4 a pair
    if not np.array_equal(header | scalar | table, line_len > 0):
        raise _Tokens
    del k0, k1, k2
    node_of_line = np.cumsum(header, dtype=np.int32) - 1
    if int(node_of_line[line_len > 0][0]) != 0:
        raise _Tokens  # a key before the first table (not possible: the run starts with one)
    heads = line_first[header] + 1  # the word nodes.NAME
    n = len(heads)
    # '[nodes.NAME]' tight, at the start of its line (as the pattern of the run's end takes it).
    bracket = starts[heads - 1].astype(np.int64)
    line_start = np.full(n, lo, dtype=np.int64)
    before = line_first[header] - 1  # the newline token before the header line
    line_start[before >= 0] = starts[before[before >= 0]].astype(np.int64) + 1
    if (
        not np.array_equal(bracket, line_start)
        or not np.array_equal(starts[heads], bracket + 1)
        or not np.array_equal(starts[heads + 1], ends[heads])
    ):
        raise _Tokens

    # -- node names (checked for '.' and '+' below) ----------------------------
    name_lo = starts[heads].astype(np.int64) + 6
    name_hi = ends[heads].astype(np.int64)
    prefix = _grid(b, name_lo - 6, name_hi, 7)
    if not (prefix[:, :6] == np.frombuffer(b"nodes.", dtype=np.uint8)).all():
        raise _Tokens
    first = prefix[:, 6]
    if not (((first >= 65) & (first <= 90)) | ((first >= 97) & (first <= 122)) | (first == 95)).all():
        raise _Tokens  # empty, or not a node name (the line patterns decline it)
    del prefix, first

    # -- keys: which, and once per node -----------------------------------------
    key_lines = np.flatnonzero(keyed)
    key_tok = line_first[key_lines]
    key_lo, key_hi = starts[key_tok], ends[key_tok]
    prefix_ids, prefixes = _distinct(b, key_lo, np.minimum(key_hi, key_lo + 8), few=True)
    try:
        key_of_prefix = np.array([[k[:8] for k in _TOKEN_KEYS].index(t) for t in prefixes], dtype=np.int8)
    except ValueError:
        raise _Tokens from None  # facts, sources or a key the usual reader names
    which = key_of_prefix[prefix_ids]
    lengths = np.array([len(k) for k in _TOKEN_KEYS], dtype=np.int64)
    if not np.array_equal(key_hi - key_lo, lengths[which]):
        raise _Tokens
    for k in (_PROBABILITIES, _DESCRIPTION):  # the keys longer than 8 letters
        rows = which == k
        tail = _grid(b, key_lo[rows] + 8, key_hi[rows], lengths[k] - 8)
        if not (tail == np.frombuffer(_TOKEN_KEYS[k][8:].encode(), dtype=np.uint8)).all():
            raise _Tokens
    owner = node_of_line[key_lines]
    value_tok = key_tok + 2
    is_table = table[key_lines]
    if not np.array_equal(is_table, np.isin(which, _TABLE_KEYS)):
        raise _Tokens  # a table where a scalar belongs, or the other way round
    value_of = np.full((len(_TOKEN_KEYS), n), -1, dtype=starts.dtype)  # token of each node's value
    value_of[which, owner] = value_tok
    if np.count_nonzero(value_of >= 0) != len(owner):
        raise _Tokens  # a key twice (one value written over the other)
    strings = ~is_table & (which != _CHANCE)
    if (kinds[value_tok[strings]] != _QT).any():
        raise _Tokens  # player, infoset, outcome and description are strings
    chance_tok = value_tok[which == _CHANCE]
    if (kinds[chance_tok] != _WD).any():
        raise _Tokens
    chance_text = _grid(b, starts[chance_tok], ends[chance_tok], 6)
    is_true = (chance_text == np.frombuffer(b"true\0\0", dtype=np.uint8)).all(axis=1)
    is_false = (chance_text == np.frombuffer(b"false\0", dtype=np.uint8)).all(axis=1)
    if not (is_true | is_false).all():
        raise _Tokens
    chance = np.zeros(n, dtype=bool)
    chance[owner[which == _CHANCE][is_true]] = True

    # -- the pairs of the inline tables ----------------------------------------
    t_lines = key_lines[is_table]
    t_first = line_first[t_lines] + 3
    t_count = (line_len[t_lines] - 3) // 4  # pairs per table
    t_key = which[is_table]
    t_owner = owner[is_table]
    del key_lines, key_tok, key_lo, key_hi, prefix_ids, which, owner, value_tok, is_table, node_of_line
    del line_first, line_len, header, keyed, scalar, table
    total = int(t_count.sum())
    offsets = np.cumsum(t_count, dtype=starts.dtype) - t_count
    pair_table = np.repeat(np.arange(len(t_lines), dtype=starts.dtype), t_count)
    pair_key = np.repeat(t_first - 4 * offsets, t_count) + 4 * np.arange(total, dtype=starts.dtype)
    pair_value = pair_key + 2
    closing = np.zeros(total, dtype=bool)
    closing[offsets + t_count - 1] = True
    key_kind = kinds[pair_key]
    after_value = kinds[pair_value + 1]
    if (
        not ((key_kind == _WD) | (key_kind == _QT)).all()
        or (kinds[pair_key + 1] != _EQ).any()
        or not ((kinds[pair_value] == _WD) | (kinds[pair_value] == _QT)).all()
        or not np.array_equal(after_value == _RC, closing)
        or ((after_value != _CM) & ~closing).any()
    ):
        raise _Tokens
    del after_value, closing
    quoted_key = key_kind == _QT
    label_ids, labels = _distinct(b, starts[pair_key] + quoted_key, ends[pair_key] - quoted_key, few=True)
    bare = np.zeros(len(labels), dtype=bool)
    bare[label_ids[~quoted_key]] = True
    if any(("." in label or "+" in label) and is_bare for label, is_bare in zip(labels, bare.tolist(), strict=True)):
        raise _Tokens  # a dotted key
    del quoted_key, key_kind
    if not _each_once(label_ids, offsets, t_count):
        raise _Tokens  # a key twice in a table
    pair_owner = t_owner[pair_table]
    pair_kind = t_key[pair_table]
    del pair_table

    # -- kinds of node, checked as the line patterns' reader checks them -------
    has = value_of >= 0
    actions = has[_ACTIONS]
    if (~actions & (chance | has[_PLAYER] | ~has[_PAYOFFS])).any():
        raise _Tokens  # a terminal must have payoffs, and no player or chance = true
    is_chance = actions & chance
    is_decision = actions & ~chance
    if (is_chance & (has[_PLAYER] | has[_INFOSET] | ~has[_PROBABILITIES])).any():
        raise _Tokens
    if (~is_chance & has[_PROBABILITIES]).any():
        raise _Tokens
    if (is_decision & ~has[_PLAYER]).any():
        raise _Tokens
    kind = np.full(n, NodeKind.TERMINAL, dtype=np.int8)
    kind[is_decision] = NodeKind.DECISION
    kind[is_chance] = NodeKind.CHANCE
    mover = np.full(n, -1, dtype=np.int32)
    deciders = np.flatnonzero(is_decision)
    player_tok = value_of[_PLAYER, deciders]
    player_ids, player_texts = _distinct(b, starts[player_tok] + 1, ends[player_tok] - 1, few=True)
    player_index = {p: i for i, p in enumerate(players)}
    if any(p not in player_index for p in player_texts):
        raise _Tokens
    mover[deciders] = np.array([player_index[p] for p in player_texts], dtype=np.int32)[player_ids]
    infoset_tok = value_of[_INFOSET, deciders]
    named = infoset_tok >= 0
    if (ends[infoset_tok[named]] - starts[infoset_tok[named]] <= 2).any():
        raise _Tokens  # an empty infoset name

    # -- the tree: each target a node, one parent each ------------------------
    is_action = pair_kind == _ACTIONS
    target_tok = pair_value[is_action]
    if (kinds[target_tok] != _QT).any():
        raise _Tokens
    target_lo = starts[target_tok].astype(np.int64) + 1
    target_hi = ends[target_tok].astype(np.int64) - 1
    root, description = reader.root_and_description(head)
    numbers = _name_numbers(b, name_lo, name_hi)
    if numbers is not None and int(numbers.max()) < 4 * n + 16:
        # Names n0, n1, ...: to indices through their numbers.
        node_of_number = np.full(int(numbers.max()) + 1, -1, dtype=np.int64)
        node_of_number[numbers] = np.arange(n)
        if not np.array_equal(node_of_number[numbers], np.arange(n)):
            raise _Tokens  # a node table twice
        target_numbers = _name_numbers(b, target_lo, target_hi)
        if target_numbers is None or (target_numbers >= len(node_of_number)).any():
            raise _Tokens  # a child that is no node
        target = node_of_number[target_numbers]
        root_number = NumberedNames(len(node_of_number)).index_of(root) if root is not None else None
        root_file = int(node_of_number[root_number]) if root_number is not None else -1
        name_texts: list[str] | None = None
        name_ids = None
    else:
        numbers = None
        all_ids, name_texts = _distinct(
            b, np.concatenate([name_lo, target_lo]), np.concatenate([name_hi, target_hi])
        )
        name_ids = all_ids[:n]
        node_of_id = np.full(len(name_texts), -1, dtype=np.int64)
        node_of_id[name_ids] = np.arange(n)
        if not np.array_equal(node_of_id[name_ids], np.arange(n)):
            raise _Tokens  # a node table twice
        target = node_of_id[all_ids[n:]]
        del all_ids
        if any("." in name or "+" in name for name in name_texts):
            raise _Tokens  # not a bare key (a name with '.' in quotes is read by the line patterns)
        root_file = -1
        if root is not None and root in name_texts:
            root_file = int(node_of_id[name_texts.index(root)])
    if (target < 0).any():
        raise _Tokens  # a child that is no node
    if len(target) and np.bincount(target, minlength=n).max() > 1:
        raise _Tokens  # two parents
    parent_file = np.full(n, -1, dtype=np.int64)
    action_owner = pair_owner[is_action]
    parent_file[target] = action_owner
    child_label = np.zeros(n, dtype=np.int64)
    child_label[target] = label_ids[is_action]
    kids_count = np.zeros(n, dtype=np.int64)
    kids_start = np.zeros(n, dtype=np.int64)
    # Actions tables in the order of the file, their pairs (``target``) in a row.
    a_tables = t_key == _ACTIONS
    kids_count[t_owner[a_tables]] = t_count[a_tables]
    kids_start[t_owner[a_tables]] = np.cumsum(t_count[a_tables]) - t_count[a_tables]
    if root is None:
        roots = np.flatnonzero(parent_file < 0)
        if len(roots) != 1:
            raise _Tokens
        root_file = int(roots[0])
    elif root_file < 0 or parent_file[root_file] >= 0:
        raise _Tokens
    order_a, depth = _breadth_first(root_file, kids_start, kids_count, target, n)

    # -- breadth-first arrays ----------------------------------------------------
    bfs_of = np.empty(n, dtype=np.int64)
    bfs_of[order_a] = np.arange(n)
    num_children = kids_count[order_a].astype(np.int32)
    first_child = np.zeros(n, dtype=np.int64)
    if n > 1:
        first_child[:] = 1 + np.concatenate(([0], np.cumsum(num_children, dtype=np.int64)[:-1]))
        first_child[num_children == 0] = 0
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(n, dtype=np.int64), num_children)
    kind_bfs = kind[order_a]
    player_bfs = mover[order_a]
    action_label = ("", *np.array(labels, dtype=object)[child_label[order_a[1:]]].tolist())
    node_names: Sequence[str]
    if numbers is not None:
        in_order = numbers[order_a]
        if np.array_equal(in_order, np.arange(n)):
            node_names = NumberedNames(n)
        else:
            node_names = tuple(f"n{k}" for k in in_order.tolist())
    else:
        assert name_texts is not None and name_ids is not None
        node_names = tuple(np.array(name_texts, dtype=object)[name_ids[order_a]].tolist())

    # -- chance probabilities ----------------------------------------------------
    is_prob = pair_kind == _PROBABILITIES
    n_labels = len(labels) + 1
    chance_child = is_action & is_chance[pair_owner]
    action_keys = pair_owner[chance_child] * n_labels + label_ids[chance_child]
    prob_keys = pair_owner[is_prob] * n_labels + label_ids[is_prob]
    by_key = np.argsort(prob_keys, kind="stable")
    if not np.array_equal(np.sort(action_keys), prob_keys[by_key]):
        raise _Tokens  # probabilities not of the node's actions
    edge_child = bfs_of[target[chance_child[is_action]]]
    edge_order = np.argsort(edge_child, kind="stable")
    edges = edge_child[edge_order]
    prob_pair = np.flatnonzero(is_prob)[by_key[np.searchsorted(prob_keys[by_key], action_keys[edge_order])]]
    prob_ids, prob_texts_distinct = _distinct(
        b, starts[pair_value[prob_pair]], ends[pair_value[prob_pair]], few=True
    )
    if any(t[0] != '"' and _NUMBER_TEXT.fullmatch(t) is None for t in prob_texts_distinct):
        raise _Tokens  # not a TOML number the line patterns take
    values = [constant(t) for t in prob_texts_distinct]
    if any(not 0 <= v <= 1 for v, _ in values):
        raise _Tokens
    dnum, dden = split([v for v, _ in values])
    pnum, pden = dnum[prob_ids], dden[prob_ids]
    if len(edges):
        groups = np.flatnonzero(np.diff(parent[edges], prepend=-1))
        snum, sden = group_sum(pnum[:, None], pden, np.ones_like(pden), np.ones_like(pden), groups)
        if not ((snum[:, 0] == 1) & (sden == 1)).all():
            raise _Tokens  # the probabilities do not add up to 1
    shown = [k for k, (_, text) in enumerate(values) if text is not None]
    prob_texts = {
        k: values[i][1] for k, i in zip(
            np.flatnonzero(np.isin(prob_ids, shown)).tolist(), prob_ids[np.isin(prob_ids, shown)].tolist(),
            strict=True,
        )
    }

    # -- outcomes: one per node with payoffs, breadth-first ----------------------
    is_pay = pair_kind == _PAYOFFS
    if (np.bincount(pair_owner[is_pay], minlength=n)[has[_PAYOFFS]] != n_players).any():
        raise _Tokens
    player_of_label = np.array([player_index.get(label, -1) for label in labels], dtype=np.int64)
    pay_player = player_of_label[label_ids[is_pay]]
    if (pay_player < 0).any():
        raise _Tokens  # a payoff to no player
    with_payoffs = np.sort(bfs_of[has[_PAYOFFS]])
    n_outcomes = len(with_payoffs)
    outcome = np.full(n, -1, dtype=np.int32)
    outcome[with_payoffs] = np.arange(n_outcomes, dtype=np.int32)
    outcome_file = np.full(n, -1, dtype=np.int64)
    outcome_file[order_a[with_payoffs]] = np.arange(n_outcomes)
    flat = outcome_file[pair_owner[is_pay]] * n_players + pay_player
    pay_tok = pair_value[is_pay]
    quoted = kinds[pay_tok] == _QT
    whole, whole_value = _whole_numbers(b, starts[pay_tok] + quoted, ends[pay_tok] - quoted, quoted)
    num: npt.NDArray[Any] = np.zeros(n_outcomes * n_players, dtype=np.int64)
    den: npt.NDArray[Any] = np.ones(n_outcomes * n_players, dtype=np.int64)
    if whole.all():
        num[flat] = whole_value
    else:
        num[flat[whole]] = whole_value[whole]
    value_texts: dict[tuple[int, int], str] = {}
    rest = np.flatnonzero(~whole)
    if len(rest):
        rest_ids, rest_texts = _distinct(b, starts[pay_tok[rest]], ends[pay_tok[rest]])
        if any(t[0] != '"' and _NUMBER_TEXT.fullmatch(t) is None for t in rest_texts):
            raise _Tokens  # not a TOML number the line patterns take
        got = [constant(t) for t in rest_texts]
        rnum, rden = split([v for v, _ in got])
        if rnum.dtype == object:
            num, den = num.astype(object), den.astype(object)
        num[flat[rest]] = rnum[rest_ids]
        den[flat[rest]] = rden[rest_ids]
        for k, i in zip(flat[rest].tolist(), rest_ids.tolist(), strict=True):
            text_k = got[i][1]
            if text_k is not None:
                value_texts[(k // n_players, k % n_players)] = text_k
    paying = order_a[with_payoffs]
    label_tok = value_of[_OUTCOME, paying]
    labelled = label_tok >= 0
    label_lo = np.where(labelled, starts[label_tok] + 1, name_lo[paying])
    label_hi = np.where(labelled, ends[label_tok] - 1, name_hi[paying])
    ids, texts = _distinct(b, label_lo, label_hi, few=True)
    outcome_labels = np.array(texts, dtype=object)[ids].tolist()

    # -- information sets: named by infoset, or by the node's name -------------
    set_lo = np.where(named, starts[infoset_tok] + 1, name_lo[deciders])
    set_hi = np.where(named, ends[infoset_tok] - 1, name_hi[deciders])
    set_of_decider, set_names = _distinct(b, set_lo, set_hi)
    infoset_ids = np.zeros(n, dtype=np.int64)
    infoset_ids[bfs_of[deciders]] = set_of_decider
    del b, starts, ends, kinds

    outcomes = ConstantOutcomes(
        outcome_labels,
        num.reshape(n_outcomes, n_players),
        den.reshape(n_outcomes, n_players),
        None,
        value_texts,
    )
    chance_probability = ConstantProbabilities(n, edges, pnum, pden, prob_texts)
    return game_from_parts(
        title=head.title,
        players=players,
        parameters=head.parameters,
        node_names=node_names,
        parent=parent,
        kind=kind_bfs,
        player=player_bfs,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children,
        depth=depth,
        action_label=action_label,
        chance_probability=chance_probability,
        outcomes=outcomes,
        infoset_names=(),
        infoset_ids=infoset_ids,
        set_names=set_names,
        description=description,
        sources=head.sources,
        comment="",
        origin="toml",
        node_paths=(),
        node_labels=(),
        node_infoset_labels=(),
    )


#: Levels of a tree walked with numpy before the walk goes on in Python.
_LEVELS = 2000


def _breadth_first(
    root: int, kids_start: npt.NDArray[np.int64], kids_count: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64], n: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The nodes in breadth-first order from ``root``, and their depths (all nodes reached, or :class:`_Tokens`).

    ``target[kids_start[f] : kids_start[f] + kids_count[f]]`` are the children
    of node ``f``; each node has at most one parent. One step of numpy per
    level; past :data:`_LEVELS` levels (a deep, narrow tree) the rest is
    walked in Python.
    """
    parts = [np.array([root], dtype=np.int64)]
    depths = [np.zeros(1, dtype=np.int32)]
    frontier = parts[0]
    reached = 1
    level = 0
    while True:
        counts = kids_count[frontier]
        total = int(counts.sum())
        if not total:
            break
        level += 1
        if level > _LEVELS:
            return _breadth_first_python(parts, depths, kids_start, kids_count, target, n)
        firsts = np.cumsum(counts) - counts
        at = np.repeat(kids_start[frontier] - firsts, counts) + np.arange(total)
        frontier = target[at]
        reached += total
        if reached > n:
            raise _Tokens
        parts.append(frontier)
        depths.append(np.full(total, level, dtype=np.int32))
    if reached != n:
        raise _Tokens  # nodes the root does not reach
    return np.concatenate(parts), np.concatenate(depths)


def _breadth_first_python(
    parts: list[npt.NDArray[np.int64]], depths: list[npt.NDArray[np.int32]],
    kids_start: npt.NDArray[np.int64], kids_count: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64], n: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """:func:`_breadth_first` from its last level on, node by node."""
    order = np.concatenate(parts).tolist()
    depth = np.concatenate(depths).tolist()
    start, count, kids = kids_start.tolist(), kids_count.tolist(), target.tolist()
    at = len(order) - len(parts[-1])
    while at < len(order):
        f = order[at]
        if count[f]:
            s = start[f]
            order.extend(kids[s : s + count[f]])
            depth.extend([depth[at] + 1] * count[f])
            if len(order) > n:
                raise _Tokens
        at += 1
    if len(order) != n:
        raise _Tokens
    return np.array(order, dtype=np.int64), np.array(depth, dtype=np.int32)
