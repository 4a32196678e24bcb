"""Atomic writes clean up after themselves (issue 15 item 4): a failed write leaves nothing, a
killed one leaves a temporary file that the next write into the folder removes, and a backup
folder goes away at the end of training even after a crash."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy
import pytest

import convlens as cl
from convlens.atomic_files import TEMPORARY_PREFIX, remove_stale_temporaries, write_atomically

# Every save (model, weights, export, picture) writes through write_atomically: killed inside
# it, a process leaves what a killed model.save leaves.
KILLED_MID_WRITE = textwrap.dedent(
    """
    import sys, time
    from convlens.atomic_files import write_atomically

    def hang(stream):
        stream.write(b"half a model")
        stream.flush()
        open(sys.argv[2], "w").close()  # the test kills us now
        time.sleep(120)

    write_atomically(sys.argv[1], hang)
    """
)


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith(TEMPORARY_PREFIX))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    target, marker = tmp_path / "model.keras", tmp_path / "writing"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_WRITE, str(target), str(marker)],
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while not marker.exists():
        assert process.poll() is None and time.time() < deadline, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not target.exists()
    assert len(temporaries(tmp_path)) == 1  # the kill left it
    cl.applications.lenet5().save(target)  # the next save
    assert temporaries(tmp_path) == [] and target.stat().st_size > 1000
    assert cl.models.load_model(target).count_params() == 61706


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"good")

    def fail(stream):
        stream.write(b"bad")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail)
    assert target.read_bytes() == b"good" and temporaries(tmp_path) == []


def test_temporaries_of_live_processes_are_left_alone(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = tmp_path / f"{TEMPORARY_PREFIX}{os.getpid()}-a.part"
        theirs = tmp_path / f"{TEMPORARY_PREFIX}{live.pid}-b.part"
        gone = tmp_path / f"{TEMPORARY_PREFIX}{dead_pid()}-c.part"
        unrelated = tmp_path / ".tmp-something-else.part"
        for path in (mine, theirs, gone, unrelated):
            path.write_bytes(b"x")
        assert remove_stale_temporaries(tmp_path) == [str(gone)]
        assert mine.exists() and theirs.exists() and unrelated.exists()
    finally:
        live.kill()
        live.wait()


def test_backup_folder_is_removed_after_a_crash_left_a_partial_backup(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / f"{TEMPORARY_PREFIX}{dead_pid()}-x.part").write_bytes(b"partial")
    model = cl.models.Sequential([cl.layers.Input((3,)), cl.layers.Dense(2)])
    model.compile("sgd", "mse")
    x = numpy.zeros((8, 3), "float32")
    model.fit(x, numpy.zeros((8, 2)), epochs=2, verbose=0,
              callbacks=[cl.callbacks.BackupAndRestore(str(backup))])  # fmt: skip
    assert not backup.exists()


def test_written_files_get_the_usual_permissions(tmp_path):
    """Not mkstemp's 0600: a picture or model is readable as a file from open() would be."""
    write_atomically(tmp_path / "a.bin", lambda stream: stream.write(b"x"))
    with open(tmp_path / "b.bin", "wb") as stream:
        stream.write(b"x")
    assert (tmp_path / "a.bin").stat().st_mode == (tmp_path / "b.bin").stat().st_mode
