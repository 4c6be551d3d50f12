"""Running sweeps on a Dask cluster (the optional ``distributed`` extra).

:func:`dask_client` connects to a running scheduler, or starts a local cluster
of worker processes. The client is handed to
:func:`policy.analysis.sweep.run_sweep` as its executor: each block of samples
becomes one task. The samples are drawn before any task starts, so a sweep on
a cluster gives exactly the answers of the same sweep run locally.

A Dask scheduler runs whatever code a connected client sends it. So the local
cluster of ``--workers`` is closed to everyone but this process: it listens on
127.0.0.1 only, speaks TLS with a certificate made for this run and kept in
memory (``distributed.security.Security.temporary``, which needs the
``cryptography`` package), so another local process (another user's
included) cannot connect; and it serves no dashboard and no HTTP routes (the
HTTP servers Dask always starts listen on a random loopback port and answer
nothing). Its worker processes ignore Ctrl-C, which a terminal sends to the
whole process group: stopping is this process's decision (it cancels the
blocks not yet solved and closes the cluster). A cluster named with
``--scheduler`` is the user's own: its
security is its configuration's (Dask's config files and ``DASK_*``
variables); policy only checks the address and connects within
:data:`CONNECT_TIMEOUT` seconds, and every failure is one line naming it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

from policy.analysis.errors import SweepError

#: Seconds allowed to reach a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = 10.0
#: Seconds allowed for each worker of a local cluster (``--workers``) to start and
#: reach its scheduler, and for a client or cluster to close: Dask sets no limit
#: of its own, so a worker that never came up held the command forever.
LOCAL_TIMEOUT = 60.0
#: What ``--scheduler`` takes: ``[tcp://|tls://]HOST:PORT``, HOST a name, IPv4 or [IPv6] address.
_ADDRESS = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})$")
_SCHEMES = ("tcp", "tls")
_NEEDS = "--scheduler and --workers need dask.distributed: pip install 'policy-games[distributed]'"


def check_address(address: str) -> str:
    """``address`` with its scheme, if it has the form ``[tcp://|tls://]HOST:PORT``.

    Raises
    ------
    SweepError
        Naming the address and what is wrong with it.
    """
    match = _ADDRESS.match(address.strip())
    if not match:
        raise SweepError(f"--scheduler {address!r}: expected an address such as tcp://HOST:8786")
    scheme = (match["scheme"] or "tcp").lower()
    if scheme not in _SCHEMES:
        raise SweepError(f"--scheduler {address!r}: unknown protocol {scheme!r} (use tcp:// or tls://)")
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise SweepError(f"--scheduler {address!r}: port {port} is not between 1 and 65535")
    return f"{scheme}://{match['host']}:{port}"


#: The level of Dask's loggers, here and in the local cluster's processes: none of its lines shown.
SILENT = logging.CRITICAL + 1


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Keep Dask's own log lines (retries, handshake failures) off the screen; errors are ours to say.

    Above CRITICAL (:data:`SILENT`): on Ctrl-C Dask logs a closed connection at CRITICAL.
    """
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(SILENT)
    try:
        yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


#: A Dask message larger than this in a scheduler's first words means the peer is something else.
_FIRST_MESSAGE_LIMIT = 1 << 24


def _probe(address: str) -> None:
    """Reach ``address`` with a plain socket first: refused or silent peers fail fast and clearly.

    A Dask scheduler speaks first on a ``tcp://`` connection: the byte length
    of its handshake, a small number. A peer that says nothing, or whose
    first eight bytes read as an absurd length (an HTTP server's do, as 3
    EiB), is not a scheduler; Dask itself would try to allocate that much.
    """
    import socket
    import struct

    scheme, rest = address.split("://", 1)
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT) as sock:
            if scheme != "tcp":
                return
            sock.settimeout(CONNECT_TIMEOUT)
            first = b""
            while len(first) < 8:
                more = sock.recv(8 - len(first))
                if not more:
                    raise SweepError(f"--scheduler {address}: the peer closed the connection; not a Dask scheduler")
                first += more
    except TimeoutError:
        raise SweepError(f"--scheduler {address}: no answer within {CONNECT_TIMEOUT:g} s") from None
    except OSError as err:
        raise SweepError(f"--scheduler {address}: cannot connect: {err.strerror or err}") from None
    (length,) = struct.unpack("<Q", first)
    if not 0 < length <= _FIRST_MESSAGE_LIMIT:
        raise SweepError(f"--scheduler {address}: the peer does not speak Dask's protocol")


def _tls_ready(address: str) -> None:
    """A ``tls://`` scheduler needs certificates from Dask's configuration; say so if there are none."""
    from distributed.security import Security

    try:
        context = Security().get_connection_args("client").get("ssl_context")
    except Exception as err:  # noqa: BLE001 - a bad certificate file named in the configuration
        raise SweepError(f"--scheduler {address}: Dask's TLS configuration cannot be used: {err}") from None
    if context is None:
        raise SweepError(
            f"--scheduler {address}: tls:// needs certificates in Dask's configuration "
            "(distributed.comm.tls.ca-file and client.cert, or DASK_DISTRIBUTED__COMM__TLS__* variables)"
        )


@contextlib.contextmanager
def _unraisable_silenced() -> Iterator[None]:
    """A client that failed half-way complains from its destructor; collect it quietly now."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        yield
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _connect(address: str) -> Any:
    from distributed import Client

    if address.startswith("tls://"):
        _tls_ready(address)
    _probe(address)
    error: SweepError | None = None
    with _unraisable_silenced():
        try:
            return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as err:
            why = " ".join(str(err).split()) or type(err).__name__
            error = SweepError(f"--scheduler {address}: cannot connect within {CONNECT_TIMEOUT:g} s: {why}")
        except MemoryError:
            # A peer that is not a Dask scheduler: its bytes read as an absurd message length.
            error = SweepError(f"--scheduler {address}: the peer does not speak Dask's protocol")
        except Exception as err:  # noqa: BLE001 - whatever a stranger at that address makes Dask raise
            why = " ".join(str(err).split())[:200] or type(err).__name__
            error = SweepError(f"--scheduler {address}: cannot connect: {why}")
        # A Client that failed is still held by the error's traceback. Left to the garbage
        # collector, its __del__ closes it whenever a collection happens to run, and that
        # may be inside the start of another Client, which holds the lock the close waits
        # for: a test run stopped for good that way (py-spy showed a failed test Client's
        # __del__ inside the next Client's start). Collected here, where no Client starts.
        gc.collect()
    raise error


def _local_cluster(workers: int, scratch: str) -> tuple[Any, Any]:
    """A local cluster of ``workers`` processes and its client; workers keep their files in ``scratch``."""
    import dask
    from distributed import Client, LocalCluster

    try:
        from distributed.security import Security

        security = Security.temporary()
    except ImportError:
        raise SweepError(
            "--workers needs the cryptography package, to keep the local cluster closed to other "
            "processes: pip install cryptography"
        ) from None
    # Ctrl-C is for this process alone: the terminal sends it to the whole process group,
    # and workers that got it would die printing tracebacks. A process started while
    # SIGINT is ignored keeps ignoring it (Python then installs no KeyboardInterrupt),
    # so it is ignored while the cluster starts; here it works again once it is up.
    held = _ignore_interrupts()
    cluster = client = None
    try:
        try:
            # No dashboard and no HTTP routes; Dask's HTTP servers still start, on a random
            # loopback port.
            with dask.config.set({"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}):
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    protocol="tls://",
                    security=security,
                    # None turns the dashboard off, but the HTTP server would still take port 8787.
                    dashboard_address=None,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    worker_dashboard_address=None,
                    silence_logs=SILENT,
                    death_timeout=LOCAL_TIMEOUT,
                    # The run's own folder, not Dask's shared one in the temporary
                    # directory, whose lock files other runs (or users) may hold.
                    local_directory=scratch,
                )
            client = Client(cluster, security=security, set_as_default=False)
        finally:
            _restore_interrupts(held)
    except BaseException:
        for part in (client, cluster):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close(timeout=LOCAL_TIMEOUT)
        raise
    return cluster, client


def _ignore_interrupts() -> Any:
    """Ignore SIGINT (if this is the main thread); returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _restore_interrupts(held: Any) -> None:
    if held is not None:
        signal.signal(signal.SIGINT, held)


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``, or for a local cluster of ``workers`` processes.

    Raises
    ------
    SweepError
        When dask.distributed (or, for a local cluster, cryptography) is not
        installed, the address is malformed, or the scheduler cannot be reached.
    """
    address = check_address(scheduler) if scheduler else None
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SweepError(_NEEDS) from None
    cluster = None
    # The folder goes last, after the client and cluster have closed.
    with _quiet_dask(), contextlib.ExitStack() as folder:
        if address is not None:
            client = _connect(address)
        else:
            scratch = folder.enter_context(
                tempfile.TemporaryDirectory(prefix="policy-dask-", ignore_cleanup_errors=True))
            try:
                cluster, client = _local_cluster(workers or 2, scratch)
            except SweepError:
                raise
            except Exception as err:  # noqa: BLE001 - Dask's start-up failures, said in one line
                why = " ".join(str(err).split())[:200] or type(err).__name__
                if _timed_out(err):  # Dask raises an AssertionError over the TimeoutError
                    why = f"a worker did not start within {LOCAL_TIMEOUT:g} s"
                raise SweepError(f"--workers {workers}: cannot start a local Dask cluster: {why}") from None
        where = f"--scheduler {address}" if address is not None else f"--workers {workers or 2}"
        try:
            yield client
        except Exception as err:
            if not _from_the_cluster(err):
                raise
            why = " ".join(str(err).split())[:200] or type(err).__name__
            raise SweepError(f"{where}: the Dask cluster failed: {why}") from None
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=LOCAL_TIMEOUT)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=LOCAL_TIMEOUT)


def _timed_out(err: BaseException) -> bool:
    """Whether ``err`` is, or was raised while handling, a timeout."""
    seen: set[int] = set()
    at: BaseException | None = err
    while at is not None and id(at) not in seen:
        if isinstance(at, TimeoutError):
            return True
        seen.add(id(at))
        at = at.__cause__ or at.__context__
    return False


def _from_the_cluster(err: BaseException) -> bool:
    """Whether ``err`` is the cluster failing (a lost connection, a killed worker), not the sweep's own error."""
    import concurrent.futures

    module = type(err).__module__ or ""
    return (
        module.split(".")[0] in ("distributed", "tornado")
        or isinstance(err, (OSError, TimeoutError, concurrent.futures.CancelledError))
    )
