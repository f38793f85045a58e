"""`serve --workers N` counts into a directory of its own, and sweeps those of killed servers."""

import os
import subprocess
import tempfile

import pytest

from intentsync.kit.metrics import (
    MULTIPROCESS_DIR,
    SHARED_PREFIX,
    remove_orphaned_directories,
    shared_across_processes,
)


def _gone_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    return tmp_path


def test_only_directories_of_servers_that_are_gone_are_removed(temp_root):
    orphan = temp_root / f"{SHARED_PREFIX}pid{_gone_pid()}-abc"
    live = temp_root / f"{SHARED_PREFIX}pid{os.getpid()}-def"
    # From a release that did not name its owner: its random part may be all digits.
    unnamed = temp_root / f"{SHARED_PREFIX}{_gone_pid()}"
    other = temp_root / "someone-else-123"
    for directory in (orphan, live, unnamed, other):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"x")
    assert remove_orphaned_directories(str(temp_root)) == [str(orphan)]
    assert not orphan.exists()
    assert live.exists()
    assert unnamed.exists()
    assert other.exists()


def test_a_server_counts_into_its_own_directory_and_removes_it_after(temp_root):
    orphan = temp_root / f"{SHARED_PREFIX}pid{_gone_pid()}-left"
    orphan.mkdir()
    with shared_across_processes(2):
        directory = os.environ[MULTIPROCESS_DIR]
        assert os.path.basename(directory).startswith(f"{SHARED_PREFIX}pid{os.getpid()}-")
        assert os.path.isdir(directory)
        assert not orphan.exists()  # swept before the processes started
    assert MULTIPROCESS_DIR not in os.environ
    assert not os.path.exists(directory)


def test_one_process_and_a_directory_the_operator_set_are_left_alone(temp_root, monkeypatch):
    with shared_across_processes(1):
        assert MULTIPROCESS_DIR not in os.environ
    chosen = temp_root / "chosen"
    chosen.mkdir()
    monkeypatch.setenv(MULTIPROCESS_DIR, str(chosen))
    with shared_across_processes(4):
        assert os.environ[MULTIPROCESS_DIR] == str(chosen)
    assert chosen.exists()
