"""``run_week(service, ...)``: a simulated week of traffic into whatever service the learner assembled.

The traffic is ``labkit.capstone.world``'s (``labkit.traffic`` with a mid-week launch, attacks, personal
data, tenant probes) and the provider's faults come through the real HTTP fault proxy on the same
schedule. The environment (:mod:`labkit.capstone.env`) plants two or three bugs from a sealed plan. Users
give thumbs up or down on some answers, SIMULATED from how close the answer is to the golden answer
(never from the online eval's score). Everything lands in ``out``: ``traces.sqlite`` (all spans),
``results.jsonl`` (one line per request), ``feedback.jsonl``, ``run.json`` (settings, sealed plan).
"""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labkit import data, llm, tracing
from labkit.capstone import world
from labkit.capstone.env import Env, EnvConfig
from labkit.capstone.faults import FaultProxy, FaultSchedule, ModelSwap, snapshots
from labkit.capstone.layers import Request, Response, Service
from labkit.capstone.plan import DAY_S, _draw, _seal, _unseal
from labkit.clock import RunningClock
from labkit.evals.metrics import token_f1
from labkit.rag import RagApp, RagConfig


@dataclass
class WeekRun:
    """A finished (or replayed) week: its directory, how many requests, the wall time."""

    dir: Path
    requests: int
    statuses: dict[str, int]
    wall_s: float

    @property
    def traces_path(self) -> Path:
        return self.dir / "traces.sqlite"


def _traffic(seed: int, days: float, scale: float, agent: bool) -> list[Any]:
    cfg = world.CapstoneConfig(days=days, seed=seed, scale=world.DEFAULT_SCALE * scale)
    requests = world.build_traffic(cfg)
    if not agent:
        return requests
    rng = random.Random(f"capstone-agent-{seed}")
    tasks = [t["turns"][0] for t in data.records("agent_tasks")]
    return [r if r.kind in ("attack", "pii") else dataclasses.replace(r, question=rng.choice(tasks))
            for r in requests]


def _feedback(rng: random.Random, golden: dict[str, str], golden_id: str | None, response: Response) -> int | None:
    """A user's thumbs (1 up, 0 down) or None: SIMULATED; a third of users react, from the golden answer."""
    if rng.random() > 0.33:
        return None
    if response.status != "answered":
        return 0 if rng.random() < 0.7 else None
    if golden_id and golden_id in golden:
        closeness = token_f1(response.text, golden[golden_id])
        return int(rng.random() < 0.2 + 0.7 * min(1.0, closeness / 0.4))
    return int(rng.random() < 0.6)


def _settings(seed: int | None, days: float, scale: float, agent: bool, replay: str | Path | None) -> dict[str, Any]:
    if replay is not None:
        saved: dict[str, Any] = json.loads((Path(replay) / "run.json").read_text())
        return saved
    if not 0 < days <= 14 or not 0 < scale <= 5:
        raise ValueError(f"days must be in (0, 14] and scale in (0, 5], got days={days} scale={scale}")
    rng = random.Random(f"capstone-plan-{seed}") if seed is not None else random.Random(secrets.token_bytes(16))
    run_id = secrets.token_hex(12)
    return {"run_id": run_id, "traffic_seed": seed if seed is not None else secrets.randbelow(2**31),
            "days": days, "scale": scale, "agent": agent,
            "plan": _seal(_draw(rng, agent=agent, days=days), run_id)}


def _warm_up(upstream: str) -> None:
    """One short call straight to the model server before the week (and its tracing) starts, so the
    first request does not pay the server's cold start against the client's timeout, as a deployed
    service would not."""
    llm.client(base_url=f"{upstream}/v1", max_retries=0, timeout=120.0).chat.completions.create(
        model=llm.model_for("chat"), messages=[{"role": "user", "content": "Hello"}], max_tokens=4, temperature=0)


def run_week(service: Service, *, seed: int | None = None, days: float = 7, scale: float = 1.0,
             out: str | Path, agent: bool = False, config: EnvConfig | None = None,
             replay: str | Path | None = None, only_days: list[int] | None = None) -> WeekRun:
    """Drive a simulated week into ``service`` and record everything in ``out``.

    Args:
        service: ``answer(request) -> Response`` (a prototype, with whatever layers you added).
        seed: None draws traffic and bugs from fresh randomness; a number makes the week reproducible.
        days: virtual days.
        scale: traffic relative to the default week (1.0 is about 185 requests over 7 days).
        out: the run directory (replaced if it exists).
        agent: the service is an agent (agent traffic; agent bugs may be planted).
        config: environment settings (your fix for a bug that lives in the environment).
        replay: a finished run's directory: serve the same week (same traffic, same planted bugs) again.
        only_days: serve only these days (1-based), e.g. the days a bug affected.

    Returns:
        A :class:`WeekRun`.
    """
    settings = _settings(seed, days, scale, agent, replay)
    out = Path(out)
    if replay is not None and out.resolve() == Path(replay).resolve():
        raise ValueError("a replay needs its own --out directory; the original run is the baseline")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t_wall = time.perf_counter()
    plan = _unseal(settings["plan"], settings["run_id"])
    requests = _traffic(settings["traffic_seed"], settings["days"], settings["scale"], settings["agent"])
    if only_days:
        requests = [r for r in requests if int(r.ts // DAY_S) + 1 in set(only_days)]
    route_rng = random.Random(f"capstone-routes-{settings['traffic_seed']}")
    routes = {r.id: world.ROUTES[1] if route_rng.random() < 0.25 else world.ROUTES[0] for r in requests}
    golden = {g["id"]: g["answer"] for g in data.records("golden")}
    feedback_rng = random.Random(f"capstone-feedback-{settings['run_id']}")
    clock = RunningClock(world.START)
    t0_ns = int(world.START.timestamp() * 1e9)
    server = llm.server() if llm.backend() == "embedded" else None
    upstream = server.root_url if server else llm.base_url().removesuffix("/v1")
    _warm_up(upstream)
    tr = tracing.setup(out / "traces.sqlite", sample_rate=1.0, clock=clock, service_name="capstone")
    swap = ModelSwap(llm.model_for("chat"), at_s=next((p.start_s for p in plan if p.kind == "model-swap"), None))
    proxy = FaultProxy(upstream, FaultSchedule(world.fault_windows(settings["traffic_seed"], settings["days"])),
                       timeout_hold_s=13.0, swap=swap).start()
    statuses: dict[str, int] = {}
    try:
        env = Env(plan=plan, config=config or EnvConfig(), rag=RagApp(config=RagConfig(k=3, max_tokens=48)),
                  client=llm.client(base_url=proxy.url, max_retries=0, timeout=12.0), clock=clock, workdir=out,
                  salt=settings["run_id"], t0_ns=t0_ns)
        with (out / "results.jsonl").open("w") as results, (out / "feedback.jsonl").open("w") as fb:
            for r in requests:
                clock.catch_up(int(t0_ns + r.ts * 1e9))
                day = int(r.ts // DAY_S) + 1
                req = Request(id=r.id, text=r.question, user=r.user, tenant=r.tenant, route=routes[r.id], day=day,
                              call=env.call, env=env)
                try:
                    response = service(req)
                except Exception as exc:  # the week goes on; the request ends as an error
                    response = Response("", "error", detail={"error": type(exc).__name__})
                statuses[response.status] = statuses.get(response.status, 0) + 1
                results.write(json.dumps({"request_id": r.id, "day": day, "ts": r.ts, "kind": r.kind,
                                          "tenant": r.tenant, "status": response.status}) + "\n")
                thumbs = _feedback(feedback_rng, golden, r.golden_id, response)
                if thumbs is not None:
                    fb.write(json.dumps({"request_id": r.id, "day": day, "thumbs_up": thumbs}) + "\n")
        tr.flush()
    finally:
        proxy.stop()
        tracing.shutdown()
    record = dict(settings, requests=len(requests), only_days=only_days or None,
                  replay_of=str(replay) if replay is not None else None,
                  config=asdict(config or EnvConfig()), faults=dict(proxy.injected), simulation=True,
                  model_snapshots={"names": list(snapshots(swap.alias)), "newer_temperature": swap.temperature,
                                   "newer_seed": swap.seed})
    (out / "run.json").write_text(json.dumps(record, indent=2))
    wall = time.perf_counter() - t_wall
    (out / "wall.json").write_text(json.dumps({"wall_s": wall}))
    return WeekRun(out, len(requests), statuses, wall)
