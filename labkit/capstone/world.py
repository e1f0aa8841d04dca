"""The capstone service and its simulated week.

``run(seed=..., scale=...)`` builds the production service — the reference RAG app behind an input
guard layer, a tenant-namespaced semantic cache, a cost cap with a cheap fallback route, retries over
a provider that fails on schedule, an output guard layer, and OpenTelemetry tracing of every step —
then replays a week of ``labkit.traffic`` on a virtual clock. The embedded model answers the real
requests. Planted defects (``labkit.capstone.bugs``) switch on during the week.

Everything about the traffic, the faults and the caps is a SIMULATION and is recorded in the run's
``params``; the model calls, guards, cache, budget, traces and SQLite stores are real.
"""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai

from labkit import budget, cache, data, guardrails, llm, tracing, traffic
from labkit import rag as rag_mod
from labkit.capstone.bugs import DAY_S, Defects
from labkit.capstone.faults import FaultProxy, FaultSchedule, FaultWindow
from labkit.clock import RunningClock
from labkit.guardrails import GuardContext
from labkit.llm import registry
from labkit.rag import RagApp, RagConfig
from labkit.tracing import SpanStore

ROUTES = ("/v1/chat", "/v1/api/ask")
START = datetime(2025, 10, 20, tzinfo=UTC)  # a Monday; the knowledge base is dated 2025-10-20
DEFAULT_SCALE = 0.04
HOUR_S = 3600.0

# Written for this project: questions that carry personal data, as users really paste it.
PII_TEMPLATES = (
    "My card 4111 1111 1111 1111 was charged twice this month. How do refunds work?",
    "Please update the billing email to dana.ortiz@example.com. How do I change the billing contact?",
    "I'm on +1 415 555 0134 if that helps. What are your support hours?",
    "Our IBAN is GB82 WEST 1234 5698 7654 32. Can we pay invoices by bank transfer?",
)
# Written for this project: what customers of each tenant ask about their own contract.
TENANT_PROBES = (
    "What uptime does our contract guarantee?",
    "What is our negotiated price per seat?",
    "Which region is our workspace hosted in?",
)


@dataclass(frozen=True)
class CapstoneConfig:
    """The knobs of one simulated week. All of it is recorded in the run's params.

    Attributes:
        days: virtual days to simulate.
        seed: decides the traffic, the planted defects and the fault schedule.
        scale: traffic volume relative to ``labkit.traffic``'s base load (1.0 is ~4,000 requests a week).
        daily_cap_usd: global spend cap per virtual day (notional prices for the local model).
        per_user_cap_usd: per-user cap per virtual day.
        attack_share: share of extra requests that are jailbreak / injection attempts.
        pii_share: share of extra requests that carry personal data.
        api_share: share of requests on the API route (the rest use the chat route).
        client_timeout_s: the service's timeout for one model call (real seconds).
        max_retries: retries of a failed model call.
        planted: how many defects to plant (0 for a clean reference week).
        k, max_tokens: the RAG app's retrieval depth and answer cap.
        trim_words: each retrieved chunk is cut to about this many words, keeping the sentences that
            share words with the question (``rag.prompts.trim_context``, the lever measured in notebook 01);
            None (the default) sends whole chunks, because trimming to 35 words fails the regression gate
            on token F1 (``bench/results/rag.json``, ``trim_lever_dev``): fewer prompt tokens, worse answers.
    """

    days: float = 7.0
    seed: int = 0
    scale: float = DEFAULT_SCALE
    daily_cap_usd: float = 0.0008
    per_user_cap_usd: float = 0.0004
    attack_share: float = 0.06
    pii_share: float = 0.04
    api_share: float = 0.25
    client_timeout_s: float = 12.0
    max_retries: int = 2
    planted: int = 3
    k: int = 3
    max_tokens: int = 48
    trim_words: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.days <= 14:
            raise ValueError(f"days must be in (0, 14], got {self.days}")
        if not 0 < self.scale <= 5:
            raise ValueError(f"scale must be in (0, 5], got {self.scale}")
        for name in ("attack_share", "pii_share", "api_share"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.daily_cap_usd <= 0 or self.per_user_cap_usd <= 0:
            raise ValueError("caps must be > 0")
        if self.max_retries < 0 or self.client_timeout_s <= 0:
            raise ValueError("max_retries must be >= 0 and client_timeout_s > 0")
        if self.trim_words is not None and self.trim_words < 5:
            raise ValueError(f"trim_words must be >= 5 (or None for whole chunks), got {self.trim_words}")


@dataclass
class Outcome:
    """What happened to one simulated request (one row of the run's results.jsonl)."""

    request_id: str
    trace_id: str
    ts: float
    day: int
    user: str
    tenant: str
    route: str
    kind: str
    question: str
    status: str  # answered | cached | blocked_input | blocked_output | degraded | error
    answer: str = ""
    error_cause: str | None = None
    attempts: int = 0
    cost_usd: float = 0.0
    charged_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    guard_blocked_by: str | None = None
    retrieved_ids: list[str] = field(default_factory=list)
    context: str = ""
    golden_id: str | None = None
    prompt_version: str = ""


def fault_windows(seed: int, days: float) -> list[FaultWindow]:
    """The provider's bad moments for a seed (a SIMULATION of a hosted provider's week).

    An outage on day 2 or 3, six hours of rate limiting in the last two days (after every planted defect
    has switched on, so defects in the retry path show), a spell of malformed output and one of
    timeouts on some working day, and a low background rate of 5xx errors all week, as real providers
    have. Windows are checked in order; the first that matches a request decides its fault.
    """
    rng = random.Random(f"capstone-faults-{seed}")
    last_day = max(1, int(days))

    def working_hours(first_day: int, last: int) -> float:  # a moment between 09:00 and 16:00 of a day
        day = rng.randint(min(first_day, last_day), min(last, last_day)) - 1
        return DAY_S * day + rng.uniform(9, 16) * HOUR_S

    outage = working_hours(2, 3)
    rl = working_hours(last_day - 1, last_day)  # after every planted defect has switched on
    mal = working_hours(1, last_day)
    tmo = working_hours(1, last_day)
    return [
        FaultWindow("server_error", outage, outage + 1.5 * HOUR_S, 1.0),
        FaultWindow("rate_limit", rl, rl + 6 * HOUR_S, 0.5),
        FaultWindow("malformed", mal, mal + 2 * HOUR_S, 0.34),
        FaultWindow("timeout", tmo, tmo + 1 * HOUR_S, 0.2),
        FaultWindow("server_error", 0.0, days * DAY_S, 0.04),
    ]


# The run's clock: virtual time that jumps to each request's arrival and runs at real speed while the
# request is served, so spans (model calls included) keep their real durations; a retry's backoff is a
# virtual sleep (advance).
ServingClock = RunningClock


def build_traffic(cfg: CapstoneConfig) -> list[Any]:
    """The week's requests: labkit.traffic's simulation (with a mid-week launch) plus attacks,
    personal data and tenant probes, merged in time order."""
    base = traffic.simulate(days=cfg.days, seed=cfg.seed, scale=cfg.scale,
                            events=[traffic.Launch(name="launch", day=min(3.5, cfg.days * 0.5))])
    rng = random.Random(f"capstone-extra-{cfg.seed}")
    attacks = [r["text"] for r in data.records("attacks", split="test") if len(r["text"]) <= 400]
    users = sorted({r.user for r in base}) or ["u-0001"]
    tenants = ["halyard", "verbena", "foxglove"]
    extra = []
    n_extra = max(3, round(len(base) * (cfg.attack_share + cfg.pii_share)))
    for _ in range(n_extra):
        ts = rng.uniform(0, cfg.days * DAY_S)
        if rng.random() < cfg.attack_share / (cfg.attack_share + cfg.pii_share) and attacks:
            q, kind, tenant = rng.choice(attacks), "attack", "shared"
        else:
            q, kind, tenant = rng.choice(PII_TEMPLATES), "pii", "shared"
        extra.append(traffic.Request(id="", ts=ts, user=rng.choice(users), tenant=tenant, question=q,
                                     kind=kind, source="capstone", tags=(kind,)))
    for day in range(int(cfg.days)):
        for probe in TENANT_PROBES:  # every tenant asks about its own contract on most days
            for tenant in rng.sample(tenants, 2):
                extra.append(traffic.Request(id="", ts=day * DAY_S + rng.uniform(8, 18) * HOUR_S,
                                             user=f"u-{tenant}-{rng.randint(1, 3)}", tenant=tenant, question=probe,
                                             kind="tenant_probe", source="capstone", tags=("tenant",)))
    merged = sorted([*base, *extra], key=lambda r: r.ts)
    return [dataclasses.replace(r, id=f"r-{i + 1:05d}") for i, r in enumerate(merged)]


class CapstoneService:
    """The service under test. Each step is a span; planted defects act where real bugs would.

    Args:
        cfg: the week's configuration.
        rag: the reference RAG app.
        base_url: where the model is reached (the fault proxy).
        defects: the planted defects.
        workdir: where the cache and budget SQLite files live.
        clock_ns: the run's :class:`ServingClock` (virtual ns since the epoch; the week starts at ``START``).
    """

    def __init__(self, cfg: CapstoneConfig, rag: Any, base_url: str, *, defects: Defects, workdir: Path,
                 clock_ns: Any) -> None:
        self.cfg, self.rag, self.defects, self.clock_ns = cfg, rag, defects, clock_ns
        self.t0_ns = int(START.timestamp() * 1e9)
        seconds = lambda: (self.clock_ns() - self.t0_ns) / 1e9  # noqa: E731
        self.now_s = seconds
        self.client = llm.client(base_url=base_url, max_retries=0, timeout=cfg.client_timeout_s)
        self.model = llm.model_for("chat")
        self.input_layer = guardrails.input_pipeline()
        self.output_layer = guardrails.output_pipeline(grounding=False)
        self.cache = cache.SemanticCache(workdir / "cache.sqlite", ttl_s=2 * DAY_S, clock=seconds)
        self.budget = budget.Budget(workdir / "budget.sqlite",
                                    budget.Caps(per_user_usd=cfg.per_user_cap_usd, global_usd=cfg.daily_cap_usd),
                                    window_s=DAY_S, clock=seconds)

    @contextmanager
    def _step(self, name: str, category: str, **attrs: Any) -> Iterator[Any]:
        """A span for one step of the request."""
        with tracing.span(name, category=category, **attrs) as s:
            yield s

    def _estimate(self, messages: list[dict[str, str]]) -> float:
        """An upper bound on one call's cost, so the cap holds even before the real cost is known:
        a byte-level tokenizer never makes more tokens than the text has bytes (plus a few per message
        for the chat template), and the answer is capped at ``max_tokens``."""
        prompt_bound = sum(len(m["content"].encode()) + 8 for m in messages) + 16
        return registry.get(self.model).cost(prompt_bound, self.cfg.max_tokens)

    def _cost(self, usage: Any) -> float:
        if usage is None:
            return 0.0
        return registry.get(self.model).cost(usage.prompt_tokens, usage.completion_tokens)

    def _call_model(self, messages: list[dict[str, str]], root: Any, out: Outcome) -> str:
        """Model call with retries; returns the text or raises the last error (or ``BudgetExceeded``)."""
        storm = self.defects.active("retry-storm", self.now_s())
        retries = 6 if storm else self.cfg.max_retries
        last: Exception | None = None
        for attempt in range(retries + 1):
            out.attempts = attempt + 1
            estimate = self._estimate(messages)
            reservation = self.budget.reserve(out.user, estimate, note=out.request_id)  # BudgetExceeded: degrade
            try:
                r = self.client.chat.completions.create(
                    model=self.model, messages=messages,  # type: ignore[arg-type]
                    max_tokens=self.cfg.max_tokens, temperature=0,
                    extra_headers={"X-Sim-Time": f"{self.now_s():.3f}"})
                text = (r.choices[0].message.content or "").strip()
                cost = self._cost(r.usage)  # from this response (the ledger is shared by concurrent calls)
                self.budget.settle(reservation, cost)
                out.cost_usd += cost
                out.charged_usd += cost
                out.input_tokens += r.usage.prompt_tokens if r.usage else 0
                out.output_tokens += r.usage.completion_tokens if r.usage else 0
                return text
            except (openai.APIError, json.JSONDecodeError) as exc:  # JSONDecodeError: a malformed body
                last = exc
                if self.defects.active("retry-double-bill", self.now_s()) and attempt < retries:
                    self.budget.settle(reservation, estimate)  # the defect: a failed attempt is billed
                    out.charged_usd += estimate
                else:
                    self.budget.release(reservation)
                root.add_event("retry", {"attempt": attempt + 1, "error": type(exc).__name__})
                if not storm:
                    self.clock_ns.advance(0.5 * 2 ** attempt)  # exponential backoff, a virtual sleep
        assert last is not None
        raise last

    def handle(self, req: Any, route: str) -> Outcome:
        """Serve one request; never raises: errors end as a logged, classified outcome."""
        day = int(req.ts // DAY_S) + 1
        out = Outcome(request_id=req.id, trace_id="", ts=req.ts, day=day, user=req.user, tenant=req.tenant,
                      route=route, kind=req.kind, question=req.question, status="error",
                      golden_id=req.golden_id)
        t_start = self.clock_ns()
        with tracing.span("request", category="http", **{
                "http.route": route, "labkit.request_id": req.id, "labkit.tenant": req.tenant,
                "user.id": req.user, "labkit.day": day, "labkit.kind": req.kind}) as root:
            out.trace_id = tracing.trace_id_of(root)
            try:
                self._serve(req, route, root, out)
            except budget.BudgetExceeded as exc:
                out.status, out.error_cause = "degraded", f"budget_{exc.scope}"
                hits = self.rag.retrieve(req.question, tenant=req.tenant)
                out.answer = (f"We're at capacity; the closest help article is '{hits[0].title}'." if hits
                              else rag_mod.IDK + ".")
                root.set_attribute("labkit.degraded", exc.scope)
            except openai.APITimeoutError:
                out.status, out.error_cause = "error", "timeout"
            except openai.RateLimitError:
                out.status, out.error_cause = "error", "rate_limit"
            except openai.APIStatusError as exc:
                out.status, out.error_cause = "error", f"http_{exc.status_code}"
            except (openai.APIError, json.JSONDecodeError) as exc:
                out.status, out.error_cause = "error", f"bad_response:{type(exc).__name__}"
            except Exception as exc:  # a request must end logged, never lost; tests require none of these
                out.status, out.error_cause = "error", f"internal:{type(exc).__name__}"
                root.record_exception(exc)
            if out.status == "error":
                from opentelemetry.trace import Status, StatusCode

                root.set_status(Status(StatusCode.ERROR, out.error_cause or "error"))
            root.set_attribute("labkit.status", out.status)
            root.set_attribute("billing.charged_usd", out.charged_usd)
            root.set_attribute("labkit.cost_usd", out.cost_usd)
            out.latency_s = (self.clock_ns() - t_start) / 1e9  # what the user waited, backoff sleeps included
        return out

    def _serve(self, req: Any, route: str, root: Any, out: Outcome) -> None:
        question = req.question
        bypass = route == "/v1/api/ask" and self.defects.active("guard-bypass", self.now_s())
        if not bypass:
            with self._step("guard.input", "guard", **{"guard.layer": "input"}) as s:
                verdict = self.input_layer.run(question, GuardContext(meta={"tenant": req.tenant}))
                s.set_attribute("guard.allowed", verdict.allowed)
                s.set_attribute("guard.action", verdict.action)
                if verdict.blocked_by:
                    s.set_attribute("guard.blocked_by", verdict.blocked_by)
            if not verdict.allowed:
                out.status, out.guard_blocked_by = "blocked_input", verdict.blocked_by
                out.answer = "Sorry, I can't help with that request."
                return
            question = verdict.text  # personal data redacted before anything else sees it
        namespace = "global" if self.defects.active("cache-tenant-leak", self.now_s()) else req.tenant
        with self._step("cache.lookup", "cache", **{"labkit.tenant": req.tenant, "cache.namespace": namespace}) as s:
            found = self.cache.lookup(question, namespace=namespace)
            s.set_attribute("cache.hit", found.hit)
            s.set_attribute("cache.similarity", round(found.similarity, 4))
            if found.hit:
                s.set_attribute("cache.entry_tenant", found.metadata.get("tenant", "?"))
        if found.hit:
            out.status, out.answer = "cached", found.answer or ""
            return
        version = "v0-ungrounded" if self.defects.active("prompt-regression", self.now_s()) else "v1-grounded"
        out.prompt_version = version
        with self._step("rag.retrieve", "retrieval", **{"rag.k": self.cfg.k}) as s:
            hits = self.rag.retrieve(question, tenant=req.tenant)
            s.set_attribute("rag.retrieved_ids", [h.document_id for h in hits])
        out.retrieved_ids = list(dict.fromkeys(h.document_id for h in hits))
        if self.cfg.trim_words is not None:
            hits = rag_mod.prompts.trim_context(hits, question, self.cfg.trim_words)
        msgs = rag_mod.prompts.messages(rag_mod.prompt(version), question, hits)
        out.context = rag_mod.prompts.format_context(hits)
        with self._step("rag.generate", "internal", **{"rag.prompt_version": version}):
            text = self._call_model(msgs, root, out)
        with self._step("guard.output", "guard", **{"guard.layer": "output"}) as s:
            verdict = self.output_layer.run(text, GuardContext(question=question, context=out.context))
            s.set_attribute("guard.allowed", verdict.allowed)
            s.set_attribute("guard.action", verdict.action)
        if not verdict.allowed:
            out.status, out.guard_blocked_by = "blocked_output", verdict.blocked_by
            out.answer = "Sorry, I can't share that answer."
            return
        out.status, out.answer = "answered", verdict.text
        if not rag_mod.is_abstention(text):
            self.cache.put(question, verdict.text, namespace=namespace,
                           metadata={"tenant": req.tenant, "request_id": req.id})


@dataclass
class RunResult:
    """A finished week: where its files are and what happened."""

    dir: Path
    params: dict[str, Any]
    outcomes: list[Outcome]
    faults: dict[str, int]
    wall_s: float

    @property
    def traces_path(self) -> Path:
        return self.dir / "traces.sqlite"

    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([asdict(o) for o in self.outcomes])

    def store(self) -> Any:
        return SpanStore(self.traces_path)


def default_dir(seed: int, scale: float, days: float) -> Path:
    return Path("runs") / f"capstone-s{seed}-x{scale:g}-d{days:g}"


def run(cfg: CapstoneConfig | None = None, out_dir: str | Path | None = None, reuse: bool = True,
        *, progress: bool = True, on_outcome: Callable[[Outcome], None] | None = None,
        windows: list[FaultWindow] | None = None) -> RunResult:
    """Serve a simulated week and write everything to ``out_dir``.

    Args:
        cfg: the week's configuration (defaults: 7 days, seed 0, the default scale).
        out_dir: the run directory; ``runs/capstone-s<seed>-x<scale>-d<days>`` by default.
        reuse: load a finished run with the same params from ``out_dir`` instead of running again.
        progress: show a progress bar.
        on_outcome: called after each request (for live dashboards).
        windows: the provider's fault windows; ``fault_windows(seed, days)`` by default.

    Returns:
        The :class:`RunResult`.
    """
    cfg = cfg or CapstoneConfig()
    out = Path(out_dir) if out_dir is not None else default_dir(cfg.seed, cfg.scale, cfg.days)
    params = {"config": asdict(cfg), "simulation": True}
    done = out / "results.jsonl"
    if reuse and done.exists() and (out / "params.json").exists():
        saved = json.loads((out / "params.json").read_text())
        if saved.get("config") == params["config"]:
            return load(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t_wall = time.perf_counter()
    defects = Defects.for_seed(cfg.seed, cfg.days, cfg.planted) if cfg.planted else Defects.none()
    requests = build_traffic(cfg)
    windows = fault_windows(cfg.seed, cfg.days) if windows is None else list(windows)
    route_rng = random.Random(f"capstone-routes-{cfg.seed}")
    routes = [ROUTES[1] if route_rng.random() < cfg.api_share else ROUTES[0] for _ in requests]
    clock = ServingClock(START)
    tr = tracing.setup(out / "traces.sqlite", sample_rate=1.0, clock=clock, service_name="capstone-rag")
    rag = RagApp(config=RagConfig(k=cfg.k, max_tokens=cfg.max_tokens))
    server = llm.server() if llm.backend() == "embedded" else None
    upstream = server.root_url if server else llm.base_url().removesuffix("/v1")
    outcomes: list[Outcome] = []
    proxy = FaultProxy(upstream, FaultSchedule(windows), timeout_hold_s=cfg.client_timeout_s + 1.0).start()
    try:
        service = CapstoneService(cfg, rag, proxy.url, defects=defects, workdir=out, clock_ns=clock)
        service.input_layer.warm_up()
        bar = _progress(len(requests), progress)
        for req, route in zip(requests, routes, strict=True):
            clock.catch_up(int(START.timestamp() * 1e9 + req.ts * 1e9))
            o = service.handle(req, route)
            outcomes.append(o)
            if on_outcome:
                on_outcome(o)
            bar(o)
        tr.flush()
    finally:
        proxy.stop()
        tracing.shutdown()
    salt = secrets.token_hex(8)
    params.update({
        "requests": len(requests), "fault_windows": [asdict(w) for w in windows],
        "defects_sealed": defects.sealed(salt), "salt": salt, "start": START.isoformat(),
        "model": llm.model_for("chat"), "backend": llm.backend(),
    })
    (out / "params.json").write_text(json.dumps(params, indent=2))
    with done.open("w") as f:
        for o in outcomes:
            f.write(json.dumps(asdict(o)) + "\n")
    (out / "faults.json").write_text(json.dumps(proxy.injected))
    result = RunResult(out, params, outcomes, dict(proxy.injected), time.perf_counter() - t_wall)
    (out / "wall.json").write_text(json.dumps({"wall_s": result.wall_s}))
    return result


def load(out_dir: str | Path) -> RunResult:
    """Load a finished run from its directory."""
    out = Path(out_dir)
    if not (out / "results.jsonl").exists():
        raise FileNotFoundError(f"{out} holds no finished capstone run; run `labkit capstone run` first")
    params = json.loads((out / "params.json").read_text())
    fields = {f.name for f in dataclasses.fields(Outcome)}
    outcomes = [Outcome(**{k: v for k, v in json.loads(line).items() if k in fields})
                for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    faults = json.loads((out / "faults.json").read_text()) if (out / "faults.json").exists() else {}
    wall = json.loads((out / "wall.json").read_text())["wall_s"] if (out / "wall.json").exists() else 0.0
    return RunResult(out, params, outcomes, faults, wall)


def _progress(total: int, show: bool) -> Callable[[Outcome], None]:
    if not show:
        return lambda o: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="simulated week", unit="req")

    def step(o: Outcome) -> None:
        bar.update(1)
        bar.set_postfix_str(f"day {o.day} {o.status}", refresh=False)
        if bar.n >= total:
            bar.close()

    return step
