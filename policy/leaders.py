"""Leader profiles: parameter values, with sources, for one leader.

A profile is a TOML file (``games/leaders/stalin.toml``)::

    [leader]
    name = "Joseph Stalin"
    description = "..."
    sources = ["purge-scale"]

    [values.readiness]
    value = "0.35"
    range = [0.2, 0.5]
    sources = ["purge-scale"]
    note = "judgement: ..."

A profile may span several games; a game takes the values of the parameters it
declares. :func:`resolve` combines a game's defaults, a profile and command-line
overrides into the values a solver uses.

A profile may take values from other files with ``include``: a file of shared
values (a ``[shared]`` header instead of ``[leader]``) holding what describes
the world rather than the leader, or another profile, whole or in part::

    include = ["shared/world.toml", { path = "stalin.toml", values = ["loss_weight"] }]

Each value then has exactly one place where it is written: a name given twice
(by the profile and an included file, or by two included files) is refused,
so two profiles that include the same file cannot drift apart. Included paths
are relative to the including file and must stay inside its folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from policy.bundled import bundled_leaders, games_dir
from policy.expr import MAX_MAGNITUDE, RANGE_TOO_WIDE, ExprError, parse
from policy.files import InputError, inside, may_have_top_level, parse_toml, read_text
from policy.model import Game

VALUE_KEYS = {"value", "range", "sources", "note", "distribution"}

#: How deep ``include`` may nest (a profile including a file that includes ...).
MAX_INCLUDE_DEPTH = 8


class LeaderError(ValueError):
    """A profile that cannot be read or used; ``str()`` is one line naming the file."""


#: The shapes a value's uncertainty may take, and the settings each needs.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fixed": (),
    "uniform": (),
    "triangular": (),
    "beta": ("a", "b"),
    "normal": ("sd",),
}


@dataclass(frozen=True)
class Distribution:
    """What a leader's value may be instead: a shape over the value's range.

    ``uniform`` spreads evenly over the range; ``triangular`` peaks at the
    value and falls to zero at the range's ends; ``beta`` is Beta(a, b)
    stretched over the range; ``normal`` is centred on the value with standard
    deviation ``sd`` and cut off at the range's ends; ``fixed`` is the value
    alone. A value with a range and no distribution is triangular.
    """

    kind: str
    settings: tuple[tuple[str, float], ...] = ()

    def setting(self, name: str) -> float:
        return dict(self.settings)[name]


@dataclass(frozen=True)
class LeaderValue:
    """One parameter's value under a leader, and why."""

    name: str
    value: Fraction
    range: tuple[Fraction, Fraction] | None = None
    sources: tuple[str, ...] = ()
    note: str = ""
    distribution: Distribution = Distribution("fixed")
    origin: str = ""
    """The file the value is written in: the profile's own, or an included one."""


@dataclass(frozen=True)
class Leader:
    """A leader profile."""

    key: str
    """The file's stem (``stalin``), as given to ``--leader``."""
    name: str
    description: str
    values: Mapping[str, LeaderValue]
    sources: tuple[str, ...] = ()
    file: str = ""
    includes: tuple[str, ...] = ()
    """The files this profile takes values from (directly or through others), in order."""

    def own(self, name: str) -> bool:
        """Whether the value of ``name`` is written in this profile's own file (not included)."""
        return name in self.values and self.values[name].origin == self.file


def is_profile(path: str | Path) -> bool:
    """Whether ``path`` is a leader profile (a .toml file with a ``[leader]`` table)."""
    return profile_kind(path) == "leader"


def profile_kind(path: str | Path) -> str | None:
    """``"leader"`` for a profile, ``"shared"`` for a file of shared values, else None.

    A file of shared values (a ``[shared]`` table and ``[values]``) is what
    profiles include; it is no game and no profile of its own.
    """
    path = Path(path)
    if path.suffix != ".toml" or not path.is_file():
        return None
    try:
        text = read_text(path)
        if not may_have_top_level(text, ("leader", "shared")):
            return None
        data = parse_toml(text)
    except InputError:
        return None
    for head in ("leader", "shared"):
        if isinstance(data.get(head), dict):
            return head
    return None


def load_shared(path: str | Path) -> Leader:
    """A file of shared values read on its own, with the files it includes, as a nameless profile.

    For ``policy validate``: the values load and each says where it comes
    from. It is not a leader (``--leader`` refuses it).
    """
    path = Path(path)
    head, values, includes = _read_profile(path, str(path), (), None)
    shared = Leader(
        key=path.stem,
        name=f"shared values {path.stem}",
        description=str(head.get("description", "")),
        values=values,
        sources=tuple(head.get("sources", [])),
        file=str(path),
        includes=includes,
    )
    check_sources(shared, "shared")
    return shared


def find_leader(name_or_path: str) -> Path:
    """A profile's path from a bundled key (``stalin``) or a file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or os.sep in name_or_path or "/" in name_or_path:
        if not path.is_file():
            what = "not a regular file" if path.exists() else "no such leader file"
            raise LeaderError(f"{name_or_path}: {what}")
        return path
    candidate = games_dir() / "leaders" / f"{name_or_path}.toml"
    if not candidate.is_file():
        known = ", ".join(bundled_leaders()) or "none"
        raise LeaderError(f"unknown leader {name_or_path!r} (bundled: {known}; or give a file path)")
    return candidate


def load_leader(name_or_path: str | Path) -> Leader:
    """Read a profile by bundled key or path, with the values of the files it includes.

    Raises
    ------
    LeaderError
        One line naming the file and the key: a file that cannot be read, a
        missing ``[leader]`` header, a bad value, or a bad ``include`` (a path
        outside the profile's folder, a cycle, a name given in two places).
    """
    path = find_leader(str(name_or_path))
    head, values, includes = _read_profile(path, str(path), (), "leader")
    sources = head.get("sources", [])
    leader = Leader(
        key=path.stem,
        name=head["name"],
        description=str(head.get("description", "")),
        values=values,
        sources=tuple(sources),
        file=str(path),
        includes=includes,
    )
    check_sources(leader, "leader")
    return leader


def check_sources(profile: Leader, header: str = "leader") -> None:
    """Refuse a claim id that the profile's catalogue does not hold, as a game's are refused.

    The catalogue is found as a game's is (:func:`policy.claims.find_catalogue`),
    from the profile's folder: the one ``--claims`` or ``$POLICY_CLAIMS``
    names, else a ``claims.toml`` beside the profile or in the folder above
    (where the games it serves sit), else the bundled one. The ids checked are
    the header's ``sources`` and every value's, included ones too. The bundled
    profiles cite the bundled catalogue (the test suite checks them), so they
    are not read again here.

    Raises
    ------
    LeaderError
        ``FILE:LINE: values.NAME.sources: unknown claim 'ID': not in CATALOGUE``.
    policy.claims.ClaimsError
        When the catalogue itself cannot be read or is malformed.
    """
    from policy.claims import catalogue_ids, find_catalogue

    cited = [(profile.file, f"{header}.sources", s) for s in profile.sources]
    cited += [(v.origin or profile.file, f"values.{n}.sources", s) for n, v in profile.values.items() for s in v.sources]
    if not cited or not profile.file or _bundled(Path(profile.file)):
        return
    catalogue = find_catalogue(Path(profile.file).parent, above=True)
    known = catalogue_ids(catalogue)
    for file, key, cid in cited:
        if cid not in known:
            hint = _near_misses([cid], sorted(known), n=2, cutoff=0.8)
            raise LeaderError(
                f"{located(file, key)}: {key}: unknown claim {cid!r}: not in {catalogue}{hint} (a profile cites from "
                "the catalogue --claims FILE names, else a claims.toml beside it or in the folder above, "
                "else the bundled one)"
            )


def _bundled(path: Path) -> bool:
    """Whether ``path`` is one of the bundled profiles (or a file they include)."""
    try:
        return path.resolve().is_relative_to(games_dir().resolve())
    except OSError:
        return False


def _read_profile(
    path: Path, file: str, chain: tuple[Path, ...], header: str | None
) -> tuple[dict[str, Any], dict[str, LeaderValue], tuple[str, ...]]:
    """Header, values (own and included) and included files of one profile file.

    ``header`` is the header the file must have (``"leader"``), or None for an
    included file, which may have ``[leader]`` or ``[shared]``. ``chain`` holds
    the files that include this one, to refuse a cycle.
    """
    try:
        data = parse_toml(read_text(path))
    except InputError as err:
        raise LeaderError(f"{file}: {err.message}") from None
    heads = [h for h in ("leader", "shared") if h in data]
    for key in data:
        if key not in ("leader", "shared", "values", "include"):
            raise LeaderError(f"{file}: {key}: unknown table (expected leader or shared, values, include)")
    if header == "leader" and "leader" not in data:
        if "shared" in data:
            raise LeaderError(f"{file}: shared: a file of shared values, which profiles include; "
                              "it is not a leader (a profile starts with [leader] name = ...)")
        raise LeaderError(f"{file}: leader.name: missing (a profile starts with [leader] name = ...)")
    if len(heads) != 1:
        what = "both [leader] and [shared]" if heads else "neither [leader] nor [shared]"
        raise LeaderError(f"{file}: has {what} (an included file has one of them)")
    head = data[heads[0]]
    if not isinstance(head, dict):
        raise LeaderError(f"{file}: {heads[0]}: must be a table")
    if heads[0] == "leader" and not isinstance(head.get("name"), str):
        raise LeaderError(f"{file}: leader.name: missing (a profile starts with [leader] name = ...)")
    sources = head.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise LeaderError(f"{file}: {heads[0]}.sources: must be a list of claim ids")
    raw = data.get("values", {})
    if not isinstance(raw, dict):
        raise LeaderError(f"{file}: values: must be a table of [values.NAME] tables")
    values: dict[str, LeaderValue] = {}
    for name, body in raw.items():
        values[name] = dataclasses.replace(_value(file, name, body), origin=file)
    includes: list[str] = []
    for k, (ref, only) in enumerate(_include_entries(file, data.get("include", []))):
        where = f"{file}: include[{k}]"
        if len(chain) >= MAX_INCLUDE_DEPTH:
            raise LeaderError(f"{where}: includes nest more than {MAX_INCLUDE_DEPTH} deep")
        try:
            target = inside(path.parent, ref, "an included profile", "the profile")
        except InputError as err:
            raise LeaderError(f"{where}: {err.message}") from None
        if not target.is_file():
            raise LeaderError(f"{where}: {ref!r}: no such file")
        here = path.resolve()
        if target == here or target in chain:
            raise LeaderError(f"{where}: {ref!r} includes itself (through {len(chain) + 1} file(s))")
        sub = str(path.parent / ref)
        _, got, nested = _read_profile(target, sub, (*chain, here), None)
        if only is not None:
            unknown = sorted(set(only) - set(got))
            if unknown:
                raise LeaderError(f"{where}.values: {ref!r} gives no value for {', '.join(unknown)}")
            got = {n: got[n] for n in only}
        for name, v in got.items():
            if name in values:
                raise LeaderError(
                    f"{where}: {name!r} is given both in {values[name].origin} and in {v.origin}; "
                    "a value has one place (remove one, or narrow the include with values = [...])"
                )
            values[name] = v
        includes.extend([sub, *nested])
    return head, values, tuple(dict.fromkeys(includes))


def _include_entries(file: str, raw: Any) -> list[tuple[str, list[str] | None]]:
    """``include`` as (path, names or None) pairs, checked for shape."""
    if not isinstance(raw, list):
        raise LeaderError(f'{file}: include: must be a list of paths or {{ path = "...", values = [...] }} tables')
    out: list[tuple[str, list[str] | None]] = []
    for k, item in enumerate(raw):
        where = f"{file}: include[{k}]"
        if isinstance(item, str):
            out.append((item, None))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise LeaderError(f'{where}: must be a path or a table {{ path = "...", values = [...] }}')
        extra = sorted(set(item) - {"path", "values"})
        if extra:
            raise LeaderError(f"{where}.{extra[0]}: unknown key (allowed: path, values)")
        names = item.get("values")
        if names is not None and (
            not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names)
        ):
            raise LeaderError(f"{where}.values: must be a non-empty list of parameter names")
        out.append((item["path"], names))
    return out


def _number(file: str, path: str, raw: Any) -> Fraction:
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise LeaderError(f"{file}: {path}: must be a number")
    try:
        e = parse(raw)
    except ExprError as err:
        raise LeaderError(f"{file}: {path}: {err}") from None
    if e.constant is None:
        raise LeaderError(f"{file}: {path}: must be a plain number")
    return e.constant


def _value(file: str, name: str, body: Any) -> LeaderValue:
    path = f"values.{name}"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise LeaderError(f"{file}: {path}: {name!r} is not a parameter name")
    if not isinstance(body, dict):
        body = {"value": body}
    for key in body:
        if key not in VALUE_KEYS:
            raise LeaderError(f"{file}: {path}.{key}: unknown key (allowed: {', '.join(sorted(VALUE_KEYS))})")
    if "value" not in body:
        raise LeaderError(f"{file}: {path}.value: missing")
    value = _number(file, f"{path}.value", body["value"])
    rng = body.get("range")
    bounds = None
    if rng is not None:
        if not isinstance(rng, list) or len(rng) != 2:
            raise LeaderError(f"{file}: {path}.range: must be [low, high]")
        bounds = (_number(file, f"{path}.range", rng[0]), _number(file, f"{path}.range", rng[1]))
        if bounds[1] - bounds[0] > MAX_MAGNITUDE:
            raise LeaderError(f"{file}: {path}.range: {RANGE_TOO_WIDE}")
        if not bounds[0] <= value <= bounds[1]:
            raise LeaderError(f"{file}: {path}.value: {value} is outside its range [{bounds[0]}, {bounds[1]}]")
    sources = body.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise LeaderError(f"{file}: {path}.sources: must be a list of claim ids")
    shape = _distribution(file, path, body.get("distribution"), value, bounds)
    return LeaderValue(name, value, bounds, tuple(sources), str(body.get("note", "")), shape)


def _distribution(
    file: str, path: str, raw: Any, value: Fraction, bounds: tuple[Fraction, Fraction] | None
) -> Distribution:
    """Read ``distribution = "uniform"`` or ``distribution = { kind = "beta", a = 2, b = 5 }``."""
    where = f"{file}: {path}.distribution"
    if raw is None:
        return Distribution("triangular" if bounds is not None and bounds[0] < bounds[1] else "fixed")
    body = {"kind": raw} if isinstance(raw, str) else raw
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        raise LeaderError(f'{where}: must be a name or a table {{ kind = "...", ... }}')
    kind = body["kind"]
    if kind not in DISTRIBUTIONS:
        raise LeaderError(f"{where}: unknown kind {kind!r} (known: {', '.join(DISTRIBUTIONS)})")
    needed = DISTRIBUTIONS[kind]
    extra = sorted(set(body) - {"kind", *needed})
    if extra:
        raise LeaderError(f"{where}.{extra[0]}: not a setting of {kind} (settings: {', '.join(needed) or 'none'})")
    settings = []
    for key in needed:
        if key not in body:
            raise LeaderError(f"{where}.{key}: missing ({kind} needs {', '.join(needed)})")
        x = float(_number(file, f"{path}.distribution.{key}", body[key]))
        if not x > 0:
            raise LeaderError(f"{where}.{key}: must be positive")
        settings.append((key, x))
    if kind != "fixed" and (bounds is None or not bounds[0] < bounds[1]):
        raise LeaderError(f"{where}: {kind} needs a range [low, high] with low < high")
    return Distribution(kind, tuple(settings))


def parse_assignments(items: tuple[str, ...] | list[str]) -> dict[str, Fraction]:
    """``["p=0.5", "q=2/3"]`` from ``--set`` into exact values."""
    out: dict[str, Fraction] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise LeaderError(f"--set {item!r}: expected NAME=VALUE")
        out[name] = _number("--set", name, text.strip())
    return out


def _near_misses(unknown: Sequence[str], known: Iterable[str], n: int = 2, cutoff: float = 0.6) -> str:
    """``"; did you mean NAME?"`` for the names close to an unknown one, or nothing."""
    names = list(known)
    close = [m for u in unknown for m in difflib.get_close_matches(u, names, n=n, cutoff=cutoff)]
    return f"; did you mean {' or '.join(dict.fromkeys(close))}?" if close else ""


def resolve(
    game: Game, leader: Leader | None = None, overrides: Mapping[str, Fraction] | None = None
) -> dict[str, Fraction]:
    """The value of every parameter of ``game``: default, then profile, then override.

    Raises
    ------
    LeaderError
        If an override names a parameter the game does not declare, or some
        parameter is left without a value (both list the names).
    """
    values: dict[str, Fraction] = {
        n: p.default for n, p in game.parameters.items() if p.default is not None
    }
    if leader is not None:
        check_names(leader, game)
        for n, v in leader.values.items():
            if n in game.parameters:
                values[n] = v.value
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(game.parameters))
    if unknown:
        declared = ", ".join(game.parameters) or "none"
        raise LeaderError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} given a value"
            f"{_near_misses(unknown, game.parameters)} (the game declares: {declared})"
        )
    values.update(overrides)
    missing = sorted(set(game.parameters) - set(values))
    if missing:
        who = f"leader {leader.key!r}" if leader else "no leader"
        raise LeaderError(
            f"no value for parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"({who}, no default): give one with --leader or --set NAME=VALUE"
        )
    return values


def check_names(leader: Leader, *games: Game) -> None:
    """Refuse a profile value that names no parameter of any game it may serve.

    A profile may span several games, so a value the game at hand does not
    declare is not wrong in itself: it is accepted when some game file next to
    the profile (in its folder or the folder above, where the bundled profiles
    and a user's own sit beside their games) declares it. A name nobody
    declares is a misspelling that would silently leave a default in place.

    Raises
    ------
    LeaderError
        ``FILE: values.NAME: names no parameter of ...``, with the near misses.
    """
    declared: set[str] = set()
    for game in games:
        declared.update(game.parameters)
    titles = ", ".join(repr(g.title) for g in games) or "the game"
    check_declared(leader, declared, f"{titles} or of the games beside the profile")


def check_declared(leader: Leader, declared: Iterable[str], what: str) -> None:
    """Refuse a profile value that names neither a parameter in ``declared`` nor one of the games beside it.

    ``what`` says in the message what was searched (``'Title' or of the games
    beside the profile``). The error is located at the value's table in the
    file where it is written (the profile's own, or an included one).
    """
    found = undeclared(leader, declared)
    if found is not None:
        origin, name, hint = found
        raise LeaderError(f"{located(origin, f'values.{name}')}: values.{name}: names no parameter of {what}{hint}")


def undeclared(leader: Leader, declared: Iterable[str]) -> tuple[str, str, str] | None:
    """The first value of ``leader`` that names no parameter in ``declared`` nor of the games beside it.

    As ``(file, name, near misses)``: the file the value is written in, its
    name, and ``"; did you mean NAME?"`` or nothing. None when every value
    names one.
    """
    stray = sorted(set(leader.values) - set(declared))
    if not stray:
        return None
    known = set(declared) | (games_beside(leader) if leader.file else frozenset())
    for name in stray:
        if name not in known:
            hint = _near_misses([name], sorted(known), n=3, cutoff=0.75)
            return leader.values[name].origin or leader.file, name, hint
    return None


def games_beside(leader: Leader) -> frozenset[str]:
    """The parameters declared by the game files beside a profile (its folder and the one above)."""
    return _parameters_near(Path(leader.file).resolve().parent)


def located(file: str, path: str) -> str:
    """``file:line`` where key path ``path`` is written in the TOML file ``file``, else ``file``."""
    from policy.gamefile import find_line

    try:
        line = find_line(read_text(file).splitlines(), path)
    except (InputError, OSError):
        return file
    return f"{file}:{line}" if line else file


def unset(leader: Leader, game: Game) -> bool:
    """Whether the profile sets none of the parameters ``game`` declares (when it declares some)."""
    return bool(game.parameters) and not set(leader.values) & set(game.parameters)


def unsourced(leader: Leader) -> list[str]:
    """The profile's values with neither sources nor a ``judgement:`` note, as located lines.

    Every value in a profile says where it comes from: claim ids in
    ``sources``, or a note that starts ``judgement:`` when it rests on the
    modeller's reasoning (docs/game-format.md, "Leader profiles").
    """
    out = []
    for name, v in leader.values.items():
        if not v.sources and not v.note.strip().lower().startswith("judgement:"):
            out.append(
                f"{located(v.origin or leader.file, f'values.{name}')}: values.{name}: no sources and no note starting "
                "'judgement:' (every value says where it comes from)"
            )
    return out


def _parameters_near(folder: Path) -> frozenset[str]:
    """Parameter names declared by the game files in ``folder`` and the folder above it."""
    names: set[str] = set()
    for where in dict.fromkeys((folder, folder.parent)):
        for path in sorted(where.glob("*.toml")):
            if path.is_file():  # a folder may be named x.toml too
                names |= _declared_in(path, path.stat().st_mtime_ns)
    return frozenset(names)


@functools.lru_cache(maxsize=256)
def _declared_in(path: Path, _mtime: int) -> frozenset[str]:
    """The ``[parameters]`` names of one TOML game file (empty for anything else)."""
    try:
        data = parse_toml(read_text(path))
    except InputError:
        return frozenset()
    table = data.get("parameters")
    return frozenset(table) if isinstance(table, dict) else frozenset()


def out_of_range(game: Game, values: Mapping[str, Fraction]) -> list[str]:
    """Warnings for values outside the ranges their parameters declare."""
    out = []
    for name, v in values.items():
        p = game.parameters.get(name)
        if p is not None and p.range is not None and not p.range[0] <= v <= p.range[1]:
            out.append(f"{name} = {v} is outside its declared range [{p.range[0]}, {p.range[1]}]")
    return out
