"""llm.capabilities(): the embedded server supports everything it should; the strict proxy hides the extras."""

from __future__ import annotations

import pytest

from labkit import llm
from labkit.llm.capabilities import LLAMACPP_EXTRAS, Capabilities
from labkit.llm.strict_proxy import StrictOpenAIProxy


def _caps(extras: bool, **flags: bool) -> Capabilities:
    base = {"metrics": extras, "slots": extras, "logprobs": True, "json_schema": True, "tools": True}
    return Capabilities("http://127.0.0.1:1/v1", "m", dict.fromkeys(LLAMACPP_EXTRAS, extras), **{**base, **flags})


def test_extra_body_keeps_only_accepted_fields() -> None:
    assert _caps(True).extra_body(ignore_eos=True, cache_prompt=False) == {"ignore_eos": True, "cache_prompt": False}
    assert _caps(False).extra_body(ignore_eos=True, cache_prompt=False) == {}
    with pytest.raises(ValueError, match="unknown llama.cpp field 'ignore_eoss'"):
        _caps(True).extra_body(ignore_eoss=True)


def test_explain_is_rendered_from_the_capability() -> None:
    assert _caps(True).explain("metrics", "no server-side count").startswith("metrics: used")
    line = _caps(False).explain("ignore_eos", "answers may stop early")
    assert line.startswith("ignore_eos: skipped") and line.endswith("answers may stop early")
    assert _caps(True, tools=False).supports("tools") is False
    with pytest.raises(ValueError, match="unknown capability"):
        _caps(True).supports("base_url")


@pytest.mark.server
def test_the_embedded_server_supports_everything_llamacpp_has(embedded) -> None:
    caps = llm.capabilities()
    assert caps.base_url == embedded.url and caps.model == llm.model_for("chat")
    assert all(caps.llamacpp_extras.values()), caps.llamacpp_extras
    assert caps.metrics and caps.slots and caps.logprobs and caps.json_schema and caps.tools
    assert llm.capabilities() is caps, "probed once, then cached per base URL"


@pytest.mark.server
def test_through_the_strict_proxy_the_extras_are_unsupported(embedded) -> None:
    with StrictOpenAIProxy(embedded.url) as proxy:
        caps = llm.capabilities(proxy.url)
        refused = {r.message for r in proxy.rejections}
    assert caps.base_url == proxy.url and caps.model == llm.model_for("chat")  # found in the proxy's /v1/models
    assert not any(caps.llamacpp_extras.values()) and not caps.metrics and not caps.slots
    assert caps.logprobs and caps.json_schema and caps.tools, "what the OpenAI API accepts still passes"
    assert {f"Unrecognized request argument supplied: {k}" for k in LLAMACPP_EXTRAS} <= refused
    assert caps.extra_body(ignore_eos=True) == {}


@pytest.mark.server
def test_perf_sends_llamacpp_fields_only_where_accepted(embedded) -> None:
    from labkit import perf

    prefix = "You are a careful assistant for the Quaywise product. Answer briefly. " * 12
    with StrictOpenAIProxy(embedded.url) as proxy:
        client = llm.client(base_url=proxy.url, max_retries=0)
        llm.capabilities(proxy.url)  # probe first: the probes' refusals are expected
        before = len(proxy.rejections)
        pts = perf.concurrency_sweep((1, 2), requests_per_level=2, max_tokens=4, client=client)
        trial = perf.prefix_cache_trial(prefix, ["Hi?", "Hello?"], max_tokens=2, client=client)
        refused_by_perf = proxy.rejections[before:]
    assert refused_by_perf == [] and all(p.errors == 0 and p.requests == 2 for p in pts)
    assert not trial.pinned and trial.no_cache_ttft == [], "no id_slot pin and no cache_prompt control here"
    direct = perf.prefix_cache_trial(prefix, ["Hi?", "Hello?"], max_tokens=2)
    assert direct.pinned and len(direct.no_cache_ttft) == 2
