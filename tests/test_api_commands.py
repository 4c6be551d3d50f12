"""Every command is a thin layer over ``policy.api``: the function of the same name gives what it prints."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import policy
from policy.bundled import games_dir
from policy.render.data import claims_data, explanation_data
from tests.conftest import REPO, invoke

DIPLOMACY = str(games_dir() / "diplomacy_1939.toml")
CAMPAIGNS = REPO / "tests" / "data" / "campaigns"


def _cli_tree() -> ast.Module:
    return ast.parse((REPO / "policy" / "cli.py").read_text(encoding="utf-8"))


def test_every_command_calls_the_api() -> None:
    # Each command (a function decorated with @main.command) imports its work from policy.api.
    tree = _cli_tree()
    commands = [
        f for f in tree.body
        if isinstance(f, ast.FunctionDef)
        and any(isinstance(d, ast.Call) and ast.unparse(d.func) == "main.command" for d in f.decorator_list)
    ]
    assert len(commands) >= 12
    helpers = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    for command in commands:
        body = [command] + ([helpers["_sweep"]] if command.name == "sweep" else [])
        imported = {
            node.module for f in body for node in ast.walk(f) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "policy.api" in imported, f"policy {command.name} does not call policy.api"


def test_the_command_line_solves_nothing_itself() -> None:
    # No solver, loader, resolver or analysis entry point is called from the CLI module:
    # what a command computes lives in policy.api (formatting lives in policy.render).
    forbidden = {"policy.solvers", "policy.loading", "policy.gamefile", "policy.analysis.compare.compare",
                 "policy.analysis.flip", "policy.analysis.record", "policy.analysis.decompose",
                 "policy.analysis.explain", "policy.render.report"}
    for node in ast.walk(_cli_tree()):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            assert not names & forbidden, f"policy/cli.py imports {sorted(names & forbidden)}"
    source = (REPO / "policy" / "cli.py").read_text(encoding="utf-8")
    assert "resolve(" not in source and "load_game(" not in source


def test_explain_is_the_command() -> None:
    code, out, _ = invoke("explain", DIPLOMACY, "-l", "stalin", "--format", "json")
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(explanation_data(policy.explain(DIPLOMACY, "stalin"))))


def test_claims_is_the_command() -> None:
    from policy.analysis.compare import display_path
    from policy.claims import default_path

    code, out, _ = invoke("claims", "--game", "coup_1937", "--status", "wrong", "--format", "json")
    assert code == 0
    ours = policy.find_claims("coup_1937", "wrong")
    assert ours and all(c.status == "wrong" for c in ours)
    assert json.loads(out) == json.loads(json.dumps(claims_data(ours, display_path(default_path()))))


def test_convert_is_the_command(tmp_path: Path) -> None:
    by_command, by_api = tmp_path / "a.efg", tmp_path / "b.efg"
    code, _, err = invoke("convert", DIPLOMACY, str(by_command), "-l", "stalin", "--set", "readiness=3/5")
    assert code == 0, err
    assert policy.convert(DIPLOMACY, by_api, "stalin", readiness="3/5") == by_api
    assert by_api.read_text() == by_command.read_text()
    # Read back, the game has the leader's numbers: the same equilibrium outcome as solving the TOML.
    back = policy.solve(policy.load(by_api))
    direct = policy.solve(DIPLOMACY, "stalin", readiness="3/5")
    assert [float(x) for x in back.equilibria[0].reach] == pytest.approx(
        [float(x) for x in direct.equilibria[0].reach])


def test_validate_is_the_command(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[game]\ntitle = 'x'\n")
    code, out, err = invoke("validate", DIPLOMACY, str(broken), "-l", "stalin")
    checked = policy.validate([DIPLOMACY, broken], "stalin")
    assert code == 1
    assert out == "".join(f"{c}\n" for c in checked if c.ok)
    assert err == "".join(f"{c}\n" for c in checked if not c.ok)
    assert [c.ok for c in checked] == [True, False]


def test_decompose_and_record_are_the_commands() -> None:
    from policy.render.decompose import decomposition_data
    from policy.render.record import record_data

    game = str(CAMPAIGNS / "two_stage.toml")
    alpha, beta = (str(CAMPAIGNS / "leaders" / f"{n}.toml") for n in ("alpha", "beta"))
    code, out, err = invoke("decompose", game, "-l", f"{alpha},{beta}", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == json.loads(json.dumps(decomposition_data(policy.decompose(game, [alpha, beta]))))
    record = str(CAMPAIGNS / "record_two_stage.toml")
    code, out, err = invoke("record", game, record, "-l", beta, "--samples", "200", "--format", "json")
    assert code == 0, err
    ours = policy.record(game, record, beta, samples=200)
    assert json.loads(out) == json.loads(json.dumps(record_data(ours)))


def test_report_writes_what_the_command_writes(tmp_path: Path) -> None:
    game = str(CAMPAIGNS / "crisis.toml")
    written = policy.report(tmp_path / "api.md", game, leaders=["stalin"], sweeps=False)
    assert written[-1] == tmp_path / "api.md" and all(p.exists() for p in written)
    page = written[-1].read_text()
    assert policy.load(game).title in page and "Stalin" in page


def test_a_comparison_of_a_leader_who_sets_nothing_warns() -> None:
    game = str(CAMPAIGNS / "crisis.toml")
    with pytest.warns(UserWarning, match="sets none of the game's parameters"):
        policy.compare(game, leaders="stalin", flips=False, swaps=False)


def test_bundled_games_are_found_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    by_path = policy.load("games/coup_1937.toml")
    by_name = policy.load("coup_1937")
    assert by_path.title == by_name.title == policy.load(games_dir() / "coup_1937.toml").title
    code, out, _ = invoke("solve", "coup_1937", "--no-count")
    assert code == 0 and out.startswith(by_name.title)
    # A file of the user's comes first.
    (tmp_path / "games").mkdir()
    (tmp_path / "games" / "coup_1937.toml").write_text((CAMPAIGNS / "crisis.toml").read_text())
    assert policy.load("games/coup_1937.toml").title == "A crisis"
    with pytest.raises(ValueError, match="nosuch.toml: cannot read"):
        policy.load("nosuch.toml")
