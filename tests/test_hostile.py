"""Regression tests from the adversarial run (the "Hardening" issue, input side).

Each case is a small file in ``tests/data/hostile/`` or is made here. The
contract for every one: one error line that names the file and the place, exit
code 1 from the command line, and never a traceback, a hang or runaway memory.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke

from policy import files
from policy.expr import ExprError, parse
from policy.files import MAX_KEY_PARTS, InputError, parse_toml
from policy.gambit import GambitFormatError, read_efg, read_nfg
from policy.gamefile import GameFileError, load_game, loads_game
from policy.leaders import LeaderError, load_leader, parse_assignments
from policy.loading import convert, load
from policy.model import GameError

HOSTILE = Path(__file__).parent / "data" / "hostile"
GAMES = Path(__file__).parent.parent / "games"


def one_error_line(code: int, err: str, *parts: str) -> None:
    """Exit code 1 and a single error line holding every part."""
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0], (part, lines[0])


# -- point 2: sizes declared in a file are checked before anything is allocated ----


def test_nfg_strategy_counts_beyond_the_file_are_refused_at_once() -> None:
    path = HOSTILE / "huge_counts.nfg"
    assert path.stat().st_size == 58
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, f"{path}:1:", "strategy counts 1000000000 make more strategy profiles")
    # Refused before anything sized by the counts is allocated (a billion profiles).
    tracemalloc.start()
    try:
        with pytest.raises(GambitFormatError, match="more strategy profiles than"):
            read_nfg(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # a billion profiles would take gigabytes


def test_nfg_labelled_strategies_with_a_huge_product_are_refused() -> None:
    players = " ".join(f'"P{k}"' for k in range(40))
    labels = " ".join('{ "a" "b" }' for _ in range(40))
    text = f'NFG 1 R "x" {{ {players} }} {{ {labels} }}\n' + "1 " * 80
    with pytest.raises(GambitFormatError, match="more strategy profiles than"):
        read_nfg(text)


# -- point 3: files a game names, and files the user names -------------------------


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("claims_absolute.toml", "absolute path"), ("claims_parent.toml", "outside the game file's folder")],
)
def test_game_claims_outside_the_folder_are_refused(name: str, phrase: str) -> None:
    path = HOSTILE / name
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, str(path), "game.claims", phrase)
    assert "root:" not in err  # nothing of /etc/passwd is read or echoed


def game_citing(folder: Path, ref: str) -> Path:
    path = folder / "game.toml"
    path.write_text(
        (HOSTILE / "claims_absolute.toml").read_text().replace('"/etc/passwd"', f'"{ref}"')
    )
    return path


def test_game_claims_through_a_symlink_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / "outside.toml").write_text("[claims]\n")
    (tmp_path / "inner" / "claims.toml").symlink_to(tmp_path / "outside.toml")
    (tmp_path / "inner" / "zero.toml").symlink_to("/dev/zero")
    for ref in ("claims.toml", "zero.toml"):
        with pytest.raises(GameFileError, match="outside the game file's folder") as info:
            load_game(game_citing(tmp_path / "inner", ref))
        assert info.value.path == "game.claims"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_game_claims_naming_a_pipe_are_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "claims.toml"
    os.mkfifo(pipe)
    game = game_citing(tmp_path, "claims.toml")
    errors: list[Exception] = []

    def read() -> None:
        try:
            load_game(game)
        except Exception as err:  # noqa: BLE001 - handed to the test below
            errors.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # Only a guard against blocking for good in open(); the test is on the error.
    reader.join(60)
    if reader.is_alive():
        try:  # a writer lets a reader blocked in open() go on
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        reader.join(5)
        pytest.fail("reading the claims blocked on the pipe")
    (err,) = errors
    assert isinstance(err, GameFileError) and "not a regular file" in str(err)


def test_game_claims_larger_than_the_cap_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_CATALOGUE_BYTES", 1000)
    (tmp_path / "claims.toml").write_text("# padding\n" * 200)
    with pytest.raises(GameFileError, match="larger than 1000 bytes"):
        load_game(game_citing(tmp_path, "claims.toml"))


def test_game_claims_inside_the_folder_are_still_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "claims.toml").write_text(
        '[claims.c1]\nkind = "external"\nsummary = "s"\nstatus = "accepted"\n'
        'source = "a book"\nbears_on = ["g.p"]\n'
    )
    path = game_citing(tmp_path, "sub/claims.toml")
    # Read, not passed over (a catalogue not found leaves claim ids unchecked): the
    # game may cite c1 from it, and not c2.
    text = path.read_text().replace('claims = "sub/claims.toml"', 'claims = "sub/claims.toml"\nsources = ["c1"]')
    path.write_text(text)
    assert load_game(path).sources == ("c1",)
    path.write_text(text.replace('"c1"', '"c2"'))
    with pytest.raises(GameFileError, match="unknown claim 'c2'"):
        load_game(path)


@pytest.mark.parametrize("suffix", [".toml", ".efg", ".nfg"])
def test_a_device_named_as_a_game_is_read_with_a_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 2**20)
    path = tmp_path / f"zero{suffix}"
    path.symlink_to("/dev/zero")
    tracemalloc.start()
    try:
        with pytest.raises((GameFileError, GambitFormatError), match="more than 1 MiB to read") as info:
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith(str(path))
    assert peak < 8 * 2**20  # reading stopped at the cap, a little past 1 MiB


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_named_as_a_game_is_read(tmp_path: Path) -> None:
    path = tmp_path / "pipe.efg"
    os.mkfifo(path)
    text = (Path(__file__).parent / "data" / "bayes.efg").read_bytes()

    def write() -> None:
        with open(path, "wb") as pipe:
            pipe.write(text)

    writer = threading.Thread(target=write)
    writer.start()
    game = load(path)
    writer.join(5)
    assert game.num_nodes > 1


def test_a_directory_is_refused_as_input_not_with_a_traceback(tmp_path: Path) -> None:
    """A folder named like a game beside a profile (mistakes/dir.toml of user30) crashed the check
    of the profile's values, which reads the game files around it: fdopen refused the folder first."""
    with pytest.raises(InputError, match="it is a directory"):
        files.read_bytes(tmp_path)
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "game.toml").write_text(
        '[game]\ntitle = "g"\nplayers = ["A"]\n\n[parameters.p]\ndescription = "p"\n\n'
        '[nodes.root]\nplayer = "A"\nactions = { x = "end" }\n\n[nodes.end]\npayoffs = { A = "p" }\n'
    )
    (tmp_path / "hero.toml").write_text('[leader]\nname = "H"\n\n[values.q]\nvalue = 1\nnote = "judgement: x"\n')
    code, _, err = invoke("solve", str(tmp_path / "game.toml"), "-l", str(tmp_path / "hero.toml"))
    one_error_line(code, err, "values.q: names no parameter")


def test_a_leader_larger_than_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 1000)
    path = tmp_path / "big.toml"
    path.write_text('[leader]\nname = "x"\n' + "# padding\n" * 200)
    with pytest.raises(LeaderError, match=f"{path}: the file is larger than 1000 bytes"):
        load_leader(path)


# -- point 8: numbers beyond what a float can hold -----------------------------------


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("big_number.toml", ":7: parameters.readiness.default: number is about 1e400"),
        ("big_power.toml", ":10: nodes.end.payoffs.A: value is about 1e319"),
        ("huge_exponent.toml", ":10: number 1e99999999999999999999 is out of range"),
    ],
)
def test_numbers_beyond_float_range_are_refused_where_read(name: str, place: str) -> None:
    path = HOSTILE / name
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, f"{path}{place}")


def test_an_expression_beyond_float_range_at_given_values_is_located() -> None:
    path = HOSTILE / "overflow_at_values.toml"
    code, _, err = invoke("solve", str(path), "--set", "x=1e10")
    one_error_line(code, err, str(path), "nodes.end.payoffs.A", "beyond the range of floating point")
    code, _, err = invoke("solve", str(path), "--set", "x=1e10", "--float")
    one_error_line(code, err, str(path), "nodes.end.payoffs.A", "overflow")


def test_set_beyond_float_range_is_refused() -> None:
    code, _, err = invoke("solve", str(GAMES / "diplomacy_1939.toml"), "--set", "readiness=1e400")
    one_error_line(code, err, "--set: readiness: number is about 1e400")
    with pytest.raises(LeaderError, match="out of range"):
        parse_assignments(["readiness=1e99999999999999999999"])


def test_leader_settings_beyond_float_range_are_refused() -> None:
    path = HOSTILE / "big_leader.toml"
    code, _, err = invoke("solve", str(GAMES / "diplomacy_1939.toml"), "-l", str(path))
    one_error_line(code, err, f"{path}: values.readiness.distribution.sd: number is about 1e400")


def test_gambit_payoffs_beyond_float_range_are_refused() -> None:
    path = HOSTILE / "big_payoff.efg"
    with pytest.raises(GambitFormatError, match="beyond the range of floating point") as info:
        read_efg(path)
    assert str(info.value).startswith(f"{path}:4:")


@pytest.mark.parametrize(
    "text",
    ["1e99999999999999999999", "2 * 1e99999999999999999999", "1e400", "-1e400", "10**60 * 10**60 * 10**60 * 10**60 * 10**60 * 10**60"],
)
def test_expressions_beyond_float_range_are_expr_errors(text: str) -> None:
    with pytest.raises(ExprError):
        parse(text)


def test_deep_toml_nesting_is_one_error() -> None:
    text = "[game]\nx = " + "[" * 3000 + "]" * 3000 + "\n"
    with pytest.raises(GameFileError, match="nested too deeply"):
        loads_game(text, "deep.toml")


def test_a_dotted_header_with_many_parts_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # tomllib's time grows with the square of the parts: the key is refused before it parses.
    parsed: list[str] = []
    loads = files.tomllib.loads
    monkeypatch.setattr(files.tomllib, "loads", lambda text, **kw: parsed.append(text) or loads(text, **kw))
    text = "[game]\n[" + ".".join(["a"] * 100_000) + "]\n"
    with pytest.raises(GameFileError, match=f"more than {MAX_KEY_PARTS} parts") as info:
        loads_game(text, "dotted.toml")
    assert info.value.line == 2
    assert parsed == []
    parse_toml("[" + ".".join(["a"] * MAX_KEY_PARTS) + "]\n")  # the limit itself is fine
    with pytest.raises(InputError):
        parse_toml("x = 1\n" + "a." * MAX_KEY_PARTS + "b = 1\n")
    # Only lines with that many dots are searched: dots spread over many lines are no long key,
    # and a long key after them is still found, on its own line.
    decimals = "".join(f"v{k} = 0.5\n" for k in range(3 * MAX_KEY_PARTS))
    assert parse_toml(decimals)["v0"] == Decimal("0.5")
    with pytest.raises(InputError) as found:
        parse_toml(decimals + "x = 1\r\n" + "a . " * MAX_KEY_PARTS + "b = 1\n")
    assert found.value.line == 3 * MAX_KEY_PARTS + 2


# -- point 13: small faults of reading and messages ----------------------------------


def test_evaluation_errors_name_the_file() -> None:
    bad = HOSTILE / "bad_probability.toml"
    good = GAMES / "diplomacy_1939.toml"
    code, out, err = invoke("validate", str(good), str(bad))
    assert code == 1 and out.startswith(f"ok {good}")
    one_error_line(1, err, f"{bad}:12: nodes.start.probabilities.heads", "outside [0, 1]")
    with pytest.raises(GameError, match=f"^{bad}:12: nodes.start.probabilities.heads"):
        load(bad).numbers({"p": 2})


def test_non_finite_float_payoffs_raise_no_numpy_warning() -> None:
    text = (
        '[game]\ntitle = "t"\nplayers = ["A"]\n[nodes.start]\nplayer = "A"\n'
        'actions = { go = "end" }\npayoffs = { A = 1.7e308 }\n[nodes.end]\npayoffs = { A = 1.7e308 }\n'
    )
    game = loads_game(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(GameError, match="payoff is not a finite number"):
            game.numbers({}, exact=False)


def test_convert_to_toml_escapes_del(tmp_path: Path) -> None:
    target = tmp_path / "del.toml"
    convert(HOSTILE / "del_label.efg", target)
    assert "\x7f" not in target.read_text()
    assert load(target).node_names  # reads back


def test_a_toml_byte_order_mark_is_accepted_like_an_efg_one(tmp_path: Path) -> None:
    assert load(HOSTILE / "bom.toml").title == "UTF-8 with a byte-order mark"
    leader = tmp_path / "bom_leader.toml"
    leader.write_bytes(b'\xef\xbb\xbf[leader]\nname = "With a BOM"\n')
    assert load_leader(leader).name == "With a BOM"


def test_keyword_parameter_names_are_refused_where_declared() -> None:
    path = HOSTILE / "keyword_parameter.toml"
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, f"{path}:5: parameters.lambda", "Python keyword")
    for name in ("None", "True"):
        text = path.read_text().replace("lambda", name)
        with pytest.raises(GameFileError, match="Python keyword"):
            loads_game(text)


def test_a_root_with_a_parent_is_not_called_a_cycle() -> None:
    path = HOSTILE / "root_with_parent.toml"
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, str(path), "game.root", "is a child of 'top'")
    assert "cycle" not in err


def test_empty_leader_option_is_a_usage_error() -> None:
    game = str(GAMES / "diplomacy_1939.toml")
    for args in (("validate", "-l", "", game), ("solve", game, "-l", ""), ("explain", game, "-l", " , ")):
        code, _, err = invoke(*args)
        assert code == 2 and "not an empty value" in err


def test_nfkc_lookalike_names_are_refused() -> None:
    path = HOSTILE / "fullwidth_name.toml"
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, f"{path}:14: nodes.end.payoffs.A", "'ｘ'", "Unicode NFKC")
    with pytest.raises(ExprError, match="NFKC"):
        parse("𝐱 * 2", ["x"])
    assert parse("é + 1", ["é"]).names == {"é"}  # names that NFKC keeps are fine


def test_payoffs_adding_up_beyond_float_range_along_a_path_are_located() -> None:
    path = HOSTILE / "path_sum.toml"
    code, _, err = invoke("solve", str(path))
    one_error_line(code, err, f"{path}:9: nodes.end.payoffs", "add up beyond the range of floating point")
    code, _, err = invoke("solve", str(path), "--float")
    one_error_line(code, err, f"{path}:9: nodes.end.payoffs", "not a finite number")


def test_ranges_wider_than_a_float_are_refused() -> None:
    path = HOSTILE / "wide_range.toml"
    code, _, err = invoke("validate", str(path))
    one_error_line(code, err, f"{path}:7: parameters.x.range", "wider than floating point")
    leader = HOSTILE / "wide_leader.toml"
    with pytest.raises(LeaderError, match=f"^{leader}: values.x.range: the range is wider"):
        load_leader(leader)


def test_a_leader_that_is_a_device_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.toml"
    path.symlink_to("/dev/zero")
    with pytest.raises(LeaderError, match=f"^{path}: not a regular file$"):
        load_leader(path)


def test_a_toml_integer_of_thousands_of_digits_is_one_error() -> None:
    with pytest.raises(GameFileError, match="too many digits") as info:
        loads_game('[game]\ntitle = "t"\nx = ' + "9" * 5000 + "\n", "digits.toml")
    assert info.value.line == 3


def test_a_huge_whole_number_fact_is_refused() -> None:
    text = (HOSTILE / "bom.toml").read_text(encoding="utf-8-sig").replace(
        "payoffs = { A = 1 }", "payoffs = { A = 1 }\nfacts = { year = 0x" + "f" * 5000 + " }"
    )
    with pytest.raises(GameFileError, match="nodes.end.facts.year: more than 400 digits"):
        loads_game(text, "fact.toml")


@pytest.mark.parametrize("table", ['parameters."p\\n"', 'nodes."s\\n"'])
def test_names_with_a_trailing_newline_are_refused(table: str) -> None:
    text = (
        '[game]\ntitle = "t"\nplayers = ["A"]\n[parameters.q]\ndescription = "d"\n'
        '[nodes.s]\nplayer = "A"\nactions = { go = "e" }\n[nodes.e]\npayoffs = { A = 1 }\n'
    )
    text += f'[{table}]\n' + ('description = "d"\n' if "parameters" in table else "payoffs = { A = 1 }\n")
    with pytest.raises(GameFileError, match="is not a usable"):
        loads_game(text)


def test_an_open_stream_is_read_with_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 2**20)
    with open("/dev/zero", "rb") as stream, pytest.raises(GambitFormatError, match="^/dev/zero: more than 1 MiB"):
        read_efg(stream)
