"""Stopping a sweep's worker pool on Ctrl-C never leaves the process unable to exit.

A worker ended while it sent its block left half a message in the pool's result
pipe; the pool's manager thread waited for the rest forever, and the interpreter,
which joins that thread at exit, hung after the sweep had printed its partial
results. The test writes half a message from a worker on purpose.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from policy.analysis.sweep import _stop_workers

_WRITER: Any = None


def _send_half_a_message_and_wait() -> None:
    # The length says 1,000 bytes; ten follow, as when a worker dies mid-send.
    os.write(_WRITER.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    time.sleep(120)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_stopping_workers_lets_the_pool_end_after_half_a_message() -> None:
    global _WRITER
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    _WRITER = pool._result_queue._writer  # type: ignore[attr-defined]
    manager = None
    try:
        future = pool.submit(_send_half_a_message_and_wait)
        manager = pool._executor_manager_thread  # type: ignore[attr-defined]
        time.sleep(1.0)  # the manager thread is now waiting inside the half message
        assert not future.done()
        _stop_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        manager.join(timeout=60)
        assert not manager.is_alive(), "the pool's manager thread still waits for the message"
        assert future.done()
    finally:
        # Should the check fail, unblock the thread so that the test run itself can exit.
        for process in list(pool._processes.values() if pool._processes else []):  # type: ignore[attr-defined]
            process.kill()
        _WRITER.close()
        _WRITER = None
