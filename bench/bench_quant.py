"""Does the weight format set the floor of the golden-set eval? The shipped Q4_1 GGUF against a Q8_0 copy.

The embedded model ships as SmolLM2-135M in Q4_1. On 2 CPU cores the RAG eval is bound by prompt
processing (~400 prompt tokens a question), and llama.cpp's CPU matrix kernels are not equally fast
for every format. This bench re-quantises the shipped weights to Q8_0 (each Q4_1 value is
dequantised and stored again in 8 bits: the weights barely move, yet greedy answers can still
diverge, so the bench counts how many stay identical) and serves each file in
turn with labkit's own :class:`~labkit.llm.server.EmbeddedServer` and the settings ``labkit serve`` uses, sending the same RAG prompts (the first
``QUESTIONS`` golden dev questions, ``WORKERS`` in flight, temperature 0).

Recorded: wall time, prompt and output tokens, and how many answers are identical between the two
files. No target: it is evidence for a decision (the golden set's 240 s target on 2 cores), and the
shipped model is unchanged.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

QUESTIONS = 48
WORKERS = 8


def requantize(src: str | Path, dst: str | Path, target: str = "Q8_0") -> Path:
    """Write a copy of the GGUF ``src`` whose Q4_1 tensors are stored as ``target`` (metadata kept).

    Args:
        src: the GGUF to read.
        dst: where to write the copy.
        target: a ``gguf.GGMLQuantizationType`` name that gguf-py can quantise to (Q8_0, Q4_0, ...).

    Returns:
        The path written.
    """
    import gguf
    from gguf import GGMLQuantizationType, GGUFValueType, quants

    kind = GGMLQuantizationType[target]
    reader = gguf.GGUFReader(str(src))

    def text(field: Any, i: int) -> str:
        return bytes(field.parts[i]).decode("utf-8")

    arch = reader.fields["general.architecture"]
    writer = gguf.GGUFWriter(str(dst), text(arch, arch.data[0]))
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field.types[0]
        if vtype == GGUFValueType.ARRAY:
            sub = field.types[-1]
            values = [text(field, i) if sub == GGUFValueType.STRING else field.parts[i].tolist()[0]
                      for i in field.data]
            writer.add_key_value(name, values, vtype, sub_type=sub)
        else:
            value = text(field, field.data[0]) if vtype == GGUFValueType.STRING else field.parts[field.data[0]].tolist()[0]
            writer.add_key_value(name, value, vtype)
    for t in reader.tensors:
        if t.tensor_type == GGMLQuantizationType.Q4_1:
            shape = [int(x) for x in reversed(t.shape)]
            data = quants.quantize(quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32), kind)
            writer.add_tensor(t.name, data, raw_shape=data.shape, raw_dtype=kind)
        else:
            raw = np.array(t.data)
            writer.add_tensor(t.name, raw, raw_shape=raw.shape, raw_dtype=t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(dst)


def _serve_and_measure(model: Path, prompts: list[list[dict[str, str]]]) -> dict[str, Any]:
    import httpx

    from labkit.llm.server import EmbeddedServer, ServerSettings

    settings = replace(ServerSettings.from_env(), model_path=str(model), model_alias="bench", port=0)
    with EmbeddedServer(settings) as server:

        def call(messages: list[dict[str, str]]) -> dict[str, Any]:
            r = httpx.post(f"{server.url}/chat/completions", timeout=600,
                           json={"model": "bench", "messages": messages, "max_tokens": 64, "temperature": 0})
            r.raise_for_status()
            return r.json()

        call(prompts[0])  # warm up
        t0 = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            replies = list(pool.map(call, prompts))
        wall = time.perf_counter() - t0
    return {"file": model.name, "mb": round(model.stat().st_size / 1e6, 1), "wall_s": round(wall, 1),
            "prompt_tokens": sum(r["usage"]["prompt_tokens"] for r in replies),
            "output_tokens": sum(r["usage"]["completion_tokens"] for r in replies),
            "answers": [r["choices"][0]["message"]["content"] for r in replies]}


def run() -> dict:
    from labkit import data
    from labkit.llm.server import ServerSettings
    from labkit.rag import RagApp
    from labkit.rag.prompts import messages, prompt

    shipped = Path(ServerSettings.from_env().model_path)
    app = RagApp()
    dev = [r for r in data.records("golden") if r["split"] == "dev"][:QUESTIONS]
    prompts = [messages(prompt(app.config.prompt_version), r["question"], app.retrieve(r["question"], None if r["tenant"] == "shared" else r["tenant"]))
               for r in dev]
    with tempfile.TemporaryDirectory(prefix="bench-quant-") as tmp:
        t0 = time.perf_counter()
        q8 = requantize(shipped, Path(tmp) / "q8_0.gguf", "Q8_0")
        convert_s = time.perf_counter() - t0
        results = [_serve_and_measure(shipped, prompts), _serve_and_measure(q8, prompts)]
    base, alt = results
    same = sum(a == b for a, b in zip(base.pop("answers"), alt.pop("answers"), strict=True))
    return {
        "method": (f"{len(prompts)} golden dev RAG prompts, {WORKERS} in flight, max_tokens 64, temperature 0, "
                   "each file served by labkit.llm.server.EmbeddedServer with the default settings, one after the other"),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "convert_s": round(convert_s, 1),
        "shipped_q4_1": base,
        "requantized_q8_0": alt,
        "speedup": round(base["wall_s"] / alt["wall_s"], 3),
        "identical_answers": f"{same}/{len(prompts)}",
        "note": "no target; the shipped model is unchanged",
        "targets": [],
    }
