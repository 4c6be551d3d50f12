"""policy.output: files whole or not at all, links followed, pipes and devices written through.

Each case comes from the adversarial run of the "Hardening" issue: a link
replaced by a file, a FIFO turned into a regular file, ``/dev/full`` replaced
(as root) by a file, plots with mode 0600, several files half written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from policy.output import OutputError, Outputs, check, write
from tests.conftest import REPO
from tests.files import FifoReader, full_device, leftovers, locked_folder


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path: Path) -> None:
    with umask(0o022):
        write(tmp_path / "a.txt", "one\n")
    with umask(0o077):
        write(tmp_path / "b.txt", "two\n")
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644  # once 0600 (plots)
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o600
    assert (tmp_path / "a.txt").read_text() == "one\n"
    assert leftovers(tmp_path) == []


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("old")
    path.chmod(0o640)
    write(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "data.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)  # once replaced by a file
    assert target.read_text() == "new"
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "real" / "new.csv")
    write(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "real" / "new.csv").read_text() == "made"


def test_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    write(fifo, "through the pipe\n")
    assert reader.result() == b"through the pipe\n"
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # once a regular file
    assert leftovers(tmp_path) == []


def test_a_character_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    write("/dev/null", "nothing")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    full = full_device(tmp_path)  # as root, `sweep -o /dev/full` once replaced the device
    with pytest.raises(OutputError, match=f"^{full}: cannot write: No space left on device$"):
        write(full, "x" * 100)
    assert stat.S_ISCHR(full.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_dev_stdout_writes_into_the_open_descriptor(tmp_path: Path) -> None:
    out = tmp_path / "captured.txt"
    out.write_text("")
    before = out.stat().st_ino
    code = "import sys; print('first', flush=True); from policy.output import write; write('/dev/stdout', 'second\\n')"
    with open(out, "ab") as handle:
        subprocess.run([sys.executable, "-c", code], stdout=handle, cwd=REPO, check=True, timeout=60)
    assert out.read_text() == "first\nsecond\n"
    assert out.stat().st_ino == before  # written into, not replaced
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, check=True, timeout=60)
    assert piped.stdout == b"first\nsecond\n"


@pytest.mark.parametrize("kind", ["directory", "block device"])
def test_what_cannot_be_written_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    if kind == "directory":
        path = tmp_path / "folder"
        path.mkdir()
        message = "it is a directory"
    else:
        path = tmp_path / "disk"
        try:
            os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(7, 250))
        except (PermissionError, OSError):
            pytest.skip("making a device node needs root")
        message = "it is a block device"
    with pytest.raises(OutputError, match=f"^{path}: cannot write: {message}"):
        write(path, "x")
    assert path.is_dir() if kind == "directory" else stat.S_ISBLK(path.stat().st_mode)


def test_folders_that_cannot_hold_the_file_are_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match=f"^{blocker / 'x.csv'}: cannot write: {blocker} is not a directory$"):
        check(blocker / "x.csv")
    with pytest.raises(OutputError, match=f"^{blocker / 'a' / 'x.csv'}: cannot write: {blocker} is not a directory$"):
        check(blocker / "a" / "x.csv")
    missing = tmp_path / "gone" / "x.csv"
    with pytest.raises(OutputError, match=f"^{missing}: cannot write: no such directory {missing.parent}$"):
        check(missing)
    with pytest.raises(OutputError, match="descriptor 97 is not open"):
        check("/dev/fd/97")


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    with locked_folder(tmp_path) as folder:
        yield folder


def test_an_unwritable_folder_is_one_error_naming_the_file(unwritable_folder: Path) -> None:
    path = unwritable_folder / "plot.png"
    with pytest.raises(OutputError, match=f"^{path}: cannot write: (Permission denied|permission denied on)"):
        write(path, b"png")
    assert not path.exists()


def test_several_files_are_committed_together_or_not_at_all(tmp_path: Path) -> None:
    first, second = tmp_path / "page.md", tmp_path / "picture.svg"
    first.write_text("old page")
    second.mkdir()  # the picture's name is taken by a folder
    with Outputs() as out:
        out.write(first, "new page")
        with pytest.raises(OutputError, match=f"^{second}: cannot write: it is a directory$"):
            out.write(second, "<svg/>")
    assert first.read_text() == "old page"
    assert leftovers(tmp_path) == []
    second.rmdir()
    with Outputs() as out:
        out.write(first, "new page")
        out.write(second, "<svg/>")
        assert first.read_text() == "old page"  # nothing moves before the commit
        assert out.commit() == [first, second]
    assert first.read_text() == "new page" and second.read_text() == "<svg/>"


def test_an_error_or_ctrl_c_while_writing_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("old")
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)), Outputs() as out:
            with out.open(path, text=True) as handle:
                handle.write("half")
                raise error
        assert path.read_text() == "old"
        assert leftovers(tmp_path) == []


def test_a_full_device_fails_before_any_file_is_replaced(tmp_path: Path) -> None:
    full = full_device(tmp_path)
    page = tmp_path / "page.txt"
    page.write_text("old")
    with Outputs() as out:
        out.write(page, "new")
        out.write(full, "x" * 10)
        with pytest.raises(OutputError, match=f"^{full}: cannot write"):
            out.commit()
    assert page.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "data.csv")
    with Outputs() as out:
        out.write(tmp_path / "data.csv", "a")
        with pytest.raises(OutputError, match="the same file is named twice"):
            out.write(link, "b")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "kept.csv"
    path.write_text("old")
    path.chmod(0o444)
    with pytest.raises(OutputError, match=f"^{path}: cannot write: permission denied"):
        write(path, "new")
    assert path.read_text() == "old"
