"""labkit.specdec: result bookkeeping (code), and the real thing: prompt-lookup decoding on the
SmolLM2 GGUF in transformers gives the same tokens as plain greedy decoding (slow: loads the model)."""

from __future__ import annotations

import pytest

from labkit import specdec
from labkit.specdec import Generation, SpecDecResult


def test_result_arithmetic() -> None:
    r = SpecDecResult("prompt_lookup", [Generation("a", [1, 2, 3, 4], 2.0), Generation("b", [5, 6], 1.0)],
                      [Generation("a", [1, 2, 3, 4], 1.0), Generation("b", [5, 6], 1.0)])
    assert r.identical and r.speedup == pytest.approx(1.5) and r.per_prompt_speedup == [2.0, 1.0]
    assert r.baseline_tps == pytest.approx(2.0) and r.speculative_tps == pytest.approx(3.0)
    r.speculative[1] = Generation("c", [5, 7], 1.0)
    assert not r.identical
    assert r.summary()["identical_outputs"] is False


def test_rag_prompts_quote_the_knowledge_base() -> None:
    prompts = specdec.rag_prompts(2)
    assert len(prompts) == 2 and all(p[1]["content"].startswith("Source:") for p in prompts)


@pytest.mark.slow
def test_prompt_lookup_keeps_greedy_output_identical() -> None:
    pytest.importorskip("gguf")
    tok, model = specdec.load(threads=2)
    msgs = [{"role": "user", "content": "Repeat exactly: the Team plan costs 19 dollars per user per month."}]
    result = specdec.compare(tok, model, [msgs], max_new_tokens=12, prompt_lookup_num_tokens=5, warmup=False)
    assert result.baseline[0].tokens > 0
    assert result.identical, (result.baseline[0].text, result.speculative[0].text)
