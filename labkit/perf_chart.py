"""Where the money and the time go: the cost-latency calculator's live chart (:class:`labkit.perf.CostLatencyDemo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.perf import Projection


def projection_figure(p: Projection) -> Any:
    """Two panels: monthly dollars per route split into input and output tokens, and each route's mean latency
    against the mix's p50 and p95.

    Args:
        p: a projection from :func:`labkit.perf.project` (with its per-route breakdown).

    Returns:
        The matplotlib figure (not shown).
    """
    import matplotlib.pyplot as plt

    if not p.usd_by_route:
        raise ValueError("this projection has no per-route breakdown; make it with labkit.perf.project")
    routes = list(p.usd_by_route)
    fig, (money, lat) = plt.subplots(1, 2, figsize=(10, 3.2))
    ins = [p.usd_by_route[r][0] for r in routes]
    outs = [p.usd_by_route[r][1] for r in routes]
    money.barh(routes, ins, label="input tokens")
    money.barh(routes, outs, left=ins, label="output tokens")
    money.set_xlabel("$ per month")
    money.set_title(f"${p.monthly_usd:,.0f} a month")
    money.legend(loc="lower right", fontsize=8)
    lat.barh(routes, [p.latency_by_route[r] for r in routes], color="grey")
    for value, style, name in ((p.latency_p50_s, "-", "p50"), (p.latency_p95_s, "--", "p95")):
        lat.axvline(value, color="black", linestyle=style, label=f"mix {name} {value:.2f} s")
    lat.set_xlabel("mean seconds a request (simulated mix: lines)")
    lat.set_title("latency by route")
    lat.legend(loc="lower right", fontsize=8)
    for ax, shares in ((money, True), (lat, False)):
        ax.set_yticks(range(len(routes)), [f"{r} ({p.share[r]:.0%})" if shares else r for r in routes])
    fig.tight_layout()
    return fig


def show_projection(p: Projection) -> None:
    """Draw :func:`projection_figure` into the current output (a notebook cell or a widget's Output) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = projection_figure(p)
    display(fig)
    plt.close(fig)
