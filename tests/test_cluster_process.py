"""The Dask cluster tests (tests/test_cluster.py), run in a fresh Python process.

They start local clusters, event-loop threads and worker processes. In a full
run they shared the process with every test before them, and twice a run
stopped for good at their first cluster (the file alone, beside other jobs
or not, never did). Here they get a process of their own, and a time limit
with every thread's stack on the way out; a run that hangs is tried once
more, and the first one's stacks are shown as a warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

#: Set in the fresh process: tests/test_cluster.py runs only there.
FRESH = "POLICY_CLUSTER_TESTS"
#: Seconds for one test in the fresh process before its stacks are dumped and it ends.
PER_TEST = 240
#: Seconds for the whole file in the fresh process.
WHOLE = 900

ROOT = Path(__file__).resolve().parent.parent


def _run() -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_cluster.py",
               "-o", f"timeout={PER_TEST}", "-o", "timeout_method=thread"]
    env = {**os.environ, FRESH: "1"}
    try:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WHOLE)
    except subprocess.TimeoutExpired as err:
        out = (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        return subprocess.CompletedProcess(command, -1, out + f"\n(no end within {WHOLE} s)\n", "")


def test_the_dask_cluster_tests_in_a_fresh_process() -> None:
    pytest.importorskip("distributed")
    done = _run()
    hung = "Timeout" in done.stdout or done.returncode == -1
    if done.returncode != 0 and hung:
        warnings.warn("tests/test_cluster.py hung in its fresh process and was run again; its stacks:\n"
                      + done.stdout[-20_000:], stacklevel=1)
        done = _run()
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    assert " passed" in done.stdout, done.stdout
