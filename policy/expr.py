"""Safe parameter expressions: parse, evaluate exactly or in floats, vectorise.

Payoffs and chance probabilities in a game file are numbers or small arithmetic
expressions in the declared parameters (``docs/game-format.md``, section
Expressions). A game file must never run code, so the text is read with
:func:`ast.parse` (``mode="eval"``) and every node is checked against a strict
whitelist; the accepted tree is then converted into a small immutable tree of
tuples that the rest of the module walks. Nothing here executes the text.

Grammar: numbers (``3``, ``-1.5``, ``2/3``, ``1e-3``; a decimal is read exactly
from its text, so ``0.1`` is 1/10), declared parameter names, ``+ - * / **``,
unary ``-``/``+``, parentheses, and calls of ``min``/``max`` (two or more
arguments) and ``abs``/``sqrt``/``exp``/``log`` (one argument).

Hostile input is cut off early and cheaply: text longer than
:data:`MAX_LENGTH`, nesting deeper than :data:`MAX_DEPTH`, number literals with
more than :data:`MAX_LITERAL_DIGITS` digits, a decimal exponent beyond
:data:`MAX_LITERAL_EXPONENT` or a magnitude above :data:`MAX_MAGNITUDE` (the
largest float), and exponents of ``**`` that are not constants with magnitude
at most :data:`MAX_EXPONENT`. Exact arithmetic refuses to build numerators or
denominators longer than :data:`MAX_BITS` bits, or values beyond
:data:`MAX_MAGNITUDE`, so no evaluation can build a huge integer or a number
that floating point cannot hold.

A name is read as written: Python's parser turns ``ｘ`` (fullwidth) and ``𝐱``
(mathematical bold) into ``x`` (Unicode NFKC normalisation), so a name whose
text that normalisation changes is refused, with its column, rather than
silently read as another name.

Constant sub-expressions are folded at parse time when their value is rational
and could itself be written as a literal (``2/3``, ``0.1 + 0.2``, ``sqrt(4/9)``),
so equal numbers compare equal however they are written and errors such as
``1/0`` are reported when the file is read. Irrational constants (``sqrt(2)``)
and ones too long for a literal (``(1e60)**9``) stay as written, which keeps
:func:`to_text` able to write every expression back.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import numbers
import re
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import sympy

__all__ = [
    "MAX_BITS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_LITERAL_DIGITS",
    "MAX_LITERAL_EXPONENT",
    "MAX_MAGNITUDE",
    "RANGE_TOO_WIDE",
    "Expr",
    "ExprError",
    "IrrationalError",
    "compile_batch",
    "evaluate",
    "parse",
    "substitute",
    "to_text",
]

MAX_LENGTH = 10_000
"""Longest expression text accepted, in characters (checked before parsing)."""

MAX_DEPTH = 100
"""Deepest syntax tree accepted (each operator, call or operand is one level)."""

MAX_EXPONENT = 64
"""Largest magnitude of the constant exponent of ``**``."""

MAX_LITERAL_DIGITS = 400
"""Most significant digits in one number literal (and in each side of ``p/q``)."""

MAX_LITERAL_EXPONENT = 400
"""Largest decimal order of magnitude of a number literal (``1e400``, ``1e-400``)."""

MAX_MAGNITUDE = int(sys.float_info.max)
"""Largest magnitude of any number read or computed exactly (about 1.8e308).

It is the largest double-precision float: a number above it could be solved
exactly but not shown, plotted or solved in floating point, so it is refused
where it is read (a literal, a TOML number, a leader's value, ``--set``) and
where exact arithmetic would make it (``99999**64``), with the place.
"""

RANGE_TOO_WIDE = (
    "the range is wider than floating point can hold (high - low must be at most 1.8e308)"
)
"""Message for a ``[low, high]`` range whose width is above :data:`MAX_MAGNITUDE`: sweeps
and samples over it would compute with infinities."""

MAX_BITS = 10_000
"""Longest numerator or denominator, in bits, that exact arithmetic will build.

About 3,000 decimal digits: far beyond any payoff, and below Python's limit on
converting integers to text (4,300 digits), so every value can be printed.
"""

FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "max": (2, None),
    "min": (2, None),
    "sqrt": (1, 1),
}
"""Callable functions with their (least, most) number of arguments."""

_ALLOWED_FUNCTIONS = ", ".join(sorted(FUNCTIONS))
_LITERAL_LIMIT = 10**MAX_LITERAL_DIGITS
_DECIMAL_LIMIT = 10 ** (MAX_LITERAL_EXPONENT + 1)

# A tree node is a tuple whose first item names its kind:
#   ("num", Fraction)                    a rational constant
#   ("name", str)                        a parameter
#   ("neg", node)                        unary minus
#   ("add" | "sub" | "mul" | "div", node, node)
#   ("pow", node, Fraction)              power with a constant exponent
#   ("call", str, tuple[node, ...])      one of FUNCTIONS
Tree = tuple[Any, ...]

_BINARY: Mapping[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
}
_REJECTED_OPERATORS: Mapping[type[ast.operator], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_REJECTED_NODES: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "indexing and subscripts are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators (and, or) are not allowed",
    ast.IfExp: "conditional expressions (x if c else y) are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

# Plain numbers skip the ast entirely: an optionally signed decimal, or p/q.
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_PLAIN_RATIO = re.compile(r"(-?(?:0|[1-9][0-9]*))/([1-9][0-9]*)")


class ExprError(ValueError):
    """Bad expression text or an impossible evaluation; ``str(e)`` is a one-line message.

    Parameters
    ----------
    message
        What is wrong, without position.
    column
        1-based column in the expression text, when the problem has a place.
    line
        1-based line, given only when the text spans several lines.
    """

    def __init__(self, message: str, *, column: int | None = None, line: int | None = None):
        self.message = message
        self.column = column
        self.line = line
        where = ""
        if column is not None:
            where = (
                f" at line {line}, column {column}" if line is not None else f" at column {column}"
            )
        super().__init__(f"{message}{where}")


class IrrationalError(ExprError):
    """An exact evaluation met an irrational value (``sqrt(2)``); float mode can handle it."""


@dataclass(frozen=True)
class Expr:
    """A validated expression: a number or arithmetic in named parameters.

    Build it with :func:`parse`. Two expressions are equal (and hash equally)
    when their trees are equal, whatever their text: ``parse("0.5")`` equals
    ``parse("1/2")``.

    Attributes
    ----------
    text
        The source text, stripped; for a number given as a number, ``str`` of its
        :class:`~fractions.Fraction` (``"3/5"``). Not part of equality.
    names
        The parameter names the expression uses.
    tree
        Internal immutable tree of tuples (see the module source); other modules
        should use the functions of this module rather than read it.
    """

    text: str = field(compare=False)
    names: frozenset[str]
    tree: Tree = field(repr=False)

    def __str__(self) -> str:
        return self.text

    def __hash__(self) -> int:
        # Trees are compared often as dict keys; hash them once.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = self.__dict__["_hash"] = hash((self.names, self.tree))
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # Only the fields: cached hashes depend on the process, sympy is heavy.
        return {"text": self.text, "names": self.names, "tree": self.tree}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @functools.cached_property
    def constant(self) -> Fraction | None:
        """The exact value when the expression uses no parameter and is rational, else ``None``.

        Also ``None`` when some part is irrational even if the whole is not
        (``sqrt(2) * sqrt(2)`` is not simplified), or when the value cannot be
        computed exactly.
        """
        if self.tree[0] == "num":
            value: Fraction = self.tree[1]
            return value
        if self.names:
            return None
        try:
            return _exact(self.tree, {})
        except ExprError:
            return None

    @functools.cached_property
    def sym(self) -> sympy.Expr:
        """The expression as a sympy expression, built from the tree (never from text).

        Parameters become plain ``sympy.Symbol(name)`` without assumptions, so
        they match symbols made elsewhere with the same name. Computed on first
        use and cached; sympy is imported only here.
        """
        import sympy

        return _to_sympy(self.tree, sympy)


# -- parsing -------------------------------------------------------------------------


def parse(source: str | int | float | Decimal | Fraction, names: Collection[str] = ()) -> Expr:
    """Read an expression from text, or wrap a number.

    Parameters
    ----------
    source
        Expression text, or a number. Numbers become constants without going
        through the parser; a float is taken at its shortest ``repr``
        (``0.1`` is 1/10), matching what the same text would give.
    names
        The declared parameters; any other name in the text is an error.

    Returns
    -------
    Expr
        The validated expression, with rational constant parts folded.

    Raises
    ------
    ExprError
        Saying what is not allowed and at which column.
    """
    if isinstance(source, str):
        return _parse_text(source, frozenset(names))
    if isinstance(source, bool):
        raise ExprError("booleans are not allowed")
    if isinstance(source, Fraction | int):
        value = Fraction(source)
        small = abs(value.numerator) < _LITERAL_LIMIT and value.denominator < _LITERAL_LIMIT
        if not small and _number_text(value) is None:
            raise ExprError(f"number has more than {MAX_LITERAL_DIGITS} digits")
        _check_magnitude(value, "number")
    elif isinstance(source, float):
        if not math.isfinite(source):
            raise ExprError(f"number {source!r} is not finite")
        value = _decimal_to_fraction(Decimal(repr(source)))
    elif isinstance(source, Decimal):
        value = _decimal_to_fraction(source)
    else:
        raise ExprError(f"cannot read an expression from {type(source).__name__}")
    return Expr(str(value), frozenset(), ("num", value))


@functools.lru_cache(maxsize=65_536)
def _parse_text(source: str, declared: frozenset[str]) -> Expr:
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression is too long ({len(source)} characters; limit {MAX_LENGTH})")
    text = source.strip()
    if not text:
        raise ExprError("empty expression")
    value = _plain_number(text)
    if value is not None:
        return Expr(text, frozenset(), ("num", value))
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as err:
        line = err.lineno if "\n" in text else None
        message = err.msg if err.msg.startswith("invalid syntax") else f"invalid syntax: {err.msg}"
        raise ExprError(message, column=err.offset, line=line) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression is too deeply nested (limit {MAX_DEPTH} levels)") from None
    except ValueError as err:  # e.g. null bytes
        raise ExprError(f"invalid expression text: {err}") from None
    tree = _Converter(text, declared).convert(module.body, 1)
    return Expr(text, _names_of(tree), tree)


def _plain_number(text: str) -> Fraction | None:
    """The value of text that is just a signed decimal or ``p/q``, else None."""
    if _PLAIN_DECIMAL.fullmatch(text):
        return _decimal_to_fraction(_read_decimal(text))
    match = _PLAIN_RATIO.fullmatch(text)
    if match:
        num, den = match.groups()
        if len(num.lstrip("-")) > MAX_LITERAL_DIGITS or len(den) > MAX_LITERAL_DIGITS:
            raise ExprError(f"number literal has more than {MAX_LITERAL_DIGITS} digits")
        return _check_magnitude(Fraction(int(num), int(den)), "number literal")
    return None


def _read_decimal(text: str) -> Decimal:
    """A decimal from literal text; an exponent ``decimal`` cannot hold is out of range."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ExprError(
            f"number literal is out of range (magnitude beyond 1e±{MAX_LITERAL_EXPONENT})"
        ) from None


def _check_magnitude(value: Fraction, what: str) -> Fraction:
    """``value``, unless its magnitude is above :data:`MAX_MAGNITUDE`."""
    if abs(value.numerator) > MAX_MAGNITUDE * value.denominator:
        order = math.log10(abs(value.numerator)) - math.log10(value.denominator)
        raise ExprError(
            f"{what} is about {'-' if value < 0 else ''}1e{int(order)}, beyond the range of "
            "floating point (magnitude at most 1.8e308)"
        )
    return value


def _decimal_to_fraction(value: Decimal) -> Fraction:
    """Exact value of a decimal, refusing ones too long or too large to expand."""
    if not value.is_finite():
        raise ExprError(f"number {value} is not finite")
    if value.is_zero():
        return Fraction(0)
    if len(value.as_tuple().digits) > MAX_LITERAL_DIGITS:
        raise ExprError(f"number literal has more than {MAX_LITERAL_DIGITS} digits")
    if abs(value.adjusted()) > MAX_LITERAL_EXPONENT:
        raise ExprError(
            f"number literal is out of range (magnitude beyond 1e±{MAX_LITERAL_EXPONENT})"
        )
    if value.adjusted() >= 308:
        return _check_magnitude(Fraction(value), "number")
    return Fraction(value)


def _names_of(tree: Tree) -> frozenset[str]:
    kind = tree[0]
    if kind == "num":
        return frozenset()
    if kind == "name":
        return frozenset((tree[1],))
    if kind == "neg":
        return _names_of(tree[1])
    if kind == "pow":
        return _names_of(tree[1])
    if kind == "call":
        return frozenset().union(*(_names_of(a) for a in tree[2]))
    return _names_of(tree[1]) | _names_of(tree[2])


class _Converter:
    """Check a parsed ``ast`` against the whitelist and build the tuple tree."""

    def __init__(self, text: str, declared: frozenset[str]):
        self.text = text
        self.declared = declared
        self.lines = text.splitlines() or [""]
        self.encoded = text.encode() if len(self.lines) == 1 else None
        self.unfolded: dict[int, Fraction] = {}
        self.keep: list[Tree] = []

    def segment(self, node: ast.expr) -> str:
        """Source text of a node (ast offsets count UTF-8 bytes)."""
        if self.encoded is not None and node.end_col_offset is not None:
            return self.encoded[node.col_offset : node.end_col_offset].decode()
        return ast.get_source_segment(self.text, node) or ""

    def error(self, message: str, node: ast.AST) -> ExprError:
        lineno: int = getattr(node, "lineno", 1)
        offset: int = getattr(node, "col_offset", 0)
        line_text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        # ast offsets count UTF-8 bytes; report characters.
        column = len(line_text.encode()[:offset].decode(errors="ignore")) + 1
        return ExprError(message, column=column, line=lineno if len(self.lines) > 1 else None)

    def convert(self, node: ast.expr, depth: int) -> Tree:
        # Checked on the way down, so a deep tree is refused before it can
        # exhaust the Python stack.
        if depth > MAX_DEPTH:
            raise self.error(f"expression is too deeply nested (limit {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return ("num", self.constant(node))
        if isinstance(node, ast.Name):
            return ("name", self.name(node))
        if isinstance(node, ast.UnaryOp):
            operand = self.convert(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(node.op, ast.USub):
                return self.fold(("neg", operand), node)
            symbol = "not" if isinstance(node.op, ast.Not) else "~"
            raise self.error(f"operator {symbol!r} is not allowed", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        message = _REJECTED_NODES.get(type(node), f"{type(node).__name__} is not allowed")
        raise self.error(message, node)

    def constant(self, node: ast.Constant) -> Fraction:
        value = node.value
        if isinstance(value, bool):
            raise self.error("booleans (True, False) are not allowed", node)
        if isinstance(value, int):
            if self.segment(node)[:2].lower() in ("0x", "0o", "0b"):
                raise self.error("only decimal number literals are allowed", node)
            if value >= _LITERAL_LIMIT:
                raise self.error(f"number literal has more than {MAX_LITERAL_DIGITS} digits", node)
            try:
                return _check_magnitude(Fraction(value), "number")
            except ExprError as err:
                raise self.error(err.message, node) from None
        if isinstance(value, float):
            segment = self.segment(node) or repr(value)
            try:
                return _decimal_to_fraction(Decimal(segment))
            except InvalidOperation:
                raise self.error(
                    f"number literal is out of range (magnitude beyond 1e±{MAX_LITERAL_EXPONENT})",
                    node,
                ) from None
            except ExprError as err:
                raise self.error(err.message, node) from None
        if isinstance(value, complex):
            raise self.error("complex numbers are not allowed", node)
        if isinstance(value, str):
            raise self.error("strings are not allowed", node)
        if isinstance(value, bytes):
            raise self.error("bytes are not allowed", node)
        if value is None:
            raise self.error("None is not allowed", node)
        if value is Ellipsis:
            raise self.error("'...' is not allowed", node)
        raise self.error(f"constant {type(value).__name__} is not allowed", node)

    def written(self, node: ast.Name) -> None:
        """Refuse a name that Python's parser normalised (NFKC) from what the text says."""
        text = self.segment(node)
        if text and text != node.id:
            raise self.error(
                f"name {text!r} has look-alike characters that Python reads as {node.id!r} "
                "(Unicode NFKC normalisation); write the name exactly as declared",
                node,
            )

    def name(self, node: ast.Name) -> str:
        self.written(node)
        if node.id in self.declared:
            return node.id
        if node.id in FUNCTIONS:
            raise self.error(f"{node.id!r} is a function; call it as {node.id}(...)", node)
        if self.declared:
            listed = f"declared: {', '.join(sorted(self.declared))}"
            close = difflib.get_close_matches(node.id, self.declared, n=1)
            if close:
                listed += f"; did you mean {close[0]!r}?"
        else:
            listed = "no parameters are declared"
        raise self.error(f"unknown parameter {node.id!r} ({listed})", node)

    def binary(self, node: ast.BinOp, depth: int) -> Tree:
        op = type(node.op)
        if op in _REJECTED_OPERATORS:
            raise self.error(f"operator {_REJECTED_OPERATORS[op]!r} is not allowed", node)
        left = self.convert(node.left, depth + 1)
        if op is ast.Pow:
            right = self.convert(node.right, depth + 1)
            return self.fold(("pow", left, self.exponent(right, node.right)), node)
        if op not in _BINARY:
            raise self.error(f"operator {type(node.op).__name__} is not allowed", node)
        return self.fold((_BINARY[op], left, self.convert(node.right, depth + 1)), node)

    def exponent(self, tree: Tree, node: ast.expr) -> Fraction:
        if tree[0] != "num":
            if _names_of(tree):
                raise self.error("the exponent of ** must be a constant number", node)
            if self.value(tree) is None:
                raise self.error("the exponent of ** must be a rational number", node)
            raise self.error("the exponent of ** is a number with too many digits", node)
        value: Fraction = tree[1]
        if abs(value) > MAX_EXPONENT:
            raise self.error(
                f"exponent {_show(value)} is too large (|exponent| must be at most {MAX_EXPONENT})",
                node,
            )
        return value

    def call(self, node: ast.Call, depth: int) -> Tree:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self.error("attribute access is not allowed", node.func)
            raise self.error(
                f"only the functions {_ALLOWED_FUNCTIONS} can be called, by name", node
            )
        fname = node.func.id
        self.written(node.func)
        if fname not in FUNCTIONS:
            raise self.error(
                f"function {fname!r} is not allowed (allowed: {_ALLOWED_FUNCTIONS})", node
            )
        if node.keywords:
            raise self.error("keyword arguments are not allowed", node.keywords[0])
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error("starred arguments are not allowed", arg)
        least, most = FUNCTIONS[fname]
        count = len(node.args)
        if most is None and count < least:
            raise self.error(f"{fname}() needs at least {least} arguments (got {count})", node)
        if most is not None and count != least:
            raise self.error(f"{fname}() takes exactly {least} argument (got {count})", node)
        args = tuple(self.convert(a, depth + 1) for a in node.args)
        return self.fold(("call", fname, args), node)

    def value(self, tree: Tree) -> Fraction | None:
        """Exact value of a constant subtree, when known to be rational."""
        if tree[0] == "num":
            value: Fraction = tree[1]
            return value
        return self.unfolded.get(id(tree))

    def fold(self, tree: Tree, node: ast.AST) -> Tree:
        """Replace a node whose operands are rational constants by its value.

        Errors in constant parts (``1/0``) are reported here. A value too long
        to write as a literal is not folded but remembered, so that the parent
        can still be computed, one step at a time.
        """
        operands = [self.value(t) for t in _children(tree)]
        if any(v is None for v in operands):
            return tree
        try:
            value = _exact_step(tree, [v for v in operands if v is not None])
        except IrrationalError:
            return tree
        except ExprError as err:
            raise self.error(err.message, node) from None
        if _number_text(value) is not None:
            return ("num", value)
        self.unfolded[id(tree)] = value
        self.keep.append(tree)  # keeps the id valid
        return tree


# -- exact evaluation ----------------------------------------------------------------


def _check_size(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise ExprError(f"number too large for exact arithmetic (over {MAX_BITS} bits)")
    return _check_magnitude(value, "value")


def _irrational(what: str) -> IrrationalError:
    return IrrationalError(
        f"{what} is irrational; exact arithmetic cannot represent it (solve with --float)"
    )


def _exact_root(n: int, k: int) -> int | None:
    """The integer k-th root of ``n >= 0`` when there is one, else None."""
    if n < 2 or k == 1:
        return n
    if n.bit_length() <= k:  # then 1 < root < 2
        return None
    if k == 2:
        r = math.isqrt(n)
        return r if r * r == n else None
    # Start just above the root from a float estimate; Newton then descends fast.
    log_root = math.log2(n) / k
    shift = max(0, int(log_root) - 50)
    x = (int(2.0 ** (log_root - shift) * (1 + 1e-9)) + 1) << shift
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            break
        x = y
    return x if x**k == n else None


def _exact_pow(base: Fraction, e: Fraction) -> Fraction:
    if base == 0:
        if e < 0:
            raise ExprError("division by zero (0 raised to a negative power)")
        return Fraction(1) if e == 0 else Fraction(0)
    p, q = e.numerator, e.denominator
    if q != 1:
        if base < 0:
            raise ExprError(f"negative number {_show(base)} raised to the fractional power {e}")
        num = _exact_root(base.numerator, q)
        den = _exact_root(base.denominator, q)
        if num is None or den is None:
            raise _irrational(f"({_show(base)})**({e})")
        base = Fraction(num, den)
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if (bits - 1) * abs(p) > MAX_BITS:  # a lower bound on the size of the result
        raise ExprError(f"number too large for exact arithmetic (over {MAX_BITS} bits)")
    return _check_size(base**p)


def _exact_call(fname: str, args: list[Fraction]) -> Fraction:
    if fname == "min":
        return min(args)
    if fname == "max":
        return max(args)
    (x,) = args
    if fname == "abs":
        return abs(x)
    if fname == "sqrt":
        if x < 0:
            raise ExprError(f"sqrt of a negative number ({_show(x)})")
        num, den = _exact_root(x.numerator, 2), _exact_root(x.denominator, 2)
        if num is None or den is None:
            raise _irrational(f"sqrt({_show(x)})")
        return Fraction(num, den)
    if fname == "exp":
        if x != 0:
            raise _irrational(f"exp({_show(x)})")
        return Fraction(1)
    if fname == "log":
        if x <= 0:
            raise ExprError(f"log of a non-positive number ({_show(x)})")
        if x != 1:
            raise _irrational(f"log({_show(x)})")
        return Fraction(0)
    raise AssertionError(fname)


def _children(tree: Tree) -> tuple[Tree, ...]:
    kind = tree[0]
    if kind in ("num", "name"):
        return ()
    if kind in ("neg", "pow"):
        return (tree[1],)
    if kind == "call":
        args: tuple[Tree, ...] = tree[2]
        return args
    return (tree[1], tree[2])


def _exact(tree: Tree, env: Mapping[str, Fraction]) -> Fraction:
    kind = tree[0]
    if kind == "num":
        value: Fraction = tree[1]
        return value
    if kind == "name":
        named: Fraction = env[tree[1]]
        return named
    return _exact_step(tree, [_exact(child, env) for child in _children(tree)])


def _exact_step(tree: Tree, args: list[Fraction]) -> Fraction:
    """Value of the operator at the root of ``tree`` applied to its operands' values."""
    kind = tree[0]
    if kind == "neg":
        return -args[0]
    if kind == "pow":
        return _exact_pow(args[0], tree[2])
    if kind == "call":
        return _exact_call(tree[1], args)
    left, right = args
    if kind == "add":
        return _check_size(left + right)
    if kind == "sub":
        return _check_size(left - right)
    if kind == "mul":
        return _check_size(left * right)
    if right == 0:
        raise ExprError("division by zero")
    return _check_size(left / right)


# -- float evaluation ----------------------------------------------------------------


def _float_pow(base: float, e: Fraction) -> float:
    if e.denominator == 1:
        return base ** int(e)
    if base < 0:
        raise ExprError(f"negative number {base!r} raised to the fractional power {e}")
    if base == 0 and e < 0:
        raise ZeroDivisionError
    return float(base ** float(e))


def _float_call(fname: str, args: list[float]) -> float:
    if fname == "min":
        return min(args)
    if fname == "max":
        return max(args)
    (x,) = args
    if fname == "abs":
        return abs(x)
    if fname == "sqrt":
        if x < 0:
            raise ExprError(f"sqrt of a negative number ({x!r})")
        return math.sqrt(x)
    if fname == "exp":
        return math.exp(x)
    if fname == "log":
        if x <= 0:
            raise ExprError(f"log of a non-positive number ({x!r})")
        return math.log(x)
    raise AssertionError(fname)


def _float(tree: Tree, env: Mapping[str, float]) -> float:
    kind = tree[0]
    if kind == "num":
        return float(tree[1])
    if kind == "name":
        return env[tree[1]]
    if kind == "neg":
        return -_float(tree[1], env)
    if kind == "pow":
        result = _float_pow(_float(tree[1], env), tree[2])
    elif kind == "call":
        result = _float_call(tree[1], [_float(a, env) for a in tree[2]])
    else:
        left, right = _float(tree[1], env), _float(tree[2], env)
        if kind == "add":
            result = left + right
        elif kind == "sub":
            result = left - right
        elif kind == "mul":
            result = left * right
        else:
            result = left / right
    if not math.isfinite(result):
        raise OverflowError
    return result


# -- public evaluation ---------------------------------------------------------------


def _to_fraction(name: str, value: object) -> Fraction:
    if isinstance(value, bool):
        raise ExprError(f"value of {name!r} is a boolean, not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ExprError(f"value of {name!r} is not finite ({value})")
        return Fraction(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ExprError(f"value of {name!r} is not finite ({number!r})")
        return Fraction(Decimal(repr(number)))
    raise ExprError(f"value of {name!r} is not a number ({type(value).__name__})")


def _to_float(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ExprError(f"value of {name!r} is a boolean, not a number")
    if not isinstance(value, numbers.Real | Decimal):
        raise ExprError(f"value of {name!r} is not a number ({type(value).__name__})")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExprError(f"value of {name!r} is not finite ({number!r})")
    return number


def evaluate(
    expr: Expr, values: Mapping[str, Fraction | float], exact: bool = True
) -> Fraction | float:
    """Value of an expression at given parameter values.

    Parameters
    ----------
    expr
        The expression.
    values
        A value for each name the expression uses (others are ignored). In
        exact mode a float is taken at its shortest ``repr`` (``0.1`` is 1/10).
    exact
        ``True``: rational arithmetic, returning a :class:`~fractions.Fraction`;
        ``sqrt``, ``exp``, ``log`` and fractional powers are exact only where the
        result is rational (``sqrt(4/9)``, ``exp(0)``, ``log(1)``).
        ``False``: Python floats and :mod:`math`.

    Raises
    ------
    IrrationalError
        In exact mode, when some value on the way is irrational (an
        :class:`ExprError`; float mode computes it).
    ExprError
        For a missing value, division by zero, ``log`` of a non-positive
        number, ``sqrt`` of a negative one, a negative number to a fractional
        power, or overflow.
    """
    missing = sorted(expr.names.difference(values))
    if missing:
        raise ExprError(f"no value for parameter(s) {', '.join(missing)}")
    if exact:
        env = {n: _to_fraction(n, values[n]) for n in expr.names}
        return _exact(expr.tree, env)
    fenv = {n: _to_float(n, values[n]) for n in expr.names}
    try:
        return _float(expr.tree, fenv)
    except ZeroDivisionError:
        raise ExprError("division by zero") from None
    except OverflowError:
        raise ExprError("overflow: the value is too large for a float") from None


class ExactEvaluator:
    """Exact values of many expressions at one set of values, shared parts worked out once.

    ``ExactEvaluator(values)(expr)`` is ``evaluate(expr, values, exact=True)``,
    the same value or the same error. Expressions made by substitution (a
    campaign's stages, each parameter an expression in the state) share their
    subtrees as objects, so each operator node met again is looked up, by
    identity, instead of computed again. The expressions must stay alive while
    the evaluator is used (their subtrees' identities are the keys).
    """

    def __init__(self, values: Mapping[str, Fraction | float], same: Mapping[int, int] | None = None) -> None:
        self.values = values
        self.env: dict[str, Fraction] = {}
        self.memo: dict[int, Fraction] = {}
        self.same = same
        """Optional: each subtree's identity -> one number for all equal subtrees
        (:func:`equal_subtrees`), so that equal subtrees that are different objects
        are computed once too; it must cover every subtree met."""

    def __call__(self, expr: Expr) -> Fraction:
        missing = sorted(expr.names.difference(self.values))
        if missing:
            raise ExprError(f"no value for parameter(s) {', '.join(missing)}")
        env = self.env
        for n in expr.names:
            if n not in env:
                env[n] = _to_fraction(n, self.values[n])
        return self._value(expr.tree)

    def _value(self, tree: Tree) -> Fraction:
        kind = tree[0]
        if kind == "num":
            value: Fraction = tree[1]
            return value
        if kind == "name":
            return self.env[tree[1]]
        key = id(tree) if self.same is None else self.same[id(tree)]
        got = self.memo.get(key)
        if got is None:
            # Only values are kept: an error is raised again where the subtree is met again.
            got = self.memo[key] = _exact_step(tree, [self._value(c) for c in _children(tree)])
        return got


def equal_subtrees(trees: Sequence[Tree]) -> dict[int, int]:
    """Each subtree of ``trees`` (by identity) -> a number shared by exactly the equal subtrees.

    Found bottom-up from the operator and the operands' numbers, so each
    subtree object is looked at once. Equal subtrees have equal values, and
    fail with the same error, wherever they are met. The trees must stay
    alive while the result is used (identities are its keys).
    """
    ids: dict[int, int] = {}
    by_key: dict[tuple[Any, ...], int] = {}

    def visit(tree: Tree) -> int:
        got = ids.get(id(tree))
        if got is not None:
            return got
        kind = tree[0]
        if kind in ("num", "name"):
            key: tuple[Any, ...] = (kind, tree[1])
        elif kind == "pow":
            key = (kind, visit(tree[1]), tree[2])
        elif kind == "call":
            key = (kind, tree[1], *(visit(a) for a in tree[2]))
        elif kind == "neg":
            key = (kind, visit(tree[1]))
        else:
            key = (kind, visit(tree[1]), visit(tree[2]))
        got = ids[id(tree)] = by_key.setdefault(key, len(by_key))
        return got

    for tree in trees:
        visit(tree)
    return ids


# -- batches -------------------------------------------------------------------------


def compile_batch(
    exprs: Sequence[Expr], names: Sequence[str]
) -> Callable[[Mapping[str, npt.NDArray[np.float64]]], npt.NDArray[np.float64]]:
    """Turn expressions into one function evaluating all of them on arrays of samples.

    The trees are walked once here into closures over numpy operations (no
    source code is generated). Use it for Monte Carlo sweeps over parameters.

    Parameters
    ----------
    exprs
        The expressions, one output row each.
    names
        The parameters the returned function takes; must include every name
        the expressions use.

    Returns
    -------
    Callable
        Takes a mapping from name to a 1-d array of N samples or a scalar
        (scalars broadcast; names no expression uses may be left out) and
        returns a float64 array of shape ``(len(exprs), N)``; N is 1 when
        every input is a scalar. Follows IEEE arithmetic instead of raising:
        division by zero gives ``±inf`` or ``nan``, ``log(0)`` is ``-inf``,
        ``sqrt`` or ``log`` of a negative number and a negative number to a
        fractional power give ``nan``, overflow gives ``inf`` (warnings are
        suppressed).

    Raises
    ------
    ExprError
        Here when an expression uses a name not in ``names``; from the returned
        function when a value needed is missing or the inputs do not broadcast
        to one dimension.
    """
    import numpy as np

    declared = list(dict.fromkeys(names))
    used = frozenset().union(*(e.names for e in exprs))
    undeclared = sorted(used.difference(declared))
    if undeclared:
        raise ExprError(f"expressions use parameter(s) not in names: {', '.join(undeclared)}")
    program = _Program([e.tree for e in exprs], np)
    needed = sorted(used)

    def run(values: Mapping[str, npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
        missing = [n for n in needed if n not in values]
        if missing:
            raise ExprError(f"no values for parameter(s) {', '.join(missing)}")
        arrays = {n: np.asarray(values[n], dtype=np.float64) for n in declared if n in values}
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        except ValueError as err:
            raise ExprError(f"sample arrays do not broadcast: {err}") from None
        if len(shape) > 1:
            raise ExprError(f"sample arrays must be one-dimensional (got shape {shape})")
        size = shape[0] if shape else 1
        out = np.empty((len(exprs), size), dtype=np.float64)
        with np.errstate(all="ignore"):
            program.run(arrays, out)
        return out

    return run


class _Program:
    """Expressions as one list of numpy steps, each distinct subtree computed once.

    Equal subtrees (a campaign's stages repeat the same arithmetic on the
    state's parameters in thousands of expressions) become one step, found
    bottom-up by their operator and operands' steps. Each step makes the same
    numpy call on the same operands as walking the tree would, so the values
    are the same, bit for bit; a step's value is let go after its last use.
    """

    def __init__(self, trees: Sequence[Tree], np: Any) -> None:
        self.np = np
        ids: dict[int, int] = {}
        by_key: dict[tuple[Any, ...], int] = {}
        self.slots: list[Any] = []  # constants' values, None for the rest until a run fills them
        self.names: list[tuple[int, str]] = []
        ops: list[tuple[int, Any, int, int]] = []
        unary = {"neg": np.negative, "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log}
        binary = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}

        def slot(key: tuple[Any, ...], value: Any = None) -> tuple[int, bool]:
            got = by_key.get(key)
            if got is not None:
                return got, False
            got = by_key[key] = len(self.slots)
            self.slots.append(value)
            return got, True

        def step(key: tuple[Any, ...], fn: Any, a: int, b: int = -1) -> int:
            k, new = slot(key)
            if new:
                ops.append((k, fn, a, b))
            return k

        def visit(tree: Tree) -> int:
            got = ids.get(id(tree))
            if got is not None:
                return got
            kind = tree[0]
            if kind == "num":
                try:
                    constant = float(tree[1])
                except OverflowError:
                    constant = math.copysign(math.inf, tree[1])
                got = slot(("num", constant), constant)[0]
            elif kind == "name":
                got, new = slot(("name", tree[1]))
                if new:
                    self.names.append((got, tree[1]))
            elif kind == "neg":
                operand = visit(tree[1])
                got = step(("neg", operand), np.negative, operand)
            elif kind == "pow":
                base = visit(tree[1])
                exponent = slot(("num", float(tree[2])), float(tree[2]))[0]
                got = step(("pow", base, exponent), np.power, base, exponent)
            elif kind == "call":
                args = [visit(a) for a in tree[2]]
                fname: str = tree[1]
                if fname in ("min", "max"):
                    # functools.reduce's order: ((a0 op a1) op a2) ...
                    combine = np.minimum if fname == "min" else np.maximum
                    got = args[0]
                    for a in args[1:]:
                        got = step((fname, got, a), combine, got, a)
                else:
                    got = step((fname, args[0]), unary[fname], args[0])
            else:
                left, right = visit(tree[1]), visit(tree[2])
                got = step((kind, left, right), binary[kind], left, right)
            # Keyed by identity as well: a tree met again is not walked again (the
            # tree object stays alive in the expressions' trees while this runs).
            ids[id(tree)] = got
            return got

        self.outputs = [visit(t) for t in trees]
        # When each step's value is last needed: by a later step, or as an output row.
        last = [-1] * len(self.slots)
        for j, (_, _, a, b) in enumerate(ops):
            last[a] = j
            if b >= 0:
                last[b] = j
        rows: dict[int, list[int]] = {}
        for i, k in enumerate(self.outputs):
            rows.setdefault(k, []).append(i)
        made = {k: j for j, (k, _, _, _) in enumerate(ops)}
        computed = made.keys()
        for k in rows:
            if k in made:
                last[k] = max(last[k], made[k])
        frees: list[list[int]] = [[] for _ in ops]
        for k, j in enumerate(last):
            if j >= 0 and k in computed:
                frees[j].append(k)
        self.steps = [
            (k, fn, a, b, rows.get(k), frees[j] or None) for j, (k, fn, a, b) in enumerate(ops)
        ]
        # Outputs that are a constant or a parameter, written before the steps.
        self.leaves = [(i, k) for i, k in enumerate(self.outputs) if k not in computed]

    def run(self, arrays: Mapping[str, Any], out: Any) -> None:
        vals = list(self.slots)
        for k, name in self.names:
            vals[k] = arrays[name]
        for i, k in self.leaves:
            out[i] = vals[k]
        for k, fn, a, b, rows, frees in self.steps:
            v = vals[k] = fn(vals[a]) if b < 0 else fn(vals[a], vals[b])
            if rows is not None:
                for i in rows:
                    out[i] = v
            if frees is not None:
                for f in frees:
                    vals[f] = None




# -- sympy and text ------------------------------------------------------------------


def _to_sympy(tree: Tree, sp: Any) -> sympy.Expr:
    kind = tree[0]
    if kind == "num":
        return sp.Rational(tree[1].numerator, tree[1].denominator)
    if kind == "name":
        return sp.Symbol(tree[1])
    if kind == "neg":
        return -_to_sympy(tree[1], sp)
    if kind == "pow":
        e: Fraction = tree[2]
        return sp.Pow(_to_sympy(tree[1], sp), sp.Rational(e.numerator, e.denominator))
    if kind == "call":
        args = [_to_sympy(a, sp) for a in tree[2]]
        function = {
            "min": sp.Min,
            "max": sp.Max,
            "abs": sp.Abs,
            "sqrt": sp.sqrt,
            "exp": sp.exp,
            "log": sp.log,
        }[tree[1]]
        return function(*args)
    left, right = _to_sympy(tree[1], sp), _to_sympy(tree[2], sp)
    if kind == "add":
        return left + right
    if kind == "sub":
        return left - right
    if kind == "mul":
        return left * right
    return left / right


def _number_text(value: Fraction) -> str | None:
    """Shortest literal text that :func:`parse` reads back as ``value``.

    A decimal (``1.5``, ``0.001``, ``1e-300``) when the value has a finite
    decimal expansion within the literal limits, else ``p/q`` with both sides
    within :data:`MAX_LITERAL_DIGITS` digits; ``None`` when neither fits.
    """
    num, den = value.numerator, value.denominator
    if num == 0:
        return "0"
    sign = "-" if num < 0 else ""
    num = abs(num)
    # Every literal is below 10**(MAX_LITERAL_EXPONENT + 1) in magnitude and has
    # at most 2 * MAX_LITERAL_DIGITS decimals; bail out early on anything bigger.
    if num >= _DECIMAL_LIMIT * den or den > _DECIMAL_LIMIT * _LITERAL_LIMIT:
        return None
    twos = (den & -den).bit_length() - 1
    rest, fives = den >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest == 1:
        places = max(twos, fives)
        digits = str(num * (10**places // den))
        stripped = digits.rstrip("0")
        exponent = len(digits) - len(stripped) - places
        if (
            len(stripped) <= MAX_LITERAL_DIGITS
            and abs(exponent + len(stripped) - 1) <= MAX_LITERAL_EXPONENT
        ):
            return sign + _decimal_text(stripped, exponent)
    if num < _LITERAL_LIMIT and den < _LITERAL_LIMIT:
        return f"{sign}{num}/{den}" if den != 1 else f"{sign}{num}"
    return None


def _decimal_text(digits: str, exponent: int) -> str:
    """Text of ``int(digits) * 10**exponent``: plain unless that takes many zeros."""
    size = len(digits)
    if 0 <= exponent <= 5:
        return digits + "0" * exponent
    if exponent < 0 and size + exponent > 0:
        return digits[: size + exponent] + "." + digits[size + exponent :]
    if exponent < 0 and -exponent - size <= 4:
        return "0." + "0" * (-exponent - size) + digits
    mantissa = digits[0] + ("." + digits[1:] if size > 1 else "")
    return f"{mantissa}e{exponent + size - 1}"


def _show(value: Fraction) -> str:
    """A number for a message: exact when short, else its size."""
    bits = max(value.numerator.bit_length(), value.denominator.bit_length())
    return str(value) if bits <= 256 else f"a {bits}-bit number"


# Binding strength, loosest first, as in Python's grammar.
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = range(5)
_OPERATOR = {
    "add": (" + ", _SUM),
    "sub": (" - ", _SUM),
    "mul": (" * ", _PRODUCT),
    "div": (" / ", _PRODUCT),
}


def _number_render(value: Fraction) -> tuple[str, int]:
    text = _number_text(value)
    if text is None:  # parse never builds such a number
        raise AssertionError(f"number {_show(value)} has no literal text")
    if "/" in text:
        return text, _PRODUCT  # "-3/2" reads as (-3)/2
    return text, _UNARY if text.startswith("-") else _ATOM


def _render(tree: Tree) -> tuple[str, int]:
    """Text of a tree with the binding strength of its outermost operator."""
    kind = tree[0]
    if kind == "num":
        return _number_render(tree[1])
    if kind == "name":
        return tree[1], _ATOM
    if kind == "neg":
        text, strength = _render(tree[1])
        return "-" + (f"({text})" if strength < _UNARY else text), _UNARY
    if kind == "pow":
        text, strength = _render(tree[1])
        exponent, exponent_strength = _number_render(tree[2])
        if exponent_strength < _UNARY:
            exponent = f"({exponent})"
        return (f"({text})" if strength < _ATOM else text) + "**" + exponent, _POWER
    if kind == "call":
        return f"{tree[1]}({', '.join(_render(a)[0] for a in tree[2])})", _ATOM
    symbol, strength = _OPERATOR[kind]
    left, left_strength = _render(tree[1])
    right, right_strength = _render(tree[2])
    if left_strength < strength:
        left = f"({left})"
    if right_strength <= strength:  # operators group left to right
        right = f"({right})"
    return left + symbol + right, strength


def to_text(expr: Expr) -> str:
    """Canonical text of an expression, with the fewest parentheses.

    ``parse(to_text(e), e.names) == e`` always holds. Numbers are written as
    fractions (``1/10``, not ``0.1``), so the text is exact.
    """
    return _render(expr.tree)[0]


# -- substitution --------------------------------------------------------------------


def substitute(expr: Expr, replacements: Mapping[str, Expr]) -> Expr:
    """``expr`` with named parameters replaced by expressions, constant parts folded.

    Names not in ``replacements`` stay as they are. A part whose operands all
    become numbers is computed when its value is rational and short enough to
    write (as :func:`parse` folds), so substituting numbers for every name
    yields a plain number. Campaigns (:mod:`policy.campaign`) use this to write
    a stage's payoffs in the campaign's state and parameters.

    Raises
    ------
    ExprError
        When a folded part cannot be computed (``1/(x - 1)`` with ``x`` set to 1).
    """
    if not expr.names & replacements.keys():
        return expr
    memo: dict[int, Tree] = {}

    def walk(tree: Tree) -> Tree:
        got = memo.get(id(tree))
        if got is not None:
            return got
        kind = tree[0]
        if kind == "num":
            out = tree
        elif kind == "name":
            new = replacements.get(tree[1])
            out = new.tree if new is not None else tree
        else:
            if kind in ("neg", "pow"):
                out = (kind, walk(tree[1]), *tree[2:])
            elif kind == "call":
                out = (kind, tree[1], tuple(walk(a) for a in tree[2]))
            else:
                out = (kind, walk(tree[1]), walk(tree[2]))
            operands = _children(out)
            if all(t[0] == "num" for t in operands):
                try:
                    value = _exact_step(out, [t[1] for t in operands])
                except IrrationalError:
                    value = None
                if value is not None and _number_text(value) is not None:
                    out = ("num", value)
            else:
                out = _identity(out)
        memo[id(tree)] = out
        return out

    tree = walk(expr.tree)
    # A name leaves the tree only when it is replaced (folding needs numbers
    # on every side, and the identities drop numbers only), so the names are
    # those kept and those the replacements bring.
    names = set(expr.names)
    for name in expr.names & replacements.keys():
        names.discard(name)
    for name in expr.names & replacements.keys():
        names.update(replacements[name].names)
    return _Substituted.make(frozenset(names), tree)


class _Substituted(Expr):
    """An :class:`Expr` made by :func:`substitute`: its text is written when first read.

    A campaign makes tens of thousands of expressions this way, and reads
    the text of few of them (messages, files written out); the text is the
    same as :func:`to_text` gives, made once.
    """

    @staticmethod
    def make(names: frozenset[str], tree: Tree) -> Expr:
        made = object.__new__(_Substituted)
        made.__dict__["names"] = names
        made.__dict__["tree"] = tree
        return made

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        return (self.names, self.tree) == (other.names, other.tree)

    __hash__ = Expr.__hash__

    def __repr__(self) -> str:
        return f"Expr(text={self.text!r}, names={self.names!r})"

    @property
    def text(self) -> str:
        written: str | None = self.__dict__.get("_text")
        if written is None:
            written = self.__dict__["_text"] = _render(self.tree)[0]
        return written


def _identity(tree: Tree) -> Tree:
    """``x * 1``, ``1 * x``, ``x + 0``, ``0 + x``, ``x - 0`` and ``x / 1`` as ``x``."""
    kind = tree[0]
    if kind not in ("add", "sub", "mul", "div"):
        return tree
    left, right = tree[1], tree[2]
    unit = Fraction(1) if kind in ("mul", "div") else Fraction(0)
    if right == ("num", unit):
        return left
    if kind in ("add", "mul") and left == ("num", unit):
        return right
    return tree
