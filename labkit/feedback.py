"""Feedback loops: thumbs-down feedback that grows the regression set, and the popularity loop
("what gets shown gets clicked gets shown") - simulated, detected and broken.

* :class:`RegressionSet` turns each thumbs-down into a regression case, merging repeats and (with an
  embedder) paraphrases of the same question, counting votes, and exporting cases in the golden-set
  format with ``status="needs_label"`` until someone writes the reference answer.
* :func:`simulate_feedback` is a **simulation** of users' thumbs: given whether each answer was good,
  users rate a share of answers, mostly down when bad and rarely down when good.
* :func:`simulate_popularity_loop` is a **simulation** of a "suggested articles" panel ranked by clicks.
  Items shown get clicks, clicks push them up, and items never shown never get the clicks that would
  reveal them - the loop. A small randomised *holdout* (users shown a random order, their clicks kept
  out of the ranking) measures each item's real appeal without position or exposure bias;
  :func:`diagnose_loop` asks whether the items the panel shows are liked more than the others. ``policy="explore"`` breaks the loop: a share of
  slots go to items picked at random, and items are ranked by position-corrected click-through rate
  (clicks per expected look) instead of by raw clicks.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Feedback:
    """One user rating of one answer.

    Attributes:
        request_id: the request that was answered.
        question: what the user asked.
        rating: +1 (thumbs up) or -1 (thumbs down).
        answer: what the service said (optional).
        sources: document ids the answer used (optional).
        tenant, user, ts, comment: context.
    """

    request_id: str
    question: str
    rating: int
    answer: str = ""
    sources: tuple[str, ...] = ()
    tenant: str = "shared"
    user: str = ""
    ts: float = 0.0
    comment: str = ""

    def __post_init__(self) -> None:
        if self.rating not in (-1, 1):
            raise ValueError(f"rating must be +1 (thumbs up) or -1 (thumbs down), got {self.rating!r}")
        if not self.question.strip():
            raise ValueError("feedback needs the question that was asked")


@dataclass
class Case:
    """A regression case grown from feedback."""

    id: str
    question: str
    tenant: str
    votes: int
    first_seen: float
    request_ids: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    bad_answers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    answer: str | None = None

    @property
    def status(self) -> str:
        return "labelled" if self.answer else "needs_label"


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: exact repeats with different typing compare equal."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class RegressionSet:
    """Regression cases grown from thumbs-down feedback.

    Args:
        embed: optional texts -> normalised vectors; when given, a question within ``merge_cosine`` of an
            existing case (same tenant) is merged into it as a paraphrase.
        merge_cosine: similarity above which two questions are the same case.
        min_votes: cases with fewer thumbs-down are kept but not exported.
    """

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray] | None = None, merge_cosine: float = 0.9,
                 min_votes: int = 1) -> None:
        if not 0 < merge_cosine <= 1:
            raise ValueError(f"merge_cosine must be in (0, 1], got {merge_cosine}")
        if min_votes < 1:
            raise ValueError(f"min_votes must be >= 1, got {min_votes}")
        self.embed, self.merge_cosine, self.min_votes = embed, merge_cosine, min_votes
        self.cases: list[Case] = []
        self._by_text: dict[tuple[str, str], Case] = {}
        self._vectors: list[np.ndarray] = []
        self.ignored_positive = 0

    def add(self, fb: Feedback) -> Case | None:
        """Add one piece of feedback; a thumbs-down creates or strengthens a case (returned), a thumbs-up
        is counted and ignored."""
        if not isinstance(fb, Feedback):
            raise TypeError(f"add() takes a Feedback, got {type(fb).__name__}")
        if fb.rating > 0:
            self.ignored_positive += 1
            return None
        key = (fb.tenant, normalise(fb.question))
        case = self._by_text.get(key)
        vec = None
        if case is None and self.embed is not None:
            vec = np.asarray(self.embed([fb.question]), dtype=np.float32)[0]
            same_tenant = [i for i, c in enumerate(self.cases) if c.tenant == fb.tenant]
            if same_tenant:
                sims = np.stack([self._vectors[i] for i in same_tenant]) @ vec
                best = int(np.argmax(sims))
                if sims[best] >= self.merge_cosine:
                    case = self.cases[same_tenant[best]]
        if case is None:
            case = Case(id=f"reg-{len(self.cases) + 1:04d}", question=fb.question, tenant=fb.tenant, votes=0,
                        first_seen=fb.ts)
            self.cases.append(case)
            self._vectors.append(vec if vec is not None else np.zeros(1, dtype=np.float32))
        self._by_text[key] = case
        case.votes += 1
        case.request_ids.append(fb.request_id)
        if fb.question not in case.variants:
            case.variants.append(fb.question)
        if fb.answer and len(case.bad_answers) < 3:
            case.bad_answers.append(fb.answer)
        case.sources = sorted(set(case.sources) | set(fb.sources))
        return case

    def extend(self, feedback: Sequence[Feedback]) -> int:
        """Add many; returns how many were thumbs-down."""
        return sum(self.add(fb) is not None for fb in feedback)

    def label(self, case_id: str, answer: str) -> None:
        """Write the reference answer of a case (a person reviews it; the case becomes ``labelled``)."""
        if not answer.strip():
            raise ValueError("a reference answer cannot be empty")
        for c in self.cases:
            if c.id == case_id:
                c.answer = answer
                return
        raise KeyError(f"no case {case_id!r}; cases are {[c.id for c in self.cases][:10]}...")

    def to_golden(self) -> list[dict[str, Any]]:
        """Cases with at least ``min_votes`` votes in the golden-question format (most votes first)."""
        rows = []
        for c in sorted(self.cases, key=lambda c: (-c.votes, c.id)):
            if c.votes < self.min_votes:
                continue
            rows.append({"id": c.id, "question": c.question, "answer": c.answer, "aliases": [], "kind": "regression",
                         "doc_ids": c.sources, "tenant": c.tenant, "numeric_value": None, "outdated_answer": None,
                         "split": "regression", "status": c.status, "votes": c.votes, "variants": c.variants,
                         "bad_answers": c.bad_answers, "request_ids": c.request_ids})
        return rows

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_golden` as JSON lines."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in self.to_golden()), encoding="utf-8")
        return path

    def __len__(self) -> int:
        return len(self.cases)


def simulate_feedback(requests: Sequence[Any], good: Callable[[Any], bool], rate: float = 0.3,
                      *, down_if_bad: float = 0.7, down_if_good: float = 0.05, seed: int = 0) -> list[Feedback]:
    """SIMULATED user ratings.

    Args:
        requests: objects with ``id``, ``question``, ``tenant``, ``user``, ``ts`` (e.g. traffic requests).
        good: whether the answer to a request was good (e.g. retrieval found an expected document).
        rate: share of requests that get any rating.
        down_if_bad: chance a rating of a bad answer is a thumbs-down.
        down_if_good: chance a rating of a good answer is a thumbs-down (users are noisy).
        seed: random seed.

    Returns:
        The ratings, in request order.
    """
    for name, p in (("rate", rate), ("down_if_bad", down_if_bad), ("down_if_good", down_if_good)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {p}")
    rng = random.Random(seed)
    out = []
    for r in requests:
        if rng.random() >= rate:
            continue
        down = rng.random() < (down_if_good if good(r) else down_if_bad)
        out.append(Feedback(request_id=r.id, question=r.question, rating=-1 if down else 1,
                            tenant=getattr(r, "tenant", "shared"), user=getattr(r, "user", ""),
                            ts=float(getattr(r, "ts", 0.0))))
    return out


# --------------------------------------------------------------------------------------------
# The popularity loop
# --------------------------------------------------------------------------------------------
@dataclass
class LoopResult:
    """What a popularity-loop simulation did.

    Attributes:
        policy: ``popularity`` (rank by clicks) or ``explore`` (epsilon exploration + position-corrected CTR).
        appeal: each item's true click probability when looked at (hidden from the system).
        impressions, clicks: per item, over the whole run, from the ranked panel (the holdout excluded).
        holdout_impressions, holdout_looks, holdout_clicks: per item, from the randomised holdout.
        shown_top: per round, the items in the panel (best slot first).
        top_overlap: per round, the share of panel slots holding one of the truly best ``slots`` items.
        exposure_gini: per round, the Gini coefficient of cumulative impressions (1: all to one item).
        clicks_per_user: per round, clicks per ranked-panel user (what the business sees).
        params: the simulation's parameters.
    """

    policy: str
    appeal: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    holdout_impressions: np.ndarray
    holdout_looks: np.ndarray
    holdout_clicks: np.ndarray
    shown_top: list[list[int]]
    top_overlap: np.ndarray
    exposure_gini: np.ndarray
    clicks_per_user: np.ndarray
    params: dict[str, Any]
    labels: list[str]

    @property
    def true_top(self) -> list[int]:
        return [int(i) for i in np.argsort(-self.appeal, kind="stable")[: self.params["slots"]]]


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative amounts (0: equal; near 1: one item has everything)."""
    v = np.sort(np.asarray(x, dtype=np.float64).ravel())
    if v.size == 0 or v.sum() <= 0:
        return 0.0
    n = v.size
    return float((2 * np.sum(np.arange(1, n + 1) * v) / (n * v.sum())) - (n + 1) / n)


def simulate_popularity_loop(n_items: int = 40, slots: int = 5, rounds: int = 150, *, users_per_round: int = 60,
                             policy: str = "popularity", epsilon: float = 0.2, holdout: float = 0.05,
                             position_bias: Sequence[float] = (1.0, 0.6, 0.45, 0.35, 0.3), head_start: int = 8,
                             seed: int = 0, labels: Sequence[str] | None = None) -> LoopResult:
    """SIMULATION of a "suggested articles" panel that learns from its own clicks.

    Each round, ``users_per_round`` users see the panel's ``slots`` items; a user looks at slot ``s`` with
    probability ``position_bias[s]`` and clicks a looked-at item with its hidden ``appeal``. A share
    ``holdout`` of users instead see ``slots`` items in random order; their clicks never feed the ranking.
    The panel starts from a few random early clicks (``head_start`` items with 1-3 clicks each).

    Args:
        n_items: number of items (articles).
        slots: panel size (<= len(position_bias)).
        rounds: ranking updates.
        users_per_round: users per round.
        policy: ``popularity`` ranks by total clicks; ``explore`` ranks by position-corrected CTR with a
            prior and gives each slot to a random item with probability ``epsilon``.
        epsilon: exploration share (``explore`` only).
        holdout: share of users in the randomised measurement holdout.
        position_bias: chance that a user looks at each slot.
        head_start: items given a few early clicks at random.
        seed: random seed.
        labels: item names (e.g. knowledge-base titles), for display.

    Returns:
        A :class:`LoopResult`.
    """
    if policy not in ("popularity", "explore"):
        raise ValueError(f"policy must be 'popularity' or 'explore', got {policy!r}")
    if not 1 <= slots <= len(position_bias) or slots > n_items:
        raise ValueError(f"slots must be in [1, {min(len(position_bias), n_items)}], got {slots}")
    if rounds < 1 or users_per_round < 1 or not 0 <= epsilon <= 1 or not 0 <= holdout < 1:
        raise ValueError("need rounds >= 1, users_per_round >= 1, epsilon in [0, 1], holdout in [0, 1)")
    if labels is not None and len(labels) < n_items:
        raise ValueError(f"labels has {len(labels)} names for {n_items} items")
    rng = np.random.default_rng(seed)
    appeal = rng.beta(2.0, 6.0, n_items)
    bias = np.asarray(position_bias[:slots], dtype=np.float64)
    clicks = np.zeros(n_items)
    impressions = np.zeros(n_items)
    looks = np.zeros(n_items)  # expected looks: sum of position bias over impressions
    early = rng.choice(n_items, min(head_start, n_items), replace=False)
    clicks[early] += rng.integers(1, 4, early.size)
    h_imp, h_looks, h_clicks = np.zeros(n_items), np.zeros(n_items), np.zeros(n_items)
    top_true = set(np.argsort(-appeal, kind="stable")[:slots].tolist())
    shown_top, overlap, ginis, cpu = [], [], [], []
    prior_ctr, prior_weight = 0.2, 2.0  # a neutral prior (a 0.2 CTR worth 2 looks), not the hidden appeal

    for _ in range(rounds):
        tiebreak = rng.random(n_items) * 1e-6
        if policy == "popularity":
            score = clicks + tiebreak
        else:
            score = (clicks + prior_ctr * prior_weight) / (looks + prior_weight) + tiebreak
        panel = [int(i) for i in np.argsort(-score)[:slots]]
        if policy == "explore":
            for s in range(slots):
                if rng.random() < epsilon:
                    rest = [i for i in range(n_items) if i not in panel]
                    panel[s] = int(rng.choice(rest))
        shown_top.append(panel)
        overlap.append(len(top_true & set(panel)) / slots)
        n_hold = int(rng.binomial(users_per_round, holdout))
        n_main = users_per_round - n_hold
        looked = rng.random((n_main, slots)) < bias
        clicked = looked & (rng.random((n_main, slots)) < appeal[panel])
        for s, item in enumerate(panel):
            impressions[item] += n_main
            looks[item] += n_main * bias[s]
            clicks[item] += clicked[:, s].sum()
        cpu.append(clicked.sum() / max(n_main, 1))
        for _u in range(n_hold):
            order = rng.choice(n_items, slots, replace=False)
            for s, item in enumerate(order):
                h_imp[item] += 1
                h_looks[item] += bias[s]
                if rng.random() < bias[s] and rng.random() < appeal[item]:
                    h_clicks[item] += 1
        ginis.append(gini(impressions))
    params = {"simulation": True, "n_items": n_items, "slots": slots, "rounds": rounds,
              "users_per_round": users_per_round, "policy": policy, "epsilon": epsilon if policy == "explore" else 0.0,
              "holdout": holdout, "position_bias": list(bias), "head_start": head_start, "seed": seed,
              "appeal": "Beta(2, 6) per item"}
    names = list(labels[:n_items]) if labels is not None else [f"item-{i:02d}" for i in range(n_items)]
    return LoopResult(policy, appeal, impressions, clicks, h_imp, h_looks, h_clicks, shown_top, np.array(overlap),
                      np.array(ginis), np.array(cpu), params, names)


@dataclass(frozen=True)
class LoopDiagnosis:
    """Signs of a popularity loop, from what a real system can observe.

    Attributes:
        exposure_gini: concentration of impressions (1: one item gets everything).
        never_shown: items that never reached the panel.
        panel_lift: holdout click-through rate of the items the panel shows regularly, divided by that of
            the other items. A panel that learned appeal shows items users like clearly more (lift well
            above 1); a panel locked in by its own history shows items no better than the rest (~1).
        hidden_gems: items the holdout rates in its top ``slots`` that the panel does not show regularly.
        loop_suspected: ``panel_lift`` < the alarm level.
    """

    exposure_gini: float
    never_shown: int
    panel_lift: float
    hidden_gems: list[int]
    loop_suspected: bool


def diagnose_loop(result: LoopResult, lift_alarm: float = 1.6, last_rounds: int = 30) -> LoopDiagnosis:
    """Detect a popularity loop with the randomised holdout: are the items we show better than those we don't?

    Only observable fields are used (impressions, panel history, holdout clicks and looks), never ``appeal``.

    Args:
        result: a :class:`LoopResult`.
        lift_alarm: a panel lift below this suggests a loop.
        last_rounds: the rounds that define what the panel "shows regularly" (in at least half of them).
    """
    if lift_alarm <= 0 or last_rounds < 1:
        raise ValueError("need lift_alarm > 0 and last_rounds >= 1")
    slots = int(result.params["slots"])
    n = len(result.impressions)
    est = (result.holdout_clicks + 0.5) / (result.holdout_looks + 2.5)  # smoothed, position-corrected CTR
    tail = result.shown_top[-last_rounds:]
    regular = np.bincount(np.concatenate([np.asarray(p) for p in tail]), minlength=n) >= len(tail) / 2
    if regular.all() or not regular.any():
        lift = float("nan")
    else:
        lift = float(est[regular].mean() / est[~regular].mean())
    best = [int(i) for i in np.argsort(-est, kind="stable")[:slots]]
    gems = [i for i in best if not regular[i]]
    return LoopDiagnosis(gini(result.impressions), int(np.sum(result.impressions == 0)), lift, gems,
                         bool(lift < lift_alarm))


def loop_table(results: Sequence[LoopResult]) -> list[dict[str, Any]]:
    """One summary row per result: final overlap with the true best items, clicks per user, exposure Gini."""
    rows = []
    for r in results:
        tail = max(1, len(r.top_overlap) // 5)
        rows.append({"policy": r.policy, "best_items_shown_at_end": float(np.mean(r.top_overlap[-tail:])),
                     "clicks_per_user_at_end": float(np.mean(r.clicks_per_user[-tail:])),
                     "exposure_gini": float(r.exposure_gini[-1]), "never_shown": int(np.sum(r.impressions == 0))})
    return rows


def to_dict(result: LoopResult) -> dict[str, Any]:
    """A JSON-friendly copy of a :class:`LoopResult`."""
    d = asdict(result)
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in d.items()}
