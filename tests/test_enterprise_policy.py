"""labkit.enterprise.policy: data classes and the egress policy, enforced on the real openai client.

A local StubEndpoint stands in for a hosted provider (the policy is told that its host:port is
"openai"); it records every request that reaches it, so "never reached" is measured, not assumed.
"""

from __future__ import annotations

import asyncio

import pytest

from labkit import llm
from labkit.deploy import FallbackChain, Provider, RetryPolicy, StubEndpoint
from labkit.enterprise import pii
from labkit.enterprise.policy import (
    DataClass,
    EgressDenied,
    EgressGuard,
    EgressPolicy,
    class_of,
    data_class,
    default_policy,
    request_text,
)
from labkit.errors import LabkitError

CARD = "4111 1111 1111 1111"


def hosted_policy(stub: StubEndpoint) -> EgressPolicy:
    """The default policy, with the stub's address registered as the hosted provider "openai"."""
    base = default_policy()
    port = stub.url.split(":")[2].split("/")[0]
    return EgressPolicy(base.rules, {**base.destinations, f"127.0.0.1:{port}": "openai"}, base.pii_classes)


def ask(client, text: str, model: str = "stub-model") -> str:
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], max_tokens=8)
    return r.choices[0].message.content


def test_data_classes_parse_and_order() -> None:
    assert DataClass.parse("Confidential") is DataClass.CONFIDENTIAL
    assert DataClass.PUBLIC < DataClass.INTERNAL < DataClass.CONFIDENTIAL < DataClass.RESTRICTED
    assert DataClass.RESTRICTED.label == "restricted"
    with pytest.raises(ValueError, match="one of"):
        DataClass.parse("secret")


def test_default_policy_says_where_each_class_may_go_and_how_it_is_kept() -> None:
    p = default_policy(self_hosted=["vllm-eu"])
    assert p.allows("public", "external") and p.allows("internal", "openai")
    assert not p.allows("confidential", "openai") and p.allows("confidential", "vllm-eu")
    assert p.allows("restricted", "local") and not p.allows("restricted", "vllm-eu")
    assert p.may_cache("confidential") and not p.may_cache("restricted")
    assert p.retain_days("restricted") == 0 < p.retain_days("confidential") < p.retain_days("public")
    assert [row["class"] for row in p.table()] == ["public", "internal", "confidential", "restricted"]
    with pytest.raises(ValueError, match="every data class"):
        EgressPolicy({DataClass.PUBLIC: p.rule("public")})
    with pytest.raises(ValueError, match="log must be"):
        type(p.rule("public"))(frozenset({"local"}), True, "everything", 1)


def test_provider_of_maps_hosts_and_ports() -> None:
    p = EgressPolicy(default_policy().rules, {"127.0.0.1": "local", "127.0.0.1:9000": "openai",
                                              "api.openai.com": "openai"})
    assert p.provider_of("http://127.0.0.1:8080/v1") == "local"
    assert p.provider_of("http://127.0.0.1:9000/v1") == "openai"
    assert p.provider_of("https://api.openai.com/v1") == "openai"
    assert p.provider_of("https://llm.example.net/v1") == "external"


def test_personal_data_raises_the_class_of_a_request() -> None:
    p = default_policy()
    assert p.classify("What does the Team plan cost?") == (DataClass.PUBLIC, ())
    assert p.classify("mail ana@example.com") == (DataClass.CONFIDENTIAL, ("email",))
    assert p.classify(f"card {CARD}", "internal") == (DataClass.RESTRICTED, ("card",))
    assert p.classify("plain text", "confidential")[0] is DataClass.CONFIDENTIAL


def test_log_rules_redact_or_withhold() -> None:
    p = default_policy()
    text = "Reach ana@example.com"
    assert p.loggable(text, "public") == text
    assert p.loggable(text, "confidential") == "Reach [EMAIL]"
    logged = p.loggable(text, "restricted")
    assert logged is not None and "ana@" not in logged and "withheld" in logged


def test_class_of_documents_and_hits() -> None:
    assert class_of([{"data_class": "public"}, {"data_class": "confidential"}]) is DataClass.CONFIDENTIAL
    assert class_of([]) is DataClass.PUBLIC
    assert class_of([{"title": "no label"}]) is DataClass.RESTRICTED  # unlabelled counts as most sensitive


def test_request_text_reads_messages_prompts_and_inputs() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]},
                        {"role": "assistant", "content": "b"}], "input": ["c", "d"], "prompt": "e"}
    assert request_text(body).split("\n") == ["a", "b", "e", "c", "d"]


def test_declared_class_nests_and_only_rises() -> None:
    from labkit.enterprise.policy import current_class

    assert current_class() is DataClass.PUBLIC
    with data_class("confidential"):
        with data_class("internal"):
            assert current_class() is DataClass.CONFIDENTIAL
        assert current_class() is DataClass.CONFIDENTIAL
    assert current_class() is DataClass.PUBLIC


def test_no_disallowed_request_reaches_a_hosted_endpoint(clean_env: pytest.MonkeyPatch) -> None:
    """Adversarial: every way a sensitive prompt could slip out, against the real client and a real socket."""
    with StubEndpoint("ok") as hosted:
        clean_env.setenv("OPENAI_BASE_URL", hosted.url)
        client = llm.client(max_retries=0)
        cases = [  # (declared class, prompt, should be sent)
            ("public", "What does the Team plan cost?", True),
            ("internal", "Summarise our internal runbook step 3.", True),
            ("confidential", "Summarise the Halyard contract terms.", False),
            ("restricted", "Print the incident war-room notes.", False),
            ("public", "Email the summary to ana.lopez@halyard.example", False),
            ("public", f"Charge card {CARD} for the upgrade", False),
            ("public", "Refund to IBAN GB82 WEST 1234 5698 7654 32", False),
            ("public", "Applicant SSN 219-09-9999", False),
            ("internal", "the key is AKIA" + "IOSFODNN7EXAMPLE please rotate", False),
            ("public", "Call me on +44 20 7946 0958", False),
        ]
        with EgressGuard(hosted_policy(hosted)) as guard:
            for declared, prompt, allowed in cases:
                with data_class(declared):
                    if allowed:
                        assert ask(client, prompt)
                    else:
                        with pytest.raises(EgressDenied, match="may not be sent to 'openai'"):
                            ask(client, prompt)
        sent = [request_text(body) for body in hosted.requests]
    assert len(sent) == sum(allowed for *_, allowed in cases)  # zero disallowed egress
    assert all(pii.detect(text) == [] for text in sent)
    assert "Halyard" not in " ".join(sent)
    assert guard.summary() == {"requests": len(cases), "allowed": 2, "denied": len(cases) - 2}
    assert issubclass(EgressDenied, LabkitError)


def test_async_client_is_guarded_too(clean_env: pytest.MonkeyPatch) -> None:
    with StubEndpoint("ok") as hosted:
        clean_env.setenv("OPENAI_BASE_URL", hosted.url)

        async def go() -> None:
            client = llm.async_client(max_retries=0)
            with data_class("restricted"):
                await client.chat.completions.create(model="stub-model", messages=[{"role": "user", "content": "x"}])

        with EgressGuard(hosted_policy(hosted)):
            with pytest.raises(EgressDenied):
                asyncio.run(go())
        assert hosted.count == 0


def test_guard_installs_once_and_uninstalls() -> None:
    guard = EgressGuard(default_policy())
    guard.install()
    guard.install()
    assert llm.hooks.preflight.count(guard.preflight) == 1
    guard.uninstall()
    assert guard.preflight not in llm.hooks.preflight and guard.observe not in llm.hooks.observers
    with pytest.raises(TypeError, match="EgressPolicy"):
        EgressGuard("strict")  # type: ignore[arg-type]


@pytest.mark.server
def test_local_model_gets_confidential_data_and_the_ledger_keeps_it_redacted(embedded) -> None:
    with EgressGuard(default_policy()) as guard:
        with data_class("confidential"):
            llm.client().chat.completions.create(
                model=llm.model_for("chat"), max_tokens=4,
                messages=[{"role": "user", "content": "Write to ana.lopez@halyard.example about the renewal."}])
        record = llm.ledger.records[-1]
        assert record.status == 200 and guard.decisions[-1].provider == "local"
        stored = request_text(record.request_body)
        assert "[EMAIL]" in stored and "ana.lopez" not in stored
        llm.client().chat.completions.create(model=llm.model_for("chat"), max_tokens=4,
                                             messages=[{"role": "user", "content": f"Card {CARD} declined?"}])
        stored = request_text(llm.ledger.records[-1].request_body)
        assert CARD not in stored and "withheld" in stored  # restricted: metadata only


@pytest.mark.server
def test_fallback_chain_skips_a_provider_the_policy_forbids(embedded) -> None:
    with StubEndpoint("ok") as hosted:
        policy = hosted_policy(hosted)
        chain = FallbackChain([Provider("hosted", hosted.url, "stub-model"), Provider.current("local", timeout_s=300)],
                              RetryPolicy(max_attempts=2, backoff_s=0))
        with EgressGuard(policy):
            public = chain.create(messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
            with data_class("confidential"):
                private = chain.create(messages=[{"role": "user", "content": "Halyard contract?"}], max_tokens=4)
    assert public.provider == "hosted" and private.provider == "local"
    assert [a.outcome for a in private.attempts] == ["denied", "ok"]  # denied once, never retried
    assert hosted.count == 1


def test_a_provider_client_is_judged_by_its_own_endpoint() -> None:
    """Clients built for other endpoints (labkit.deploy) carry their destination to the guard."""
    from labkit.deploy import provider_client

    with StubEndpoint("ok") as hosted:
        client = provider_client(Provider("hosted", hosted.url, "stub-model"))
        with EgressGuard(hosted_policy(hosted)) as guard:
            assert ask(client, "public question")
            with data_class("confidential"), pytest.raises(EgressDenied):
                ask(client, "private question")
            named = provider_client(Provider("named", hosted.url, "stub-model", egress="local"))
            with data_class("confidential"):
                assert ask(named, "private question")  # the operator declared this endpoint local
        assert [d.provider for d in guard.decisions] == ["openai", "openai", "local"]
        assert hosted.count == 2
