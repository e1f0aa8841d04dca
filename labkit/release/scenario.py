"""The course's release week: a prompt change that passes its shadow run and then breaks on new traffic.

**This is a simulation** (see :mod:`labkit.release.rollout`). On Thursday at 06:00 the candidate
prompt ``v3-helpful`` is released; it answers like the stable ``v1-grounded`` on the usual questions.
At noon a product launch (:class:`labkit.traffic.Launch`) brings questions the knowledge base does
not cover: the stable prompt abstains on them (a grounded answer), the candidate makes answers up.
That is the planted regression, and the launch is its onset. The same week is shipped twice: through
shadow and a canary (:data:`CANARY`), and to everyone at once (:func:`ship_at_once`), with the same
alerts and the same automatic rollback.

    >>> from labkit import release
    >>> result = release.release_week(seed=0)
    >>> result.table()                 # hours to alert and rollback, users exposed, per arm
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labkit import traffic
from labkit.release.rollout import Plan, ReleaseRun, Variant, run_release, ship_at_once

STABLE = Variant("v1-grounded")
REGRESSED = Variant("v3-helpful", grounded_by_tag=(("launch", 0.15),))
CANARY = Plan()
LAUNCH_DAY = 3.5
SCALE = 10.0
USERS = 2000


def week(seed: int = 0, *, scale: float = SCALE, launch: bool = True) -> traffic.Traffic:
    """The simulated week: base traffic for ``USERS`` users and (by default) the launch at ``LAUNCH_DAY``.

    Args:
        seed: the traffic's seed.
        scale: multiplies the load (``SCALE`` gives about 44,000 requests).
        launch: include the launch (False: the same week without it).
    """
    events = [traffic.Launch(day=LAUNCH_DAY, share=0.4, ramp_hours=2.0)] if launch else []
    return traffic.simulate(days=7, seed=seed, scale=scale, events=events,
                            config=traffic.TrafficConfig(users=USERS))


@dataclass
class WeekResult:
    """Both arms on one week: ``canary`` (shadow, canary, rollback) and ``at_once`` (no canary)."""

    canary: ReleaseRun
    at_once: ReleaseRun
    traffic_params: dict[str, Any]

    def table(self) -> Any:
        """One row per arm: stage and check that fired, hours to alert and rollback, exposure."""
        import pandas as pd

        rows = {}
        for arm, run in (("shadow + canary", self.canary), ("no canary", self.at_once)):
            rows[arm] = {"alert fired by": None if run.alert is None else f"{run.trigger}: {run.alert.slo}",
                         "stage at alert": run.stage_at_alert, "hours to alert": run.hours_to_alert,
                         "hours to rollback": run.hours_to_rollback, "users exposed": run.users_exposed,
                         "share of users exposed": round(run.exposed_share, 4),
                         "ungrounded answers served": run.ungrounded_served}
        return pd.DataFrame(rows).T


def release_week(seed: int = 0, *, candidate: Variant = REGRESSED, plan: Plan = CANARY,
                 scale: float = SCALE, launch: bool = True) -> WeekResult:
    """Ship ``candidate`` on the simulated week with ``plan`` and at once; onset = the launch.

    Args:
        seed: seeds the traffic and every outcome.
        candidate: the release shipped (default the regressed ``v3-helpful``; ``STABLE`` for a no-op release).
        plan: the canary arm's plan (the other arm is :func:`ship_at_once` of it).
        scale: the traffic's load multiplier.
        launch: whether the launch (the regression's trigger) happens.

    Returns:
        A :class:`WeekResult`.
    """
    w = week(seed, scale=scale, launch=launch)
    onset = LAUNCH_DAY * 24
    arms = {name: run_release(w, STABLE, candidate, plan=p, onset_hours=onset, seed=seed)
            for name, p in (("canary", plan), ("at_once", ship_at_once(plan)))}
    return WeekResult(arms["canary"], arms["at_once"], w.params)
