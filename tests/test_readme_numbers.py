"""The README's measured-numbers table agrees with the benchmark results it cites (`bench/results/*.json`).

Each check names a row (by the start of its first cell), a pattern that captures numbers in the row's
"measured" cell, and the JSON values they must equal, allowing for the rounding the README shows (half a
unit in the last printed digit). After `make bench` changes a result, this test names the row to update.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NUM = r"([−-]?[\d.]+)"
GROUNDING_SETS = ("OOD summaries", "OOD QA", "VitaminC test", "labelled test")

# (row starts with, pattern over the measured cell, [(results file, key path, scale)] in capture order)
CHECKS: list[tuple[str, str, list[tuple[str, str, float]]]] = [
    ("generation through `labkit.llm.client()`", rf"{NUM} vs {NUM} tokens/s \(overhead {NUM} %",
     [("llm", "labkit_tokens_per_s", 1), ("llm", "raw_http_tokens_per_s", 1), ("llm", "labkit_overhead_pct", 1)]),
    ("input guard layer, jailbreak test set", rf"{NUM} % detected \[{NUM}, {NUM}\]",
     [("guardrails", "detection_jailbreak_set.rate", 100), ("guardrails", "detection_jailbreak_set.ci95.0", 100),
      ("guardrails", "detection_jailbreak_set.ci95.1", 100)]),
    ("input guard layer, benign prompts", rf"{NUM} % false positives \[{NUM}, {NUM}\]",
     [("guardrails", "false_positives_benign.rate", 100), ("guardrails", "false_positives_benign.ci95.0", 100),
      ("guardrails", "false_positives_benign.ci95.1", 100)]),
    ("input guard layer latency", rf"{NUM} ms over attacks \+ benign, {NUM} ms benign only; slowest guard "
                                  rf"\(classifier\) {NUM} ms",
     [("guardrails", "latency_ms.served_p95", 1), ("guardrails", "latency_ms.served_p95_benign_only", 1),
      ("guardrails", "latency_ms.slowest_guard_p95", 1)]),
    ("same layer with MiniLM", rf"{NUM} % detected, {NUM} % false positives, p95 {NUM} ms \(the similarity guard "
                               rf"alone {NUM} ms p95",
     [("guardrails", "similarity_representations.minilm.detection_jailbreak_set.rate", 100),
      ("guardrails", "similarity_representations.minilm.false_positives_benign.rate", 100),
      ("guardrails", "similarity_representations.minilm.served_p95_ms", 1),
      ("guardrails", "similarity_representations.minilm.similarity_p95_ms_when_it_runs", 1)]),
    ("grounding detector AUROC", rf"{NUM} \[{NUM}, {NUM}\]",
     [("grounding", "labelled_test.combined_auroc.0", 1), ("grounding", "labelled_test.combined_auroc.1", 1),
      ("grounding", "labelled_test.combined_auroc.2", 1)]),
    ("grounding, learned combiner", "; ".join(rf"{s} \(n={NUM}\): {NUM} \[{NUM}, {NUM}\] vs {NUM} / {NUM}"
                                             for s in GROUNDING_SETS),
     [("grounding", f"generalisation.{s}.{k}", 1) for s in GROUNDING_SETS
      for k in ("n", "headline.learned_auroc_ci.0", "headline.learned_auroc_ci.1", "headline.learned_auroc_ci.2",
                "headline.word overlap (either direction)", "headline.answer length (either direction)")]),
    ("PII redaction, held-out", rf"recall {NUM}, precision {NUM}",
     [("pii", "test.recall", 1), ("pii", "test.precision", 1)]),
    ("drift: launch detected", rf"median {NUM} h", [("drift", "detectors.MMD(embedding).launch_median_delay_h", 1)]),
    ("incremental re-ingest", rf"{NUM} % of a full", [("drift", "ingest.ratio", 100)]),
    ("tracing: cost per span", rf"{NUM} µs", [("tracing", "span_cost.per_span_cpu_us_median", 1)]),
    ("tracing: spans lost", rf"\({NUM}/{NUM} stored\)",
     [("tracing", "concurrent_rag.spans_stored", 1), ("tracing", "concurrent_rag.spans_created", 1)]),
    ("RAG retrieval recall@5", rf"{NUM} \[{NUM}, {NUM}\]",
     [("rag", "recall_at_5_answerable.mean", 1), ("rag", "recall_at_5_answerable.low", 1),
      ("rag", "recall_at_5_answerable.high", 1)]),
    ("golden set (251 q) end to end", rf"{NUM} s against a prompt-processing floor of {NUM} s \(.*at the raw "
                                      rf"server's {NUM} tokens/s.*\): {NUM} × the floor",
     [("rag", "wall_s", 1), ("rag", "floor_s", 1), ("rag", "raw_prompt_throughput.prompt_tokens_per_s", 1),
      ("rag", "wall_over_floor", 1)]),
    ("the same, sources trimmed", rf"{NUM} → {NUM} input tokens a question, {NUM} → {NUM} s a question.*"
                                  rf"token F1 \({NUM} \[{NUM}, {NUM}\]\)",
     [("rag", "trim_lever_dev.input_tokens_per_question.default", 1),
      ("rag", "trim_lever_dev.input_tokens_per_question.trimmed", 1),
      ("rag", "trim_lever_dev.wall_per_question_s.default_full_run", 1),
      ("rag", "trim_lever_dev.wall_per_question_s.trimmed_dev_run", 1),
      ("rag", "trim_lever_dev.gate_vs_default.1.diff", 1), ("rag", "trim_lever_dev.gate_vs_default.1.ci95.0", 1),
      ("rag", "trim_lever_dev.gate_vs_default.1.ci95.1", 1)]),
    ("SmolLM2-135M as binary judge", rf"{NUM} labelled model answers.*correct: TPR {NUM} \[{NUM}, {NUM}\], "
                                     rf"TNR {NUM} \[{NUM}, {NUM}\]",
     [("judge", "items", 1)] + [("judge", f"criteria.correct.{rate}.{key}", 1)
                                for rate in ("tpr_test", "tnr_test") for key in ("estimate", "low", "high")]),
    ("embedded server cold start to first token", rf"{NUM} s", [("llm", "targets.1.value", 1)]),
    ("drift: false alarms on no-drift weeks", rf"^{NUM}$", [("drift", "detectors.MMD(embedding).false_alarm_weeks", 1)]),
    ("the shipped Q4_1 weights re-quantised", rf"load {NUM}× faster \({NUM} → {NUM} s\), {NUM} → {NUM} MB resident.*"
                                              rf"token F1 {NUM} → {NUM} \({NUM} \[{NUM}, {NUM}\]",
     [("quant", "speedup", 1), ("quant", "shipped_q4_1.wall s", 1), ("quant", "requantized_q8_0.wall s", 1),
      ("quant", "shipped_q4_1.MB resident", 1), ("quant", "requantized_q8_0.MB resident", 1),
      ("quant", "token_f1.q4_1", 1), ("quant", "token_f1.q8_0", 1), ("quant", "token_f1.diff", 1),
      ("quant", "token_f1.ci95.0", 1), ("quant", "token_f1.ci95.1", 1)]),
    ("cost cap under 16 concurrent callers", rf"highest total {NUM} of the cap on SQLite, {NUM} on Redis",
     [("budget", "targets.0.value", 1), ("budget", "targets.2.value", 1)]),
    ("prefix (KV) cache", rf"{NUM} tokens reused, TTFT {NUM} s → {NUM} s",
     [("batching", "prefix_cache.shared_cached_tokens.1", 1), ("batching", "prefix_cache.median_cold_s", 1),
      ("batching", "prefix_cache.median_shared_s", 1)]),
    ("continuous batching, 1 → 8 callers", rf"{NUM}× throughput \(knee at {NUM}\)",
     [("batching", "throughput_gain_at_knee", 1), ("batching", "knee_concurrency", 1)]),
    ("prompt-lookup speculative decoding", rf"{NUM}× on editing prompts, {NUM}× on summaries",
     [("specdec", "speedup", 1), ("specdec", "summarise_workload.speedup", 1)]),
    ("prompt trimming on the golden sample", rf"{NUM} % fewer input tokens, quality {NUM} → {NUM}",
     [("routing", "trimming.input_tokens_saved", 100), ("routing", "trimming.quality_full", 1),
      ("routing", "trimming.quality_trimmed", 1)]),
    ("rubric on measured scores", rf"cost only: trimmed35 wins by {NUM} \[{NUM}, {NUM}\]; trust .*: prompt-v2 wins by "
                                  rf"{NUM} \[{NUM}, {NUM}\]; {NUM} pairs of weightings",
     [("rubric", f"weightings.{w}.margin.{k}", 1) for w in ("cost (tokens only)",
                                                             "trust (groundedness 2, citations 1, refusal 1)")
      for k in ("mean", "low", "high")] + [("rubric", "targets.0.value", 1)]),
    ("capstone: a seeded week at the default scale", rf"{NUM} s — under the target.*days 3–4 \({NUM} requests, {NUM} s\)",
     [("capstone", "week_wall_s", 1), ("capstone", "replay_requests", 1), ("capstone", "replay_wall_s", 1)]),
    ("a learner's first minutes on a fresh clone", rf"`make setup` {NUM} s with the warm uv cache, {NUM} s with an "
                                                  rf"empty one.*first model answer in 00: {NUM} s \(server up at {NUM} s[;)]",
     [("onboarding", "setup_warm_s", 1), ("onboarding", "setup_cold_s", 1), ("onboarding", "lab.first_answer_s", 1),
      ("onboarding", "lab.server_api_up_s", 1)]),
    ("semantic cache lookup at", rf"p50 {NUM} ms", [("cache", "lookup.search_p50_ms", 1)]),
    ("cache hit vs generation", rf"{NUM}× faster", [("cache", "hit_vs_generation.speedup", 1)]),
    ("semantic cache on held-out", rf"{NUM} % false hits, {NUM} % hits",
     [("cache", "threshold.test.false_hit_rate", 100), ("cache", "threshold.test.hit_rate", 100)]),
]


@cache
def result(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def lookup(doc: object, path: str) -> float:
    """The value at a dotted path; a key may itself hold dots (``token_f1_ge_0.5``), so match greedily."""
    parts = path.split(".")
    while parts:
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if isinstance(doc, dict) and key in doc:
                doc, parts = doc[key], parts[n:]
                break
            if isinstance(doc, list) and n == 1 and key.isdigit():
                doc, parts = doc[int(key)], parts[1:]
                break
        else:
            raise KeyError(f"{path}: no key at {'.'.join(parts)}")
    return float(doc)  # type: ignore[arg-type]


def readme_rows() -> dict[str, str]:
    """First cell -> measured cell, for every row of the README's tables."""
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) >= 2:
            rows[cells[0]] = cells[1]
    return rows


def rounding_tolerance(shown: str) -> float:
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return 0.5 * 10 ** -decimals + 1e-9


@pytest.mark.parametrize("start, pattern, sources", CHECKS, ids=[c[0] for c in CHECKS])
def test_readme_row_matches_the_bench_result(start: str, pattern: str, sources: list) -> None:
    matches = [cell for first, cell in readme_rows().items() if first.startswith(start)]
    assert len(matches) == 1, f"README has {len(matches)} rows starting {start!r}; update CHECKS with the table"
    found = re.search(pattern, matches[0])
    assert found, f"README row {start!r} no longer reads {pattern!r}: {matches[0][:120]}"
    for shown, (name, path, scale) in zip(found.groups(), sources, strict=True):
        value = lookup(result(name), path) * scale
        shown_value = float(shown.replace("−", "-"))
        assert abs(shown_value - value) <= rounding_tolerance(shown), \
            f"README row {start!r} shows {shown} but bench/results/{name}.json {path} is {value:g}"


def test_the_check_catches_a_wrong_number() -> None:
    assert rounding_tolerance("0.04") == pytest.approx(0.005)
    assert abs(0.04 - lookup({"a": {"k.0.5": [0.0]}}, "a.k.0.5.0")) > rounding_tolerance("0.04")
