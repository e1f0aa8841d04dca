"""Does the weight format set the floor of the golden-set eval? The shipped Q4_1 GGUF against a Q8_0 copy.

The embedded model ships as SmolLM2-135M in Q4_1. On 2 CPU cores the RAG eval is bound by prompt
processing (~400 prompt tokens a question), and llama.cpp's CPU matrix kernels are not equally fast
for every format. This bench re-quantises the shipped weights to Q8_0 (each Q4_1 value is
dequantised and stored again in 8 bits: the weights barely move, yet greedy answers can still
diverge, so the bench counts how many stay identical) and serves each file in
turn with labkit's own :class:`~labkit.llm.server.EmbeddedServer` and the settings ``labkit serve`` uses, sending the same RAG prompts (the first
``QUESTIONS`` golden dev questions, ``WORKERS`` in flight, temperature 0).

Recorded: wall time, resident memory, prompt and output tokens, how many answers are identical between
the two files, and quality: each answer's token F1 against the golden reference, compared pairwise
(Q8_0 minus Q4_1, bootstrap interval). No target: it is evidence for a decision, and the shipped model is
unchanged. Notebook 03 runs a smaller sample of the same comparison live.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

QUESTIONS = 48
WORKERS = 8


def run() -> dict:
    from labkit import data
    from labkit.deploy import requantize, serve_weights
    from labkit.evals.metrics import token_f1
    from labkit.evals.stats import paired_test
    from labkit.llm.server import ServerSettings
    from labkit.rag import RagApp
    from labkit.rag.prompts import messages, prompt

    shipped = Path(ServerSettings.from_env().model_path)
    app = RagApp()
    dev = [r for r in data.records("golden") if r["split"] == "dev"][:QUESTIONS]
    prompts = [messages(prompt(app.config.prompt_version), r["question"],
                        app.retrieve(r["question"], None if r["tenant"] == "shared" else r["tenant"]))
               for r in dev]
    with tempfile.TemporaryDirectory(prefix="bench-quant-") as tmp:
        t0 = time.perf_counter()
        q8 = requantize(shipped, Path(tmp) / "q8_0.gguf", "Q8_0")
        convert_s = time.perf_counter() - t0
        base, alt = (serve_weights(f, prompts, workers=WORKERS) for f in (shipped, q8))
    same = sum(a == b for a, b in zip(base.answers, alt.answers, strict=True))
    f1 = {name: [token_f1(a, r["answer"], r["aliases"]) for a, r in zip(run.answers, dev, strict=True)]
          for name, run in (("q4_1", base), ("q8_0", alt))}
    quality = paired_test(f1["q4_1"], f1["q8_0"])  # diff = Q8_0 - Q4_1
    return {
        "method": (f"{len(prompts)} golden dev RAG prompts, {WORKERS} in flight, max_tokens 64, temperature 0, "
                   "each file served by labkit.deploy.serve_weights with the default settings, one after the other; "
                   "quality is token F1 against the golden reference, Q8_0 minus Q4_1 paired"),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "convert_s": round(convert_s, 1),
        "shipped_q4_1": base.row(),
        "requantized_q8_0": alt.row(),
        "speedup": round(base.wall_s / alt.wall_s, 3),
        "identical_answers": f"{same}/{len(prompts)}",
        "token_f1": {"q4_1": round(sum(f1["q4_1"]) / len(dev), 4), "q8_0": round(sum(f1["q8_0"]) / len(dev), 4),
                     "diff": round(quality.diff, 4), "ci95": [round(quality.low, 4), round(quality.high, 4)],
                     "p_value": round(quality.p_value, 4)},
        "note": "no target; the shipped model is unchanged",
        "targets": [],
    }
