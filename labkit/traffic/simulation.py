"""The simulation: Poisson arrivals that follow the day, Zipf-popular questions from tenant-aware users,
paraphrases and retries, and every event applied in order, each on its own random streams."""

from __future__ import annotations

import dataclasses
import random
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from labkit.traffic.base import Context, Draft, TrafficConfig, User
from labkit.traffic.clock import DEFAULT_START, HOUR, VirtualClock
from labkit.traffic.events import Event
from labkit.traffic.requests import Request, Traffic


def _stream(seed: int, *keys: object) -> random.Random:
    """An independent random stream for (seed, keys): the same keys always give the same draws."""
    return random.Random("|".join(str(k) for k in (seed, *keys)))


def _arrivals(rng: np.random.Generator, rate: Any, t_end: float, rate_max: float) -> np.ndarray:
    """Arrival hours of a Poisson process with intensity ``rate(h)`` <= ``rate_max`` on [0, t_end), by thinning."""
    if rate_max <= 0:
        return np.zeros(0)
    n = rng.poisson(rate_max * t_end)
    t = np.sort(rng.uniform(0.0, t_end, n))
    keep = rng.uniform(0.0, rate_max, n) < np.array([rate(h) for h in t])
    return t[keep]


def _users(seed: int, cfg: TrafficConfig, tenants: Sequence[str]) -> tuple[list[User], np.ndarray]:
    rng = _stream(seed, "users")
    customers = [t for t in tenants if t != "shared"]
    users = []
    for i in range(cfg.users):
        tenant = rng.choice(customers) if customers and rng.random() < cfg.customer_share else "shared"
        users.append(User(f"u-{i:04d}", tenant))
    activity = np.array([1.0 / (rank + 1) ** 0.7 for rank in range(cfg.users)])  # a few heavy users
    rng.shuffle(users)
    return users, activity / activity.sum()


def _question_weights(seed: int, questions: list[dict[str, Any]], zipf: float) -> np.ndarray:
    order = list(range(len(questions)))
    _stream(seed, "popularity").shuffle(order)
    w = np.empty(len(questions))
    for rank, i in enumerate(order):
        w[i] = 1.0 / (rank + 1) ** zipf
    return w


def simulate(days: float = 7.0, seed: int = 0, scale: float = 1.0, *, events: Sequence[Event] = (),
             questions: list[dict[str, Any]] | None = None, config: TrafficConfig | None = None,
             start: str = DEFAULT_START) -> Traffic:
    """Simulate ``days`` of user requests. Deterministic for a seed.

    Args:
        days: virtual days to simulate (> 0).
        seed: the random seed.
        scale: multiplies the load (0.1 gives a tenth of the requests; the mix is unchanged).
        events: :class:`Event` objects (launches, spikes, shifts, tags...) applied in order.
        questions: the golden questions (dicts with ``id``, ``question``, ``tenant``); the data spine's
            ``data.records("golden")`` by default.
        config: the base traffic (:class:`TrafficConfig`).
        start: the wall-clock moment of virtual second 0 (a Monday by default).

    Returns:
        A :class:`Traffic` (a list of :class:`Request` in time order) with ``.params``.
    """
    if not days > 0:
        raise ValueError(f"days must be > 0, got {days}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    cfg = config or TrafficConfig()
    events = list(events)
    for ev in events:
        if not isinstance(ev, Event):
            raise TypeError(f"events must be labkit.traffic.Event objects (Launch(...), Spike(...)), got {ev!r}")
    names = [ev.name for ev in events]
    if len(set(names)) != len(names):
        raise ValueError(f"event names key their random streams and must be unique; got {names} "
                         f"(pass name='...' to tell them apart)")
    if questions is None:
        from labkit import data

        questions = data.records("golden")
    questions = [q for q in questions if q.get("question")]
    if not questions:
        raise ValueError("no questions to simulate from; pass questions=[{'id', 'question', 'tenant'}, ...]")
    start_dt = VirtualClock(start).start
    weekday = start_dt.weekday()
    ctx = Context(questions, cfg)
    t_end = days * 24.0
    rate_max = cfg.rate_per_hour * scale * (1 + cfg.diurnal_amplitude) * max(1.0, cfg.weekend_factor)

    def base_rate(h: float) -> float:
        return cfg.rate(h, weekday) * scale

    # Arrivals: the base process, then each event's extra load on its own stream.
    arrivals: list[tuple[float, str, int]] = []
    base_t = _arrivals(np.random.default_rng([int(seed), 1]), base_rate, t_end, rate_max)
    arrivals += [(float(h), "base", j) for j, h in enumerate(base_t)]
    for ev in events:
        peak = max((ev.extra_rate(h, base_rate(h)) for h in np.arange(0, t_end, 0.25)), default=0.0)
        if peak > 0:
            ev_rng = np.random.default_rng([int(seed), 2, zlib.crc32(ev.name.encode())])
            ev_t = _arrivals(ev_rng, lambda h, ev=ev: ev.extra_rate(h, base_rate(h)), t_end, peak * 1.05)
            arrivals += [(float(h), ev.name, j) for j, h in enumerate(ev_t)]
    arrivals.sort()

    users, activity = _users(int(seed), cfg, sorted({str(q.get("tenant", "shared")) for q in questions}))
    qweights = _question_weights(int(seed), questions, cfg.zipf)
    tenant_of = np.array([str(q.get("tenant", "shared")) for q in questions])
    pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tenant in set(tenant_of) | {"shared"}:
        idx = np.flatnonzero(tenant_of == tenant)
        pools[tenant] = (idx, np.cumsum(qweights[idx]) / qweights[idx].sum()) if idx.size else (idx, idx)
    user_cdf = np.cumsum(activity)
    last_asked: dict[str, tuple[float, Draft]] = {}
    by_name = {ev.name: ev for ev in events}
    out: list[Request] = []

    for h, origin, j in arrivals:
        rng = _stream(seed, origin, j)
        user = users[min(int(np.searchsorted(user_cdf, rng.random())), len(users) - 1)]
        draft = _base_draft(rng, user, ctx, pools, questions, cfg)
        previous = last_asked.get(user.id)
        if previous and h - previous[0] <= cfg.repeat_within_hours and rng.random() < cfg.repeat:
            draft = dataclasses.replace(previous[1], kind="repeat")
        if origin != "base":  # extra load: the event's own questions, or the usual mix tagged with its name
            ev = by_name[origin]
            draft = ev.author(_stream(seed, origin, "author", j), h, user, ctx=ctx) or draft
            if ev.name not in draft.tags:
                draft = dataclasses.replace(draft, tags=(*draft.tags, ev.name))
        else:
            for ev in events:  # an event may take this request over (topic shift, language...)
                s = ev.share_at(h)
                if s > 0 and _stream(seed, "share", ev.name, j).random() < s:
                    authored = ev.author(_stream(seed, ev.name, "author", j), h, user, ctx=ctx)
                    if authored is not None:
                        draft = authored
                        break
        for ev in events:
            draft = ev.transform(_stream(seed, ev.name, "transform", origin, j), h, draft, ctx=ctx)
        if draft.kind != "repeat":
            last_asked[user.id] = (h, draft)
        out.append(Request(id="", ts=h * HOUR, user=user.id, tenant=user.tenant, question=draft.question,
                           kind=draft.kind, source=draft.source, tags=draft.tags,
                           meta={**draft.meta, "arrival": f"{origin}:{j}"}))
    requests = [dataclasses.replace(r, id=f"r-{i:06d}") for i, r in enumerate(out, 1)]
    params = {"simulation": True, "generator": "labkit.traffic.simulate", "days": days, "seed": int(seed),
              "scale": scale, "start": start_dt.isoformat(), "questions": len(questions),
              "config": dataclasses.asdict(cfg), "events": [ev.params() for ev in events]}
    return Traffic(requests, params)


def _base_draft(rng: random.Random, user: User, ctx: Context, pools: dict[str, tuple[np.ndarray, np.ndarray]],
                questions: list[dict[str, Any]], cfg: TrafficConfig) -> Draft:
    tenant = user.tenant
    own = pools.get(tenant)
    use_own = tenant != "shared" and own is not None and own[0].size and rng.random() < cfg.tenant_question_share
    idx, cdf = own if use_own and own is not None else pools["shared"]
    if not idx.size:  # no shared questions at all: fall back to any question
        idx = np.arange(len(questions))
        cdf = np.cumsum(np.ones(len(idx))) / len(idx)
    q = questions[int(idx[min(int(np.searchsorted(cdf, rng.random())), len(idx) - 1)])]
    text, kind = q["question"], "golden"
    if rng.random() < cfg.paraphrase:
        text, kind = ctx.paraphrase(rng, text), "paraphrase"
    return Draft(text, kind, str(q.get("id", "")), (), {"golden_id": q.get("id"), "golden_kind": q.get("kind")})
