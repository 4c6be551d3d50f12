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
    game_from_parts,
    gc_paused,
)
from policy.rational import INT_LIMIT, split

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
#: A line that opens any other table (or anything else starting with '[').
_OTHER_HEADER = re.compile(
    rf"^[ \t]*\[(?!nodes\.(?:{_KEY})\][ \t]*(?:#[^\n]*)?$)", re.M
)
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


def _unquote(token: str) -> str:
    return token[1:-1] if token[:1] in ("'", '"') else token


def _read(text: str, reader: _Reader, known_claims: Sequence[str] | None, base: Path | None) -> Game:
    if _CUT in text:
        raise _Decline
    first = _FIRST_HEADER.search(text)
    if first is None:
        raise _Decline
    start = first.start()
    after = _OTHER_HEADER.search(text, start)
    end = after.start() if after is not None else len(text)
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
    # The rest, with one empty node table where the node tables were: the header
    # would be an error inside an array, and make no table inside a multi-line string.
    data = parse_toml(f"{text[:start]}[nodes.{_CUT}]\n{text[end:]}")
    if data.get("nodes") != {_CUT: {}}:
        raise _Decline  # node tables elsewhere too, or the cut inside a string
    head = reader.head(data, known_claims, base)
    players = head.players
    if not players or len(set(players)) != len(players):
        raise _Decline

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

    # -- numbers, by the usual parser, once per distinct text --------------------
    parameter_names = frozenset(head.parameters)
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
