"""Cost, capacity planning and the per-token vs per-hour break-even.

:func:`plan_capacity` turns a measured load curve into replicas for a target load and p95;
:func:`break_even` compares paying per token with paying per machine-hour by volume.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.deploy.measure import LoadResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HOURS_PER_MONTH = 730.0


def cost_per_1k_hosted(input_tokens: float, output_tokens: float, *, input_usd_per_m: float,
                       output_usd_per_m: float) -> float:
    """USD per 1,000 requests when paying per token.

    Args:
        input_tokens / output_tokens: mean tokens per request.
        input_usd_per_m / output_usd_per_m: prices per million tokens.
    """
    if min(input_tokens, output_tokens, input_usd_per_m, output_usd_per_m) < 0:
        raise ValueError("token counts and prices must be >= 0")
    return 1000 * (input_tokens * input_usd_per_m + output_tokens * output_usd_per_m) / 1e6


def cost_per_1k_self_hosted(usd_per_hour: float, throughput_rps: float, utilisation: float = 1.0) -> float:
    """USD per 1,000 requests when paying per machine-hour.

    Args:
        usd_per_hour: what one replica costs per hour.
        throughput_rps: requests per second one replica completes at its operating point.
        utilisation: share of paid hours that carry that load (0..1]; idle hours cost the same.
    """
    if usd_per_hour < 0 or throughput_rps <= 0 or not 0 < utilisation <= 1:
        raise ValueError("need usd_per_hour >= 0, throughput_rps > 0 and 0 < utilisation <= 1")
    return 1000 * usd_per_hour / (throughput_rps * 3600 * utilisation)


@dataclass(frozen=True)
class CapacityPlan:
    """Replicas needed to carry ``target_rps`` with p95 latency under ``p95_target_s``."""

    target_rps: float
    p95_target_s: float
    replicas: int
    per_replica_rps: float
    concurrency: int
    p95_s: float
    headroom: float

    def describe(self) -> str:
        return (f"{self.replicas} replica(s): each run at concurrency {self.concurrency} "
                f"({self.per_replica_rps:.2f} req/s measured, p95 {self.p95_s:.2f} s <= {self.p95_target_s:.2f} s), "
                f"loaded to {self.headroom:.0%} of that for {self.target_rps:.2f} req/s in total")


def plan_capacity(curve: Sequence[LoadResult], target_rps: float, p95_target_s: float,
                  *, headroom: float = 0.7) -> CapacityPlan:
    """Replicas needed for a target load, from a load curve measured on one replica.

    The operating point is the measured concurrency with the highest throughput whose p95 stays
    under the target; each replica is planned at ``headroom`` of that throughput, so bursts and a
    replica being replaced do not push p95 over the line.

    Args:
        curve: :class:`LoadResult` at several concurrency levels, one replica.
        target_rps: total requests per second to carry.
        p95_target_s: the latency objective.
        headroom: planned share of measured throughput (0..1].

    Raises:
        ValueError: no measured point meets the p95 objective (message says what to change).
    """
    if target_rps <= 0 or p95_target_s <= 0 or not 0 < headroom <= 1:
        raise ValueError("need target_rps > 0, p95_target_s > 0 and 0 < headroom <= 1")
    ok = [r for r in curve if r.latencies_s and r.p95_s <= p95_target_s]
    if not ok:
        best = min((r.p95_s for r in curve if r.latencies_s), default=math.nan)
        raise ValueError(f"no measured concurrency meets p95 <= {p95_target_s:.2f} s (best p95 {best:.2f} s): "
                         f"shorten outputs, use a faster replica, or relax the objective")
    point = max(ok, key=lambda r: r.throughput_rps)
    replicas = max(1, math.ceil(target_rps / (point.throughput_rps * headroom)))
    return CapacityPlan(target_rps, p95_target_s, replicas, point.throughput_rps, point.concurrency, point.p95_s,
                        headroom)


@dataclass
class BreakEven:
    """Monthly cost of paying per token vs paying per replica-hour, by monthly request volume."""

    volumes: list[float]
    per_token_usd: list[float]
    per_hour_usd: list[float]
    break_even_volume: float | None
    replica_rps: float
    usd_per_hour: float
    cost_per_request_token: float


def _replica_monthly(volume: float, replica_rps: float, usd_per_hour: float, min_replicas: int,
                     peak_to_mean: float) -> float:
    peak_rps = volume / (HOURS_PER_MONTH * 3600) * peak_to_mean
    replicas = max(min_replicas, math.ceil(peak_rps / replica_rps - 1e-12))
    return replicas * usd_per_hour * HOURS_PER_MONTH


def _exact_break_even(per_request: float, usd_per_hour: float, replica_rps: float, min_replicas: int,
                      peak_to_mean: float) -> float | None:
    """The lowest monthly volume from which the replica staircase never rises above the per-token line."""
    if per_request <= 0:
        return None
    carry = replica_rps * HOURS_PER_MONTH * 3600 / peak_to_mean  # requests a replica carries per month, at peak
    month = usd_per_hour * HOURS_PER_MONTH
    if month / per_request >= carry:
        return None  # a replica costs more than the tokens it can carry: per token stays cheaper at any volume
    # Step k of the staircase spans ((k-1)*carry, k*carry] (step min_replicas starts at 0) and costs k*month.
    # It lies wholly under the line when k*month/per_request <= (k-1)*carry, true for every k >= first_full.
    first_full = max(min_replicas + 1, math.ceil(carry / (carry - month / per_request) - 1e-9))
    k = first_full - 1
    lower = 0.0 if k == min_replicas else (k - 1) * carry
    crossing = k * month / per_request
    return max(lower, crossing) if crossing <= k * carry else k * carry


def break_even(input_tokens: float, output_tokens: float, *, input_usd_per_m: float, output_usd_per_m: float,
               usd_per_hour: float, replica_rps: float, min_replicas: int = 1, peak_to_mean: float = 2.0,
               volumes: Sequence[float] | None = None) -> BreakEven:
    """Where paying per machine-hour becomes cheaper than paying per token.

    Per token, cost grows linearly with volume. Per hour, you pay for enough replicas to carry the
    *peak* (mean load times ``peak_to_mean``), at least ``min_replicas``, all month, busy or not — a
    staircase. The break-even is the lowest volume from which the staircase stays below the line
    (computed exactly, not read off the grid: just after each step the staircase can poke above).

    Args:
        input_tokens / output_tokens: mean tokens per request.
        input_usd_per_m / output_usd_per_m: per-token prices (per million).
        usd_per_hour: one replica's hourly price.
        replica_rps: requests per second one replica carries at its operating point (measure it).
        min_replicas: always-on replicas (2 for availability is common).
        peak_to_mean: how much busier the busiest hour is than the average.
        volumes: monthly request volumes for the curves (a log-spaced range 1e3..1e10 by default).

    Returns:
        :class:`BreakEven` (``break_even_volume`` None when paying per token stays cheaper at any volume).
    """
    if replica_rps <= 0 or usd_per_hour < 0 or min_replicas < 1 or peak_to_mean < 1:
        raise ValueError("need replica_rps > 0, usd_per_hour >= 0, min_replicas >= 1 and peak_to_mean >= 1")
    per_request = cost_per_1k_hosted(input_tokens, output_tokens, input_usd_per_m=input_usd_per_m,
                                output_usd_per_m=output_usd_per_m) / 1000
    if volumes is None:
        volumes = [10 ** (3 + i * 0.02) for i in range(0, 351)]
    vols = sorted(float(v) for v in volumes)
    if not vols or vols[0] <= 0:
        raise ValueError("volumes must be positive numbers")
    crossing = _exact_break_even(per_request, usd_per_hour, replica_rps, min_replicas, peak_to_mean)
    if crossing is not None and vols[0] <= crossing <= vols[-1]:
        vols = sorted({*vols, crossing})
    token_cost = [v * per_request for v in vols]
    hour_cost = [_replica_monthly(v, replica_rps, usd_per_hour, min_replicas, peak_to_mean) for v in vols]
    return BreakEven(vols, token_cost, hour_cost, crossing, replica_rps, usd_per_hour, per_request)


def plot_break_even(scenarios: dict[str, BreakEven], title: str = "Paying per token vs per replica-hour") -> Figure:
    """Log-log plot of monthly cost by volume; one per-token line and one staircase per scenario."""
    import matplotlib.pyplot as plt

    if not scenarios:
        raise ValueError("give at least one scenario, e.g. {'CPU VM': break_even(...)}")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    first = next(iter(scenarios.values()))
    ax.plot(first.volumes, first.per_token_usd, color="black", lw=2,
            label=f"per token (${first.cost_per_request_token * 1000:.3f} / 1k requests)")
    for (name, be), color in zip(scenarios.items(), ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=False):
        ax.step(be.volumes, be.per_hour_usd, where="post", color=color,
                label=f"{name}: ${be.usd_per_hour:.2f}/h, {be.replica_rps:.2g} req/s per replica")
        if be.break_even_volume:
            ax.axvline(be.break_even_volume, color=color, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("requests per month")
    ax.set_ylabel("USD per month")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig
