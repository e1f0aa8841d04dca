"""Speculative decoding with transformers on the same SmolLM2-135M weights (the GGUF, dequantised).

Prompt-lookup decoding against plain greedy decoding, interleaved, every output checked token for
token, on two workloads: *editing* (fix the typos in a knowledge-base passage: the answer copies the
prompt, where prompt lookup should pay) and *summarising* (the answer rewords the prompt: a contrast,
where drafts are mostly rejected). No draft model exists for SmolLM2-135M (it is the smallest model
shipped), so the draft-model variant is not measured.
"""

from __future__ import annotations

import os
import time

from labkit import specdec

PROMPTS = 4
MAX_NEW_TOKENS = 64
LOOKUP = 5


def run() -> dict:
    import torch

    t0 = time.perf_counter()
    tok, model = specdec.load(threads=os.cpu_count() or 2)
    load_s = time.perf_counter() - t0
    edit = specdec.compare(tok, model, specdec.edit_prompts(PROMPTS), max_new_tokens=MAX_NEW_TOKENS,
                           prompt_lookup_num_tokens=LOOKUP)
    summ = specdec.compare(tok, model, specdec.rag_prompts(PROMPTS), max_new_tokens=MAX_NEW_TOKENS,
                           prompt_lookup_num_tokens=LOOKUP, warmup=False)
    s = edit.summary()
    return {
        "method": __doc__.strip().splitlines()[0],
        "load_average_1m": round(os.getloadavg()[0], 2), "torch_threads": torch.get_num_threads(),
        "load_s": round(load_s, 1), "prompt_lookup_num_tokens": LOOKUP, "workload": "edit (fix typos)", **s,
        "summarise_workload": summ.summary(),
        "draft_model": "not available: SmolLM2-135M is the smallest model shipped; nothing smaller shares its tokenizer",
        "sample_output": edit.speculative[0].text[:300],
        "targets": [
            {"name": "prompt lookup: identical outputs (both workloads)",
             "value": bool(s["identical_outputs"] and summ.identical), "target": "true",
             "met": bool(s["identical_outputs"] and summ.identical)},
            {"name": "prompt lookup speed-up on editing (x)", "value": s["speedup"], "target": "> 1.2",
             "met": s["speedup"] > 1.2},
        ],
    }
