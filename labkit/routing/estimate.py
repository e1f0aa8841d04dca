"""Predicting a call's tokens, cost and latency before making it, and checking the prediction after."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labkit.llm import registry
from labkit.llm.ledger import CallRecord


@dataclass(frozen=True)
class Estimate:
    """A prediction for one call, made before it.

    Attributes:
        input_tokens: predicted prompt tokens.
        output_tokens: predicted completion tokens (the expected length, not the cap).
        max_tokens: the call's output cap.
        cost_usd: predicted cost at the expected length.
        cost_upper_usd: the most it can cost (prompt plus ``max_tokens``): reserve this in a budget.
        latency_s: predicted end-to-end latency.
        ttft_s: predicted time to first token (prompt processing plus overhead).
    """

    input_tokens: int
    output_tokens: int
    max_tokens: int
    cost_usd: float
    cost_upper_usd: float
    latency_s: float
    ttft_s: float


def _message_chars(messages: Sequence[Mapping[str, Any]] | str) -> tuple[int, int]:
    if isinstance(messages, str):
        return len(messages), 0
    return sum(len(str(m.get("content") or "")) for m in messages), len(messages)


@dataclass(frozen=True)
class CostModel:
    """Predicts tokens, cost and latency of a call from its prompt, before sending it.

    latency = overhead_s + input_tokens / prefill_tps + output_tokens / decode_tps, and
    input_tokens = chars / chars_per_token + tokens_per_message * messages.

    Attributes:
        model: the model the predictions are for (prices come from the registry).
        prefill_tps: prompt tokens processed per second.
        decode_tps: tokens generated per second.
        overhead_s: fixed time per call (HTTP, scheduling).
        chars_per_token: characters per prompt token (about 4 for English).
        tokens_per_message: chat-template tokens added per message.
        expected_output_tokens: typical answer length; None predicts ``max_tokens``.
        input_margin: the upper bound counts ``input_margin`` x the predicted prompt tokens (+8), since
            a character ratio can undercount; with an exact token count, 1.0 makes it a hard bound.
    """

    model: str
    prefill_tps: float = 280.0
    decode_tps: float = 90.0
    overhead_s: float = 0.05
    chars_per_token: float = 4.0
    tokens_per_message: float = 4.0
    expected_output_tokens: float | None = None
    input_margin: float = 1.25

    def __post_init__(self) -> None:
        for name in ("prefill_tps", "decode_tps", "chars_per_token"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.input_margin < 1:
            raise ValueError(f"input_margin must be >= 1 (it pads the upper bound), got {self.input_margin}")
        if self.overhead_s < 0 or self.tokens_per_message < 0:
            raise ValueError("overhead_s and tokens_per_message must be >= 0")

    @classmethod
    def from_registry(cls, model: str) -> CostModel:
        """Throughputs from the registry's measured numbers (local models) or generic defaults."""
        info = registry.find(model)
        raw = registry._raw().get("models", {}).get(info.id, {}) if info else {}
        return cls(model=model, prefill_tps=float(raw.get("measured_prefill_tps", 280.0)),
                   decode_tps=float(raw.get("measured_decode_tps", 90.0)))

    @classmethod
    def fit(cls, records: Sequence[CallRecord], model: str | None = None) -> CostModel:
        """Fit the model's constants on measured calls (non-streamed or streamed chat calls from the ledger).

        Args:
            records: ledger records with ``request_body`` (the prompt) and measured tokens and latency.
            model: only use calls to this model; the most common model by default.

        Returns:
            A fitted :class:`CostModel`.

        Raises:
            ValueError: fewer than 4 usable calls.
        """
        usable = [r for r in records if r.status == 200 and r.input_tokens > 0 and r.output_tokens > 0
                  and r.operation in ("chat", "completion") and not r.error]
        if model is None and usable:
            names = [r.model for r in usable]
            model = max(set(names), key=names.count)
        usable = [r for r in usable if r.model == model]
        if len(usable) < 4 or model is None:
            raise ValueError(f"need at least 4 successful calls to fit a cost model, got {len(usable)}")
        chars = np.array([_message_chars(r.request_body.get("messages") or r.request_body.get("prompt") or "")
                          for r in usable], dtype=float)
        tokens_in = np.array([r.input_tokens for r in usable], dtype=float)
        # input tokens ~ chars / cpt + per_message * n_messages  (least squares, non-negative)
        coef, *_ = np.linalg.lstsq(chars, tokens_in, rcond=None)
        per_char, per_msg = max(float(coef[0]), 1e-3), max(float(coef[1]), 0.0)
        tokens_out = np.array([r.output_tokens for r in usable], dtype=float)
        latency = np.array([r.latency_s for r in usable], dtype=float)
        design = np.column_stack([np.ones(len(usable)), tokens_in, tokens_out])
        lat_coef, *_ = np.linalg.lstsq(design, latency, rcond=None)
        overhead = max(float(lat_coef[0]), 0.0)
        # a per-token time at or below zero means the data cannot separate the two phases; fall back
        # to the registry's throughput for that phase
        prior = cls.from_registry(model)
        prefill = 1.0 / lat_coef[1] if lat_coef[1] > 1e-5 else prior.prefill_tps
        decode = 1.0 / lat_coef[2] if lat_coef[2] > 1e-4 else prior.decode_tps
        return cls(model=model, prefill_tps=float(prefill), decode_tps=float(decode), overhead_s=overhead,
                   chars_per_token=1.0 / per_char, tokens_per_message=per_msg,
                   expected_output_tokens=float(tokens_out.mean()))

    def count_input_tokens(self, messages: Sequence[Mapping[str, Any]] | str) -> int:
        """Predicted prompt tokens of a chat message list (or a completion prompt string)."""
        chars, n = _message_chars(messages)
        return max(1, round(chars / self.chars_per_token + self.tokens_per_message * n))

    def estimate(self, messages: Sequence[Mapping[str, Any]] | str, max_tokens: int) -> Estimate:
        """Predict one call.

        Args:
            messages: the chat messages (or a completion prompt).
            max_tokens: the call's output cap.

        Returns:
            An :class:`Estimate`.
        """
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"max_tokens must be an integer >= 1, got {max_tokens!r}")

        n_in = self.count_input_tokens(messages)
        n_out = max_tokens if self.expected_output_tokens is None else min(max_tokens,
                                                                           round(self.expected_output_tokens))
        info = registry.find(self.model)
        cost = info.cost(n_in, n_out) if info else 0.0
        upper = info.cost(math.ceil(n_in * self.input_margin) + 8, max_tokens) if info else 0.0
        ttft = self.overhead_s + n_in / self.prefill_tps
        return Estimate(n_in, n_out, max_tokens, cost, upper, ttft + n_out / self.decode_tps, ttft)


@dataclass(frozen=True)
class EstimateCheck:
    """A prediction next to the measured call, with relative errors (measured / predicted - 1)."""

    predicted: Estimate
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    input_error: float
    cost_error: float
    latency_error: float
    within_upper_bound: bool


def check_estimate(estimate: Estimate, record: CallRecord) -> EstimateCheck:
    """Compare a prediction with the ledger record of the call it predicted."""
    cost = record.cost_usd or 0.0

    def rel(measured: float, predicted: float) -> float:
        return measured / predicted - 1 if predicted else math.inf

    return EstimateCheck(estimate, record.input_tokens, record.output_tokens, cost, record.latency_s,
                         rel(record.input_tokens, estimate.input_tokens), rel(cost, estimate.cost_usd),
                         rel(record.latency_s, estimate.latency_s), cost <= estimate.cost_upper_usd + 1e-12)
