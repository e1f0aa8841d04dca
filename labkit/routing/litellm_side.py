"""LiteLLM beside labkit: the same fallback drill and the same budget race, measured on both.

LiteLLM is what many teams put between their code and their model providers: a Router with
retries, cooldowns and fallbacks, and cost tracking with budgets. Its dependencies clash with the
course's lock, so it runs in its own pinned environment (``make litellm-env`` builds
``.venv-litellm`` from ``envs/litellm/requirements.lock``) and is driven through
:mod:`labkit.routing.litellm_worker` as a subprocess: a JSON task in, a JSON result out. The
worker runs offline (LiteLLM's bundled cost map, every non-loopback connection refused).

* :func:`compare_fallback` sends the same requests through labkit's :class:`~labkit.deploy.FallbackChain`
  and a LiteLLM Router configured with the same order, retries and timeouts, and counts the
  attempts each request really made at every failing endpoint (each request carries a tag in
  its body, and the stub endpoints keep every body they receive).
* :func:`compare_budget` runs rounds of threads spending against one cap: labkit's
  reserve-then-settle :class:`~labkit.budget.Budget` and LiteLLM's ``BudgetManager`` with its
  documented check-then-charge pattern, on the same stub endpoint at the same prices, and
  reports what each round committed above the cap.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from labkit.budget import Budget, BudgetExceeded, Caps
from labkit.deploy import FallbackChain, Provider, RetryPolicy, StubEndpoint
from labkit.errors import LabkitError
from labkit.llm import registry
from labkit.routing.estimate import CostModel

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("litellm_worker.py")
TAG = "labkit_request"  # the body field that names the request an attempt belongs to


def litellm_python() -> Path:
    """The interpreter of LiteLLM's own environment (``.venv-litellm`` at the repository root)."""
    return ROOT / ".venv-litellm" / "bin" / "python"


def available() -> bool:
    """Whether LiteLLM's environment has been built (``make litellm-env``)."""
    return litellm_python().exists()


def run_worker(task: Mapping[str, Any], timeout_s: float = 300.0, *, allow_refused: bool = False) -> dict[str, Any]:
    """Run one task in LiteLLM's environment.

    Args:
        task: the JSON task (see :mod:`labkit.routing.litellm_worker`).
        timeout_s: how long the worker may take (importing LiteLLM alone takes seconds).
        allow_refused: return even if something in the worker tried to leave the machine (a test of the guard).

    Returns:
        The worker's JSON answer.

    Raises:
        LabkitError: the environment is missing, the worker failed (its last error line is quoted), or
            something in it tried to reach a non-loopback address (refused, and named).
    """
    if not available():
        raise LabkitError(f"LiteLLM's environment is missing ({litellm_python()}); build it with `make litellm-env`")
    done = subprocess.run([str(litellm_python()), str(WORKER)], input=json.dumps(dict(task)), capture_output=True,
                          text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [done.stdout.strip() or "no output"])[-1]
        raise LabkitError(f"the LiteLLM worker failed ({last}); rebuild its environment with `make litellm-env`")
    answer: dict[str, Any] = json.loads(done.stdout)
    if answer.get("refused_connections") and not allow_refused:
        raise LabkitError(f"LiteLLM tried to reach {sorted(set(answer['refused_connections']))} (refused: the course "
                          "runs offline); check that LITELLM_LOCAL_MODEL_COST_MAP is honoured by this LiteLLM version")
    return answer


@dataclass(frozen=True)
class RouteOutcome:
    """One request through one router.

    Attributes:
        router: "labkit" or "litellm".
        request: the request's number (0-based).
        served_by: the deployment that answered ("" when none did).
        attempts: requests that reached each deployment (the failing ones counted at the endpoint).
        latency_s: end to end, retries, timeouts and backoff included.
        error: why no deployment answered ("" when one did).
    """

    router: str
    request: int
    served_by: str
    attempts: dict[str, int]
    latency_s: float
    error: str = ""

    def row(self) -> dict[str, Any]:
        return {"router": self.router, "request": self.request, "served by": self.served_by or "-",
                **{f"tries {k}": v for k, v in self.attempts.items()}, "latency s": round(self.latency_s, 2)}


def _attempts(providers: Sequence[Provider], stubs: Mapping[str, StubEndpoint], tag: str,
              served_by: str) -> dict[str, int]:
    """Requests carrying ``tag`` that each stub received; a provider without a stub counts 1 if it served."""
    return {p.name: (sum(1 for body in stubs[p.name].requests if body.get(TAG) == tag) if p.name in stubs
                     else int(served_by == p.name)) for p in providers}


def compare_fallback(providers: Sequence[Provider], stubs: Mapping[str, StubEndpoint], retry: RetryPolicy, *,
                     messages: list[dict[str, str]], max_tokens: int = 16, requests: int = 2) -> list[RouteOutcome]:
    """The same requests through labkit's FallbackChain, then through a LiteLLM Router set up the same way.

    Args:
        providers: in order of preference (each one's ``timeout_s`` is used by both routers).
        stubs: the stub endpoint behind each failing provider, by provider name (attempts are counted there).
        retry: labkit's policy; LiteLLM gets the same retries on 5xx/429, none on a timeout, and a
            cooldown of ``breaker_cooldown_s`` after ``breaker_threshold`` failures.
        messages: the request.
        max_tokens: its output cap.
        requests: how many requests, one after another (the second shows what the breaker remembers).

    Returns:
        One :class:`RouteOutcome` per request and router, labkit's first.

    The tag goes in every request's body, so every provider must accept an unknown field (the stubs
    and llama.cpp's server do; the OpenAI API refuses one).
    """
    chain = FallbackChain(providers, retry)
    outcomes = []
    for n in range(requests):
        t0 = time.perf_counter()
        try:
            result = chain.create(messages=messages, max_tokens=max_tokens, temperature=0,
                                  extra_body={TAG: f"labkit-{n}"})
            served, error = result.provider, ""
        except LabkitError as exc:
            served, error = "", str(exc)[:200]
        outcomes.append(RouteOutcome("labkit", n, served, _attempts(providers, stubs, f"labkit-{n}", served),
                                     time.perf_counter() - t0, error))
    task = {"task": "fallback", "tag": "litellm", "requests": requests, "messages": messages, "max_tokens": max_tokens,
            "retries": retry.max_attempts - 1, "backoff_s": retry.backoff_s,
            "allowed_fails": retry.breaker_threshold - 1, "cooldown_s": retry.breaker_cooldown_s,
            "deployments": [{"name": p.name, "base_url": p.base_url, "model": p.model, "timeout_s": p.timeout_s}
                            for p in providers]}
    for n, r in enumerate(run_worker(task)["requests"]):
        outcomes.append(RouteOutcome("litellm", n, r["served_by"],
                                     _attempts(providers, stubs, f"litellm-{n}", r["served_by"]),
                                     r["latency_s"], r["error"]))
    return outcomes


@dataclass(frozen=True)
class BudgetRound:
    """One round of threads spending against one cap.

    Attributes:
        system: "labkit (reserve, then settle)" or "litellm (check, then charge)".
        round: the round's number.
        cap_usd: the cap.
        committed_usd: what the round's admitted calls cost in the end.
        admitted: calls that were made.
        refused: calls the budget turned away.
    """

    system: str
    round: int
    cap_usd: float
    committed_usd: float
    admitted: int
    refused: int

    @property
    def overspend_usd(self) -> float:
        """Committed spend above the cap (0 when the cap held)."""
        return max(0.0, self.committed_usd - self.cap_usd)

    @property
    def used(self) -> float:
        """Committed spend as a fraction of the cap."""
        return self.committed_usd / self.cap_usd

    def row(self) -> dict[str, Any]:
        return {"system": self.system, "round": self.round, "admitted": self.admitted, "refused": self.refused,
                "committed / cap": round(self.used, 3), "overspend $": self.overspend_usd}


@dataclass(frozen=True)
class BudgetRace:
    """The parameters of :func:`compare_budget` (shown beside its results)."""

    model: str
    cap_calls: float
    threads: int = 16
    calls_per_thread: int = 4
    rounds: int = 5
    max_tokens: int = 8
    messages: list[dict[str, str]] = field(default_factory=lambda: [
        {"role": "user", "content": "In one sentence: what does the refund policy say about damaged items?"}])


def _labkit_round(race: BudgetRace, url: str, cap_usd: float, n: int) -> BudgetRound:
    info = registry.get(race.model)
    bound = CostModel.from_registry(race.model).estimate(race.messages, race.max_tokens).cost_upper_usd
    client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
    with tempfile.TemporaryDirectory(prefix="labkit-budget-") as tmp:
        budget = Budget(Path(tmp) / "budget.sqlite", Caps(per_user_usd=None, global_usd=cap_usd))
        refused, start = [0], threading.Barrier(race.threads)

        def spend() -> None:
            start.wait()
            for _ in range(race.calls_per_thread):
                try:
                    with budget.charge("team", bound) as r:
                        usage = client.chat.completions.create(model=race.model, messages=race.messages,  # type: ignore[arg-type]
                                                               max_tokens=race.max_tokens).usage
                        r.actual_usd = info.cost(usage.prompt_tokens, usage.completion_tokens) if usage else bound
                except BudgetExceeded:
                    refused[0] += 1  # one list item, updated under the GIL

        threads = [threading.Thread(target=spend) for _ in range(race.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        spent = budget.spend()
        budget.close()
    return BudgetRound("labkit (reserve, then settle)", n, cap_usd, spent.total_usd, spent.calls, refused[0])


def compare_budget(race: BudgetRace, stub: StubEndpoint) -> list[BudgetRound]:
    """Rounds of ``race.threads`` threads spending against one cap, with labkit's budget and with LiteLLM's.

    Both sides send real requests to the same stub endpoint and price them from its reported usage
    at the registry's price for ``race.model`` (given to LiteLLM as a custom price). The cap is
    ``race.cap_calls`` times one call's measured cost.

    Args:
        race: the parameters.
        stub: an "ok" stub endpoint standing in for the model (its delay is the time a call is in flight).

    Returns:
        The rounds, labkit's first.
    """
    info = registry.get(race.model)
    probe = openai.OpenAI(base_url=stub.url, api_key="x", max_retries=0).chat.completions.create(
        model=race.model, messages=race.messages, max_tokens=race.max_tokens).usage  # type: ignore[arg-type]
    if probe is None:
        raise LabkitError("the endpoint reported no usage; budgets need token counts to price a call")
    cap_usd = race.cap_calls * info.cost(probe.prompt_tokens, probe.completion_tokens)
    rounds = [_labkit_round(race, stub.url, cap_usd, n) for n in range(race.rounds)]
    task = {"task": "budget", "base_url": stub.url, "model": race.model, "cap_usd": cap_usd,
            "input_usd_per_token": info.input_usd_per_m / 1e6, "output_usd_per_token": info.output_usd_per_m / 1e6,
            "threads": race.threads, "calls_per_thread": race.calls_per_thread, "rounds": race.rounds,
            "messages": race.messages, "max_tokens": race.max_tokens}
    for n, r in enumerate(run_worker(task)["rounds"]):
        if r["errors"]:
            raise LabkitError(f"LiteLLM's calls failed in round {n}: {r['errors'][0]}")
        rounds.append(BudgetRound("litellm (check, then charge)", n, cap_usd, r["committed_usd"], r["admitted"],
                                  r["refused"]))
    return rounds
