"""The command keeps freed heap memory for reuse (policy.cli._keep_freed_memory), on glibc.

Measured in page faults, not time: a loop that allocates and frees the same
4 MB array makes glibc hand the heap's top back and fault it in again on each
turn, unless the trim threshold is raised, as the command does at start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LOOP = textwrap.dedent(
    """
    import resource, sys
    if sys.argv[1] == "cli":
        import policy.cli  # noqa: F401  (raises the trim threshold on import)
    import numpy as np
    a = np.ones(1 << 19)  # 4 MB, from the heap (MALLOC_MMAP_THRESHOLD_ below)
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        a = np.ones(1 << 19)
        del a
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["MALLOC_MMAP_THRESHOLD_"] = str(64 << 20)  # large arrays come from the heap, as in a long solve
    out = subprocess.run([sys.executable, "-c", LOOP, mode], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
                    reason="glibc only")
def test_freed_memory_is_reused_not_faulted_in_again() -> None:
    plain, kept = _faults("plain"), _faults("cli")
    # About 100 turns x 500 pages or more when the top is handed back each time.
    assert plain > 20_000
    assert kept < plain // 20
