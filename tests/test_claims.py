"""The claims catalogue: the real file is well formed and fully cited; bad files fail clearly."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policy.bundled import games_dir
from policy.claims import KINDS, STATUSES, Claim, ClaimsError, load_claims

PROJECT = Path(__file__).resolve().parent.parent
CATALOGUE = PROJECT / "seeds" / "claims.toml"
#: The bundled games (``$POLICY_GAMES`` if set, as everywhere else).
GAMES = games_dir()

#: Every game of the scenario, bundled or planned; `bears_on` may name only these.
SCENARIO_GAMES = frozenset({"coup_1937", "diplomacy_1939", "romania_1940", "barbarossa_1941"})


def game_path(game: str) -> Path:
    return GAMES / f"{game}.toml"


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def cited_ids(data: Any) -> Iterator[str]:
    """Every claim id in a `sources = [...]` array, at any depth of a parsed TOML file."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "sources" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from cited_ids(value)
    elif isinstance(data, list):
        for item in data:
            yield from cited_ids(item)


def data_files() -> list[Path]:
    # Profiles include shared values from files below leaders/ (leaders/shared/).
    return sorted(GAMES.glob("*.toml")) + sorted((GAMES / "leaders").rglob("*.toml"))


@pytest.fixture(scope="module")
def claims() -> dict[str, Claim]:
    return load_claims(CATALOGUE)


@pytest.fixture(scope="module")
def citations() -> dict[Path, set[str]]:
    return {path: set(cited_ids(read_toml(path))) for path in data_files()}


# ------------------------------------------------------------ the real catalogue


def test_default_path_is_the_projects_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICY_CLAIMS", raising=False)
    assert load_claims() == load_claims(CATALOGUE)


def test_environment_variable_overrides_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "claims.toml"
    other.write_text(
        '[claims.only-one]\nkind = "external"\nsummary = "S."\nstatus = "accepted"\n'
        'source = "A, B (C, 2000)"\nbears_on = ["coup_1937.structure"]\n'
    )
    monkeypatch.setenv("POLICY_CLAIMS", str(other))
    assert list(load_claims()) == ["only-one"]


def test_catalogue_has_thread_and_external_claims(claims: dict[str, Claim]) -> None:
    kinds = {claim.kind for claim in claims.values()}
    assert kinds == set(KINDS)


def test_every_claim_is_well_formed(claims: dict[str, Claim]) -> None:
    for cid, claim in claims.items():
        assert claim.id == cid
        assert claim.kind in KINDS and claim.status in STATUSES, cid
        assert claim.summary.strip(), cid
        if claim.kind == "thread":
            assert claim.post is not None and claim.post >= 1, cid
            assert claim.source is None, cid
        else:
            assert claim.source and claim.post is None and claim.author is None, cid
        if claim.status in {"contested", "wrong"}:
            assert claim.why and claim.why.strip(), f"{cid}: {claim.status} without why"
        assert claim.bears_on, cid


def test_bears_on_names_scenario_games(claims: dict[str, Claim]) -> None:
    for cid, claim in claims.items():
        unknown = claim.games - SCENARIO_GAMES
        assert not unknown, f"{cid}: bears_on names unknown games {sorted(unknown)}"


def test_bears_on_names_parameters_of_existing_games(claims: dict[str, Claim]) -> None:
    for cid, claim in claims.items():
        for item in claim.bears_on:
            game, target = item.split(".", 1)
            if not game_path(game).is_file() or target == "structure":
                continue
            declared = read_toml(game_path(game)).get("parameters", {})
            assert target in declared, f"{cid}: {game} declares no parameter {target!r}"


def test_every_cited_claim_exists(
    claims: dict[str, Claim], citations: dict[Path, set[str]]
) -> None:
    assert citations, "no game or leader files found"
    for path, ids in citations.items():
        missing = sorted(ids - set(claims))
        assert not missing, f"{path.relative_to(PROJECT)} cites unknown claims {missing}"


@pytest.mark.parametrize("cid", sorted(load_claims(CATALOGUE)))
def test_every_claim_is_cited_somewhere(
    cid: str, claims: dict[str, Claim], citations: dict[Path, set[str]]
) -> None:
    claim = claims[cid]
    if not any(game_path(game).is_file() for game in claim.games):
        # Every game this claim bears on is still being written (the scenario
        # lists four games; see SCENARIO_GAMES). The claim is checked as soon as
        # one of them lands in games/; until then there is nothing to cite it.
        pytest.skip(f"{cid} bears only on games not written yet: {sorted(claim.games)}")
    cited = set().union(*citations.values())
    assert cid in cited, f"{cid} is cited by no game or leader profile"


def test_claims_bearing_on_a_game_are_cited_by_it(
    claims: dict[str, Claim], citations: dict[Path, set[str]]
) -> None:
    for cid, claim in claims.items():
        for game in sorted(claim.games):
            path = game_path(game)
            if path.is_file():
                assert cid in citations[path], f"{cid} bears on {game} but {path.name} omits it"


# ------------------------------------------------------------- bad catalogues

GOOD = {
    "kind": '"thread"',
    "post": "3",
    "summary": '"The party countermands the orders."',
    "status": '"accepted"',
    "bears_on": '["coup_1937.p_countermand"]',
}


def catalogue(cid: str = "party-countermand", drop: tuple[str, ...] = (), **keys: str) -> str:
    body = {**GOOD, **keys}
    lines = [f"[claims.{cid}]"] + [f"{k} = {v}" for k, v in body.items() if k not in drop]
    return "\n".join(lines) + "\n"


BAD_CLAIMS = [
    pytest.param(catalogue(drop=("summary",)), "missing required key 'summary'", id="no-summary"),
    pytest.param(catalogue(drop=("kind",)), "missing required key 'kind'", id="no-kind"),
    pytest.param(catalogue(kind='"forum"'), "kind must be one of", id="bad-kind"),
    pytest.param(catalogue(status='"maybe"'), "status must be one of", id="bad-status"),
    pytest.param(catalogue(status='"wrong"'), "needs 'why'", id="wrong-without-why"),
    pytest.param(catalogue(status='"contested"'), "needs 'why'", id="contested-without-why"),
    pytest.param(catalogue(drop=("post",)), "needs 'post'", id="thread-without-post"),
    pytest.param(catalogue(post="0"), "post must be a whole number", id="post-zero"),
    pytest.param(catalogue(post='"3"'), "post must be a whole number", id="post-string"),
    pytest.param(catalogue(post="true"), "post must be a whole number", id="post-bool"),
    pytest.param(
        catalogue(kind='"external"', drop=("post",)), "needs 'source'", id="external-without-source"
    ),
    pytest.param(
        catalogue(kind='"external"', source='"X, Y (Z, 2000)"'),
        "'post' is for thread claims",
        id="external-with-post",
    ),
    pytest.param(catalogue(summary='""'), "summary must be a non-empty string", id="empty-summary"),
    pytest.param(catalogue(author="7"), "author must be a non-empty string", id="author-number"),
    pytest.param(catalogue(quote='"' + "word " * 40 + '"'), "quote is longer", id="long-quote"),
    pytest.param(
        catalogue(bears_on='"coup_1937.x"'), "bears_on must be a list", id="bears-on-str"
    ),
    pytest.param(
        catalogue(bears_on='["readiness"]'), "is not 'game.parameter'", id="bears-on-no-game"
    ),
    pytest.param(catalogue(colour='"red"'), "unknown key 'colour'", id="unknown-key"),
    pytest.param(catalogue(cid="Party_Countermand"), "lowercase words", id="bad-id"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CLAIMS)
def test_bad_claim_is_refused_naming_file_and_claim(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(ClaimsError) as caught:
        load_claims(path)
    cid = text.split("]", 1)[0].removeprefix("[claims.")
    assert re.match(rf"{re.escape(str(path))}:\d+: claims\.{re.escape(cid)}: ", str(caught.value))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        pytest.param({"kind": '"forum"'}, 10, id="bad-value-at-its-key"),
        pytest.param({"drop": ("summary",)}, 9, id="missing-key-at-the-table"),
        pytest.param({"bears_on": '"coup_1937.x"'}, 14, id="bears-on-at-its-key"),
        pytest.param({"colour": '"red"'}, 15, id="unknown-key-at-its-line"),
    ],
)
def test_the_error_gives_the_line_of_the_faulty_key(tmp_path: Path, keys: dict, line: int) -> None:
    """A fault in the second of two claims is found at its line (finding 8a of user30)."""
    path = tmp_path / "claims.toml"
    drop = keys.pop("drop", ())
    path.write_text("# my own sources\n\n" + catalogue(cid="first") + catalogue(cid="second", drop=drop, **keys))
    with pytest.raises(ClaimsError) as caught:
        load_claims(path)
    assert str(caught.value).startswith(f"{path}:{line}: claims.second: ")


@pytest.mark.parametrize("bears_on", [None, "[]"], ids=["absent", "empty"])
def test_bears_on_may_be_left_out(tmp_path: Path, bears_on: str | None) -> None:
    """A user's claim about a source need bear on no parameter: games and profiles cite it by id."""
    path = tmp_path / "claims.toml"
    text = catalogue(drop=("bears_on",)) if bears_on is None else catalogue(bears_on=bears_on)
    path.write_text(text)
    assert load_claims(path)["party-countermand"].bears_on == ()


def test_the_faulty_claim_is_named_among_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(catalogue() + catalogue(cid="army-size", status='"wrong"'))
    with pytest.raises(ClaimsError, match=r"claims\.army-size: a wrong claim needs 'why'"):
        load_claims(path)


def test_a_good_catalogue_loads(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(
        catalogue(status='"wrong"', why='"The memo says 1.3 million."', author='"fasquardon"')
    )
    claim = load_claims(path)["party-countermand"]
    assert claim == Claim(
        id="party-countermand",
        kind="thread",
        summary="The party countermands the orders.",
        status="wrong",
        post=3,
        author="fasquardon",
        bears_on=("coup_1937.p_countermand",),
        why="The memo says 1.3 million.",
    )


BAD_FILES = [
    pytest.param("\n[claims.a\n", "not valid TOML", 2, id="syntax"),
    pytest.param("", "no claims", None, id="empty"),
    pytest.param('\ntitle = "x"\n', "title: unknown top-level key", 2, id="top-level-key"),
    pytest.param('claims = "x"\n', "no claims", None, id="claims-not-table"),
    pytest.param('[claims]\na = "x"\n', "claims.a: must be a table", 2, id="claim-not-table"),
]


@pytest.mark.parametrize(("text", "message", "line"), BAD_FILES)
def test_bad_file_is_refused_naming_it(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(ClaimsError) as caught:
        load_claims(path)
    assert str(caught.value).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert message in str(caught.value)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ClaimsError, match="cannot read the claims catalogue"):
        load_claims(path)


def test_claims_error_is_a_value_error() -> None:
    assert issubclass(ClaimsError, ValueError)
