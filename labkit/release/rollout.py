"""Ship a candidate release over simulated traffic: shadow, canary, full rollout, automatic rollback.

**This is a simulation.** The requests (their times and users) come from :func:`labkit.traffic.simulate`;
what each release does with a request (fails, how long it takes, whether its answer is grounded) is
drawn from the release's :class:`Variant` parameters, not from a model. Every parameter is kept in
the result's ``params``.

The stages of a :class:`Plan`, from ``release_day``:

* **shadow** (``shadow_hours``): the stable release serves every request; the candidate also answers a
  ``shadow_share`` of them, is scored, and nobody sees its answers;
* **canary** (``canary_hours``): the candidate serves the users in a ``canary_share`` (sticky per user,
  so a user sees one release), the stable release the rest;
* **full**: the candidate serves everyone.

From the release on, the candidate's own events feed its SLOs' burn-rate alerts
(:mod:`labkit.release.slo`), and, while the stable release still serves others, an online eval
compares the two on the same hours: the candidate's judged groundedness against the stable
release's, with Wilson intervals. Either breach rolls the candidate back (``auto_rollback``) after
``rollback_minutes``; from then on the stable release serves everyone.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit.evals.online import in_sample
from labkit.guardrails.evaluate import wilson
from labkit.release.slo import BUCKET_HOURS, PAGE_RULES, SLO, Alert, BurnRule, EventCounts, check
from labkit.traffic import Request

LATENCY_THRESHOLD_S = 3.0
SLOS = (SLO("availability", 0.995, "answered without an error"),
        SLO("latency", 0.95, f"answered within {LATENCY_THRESHOLD_S:g} s (p95 <= {LATENCY_THRESHOLD_S:g} s)"),
        SLO("groundedness", 0.97, "a judged answer is grounded in its sources"))


@dataclass(frozen=True)
class Variant:
    """A release (prompt version + model version) and how it behaves, in the simulation.

    Attributes:
        prompt_version / model_version: what the spans of its requests carry.
        error_rate: chance a request fails.
        latency_median_s / latency_sigma: latency is log-normal with this median and log-sd.
        grounded: chance an answer is grounded.
        grounded_by_tag: ``(tag, chance)`` pairs overriding ``grounded`` for requests with that tag
            (e.g. ``(("launch", 0.15),)``: it answers questions about the launch without sources).
    """

    prompt_version: str
    model_version: str = "smollm2-135m-instruct"
    error_rate: float = 0.002
    latency_median_s: float = 1.2
    latency_sigma: float = 0.35
    grounded: float = 0.985
    grounded_by_tag: tuple[tuple[str, float], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.prompt_version}@{self.model_version}"

    def grounded_rate(self, tags: Sequence[str]) -> float:
        """The chance an answer to a request with these tags is grounded."""
        return next((p for tag, p in self.grounded_by_tag if tag in tags), self.grounded)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    latency_s: float
    grounded: bool


def outcome(variant: Variant, request: Request, seed: int) -> Outcome:
    """What ``variant`` does with ``request``: the same draw for the same (seed, request, variant)."""
    rng = random.Random(f"{seed}|{request.id}|{variant.name}")
    ok = rng.random() >= variant.error_rate
    latency = variant.latency_median_s * math.exp(variant.latency_sigma * rng.gauss(0.0, 1.0))
    return Outcome(ok, latency, ok and rng.random() < variant.grounded_rate(request.tags))


@dataclass(frozen=True)
class Plan:
    """How a candidate is shipped. ``shadow_hours=0, canary_share=0`` ships it to everyone at once.

    Attributes:
        release_day: when the release starts (days since the start of the week).
        shadow_hours / shadow_share: how long it runs in shadow, on which share of requests.
        canary_share / canary_hours: the share of users it serves as a canary, and for how long.
        judge_rate: share of served answers the online eval judges (stable, or candidate at full rollout).
        candidate_judge_rate: share of shadow and canary answers judged (they are few, so judge more).
        auto_rollback: roll back on the first alert.
        rollback_minutes: from the alert to the stable release serving again.
        compare_hours / compare_min_n: the online eval's trailing window and the judged answers each
            release needs in it before the comparison may fire.
    """

    release_day: float = 3.25
    shadow_hours: float = 3.0
    shadow_share: float = 1.0
    canary_share: float = 0.05
    canary_hours: float = 24.0
    judge_rate: float = 0.1
    candidate_judge_rate: float = 1.0
    auto_rollback: bool = True
    rollback_minutes: float = 5.0
    compare_hours: float = 3.0
    compare_min_n: int = 20

    def __post_init__(self) -> None:
        shares = (self.shadow_share, self.canary_share, self.judge_rate, self.candidate_judge_rate)
        if not all(0 <= s <= 1 for s in shares):
            raise ValueError("Plan: shadow_share, canary_share, judge_rate and candidate_judge_rate must be in [0, 1]")
        if min(self.release_day, self.shadow_hours, self.canary_hours, self.rollback_minutes) < 0:
            raise ValueError("Plan: release_day, shadow_hours, canary_hours and rollback_minutes must be >= 0")

    def stage(self, hours: float) -> str:
        """The planned stage at virtual hour ``hours``: before, shadow, canary or full."""
        t = hours - self.release_day * 24
        if t < 0:
            return "before"
        if t < self.shadow_hours:
            return "shadow"
        if self.canary_share > 0 and t < self.shadow_hours + self.canary_hours:
            return "canary"
        return "full"


def ship_at_once(plan: Plan) -> Plan:
    """The same release with no shadow and no canary: the candidate serves everyone from ``release_day``."""
    return dataclasses.replace(plan, shadow_hours=0.0, canary_share=0.0)


@dataclass
class ReleaseRun:
    """What happened to one release on one simulated week.

    Attributes:
        candidate / stable: the two releases' names.
        onset_hours: when the planted regression starts (virtual hours).
        alert: the first page (None: none fired); ``trigger`` says which check fired.
        rollback_hours: when the stable release served everyone again (None: never).
        hours_to_alert / hours_to_rollback: from the onset (None when it did not happen).
        users_active: users with at least one request in the week.
        users_exposed: users served by the candidate at or after the onset.
        exposed_share: ``users_exposed / users_active``.
        requests_exposed / ungrounded_served: candidate answers served after the onset, and the
            ungrounded ones among them.
        stage_at_alert: the stage the release was in when the alert fired.
        params: everything that shaped the run.
    """

    candidate: str
    stable: str
    onset_hours: float
    alert: Alert | None
    trigger: str | None
    rollback_hours: float | None
    hours_to_alert: float | None
    hours_to_rollback: float | None
    users_active: int
    users_exposed: int
    exposed_share: float
    requests_exposed: int
    ungrounded_served: int
    stage_at_alert: str | None
    params: dict[str, Any] = field(default_factory=dict)


def compare_online(cand: EventCounts, stable: EventCounts, end_hours: float, *, hours: float,
                   min_n: int) -> Alert | None:
    """The online eval's check: the candidate's judged groundedness is below the stable release's
    on the same trailing ``hours`` (the Wilson intervals do not overlap), with ``min_n`` judged each."""
    bad_c, n_c = cand.window(end_hours, hours)
    bad_s, n_s = stable.window(end_hours, hours)
    if min(n_c, n_s) < min_n:
        return None
    _, cand_high = wilson(n_c - bad_c, n_c)
    stable_low, _ = wilson(n_s - bad_s, n_s)
    if cand_high < stable_low:
        return Alert("groundedness", f"online eval: candidate below stable over {hours:g}h", end_hours,
                     {"candidate grounded": round(1 - bad_c / n_c, 3), "stable grounded": round(1 - bad_s / n_s, 3)})
    return None


def run_release(traffic: Sequence[Request], stable: Variant, candidate: Variant, *, plan: Plan,
                onset_hours: float, seed: int = 0, slos: Sequence[SLO] = SLOS,
                rules: tuple[BurnRule, ...] = PAGE_RULES) -> ReleaseRun:
    """Ship ``candidate`` over ``traffic`` as ``plan`` says; measure alert, rollback and exposure.

    Args:
        traffic: the week's requests in time order (``labkit.traffic.simulate``).
        stable: the release serving before.
        candidate: the release being shipped.
        plan: its stages, judging rates and rollback policy.
        onset_hours: when the planted regression starts acting (exposure is counted from here).
        seed: seeds every simulated outcome.
        slos: the objectives watched (availability, latency, groundedness).
        rules: the burn-rate alert rules.

    Returns:
        A :class:`ReleaseRun`.
    """
    if not traffic:
        raise ValueError("no requests: pass the week from labkit.traffic.simulate(...)")
    hours_total = traffic[-1].ts / 3600 + 1.0
    by_name = {s.name: s for s in slos}
    watched = {name: EventCounts(hours_total) for name in by_name}
    stable_judged = EventCounts(hours_total)
    release_h = plan.release_day * 24
    alert: Alert | None = None
    trigger = stage_at_alert = None
    rollback_h: float | None = None
    next_tick = (math.floor(release_h / BUCKET_HOURS) + 1) * BUCKET_HOURS
    active, exposed = set(), set()
    requests_exposed = ungrounded = 0

    def evaluate(now: float) -> None:
        nonlocal alert, trigger, stage_at_alert, rollback_h
        found = next((a for a in (check(by_name[n], watched[n], now, rules=rules) for n in by_name) if a), None)
        kind = "slo"
        if found is None and plan.stage(now - 1e-9) in ("shadow", "canary"):
            found, kind = compare_online(watched["groundedness"], stable_judged, now, hours=plan.compare_hours,
                                         min_n=plan.compare_min_n), "online_eval"
        if found is not None:
            alert, trigger, stage_at_alert = found, kind, plan.stage(now - 1e-9)
            if plan.auto_rollback:
                rollback_h = now + plan.rollback_minutes / 60

    for r in traffic:
        h = r.ts / 3600
        active.add(r.user)
        while alert is None and h >= next_tick and rollback_h is None:
            if next_tick > release_h:
                evaluate(next_tick)
            next_tick += BUCKET_HOURS
        stage = "rolled_back" if rollback_h is not None and h >= rollback_h else plan.stage(h)
        serves_candidate = stage == "full" or (stage == "canary" and in_sample(r.user, plan.canary_share, "canary"))
        scored = serves_candidate or (stage == "shadow" and in_sample(r.id, plan.shadow_share, "shadow"))
        if not serves_candidate and in_sample(r.id, plan.judge_rate, "judge"):
            served = outcome(stable, r, seed)
            if served.ok:
                stable_judged.add(h, served.grounded)
        if not scored:
            continue
        out = outcome(candidate, r, seed)
        watched["availability"].add(h, out.ok)
        if out.ok:
            watched["latency"].add(h, out.latency_s <= LATENCY_THRESHOLD_S)
        rate = plan.judge_rate if stage == "full" else plan.candidate_judge_rate
        if out.ok and in_sample(r.id, rate, "judge-candidate"):
            watched["groundedness"].add(h, out.grounded)
        if serves_candidate and h >= onset_hours:
            exposed.add(r.user)
            requests_exposed += 1
            ungrounded += 0 if out.grounded else 1
    return ReleaseRun(
        candidate=candidate.name, stable=stable.name, onset_hours=onset_hours, alert=alert, trigger=trigger,
        rollback_hours=rollback_h, hours_to_alert=None if alert is None else round(alert.hours - onset_hours, 3),
        hours_to_rollback=None if rollback_h is None else round(rollback_h - onset_hours, 3),
        users_active=len(active), users_exposed=len(exposed), exposed_share=len(exposed) / max(len(active), 1),
        requests_exposed=requests_exposed, ungrounded_served=ungrounded, stage_at_alert=stage_at_alert,
        params={"simulation": True, "plan": dataclasses.asdict(plan), "stable": dataclasses.asdict(stable),
                "candidate": dataclasses.asdict(candidate), "onset_hours": onset_hours, "seed": seed,
                "slos": [dataclasses.asdict(s) for s in slos], "rules": [dataclasses.asdict(x) for x in rules],
                "latency_threshold_s": LATENCY_THRESHOLD_S})
