"""Run the exported golden sample through inspect_ai and promptfoo, read their scores back, log runs to MLflow.

The tools live outside the course's environment (their dependencies clash with its lock): inspect_ai
and MLflow in ``.venv-evals`` (``envs/evals/requirements.lock``, made by ``make evals-env``), promptfoo in
``evals_interop/node_modules`` (``evals_interop/package-lock.json``, ``make promptfoo``). labkit talks
to them through subprocesses and reads their result files as plain JSON, so it imports neither.

    >>> from labkit.evals import export, interop
    >>> export.export(run, "inspect", "golden.inspect.jsonl")
    >>> scores = interop.run_inspect("golden.inspect.jsonl", base_url=llm.base_url(), model=..., max_tokens=64)
    >>> interop.side_by_side(run, scores, "token_f1")
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from labkit.evals.export import INTEROP_DIR
from labkit.evals.runs import Run
from labkit.evals.stats import Interval, bootstrap_ci

TOOLS_PYTHON = INTEROP_DIR.parent / ".venv-evals" / "bin" / "python"
PROMPTFOO_BIN = INTEROP_DIR / "node_modules" / ".bin" / "promptfoo"
OFFLINE_ENV = {"PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1", "MLFLOW_DISABLE_TELEMETRY": "true",
               "DO_NOT_TRACK": "1"}
# promptfoo 0.121 still posts one "telemetry disabled" event with telemetry off; against a loopback endpoint its
# proxy is pointed at a closed local port, so that request fails at once and nothing leaves the machine.
DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class ToolScores:
    """One tool's per-item scores on a replayed run.

    Attributes:
        tool: "inspect" or "promptfoo"; scores: metric -> item id -> value; outputs: item id -> answer text.
        passed: item id -> whether the tool passed the test (promptfoo's verdict; empty for inspect).
    """

    tool: str
    scores: dict[str, dict[str, float]]
    outputs: dict[str, str]
    passed: dict[str, bool] = field(default_factory=dict)

    def mean(self, metric: str) -> float:
        """The tool's mean of one metric over its items."""
        values = list(self.scores[metric].values())
        return sum(values) / len(values)


@dataclass
class SideBySide:
    """labkit's interval and a tool's number for one metric on the same items.

    Attributes:
        metric, tool: what is compared; labkit: labkit's mean with its bootstrap interval on those items;
        tool_mean: the tool's mean; same_output: items where the tool's model answer equals labkit's stored one.
    """

    metric: str
    tool: str
    labkit: Interval
    tool_mean: float
    same_output: int

    @property
    def inside(self) -> bool:
        """Whether the tool's mean falls inside labkit's interval."""
        return self.labkit.low <= self.tool_mean <= self.labkit.high

    def line(self) -> str:
        """One printable line."""
        return (f"{self.metric}: labkit {self.labkit.estimate:.3f} [{self.labkit.low:.3f}, {self.labkit.high:.3f}] "
                f"vs {self.tool} {self.tool_mean:.3f} on {self.labkit.n} items ({self.same_output} identical answers)")


def _tool_python(python: str | Path | None) -> Path:
    exe = Path(python) if python else TOOLS_PYTHON
    if not exe.exists():
        raise FileNotFoundError(f"{exe} is missing: the eval tools' environment is made by `make evals-env` "
                                f"(envs/evals/requirements.lock)")
    return exe


def _env(base_url: str | None = None) -> dict[str, str]:
    env = {**os.environ, **OFFLINE_ENV}
    if base_url:
        env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY") or "local")
    return env


def _run(cmd: list[str], *, env: Mapping[str, str], cwd: Path, timeout: float, what: str,
         stdin: str | None = None) -> str:
    done = subprocess.run(cmd, env=dict(env), cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{what} exited with {done.returncode}: " + " | ".join(tail))
    return done.stdout


def read_inspect_log(path: str | Path) -> ToolScores:
    """Per-sample scores from an inspect_ai eval log written with ``--log-format json``.

    ``includes`` (inspect's C/I grade) becomes 1.0/0.0; numeric scores are kept as they are.
    """
    log = json.loads(Path(path).read_text(encoding="utf-8"))
    if log.get("status") != "success":
        raise RuntimeError(f"inspect log {path} has status {log.get('status')!r}: {log.get('error')}")
    scores: dict[str, dict[str, float]] = {}
    outputs = {}
    for s in log["samples"]:
        for name, sc in s["scores"].items():
            v = sc["value"]
            scores.setdefault(name, {})[str(s["id"])] = float(v == "C") if isinstance(v, str) else float(v)
        outputs[str(s["id"])] = str(s["output"]["completion"])
    return ToolScores("inspect", scores, outputs)


def run_inspect(samples: str | Path, *, base_url: str, model: str, max_tokens: int = 64, max_connections: int = 4,
                python: str | Path | None = None, log_dir: str | Path | None = None, timeout: float = 600) -> ToolScores:
    """Run ``evals_interop/inspect_golden.py`` on exported samples against an OpenAI-compatible endpoint.

    Args:
        samples: the file ``export(run, "inspect", ...)`` wrote.
        base_url: the endpoint (``llm.base_url()`` for the embedded server).
        model: the served model name.
        max_tokens: the replayed run's answer cap.
        max_connections: requests in flight (1 replays most faithfully: batching changes greedy outputs).
        python: the tools' Python (default ``.venv-evals``).
        log_dir: where inspect writes its log (default: a temporary folder).
        timeout: seconds before the run is stopped.

    Returns:
        The per-item :class:`ToolScores`.
    """
    exe = _tool_python(python)
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(log_dir or tmp)
        cmd = [str(exe), "-m", "inspect_ai", "eval", "inspect_golden.py", "--model", f"openai/{model}",
               "-M", "responses_api=false",  # chat completions: what any OpenAI-compatible server offers
               "--model-base-url", base_url, "-T", f"samples={Path(samples).resolve()}", "-T", f"max_tokens={max_tokens}",
               "--max-connections", str(max_connections), "--log-format", "json", "--log-dir", str(logs.resolve()),
               "--display", "none"]
        _run(cmd, env=_env(base_url), cwd=INTEROP_DIR, timeout=timeout, what="inspect eval")
        found = sorted(logs.glob("*.json"), key=lambda p: p.stat().st_mtime)
        if not found:
            raise RuntimeError(f"inspect wrote no log in {logs}")
        return read_inspect_log(found[-1])


def read_promptfoo_results(path: str | Path) -> ToolScores:
    """Per-test named scores from a promptfoo ``-o results.json`` file (tests named by item id)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    scores: dict[str, dict[str, float]] = {}
    outputs = {}
    passed = {}
    for r in data["results"]["results"]:
        item = str(r["testCase"]["description"])
        if r.get("failureReason") == 2:  # 1 is a failed assertion (a score), 2 a request that never completed
            raise RuntimeError(f"promptfoo test {item} failed to run: {r['error']}")
        for name, v in r["namedScores"].items():
            scores.setdefault(name, {})[item] = float(v)
        outputs[item] = str(r["response"]["output"])
        passed[item] = bool(r["success"])
    return ToolScores("promptfoo", scores, outputs, passed)


def promptfoo_env(base_url: str, config_dir: str | Path) -> dict[str, str]:
    """The environment promptfoo runs in: the endpoint, telemetry and update checks off, its state in config_dir.

    Against a loopback endpoint every other request goes to a dead proxy (see ``DEAD_PROXY``).
    """
    env = {**_env(base_url), "PROMPTFOO_CONFIG_DIR": str(config_dir), "PROMPTFOO_PYTHON": "python3"}
    if urlsplit(base_url).hostname in LOOPBACK:
        env.update(HTTPS_PROXY=DEAD_PROXY, HTTP_PROXY=DEAD_PROXY, NO_PROXY=",".join(LOOPBACK))
        env.update(https_proxy=DEAD_PROXY, http_proxy=DEAD_PROXY, no_proxy=",".join(LOOPBACK))
    return env


def run_promptfoo(config: str | Path, *, base_url: str, max_concurrency: int = 4, binary: str | Path | None = None,
                  timeout: float = 600) -> ToolScores:
    """Run ``promptfoo eval`` on an exported config against an endpoint, offline (telemetry and updates off).

    Args:
        config: the file ``export(run, "promptfoo", ...)`` wrote, or the checked-in ``export.GOLDEN_PROMPTFOO``.
        base_url: the endpoint.
        max_concurrency: requests in flight.
        binary: the promptfoo executable (default: ``evals_interop/node_modules/.bin/promptfoo``).
        timeout: seconds before the run is stopped.
    """
    exe = Path(binary) if binary else PROMPTFOO_BIN
    if not exe.exists():
        raise FileNotFoundError(f"{exe} is missing: install promptfoo with `make promptfoo` "
                                f"(npm ci from evals_interop/package-lock.json)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        env = promptfoo_env(base_url, tmp)
        cmd = [str(exe), "eval", "-c", str(Path(config).resolve()), "-o", str(out), "--no-cache",
               "-j", str(max_concurrency), "--no-progress-bar", "--no-table"]
        try:
            _run(cmd, env=env, cwd=INTEROP_DIR, timeout=timeout, what="promptfoo eval")
        except RuntimeError:
            if not out.exists():  # promptfoo exits 100 when a test fails an assertion; its results still count
                raise
        return read_promptfoo_results(out)


def side_by_side(run: Run, tool: ToolScores, metric: str, *, tool_metric: str | None = None,
                 seed: int = 0) -> SideBySide:
    """labkit's mean and interval of a metric on exactly the items the tool scored, beside the tool's mean."""
    theirs = tool.scores[tool_metric or metric]
    ours = {k: v for k, v in run.by_item(metric).items() if k in theirs}
    if not ours:
        raise ValueError(f"the run and {tool.tool} share no item scored on {metric!r}")
    stored = {r.item_id: (r.output or "").strip() for r in run.rows}
    same = sum(stored.get(k) == tool.outputs.get(k, "").strip() for k in ours)
    return SideBySide(metric, tool.tool, bootstrap_ci(list(ours.values()), seed=seed),
                      sum(theirs[k] for k in ours) / len(ours), same)


def mlflow_payload(run: Run, tracking_uri: str, experiment: str = "labkit-evals") -> dict[str, Any]:
    """What :func:`log_mlflow` sends: the run's config as params, each metric's mean and interval as metrics."""
    metrics: dict[str, float] = {}
    for name, ci in run.metrics().items():
        key = re.sub(r"[^\w./ -]", "_at_", name)  # MLflow keys allow letters, digits, _ - . / and spaces
        metrics.update({key: ci.estimate, f"{key}/low": ci.low, f"{key}/high": ci.high, f"{key}/n": float(ci.n)})
    s = run.summary()
    metrics.update(wall_s=float(s["wall_s"]), errors=float(s["errors"]), cost_usd=float(s["cost_usd"]))
    params = {k: str(v) for k, v in run.config.items()} | {"questions": str(len(run)), "workers": str(run.workers)}
    return {"tracking_uri": tracking_uri, "experiment": experiment, "run_name": run.name,
            "tags": {"labkit.run_id": run.id, "labkit.dataset": run.dataset, "labkit.created": run.created},
            "params": params, "metrics": metrics}


def log_mlflow(run: Run, tracking_uri: str, *, experiment: str = "labkit-evals", python: str | Path | None = None,
               timeout: float = 300) -> str:
    """Log a run to an MLflow tracking store (``sqlite:///path.db``) through the tools' environment.

    Returns:
        The MLflow run id.
    """
    if not tracking_uri.startswith("sqlite:///"):
        raise ValueError(f"--tracking-uri {tracking_uri!r}: give a local store, sqlite:///path/to/mlflow.db")
    payload = json.dumps(mlflow_payload(run, tracking_uri, experiment))
    out = _run([str(_tool_python(python)), str(INTEROP_DIR / "mlflow_log.py")], env=_env(), cwd=Path.cwd(),
               timeout=timeout, what="MLflow logging", stdin=payload)
    return out.strip().splitlines()[-1]
