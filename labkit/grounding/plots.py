"""Plots for grounding measurements (matplotlib is imported inside each function)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labkit.grounding import evaluate


def roc_and_pr(scores: Mapping[str, Sequence[float]], labels: Sequence[bool], title: str = "") -> Any:
    """ROC curves (supported vs unsupported) and precision/recall of *blocking* unsupported answers.

    Args:
        scores: support scores by scorer name (higher = supported).
        labels: True for supported answers.
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    y = np.asarray(labels, dtype=bool)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, values in scores.items():
        s = np.asarray(values, dtype=float)
        fpr, tpr, _ = roc_curve(y, s)
        ax1.plot(fpr, tpr, label=f"{name} ({evaluate.auroc(s, y):.2f})")
        prec, rec, _ = precision_recall_curve(~y, -s)
        ax2.plot(rec, prec, label=name)
    ax1.plot([0, 1], [0, 1], ":", color="grey")
    ax1.set(xlabel="unsupported answers passed as supported (FPR)", ylabel="supported answers recognised (TPR)",
            title="ROC (AUROC in brackets)")
    ax2.axhline(float((~y).mean()), ls=":", color="grey", label="share unsupported (chance)")
    ax2.set(xlabel="recall: unsupported answers blocked", ylabel="precision of blocking", title="Blocking bad answers")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def threshold_tradeoff(scores: Sequence[float], labels: Sequence[bool], threshold: float | None = None,
                       *, title: str = "The guard's trade-off") -> Any:
    """Share of good answers blocked and of bad answers passed, as the blocking threshold moves.

    Args:
        scores: support scores.
        labels: True for supported answers.
        threshold: a threshold to mark with a vertical line.
        title: axes title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    cuts = np.linspace(0, 1, 101)
    pts = evaluate.threshold_curve(scores, labels, list(cuts))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(cuts, [p.blocked_good for p in pts], label="good answers blocked")
    ax.plot(cuts, [p.passed_bad for p in pts], label="bad answers passed")
    ax.plot(cuts, [p.precision for p in pts], ":", label="precision of a block")
    if threshold is not None:
        ax.axvline(threshold, color="black", lw=1)
    ax.set(xlabel="block when support score < threshold", ylabel="share", title=title, ylim=(0, 1.02))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def score_histograms(values: Sequence[float], labels: Sequence[bool], xlabel: str, *, title: str = "") -> Any:
    """Overlaid histograms of one score for supported and unsupported items."""
    import matplotlib.pyplot as plt

    v = np.asarray(values, dtype=float)
    y = np.asarray(labels, dtype=bool)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bins = np.linspace(float(v.min()), float(v.max()) + 1e-9, 25).tolist()
    ax.hist(v[y], bins=bins, alpha=0.6, label="supported")
    ax.hist(v[~y], bins=bins, alpha=0.6, label="contradicted / unsupported")
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
