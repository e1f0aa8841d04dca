"""labkit.child: waiting for a child service to answer, and stopping it, on real child processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit import child


class Unavailable(Exception):
    pass


def _python(code: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)


def test_returns_once_the_probe_answers(tmp_path: Path) -> None:
    proc = _python("import time; time.sleep(30)", tmp_path / "log")
    answers = iter([False, False, True])
    try:
        child.wait_until_up(proc, lambda: next(answers), name="svc", log=tmp_path / "log", timeout_s=10,
                            error=Unavailable)
        assert proc.poll() is None
    finally:
        child.stop(proc, grace_s=1)
    assert proc.returncode is not None


def test_a_child_that_exits_raises_the_callers_error_with_its_log(tmp_path: Path) -> None:
    proc = _python("import sys; print('port already in use'); sys.exit(3)", tmp_path / "log")
    with pytest.raises(Unavailable, match=r"svc exited with code 3 on start; its log ends: port already in use"):
        child.wait_until_up(proc, lambda: False, name="svc", log=tmp_path / "log", timeout_s=30, error=Unavailable)


def test_a_child_that_never_answers_times_out_naming_its_log(tmp_path: Path) -> None:
    proc = _python("import time; time.sleep(30)", tmp_path / "log")

    def refused() -> bool:
        raise ConnectionRefusedError  # an OSError: "not yet"

    try:
        t0 = time.monotonic()
        with pytest.raises(Unavailable, match="svc did not answer within 0 s; its log is"):
            child.wait_until_up(proc, refused, name="svc", log=tmp_path / "log", timeout_s=0.3, error=Unavailable)
        assert time.monotonic() - t0 < 10
    finally:
        child.stop(proc, grace_s=1)


def test_stop_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    proc = _python(code, tmp_path / "log")
    deadline = time.monotonic() + 20
    while "ready" not in (tmp_path / "log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.stop(proc, grace_s=0.5)
    assert proc.returncode == -9
    child.stop(proc)  # a second stop is a no-op
