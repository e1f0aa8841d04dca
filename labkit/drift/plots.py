"""Pictures of drift monitoring: each detector's statistic and alerts over a week."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labkit.drift.windows import Trace


def plot_traces(traces: dict[str, Trace], onset: float | None = None, names: Sequence[str] | None = None,
                *, title: str = "") -> Any:
    """One small panel per detector: its statistic over the week, the alerts (red), the reference window
    (blue), nights (grey) and the drift onset (dashed). Detectors with a threshold on the statistic (PSI,
    AUC) show it as a dotted line; tests (KS, MMD) alert on their p-value, given in the panel title.

    Args:
        traces: from :func:`run_all` or :func:`monitor`.
        onset: drift onset in hours (None: no drift).
        names: which traces to draw (default: all).
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    keys = list(names or traces)
    missing = [k for k in keys if k not in traces]
    if missing:
        raise KeyError(f"no traces {missing}; have {list(traces)}")
    fig, axes = plt.subplots(len(keys), 1, figsize=(9, 1.5 * len(keys) + 0.7), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys, strict=True):
        tr = traces[key]
        end = float(tr.times.max()) if tr.times.size else tr.reference[1]
        for d in range(0, int(end) + 24, 24):
            ax.axvspan(d, d + 6, color="0.92", lw=0)
        ax.axvspan(*tr.reference, color="tab:blue", alpha=0.08, lw=0)
        ax.plot(tr.times, tr.statistic, lw=1.2, color="tab:blue")
        uses_p = not np.all(np.isnan(tr.p_value))
        if tr.threshold is not None and not uses_p:
            ax.axhline(tr.threshold, color="grey", lw=0.8, ls=":")
        ax.scatter(tr.times[tr.alert], tr.statistic[tr.alert], color="tab:red", s=10, zorder=3)
        if onset is not None:
            ax.axvline(onset, color="black", ls="--", lw=0.8)
        ax.set_title(f"{key} - alarm when {tr.rule}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("virtual hours since Monday 00:00 (blue: reference; grey: nights; dashed: onset; "
                           "red: alarm)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
