"""A whole-file reader of Gambit ``.nfg`` files into arrays, for big tables.

:func:`policy.gambit.read_nfg` reads a file token by token in Python; a
1000 x 1000 table is two million payoff tokens, seconds of work. Here the
short opening (title, players, strategies, comment) is read with the token
pattern, and the body with numpy over its bytes (the tokenizer and number
conversion of :mod:`policy.efg_arrays`): in the payoff version a flat list of
numbers, in the outcome version a list of ``{ "label" payoffs }`` followed by
one outcome number per strategy profile. The tree is then made from the
strategy counts alone (one level per player, as the token reader builds it).

Anything unusual (a backslash, an exponent, a word where a number belongs, a
wrong count) makes :func:`read_nfg_arrays` return ``None``, and
:func:`~policy.gambit.read_nfg` reads the file the slow way, which gives the
located error message. The game built is the same game, with payoffs held as
arrays (:class:`policy.model.ConstantOutcomes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from policy.efg_arrays import _C, _L, _R, _S, _W, _NotHere, _numbers, _strings, _tokens, reduce_rows
from policy.model import (
    ConstantOutcomes,
    ConstantProbabilities,
    Game,
    GameError,
    NodeKind,
    NumberedNames,
    game_from_parts,
)

_Header = tuple[str, list[str], list[list[str]], str]


def read_nfg_arrays(text: str) -> Game | None:
    """The game of an ``.nfg`` file's text, or None when the token reader must read it."""
    try:
        opening = _header(text)
        if opening is None:
            return None
        return _read(text, *opening)
    except (_NotHere, GameError):
        return None


def _header(text: str) -> tuple[_Header, int] | None:
    """Title, players, strategy labels and comment, and where the body starts (None: unusual)."""
    from policy.gambit import _TOKENS, normalize_labels

    tokens = _TOKENS.finditer(text)
    try:
        magic, version, rational = next(tokens), next(tokens), next(tokens)
        if magic.group(4) != "NFG" or version.group(2) != "1" or rational.group(4) not in ("R", "D"):
            return None
        title = next(tokens).group(1)
        if title is None or "\\" in title or next(tokens).group(3) != "{":
            return None
        raw_players = []
        token = next(tokens)
        while token.group(1) is not None:
            raw_players.append(token.group(1))
            token = next(tokens)
        if token.group(3) != "}" or not raw_players or any("\\" in p for p in raw_players):
            return None
        players = normalize_labels(raw_players)
        if next(tokens).group(3) != "{":
            return None
        strategies: list[list[str]] = []
        token = next(tokens)
        if token.group(3) == "{":
            for k in range(len(players)):
                if k:
                    token = next(tokens)
                    if token.group(3) != "{":
                        return None
                labels = []
                token = next(tokens)
                while token.group(1) is not None:
                    if "\\" in token.group(1):
                        return None
                    labels.append(token.group(1))
                    token = next(tokens)
                if token.group(3) != "}" or not labels:
                    return None
                strategies.append(normalize_labels(labels))
            token = next(tokens)
        else:
            # Each profile needs a token in the body, so counts whose product is
            # more than the file's length are wrong (the token reader says so):
            # checked before any label is made.
            cells = 1
            for _ in players:
                count = token.group(2)
                if count is None or not count.isdigit() or len(count) > 12 or int(count) < 1:
                    return None
                cells *= int(count)
                if cells > len(text):
                    return None
                strategies.append([str(k) for k in range(1, int(count) + 1)])
                token = next(tokens)
        if token.group(3) != "}":
            return None
        end = token.end()
        comment = ""
        token = next(tokens)
        if token.group(1) is not None:
            if "\\" in token.group(1):
                return None
            comment = token.group(1)
            end = token.end()
    except StopIteration:
        return None
    return (title, players, strategies, comment), end


def _read(text: str, opening: _Header, body_start: int) -> Game:
    title, players, strategies, comment = opening
    n_players = len(players)
    sizes = [len(s) for s in strategies]
    cells = 1
    for s in sizes:
        cells *= s
    data = text[body_start:].encode("utf-8")
    if not data.strip():
        raise _NotHere
    b, starts, ends, kinds = _tokens(data)
    if len(starts) < cells:
        raise _NotHere
    labels: list[str] | None
    if kinds[0] == _W:  # the payoff version: numbers only, player 1's strategy fastest
        if len(starts) != cells * n_players or (kinds != _W).any():
            raise _NotHere
        num, den = _numbers(data, b, starts, ends)
        num, den = num.reshape(cells, n_players), den.reshape(cells, n_players)
        labels = None
        cell_outcome = np.arange(cells, dtype=np.int64)
    elif kinds[0] == _L:
        depth = np.cumsum(kinds == _L) - np.cumsum(kinds == _R)
        closed = np.flatnonzero(depth == 0)
        if not len(closed):
            raise _NotHere
        close = int(closed[0])
        inner = np.arange(1, close)
        # Commas are optional, and only after a payoff, before another payoff or the '}'.
        commas = inner[kinds[inner] == _C]
        if len(commas) and ((kinds[commas - 1] != _W) | (depth[commas] != 2)).any():
            raise _NotHere
        inner = inner[kinds[inner] != _C]
        width = n_players + 3
        if len(inner) % width:
            raise _NotHere
        shape = kinds[inner].reshape(-1, width)
        pattern = np.array([_L, _S] + [_W] * n_players + [_R], dtype=kinds.dtype)
        if not (shape == pattern).all():
            raise _NotHere
        grid = inner.reshape(-1, width)
        n_outcomes = len(grid)
        pay = grid[:, 2:-1].ravel()
        num, den = _numbers(data, b, starts[pay], ends[pay])
        num, den = num.reshape(n_outcomes, n_players), den.reshape(n_outcomes, n_players)
        if n_outcomes:
            ids, texts = _strings(data, b, starts[grid[:, 1]], ends[grid[:, 1]])
            labels = np.array(texts, dtype=object)[ids].tolist()
        else:
            labels = []
        rest = np.arange(close + 1, len(starts))
        if len(rest) != cells or (kinds[rest] != _W).any():
            raise _NotHere
        # Outcome numbers are plain digits (no sign, no fraction), at most 12 of them.
        tail = b[int(starts[rest[0]]) :]
        if not np.isin(tail, np.frombuffer(b"0123456789 \t\n\r\x0b\x0c", dtype=np.uint8)).all():
            raise _NotHere
        if int((ends[rest] - starts[rest]).max()) > 12:
            raise _NotHere
        k, _ = _numbers(data, b, starts[rest], ends[rest])
        if (k > n_outcomes).any():
            raise _NotHere
        cell_outcome = k - 1
    else:
        raise _NotHere
    return _tree(title, players, strategies, comment, cell_outcome, ConstantOutcomes(labels, *reduce_rows(num, den)))


def integer_table(
    title: str,
    players: list[str],
    strategies: list[list[str]],
    payoffs: list[npt.NDArray[np.int64]],
    labels: list[str],
) -> Game:
    """The game :func:`read_nfg_arrays` reads from the outcome-version file of integer payoff arrays.

    For :func:`policy.api.from_matrices`, which would otherwise write that
    file and read it back: ``payoffs[p][s_1, ..., s_n]`` is player ``p``'s
    payoff (int64, each of at most 18 digits, as the file's reader takes
    plain integers), ``labels`` the outcome labels in the file's order
    (player 1's strategy changing fastest). The caller makes sure that no
    text holds a quote, a backslash or a NUL (which the file would escape,
    or the reader refuse); the labels of players and strategies are made
    unique as the reader makes them.
    """
    from policy.gambit import normalize_labels

    cells = len(labels)
    # The file lists the profiles with player 1's strategy fastest: each array's transpose, flattened.
    num = np.stack([np.asarray(a, dtype=np.int64).transpose().ravel() for a in payoffs], axis=1)
    # Integers over 1 are in lowest terms already (reduce_rows would leave them as they are).
    den = np.ones_like(num)
    return _tree(
        title,
        normalize_labels(players),
        [normalize_labels(s) for s in strategies],
        "",
        np.arange(cells, dtype=np.int64),
        ConstantOutcomes(labels, num, den),
    )


def _tree(
    title: str,
    players: list[str],
    strategies: list[list[str]],
    comment: str,
    cell_outcome: Any,
    outcomes: ConstantOutcomes,
) -> Game:
    """The tree :func:`policy.gambit._build_table` makes, as arrays: one level per player."""
    sizes = [len(s) for s in strategies]
    n_players = len(players)
    level_sizes = [1]
    for s in sizes:
        level_sizes.append(level_sizes[-1] * s)
    n = sum(level_sizes)
    num_children = np.concatenate(
        [np.full(level_sizes[d], sizes[d], dtype=np.int32) for d in range(n_players)]
        + [np.zeros(level_sizes[-1], dtype=np.int32)]
    )
    depth = np.repeat(np.arange(n_players + 1, dtype=np.int32), level_sizes)
    decision = depth < n_players
    kind = np.where(decision, NodeKind.DECISION, NodeKind.TERMINAL).astype(np.int8)
    player = np.where(decision, depth, -1).astype(np.int32)
    first_child = np.zeros(n, dtype=np.int64)
    first_child[decision] = 1 + np.concatenate(([0], np.cumsum(num_children)[:-1]))[decision]
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(n, dtype=np.int64), num_children)
    action_label: list[str] = [""]
    for d in range(n_players):
        action_label.extend(strategies[d] * level_sizes[d])
    # Profiles in the file have player 1's strategy changing fastest; the tree's
    # terminals (breadth-first) have it changing slowest.
    file_index = np.arange(level_sizes[-1], dtype=np.int64).reshape(sizes[::-1]).transpose().ravel()
    outcome = np.full(n, -1, dtype=np.int32)
    outcome[~decision] = cell_outcome[file_index]
    empty = np.zeros(0, dtype=np.int64)
    return game_from_parts(
        title=title,
        players=players,
        parameters={},
        node_names=NumberedNames(n),
        parent=parent,
        kind=kind,
        player=player,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children,
        depth=depth,
        action_label=tuple(action_label),
        chance_probability=ConstantProbabilities(n, empty, empty, np.ones(0, dtype=np.int64)),
        outcomes=outcomes,
        infoset_names=(),
        description="",
        sources=(),
        comment=comment,
        origin="nfg",
        node_paths=(),
        infoset_ids=np.where(decision, player, -1).astype(np.int64),
        set_names=[f"{p}:1" for p in players],
    )


__all__: Sequence[str] = ["integer_table", "read_nfg_arrays"]
