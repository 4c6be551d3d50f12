"""Dask for sweeps: the local cluster is closed to other processes, bad scheduler addresses fail in one line.

Network tests use 127.0.0.1 only, and every one is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from policy.analysis import cluster as cluster_module
from policy.analysis.cluster import check_address, dask_client
from policy.analysis.errors import SweepError
from policy.bundled import games_dir
from tests.conftest import invoke
from tests.test_cluster_process import FRESH

GAME = str(games_dir() / "diplomacy_1939.toml")

# These tests start Dask clusters and threads in the test process. A full test run
# twice stopped for good at this file's first cluster (in CI, and in a run beside
# other jobs), where the file alone never did: they run in a fresh process of their
# own, started by tests/test_cluster_process.py, not in the shared one.
pytestmark = pytest.mark.skipif(
    not os.environ.get(FRESH),
    reason=f"run in a fresh process by tests/test_cluster_process.py (or set {FRESH}=1)",
)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("!!garbage", "expected an address such as tcp://HOST:8786"),
        ("tcp://", "expected an address such as tcp://HOST:8786"),
        ("127.0.0.1", "expected an address such as tcp://HOST:8786"),
        ("foo://127.0.0.1:8786", "unknown protocol 'foo'"),
        ("tcp://127.0.0.1:99999", "port 99999 is not between 1 and 65535"),
        ("tcp://127.0.0.1:0", "port 0 is not between 1 and 65535"),
    ],
)
def test_malformed_addresses_are_refused_before_any_connection(address: str, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        check_address(address)


def test_address_forms_that_are_accepted() -> None:
    assert check_address("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert check_address("TLS://example.org:8786") == "tls://example.org:8786"
    assert check_address("tcp://[::1]:8786") == "tcp://[::1]:8786"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_peer(request: pytest.FixtureRequest) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that is not a Dask scheduler.

    ``speaks_first``: it sends HTTP text as soon as a client connects (whose
    first eight bytes read as a 3 EiB message length); otherwise it waits for
    a request, as an HTTP server does, and answers garbage.
    """
    speaks_first = getattr(request, "param", True)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    if not speaks_first:
                        conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nno\n" * 4)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        server.close()


def _sweep_on(address: str) -> tuple[int, str]:
    code, out, err = invoke("sweep", GAME, "-l", "stalin", "--samples", "10", "--scheduler", address)
    assert out == ""
    return code, err


def test_bad_scheduler_addresses_fail_in_one_line_and_in_bounded_time(
    fake_peer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 2.0)
    closed = _closed_port()
    cases = [
        ("!!garbage", "expected an address such as tcp://HOST:8786"),
        ("foo://127.0.0.1:1", "unknown protocol 'foo'"),
        (f"tcp://127.0.0.1:{closed}", "Connection refused"),
        # Dask read this peer's "HTTP/1.1" as the length of a message and tried to allocate 3 EiB.
        (f"tcp://127.0.0.1:{fake_peer}", "the peer does not speak Dask's protocol"),
        (f"tls://127.0.0.1:{fake_peer}", "tls:// needs certificates in Dask's configuration"),
    ]
    for address, message in cases:
        code, err = _sweep_on(address)
        assert code == 1, address
        assert err.startswith("Error: --scheduler ") and err.count("\n") == 1, err
        assert message in err


@pytest.mark.parametrize("fake_peer", [False], indirect=True)
def test_a_silent_peer_times_out_in_one_line(fake_peer: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 1.0)
    code, err = _sweep_on(f"127.0.0.1:{fake_peer}")
    assert code == 1
    # The error names the timeout it gave up at: the one set here, not Dask's default.
    assert err == f"Error: --scheduler tcp://127.0.0.1:{fake_peer}: no answer within 1 s\n"


async def _identify(address: str, **connection: Any) -> Any:
    """Connect to a scheduler and ask who it is (a stranger: no certificate of this run's)."""
    from distributed.comm import connect

    if address.startswith("tls://") and not connection:
        import ssl

        stranger = ssl.create_default_context()  # TLS, but no client certificate of this run's
        stranger.check_hostname = False
        stranger.verify_mode = ssl.CERT_NONE
        connection = {"ssl_context": stranger}
    comm = await connect(address, timeout=3, **connection)
    try:
        await comm.write({"op": "identity"})
        return await comm.read()
    finally:
        await comm.close()


def test_the_local_cluster_admits_only_this_process_and_serves_nothing_over_http() -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")

    with dask_client(workers=1) as client:
        scheduler = client.cluster.scheduler
        address = scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result(timeout=30) == 3
        # No dashboard: the HTTP server Dask always starts answers nothing (it once served
        # the dashboard on 127.0.0.1:8787).
        assert scheduler.http_server.address == "127.0.0.1"
        for page in ("status", "health", "info/main/workers.html", "metrics"):
            with pytest.raises(urllib.error.HTTPError) as http:
                urllib.request.urlopen(f"http://127.0.0.1:{scheduler.http_server.port}/{page}", timeout=5)
            assert http.value.code == 404
        # Another process on this machine, without this run's certificate, cannot get in
        # (and so cannot run code in the workers with Client.run): Dask's own connection,
        # without the certificate, fails. (Not a Client: one that fails to connect is
        # closed by its __del__ at the next garbage collection, and when that fell inside
        # the start of the next Client, which holds the lock the close waits for, this test
        # stopped for good; py-spy showed it.)
        for other in (address, address.replace("tls://", "tcp://")):
            # Dask's CommClosedError (an OSError) over TLS and plain TCP alike; a timeout is
            # an OSError too. Not any Exception: a slip in _identify would pass as refused.
            with pytest.raises(OSError):
                asyncio.run(asyncio.wait_for(_identify(other), 20))
        # With this run's certificate the same question is answered.
        ours = client.security.get_connection_args("client")
        assert asyncio.run(asyncio.wait_for(_identify(address, **ours), 20))["type"] == "Scheduler"


def test_the_local_cluster_never_listens_beyond_loopback() -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    with dask_client(workers=1) as client:
        info = client.scheduler_info()
        addresses = [client.cluster.scheduler.address, *info["workers"]]
        assert all(a.startswith("tls://127.0.0.1:") for a in addresses), addresses


def test_a_cluster_that_fails_during_the_sweep_is_one_line() -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    from distributed.comm.core import CommClosedError

    with pytest.raises(SweepError, match=r"^--workers 1: the Dask cluster failed: .*connection lost"):
        with dask_client(workers=1):
            raise CommClosedError("connection lost")
    with pytest.raises(ZeroDivisionError), dask_client(workers=1):
        raise ZeroDivisionError  # the sweep's own errors pass through


def test_a_real_scheduler_passes_the_checks_and_gives_the_local_answer() -> None:
    pytest.importorskip("distributed")
    import json

    from distributed import LocalCluster

    args = ("sweep", GAME, "-l", "stalin", "--samples", "3000", "--format", "json")
    with LocalCluster(n_workers=1, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        code, out, err = invoke(*args, "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    local = invoke(*args)
    assert json.loads(out) == json.loads(local[1])


def test_a_local_worker_that_does_not_start_in_time_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dask itself waits for a local worker without limit; the command once could too.
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    monkeypatch.setattr(cluster_module, "LOCAL_TIMEOUT", 0.05)
    with pytest.raises(SweepError, match=r"^--workers 1: cannot start a local Dask cluster: "
                                         r"a worker did not start within 0.05 s$"):
        with dask_client(workers=1):
            pass


def test_the_local_cluster_keeps_its_files_in_a_folder_of_its_own_removed_after() -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    import os
    import tempfile

    def folder(dask_worker: Any) -> str:
        return str(dask_worker.local_directory)

    with dask_client(workers=1) as client:
        folders = list(client.run(folder).values())
    assert len(folders) == 1
    root = os.path.join(tempfile.gettempdir(), "policy-dask-")
    assert folders[0].startswith(root), folders
    scratch = folders[0][: folders[0].index(os.sep, len(root))]
    assert not os.path.exists(scratch)
