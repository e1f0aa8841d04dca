"""The embedded OpenAI-compatible model server: llama.cpp's server via the ``xllamacpp`` wheel.

The server runs in a child process so that its C++ logs go to a file rather than into
notebook output, a crash cannot take the kernel down, and it can be stopped cleanly.
``python -m labkit.llm.server --model PATH --port N`` is that child's entry point.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit import child, config
from labkit.llm import registry
from labkit.llm.errors import ModelFileMissing, PortInUse, ServerStartError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServerSettings:
    """How the embedded server is run. Every field can be set by an environment variable.

    Attributes:
        model_path: GGUF file to serve (``LABKIT_MODEL_PATH``; default the packaged SmolLM2).
        model_alias: name the server reports (``LABKIT_MODEL_ALIAS``).
        n_ctx: total context tokens shared by all slots (``LABKIT_CTX``).
        n_parallel: parallel slots for continuous batching (``LABKIT_PARALLEL``).
        n_threads: CPU threads for generation and prompt processing (``LABKIT_THREADS``).
        port: TCP port on 127.0.0.1; 0 picks a free one (``LABKIT_PORT``).
        n_threads_http: HTTP worker threads (``LABKIT_HTTP_THREADS``). llama.cpp's default pool is small
            and an idle or half-open connection holds one thread, so a few dozen idle sockets used to
            stall ``/health`` for everyone.
        read_timeout_s: seconds a connection may take to send its request (``LABKIT_READ_TIMEOUT``);
            llama.cpp's default is an hour, which lets slow clients keep threads forever.
        api_key: when set, every request but ``/health`` needs ``Authorization: Bearer KEY``
            (``LABKIT_SERVER_API_KEY``); ``labkit.llm.client()`` sends it.
    """

    model_path: str
    model_alias: str
    n_ctx: int = 16384
    n_parallel: int = 8
    n_threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    port: int = 0
    n_threads_http: int = 128
    read_timeout_s: int = 10
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.n_ctx < 256:
            raise ValueError(f"n_ctx must be >= 256, got {self.n_ctx}")
        if not 1 <= self.n_parallel <= 64:
            raise ValueError(f"n_parallel must be in 1..64, got {self.n_parallel}")
        if self.n_ctx // self.n_parallel < 256:
            raise ValueError(
                f"n_ctx={self.n_ctx} split over n_parallel={self.n_parallel} slots leaves "
                f"{self.n_ctx // self.n_parallel} tokens per request; raise LABKIT_CTX or lower LABKIT_PARALLEL"
            )
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be >= 1, got {self.n_threads}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if not 1 <= self.n_threads_http <= 1024:
            raise ValueError(f"n_threads_http must be in 1..1024, got {self.n_threads_http}")
        if not 1 <= self.read_timeout_s <= 3600:
            raise ValueError(f"read_timeout_s must be in 1..3600 seconds, got {self.read_timeout_s}")
        if self.api_key is not None and (not self.api_key or any(c.isspace() for c in self.api_key)):
            raise ValueError("the server API key must be non-empty without spaces; unset LABKIT_SERVER_API_KEY "
                             "to serve without one")

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Settings from ``LABKIT_*`` environment variables, defaulting to the packaged model."""
        path = config.env_str("LABKIT_MODEL_PATH")
        if path:
            alias = config.env_str("LABKIT_MODEL_ALIAS") or Path(path).stem.lower()
        else:
            default = registry.role_model("embedded", "chat") or "smollm2-135m-instruct"
            path = str(registry.local_model_path(default))
            alias = config.env_str("LABKIT_MODEL_ALIAS") or default
        return cls(
            model_path=path,
            model_alias=alias,
            n_ctx=config.env_int("LABKIT_CTX", 16384),
            n_parallel=config.env_int("LABKIT_PARALLEL", 8),
            n_threads=config.env_int("LABKIT_THREADS", max(1, os.cpu_count() or 1)),
            port=config.env_int("LABKIT_PORT", 0),
            n_threads_http=config.env_int("LABKIT_HTTP_THREADS", 128),
            read_timeout_s=config.env_int("LABKIT_READ_TIMEOUT", 10),
            api_key=config.env_str("LABKIT_SERVER_API_KEY") or None,
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def _healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a text file (empty if it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


class EmbeddedServer:
    """A llama.cpp server child process on 127.0.0.1, started and stopped by this object.

    Args:
        settings: how to run it; ``ServerSettings.from_env()`` when omitted.
        log_dir: where the server log goes (a temporary directory by default).
    """

    def __init__(self, settings: ServerSettings | None = None, log_dir: str | Path | None = None) -> None:
        self.settings = settings or ServerSettings.from_env()
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="labkit-server-")) / "server.log"
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.cold_start_s: float | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Base URL of the OpenAI-compatible API (ends in ``/v1``)."""
        if self.port is None:
            raise ServerStartError("the embedded server is not running; call start() first")
        return f"http://{HOST}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return self.url[: -len("/v1")]

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 120.0) -> EmbeddedServer:
        """Start the child process and wait until ``/health`` answers.

        Args:
            timeout: seconds to wait for readiness.

        Returns:
            self, running.

        Raises:
            ModelFileMissing, PortInUse, ServerStartError: with the fix in the message.
        """
        with self._lock:
            if self.running():
                return self
            s = self.settings
            if not Path(s.model_path).is_file():
                raise ModelFileMissing(
                    f"model file {s.model_path} does not exist. Check LABKIT_MODEL_PATH, or unset it "
                    f"to use the packaged SmolLM2 (installed by `make setup`)."
                )
            port = s.port or free_port()
            if s.port and not port_is_free(port):
                raise PortInUse(
                    f"port {port} on {HOST} is already in use (LABKIT_PORT={port}). Stop the other "
                    f"process, or unset LABKIT_PORT to let labkit pick a free port."
                )
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            cmd = [
                sys.executable, "-m", "labkit.llm.server",
                "--model", s.model_path, "--alias", s.model_alias, "--port", str(port),
                "--ctx", str(s.n_ctx), "--parallel", str(s.n_parallel), "--threads", str(s.n_threads),
                "--http-threads", str(s.n_threads_http), "--read-timeout", str(s.read_timeout_s),
                "--parent-pid", str(os.getpid()),
            ]
            env = dict(os.environ)
            if s.api_key:  # in the environment, not argv: a command line is readable by every local user
                env["LABKIT_SERVER_API_KEY"] = s.api_key
            t0 = time.perf_counter()
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                    env=env,
                )
            self.port = port
            root = f"http://{HOST}:{port}"
            while time.perf_counter() - t0 < timeout:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    self.process, self.port = None, None
                    raise ServerStartError(
                        f"the embedded server exited with code {code} while starting. Log tail "
                        f"({self.log_path}):\n{tail(self.log_path)}"
                    )
                if _healthy(root):
                    self.cold_start_s = time.perf_counter() - t0
                    atexit.register(self.stop)
                    return self
                time.sleep(0.05)
            self.stop()
            raise ServerStartError(
                f"the embedded server did not answer /health within {timeout:.0f} s. Log tail "
                f"({self.log_path}):\n{tail(self.log_path)}"
            )

    def stop(self) -> None:
        """Stop the child process (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        proc, self.process = self.process, None
        self.port = None
        child.stop(proc, grace_s=5)

    def describe(self) -> dict[str, object]:
        """Settings and state, for ``labkit doctor``."""
        return {
            **{k: v for k, v in asdict(self.settings).items() if k != "api_key"},
            "api_key": "set" if self.settings.api_key else None,
            "running": self.running(),
            "url": self.url if self.running() else None,
            "log": str(self.log_path),
            "cold_start_s": self.cold_start_s,
        }

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(args: argparse.Namespace) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}  # a set in this binding; a bare string becomes its letters
    params.n_ctx = args.ctx
    params.n_parallel = args.parallel
    params.cont_batching = True
    params.endpoint_metrics = True
    params.hostnames = [HOST]
    params.port = args.port
    # One HTTP thread per open connection: enough threads that idle sockets cannot starve /health, and a
    # short read timeout so a client that never finishes its request gives its thread back.
    params.n_threads_http = args.http_threads
    params.timeout_read = args.read_timeout
    params.timeout_write = max(args.read_timeout, 60)
    key = config.env_str("LABKIT_SERVER_API_KEY")
    if key:
        params.api_keys = [key]
    # llama.cpp busy-waits between batches by default; on a small shared machine that
    # starves every other process, so polling is switched off and thread counts are explicit.
    for cpu in (params.cpuparams, params.cpuparams_batch):
        cpu.n_threads = args.threads
        cpu.poll = 0
    server = xllamacpp.Server(params)
    print(f"labkit: serving {args.alias} at {server.listening_address}/v1", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        # Exit with the parent: an orphaned server would hold memory and a port forever.
        if args.parent_pid and os.getppid() != args.parent_pid:
            break
    del server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run llama.cpp's OpenAI-compatible server (labkit child process).")
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, default=16384)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--threads", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--http-threads", type=int, default=128)
    parser.add_argument("--read-timeout", type=int, default=10)
    parser.add_argument("--parent-pid", type=int, default=0)
    _serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
