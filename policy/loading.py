"""Load, save and convert game files, choosing the format by the file's suffix.

``.toml`` is our own format (:mod:`policy.gamefile`); ``.efg`` and ``.nfg`` are
Gambit's (:mod:`policy.gambit`). Saving is atomic: the text is made first, then
written to a temporary file in the target's directory and moved over the target
with :func:`os.replace`, so an error never leaves a half-written file behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from policy.gambit import read_efg, read_nfg, write_efg, write_nfg
from policy.gamefile import NAME, _q, dump_game, load_game
from policy.model import Game, NodeKind, NodeSpec, Outcome, build_game

__all__ = ["FORMATS", "UnknownFormatError", "convert", "load", "save"]

FORMATS = (".toml", ".efg", ".nfg")
"""File suffixes that :func:`load` and :func:`save` understand."""


class UnknownFormatError(ValueError):
    """A file name whose suffix is not one of :data:`FORMATS`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        suffix = Path(path).suffix or "no suffix"
        super().__init__(
            f"{path}: unknown game file type ({suffix}); use .toml, .efg (Gambit extensive form) "
            "or .nfg (Gambit strategic form)"
        )


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UnknownFormatError(path)
    return suffix


def load(path: str | Path) -> Game:
    """Read a game file of any supported format.

    Raises
    ------
    UnknownFormatError
        For a suffix other than ``.toml``, ``.efg`` and ``.nfg``.
    policy.gamefile.GameFileError, policy.gambit.GambitFormatError
        For a file that cannot be read, with file and line; a file the user
        names may be a pipe or a device, but no more than
        :data:`policy.files.MAX_INPUT_BYTES` are read from it.
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".toml":
        from policy.campaign import is_campaign, load_campaign

        if is_campaign(path):  # already bound to its file, and known to campaign_of
            return load_campaign(path).game
        game = load_game(path)
    elif suffix == ".efg":
        game = read_efg(path)
    else:
        game = read_nfg(path)
    # Bound to its file here, once: errors found later, when the game is
    # evaluated at some parameter values, then say which file they are in.
    return game.in_file(str(path))


def dumps(game: Game, suffix: str, values: Mapping[str, Fraction] | None = None) -> str:
    """The text of ``game`` in the format of ``suffix`` (``.toml``, ``.efg`` or ``.nfg``).

    ``values`` fix the parameters for the Gambit formats, which have none (see
    :func:`policy.gambit.write_efg`); a ``.toml`` file keeps the parameters, so
    ``values`` are not used for it.
    """
    suffix = suffix.lower()
    if suffix == ".toml":
        return dump_game(_for_toml(game))
    if suffix == ".efg":
        return write_efg(game, values)
    if suffix == ".nfg":
        return write_nfg(game, values)
    raise UnknownFormatError(f"<game>{suffix}")


def save(game: Game, path: str | Path, values: Mapping[str, Fraction] | None = None) -> str | None:
    """Write ``game`` to ``path`` in the format its suffix names, atomically.

    The whole text is made before anything is written; it then goes to a
    temporary file beside ``path`` that replaces ``path`` in one step. On any
    error the target is untouched and no temporary file remains.

    A TOML file is written so that it reads where it is written: claim ids
    that the catalogue found from its folder lacks are kept as comments
    (see :func:`_cited_for`). Returns a note saying so, else None.

    Raises
    ------
    UnknownFormatError
        For an unknown suffix.
    policy.gambit.GambitFormatError
        When the game cannot be written in that format (say, a tree that is not a
        strategic form as ``.nfg``, or parameters without values).
    OSError
        When the directory cannot be written.
    """
    path = Path(path)
    suffix = _suffix(path)
    note = None
    if suffix == ".toml":
        game, head, note = _cited_for(game, path)
        text = head + dumps(game, suffix, values)
        if head.startswith("claims"):  # a [game] key: after the header line
            first, rest = text[len(head):].split("\n", 1)
            text = f"{first}\n{head}{rest}"
    else:
        text = dumps(game, suffix, values)
    write_text_atomic(path, text)
    return note


def _cited_for(game: Game, path: Path) -> tuple[Game, str, str | None]:
    """``game`` as it can cite its claims from ``path``'s folder: the game, text to add, and a note.

    A game's claim ids are checked, when the file is read, against the
    catalogue found from the file's folder (:func:`policy.claims.find_catalogue`).
    A copy written elsewhere keeps its ids when that catalogue holds them, or
    when the catalogue the game cites from lies in the new folder or below it
    (then named by ``claims = "..."``). Otherwise the ids are taken out of
    ``sources`` and written as comments at the top, with the catalogue that
    holds them, so the copy reads and the provenance stays.
    """
    import dataclasses

    from policy.claims import ClaimsError, catalogue_ids, find_catalogue, game_catalogue

    cited = [("game.sources", game.sources)] if game.sources else []
    cited += [(f"parameters.{n}.sources", p.sources) for n, p in game.parameters.items() if p.sources]
    if not cited:
        return game, "", None
    ids = {s for _, sources in cited for s in sources}
    folder = path.parent
    try:
        found = find_catalogue(folder)
        if ids <= catalogue_ids(found):
            return game, "", None
    except ClaimsError:
        return game, "", None  # a catalogue that cannot be read: reading the copy says so
    own = game_catalogue(game.file) if game.file else None
    if own is not None:
        own = own.resolve()
        try:
            inside = own.relative_to(folder.resolve())
            if ids <= catalogue_ids(own):
                return game, f"claims = {_q(inside.as_posix())}\n", None
        except (ValueError, OSError, ClaimsError):
            pass
    where = f"in {own}" if own is not None else "in no catalogue found"
    lines = [
        f"# The claim ids this game cites are not in the catalogue found from this folder ({found});",
        f"# they are {where}. Kept here as comments so that the file reads: to cite them",
        "# again, put that catalogue beside this file as claims.toml and write these back.",
        *(f"# {key} = [{', '.join(_q(s) for s in sources)}]" for key, sources in cited),
        "",
    ]
    bare = dataclasses.replace(
        game,
        sources=(),
        parameters={n: dataclasses.replace(p, sources=()) for n, p in game.parameters.items()},
        _cache={},
    )
    note = (f"{path}: its claim ids are kept as comments, not as sources: the catalogue found from "
            f"{folder} ({found}) does not hold them; they are {where}")
    return bare, "\n".join(lines) + "\n", note


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; see :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, by the rules of :mod:`policy.output`.

    A regular file is replaced in one step (a symbolic link's target, the link
    kept); a pipe or device is written through; a directory is refused. On
    any error (or Ctrl-C) the target is untouched and no temporary file
    remains. A new file gets the permissions the umask allows; an existing
    one keeps its own.

    Raises
    ------
    policy.output.OutputError
        An ``OSError`` naming ``path``.
    """
    from policy.output import write

    write(path, data)


def convert(src: str | Path, dst: str | Path, values: Mapping[str, Fraction] | None = None) -> Game:
    """Read ``src`` and save it as ``dst`` (formats by suffix); returns the game read.

    Converting a game with parameters to a Gambit format writes it at
    ``values``, or at the parameters' defaults.
    """
    game = load(src)
    save(game, dst, values)
    return game


def _for_toml(game: Game) -> Game:
    """The game as our TOML format can hold it.

    Gambit games may leave a terminal without an outcome (it pays 0); our TOML
    format asks for payoffs at every terminal, so such terminals get an
    unlabelled outcome of zeros (one shared object). A Gambit file's comment is
    what our format calls the description, so it becomes the description when
    the game has none. A Gambit file names nodes and information sets only by
    labels, which need not be unique; where they are usable names (unique, not
    empty, letters, digits, ``_``, ``-`` and ``.``, as :data:`policy.gamefile.NAME`
    takes), they become the names in the TOML file, so a game written to .efg
    and read back keeps its names (a campaign's ``cuba.nuclear`` too).
    """
    missing = (game.kind == NodeKind.TERMINAL) & (game.outcome < 0)
    description = game.description or game.comment
    names = _names_from_labels(game)
    infoset_names = _infoset_names_from_labels(game)
    if (
        not missing.any()
        and description == game.description
        and names == list(game.node_names)
        and infoset_names is None
    ):
        return game
    from policy.expr import parse

    zero = Outcome("", tuple(parse(0) for _ in game.players))
    specs = []
    for i, name in enumerate(names):
        kind = NodeKind(int(game.kind[i]))
        kids = game.children_of(i)
        actions = tuple((game.action_label[c], names[c]) for c in kids)
        o = int(game.outcome[i])
        outcome = game.outcomes[o] if o >= 0 else (zero if missing[i] else None)
        player = game.players.at(int(game.player[i])).label if kind is NodeKind.DECISION else None
        specs.append(
            NodeSpec(
                name,
                kind,
                player=player,
                actions=actions,
                probabilities=tuple(game.chance_probability[c] for c in kids)  # type: ignore[misc]
                if kind is NodeKind.CHANCE
                else (),
                infoset=(
                    (infoset_names or {}).get(int(game.infoset[i]), game.infosets.at(int(game.infoset[i])).name)
                    if player is not None
                    else None
                ),
                outcome=outcome,
            )
        )
    return build_game(
        game.title,
        list(game.players),
        specs,
        root=names[0],
        parameters=game.parameters,
        description=description,
        sources=game.sources,
        comment=game.comment,
        origin=game.origin,
        outcomes=[*game.outcomes, zero],
    )


def _names_from_labels(game: Game) -> list[str]:
    """Node names for the TOML file: the Gambit labels when every one is a usable, unique name."""
    labels = game.node_labels
    if not labels or any(not NAME.fullmatch(x) for x in labels) or len(set(labels)) != len(labels):
        return list(game.node_names)
    return list(labels)


def _infoset_names_from_labels(game: Game) -> dict[int, str] | None:
    """Information set names from the Gambit labels: set index -> label, or None to keep the names.

    Used only when every decision node's set has a usable label, and labels and
    sets correspond one to one (a label is a set's name, so two sets cannot share one).
    """
    labels = game.node_infoset_labels
    if not labels:
        return None
    chosen: dict[int, str] = {}
    for i in range(game.num_nodes):
        if NodeKind(int(game.kind[i])) is not NodeKind.DECISION:
            continue
        label, s = labels[i], int(game.infoset[i])
        if not NAME.fullmatch(label) or chosen.setdefault(s, label) != label:
            return None
    if len(set(chosen.values())) != len(chosen):
        return None
    if all(game.infosets.at(s).name == label for s, label in chosen.items()):
        return None
    return chosen
