"""Speculative decoding, for real: the same SmolLM2 weights in transformers, with and without drafting.

A decoder spends one forward pass per generated token. Speculative decoding *guesses* several
tokens cheaply, then checks all of them with one forward pass of the real model, keeping the
longest prefix the model agrees with. With greedy decoding the output is *identical* by
construction; only the number of forward passes changes. Two ways to guess:

* **prompt lookup** (``prompt_lookup_num_tokens``): copy the tokens that followed the last few
  generated tokens where they occur in the prompt. Free, and strong when the answer quotes its
  sources (RAG, extraction, code edits);
* **a draft model** (``assistant_model``): a smaller model of the same family proposes tokens.
  SmolLM2-135M is the smallest model shipped here, so no draft model exists for it; with a larger
  target (e.g. a 1.7B checkpoint the learner provides) the 135M model is the draft.

The GGUF file is loaded by transformers (``gguf_file=``; needs the ``gguf`` package), dequantised to
float32 — slower than llama.cpp, but it exposes the logits and ``generate`` options this needs.
Loading takes ~30 s, so the benchmark measures it and notebooks read the benchmark's result.
"""

from __future__ import annotations

import functools
import importlib.util
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from labkit import data
from labkit.llm import registry


@dataclass
class Generation:
    """One ``generate`` call: the text, its token ids, and how long it took."""

    text: str
    token_ids: list[int]
    seconds: float

    @property
    def tokens(self) -> int:
        return len(self.token_ids)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SpecDecResult:
    """Baseline greedy decoding against speculative decoding on the same prompts.

    Attributes:
        method: "prompt_lookup" or "draft_model".
        baseline / speculative: one :class:`Generation` per prompt.
        identical: every speculative output equals its baseline token for token.
    """

    method: str
    baseline: list[Generation] = field(default_factory=list)
    speculative: list[Generation] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return all(a.token_ids == b.token_ids for a, b in zip(self.baseline, self.speculative, strict=True))

    @property
    def baseline_tps(self) -> float:
        return sum(g.tokens for g in self.baseline) / sum(g.seconds for g in self.baseline)

    @property
    def speculative_tps(self) -> float:
        return sum(g.tokens for g in self.speculative) / sum(g.seconds for g in self.speculative)

    @property
    def speedup(self) -> float:
        """Total baseline time over total speculative time for the same tokens."""
        return sum(g.seconds for g in self.baseline) / sum(g.seconds for g in self.speculative)

    @property
    def per_prompt_speedup(self) -> list[float]:
        return [a.seconds / b.seconds for a, b in zip(self.baseline, self.speculative, strict=True)]

    def summary(self) -> dict[str, Any]:
        return {"decoding": self.method, "prompts": len(self.baseline), "identical_outputs": self.identical,
                "baseline_tokens_per_s": round(self.baseline_tps, 2),
                "speculative_tokens_per_s": round(self.speculative_tps, 2),
                "speedup": round(self.speedup, 3),
                "per_prompt_speedup": [round(x, 3) for x in self.per_prompt_speedup],
                "median_speedup": round(statistics.median(self.per_prompt_speedup), 3)}


def load(model_id: str = "smollm2-135m-instruct", threads: int | None = None) -> tuple[Any, Any]:
    """The registry's local GGUF model in transformers: (tokenizer, model), float32 on CPU.

    De-quantizing the GGUF file takes seconds, so each model is loaded once per process and the same
    (read-only, ``eval()``-mode) pair is returned to every caller (:mod:`labkit.grounding.lm_support` too).

    Args:
        model_id: a local registry model.
        threads: torch CPU threads (None leaves torch's default); applied on every call.

    Raises:
        ModuleNotFoundError: ``gguf`` (or ``accelerate``) is not installed; the message says how to fix it.
    """
    for pkg in ("gguf", "accelerate"):
        if importlib.util.find_spec(pkg) is None:
            raise ModuleNotFoundError(f"transformers needs the {pkg!r} package to load a GGUF file; "
                                      f"run `make setup` (it is in requirements.lock)")
    import torch

    if threads:
        torch.set_num_threads(threads)
    return _load_once(model_id)


@functools.lru_cache(maxsize=2)
def _load_once(model_id: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = registry.local_model_path(model_id)
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    model.eval()
    return tok, model


def generate(tok: Any, model: Any, messages: list[dict[str, str]], *, max_new_tokens: int = 64,
             **speculative: Any) -> Generation:
    """Greedy generation for a chat prompt, timed.

    Args:
        tok, model: from :func:`load`.
        messages: chat messages.
        max_new_tokens: generation cap.
        **speculative: ``prompt_lookup_num_tokens=N`` or ``assistant_model=draft`` (nothing: baseline).

    Returns:
        A :class:`Generation`.
    """
    import torch

    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    n_prompt = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        t0 = time.perf_counter()
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tok.eos_token_id, **speculative)
        seconds = time.perf_counter() - t0
    ids = [int(t) for t in out[0, n_prompt:]]
    return Generation(tok.decode(ids, skip_special_tokens=True), ids, seconds)


def compare(tok: Any, model: Any, prompts: list[list[dict[str, str]]], *, max_new_tokens: int = 64,
            prompt_lookup_num_tokens: int = 10, assistant_model: Any = None, warmup: bool = True) -> SpecDecResult:
    """Baseline against speculative decoding on the same prompts, interleaved, outputs compared.

    Args:
        tok, model: from :func:`load`.
        prompts: chat message lists.
        max_new_tokens: generation cap per prompt.
        prompt_lookup_num_tokens: tokens prompt lookup may propose at a time (ignored with a draft model).
        assistant_model: a draft model sharing the tokenizer; prompt lookup when None.
        warmup: run one short generation first (the first call pays one-off costs).

    Returns:
        A :class:`SpecDecResult`.
    """
    if not prompts:
        raise ValueError("give at least one prompt")
    spec: dict[str, Any] = ({"assistant_model": assistant_model} if assistant_model is not None
                            else {"prompt_lookup_num_tokens": prompt_lookup_num_tokens})
    if warmup:
        generate(tok, model, prompts[0], max_new_tokens=4)
    result = SpecDecResult("draft_model" if assistant_model is not None else "prompt_lookup")
    for i, msgs in enumerate(prompts):
        # alternate which runs first, so a machine that slows down over time does not favour either
        if i % 2 == 0:
            base = generate(tok, model, msgs, max_new_tokens=max_new_tokens)
            fast = generate(tok, model, msgs, max_new_tokens=max_new_tokens, **spec)
        else:
            fast = generate(tok, model, msgs, max_new_tokens=max_new_tokens, **spec)
            base = generate(tok, model, msgs, max_new_tokens=max_new_tokens)
        result.baseline.append(base)
        result.speculative.append(fast)
    return result


def _kb_passages(n: int, words: int) -> list[str]:
    docs = [d for d in data.records("kb") if d.get("status") == "current" and d.get("tenant") == "shared"]
    docs = sorted(docs, key=lambda d: d["id"])[: max(1, n)]
    return [" ".join(d["text"].split()[:words]) for d in docs]


def edit_prompts(n: int = 4, words: int = 60) -> list[list[dict[str, str]]]:
    """Chat prompts whose answer copies the prompt: fix the typos in a knowledge-base passage.

    Editing, extraction and quoting are where prompt lookup pays: most output tokens already sit
    in the prompt. Every 9th word of the passage gets two letters swapped (deterministically).
    """
    out = []
    for passage in _kb_passages(n, words):
        tokens = passage.split()
        for i in range(4, len(tokens), 9):
            w = tokens[i]
            if len(w) > 3 and w.isalpha():
                tokens[i] = w[0] + w[2] + w[1] + w[3:]
        out.append([{"role": "user", "content": "Fix the spelling mistakes in this text and return the whole "
                                                f"corrected text, nothing else:\n\n{' '.join(tokens)}"}])
    return out


def rag_prompts(n: int = 4) -> list[list[dict[str, str]]]:
    """Chat prompts that quote sources, from the course's knowledge base (where prompt lookup shines)."""
    out = []
    for source in _kb_passages(n, 120):
        out.append([{"role": "system", "content": "Answer from the source. Quote it where you can."},
                    {"role": "user", "content": f"Source: {source}\n\nSummarise the source in two sentences, "
                                                f"quoting its key facts."}])
    return out
