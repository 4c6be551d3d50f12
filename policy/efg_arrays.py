"""A whole-file reader of Gambit ``.efg`` files into arrays, for big trees.

:func:`policy.gambit.read_efg` reads a file token by token in Python: clear
errors, any file, but a microsecond or more per token, so a million-node tree
takes a minute. Here the same grammar is read with numpy over the bytes of the
whole file: token boundaries from character classes, the nodes from the
positions of their letters, numbers from their digits, labels made once per
distinct label, and the tree's breadth-first order from the file's pre-order
(within a depth both orders are the same: lexicographic in the path).

Files of at most :data:`SMALL_FILE` characters are read instead by
:func:`_read_small` in Python (numpy's cost per call outweighs its work
there): node by node with one regular expression per node when every node
has its usual layout, else token by token; it builds the same arrays and the
same game, and passes on to the array reader anything unusual.

This reader only accepts what it can read exactly; anything unusual (a
backslash anywhere, a number in exponent form, an outcome or information set
declared twice in a different way, any error) makes it return ``None``, and
:func:`~policy.gambit.read_efg` reads the file the slow way, which gives the
located error messages. The game it builds is the same game, with payoffs and
probabilities held as arrays (:class:`policy.model.ConstantOutcomes`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from policy.model import (
    CHANCE,
    DECISION,
    TERMINAL,
    ConstantOutcomes,
    ConstantProbabilities,
    Game,
    GameError,
    NodeKind,
    NumberedNames,
    game_from_parts,
)
from policy.rational import group_sum, reduce

Ints = npt.NDArray[np.int64]

# Token kinds.
_S, _W, _L, _R, _C = 1, 2, 3, 4, 5
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
#: Digits a number may have here (int64 is exact to 18 digits).
_MAX_DIGITS = 18
_POW10 = np.array([10**k for k in range(_MAX_DIGITS + 1)], dtype=np.int64)
#: Number tokens converted per step (bounds the temporaries).
_CHUNK = 1 << 17


#: Files of at most this many characters after their header are read in
#: Python (:func:`_read_small`), where numpy's cost per call outweighs its work.
SMALL_FILE = 5_000


class _NotHere(Exception):
    """The file needs the token-by-token reader."""


def read_efg_arrays(text: str, header: tuple[str, list[str], str], header_end: int) -> Game | None:
    """The game of an ``.efg`` file's text, or None when the slow reader must read it.

    ``header`` is (title, players, comment) as the slow reader read them, and
    ``header_end`` the character offset where the first node starts.
    """
    try:
        if len(text) - header_end <= SMALL_FILE:
            try:
                return _read_small(text, header, header_end)
            except _NotHere:
                pass  # the array reader decides
        return _read(text, header, header_end)
    except (_NotHere, GameError, UnicodeEncodeError):  # the last: a str with a lone surrogate
        return None


# Character classes: white space, other (words and numbers), braces, comma, quote.
_SPACE, _OTHER, _LBR, _RBR, _COMMA, _Q = 0, 1, 2, 3, 4, 5
_CLASS = np.full(256, _OTHER, dtype=np.uint8)
_CLASS[[9, 10, 11, 12, 13, 32]] = _SPACE
_CLASS[ord("{")] = _LBR
_CLASS[ord("}")] = _RBR
_CLASS[ord(",")] = _COMMA
_CLASS[_QUOTE] = _Q
_START_KIND = np.array([0, _W, _L, _R, _C, _S], dtype=np.int8)


#: Bytes classified at a time by :func:`_tokens`. Its temporaries stay a few MB, so the
#: memory of one piece is reused for the next rather than fresh pages mapped for each
#: byte-sized array (which costs more than the work on them on a large file).
_TOKEN_CHUNK = 1 << 22


def _tokens(data: bytes) -> tuple[npt.NDArray[np.uint8], Any, Any, npt.NDArray[np.int8]]:
    """Bytes, and each token's start, end (exclusive) and kind."""
    b = np.frombuffer(data, dtype=np.uint8)
    if data.find(b"\\") >= 0:
        raise _NotHere
    index = np.int32 if len(b) < 2**31 else np.int64
    starts_parts, kinds_parts, word_end_parts, quote_parts = [], [], [], []
    inside = False  # whether the piece starts inside a string
    before = -1  # the class of the byte before the piece (strings masked), -1 at the start
    word_before = False  # whether that byte belongs to a word
    for lo in range(0, len(b), _TOKEN_CHUNK):
        cls = _CLASS[b[lo : lo + _TOKEN_CHUNK]]
        quote = cls == _Q
        q = np.flatnonzero(quote)
        # Inside a string (quotes included) everything is one class: the string's.
        in_string = np.logical_xor.accumulate(quote)
        if inside:
            np.logical_not(in_string, out=in_string)
        in_string[q] = True
        cls[in_string] = _Q
        opening = q[1::2] if inside else q[0::2]
        inside ^= bool(len(q) % 2)
        # A token starts where the class changes to a non-space one, and at every
        # brace, comma and opening quote; strings next to each other are split at their quotes.
        begins = np.empty(len(cls), dtype=bool)
        begins[0] = int(cls[0]) != before
        np.not_equal(cls[1:], cls[:-1], out=begins[1:])
        begins &= cls != _SPACE
        begins |= (cls >= _LBR) & (cls <= _COMMA)
        begins[opening] = True
        at = np.flatnonzero(begins)
        starts_parts.append((at + lo).astype(index))
        kinds_parts.append(_START_KIND[cls[at]])
        # A word ends (exclusive) at the first byte after it that is not part of one.
        word = cls == _OTHER
        ends_here = np.empty(len(cls), dtype=bool)
        ends_here[0] = word_before and not word[0]
        np.greater(word[:-1], word[1:], out=ends_here[1:])
        word_end_parts.append((np.flatnonzero(ends_here) + lo).astype(index))
        quote_parts.append((q + lo).astype(index))
        before, word_before = int(cls[-1]), bool(word[-1])
    if inside:
        raise _NotHere  # a string left open
    if word_before:
        word_end_parts.append(np.array([len(b)], dtype=index))
    starts = np.concatenate(starts_parts) if starts_parts else np.zeros(0, dtype=index)
    kinds = np.concatenate(kinds_parts) if kinds_parts else np.zeros(0, dtype=np.int8)
    quotes = np.concatenate(quote_parts) if quote_parts else np.zeros(0, dtype=index)
    ends = np.empty(len(starts), dtype=index)
    is_s = kinds == _S
    ends[is_s] = quotes[1::2] + 1
    is_w = kinds == _W
    ends[is_w] = np.concatenate(word_end_parts) if word_end_parts else np.zeros(0, dtype=index)
    single = ~(is_s | is_w)
    ends[single] = starts[single] + 1
    return b, starts, ends, kinds


def _strings(data: bytes, b: npt.NDArray[np.uint8], starts: Ints, ends: Ints) -> tuple[Ints, list[str]]:
    """For quoted string tokens: an id per token and the distinct contents (decoded) by id."""
    lo, hi = starts + 1, ends - 1
    if not len(lo):
        return np.zeros(0, dtype=np.int64), []
    width = int((hi - lo).max())
    if width == 0:
        return np.zeros(len(lo), dtype=np.int64), [""]
    if width <= 64:
        pos = lo[:, None] + np.arange(width)[None, :]
        valid = pos < hi[:, None]
        grid = np.where(valid, b[np.minimum(pos, len(b) - 1)], 0).astype(np.uint8)
        keys = np.ascontiguousarray(grid).view(f"S{width}").ravel()
        distinct, ids = np.unique(keys, return_inverse=True)
        # S-arrays drop trailing NUL bytes; a label never holds one (decoded text has no NUL
        # from our writer), but check the lengths to be sure.
        texts = [x.decode("utf-8") for x in distinct.tolist()]
        lengths = np.array([len(x) for x in distinct.tolist()], dtype=np.int64)
        if not np.array_equal(lengths[ids], hi - lo):
            raise _NotHere
        return ids.astype(np.int64).ravel(), texts
    table: dict[bytes, int] = {}
    out = []
    for s, e in zip(lo.tolist(), hi.tolist(), strict=True):
        out.append(table.setdefault(data[s:e], len(table)))
    return np.array(out, dtype=np.int64), [x.decode("utf-8") for x in table]


def _numbers(
    data: bytes, b: npt.NDArray[np.uint8], starts: Ints, ends: Ints, integers_only: bool = False
) -> tuple[Any, Any]:
    """Exact values of number tokens (integers, ``p/q``, plain decimals) as numerators and denominators.

    When every token is a plain integer (the common case) numpy's text parser
    reads them (:func:`_plain_integers`); otherwise plain integers are read from
    a grid of their bytes (one row per token) with array arithmetic and the
    others digit by digit, unless ``integers_only`` (then they are refused, as
    the token reader refuses ``1.0`` or ``2/2`` where a count or number is due).
    """
    n = len(starts)
    if not n:
        return np.zeros(0, dtype=np.int64), np.ones(0, dtype=np.int64)
    whole = _plain_integers(b, starts, ends)
    if whole is not None:  # every token an integer (the common case): numpy's text parser reads them
        return whole, np.ones(n, dtype=np.int64)
    return _grid_numbers(b, starts, ends, integers_only)


def _grid_numbers(b: npt.NDArray[np.uint8], starts: Ints, ends: Ints, integers_only: bool) -> tuple[Any, Any]:
    """:func:`_numbers` for tokens that are not all plain integers, from a grid of their bytes."""
    n = len(starts)
    lens = ends - starts
    width = int(lens.max())
    if width > 40:
        raise _NotHere
    columns = np.arange(width)[None, :]
    grid = np.empty((n, width), dtype=np.uint8)
    valid = np.empty((n, width), dtype=bool)
    for lo in range(0, n, _CHUNK):
        part = slice(lo, lo + _CHUNK)
        pos = starts[part, None] + columns
        valid[part] = pos < ends[part, None]
        grid[part] = np.where(valid[part], b[np.minimum(pos, len(b) - 1)], 0)
    is_digit = (grid >= 48) & (grid <= 57)
    sign = (grid[:, 0] == ord("-")) | (grid[:, 0] == ord("+"))
    ok = is_digit | ~valid
    ok[:, 0] |= sign
    plain = ok.all(axis=1) & (lens - sign >= 1) & (lens - sign <= _MAX_DIGITS)
    num = np.zeros(n, dtype=np.int64)
    den = np.ones(n, dtype=np.int64)
    for lo in range(0, n, _CHUNK):  # in chunks: a few small temporaries at a time
        part = slice(lo, lo + _CHUNK)
        # Place value of each digit, counted from the token's end; the sign and padding count 0.
        place = (lens[part, None] - 1 - columns).clip(0, _MAX_DIGITS)
        value = np.where(is_digit[part], (grid[part].astype(np.int64) - 48) * _POW10[place], 0).sum(axis=1)
        value[grid[part, 0] == ord("-")] *= -1
        num[part] = np.where(plain[part], value, 0)
    rest = np.flatnonzero(~plain)
    if rest.size and integers_only:
        raise _NotHere
    if rest.size:
        rnum, rden = _numbers_by_digit(b, starts[rest], ends[rest])
        num[rest] = rnum
        den[rest] = rden
    return num, den


def _plain_integers(b: npt.NDArray[np.uint8], starts: Ints, ends: Ints) -> Ints | None:
    """The tokens' values when every one is a plain integer (digits, an optional leading ``-``, at most
    ``_MAX_DIGITS`` digits), else None.

    The tokens' bytes are copied into one buffer, a space after each, and read
    by numpy's text parser (``np.fromstring`` with a separator), after checking
    here that every byte is a digit or a leading minus: what the parser reads
    is then exactly what the grid of :func:`_numbers` would. In pieces of
    ``_CHUNK`` tokens, so that the per-byte index arrays stay small.
    """
    n = len(starts)
    lens = (ends - starts).astype(np.int64)
    if int(lens.max()) > _MAX_DIGITS + 1:
        return None
    minus = b[starts] == ord("-")
    if ((lens - minus) < 1).any() or ((lens - minus) > _MAX_DIGITS).any():
        return None
    out = np.empty(n, dtype=np.int64)
    for lo in range(0, n, _CHUNK):
        part = slice(lo, lo + _CHUNK)
        size, first_byte = lens[part], starts[part].astype(np.int64)
        total = int(size.sum())
        token = np.repeat(np.arange(len(size), dtype=np.int64), size)  # the token of each byte
        k = np.arange(total, dtype=np.int64)
        first = np.cumsum(size) - size  # where each token's bytes start among the piece's bytes
        chars = b[k + (first_byte - first)[token]]
        digits = int(np.count_nonzero((chars - np.uint8(48)) <= 9))  # uint8: bytes below '0' wrap past 9
        if digits != total - int(np.count_nonzero(minus[part])):
            # Every token with a leading minus has that one byte that is not a digit; a
            # count of digits short of this means some other byte is not one either.
            return None
        buffer = np.full(total + len(size), ord(" "), dtype=np.uint8)
        buffer[k + token] = chars
        values = np.fromstring(buffer.tobytes(), dtype=np.int64, sep=" ")
        if len(values) != len(size):
            return None
        out[part] = values
    return out


def _numbers_by_digit(b: npt.NDArray[np.uint8], starts: Ints, ends: Ints) -> tuple[Any, Any]:
    """:func:`_numbers` for ``p/q`` and decimals (and signed forms), digit by digit."""
    n = len(starts)
    if not n:
        return np.zeros(0, dtype=np.int64), np.ones(0, dtype=np.int64)
    sign = np.ones(n, dtype=np.int64)
    first = b[starts]
    minus = first == ord("-")
    signed = minus | (first == ord("+"))
    sign[minus] = -1
    lo = starts + signed
    lens = ends - lo
    if (lens <= 0).any():
        raise _NotHere
    total = int(lens.sum())
    group = np.repeat(np.arange(n), lens)
    pos = np.repeat(lo, lens) + (np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens))
    ch = b[pos]
    digit = (ch >= 48) & (ch <= 57)
    slash = ch == ord("/")
    dot = ch == ord(".")
    if not (digit | slash | dot).all():
        raise _NotHere  # exponents and anything else: the slow reader
    slashes = np.bincount(group, weights=slash, minlength=n)
    dots = np.bincount(group, weights=dot, minlength=n)
    if (slashes > 1).any() or (dots > 1).any() or ((slashes > 0) & (dots > 0)).any():
        raise _NotHere
    # Split each token at its slash (if any): the part after it is the denominator.
    slash_at = np.full(n, -1, dtype=np.int64)
    slash_at[group[slash]] = pos[slash]
    after_slash = (slash_at[group] >= 0) & (pos > slash_at[group])
    dot_at = np.full(n, -1, dtype=np.int64)
    dot_at[group[dot]] = pos[dot]
    part_end = np.where(slash_at >= 0, slash_at, ends)
    # Digits in the numerator part: place value from the right, skipping the dot.
    in_num = digit & ~after_slash
    in_den = digit & after_slash
    num_digits = np.bincount(group, weights=in_num, minlength=n).astype(np.int64)
    den_digits = np.bincount(group, weights=in_den, minlength=n).astype(np.int64)
    if (num_digits == 0).any() or ((slash_at >= 0) & (den_digits == 0)).any():
        raise _NotHere
    if (num_digits > _MAX_DIGITS).any() or (den_digits > _MAX_DIGITS).any():
        raise _NotHere
    places = part_end[group] - pos - 1
    places = places - ((dot_at[group] >= 0) & (pos < dot_at[group]))  # the dot is not a digit
    first_char = np.cumsum(lens) - lens
    digits = ch.astype(np.int64) - 48
    value = np.where(in_num, digits * _POW10[np.clip(places, 0, _MAX_DIGITS)], 0)
    num = np.add.reduceat(value, first_char)
    den = np.ones(n, dtype=np.int64)
    has_slash = slash_at >= 0
    if has_slash.any():
        places_den = ends[group] - pos - 1
        den_value = np.where(in_den, digits * _POW10[np.clip(places_den, 0, _MAX_DIGITS)], 0)
        den = np.where(has_slash, np.add.reduceat(den_value, first_char), 1)
        if (den == 0).any():
            raise _NotHere  # division by zero: the slow reader says so
    has_dot = dot_at >= 0
    if has_dot.any():
        decimals = ends - dot_at - 1
        den[has_dot] = _POW10[decimals[has_dot]]
    return reduce(sign * num, den)


class _Scanned(NamedTuple):
    """What :func:`_scan` finds in an ``.efg`` file's tokens, in pre-order (the file's order)."""

    n: int
    inner: Ints  # the nodes that are not terminals
    set_of: Ints  # each node's set or chance event (index of its declaring node in ``defining``), -1 for terminals
    is_p: npt.NDArray[np.bool_]
    is_c: npt.NDArray[np.bool_]
    player_number: Ints  # 1-based mover of each player node (0 elsewhere)
    set_number: Ints  # the file's set or event number of each inner node
    node_outcome: Ints  # each node's outcome (position in declaration order), -1 for none
    defining: Ints  # the node that declares each set or event
    first_of_owner: Ints  # where each declaration's action labels start among ``labels``
    count_of_owner: Ints  # and how many it has
    labels: npt.NDArray[Any]  # every declared action label, in file order
    act_tok: Ints  # the tokens of those labels
    prob_tok: Ints  # the tokens of chance probabilities
    pnum: Ints  # their numerators and denominators
    pden: Ints
    node_label_ids: Ints
    node_label_texts: list[str]
    set_label_ids: Ints
    set_label_texts: list[str]
    outcome_labels: list[str]
    vnum: Ints  # the outcomes' payoffs (outcomes, players), numerators and denominators
    vden: Ints


def _read(text: str, header: tuple[str, list[str], str], header_end: int) -> Game:
    """The game of an ``.efg`` file's text after its header, read as arrays.

    In two steps, so that the token arrays of the first are freed before the
    tree of the second is built (the peak memory of a large file is what costs).
    """
    return _build(header, _scan(text, header, header_end))


def _scan(text: str, header: tuple[str, list[str], str], header_end: int) -> _Scanned:
    """The tokens of the text after the header, checked and read into the node arrays of :class:`_Scanned`."""
    players = header[1]
    data = text[header_end:].encode("utf-8")
    b, starts, ends, kinds = _tokens(data)
    n_players = len(players)
    # Node letters: one-character words c, p, t.
    is_word = kinds == _W
    one = is_word & (ends - starts == 1)
    letter = np.where(one, b[np.minimum(starts, len(b) - 1)], 0)
    node_tok = np.flatnonzero((letter == ord("c")) | (letter == ord("p")) | (letter == ord("t")))
    if not len(node_tok) or node_tok[0] != 0:
        raise _NotHere
    n = len(node_tok)
    n_tok = len(kinds)
    nxt = np.append(node_tok[1:], n_tok)
    node_letter = letter[node_tok]
    is_t = node_letter == ord("t")
    is_p = node_letter == ord("p")
    is_c = node_letter == ord("c")
    del is_word, one, letter  # token-sized; the node letters are all that is needed of them
    kpad = np.append(kinds, np.zeros(8, dtype=np.int8))

    def kind_at(at: Ints, kpad: npt.NDArray[np.int8] = kpad) -> npt.NDArray[np.int8]:
        return kpad[np.minimum(at, len(kpad) - 1)]

    s = node_tok
    if (kind_at(s + 1) != _S).any():
        raise _NotHere
    # Information set / chance event part.
    set_at = np.where(is_p, s + 4, s + 3)
    declared = ~is_t & (kind_at(set_at) == _S) & (set_at < nxt)
    if (kind_at(s + 2)[~is_t] != _W).any() or (kind_at(s + 3)[is_p] != _W).any():
        raise _NotHere
    r_tokens = np.flatnonzero(kinds == _R)
    close = np.full(n, -1, dtype=np.int64)
    if declared.any():
        d = np.flatnonzero(declared)
        if (kind_at(set_at[d] + 1) != _L).any():
            raise _NotHere
        k = np.searchsorted(r_tokens, set_at[d] + 2)
        if (k >= len(r_tokens)).any():
            raise _NotHere
        close[d] = r_tokens[k]
    outcome_at = np.where(is_t, s + 2, np.where(declared, close + 1, set_at))
    if (outcome_at >= nxt).any() or (kind_at(outcome_at) != _W).any():
        raise _NotHere
    has_payoffs = outcome_at + 1 < nxt
    if has_payoffs.any():
        h = np.flatnonzero(has_payoffs)
        if (kind_at(outcome_at[h] + 1) != _S).any() or (kind_at(outcome_at[h] + 2) != _L).any():
            raise _NotHere
        if (kind_at(nxt[h] - 1) != _R).any():
            raise _NotHere
    del kind_at, kpad
    # Every token of a node is now placed; check the insides of the braces.
    role = np.zeros(n_tok + 1, dtype=np.int8)  # 1: action part of a set, 2: payoffs
    d = np.flatnonzero(declared)
    np.add.at(role, set_at[d] + 2, 1)
    np.add.at(role, close[d], -1)
    h = np.flatnonzero(has_payoffs)
    np.add.at(role, outcome_at[h] + 3, 2)
    np.add.at(role, nxt[h] - 1, -2)
    role = np.cumsum(role, dtype=np.int8)[:n_tok]
    in_actions = role == 1
    in_payoffs = role == 2
    del role

    def per_node(mask: npt.NDArray[np.bool_]) -> Ints:
        """How many of each node's tokens are in ``mask`` (a node's tokens run to the next node's)."""
        return np.add.reduceat(mask, node_tok, dtype=np.int64)

    def owners(counts: Ints) -> Ints:
        """The node of each token of a mask, in file order, from the mask's counts per node."""
        return np.repeat(np.arange(n, dtype=np.int32), counts)
    if (kinds[in_payoffs] == _S).any() or (kinds[in_payoffs] == _L).any() or (kinds[in_payoffs] == _R).any():
        raise _NotHere
    if (kinds[in_actions] == _L).any() or (kinds[in_actions] == _R).any() or (kinds[in_actions] == _C).any():
        raise _NotHere
    # A node's tokens: letter, label, numbers, declaration and outcome; count them.
    expected = np.where(is_t, 3, np.where(is_p, 5, 4))
    expected = expected + np.where(declared, 1 + 1 + 1, 0)  # label, {, }
    expected = expected + np.where(has_payoffs, 3, 0)  # label, {, }
    inside = per_node(in_actions | in_payoffs)
    if not np.array_equal(np.diff(np.append(node_tok, n_tok)), expected + inside):
        raise _NotHere
    del expected, inside
    # The tokens inside braces by their part: action labels and chance probabilities, payoffs, commas.
    is_string = kinds == _S
    is_number = kinds == _W
    act_mask = in_actions & is_string
    act_tok = np.flatnonzero(act_mask)
    per_decl_strings = per_node(act_mask)
    del act_mask
    prob_mask = in_actions & is_number
    prob_tok = np.flatnonzero(prob_mask)
    per_decl_numbers = per_node(prob_mask)
    del prob_mask, is_string
    pay_mask = in_payoffs & is_number
    pay_tok = np.flatnonzero(pay_mask)
    pay_count = per_node(pay_mask)
    del pay_mask, is_number
    # Commas: optional, but only between payoffs (as the slow reader takes them: after a number).
    comma_tok = np.flatnonzero(in_payoffs & (kinds == _C))
    if len(comma_tok) and ((kinds[comma_tok - 1] != _W) | ~in_payoffs[comma_tok - 1]).any():
        raise _NotHere
    del comma_tok, in_actions, in_payoffs

    # Integers: players, information set and event numbers, outcome numbers.
    def integers(at: Ints, b: Any = b, starts: Ints = starts, ends: Ints = ends, kinds: Any = kinds) -> Ints:
        if (kinds[np.minimum(at, len(kinds) - 1)] != _W).any() or (at >= len(kinds)).any():
            raise _NotHere
        num, den = _numbers(data, b, starts[at], ends[at], integers_only=True)
        if (den != 1).any() or (b[starts[at]] == ord("+")).any() or (b[starts[at]] == ord("-")).any():
            raise _NotHere
        if (ends[at] - starts[at] > 12).any():
            raise _NotHere
        return num.astype(np.int64)

    # All four kinds in one call (its cost is mostly per call on small files).
    p_nodes = np.flatnonzero(is_p)
    c_nodes = np.flatnonzero(is_c)
    cuts = np.cumsum([n, len(p_nodes), len(p_nodes)])
    numbers = integers(np.concatenate((outcome_at, s[p_nodes] + 2, s[p_nodes] + 3, s[c_nodes] + 2)))
    outcome_number = numbers[: cuts[0]]
    player_number = np.zeros(n, dtype=np.int64)
    player_number[p_nodes] = numbers[cuts[0] : cuts[1]]
    set_number = np.zeros(n, dtype=np.int64)
    set_number[p_nodes] = numbers[cuts[1] : cuts[2]]
    set_number[c_nodes] = numbers[cuts[2] :]
    del numbers
    if ((player_number[p_nodes] < 1) | (player_number[p_nodes] > n_players)).any():
        raise _NotHere
    if (set_number[~is_t] < 1).any():
        raise _NotHere

    # Sets and events: key (player, number); player 0 is chance.
    set_key = player_number * (int(set_number.max(initial=0)) + 1) + set_number
    inner = np.flatnonzero(~is_t)
    decl = np.flatnonzero(declared)
    keys_decl = set_key[decl]
    distinct_keys, first_decl = np.unique(keys_decl, return_index=True)
    if len(distinct_keys) != len(keys_decl):
        # Declared again: the same text is the same declaration.
        seen: dict[int, bytes] = {}
        for node in decl.tolist():
            body = data[starts[set_at[node]] : ends[close[node]]]
            old = seen.setdefault(int(set_key[node]), body)
            if old != body:
                raise _NotHere
    defining = decl[first_decl]  # the declaring node of each distinct key
    where = np.searchsorted(distinct_keys, set_key[inner])
    if (where >= len(distinct_keys)).any() or (distinct_keys[np.minimum(where, len(distinct_keys) - 1)] != set_key[inner]).any():
        raise _NotHere  # used but never declared
    set_of = np.full(n, -1, dtype=np.int64)
    set_of[inner] = where
    if (defining[set_of[inner]] > inner).any():
        raise _NotHere  # used before its declaration
    del where, keys_decl, first_decl
    # Each set's actions: the string tokens of its declaration (with probabilities for chance).
    act_owner = owners(per_decl_strings)
    # Each defining node's action tokens: where they start among act_tok, and how many.
    first_of_owner = (np.cumsum(per_decl_strings) - per_decl_strings)[defining]
    count_of_owner = per_decl_strings[defining]
    if (count_of_owner == 0).any():
        raise _NotHere
    # Inside a chance declaration, tokens alternate label and probability.
    prob_owner = owners(per_decl_numbers)
    if len(prob_tok):
        if (~is_c[prob_owner]).any() or (kinds[prob_tok - 1] != _S).any():
            raise _NotHere
    chance_decl = np.flatnonzero(declared & is_c)
    if (per_decl_strings[chance_decl] != per_decl_numbers[chance_decl]).any():
        raise _NotHere
    del per_decl_strings, per_decl_numbers, chance_decl
    label_ids, label_texts = _strings(data, b, starts[act_tok], ends[act_tok])
    # Gambit's label rule (unique, non-empty) per set: only sets that need it go through Python.
    from policy.gambit import normalize_labels

    labels = np.array(label_texts, dtype=object)[label_ids] if len(label_ids) else np.zeros(0, dtype=object)
    is_defining = np.zeros(n, dtype=bool)
    is_defining[defining] = True
    sel = is_defining[act_owner]
    set_pos = np.searchsorted(distinct_keys, set_key[act_owner[sel]])  # the set of each action token
    empty = np.array([t == "" for t in label_texts], dtype=bool)
    pair = set_pos * (len(label_texts) + 1) + label_ids[sel]
    uniq, counts = np.unique(pair, return_counts=True)
    needs = np.zeros(len(defining), dtype=bool)
    needs[uniq[counts > 1] // (len(label_texts) + 1)] = True
    if len(label_ids):
        needs[set_pos[empty[label_ids[sel]]]] = True
    for j in np.flatnonzero(needs).tolist():
        begin = int(first_of_owner[j])
        stop = begin + int(count_of_owner[j])
        labels[begin:stop] = normalize_labels(list(labels[begin:stop]))
    del act_owner, sel, set_pos, pair, uniq, counts, needs
    # Chance probabilities of each declaring chance node.
    if len(prob_tok):
        pnum, pden = _numbers(data, b, starts[prob_tok], ends[prob_tok])
        if (pnum < 0).any() or (pnum > pden).any():
            raise _NotHere
        group_starts = np.flatnonzero(np.r_[True, prob_owner[1:] != prob_owner[:-1]])
        ones = np.ones(len(pnum), dtype=np.int64)
        tnum, tden = group_sum(pnum[:, None], pden, ones, ones, group_starts)
        if ((tnum[:, 0] != 1) | (tden != 1)).any():
            raise _NotHere
    else:
        pnum = np.zeros(0, dtype=np.int64)
        pden = np.zeros(0, dtype=np.int64)

    # Outcomes: numbered in the file, kept in order of first declaration.
    out_decl = np.flatnonzero(has_payoffs)
    if (outcome_number[out_decl] == 0).any():
        raise _NotHere
    o_keys, o_first = np.unique(outcome_number[out_decl], return_index=True)
    if len(o_keys) != len(out_decl):
        seen_o: dict[int, bytes] = {}
        for node in out_decl.tolist():
            body = data[starts[outcome_at[node] + 1] : ends[nxt[node] - 1]]
            if seen_o.setdefault(int(outcome_number[node]), body) != body:
                raise _NotHere
    o_defining = out_decl[o_first]
    order = np.argsort(o_defining, kind="stable")
    o_keys, o_defining = o_keys[order], o_defining[order]
    used = np.flatnonzero(outcome_number > 0)
    sorted_keys = np.argsort(o_keys)
    pos_in_sorted = np.searchsorted(o_keys[sorted_keys], outcome_number[used])
    pos_in_sorted = np.minimum(pos_in_sorted, max(len(o_keys) - 1, 0))
    if len(used) and (not len(o_keys) or (o_keys[sorted_keys][pos_in_sorted] != outcome_number[used]).any()):
        raise _NotHere
    node_outcome = np.full(n, -1, dtype=np.int64)
    if len(used):
        node_outcome[used] = sorted_keys[pos_in_sorted]
        if (o_defining[node_outcome[used]] > used).any():
            raise _NotHere
    del used, sorted_keys, pos_in_sorted
    if not np.array_equal(pay_count[out_decl], np.full(len(out_decl), n_players)):
        raise _NotHere
    del pay_count
    if len(pay_tok):
        vnum, vden = _numbers(data, b, starts[pay_tok], ends[pay_tok])
        vnum = vnum.reshape(-1, n_players)
        vden = vden.reshape(-1, n_players)
        row_of = np.searchsorted(out_decl, o_defining)
        vnum, vden = vnum[row_of], vden[row_of]
    else:
        vnum = np.zeros((0, n_players), dtype=np.int64)
        vden = np.ones((0, n_players), dtype=np.int64)
    out_label_ids, out_label_texts = _strings(data, b, starts[outcome_at[o_defining] + 1], ends[outcome_at[o_defining] + 1])
    outcome_labels = np.array(out_label_texts, dtype=object)[out_label_ids].tolist() if len(o_defining) else []

    node_label_ids, node_label_texts = _strings(data, b, starts[s + 1], ends[s + 1])
    set_label_ids, set_label_texts = _strings(data, b, starts[set_at[defining]], ends[set_at[defining]])
    found = locals()  # the node arrays above, by their names in _Scanned
    return _Scanned(**{name: found[name] for name in _Scanned._fields})


def _build(header: tuple[str, list[str], str], scanned: _Scanned) -> Game:
    """The game from what :func:`_scan` read: the tree in breadth-first order, labels, chance and outcomes."""
    title, players, comment = header
    (
        n,
        inner,
        set_of,
        is_p,
        is_c,
        player_number,
        set_number,
        node_outcome,
        defining,
        first_of_owner,
        count_of_owner,
        labels,
        act_tok,
        prob_tok,
        pnum,
        pden,
        node_label_ids,
        node_label_texts,
        set_label_ids,
        set_label_texts,
        outcome_labels,
        vnum,
        vden,
    ) = scanned
    # The tree: children counts in pre-order, then breadth-first order.
    n_kids = np.zeros(n, dtype=np.int64)
    n_kids[inner] = count_of_owner[set_of[inner]]
    slots = 1 + np.cumsum(n_kids - 1)  # children still to read after each node
    if (slots[:-1] <= 0).any() or slots[-1] != 0:
        raise _NotHere  # the tree ends early or is cut short
    before = np.concatenate(([1], slots[:-1]))  # slots open when each node is read
    # A node fills the top slot; its parent is the last node that pushed that slot.
    writers = np.repeat(np.arange(n), n_kids)
    heights = np.repeat(before, n_kids) + (np.arange(int(n_kids.sum())) - np.repeat(np.cumsum(n_kids) - n_kids, n_kids))
    event_key = heights * (n + 1) + writers
    event_order = np.argsort(event_key, kind="stable")
    event_key = event_key[event_order]
    query = before[1:] * (n + 1) + np.arange(1, n)
    hit = np.searchsorted(event_key, query) - 1
    parent_pre = np.full(n, -1, dtype=np.int64)
    parent_pre[1:] = writers[event_order][hit]
    del writers, heights, event_key, event_order, query, hit
    depth = np.zeros(n, dtype=np.int64)
    depth[1:] = 1
    up = parent_pre.copy()
    while (up > 0).any():
        moving = up > 0
        depth[moving] += depth[up[moving]]
        up[moving] = up[up[moving]]
    bfs_order = np.argsort(depth, kind="stable")  # pre-order position of each breadth-first node
    bfs_of = np.empty(n, dtype=np.int64)
    bfs_of[bfs_order] = np.arange(n)

    kind = np.full(n, NodeKind.TERMINAL, dtype=np.int8)
    kind[is_p] = NodeKind.DECISION
    kind[is_c] = NodeKind.CHANCE
    kind = kind[bfs_order]
    num_children = n_kids[bfs_order].astype(np.int32)
    player = np.where(is_p, player_number - 1, -1).astype(np.int32)[bfs_order]
    outcome = node_outcome[bfs_order].astype(np.int32)
    depth_bfs = depth[bfs_order].astype(np.int32)
    first_child = np.zeros(n, dtype=np.int64)
    if n > 1:
        first_child[:] = 1 + np.concatenate(([0], np.cumsum(num_children)[:-1]))
        first_child[num_children == 0] = 0
    parent = np.full(n, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(n, dtype=np.int64), num_children)
    # Action labels: child k of a node is its set's k-th action.
    set_bfs = set_of[bfs_order]
    inner_bfs = np.flatnonzero(num_children > 0)
    counts = num_children[inner_bfs].astype(np.int64)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    label_index = np.repeat(first_of_owner[set_bfs[inner_bfs]], counts) + within
    action_label = np.empty(n, dtype=object)
    action_label[0] = ""
    action_label[1:] = labels[label_index]
    # Chance probabilities: the set's probabilities, in the same positions.
    chance_inner = kind[inner_bfs] == NodeKind.CHANCE
    kid_is_chance = np.repeat(chance_inner, counts)
    edges = np.flatnonzero(kid_is_chance) + 1
    # Probability tokens follow the label tokens one to one within a chance declaration.
    prob_index = label_index[kid_is_chance]
    prob_pos = np.searchsorted(prob_tok, act_tok[prob_index] + 1)
    chance = ConstantProbabilities(n, edges, pnum[prob_pos], pden[prob_pos])
    # Labels of nodes and of their sets.
    node_labels = np.array(node_label_texts, dtype=object)[node_label_ids][bfs_order]
    set_label = np.array(set_label_texts + [""], dtype=object)
    per_node_set = np.where(set_of >= 0, set_label_ids[np.maximum(set_of, 0)] if len(set_label_ids) else 0, len(set_label_texts))
    node_set_labels = set_label[per_node_set][bfs_order]
    # Information sets by (player, number), named as the slow reader names them.
    set_names = [
        f"{players[mover - 1]}:{number}" if chooses else ""
        for mover, number, chooses in zip(
            player_number[defining].tolist(), set_number[defining].tolist(), is_p[defining].tolist(), strict=True
        )
    ]
    names = NumberedNames(n)
    outcomes = ConstantOutcomes(outcome_labels, *reduce_rows(vnum, vden))
    return game_from_parts(
        title=title,
        players=players,
        parameters={},
        node_names=names,
        parent=parent,
        kind=kind,
        player=player,
        outcome=outcome,
        first_child=first_child,
        num_children=num_children,
        depth=depth_bfs,
        action_label=tuple(action_label.tolist()),
        chance_probability=chance,
        outcomes=outcomes,
        infoset_names=(),
        description="",
        sources=(),
        comment=comment,
        origin="efg",
        node_paths=(),
        node_labels=tuple(node_labels.tolist()),
        node_infoset_labels=tuple(node_set_labels.tolist()),
        infoset_ids=np.where(kind == NodeKind.DECISION, set_bfs, -1),
        set_names=set_names,
    )


# Small files: a token, with the white space before it; a number.
_PAIR = re.compile(r'([\t\n\x0b\x0c\r ]*)("[^"]*"|[{},]|[^\t\n\x0b\x0c\r {},"]+)')
_NUMBER = re.compile(r"([+-]?)(?:(\d{1,18})/(\d{1,18})|(\d*)\.(\d*)|(\d{1,18}))")


#: The numbers most files use, by their text (a dictionary look-up is cheaper than the checks).
_SMALL_INTEGERS = {str(k): k for k in range(1024)}


def _integer(token: str) -> int:
    """A player, set or outcome number: digits only (as :func:`_read` takes them)."""
    known = _SMALL_INTEGERS.get(token)
    if known is not None:
        return known
    if not (token.isascii() and token.isdigit() and len(token) <= 12):
        raise _NotHere
    return int(token)


def _number(token: str) -> tuple[int, int]:
    """A payoff or probability as :func:`_numbers` reads it: numerator and denominator.

    An integer is ``(value, 1)``, a ratio or decimal in lowest terms.
    """
    m = _NUMBER.fullmatch(token)
    if m is None:
        raise _NotHere
    sign, top, bottom, whole, part, plain = m.groups()
    if plain is not None:
        return (-int(plain) if sign == "-" else int(plain)), 1
    if top is not None:
        value = Fraction(int(top), int(bottom)) if int(bottom) else None
    else:
        digits = whole + part
        if not digits or len(digits) > _MAX_DIGITS:
            raise _NotHere
        value = Fraction(int(digits), 10 ** len(part))
    if value is None:
        raise _NotHere  # division by zero: the slow reader says so
    if sign == "-":
        value = -value
    return value.numerator, value.denominator


#: The lists :func:`_read_small` reads a tree into (see :func:`_small_game`).
_Lists = tuple[list[int], list[str], list["tuple[int, int] | None"], list[int], list[int],
               dict[tuple[int, int], tuple[str, list[str], list[tuple[int, int]], Any]], list[str],
               list[list[tuple[int, int]]]]


def _read_small(text: str, header: tuple[str, list[str], str], header_end: int) -> Game:
    """:func:`_read` for a small file, in Python: the very same game.

    The same grammar and the same refusals (anything :func:`_read` would not
    take raises :class:`_NotHere`, and so do a few things it takes, which it
    then reads): the tree in pre-order with a stack, then the same arrays in
    breadth-first order. A set or outcome declared again must be the same
    text, white space included, as there. Node by node (:func:`_read_nodes`)
    where every node has the usual layout, else token by token
    (:func:`_read_tokens`).
    """
    title, players, comment = header
    body = text[header_end:]
    if "\\" in body or body.count('"') % 2:
        raise _NotHere
    try:
        lists = _read_nodes(body, len(players))
    except _NotHere:
        lists = _read_tokens(body, len(players))
    return _small_game(title, players, comment, *lists)


def _declare(number: Any, declared: Any, label: str, values: Any, outcomes: dict[Any, int],
             outcome_text: list[Any], outcome_labels: list[str], payoffs: list[Any]) -> None:
    """An outcome's declaration on a node: kept the first time its number is met; met again,
    it must be the same text (else the small reader is not the one for this file)."""
    place = outcomes.get(number)
    if place is None:
        outcomes[number] = len(payoffs)
        outcome_labels.append(label)
        payoffs.append(values)
        outcome_text.append(declared)
    elif outcome_text[place] != declared:
        raise _NotHere


def _placed(stack: list[list[int]], depth: list[int], key: Any, sets: Any) -> bool:
    """Place a node read in preorder: its depth from the open parents on ``stack``, one child
    fewer left to its parent, its own children opened when it has a set ``key``. True when
    the tree is complete (no parent left open)."""
    here = stack[-1][1] if stack else 0
    depth.append(here)
    if stack:
        stack[-1][0] -= 1
        if not stack[-1][0]:
            stack.pop()
    if key is not None:
        stack.append([len(sets[key][1]), here + 1])
    return not stack


def _read_tokens(body: str, n_players: int) -> _Lists:
    """:func:`_read_small`'s lists, token by token."""
    from policy.gambit import normalize_labels

    pairs = _PAIR.findall(body)
    tokens = [t for _, t in pairs]
    read: dict[str, tuple[int, int]] = {}  # number token -> value

    def number_of(token: str) -> tuple[int, int]:
        got = read.get(token)
        if got is None:
            got = read[token] = _number(token)
        return got
    kinds: list[int] = []
    node_labels: list[str] = []
    keys: list[tuple[int, int] | None] = []
    node_outcomes: list[int] = []
    depth: list[int] = []
    # Set key -> (label, actions, probabilities, its declaration's text).
    sets: dict[tuple[int, int], tuple[str, list[str], list[tuple[int, int]], list[tuple[str, str]]]] = {}
    outcomes: dict[int, int] = {}  # number -> place in order of declaration
    outcome_text: list[list[tuple[str, str]]] = []
    outcome_labels: list[str] = []
    payoffs: list[list[tuple[int, int]]] = []
    # Open nodes: children still to start, and their depth.
    stack: list[list[int]] = []
    i = 0
    try:
        while True:
            letter = tokens[i]
            label = tokens[i + 1]
            if label[0] != '"':
                raise _NotHere
            i += 2
            key: tuple[int, int] | None = None
            if letter == "p":
                player = _integer(tokens[i])
                if not 1 <= player <= n_players:
                    raise _NotHere
                key = (player, _integer(tokens[i + 1]))
                i += 2
                kinds.append(DECISION)
            elif letter == "c":
                key = (0, _integer(tokens[i]))
                i += 1
                kinds.append(CHANCE)
            elif letter == "t":
                kinds.append(TERMINAL)
            else:
                raise _NotHere
            if key is not None:
                if key[1] < 1:
                    raise _NotHere
                if tokens[i][0] == '"':  # a declaration
                    if tokens[i + 1] != "{":
                        raise _NotHere
                    j = i + 2
                    actions: list[str] = []
                    probs: list[tuple[int, int]] = []
                    while tokens[j] != "}":
                        action = tokens[j]
                        if action[0] != '"':
                            raise _NotHere
                        actions.append(action[1:-1])
                        j += 1
                        if key[0] == 0:
                            num, den = number_of(tokens[j])
                            if num < 0 or num > den:
                                raise _NotHere
                            probs.append((num, den))
                            j += 1
                    if not actions:
                        raise _NotHere
                    declaration = [("", tokens[i]), *pairs[i + 1 : j + 1]]
                    i = j + 1
                    old = sets.get(key)
                    if old is None:
                        if key[0] == 0 and sum(Fraction(a, b) for a, b in probs) != 1:
                            raise _NotHere
                        sets[key] = (declaration[0][1][1:-1], normalize_labels(actions), probs, declaration)
                    elif old[3] != declaration:
                        raise _NotHere
                elif key not in sets:
                    raise _NotHere  # used before it is declared
            keys.append(key)
            node_labels.append(label[1:-1])
            number = _integer(tokens[i])
            i += 1
            if i < len(tokens) and tokens[i][0] == '"':  # an outcome declared
                if not number or tokens[i + 1] != "{":
                    raise _NotHere
                j = i + 2
                values: list[tuple[int, int]] = []
                while tokens[j] != "}":
                    token = tokens[j]
                    if token == ",":
                        if tokens[j - 1] in ("{", ","):
                            raise _NotHere
                    else:
                        values.append(number_of(token))
                    j += 1
                if len(values) != n_players:
                    raise _NotHere
                declaration = [("", tokens[i]), *pairs[i + 1 : j + 1]]
                i = j + 1
                _declare(number, declaration, declaration[0][1][1:-1], values,
                         outcomes, outcome_text, outcome_labels, payoffs)
            elif number and number not in outcomes:
                raise _NotHere  # used before it is declared
            node_outcomes.append(outcomes[number] if number else -1)
            if _placed(stack, depth, key, sets):
                break
    except IndexError:
        raise _NotHere from None  # the file ends early
    if i != len(tokens):
        raise _NotHere  # text after the tree
    return kinds, node_labels, keys, node_outcomes, depth, sets, outcome_labels, payoffs


# Small files node by node: white space, a word, a quoted string (its text in
# a group), and one node of each kind. A word stands between white space,
# braces, commas and quotes (as in _PAIR); two words need white space between them.
_WS = r"[\t\n\x0b\x0c\r ]"
_WORD = r'[^\t\n\x0b\x0c\r {},"]++'
_OUTCOME = rf'(?:{_WS}*+("[^"]*"{_WS}*+\{{([^{{}}"]*+)\}}))?'  # declared: its text, its payoffs
_NODE = re.compile(
    rf'{_WS}*+(?:'
    rf't{_WS}*+"([^"]*+)"{_WS}*+({_WORD}){_OUTCOME}'  # terminal: label, outcome
    rf'|p{_WS}*+"([^"]*+)"{_WS}*+({_WORD}){_WS}++({_WORD})'  # player: label, player, set
    rf'(?:{_WS}*+("[^"]*"{_WS}*+\{{((?:{_WS}*+"[^"]*+")*+){_WS}*+\}}){_WS}*+|{_WS}++)'  # declared: text, actions
    rf'({_WORD}){_OUTCOME}'
    rf'|c{_WS}*+"([^"]*+)"{_WS}*+({_WORD})'  # chance: label, set
    rf'(?:{_WS}*+("[^"]*"{_WS}*+\{{((?:{_WS}*+"[^"]*+"{_WS}*+{_WORD})*+){_WS}*+\}}){_WS}*+|{_WS}++)'
    rf'({_WORD}){_OUTCOME})'
)
_QUOTED = re.compile(r'"([^"]*)"')
_CHANCE_PAIR = re.compile(rf'"([^"]*)"{_WS}*({_WORD})')
_PAYOFF = re.compile(r"[^\t\n\x0b\x0c\r ,]+|,")
_REST = re.compile(rf"{_WS}*+\Z")


def _read_nodes(body: str, n_players: int) -> _Lists:
    """:func:`_read_small`'s lists, one regular-expression match per node.

    Takes the nodes that :func:`_read_tokens` reads with the same tokens
    (each node's words, strings and braces in the layout its kind has), and
    makes the same checks on them; anything else (or a refusal) raises
    :class:`_NotHere`, and the token reader decides. A declaration's text
    is compared as the text from its name to its closing brace, which is
    the token reader's list of tokens and the white space before each.
    """
    from policy.gambit import normalize_labels

    read: dict[str, tuple[int, int]] = {}  # number token -> value
    kinds: list[int] = []
    node_labels: list[str] = []
    keys: list[tuple[int, int] | None] = []
    node_outcomes: list[int] = []
    depth: list[int] = []
    sets: dict[tuple[int, int], tuple[str, list[str], list[tuple[int, int]], Any]] = {}
    outcomes: dict[int, int] = {}  # number -> place in order of declaration
    outcome_text: list[str] = []
    outcome_labels: list[str] = []
    payoffs: list[list[tuple[int, int]]] = []
    stack: list[list[int]] = []
    match = _NODE.match
    at = 0
    while True:
        node = match(body, at)
        if node is None:
            raise _NotHere
        at = node.end()
        (t_label, t_number, t_text, t_values, p_label, p_player, p_set, p_text, p_actions, p_number,
         p_out_text, p_values, c_label, c_set, c_text, c_actions, c_number, c_out_text, c_values) = node.groups()
        key: tuple[int, int] | None = None
        if t_label is not None:
            kinds.append(TERMINAL)
            label, number_token, text, values = t_label, t_number, t_text, t_values
        else:
            if p_label is not None:
                player = _integer(p_player)
                if not 1 <= player <= n_players:
                    raise _NotHere
                key = (player, _integer(p_set))
                kinds.append(DECISION)
                label, number_token, text, values = p_label, p_number, p_out_text, p_values
                declared, inside = p_text, p_actions
            else:
                key = (0, _integer(c_set))
                kinds.append(CHANCE)
                label, number_token, text, values = c_label, c_number, c_out_text, c_values
                declared, inside = c_text, c_actions
            if key[1] < 1:
                raise _NotHere
            if declared is not None:
                probs: list[tuple[int, int]] = []
                if key[0]:
                    actions = _QUOTED.findall(inside)
                else:
                    actions = []
                    for action, token in _CHANCE_PAIR.findall(inside):
                        got = read.get(token)
                        if got is None:
                            got = read[token] = _number(token)
                        if got[0] < 0 or got[0] > got[1]:
                            raise _NotHere
                        actions.append(action)
                        probs.append(got)
                if not actions:
                    raise _NotHere
                old = sets.get(key)
                if old is None:
                    if not key[0] and sum(Fraction(a, b) for a, b in probs) != 1:
                        raise _NotHere
                    sets[key] = (declared[1 : declared.index('"', 1)], normalize_labels(actions), probs, declared)
                elif old[3] != declared:
                    raise _NotHere
            elif key not in sets:
                raise _NotHere  # used before it is declared
        keys.append(key)
        node_labels.append(label)
        number = _integer(number_token)
        if text is not None:  # an outcome declared
            if not number:
                raise _NotHere
            payoff: list[tuple[int, int]] = []
            previous = "{"
            for token in _PAYOFF.findall(values):
                if token == ",":
                    if previous == "," or previous == "{":
                        raise _NotHere
                else:
                    got = read.get(token)
                    if got is None:
                        got = read[token] = _number(token)
                    payoff.append(got)
                previous = token
            if len(payoff) != n_players:
                raise _NotHere
            _declare(number, text, text[1 : text.index('"', 1)], payoff,
                     outcomes, outcome_text, outcome_labels, payoffs)
        elif number and number not in outcomes:
            raise _NotHere  # used before it is declared
        node_outcomes.append(outcomes[number] if number else -1)
        if _placed(stack, depth, key, sets):
            break
    if _REST.match(body, at) is None:
        raise _NotHere  # text after the tree
    return kinds, node_labels, keys, node_outcomes, depth, sets, outcome_labels, payoffs


def _small_game(
    title: str, players: list[str], comment: str, kinds: list[int], node_labels: list[str],
    keys: list[tuple[int, int] | None], node_outcomes: list[int], depth: list[int],
    sets: dict[tuple[int, int], tuple[str, list[str], list[tuple[int, int]], Any]],
    outcome_labels: list[str], payoffs: list[list[tuple[int, int]]],
) -> Game:
    """The game of :func:`_read_small`'s pre-order lists, with :func:`_read`'s arrays."""
    n = len(kinds)
    bfs = sorted(range(n), key=depth.__getitem__)  # stable: pre-order within a depth
    rank = {key: k for k, key in enumerate(sorted(sets))}
    num_children = []
    parent = [-1]
    first_child = []
    action_label = [""]
    edges: list[int] = []
    pnum: list[int] = []
    pden: list[int] = []
    next_child = 1
    for j, node in enumerate(bfs):
        key = keys[node]
        if key is None:
            num_children.append(0)
            first_child.append(0)
            continue
        _, actions, probs, _ = sets[key]
        count = len(actions)
        num_children.append(count)
        first_child.append(next_child)
        parent += [j] * count
        action_label += actions
        if key[0] == 0:
            edges += range(next_child, next_child + count)
            pnum += [a for a, _ in probs]
            pden += [b for _, b in probs]
        next_child += count
    kind = np.array([kinds[v] for v in bfs], dtype=np.int8)
    infoset = [rank[k] if k is not None and k[0] else -1 for k in (keys[v] for v in bfs)]
    # (numerator, denominator) pairs, flattened first: numpy takes a flat list of ints much faster.
    flat = [x for row in payoffs for pair in row for x in pair]
    pairs = np.array(flat, dtype=np.int64).reshape(-1, len(players), 2)
    vnum = np.ascontiguousarray(pairs[:, :, 0])
    vden = np.ascontiguousarray(pairs[:, :, 1])
    return game_from_parts(
        title=title,
        players=players,
        parameters={},
        node_names=NumberedNames(n),
        parent=np.array(parent, dtype=np.int64),
        kind=kind,
        player=np.array([keys[v][0] - 1 if kinds[v] == DECISION else -1 for v in bfs],  # type: ignore[index]
                        dtype=np.int32),
        outcome=np.array([node_outcomes[v] for v in bfs], dtype=np.int32),
        first_child=np.array(first_child, dtype=np.int64),
        num_children=np.array(num_children, dtype=np.int32),
        depth=np.array([depth[v] for v in bfs], dtype=np.int32),
        action_label=tuple(action_label),
        chance_probability=ConstantProbabilities(
            n, np.array(edges, dtype=np.int64), np.array(pnum, dtype=np.int64), np.array(pden, dtype=np.int64)),
        outcomes=ConstantOutcomes(outcome_labels, *reduce_rows(vnum, vden)),
        infoset_names=(),
        description="",
        sources=(),
        comment=comment,
        origin="efg",
        node_paths=(),
        node_labels=tuple(node_labels[v] for v in bfs),
        node_infoset_labels=tuple(sets[k][0] if k is not None else "" for k in (keys[v] for v in bfs)),
        infoset_ids=np.array(infoset, dtype=np.int64),
        set_names=[f"{players[p - 1]}:{number}" if p else "" for p, number in sorted(sets)],
    )


def reduce_rows(num: Any, den: Any) -> tuple[Any, Any]:
    """Each entry in lowest terms (denominators positive)."""
    return reduce(num, den) if num.size else (num, den)


__all__: Sequence[str] = ["read_efg_arrays"]
