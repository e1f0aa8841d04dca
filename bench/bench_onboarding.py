"""A learner's first minutes: a fresh clone to `make setup`, and `make lab` to the first model answer in 00.

Every step starts from a fresh ``git clone`` of this checkout's committed HEAD into a temporary folder,
with an environment scrubbed of this session's own settings (PYTHONPATH, virtualenv, LABKIT_*), so the
clone installs and imports its own copy. (a) ``make setup`` with the default uv cache, warm from earlier
installs. (b) On a second fresh clone, ``make lab`` exactly as a learner types it (so its set-up is
included), headless: a throw-away Jupyter config folder gives the server a free port, a token and no
browser. The clock runs from starting ``make lab`` until the first answer: the server's HTTP API answers,
a session for ``00_start_here.ipynb`` starts its kernel (REST, as JupyterLab does), and the notebook's
code cells run in order over the kernel's websocket until the first cell that calls the chat completions
API has printed the model's answer. (c) Optional (``BENCH_ONBOARDING_COLD=0`` skips it): ``make setup``
on a third clone with uv's cache (``UV_CACHE_DIR``) and pip's cache off, empty. On this machine packages
come from a local index mirror and wheel folder, so the cold figure excludes the download time a learner
pays over their own network (`README`: about 3.5 GB from PyPI on Linux).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import websocket  # websocket-client, pinned in requirements.lock (jupyter_server's own dependency)

from labkit.llm.server import free_port

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "00_start_here.ipynb"
ANSWER_CALL = "chat.completions.create("
SCRUB = ("PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHONHOME")
SETUP_TIMEOUT_S, LAB_TIMEOUT_S = 1800, 900


def learner_env(**extra: str) -> dict[str, str]:
    """This process's environment without the settings that would make the clone use another checkout.

    Args:
        extra: variables to add (``UV_CACHE_DIR`` for the cold run, Jupyter's folders for the lab run).
    Returns:
        The environment for the clone's commands.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUB and not k.startswith(("LABKIT_", "JUPYTER", "OPENAI_"))}
    return {**env, **extra}


def fresh_clone(parent: Path, name: str) -> Path:
    """``git clone`` of this checkout's committed HEAD into ``parent/name``."""
    dest = parent / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    return dest


def timed_make(clone: Path, target: str, env: dict[str, str]) -> float:
    """Wall seconds of ``make TARGET`` in the clone; its output goes to ``clone/make-TARGET.log``.

    Raises:
        RuntimeError: the target failed (the message holds the log's last lines).
    """
    log = clone / f"make-{target}.log"
    t0 = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.run(["make", target], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                            timeout=SETUP_TIMEOUT_S).returncode
    wall = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"make {target} failed ({rc}) in {clone}:\n" + "\n".join(log.read_text().splitlines()[-20:]))
    return wall


def wait_for_api(base: str, token: str, lab: subprocess.Popen, deadline: float) -> None:
    """Poll the server's ``/api/status`` until it answers (or ``make lab`` exits, or the deadline passes)."""
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            raise RuntimeError(f"make lab exited ({lab.returncode}) before its server answered: see make-lab.log")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the JupyterLab server did not answer in time")


def start_session(base: str, token: str) -> str:
    """Open the notebook's session as JupyterLab does (POST /api/sessions); returns its kernel id."""
    body = json.dumps({"path": NOTEBOOK, "name": NOTEBOOK, "type": "notebook", "kernel": {"name": "python3"}})
    req = urllib.request.Request(f"{base}/api/sessions?token={token}", data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return str(json.loads(r.read())["kernel"]["id"])


def execute(ws: websocket.WebSocket, code: str, session: str, timeout_s: float) -> dict[str, Any]:
    """Run one cell over the kernel's websocket (Jupyter messaging protocol 5.3, JSON frames).

    Returns:
        ``status`` (the execute_reply's: ok / error), ``stdout`` and ``error`` (ename: evalue).
    """
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session, "username": "bench",
                   "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out: dict[str, Any] = {"status": None, "stdout": "", "error": ""}
    idle, deadline = False, time.monotonic() + timeout_s
    while out["status"] is None or not idle:
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream" and content.get("name") == "stdout":
            out["stdout"] += content["text"]
        elif kind == "error":
            out["error"] = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            out["status"] = content["status"]
    return out


def cells_to_first_answer(notebook: Path) -> list[str]:
    """The notebook's code cells up to and including the first that calls the chat completions API."""
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    first = next((i for i, s in enumerate(sources) if ANSWER_CALL in s), None)
    if first is None:
        raise ValueError(f"{notebook.name}: no code cell calls {ANSWER_CALL}")
    return sources[: first + 1]


def lab_to_first_answer(clone: Path, scratch: Path) -> dict[str, Any]:
    """Start ``make lab`` headless in the clone and time it to the first printed model answer."""
    port, token = free_port(), uuid.uuid4().hex
    config = scratch / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"open_browser": False, "port": port, "port_retries": 0, "ip": "127.0.0.1"},
        "IdentityProvider": {"token": token}}))
    env = learner_env(JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(scratch / "jupyter-runtime"))
    base, cells = f"http://127.0.0.1:{port}", cells_to_first_answer(clone / "notebooks" / NOTEBOOK)
    log = (clone / "make-lab.log").open("w")
    t0 = time.perf_counter()
    lab = subprocess.Popen(["make", "lab"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        wait_for_api(base, token, lab, time.monotonic() + LAB_TIMEOUT_S)
        t_api = time.perf_counter()
        kernel = start_session(base, token)
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={token}",
                                         timeout=60)
        session, per_cell = uuid.uuid4().hex, []
        for code in cells:
            c0 = time.perf_counter()
            res = execute(ws, code, session, timeout_s=LAB_TIMEOUT_S)
            per_cell.append(round(time.perf_counter() - c0, 2))
            if res["status"] != "ok":
                raise RuntimeError(f"cell {len(per_cell) - 1} of {NOTEBOOK} failed: {res['error']}")
        answer = time.perf_counter() - t0
        ws.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)  # make, the server and its kernel: the group this call started
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
        log.close()
    return {"first_answer_s": round(answer, 1), "server_api_up_s": round(t_api - t0, 1),
            "code_cells_run": len(cells), "per_cell_s": per_cell,
            "answer_printed": res["stdout"].strip()[:300]}


def run() -> dict[str, Any]:
    cold = os.environ.get("BENCH_ONBOARDING_COLD", "1") != "0"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    load: dict[str, float] = {"before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="bench-onboarding-") as tmp:
        scratch = Path(tmp)
        warm_setup = timed_make(fresh_clone(scratch, "setup-warm"), "setup", learner_env())
        load["after_warm_setup"] = round(os.getloadavg()[0], 2)
        lab = lab_to_first_answer(fresh_clone(scratch, "lab"), scratch)
        load["after_lab"] = round(os.getloadavg()[0], 2)
        cold_setup = None
        if cold:
            (scratch / "uv-cache").mkdir()
            cold_setup = timed_make(fresh_clone(scratch, "setup-cold"), "setup",
                                    learner_env(UV_CACHE_DIR=str(scratch / "uv-cache"), PIP_NO_CACHE_DIR="1"))
            load["after_cold_setup"] = round(os.getloadavg()[0], 2)
    targets = [
        {"name": "make setup on a fresh clone, warm uv cache, wall seconds", "value": round(warm_setup, 1),
         "target": "<= 120", "met": warm_setup <= 120},
        {"name": "make lab on a fresh clone (set-up included) to 00's first model answer, warm cache, seconds",
         "value": lab["first_answer_s"], "target": "<= 180", "met": lab["first_answer_s"] <= 180},
    ]
    return {"method": " ".join((__doc__ or "").split()), "commit": head,
            "setup_warm_s": round(warm_setup, 1),
            "setup_cold_s": None if cold_setup is None else round(cold_setup, 1),
            "setup_cold_note": ("empty uv cache and pip's cache off, packages from this machine's local index "
                                "mirror and wheel folder: no download over a network is included"),
            "lab": lab, "load_average_1m": load, "cpus": os.cpu_count(), "targets": targets}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
