"""The LiteLLM half of :mod:`labkit.routing.litellm_side`, run inside LiteLLM's own environment.

LiteLLM's dependencies clash with the course's lock, so it lives in ``.venv-litellm`` (``make
litellm-env``) and this script is its whole interface: a JSON task on stdin, a JSON result on stdout.
It imports only the standard library and ``litellm`` (never labkit). Before importing LiteLLM it
forces the bundled cost map and refuses every non-loopback connection, so a run that tried to reach
the internet fails loudly instead of downloading.

Tasks:
    ``fallback``: a Router over three deployments (primary -> secondary -> local) sends the requests
    one after another and reports which deployment served each one and how long it took.
    ``budget``: rounds of threads spending through LiteLLM's ``BudgetManager`` with its documented
    check-then-charge pattern; reports what each round committed against the cap.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from typing import Any

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # the bundled price list, not a download at import
os.environ["LITELLM_OFFLINE_MODE"] = "true"
os.environ.setdefault("LITELLM_LOG", "CRITICAL")

_connect = socket.socket.connect
REFUSED: list[str] = []  # every non-loopback address something tried to reach (reported with each answer)


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else ""
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:
        allowed = host == "localhost"
    if self.family in (socket.AF_INET, socket.AF_INET6) and not allowed:
        REFUSED.append(str(host))
        raise OSError(f"litellm_worker runs offline: refused a connection to {address!r}")
    return _connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign,assignment]

import litellm  # noqa: E402 - only after the environment and the socket guard are set
from litellm import BudgetManager, Router  # noqa: E402
from litellm.types.router import RetryPolicy  # noqa: E402

litellm.telemetry = False
litellm.suppress_debug_info = True


def register_price(model: str, input_usd_per_token: float, output_usd_per_token: float) -> str:
    """Give LiteLLM's cost map a price for a model it does not know; returns the name to call it by."""
    name = f"openai/{model}"
    entry = {"input_cost_per_token": input_usd_per_token, "output_cost_per_token": output_usd_per_token,
             "litellm_provider": "openai", "mode": "chat", "max_tokens": 8192}
    litellm.register_model({name: entry, model: entry})
    return name


def fallback(task: dict[str, Any]) -> dict[str, Any]:
    """Requests through a Router whose fallbacks mirror the labkit chain."""
    model_list = [{"model_name": d["name"],
                   "litellm_params": {"model": f"openai/{d['model']}", "api_base": d["base_url"], "api_key": "x",
                                      "timeout": d["timeout_s"], "max_retries": 0}}
                  for d in task["deployments"]]
    names = [d["name"] for d in task["deployments"]]
    # labkit's RetryPolicy in LiteLLM's terms: retry 5xx and 429, move on at once after a timeout
    retries = RetryPolicy(InternalServerErrorRetries=task["retries"], ServiceUnavailableErrorRetries=task["retries"],
                          RateLimitErrorRetries=task["retries"], TimeoutErrorRetries=0)
    router = Router(model_list=model_list, fallbacks=[{names[0]: names[1:]}], num_retries=task["retries"],
                    retry_policy=retries, retry_after=task["backoff_s"], allowed_fails=task["allowed_fails"],
                    cooldown_time=task["cooldown_s"])
    by_base = {d["base_url"]: d["name"] for d in task["deployments"]}
    out = []
    for n in range(task["requests"]):
        t0 = time.perf_counter()
        try:
            response = router.completion(model=names[0], messages=task["messages"], max_tokens=task["max_tokens"],
                                         temperature=0,
                                         extra_body={"labkit_request": f"{task['tag']}-{n}"})
            base = (response._hidden_params or {}).get("api_base") or ""
            served = by_base.get(base.rstrip("/"), by_base.get(base, base))
            out.append({"served_by": served, "text": response.choices[0].message.content or "",
                        "latency_s": time.perf_counter() - t0, "error": ""})
        except Exception as exc:  # noqa: BLE001 - reported to the caller, which decides
            out.append({"served_by": "", "text": "", "latency_s": time.perf_counter() - t0,
                        "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
    return {"litellm": version("litellm"), "requests": out}


def budget_round(task: dict[str, Any], model: str, r: int) -> dict[str, Any]:
    """One round: threads check the spend, call, then charge the cost (BudgetManager's documented pattern)."""
    manager = BudgetManager(project_name=f"round{r}")
    saves = _track_saves(manager)
    manager.create_budget(total_budget=task["cap_usd"], user="team")
    counts, errors = {"admitted": 0, "refused": 0}, []
    lock, start = threading.Lock(), threading.Barrier(task["threads"])

    def spend() -> None:
        start.wait()
        for _ in range(task["calls_per_thread"]):
            if manager.get_current_cost("team") >= manager.get_total_budget("team"):
                with lock:
                    counts["refused"] += 1
                continue
            try:
                response = litellm.completion(model=model, api_base=task["base_url"], api_key="x",
                                              messages=task["messages"], max_tokens=task["max_tokens"], max_retries=0)
            except Exception as exc:  # noqa: BLE001 - reported to the caller
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
                continue
            with lock:  # the charge itself is serialised: only the gap between check and charge is measured
                manager.update_cost(user="team", completion_obj=response)
                counts["admitted"] += 1

    threads = [threading.Thread(target=spend) for _ in range(task["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for t in list(saves):
        t.join()
    return {"committed_usd": manager.get_current_cost("team"), **counts, "errors": errors[:3]}


def _track_saves(manager: BudgetManager) -> list[threading.Thread]:
    """Keep the threads ``manager`` starts to write ``user_cost.json``, so the round can wait for them.

    BudgetManager saves in a new thread after every charge, to a path relative to the working
    directory. One still running when the next round changes directory would write there, and that
    round's manager would load it (a half-written file does not parse).
    """
    saves: list[threading.Thread] = []

    def save_in_a_thread() -> None:  # what BudgetManager._save_data_thread does, plus the bookkeeping
        thread = threading.Thread(target=manager.save_data)
        thread.start()
        saves.append(thread)

    manager._save_data_thread = save_in_a_thread  # type: ignore[method-assign]
    return saves


def budget(task: dict[str, Any]) -> dict[str, Any]:
    """Rounds of threads spending through BudgetManager against one cap."""
    model = register_price(task["model"], task["input_usd_per_token"], task["output_usd_per_token"])
    rounds = []
    with tempfile.TemporaryDirectory(prefix="litellm-budget-") as tmp:
        for r in range(task["rounds"]):
            os.makedirs(f"{tmp}/round{r}")
            os.chdir(f"{tmp}/round{r}")  # BudgetManager saves user_cost.json in the working directory
            rounds.append(budget_round(task, model, r))
        os.chdir(tempfile.gettempdir())
    return {"rounds": rounds}


TASKS = {"fallback": fallback, "budget": budget}


def main() -> int:
    task = json.load(sys.stdin)
    if task.get("task") not in TASKS:
        print(json.dumps({"error": f"unknown task {task.get('task')!r}; choose from {sorted(TASKS)}"}))
        return 2
    print(json.dumps({**TASKS[task["task"]](task), "refused_connections": REFUSED}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
