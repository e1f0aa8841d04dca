"""The learned grounding combiner (labkit.grounding.learned): fitting, selection and the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.grounding import learned, samples

NAMES = tuple(dict.fromkeys(f for names in learned.FEATURE_SETS.values() for f in names))


def _synthetic(n: int = 160, seed: int = 0) -> tuple[list[dict[str, float]], list[bool], list[str], list[str]]:
    """Two sources: in "a" only token support tells the classes apart, in "b" only the numeric check."""
    rng = np.random.default_rng(seed)
    rows, labels, sources, groups = [], [], [], []
    for i in range(n):
        y, src = bool(i % 2), "a" if i < n // 2 else "b"
        row = {f: float(rng.random()) for f in NAMES}
        if src == "a":
            row["token_support.share"] = float(rng.normal(0.8 if y else 0.4, 0.1))
        else:
            row["numeric.score"] = float(rng.normal(0.9 if y else 0.2, 0.1))
            row["string_checks.logit"] = float(rng.normal(2 if y else -2, 1))
        rows.append(row)
        labels.append(y)
        sources.append(src)
        groups.append(f"g{i // 4}")
    return rows, labels, sources, groups


def test_selection_keeps_the_features_every_source_needs() -> None:
    rows, labels, sources, groups = _synthetic()
    model = learned.fit_and_select(rows, labels, sources=sources, groups=groups)
    chosen = model.fitted["chosen"]
    # Token support alone cannot separate source "b": the worst-source criterion must reject it.
    assert chosen["features"] != "token support"
    assert min(chosen["cv_auroc"].values()) > 0.8
    good = {f: 0.5 for f in NAMES} | {"token_support.share": 0.8, "numeric.score": 0.9, "string_checks.logit": 2.0}
    bad = good | {"numeric.score": 0.2, "string_checks.logit": -2.0}
    assert model.predict(good) > model.predict(bad)
    assert len(model.fitted["grid"]) == 2 * len(learned.FEATURE_SETS) * len(learned.C_GRID)


def test_groups_never_straddle_folds() -> None:
    groups = [f"g{i // 3}" for i in range(60)]
    fold = learned._folds(groups)
    for g in set(groups):
        assert len({int(f) for f, h in zip(fold, groups, strict=True) if h == g}) == 1
    assert len(set(fold.tolist())) == learned.FOLDS


def test_sources_weigh_the_same_whatever_their_size() -> None:
    y = np.array([True, False, False, False, True, False])
    w = learned._weights(["big", "big", "big", "big", "small", "small"], y)
    assert w[:4].sum() == pytest.approx(w[4:].sum())
    assert w[0] == pytest.approx(w[1:4].sum())


def test_shipped_combiner_was_fitted_on_train_rows_only() -> None:
    model = learned.default()
    assert set(model.features) <= set(NAMES)
    assert len(model.coef) == len(model.mean) == len(model.scale) == len(model.features)
    fitted_rows = model.fitted["rows"]
    train = samples.train_sets()
    assert fitted_rows == {name: len(rows) for name, rows in train.items()}
    # No train row's passage is a test row's passage (the splits are by topic, page and question).
    for name, rows in samples.bench_sets({n: 10_000 for n in train}).items():
        assert not {r["context"] for r in rows} & {r["context"] for r in train[name]}, name
    with pytest.raises(ValueError, match="feature_row"):
        model.predict({})


def test_shipped_combiner_rewards_support() -> None:
    model = learned.default()
    base = dict(zip(model.features, model.mean, strict=True))
    if "token_support.share" in base:
        assert model.predict(base | {"token_support.share": 1.0}) > model.predict(base | {"token_support.share": 0.0})
    assert model.predict(base | {"numeric.score": 0.0}) <= model.predict(base | {"numeric.score": 1.0}) + 1e-9
