"""Services the course runs as child processes (Phoenix, redis-server): wait until one answers, stop it cleanly."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def log_tail(log: Path, chars: int = 800) -> str:
    """The end of a child's log, for an error message ("" when it wrote none)."""
    return log.read_text(errors="replace")[-chars:].strip() if log.exists() else ""


def wait_until_up(proc: subprocess.Popen[bytes], answers: Callable[[], bool], *, name: str, log: Path,
                  timeout_s: float, error: type[Exception]) -> None:
    """Poll ``answers`` until it returns True.

    Args:
        proc: the child, already started.
        answers: a cheap probe (an HTTP health check, a PING); False or an OSError means "not yet".
        name: what the child is, for messages.
        log: where the child writes its output (its tail goes into the error).
        timeout_s: how long to wait.
        error: the exception to raise, so callers keep their own error type.

    Raises:
        error: the child exited first, or did not answer within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise error(f"{name} exited with code {proc.returncode} on start; its log ends: {log_tail(log)}")
        try:
            if answers():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise error(f"{name} did not answer within {timeout_s:.0f} s; its log is {log}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes] | None, *, grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the child is still there after ``grace_s``. Safe on a child that already exited."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
