"""Online evaluation: judge a sample of live requests and track the score per day with an interval.

Offline evals run a fixed golden set before release; online evals watch real traffic after it. You
cannot judge every request (a judge call costs about as much as the request), so sample a fixed share,
stably (the same request is always in or out, whichever process sees it), and report each day's mean
with an interval that says how much of a dip is noise.

    >>> from labkit.evals import online
    >>> picked = online.sample(requests, rate=0.1, key=lambda r: r["id"])
    >>> days = online.daily_scores([r["time"] for r in judged], [r["score"] for r in judged])
    >>> online.attach_score(root_span, "faithfulness", 0.8)      # the score, inside its request's trace
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from labkit.evals.stats import Interval, bootstrap_ci

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext

    from labkit.tracing import Tracing

T = TypeVar("T")


def in_sample(key: str, rate: float, salt: str = "labkit") -> bool:
    """Whether a request with this key is in a ``rate`` sample; stable across processes and machines.

    Args:
        key: a stable id of the request (request id, trace id).
        rate: share to keep, in [0, 1].
        salt: change it to draw a different sample.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def sample(items: Sequence[T], rate: float, key: Callable[[T], Any] | None = None, *, salt: str = "labkit") -> list[T]:
    """The items whose key falls in a ``rate`` sample (see :func:`in_sample`), in their original order.

    Args:
        items: requests (any objects).
        rate: share to keep, in [0, 1].
        key: item -> stable id (default ``item["id"]``).
        salt: change it to draw a different sample.
    """
    get = key or (lambda x: x["id"])  # type: ignore[index]
    return [x for x in items if in_sample(str(get(x)), rate, salt)]


@dataclass(frozen=True)
class DailyScore:
    """One day's judged sample: its date and the mean score with an interval."""

    day: dt.date
    score: Interval

    @property
    def n(self) -> int:
        return self.score.n


def _day(t: Any) -> dt.date:
    if isinstance(t, dt.datetime):
        return t.date()
    if isinstance(t, dt.date):
        return t
    if isinstance(t, (int, float)):
        return dt.datetime.fromtimestamp(float(t), tz=dt.UTC).date()
    if isinstance(t, str):
        return dt.datetime.fromisoformat(t).date()
    raise TypeError(f"timestamps must be datetimes, dates, ISO strings or epoch seconds, got {type(t).__name__}")


def daily_scores(times: Sequence[Any], scores: Sequence[float], confidence: float = 0.95,
                 *, min_n: int = 1, seed: int = 0) -> list[DailyScore]:
    """Group judged requests by day and give each day's mean score with a bootstrap interval.

    Args:
        times: when each request happened (datetime, date, ISO string, or epoch seconds in UTC).
        scores: the judge's score (or user feedback, 0/1) for each request.
        confidence: interval coverage.
        min_n: days with fewer judged requests are left out (their interval would be meaningless).
        seed: bootstrap seed.

    Returns:
        One :class:`DailyScore` per day, oldest first.
    """
    if len(times) != len(scores):
        raise ValueError(f"times and scores differ in length: {len(times)} vs {len(scores)}")
    if min_n < 1:
        raise ValueError(f"min_n must be >= 1, got {min_n}")
    by_day: dict[dt.date, list[float]] = {}
    for t, s in zip(times, scores, strict=True):
        by_day.setdefault(_day(t), []).append(float(s))
    return [DailyScore(d, bootstrap_ci(v, confidence=confidence, seed=seed))
            for d, v in sorted(by_day.items()) if len(v) >= min_n]


def _parent_context(parent: Any) -> Any:
    """A span context for ``parent``: a span, a span context, or a (trace id, span id) pair in hex."""
    from opentelemetry.trace import SpanContext, TraceFlags

    if isinstance(parent, SpanContext):
        return parent
    if hasattr(parent, "get_span_context"):
        return parent.get_span_context()
    if isinstance(parent, tuple) and len(parent) == 2 and all(isinstance(p, str) for p in parent):
        try:
            trace_id, span_id = int(parent[0], 16), int(parent[1], 16)
        except ValueError:
            trace_id = span_id = 0
        if trace_id and span_id:
            # Remote: the request's span ended (maybe in another process); this span joins its trace.
            return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    raise TypeError(f"parent must be the request's span, its span context, or (trace_id, span_id) in hex "
                    f"(e.g. (s.trace_id, s.span_id) of a span from a SpanStore), got {parent!r}")


def attach_score(parent: Span | SpanContext | tuple[str, str], name: str, score: float, *,
                 label: str | None = None, explanation: str | None = None,
                 tracing: Tracing | None = None) -> Span | None:
    """Put an online eval result into its request's trace, as an EVALUATOR span under the request.

    The span follows the OpenTelemetry GenAI evaluation attributes (``gen_ai.evaluation.name``,
    ``.score.value``, ``.score.label``, ``.explanation``) and has ``openinference.span.kind``
    EVALUATOR, so a trace UI shows the score on the request it judged. Judged in the process that
    served the request, it follows that trace's sampling decision (a dropped trace drops its score).

    Args:
        parent: the request's root span, its span context, or ``(trace_id, span_id)`` in hex
            (``(s.trace_id, s.span_id)`` of a stored span, e.g. the root of ``store.trace(trace_id)``).
        name: what was judged ("faithfulness", "user_feedback", ...).
        score: the score.
        label: a verdict such as "pass"/"fail" (optional).
        explanation: the judge's reason (optional).
        tracing: the tracer; default the active one.

    Returns:
        The ended span, or None when tracing is off.
    """
    from labkit import tracing as tracing_mod

    t = tracing if tracing is not None else tracing_mod.current()
    if t is None:
        return None
    if not isinstance(name, str) or not name:
        raise ValueError("an eval result needs a non-empty name, e.g. 'faithfulness'")
    now = t.now()
    return t.record_span(f"evaluation {name}", now, now, parent=_parent_context(parent), category="evaluation",
                         attributes={"gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": float(score),
                                     "gen_ai.evaluation.score.label": label,
                                     "gen_ai.evaluation.explanation": explanation})
