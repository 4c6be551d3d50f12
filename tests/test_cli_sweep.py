"""`policy sweep` from the command line: outputs, plots, errors, interruption, Dask."""

from __future__ import annotations

import csv
import io
import json

import pytest

from policy.analysis import sweep as sweep_module
from policy.bundled import games_dir
from tests.conftest import invoke

GAME = str(games_dir() / "diplomacy_1939.toml")


def run(*args: str) -> tuple[int, str, str]:
    return invoke("sweep", *args)


def test_grid_table_names_the_stretches_of_the_grid():
    code, out, _ = run(GAME, "-l", "stalin", "--vary", "readiness=0.1:0.9:81")
    assert code == 0
    assert "Equilibrium path along the grid" in out
    assert "0.1 to 0.36   start=deal_germany, pact_reply=honour" in out
    assert "0.37 to 0.4   start=turtle, turtle_reply=attack" in out


def test_monte_carlo_json_is_reproducible_and_adds_up():
    args = (GAME, "-l", "stalin", "--samples", "3000", "--seed", "4", "--format", "json")
    first, second = run(*args), run(*args)
    assert first[0] == 0 and first[1] == second[1]
    data = json.loads(first[1])
    assert data["samples"] == data["done"] == 3000 and data["seed"] == 4
    assert sum(p["share"] for p in data["paths"]) == pytest.approx(1)
    assert sum(o["probability"] for o in data["outcomes"].values()) == pytest.approx(1)
    other = json.loads(run(GAME, "-l", "stalin", "--samples", "3000", "--seed", "5", "--format", "json")[1])
    assert other["paths"] != data["paths"]


def test_csv_has_a_row_per_sample_and_leader():
    code, out, _ = run(GAME, "-l", "stalin,tukhachevsky", "--samples", "50", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 100
    assert {r["leader"] for r in rows} == {"stalin", "tukhachevsky"}
    assert all(0.1 <= float(r["readiness"]) <= 0.9 for r in rows)


def test_set_fixes_a_parameter_in_monte_carlo():
    code, out, _ = run(GAME, "-l", "stalin", "--samples", "20", "--set", "readiness=0.6", "--format", "csv")
    assert code == 0
    assert {r["readiness"] for r in csv.DictReader(io.StringIO(out))} == {"0.6"}


def test_plot_and_output_files(tmp_path):
    plot, out = tmp_path / "grid.svg", tmp_path / "grid.json"
    code, stdout, stderr = run(GAME, "-l", "stalin", "--vary", "readiness=0.1:0.9:11",
                               "--vary", "oil_value=0.1:0.6:11", "--plot", str(plot),
                               "-o", str(out), "--format", "json")
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text())["varied"] == ["readiness", "oil_value"]
    assert plot.read_text().lstrip().startswith("<?xml")
    assert f"wrote {out} and {plot}" in stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("-l", "stalin"), 2, "either --vary"),
        (("-l", "stalin", "--vary", "readiness=0:1", "--samples", "5"), 2, "either --vary"),
        (("--samples", "5"), 2, "give --leader"),
        (("-l", "stalin,tukhachevsky", "--vary", "readiness=0:1"), 2, "one leader"),
        (("-l", "stalin", "--vary", "readiness=1:0"), 1, "LOW must be below HIGH"),
        (("-l", "stalin", "--vary", "nerve=0:1"), 1, "unknown parameter 'nerve'"),
        (("-l", "nobody", "--samples", "5"), 1, "unknown leader 'nobody'"),
        (("-l", "stalin", "--vary", "readiness=0:1", "--plot", "x.pdf"), 1, ".png or .svg"),
    ],
)
def test_bad_requests_fail_with_one_line(args, code, message):
    status, _, err = run(GAME, *args)
    assert status == code
    assert message in err
    if code == 1:
        assert err.startswith("Error: ") and err.count("\n") == 1


def test_ctrl_c_prints_what_was_done_and_writes_no_file(tmp_path, monkeypatch):
    real = sweep_module.solve_block
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "solve_block", interrupted)
    monkeypatch.setattr(sweep_module, "BLOCK", 100)
    out, plot = tmp_path / "mc.csv", tmp_path / "mc.png"
    # With -o nothing goes to the screen (it once printed the partial CSV there).
    code, stdout, stderr = run(GAME, "-l", "stalin", "--samples", "1000", "--format", "csv",
                               "-o", str(out), "--plot", str(plot))
    assert code == 130
    assert stdout == ""
    assert "interrupted: 200 of 1000 samples solved; no file written" in stderr
    assert list(tmp_path.iterdir()) == []
    # Without -o what was solved is printed.
    calls.clear()
    code, stdout, stderr = run(GAME, "-l", "stalin", "--samples", "1000", "--format", "csv",
                               "--plot", str(plot))
    assert code == 130
    assert len(stdout.splitlines()) == 1 + 200
    assert "interrupted: 200 of 1000 samples solved; no file written" in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_local_dask_cluster_gives_the_local_answer():
    pytest.importorskip("distributed")
    args = (GAME, "-l", "tukhachevsky", "--samples", "40000", "--seed", "9", "--format", "json")
    local = run(*args)
    dask = run(*args, "--workers", "2")
    assert local[0] == dask[0] == 0
    assert json.loads(local[1]) == json.loads(dask[1])
