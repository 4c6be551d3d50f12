"""Running sweeps on a Dask cluster (the optional ``distributed`` extra).

:func:`dask_client` connects to a running scheduler, or starts a local cluster
of worker processes on the loopback interface. The client is handed to
:func:`policy.analysis.sweep.run_sweep` as its executor: each block of samples
becomes one task. The samples are drawn before any task starts, so a sweep on
a cluster gives exactly the answers of the same sweep run locally.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from policy.analysis.sweep import SweepError


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``, or for a local cluster of ``workers`` processes.

    Raises
    ------
    SweepError
        When dask.distributed is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SweepError(
            "--scheduler and --workers need dask.distributed: pip install 'policy-games[distributed]'"
        ) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(
                n_workers=workers or 2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            client = Client(cluster)
    except OSError as err:
        if cluster is not None:
            cluster.close()
        raise SweepError(f"--scheduler {scheduler}: cannot connect: {err}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
