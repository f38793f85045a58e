"""`serve --workers N` counts into a directory of its own, and sweeps those of killed servers."""

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from intentsync.kit.metrics import (
    MULTIPROCESS_DIR,
    OWNER_FILE,
    SHARED_PREFIX,
    remove_orphaned_directories,
    shared_across_processes,
)


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    return tmp_path


def _made(root: Path, name: str, *, owner_file: bool = True) -> Path:
    directory = root / name
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"x")
    if owner_file:
        (directory / OWNER_FILE).write_bytes(b"")
    return directory


def test_a_directory_whose_server_was_killed_is_removed_and_a_running_ones_kept(temp_root):
    killed = _made(temp_root, f"{SHARED_PREFIX}pid123-abc")
    running = _made(temp_root, f"{SHARED_PREFIX}pid456-def")
    held = os.open(running / OWNER_FILE, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)  # as its server holds it
    try:
        assert remove_orphaned_directories(str(temp_root)) == [str(killed)]
    finally:
        os.close(held)
    assert not killed.exists()
    assert (running / "counter_1.db").exists()


def test_names_files_and_links_that_are_not_a_servers_directory_are_left_alone(temp_root):
    kept = [
        _made(temp_root, f"{SHARED_PREFIX}abc12345"),  # an older release's: no owner named
        _made(temp_root, f"{SHARED_PREFIX}pid99999999999999999999-x"),  # no such pid
        _made(temp_root, f"{SHARED_PREFIX}pid\u00b2-x"),  # a digit, but not an ASCII one
        _made(temp_root, f"{SHARED_PREFIX}pid77-no-owner", owner_file=False),
        _made(temp_root, "someone-else-pid1-x"),
    ]
    target = _made(temp_root, "target")
    link = temp_root / f"{SHARED_PREFIX}pid88-link"
    link.symlink_to(target, target_is_directory=True)
    (temp_root / f"{SHARED_PREFIX}pid89-file").write_bytes(b"")
    assert remove_orphaned_directories(str(temp_root)) == []
    for directory in [*kept, target]:
        assert (directory / "counter_1.db").exists()
    assert link.is_symlink()


def test_a_server_counts_into_its_own_locked_directory_and_removes_it_after(temp_root):
    orphan = _made(temp_root, f"{SHARED_PREFIX}pid1-left")
    with shared_across_processes(2):
        directory = os.environ[MULTIPROCESS_DIR]
        assert os.path.basename(directory).startswith(f"{SHARED_PREFIX}pid{os.getpid()}-")
        assert not orphan.exists()  # swept before the processes started
        # Another server starting now, in a process of its own, keeps this one's directory.
        sweep = "import sys; from intentsync.kit.metrics import remove_orphaned_directories as r"
        sweep += "; print(r(sys.argv[1]))"
        other = subprocess.run(
            [sys.executable, "-c", sweep, str(temp_root)], capture_output=True, text=True
        )
        assert other.returncode == 0, other.stderr
        assert other.stdout.strip() == "[]"
        assert os.path.isdir(directory)
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


def test_the_directory_of_a_server_killed_outright_goes_with_the_next_sweep(temp_root):
    serve = "import time; from intentsync.kit.metrics import shared_across_processes as s\n"
    serve += (
        "import os\nwith s(2):\n    print(os.environ['PROMETHEUS_MULTIPROC_DIR'], flush=True)\n"
    )
    serve += "    time.sleep(60)\n"
    env = {**os.environ, "TMPDIR": str(temp_root)}
    env.pop(MULTIPROCESS_DIR, None)
    server = subprocess.Popen([sys.executable, "-c", serve], stdout=subprocess.PIPE, env=env)
    try:
        assert server.stdout is not None
        directory = server.stdout.readline().decode().strip()
        assert os.path.dirname(directory) == str(temp_root)
        assert remove_orphaned_directories(str(temp_root)) == []  # running: kept
        server.kill()
        server.wait(timeout=10)
        assert os.path.isdir(directory)  # SIGKILL left it behind
        assert remove_orphaned_directories(str(temp_root)) == [directory]
        assert not os.path.exists(directory)
    finally:
        server.kill()
        server.wait(timeout=10)
