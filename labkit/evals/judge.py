"""LLM-as-judge: rubric scores, pairwise comparison with position swapping, and the judge's own biases.

The judge is whatever ``labkit.llm.client()`` points at (``llm.model_for("judge")``). Scores come back
under a JSON schema, so even a tiny model returns valid, parseable scores; whether they are *right* is
a separate question that :func:`agreement` answers against human labels.

    >>> from labkit.evals import judge
    >>> s = judge.score("How much is Team?", "Team costs $24 per user per month.", "$24 per user [1]")
    >>> s.scores, s.aggregate                   # {'correctness': 4, ...}, the weighted mean
    >>> s.reweight({"correctness": 3, "helpfulness": 1})   # the same scores under other weights
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from labkit import llm
from labkit.evals.stats import Interval, PairedTest, bootstrap_ci, cohen_kappa, paired_test

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Criterion:
    """One named criterion of a rubric.

    Attributes:
        name: identifier used as the JSON key (lower case, digits, underscores).
        description: what a 5 means, in one sentence the judge reads.
        weight: its weight in the aggregate (>= 0).
    """

    name: str
    description: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"criterion name {self.name!r} must be lower case letters, digits or _ (a JSON key)")
        if not self.description.strip():
            raise ValueError(f"criterion {self.name!r} needs a description the judge can read")
        if not (self.weight >= 0 and math.isfinite(self.weight)):
            raise ValueError(f"criterion {self.name!r}: weight must be a finite number >= 0, got {self.weight}")


@dataclass(frozen=True)
class Rubric:
    """Named criteria, each scored 1-5, combined as ``sum(w_i * s_i) / sum(w_i)``.

    Attributes:
        criteria: the criteria, in the order the judge scores them.
        name: a label for reports.
    """

    criteria: tuple[Criterion, ...]
    name: str = "rubric"

    def __post_init__(self) -> None:
        if not self.criteria:
            raise ValueError("a rubric needs at least one criterion")
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError(f"criterion names must be unique, got {names}")
        if sum(c.weight for c in self.criteria) <= 0:
            raise ValueError("at least one criterion needs a weight > 0")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.criteria]

    @property
    def weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.criteria}

    def with_weights(self, weights: Mapping[str, float] | None = None, **more: float) -> Rubric:
        """A copy with some weights changed, e.g. ``rubric.with_weights(correctness=3)``."""
        new = {**(weights or {}), **more}
        unknown = sorted(set(new) - set(self.names))
        if unknown:
            raise ValueError(f"unknown criteria {unknown}; this rubric has {self.names}")
        return Rubric(tuple(replace(c, weight=float(new.get(c.name, c.weight))) for c in self.criteria), self.name)

    def aggregate(self, scores: Mapping[str, float]) -> float:
        """The weighted mean ``sum(w_i * s_i) / sum(w_i)`` of per-criterion scores.

        Args:
            scores: criterion name -> score (1-5, or a probability-weighted expected score).

        Returns:
            The aggregate, on the same 1-5 scale.
        """
        missing = [n for n in self.names if n not in scores]
        if missing:
            raise ValueError(f"scores lack criteria {missing}")
        total = sum(c.weight for c in self.criteria)
        return sum(c.weight * float(scores[c.name]) for c in self.criteria) / total

    def schema(self) -> dict[str, Any]:
        """The JSON schema the judge must answer with: one integer 1-5 per criterion."""
        return {"type": "object",
                "properties": {n: {"type": "integer", "enum": [1, 2, 3, 4, 5]} for n in self.names},
                "required": self.names, "additionalProperties": False}

    def describe(self) -> str:
        """The criteria as the judge reads them."""
        return "\n".join(f"- {c.name}: {c.description}" for c in self.criteria)


DEFAULT_RUBRIC = Rubric((
    Criterion("correctness", "the answer's facts agree with the context; 1 = contradicts it, 5 = fully correct", 3.0),
    Criterion("groundedness", "every claim is supported by the context; 1 = invented, 5 = all supported", 2.0),
    Criterion("helpfulness", "the answer addresses what the user asked; 1 = off topic, 5 = fully answers it", 1.0),
    Criterion("concision", "no padding or repetition; 1 = rambling, 5 = as short as it can be", 1.0),
), name="rag-answer")

JUDGE_SYSTEM = ("You are a strict grader of answers from a customer-support assistant. Read the question, the "
                "context and the answer, then score the answer from 1 (very poor) to 5 (excellent) on each "
                "criterion:\n{criteria}\nReply with JSON only.")


@dataclass
class JudgeScore:
    """The judge's verdict on one answer.

    Attributes:
        scores: criterion -> integer score 1-5, as the judge wrote it.
        expected: criterion -> probability-weighted score from the judge's token log-probabilities
            (``sum(d * p(d))`` over the digits 1-5), when the endpoint returns them; finer than the integer.
        distributions: criterion -> {score: probability} behind ``expected`` (empty without log-probabilities).
        aggregate: ``rubric.aggregate(scores)``.
        rubric: the rubric used.
        model, raw: the judge model and its raw reply.
        input_tokens, output_tokens, latency_s: what the call cost.
    """

    scores: dict[str, int]
    expected: dict[str, float] | None
    aggregate: float
    rubric: Rubric
    model: str
    raw: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    distributions: dict[str, dict[int, float]] = field(default_factory=dict)

    def spread(self, weights: Mapping[str, float] | Rubric | None = None) -> float | None:
        """Standard deviation of the aggregate implied by the judge's own score probabilities.

        Treats criteria as independent: ``sqrt(sum(w_i^2 var_i)) / sum(w_i)``. Two answers whose
        aggregates differ by less than this are a near-tie: the judge itself is unsure which is better.
        None when the endpoint gave no log-probabilities.

        Args:
            weights: criterion weights (the score's own rubric when None).
        """
        if not self.distributions or set(self.distributions) != set(self.scores):
            return None
        rubric = self.rubric if weights is None else weights if isinstance(weights, Rubric) else \
            self.rubric.with_weights(weights)
        total, acc = sum(rubric.weights.values()), 0.0
        for name, w in rubric.weights.items():
            dist = self.distributions[name]
            mean = sum(d * p for d, p in dist.items())
            acc += w * w * sum(p * (d - mean) ** 2 for d, p in dist.items())
        return math.sqrt(acc) / total

    def values(self, use_expected: bool = False) -> dict[str, float]:
        """Per-criterion scores: the integers, or the expected scores where available."""
        if use_expected and self.expected:
            return {n: self.expected.get(n, float(s)) for n, s in self.scores.items()}
        return {n: float(s) for n, s in self.scores.items()}

    def reweight(self, weights: Mapping[str, float] | Rubric, use_expected: bool = False) -> float:
        """The aggregate under other weights, without asking the judge again.

        Args:
            weights: criterion -> weight (missing criteria keep their weight), or a whole rubric.
            use_expected: aggregate the probability-weighted scores instead of the integers.
        """
        rubric = weights if isinstance(weights, Rubric) else self.rubric.with_weights(weights)
        return rubric.aggregate(self.values(use_expected))


def _judge_target(client: Any, model: str | None) -> tuple[Any, str]:
    return (client if client is not None else llm.client()), (model or llm.model_for("judge"))


def _check_text(**fields: str | None) -> None:
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    for name in ("question", "answer"):
        if name in fields and not (fields[name] or "").strip():
            raise ValueError(f"{name} must be a non-empty string")


def _digit_distributions(content: str, tokens: Sequence[Any], names: Sequence[str]) -> dict[str, dict[int, float]]:
    """Per criterion, the judge's probability of each score 1-5 at the digit it wrote (renormalised over 1-5)."""
    if not tokens:
        return {}
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t.token)
    # the server may strip a wrapper it let the model write (e.g. a ```json fence): find the reply inside
    offset = "".join(t.token for t in tokens).find(content) if content else -1
    if offset < 0:  # tokens do not spell the reply: cannot align
        return {}
    out: dict[str, dict[int, float]] = {}
    for name in names:
        m = re.search(rf'"{re.escape(name)}"\s*:\s*([1-5])', content)
        if not m:
            continue
        at = offset + m.start(1)
        i = max(j for j, s in enumerate(starts) if s <= at)
        tok = tokens[i].token
        prefix, suffix = tok[: at - starts[i]], tok[at - starts[i] + 1:]
        probs: dict[int, float] = {}
        for alt in tokens[i].top_logprobs or []:
            for d in "12345":
                if alt.token == f"{prefix}{d}{suffix}":
                    probs[int(d)] = max(probs.get(int(d), 0.0), math.exp(alt.logprob))
        z = sum(probs.values())
        if z > 0:
            out[name] = {d: probs.get(d, 0.0) / z for d in range(1, 6)}
    return out


def _digit_expectations(content: str, tokens: Sequence[Any], names: Sequence[str]) -> dict[str, float] | None:
    """Expected 1-5 score per criterion from the log-probabilities of the digit the judge wrote."""
    dist = _digit_distributions(content, tokens, names)
    return {n: sum(d * p for d, p in ps.items()) for n, ps in dist.items()} or None


def score(question: str, context: str, answer: str, *, rubric: Rubric = DEFAULT_RUBRIC,
          reference: str | None = None, client: Any = None, model: str | None = None,
          use_logprobs: bool = True, max_tokens: int = 96) -> JudgeScore:
    """Ask the judge to score one answer on every criterion of a rubric.

    Args:
        question: the user's question.
        context: what the answer should be based on (retrieved passages, or a reference passage).
        answer: the answer to grade.
        rubric: the criteria and their weights.
        reference: an optional reference answer shown to the judge (reference-guided judging).
        client: an OpenAI-compatible client; ``llm.client()`` by default.
        model: the judge model; ``llm.model_for("judge")`` by default.
        use_logprobs: also ask for token log-probabilities and compute expected scores.
        max_tokens: cap on the judge's reply.

    Returns:
        A :class:`JudgeScore`.
    """
    _check_text(question=question, context=context, answer=answer, reference=reference)
    client, model = _judge_target(client, model)
    user = f"Question: {question}\n\nContext:\n{context.strip() or '(none)'}\n\n"
    if reference:
        user += f"Reference answer: {reference}\n\n"
    user += f"Answer to grade: {answer}\n\nScores as JSON:"
    kwargs: dict[str, Any] = {"logprobs": True, "top_logprobs": 10} if use_logprobs else {}
    t0 = time.perf_counter()
    r = client.chat.completions.create(
        model=model, temperature=0, max_tokens=max_tokens,
        messages=[{"role": "system", "content": JUDGE_SYSTEM.format(criteria=rubric.describe())},
                  {"role": "user", "content": user}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "scores", "schema": rubric.schema(), "strict": True}},
        **kwargs)
    latency = time.perf_counter() - t0
    raw = r.choices[0].message.content or ""
    scores = _parse_scores(raw, rubric)
    lp = r.choices[0].logprobs
    dist = _digit_distributions(raw, lp.content or [], rubric.names) if use_logprobs and lp else {}
    expected = {n: sum(d * p for d, p in ps.items()) for n, ps in dist.items()} or None
    return JudgeScore(scores=scores, expected=expected, aggregate=rubric.aggregate(scores), rubric=rubric,
                      model=model, raw=raw, input_tokens=r.usage.prompt_tokens if r.usage else 0,
                      output_tokens=r.usage.completion_tokens if r.usage else 0, latency_s=latency,
                      distributions=dist)


def _parse_scores(raw: str, rubric: Rubric) -> dict[str, int]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError(f"the judge did not return JSON (did the endpoint ignore response_format?): {raw[:200]!r}") from None
    bad = {n: data.get(n) for n in rubric.names
           if not isinstance(data.get(n), int) or isinstance(data.get(n), bool) or not 1 <= data[n] <= 5}
    if bad:
        raise ValueError(f"the judge's reply lacks valid 1-5 scores for {bad}: {raw[:200]!r}")
    return {n: int(data[n]) for n in rubric.names}


def map_parallel(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 4, *, progress: bool = False,
                 desc: str = "judging") -> list[Any]:
    """``[fn(x) for x in items]`` with ``workers`` requests in flight (the server batches them), in order."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, x) for x in items]
        if progress:
            from concurrent.futures import as_completed

            from tqdm.auto import tqdm

            for _done in tqdm(as_completed(futures), desc=desc, total=len(futures)):
                pass
        return [f.result() for f in futures]


def score_many(items: Sequence[Mapping[str, str]], rubric: Rubric = DEFAULT_RUBRIC, *, workers: int = 4,
               client: Any = None, model: str | None = None, progress: bool = False,
               use_logprobs: bool = True) -> list[JudgeScore]:
    """Score many answers in parallel.

    Args:
        items: dicts with ``question``, ``context``, ``answer`` and optionally ``reference``.
        rubric: the rubric.
        workers: requests in flight.
        client / model: the judge (defaults as in :func:`score`).
        progress: show a progress bar.
        use_logprobs: as in :func:`score`.

    Returns:
        One :class:`JudgeScore` per item, in order.
    """
    for n, it in enumerate(items):
        missing = [k for k in ("question", "context", "answer") if k not in it]
        if missing:
            raise ValueError(f"item {n} lacks {missing}")
    client, model = _judge_target(client, model)
    return map_parallel(lambda it: score(it["question"], it["context"], it["answer"], rubric=rubric,
                                         reference=it.get("reference"), client=client, model=model,
                                         use_logprobs=use_logprobs), items, workers, progress=progress)


PAIR_SYSTEM = ("You compare two answers from a customer-support assistant to the same question, using the "
               "context. Judge by these criteria:\n{criteria}\nReply with JSON: {{\"better\": 1}} if Answer 1 is "
               "better, {{\"better\": 2}} if Answer 2 is better.")
PAIR_SCHEMA = {"type": "object", "properties": {"better": {"type": "integer", "enum": [1, 2]}},
               "required": ["better"], "additionalProperties": False}


@dataclass(frozen=True)
class Comparison:
    """A pairwise verdict, asked in both orders.

    Attributes:
        winner: "a", "b", or "tie" when the two orders disagree (the verdict followed the position).
        picks: the answer chosen in each order asked: first with ``a`` shown first, then with ``b`` first.
        picked_first: for each order, whether the judge chose the answer shown first.
    """

    winner: str
    picks: tuple[str, ...]
    picked_first: tuple[bool, ...]

    @property
    def consistent(self) -> bool:
        """Whether the verdict survived swapping the positions."""
        return len(set(self.picks)) == 1


def _pick(question: str, context: str, first: str, second: str, rubric: Rubric, client: Any, model: str) -> int:
    r = client.chat.completions.create(
        model=model, temperature=0, max_tokens=16,
        messages=[{"role": "system", "content": PAIR_SYSTEM.format(criteria=rubric.describe())},
                  {"role": "user", "content": f"Question: {question}\n\nContext:\n{context.strip() or '(none)'}\n\n"
                                              f"Answer 1: {first}\n\nAnswer 2: {second}\n\nWhich is better?"}],
        response_format={"type": "json_schema", "json_schema": {"name": "choice", "schema": PAIR_SCHEMA, "strict": True}})

    raw = r.choices[0].message.content or ""
    try:
        better = json.loads(raw)["better"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"the judge did not return {{'better': 1 or 2}}: {raw[:200]!r}") from None
    if better not in (1, 2):
        raise ValueError(f"the judge returned better={better!r}, not 1 or 2")
    return int(better)


def compare(question: str, context: str, *, answer_a: str, answer_b: str, rubric: Rubric = DEFAULT_RUBRIC,
            swap: bool = True, client: Any = None, model: str | None = None) -> Comparison:
    """Ask the judge which of two answers is better, in both orders when ``swap`` is set.

    A judge that prefers whichever answer it reads first (position bias) picks A in one order and B in
    the other; that pair is reported as a tie instead of a win for the first-shown answer.

    Args:
        question / context: as in :func:`score`.
        answer_a / answer_b: the two answers.
        rubric: criteria the judge is told to use (weights are not used in pairwise mode).
        swap: also ask with the answers swapped (recommended; doubles the cost).
        client / model: the judge.

    Returns:
        A :class:`Comparison`.
    """
    _check_text(question=question, context=context, answer=answer_a, answer_b=answer_b)
    if not answer_b.strip():
        raise ValueError("answer_b must be a non-empty string")
    client, model = _judge_target(client, model)
    picks, firsts = [], []
    orders = [("a", answer_a, "b", answer_b)] + ([("b", answer_b, "a", answer_a)] if swap else [])
    for first_id, first, second_id, second in orders:
        choice = _pick(question, context, first, second, rubric, client, model)
        picks.append(first_id if choice == 1 else second_id)
        firsts.append(choice == 1)
    winner = picks[0] if len(set(picks)) == 1 else "tie"
    return Comparison(winner, tuple(picks), tuple(firsts))


@dataclass(frozen=True)
class PositionBias:
    """How much the judge's pairwise verdicts follow the order of presentation.

    Attributes:
        first_rate: share of verdicts that picked the answer shown first (0.5 = no position bias).
        consistency: share of pairs whose verdict survived swapping (1.0 = order never matters).
        n_pairs: pairs compared (each asked in both orders).
    """

    first_rate: Interval
    consistency: Interval
    n_pairs: int


def position_bias(comparisons: Sequence[Comparison]) -> PositionBias:
    """Measure position bias from pairwise comparisons asked in both orders.

    Args:
        comparisons: results of :func:`compare` with ``swap=True``.
    """
    if not comparisons:
        raise ValueError("no comparisons given")
    if any(len(c.picks) != 2 for c in comparisons):
        raise ValueError("position bias needs comparisons asked in both orders (compare(..., swap=True))")
    firsts = [float(f) for c in comparisons for f in c.picked_first]
    return PositionBias(bootstrap_ci(firsts), bootstrap_ci([float(c.consistent) for c in comparisons]),
                        len(comparisons))


PADDING_BEFORE = "Thank you for your question. To give you a complete and thorough answer, let me explain. "
PADDING_AFTER = (" I hope this detailed explanation is helpful and fully addresses your question. Please let me "
                 "know if you need any further clarification or additional information about this topic.")


def pad(answer: str) -> str:
    """The same answer made longer with sentences that add no information (for verbosity-bias tests)."""
    if not answer.strip():
        raise ValueError("answer must be a non-empty string")
    return PADDING_BEFORE + answer.strip() + PADDING_AFTER


@dataclass(frozen=True)
class VerbosityBias:
    """Whether the judge rewards length that adds nothing.

    Attributes:
        score_gain: paired test of aggregate score(padded) - score(original); > 0 means length is rewarded
            (a fair judge gives the padded version the same or a lower score, since concision drops).
        gains: the per-item differences.
    """

    score_gain: PairedTest
    gains: list[float]


def verbosity_bias(originals: Sequence[JudgeScore], padded: Sequence[JudgeScore], use_expected: bool = False,
                   *, rubric: Rubric | None = None) -> VerbosityBias:
    """Measure verbosity bias from scores of the same answers with and without padding.

    Args:
        originals: judge scores of the answers.
        padded: judge scores of ``pad(answer)`` for the same answers, same order.
        use_expected: compare probability-weighted scores instead of integers.
        rubric: aggregate with these weights instead of the scores' own rubric.
    """
    if len(originals) != len(padded) or not originals:
        raise ValueError(f"need the same, non-zero number of original and padded scores; got {len(originals)} "
                         f"and {len(padded)}")

    def agg(s: JudgeScore) -> float:
        return (rubric or s.rubric).aggregate(s.values(use_expected))

    a = [agg(s) for s in originals]
    b = [agg(s) for s in padded]
    return VerbosityBias(paired_test(a, b), [y - x for x, y in zip(a, b, strict=True)])


@dataclass(frozen=True)
class Agreement:
    """Agreement of the judge's pass/fail calls with human labels.

    Attributes:
        kappa: Cohen's kappa (0 = chance level, 1 = perfect).
        accuracy: share of items where judge and human agree.
        n: items.
        judge_pass_rate / human_pass_rate: how often each said "pass".
        confusion: counts keyed "human/judge", e.g. ``{"pass/fail": 3}``.
    """

    kappa: float
    accuracy: float
    n: int
    judge_pass_rate: float
    human_pass_rate: float
    confusion: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"kappa {self.kappa:+.2f}, raw agreement {self.accuracy:.0%} on {self.n} items "
                f"(judge passes {self.judge_pass_rate:.0%}, humans pass {self.human_pass_rate:.0%})")


def agreement(judge_pass: Sequence[bool], human_pass: Sequence[bool]) -> Agreement:
    """Compare binary judge verdicts with human labels on the same items.

    Args:
        judge_pass: the judge's verdicts (e.g. ``aggregate >= 3``).
        human_pass: the human labels for the same items, same order.
    """
    if len(judge_pass) != len(human_pass) or not judge_pass:
        raise ValueError(f"need the same, non-zero number of judge and human labels; got {len(judge_pass)} "
                         f"and {len(human_pass)}")
    j = [bool(x) for x in judge_pass]
    h = [bool(x) for x in human_pass]
    names = {True: "pass", False: "fail"}
    confusion = {f"{names[x]}/{names[y]}": 0 for x in (True, False) for y in (True, False)}
    for x, y in zip(h, j, strict=True):
        confusion[f"{names[x]}/{names[y]}"] += 1
    return Agreement(kappa=cohen_kappa(h, j, labels=[False, True]),
                     accuracy=sum(x == y for x, y in zip(h, j, strict=True)) / len(h), n=len(h),
                     judge_pass_rate=sum(j) / len(j), human_pass_rate=sum(h) / len(h), confusion=confusion)
