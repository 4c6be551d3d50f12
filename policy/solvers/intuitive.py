"""Perfect Bayesian equilibria of signalling games and the Intuitive Criterion.

I.-K. Cho and D. M. Kreps (1987), "Signaling games and stable equilibria",
*Quarterly Journal of Economics* 102, 179-221, section IV. A signalling game:
chance draws the sender's type ``t`` with prior ``pi(t)``; the sender, knowing
``t``, sends a message ``m``; the receiver sees ``m`` only and replies ``a``;
the game ends. In our trees: the root is a chance move, each of its children a
one-node information set of the sender, each message leads to a terminal or to
a receiver's node, the receiver's information sets (one per message, or any
grouping by message) hold at most one node per type, and each reply ends the
game.

In such a game every belief at a message nobody sends is consistent (a
fully mixed profile can make the types tremble towards it in any proportion),
so a Nash equilibrium is perfect Bayesian, and sequential, exactly when the
receiver's reply at every unsent message is a best reply to *some* belief over
the types that can send it. The Intuitive Criterion then asks which beliefs are
plausible. With ``u*(t)`` a type's equilibrium payoff and ``BR(K, m)`` the
receiver's replies to ``m`` that are best against some belief over the types
in ``K``:

1. ``J(m)``: the types for which ``m`` is *equilibrium-dominated*, i.e.
   ``u*(t) > max over a in BR(T, m) of u(t, m, a)``: whatever the receiver
   might reply, sending ``m`` would not pay them;
2. the equilibrium *fails* if some type ``t`` gets more than ``u*(t)`` from
   ``m`` whatever the receiver replies that is best against some belief over
   the remaining types: ``min over a in BR(T minus J(m), m) of u(t, m, a) >
   u*(t)``. When ``J(m)`` is every type, ``m`` imposes nothing.

Mixed replies need not be considered: a mixed best reply to a belief mixes
pure best replies to it, and the payoffs are linear, so the maxima and minima
above are reached at pure replies.

Whether a set ``S`` of replies is best against some belief over ``K`` is a
linear feasibility question: ``mu >= 0``, ``sum mu = 1`` and ``mu . (v(a) -
v(b)) >= 0`` for ``a`` in ``S`` and every reply ``b`` (``v`` the receiver's
payoff per type). The region is a polytope inside the simplex, so it is
non-empty exactly when it has a vertex; the vertices are enumerated exactly
(``Fraction``), ``|K| - 1`` tight inequalities at a time, up to
:data:`MAX_VERTEX_TRIES` candidate systems, past which HiGHS decides in
floating point. The test uses the game's exact payoffs whatever the
arithmetic of the solve; in float mode a type's gain must pass the regret
tolerance and a message sent with probability at most ``tolerances.PROFILE``
counts as unsent.

:func:`intuitive_refine` applies the test to every equilibrium of a solve
(``solve(..., refinement="intuitive")``, ``policy solve --refine intuitive``,
where ``auto`` then enumerates every extreme equilibrium with ``enummixed``):
the perfect Bayesian equilibria that pass are kept, and the others are named
with the reason they are discarded.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from policy import tolerances
from policy.model import Game, NodeKind, Number
from policy.solvers.errors import SolverError
from policy.solvers.result import Equilibrium, SolveResult, show_number

#: Candidate vertex systems tried before the belief question goes to HiGHS.
MAX_VERTEX_TRIES = 20_000

#: The name of the refinement, as ``Equilibrium.refinement`` and the JSON give it.
NAME = "intuitive criterion"


@dataclass(frozen=True)
class Message:
    """One receiver information set: who can arrive there and what the reply is worth.

    ``types``: type index -> (member node, flat position of the sender's action
    leading there). ``sender[t][a]`` and ``receiver[t][a]`` are the exact
    payoffs when type ``t`` arrives and the receiver replies with action ``a``.
    """

    infoset: str
    label: str
    replies: tuple[str, ...]
    offset: int
    types: Mapping[int, tuple[int, int]]
    sender: Mapping[int, tuple[Fraction, ...]]
    receiver: Mapping[int, tuple[Fraction, ...]]


@dataclass(frozen=True)
class SignallingForm:
    """A game read as a signalling game (see the module docstring)."""

    sender: int
    receiver: int
    types: tuple[str, ...]
    type_sets: tuple[str, ...]
    messages: tuple[Message, ...]
    #: per type: flat positions of messages that end the game at once, with the sender's exact payoff.
    direct: tuple[Mapping[int, Fraction], ...]


@dataclass(frozen=True)
class IntuitiveCheck:
    """The verdict on one equilibrium.

    ``verdict``: ``"passes"``, ``"fails"`` (the Intuitive Criterion rules it
    out: ``infoset`` is the message, ``type`` the sender type that would send
    it) or ``"not perfect Bayesian"`` (no belief at ``infoset`` makes the
    receiver's reply there optimal). ``payoffs``: each type's equilibrium
    payoff. ``excluded``: per unsent message, the types for which it is
    equilibrium-dominated. ``beliefs``: per unsent message, a belief (member
    node -> probability) against which the receiver's reply is optimal, put on
    the types the criterion leaves when one exists; ``restricted`` says
    whether every such belief is so (then the reply off the path is justified
    by plausible beliefs).
    """

    verdict: str
    infoset: str | None = None
    type: str | None = None
    reason: str = ""
    payoffs: Mapping[str, Number] = field(default_factory=dict)
    excluded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    beliefs: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)
    restricted: bool = True

    @property
    def passes(self) -> bool:
        return self.verdict == "passes"

    @property
    def text(self) -> str:
        """One line: ``passes``, or the verdict with where and why."""
        if self.passes:
            return "passes" if not self.reason else f"passes ({self.reason})"
        return f"{self.verdict} (at {self.infoset}: {self.reason})"


def signalling_form(game: Game, values: Mapping[str, Number]) -> SignallingForm:
    """Read ``game`` as a signalling game, or raise :class:`SolverError` saying why it is not one."""
    numbers = game.numbers(values, exact=True)

    def refuse(why: str) -> SolverError:
        return SolverError(f"the Intuitive Criterion needs a signalling game and {game.title!r} is not one: {why}")

    if game.num_nodes < 2 or NodeKind(int(game.kind[0])) is not NodeKind.CHANCE:
        raise refuse(f"the root ({game.node_names[0]!r}) must be a chance move that draws the sender's type")
    leaf = {int(t): k for k, t in enumerate(game.terminals.tolist())}
    type_nodes = list(game.children_of(0))
    players = {int(game.player[n]) for n in type_nodes}
    if len(players) != 1 or -1 in players:
        raise refuse("each of the root's outcomes must be a move of one and the same player, the sender")
    sender = players.pop()
    types = tuple(game.action_label[n] for n in type_nodes)
    type_sets = []
    direct: list[dict[int, Fraction]] = []
    arrivals: dict[int, dict[int, tuple[int, int]]] = {}
    receiver = -1
    for t, node in enumerate(type_nodes):
        s = game.infosets.at(int(game.infoset[node]))
        if len(s.members) > 1:
            raise refuse(f"the sender's set {s.name!r} has several nodes, so the sender does not know its type")
        type_sets.append(s.name)
        ends: dict[int, Fraction] = {}
        for k, child in enumerate(game.children_of(node)):
            position = s.offset + k
            kind = NodeKind(int(game.kind[child]))
            if kind is NodeKind.TERMINAL:
                ends[position] = Fraction(numbers.leaf_payoff[leaf[child]][sender])
                continue
            who = int(game.player[child])
            if kind is not NodeKind.DECISION or who == sender or (receiver >= 0 and who != receiver):
                raise refuse(f"after {s.name!r} sends {s.actions[k]!r} the next move must be the receiver's")
            receiver = who
            r = int(game.infoset[child])
            if t in arrivals.setdefault(r, {}):
                raise refuse(f"the receiver's set {game.infosets.at(r).name!r} holds two messages of one type")
            arrivals[r][t] = (child, position)
        direct.append(ends)
    if receiver < 0:
        raise refuse("no message reaches a move of the receiver")
    messages = []
    for r, by_type in arrivals.items():
        s = game.infosets.at(r)
        if len(s.members) != len(by_type):
            raise refuse(f"the receiver's set {s.name!r} has nodes that no message reaches")
        sender_pay: dict[int, tuple[Fraction, ...]] = {}
        receiver_pay: dict[int, tuple[Fraction, ...]] = {}
        for t, (node, _) in by_type.items():
            ends_s = []
            ends_r = []
            for child in game.children_of(node):
                if NodeKind(int(game.kind[child])) is not NodeKind.TERMINAL:
                    raise refuse(f"after the receiver's reply at {s.name!r} the game goes on")
                pay = numbers.leaf_payoff[leaf[child]]
                ends_s.append(Fraction(pay[sender]))
                ends_r.append(Fraction(pay[receiver]))
            sender_pay[t] = tuple(ends_s)
            receiver_pay[t] = tuple(ends_r)
        labels = {game.action_label[node] for node, _ in by_type.values()}
        label = labels.pop() if len(labels) == 1 else s.name
        messages.append(Message(s.name, label, s.actions, s.offset, by_type, sender_pay, receiver_pay))
    for s in game.infosets.values():
        if s.player.index == receiver and s.index not in arrivals:
            raise refuse(f"the receiver also moves at {s.name!r}, which no message leads to")
    return SignallingForm(sender, receiver, types, tuple(type_sets), tuple(messages), tuple(direct))


def intuitive_check(form: SignallingForm, game: Game, probabilities: Sequence[Number], exact: bool) -> IntuitiveCheck:
    """The perfect-Bayesian test and the Intuitive Criterion for one equilibrium (module docstring).

    ``probabilities`` is the flat behaviour vector of a verified Nash
    equilibrium; ``exact`` says whether it is in ``Fraction`` (else floats,
    judged with the regret tolerance).
    """
    probs = list(probabilities)
    zero: Number = Fraction(0) if exact else 0.0
    # Each type's equilibrium payoff: messages that end the game, then those the receiver answers.
    value: list[Number] = [zero] * len(form.types)
    for t, ends in enumerate(form.direct):
        for position, pay in ends.items():
            value[t] = value[t] + probs[position] * (pay if exact else float(pay))
    for m in form.messages:
        reply = probs[m.offset:m.offset + len(m.replies)]
        for t, (_, position) in m.types.items():
            if probs[position]:
                worth = sum((q * (u if exact else float(u)) for q, u in zip(reply, m.sender[t], strict=True)), zero)
                value[t] = value[t] + probs[position] * worth
    scale = max((abs(float(u)) for m in form.messages for row in m.sender.values() for u in row), default=1.0)
    slack: Number = Fraction(0) if exact else tolerances.tolerance(tolerances.REGRET, max(scale, 1.0))
    payoffs = {form.types[t]: value[t] for t in range(len(form.types))}

    def sent(m: Message) -> bool:
        limit = 0 if exact else tolerances.PROFILE
        return any(probs[position] > limit for _, position in m.types.values())

    excluded: dict[str, tuple[str, ...]] = {}
    beliefs: dict[str, dict[str, Fraction]] = {}
    restricted = True
    failure: IntuitiveCheck | None = None
    for m in form.messages:
        if sent(m):
            continue
        can = sorted(m.types)
        limit = 0 if exact else tolerances.PROFILE
        support = [a for a, q in enumerate(probs[m.offset:m.offset + len(m.replies)]) if q > limit]
        anywhere = _belief(m, can, support)
        if anywhere is None:
            return IntuitiveCheck(
                "not perfect Bayesian", m.infoset, None,
                f"no belief over the types that can send {m.label!r} makes the receiver's reply there optimal",
                payoffs,
            )
        best_any = [a for a in range(len(m.replies)) if _belief(m, can, [a]) is not None]
        dominated = [t for t in can if value[t] > max(m.sender[t][a] for a in best_any) + slack]
        excluded[m.infoset] = tuple(form.types[t] for t in dominated)
        rest = [t for t in can if t not in dominated]
        chosen = dict(zip(can, anywhere, strict=True))
        if rest and dominated:
            plausible = _belief(m, rest, support)
            if plausible is None:
                restricted = False
            else:
                chosen = {t: plausible[rest.index(t)] if t in rest else Fraction(0) for t in can}
        beliefs[m.infoset] = {game.node_names[m.types[t][0]]: chosen[t] for t in can}
        if not rest or failure is not None:
            continue
        best_rest = [a for a in range(len(m.replies)) if _belief(m, rest, [a]) is not None]
        for t in can:
            worst = min(m.sender[t][a] for a in best_rest)
            if worst > value[t] + slack:
                gone = ", ".join(form.types[k] for k in dominated) or "none"
                replies = ", ".join(m.replies[a] for a in best_rest)
                failure = IntuitiveCheck(
                    "fails", m.infoset, form.types[t],
                    f"type {form.types[t]} would send {m.label!r}: once the types for whom it cannot pay "
                    f"({gone}) are ruled out, every best reply ({replies}) gives it at least "
                    f"{_show(worst)}, more than its {_show(value[t])} in the equilibrium",
                    payoffs,
                )
                break
    if failure is not None:
        return dataclasses.replace(failure, excluded=excluded, beliefs=beliefs, restricted=restricted)
    note = "" if restricted else "a reply off the path needs beliefs on types the criterion rules out"
    return IntuitiveCheck("passes", None, None, note, payoffs, excluded, beliefs, restricted)


def intuitive_refine(result: SolveResult) -> SolveResult:
    """Keep the equilibria of ``result`` that are perfect Bayesian and pass the Intuitive Criterion.

    The others are named in ``warnings`` with the reason. ``details`` gets
    ``"refine"`` (``"intuitive"``), ``"intuitive"`` (one :class:`IntuitiveCheck`
    per kept equilibrium, in order), ``"discarded"`` (pairs of a discarded
    equilibrium and its check) and ``"none_pass"``. Kept equilibria whose replies off the path
    are optimal against beliefs the criterion allows get ``refinement``
    :data:`NAME`. If none passes (the method did not list every equilibrium),
    all are kept, each with its verdict, and a warning says so.
    """
    game = result.game
    form = signalling_form(game, result.parameters)
    checks = [intuitive_check(form, game, eq.probabilities, result.exact) for eq in result.equilibria]
    kept = [(eq, c) for eq, c in zip(result.equilibria, checks, strict=True) if c.passes]
    discarded = [(eq, c) for eq, c in zip(result.equilibria, checks, strict=True) if not c.passes]
    warnings = list(result.warnings)
    total = len(result.equilibria)
    none_pass = not kept and bool(discarded)
    if none_pass:
        warnings.append(
            f"no equilibrium that {result.method} found passes the Intuitive Criterion; all are shown with their verdicts"
        )
        kept, discarded = list(zip(result.equilibria, checks, strict=True)), []
    for eq, c in discarded:
        shown = sender_summary(form, eq)
        if c.infoset is not None:
            shown += f"; {c.infoset}: {_mix(eq.behavior[c.infoset])}"
        warnings.append(f"discarded an equilibrium of {total} ({shown}): {c.text}")
    marked = tuple(
        dataclasses.replace(eq, refinement=eq.refinement or NAME) if c.passes and c.restricted else eq
        for eq, c in kept
    )
    details = dict(result.details)
    details.update(refine="intuitive", intuitive=tuple(c for _, c in kept), discarded=tuple(discarded),
                   none_pass=none_pass)
    return dataclasses.replace(result, equilibria=marked, warnings=tuple(warnings), details=details)


def sender_summary(form: SignallingForm, eq: Equilibrium) -> str:
    """What each type sends: ``surly: beer, wimp: quiche`` (mixtures as ``beer 1/2 + quiche 1/2``)."""
    return ", ".join(f"{t}: {_mix(eq.behavior[name])}" for t, name in zip(form.types, form.type_sets, strict=True))


def _mix(probs: Mapping[str, Number]) -> str:
    used = [(a, p) for a, p in probs.items() if p > tolerances.PROFILE]
    if len(used) == 1:
        return used[0][0]
    return " + ".join(f"{a} {_show(p)}" for a, p in used)


def _show(x: Number) -> str:
    return show_number(x) if isinstance(x, Fraction) else f"{float(x):.6g}"


def _belief(m: Message, types: Sequence[int], replies: Sequence[int]) -> list[Fraction] | None:
    """A belief over ``types`` (in order) against which every reply in ``replies`` is best, or None.

    Vertex enumeration of ``{mu >= 0, sum mu = 1, mu . (v(a) - v(b)) >= 0}``
    in exact arithmetic (module docstring); HiGHS past :data:`MAX_VERTEX_TRIES`.
    """
    k = len(types)
    if not replies:
        return None
    rows: list[tuple[Fraction, ...]] = []
    for a in replies:
        for b in range(len(m.replies)):
            if b != a:
                row = tuple(m.receiver[t][a] - m.receiver[t][b] for t in types)
                if any(row) and row not in rows:
                    rows.append(row)
    if k == 1:
        return [Fraction(1)] if all(r[0] >= 0 for r in rows) else None
    # Inequalities g . mu >= 0: the receiver's comparisons, then mu_t >= 0.
    inequalities = rows + [tuple(Fraction(int(i == j)) for j in range(k)) for i in range(k)]
    if math.comb(len(inequalities), k - 1) > MAX_VERTEX_TRIES:
        return _belief_lp(rows, k)
    ones = tuple(Fraction(1) for _ in range(k))
    for tight in itertools.combinations(range(len(inequalities)), k - 1):
        mu = _solve([ones, *(inequalities[i] for i in tight)], [Fraction(1)] + [Fraction(0)] * (k - 1))
        if mu is not None and all(sum((g * x for g, x in zip(row, mu, strict=True)), Fraction(0)) >= 0
                                  for row in inequalities):
            return mu
    return None


def _solve(matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]) -> list[Fraction] | None:
    """The solution of a square system in ``Fraction`` by Gaussian elimination, or None if singular."""
    n = len(rhs)
    a = [list(row) + [rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        a[col] = [x / head for x in a[col]]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] for i in range(n)]


def _belief_lp(rows: Sequence[Sequence[Fraction]], k: int) -> list[Fraction] | None:
    """The belief question in floating point (HiGHS), for many types and replies."""
    import numpy as np
    from scipy.optimize import linprog

    g = np.array([[float(x) for x in row] for row in rows], dtype=np.float64).reshape(len(rows), k)
    res = linprog(np.zeros(k), A_ub=-g, b_ub=np.zeros(len(rows)), A_eq=np.ones((1, k)), b_eq=[1.0],
                  bounds=[(0, None)] * k, method="highs")
    if not res.success:
        return None
    mu = np.maximum(res.x, 0.0)
    return [Fraction(float(x)).limit_denominator(10**9) for x in mu / mu.sum()]


def details_data(check: IntuitiveCheck, number: Any) -> dict[str, Any]:
    """One check as JSON data; ``number`` formats a number (exact as a string)."""
    return {
        "verdict": check.verdict,
        "infoset": check.infoset,
        "type": check.type,
        "reason": check.reason or None,
        "type_payoffs": {t: number(v) for t, v in check.payoffs.items()},
        "excluded_types": {s: list(ts) for s, ts in check.excluded.items()},
        "beliefs": {s: {n: number(p) for n, p in b.items()} for s, b in check.beliefs.items()},
        "beliefs_plausible": check.restricted,
    }
