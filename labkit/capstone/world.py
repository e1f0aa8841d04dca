"""The capstone week's simulated world: who asks what and when, and when the provider misbehaves.

:func:`build_traffic` is ``labkit.traffic``'s simulation (with a product launch mid-week) plus attacks,
personal data and tenant probes; :func:`fault_windows` is the provider's schedule of outages, rate
limits, malformed output and timeouts, injected by the real HTTP fault proxy
(:mod:`labkit.capstone.faults`). :func:`labkit.capstone.week.run_week` drives both into the service a
learner assembled. Everything here is a SIMULATION and is recorded in the run's ``run.json``.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from labkit import data, traffic
from labkit.capstone.faults import FaultWindow
from labkit.capstone.plan import DAY_S

ROUTES = ("/v1/chat", "/v1/api/ask")
START = datetime(2025, 10, 20, tzinfo=UTC)  # a Monday; the knowledge base is dated 2025-10-20
# The default week (run_week's scale 1.0) is labkit.traffic's base load times this: about 185 requests over
# 7 days. Each answered request is one model call, so this sizes the week's wall time (under 5 minutes
# on 2 cores: bench/bench_capstone.py).
DEFAULT_SCALE = 0.03
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
    """The traffic of one simulated week.

    Attributes:
        days: virtual days to simulate.
        seed: decides the traffic and the fault schedule.
        scale: traffic volume relative to ``labkit.traffic``'s base load (1.0 is ~4,000 requests a week).
        attack_share: share of extra requests that are jailbreak / injection attempts.
        pii_share: share of extra requests that carry personal data.
    """

    days: float = 7.0
    seed: int = 0
    scale: float = DEFAULT_SCALE
    attack_share: float = 0.06
    pii_share: float = 0.04

    def __post_init__(self) -> None:
        if not 0 < self.days <= 14:
            raise ValueError(f"days must be in (0, 14], got {self.days}")
        if not 0 < self.scale <= 5:
            raise ValueError(f"scale must be in (0, 5], got {self.scale}")
        for name in ("attack_share", "pii_share"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


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


def _extra(rng: random.Random, kind: str, ts: float, attacks: list[str], users: list[str]) -> Any:
    """One attack or one request that carries personal data, from a shared-tenant user at ``ts``."""
    question = rng.choice(attacks) if kind == "attack" else rng.choice(PII_TEMPLATES)
    return traffic.Request(id="", ts=ts, user=rng.choice(users), tenant="shared", question=question, kind=kind,
                           source="capstone", tags=(kind,))


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
        kind = "attack" if rng.random() < cfg.attack_share / (cfg.attack_share + cfg.pii_share) and attacks else "pii"
        extra.append(_extra(rng, kind, ts, attacks, users))
    for kind, share in (("attack", cfg.attack_share if attacks else 0.0), ("pii", cfg.pii_share)):
        if share > 0 and not any(r.kind == kind for r in extra):  # a small week still gets one of each
            extra.append(_extra(rng, kind, rng.uniform(0, cfg.days * DAY_S), attacks, users))
    for day in range(int(cfg.days)):
        for probe in TENANT_PROBES:  # every tenant asks about its own contract on most days
            for tenant in rng.sample(tenants, 2):
                extra.append(traffic.Request(id="", ts=day * DAY_S + rng.uniform(8, 18) * HOUR_S,
                                             user=f"u-{tenant}-{rng.randint(1, 3)}", tenant=tenant, question=probe,
                                             kind="tenant_probe", source="capstone", tags=("tenant",)))
    merged = sorted([*base, *extra], key=lambda r: r.ts)
    return [dataclasses.replace(r, id=f"r-{i + 1:05d}") for i, r in enumerate(merged)]
