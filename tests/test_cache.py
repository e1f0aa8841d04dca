"""labkit.cache: request normalisation, the exact cache, the near-miss guard, the semantic cache,
threshold evaluation on labelled pairs, and the `labkit cache eval` command. The exact cache's
guarantees are checked on SQLite and on Redis (fakeredis; a real server in test_cache_redis.py)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from labkit import cache
from labkit.cache import ExactCache, NearMissGuard, SemanticCache


class Clock:
    """A virtual clock the tests move by hand."""

    def __init__(self, t: float = 1_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A tiny deterministic embedder: hashed word counts (no model needed for code tests)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z0-9]+", t.lower()):
            out[i, sum(map(ord, w)) % 64] += 1.0
    return out


MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is  the Team plan?"}]


# -- exact cache ------------------------------------------------------------------------------

def test_request_key_ignores_whitespace_and_transport_params_but_not_content() -> None:
    k = cache.request_key("m", MSGS, temperature=0, max_tokens=32)
    spaced = [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "What is the Team plan?\n"}]
    assert cache.request_key("m", spaced, max_tokens=32, temperature=0.0, stream=True, user="u1") == k
    assert cache.request_key("m", MSGS, temperature=0.7, max_tokens=32) != k
    assert cache.request_key("other", MSGS, temperature=0, max_tokens=32) != k
    changed = [MSGS[0], {"role": "user", "content": "What is the Business plan?"}]
    assert cache.request_key("m", changed, temperature=0, max_tokens=32) != k
    with pytest.raises(ValueError, match="messages"):
        cache.request_key("m", [])
    with pytest.raises(ValueError, match="role"):
        cache.request_key("m", ["hello"])  # type: ignore[list-item]


@pytest.fixture(params=["sqlite", "redis"])
def exact_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an exact cache lives: a SQLite file, or Redis (fakeredis here; a real server in test_cache_redis.py)."""
    return str(tmp_path / "exact.sqlite") if request.param == "sqlite" else str(request.getfixturevalue("fake_redis"))


def test_exact_cache_hit_ttl_namespaces_and_lru(exact_location: str) -> None:
    clock = Clock()
    c = ExactCache(exact_location, ttl_s=60, max_entries=2, clock=clock)
    c.put("m", MSGS, {"text": "Team is $19"}, namespace="acme", max_tokens=32)
    assert c.get("m", MSGS, namespace="acme", max_tokens=32) == {"text": "Team is $19"}
    assert c.get("m", MSGS, namespace="globex", max_tokens=32) is None  # tenants never share
    clock.t += 61
    assert c.get("m", MSGS, namespace="acme", max_tokens=32) is None  # expired
    assert c.stats.expired == 1
    # size bound: the least recently used entry goes first
    for q in ("a", "b"):
        c.put("m", [{"role": "user", "content": q}], q, namespace="acme")
    clock.t += 1
    assert c.get("m", [{"role": "user", "content": "a"}], namespace="acme") == "a"  # 'a' is now fresher
    clock.t += 1
    c.put("m", [{"role": "user", "content": "c"}], "c", namespace="acme")
    assert c.get("m", [{"role": "user", "content": "b"}], namespace="acme") is None
    assert c.get("m", [{"role": "user", "content": "a"}], namespace="acme") == "a"
    assert len(c) == 2 and c.stats.evicted >= 1
    # survives a reopen
    c.close()
    again = ExactCache(exact_location, ttl_s=60, clock=clock)
    assert again.get("m", [{"role": "user", "content": "c"}], namespace="acme") == "c"


def test_exact_cache_lru_ties_go_oldest_first_and_clear_keeps_other_tenants(exact_location: str) -> None:
    c = ExactCache(exact_location, max_entries=2, clock=Clock())  # the clock never moves: every use ties
    for q in ("first", "second", "third"):
        c.put("m", [{"role": "user", "content": q}], q, namespace="acme")
    c.put("m", MSGS, "other tenant", namespace="globex")
    assert [c.get("m", [{"role": "user", "content": q}], namespace="acme") for q in ("first", "second", "third")] \
        == [None, "second", "third"]
    assert len(c) == 3 and c.stats.evicted == 1
    c.put("m", [{"role": "user", "content": "second"}], "replaced", namespace="acme")  # a put replaces
    assert c.get("m", [{"role": "user", "content": "second"}], namespace="acme") == "replaced" and len(c) == 3
    c.clear("acme")
    assert len(c) == 1 and c.get("m", MSGS, namespace="globex") == "other tenant"
    c.clear()
    assert len(c) == 0


def test_exact_cache_erasure_on_each_backend(exact_location: str) -> None:
    c = ExactCache(exact_location)
    c.put("m", [{"role": "user", "content": "refund?"}], {"text": "ok"}, namespace="acme/ana")
    c.put("m", [{"role": "user", "content": "who?"}], {"text": "that is Ana Lima"}, namespace="acme/bo")
    c.put("m", [{"role": "user", "content": "price?"}], {"text": "24 dollars"}, namespace="acme/bo")
    assert c.count_mentions(["Ana Lima", "ana"]) == 2
    assert c.erase(["Ana Lima", "ana"]).removed == 2
    assert c.count_mentions(["Ana Lima", "ana"]) == 0 and len(c) == 1
    assert c.get("m", [{"role": "user", "content": "price?"}], namespace="acme/bo") == {"text": "24 dollars"}


def test_replicas_on_one_redis_location_share_the_exact_cache(fake_redis: str) -> None:
    from labkit.cache.redis_store import RedisExactCache

    one, two = ExactCache(fake_redis, ttl_s=60), ExactCache(fake_redis, ttl_s=60)
    assert isinstance(one, RedisExactCache)
    one.put("m", MSGS, {"text": "Team is $19"}, namespace="acme")
    assert two.get("m", MSGS, namespace="acme") == {"text": "Team is $19"} and two.stats.hits == 1
    assert two.get("m", MSGS, namespace="globex") is None


@pytest.mark.parametrize("redis", [False, True])
def test_exact_cache_validates(redis: bool, request: pytest.FixtureRequest) -> None:
    where = str(request.getfixturevalue("fake_redis")) if redis else ":memory:"
    with pytest.raises(ValueError, match="ttl_s"):
        ExactCache(where, ttl_s=0)
    with pytest.raises(ValueError, match="max_entries"):
        ExactCache(where, max_entries=0)
    c = ExactCache(where)
    with pytest.raises(ValueError, match="namespace"):
        c.get("m", MSGS, namespace="")
    with pytest.raises(TypeError, match="JSON"):
        c.put("m", MSGS, object())


# -- guard ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cached", "incoming", "reason"), [
    ("Can I upload a 100 MB file?", "Can I upload a 250 MB file?", "numbers"),
    ("Does it cost $1,000 a year?", "Does it cost $100 a year?", "numbers"),
    ("Can I have two workspaces?", "Can I have 3 workspaces?", "numbers"),
    ("Is SSO available on Team?", "Why isn't SSO available on Team?", "negated"),
    ("Can I sign in with a password?", "Can I sign in without a password?", "negated"),
    ("What does the Team plan cost?", "What does the Business plan cost?", "plan"),
    ("How do I connect Slack?", "How do I connect Zapier?", "integration"),
    ("Is my data stored in Frankfurt?", "Is my data stored in Sydney?", "region"),
    ("What's the monthly price of Starter?", "What's the annual price of Starter?", "contrast"),
    ("How do I import forms?", "How do I export forms?", "contrast"),
    ("How do I share a form?", "How do I share a submission?", "object"),
    ("How do I share a form?", "How do I stop sharing a form?", "contrast"),  # a phrase beats its last word
    ("How do I turn the digest on?", "How do I turn the digest off?", "contrast"),  # "turn ... off"
    ("How do I allow guests?", "How do I block guests?", "contrast"),
    ("How do I set up SSO with Okta?", "How do I set up SSO with Azure AD?", "identity_provider"),
    ("Is Quaywise hosted on AWS?", "Is Quaywise hosted on Azure?", "cloud"),
    ("Can I pay by card?", "Can I pay with PayPal?", "payment_method"),
])
def test_guard_vetoes_near_misses(cached: str, incoming: str, reason: str) -> None:
    verdict = NearMissGuard().check(cached, incoming)
    assert not verdict.ok and reason in verdict.reason


@pytest.mark.parametrize(("cached", "incoming"), [
    ("How much is the Team plan?", "What does the Team plan cost per user?"),
    ("How do I invite my team?", "How can I add colleagues?"),  # "team" the word is not the Team plan
    ("Is my data kept in the EU?", "Is my data stored in Europe?"),  # synonyms of one region
    ("How do I set up 2FA?", "How do I turn on two-factor authentication?"),
    ("What is the 10MB limit?", "what is the 10 mb limit"),
    ("Does API v2 support webhooks?", "Does version 2 of the API support webhooks?"),
    ("Does Quaywise have a mobile app?", "Is there a Quaywise app for phones?"),
    ("Can't I export to CSV?", "Why can I not export to CSV?"),  # two negations, same polarity
    ("How do I turn on email alerts?", "How can I enable email alerts?"),  # one side of a contrast
    ("Can I use Azure AD for SSO?", "Can I use Microsoft Entra ID for SSO?"),  # not read as the Azure cloud
    ("Can I pay by card?", "Can I pay with a credit card?"),
])
def test_guard_lets_paraphrases_through(cached: str, incoming: str) -> None:
    verdict = NearMissGuard().check(cached, incoming)
    assert verdict.ok, verdict.reason


def test_guard_is_configurable() -> None:
    g = NearMissGuard(terms={"fruit": ["apple|apples", "=Pear"]}, objects=[])
    assert not g.check("I like apples", "I like Pear").ok
    assert g.check("I like apples", "I like apple").ok
    assert g.check("I like a pear", "I like apples").ok is False  # 'apple' named on one side only
    with pytest.raises(ValueError, match="empty"):
        NearMissGuard(terms={"x": ["a||b"]})
    assert NearMissGuard(check_numbers=False).check("10 seats", "20 seats").ok
    phrases = NearMissGuard(terms={}, objects=[], contrasts=[[frozenset({"turn ... on"}), frozenset({"turn ... off"})]])
    assert not phrases.check("turn the lamp on", "turn the red lamp off").ok
    assert phrases.check("turn the lamp on", "switch the lamp off").ok  # words it was not given


def test_normalise_question_drops_the_asking_frame() -> None:
    assert cache.normalise_question("How do I reset my password?") == "reset my password"
    assert cache.normalise_question("Is there a way to copy a form?") == "copy a form"
    assert cache.normalise_question("  Pricing?  ") == "pricing"


# -- semantic cache (toy embedder) ------------------------------------------------------------

def test_semantic_cache_hits_misses_and_namespaces(tmp_path: Path) -> None:
    c = SemanticCache(tmp_path / "sem.sqlite", threshold=0.8, embedder=bag_of_words)
    c.put("How much is the Team plan?", "$19", namespace="acme", metadata={"model": "m"})
    r = c.lookup("how much is the team plan", namespace="acme")
    assert r.hit and r.answer == "$19" and r.metadata == {"model": "m"} and r.similarity > 0.99
    assert not c.lookup("How much is the Team plan?", namespace="globex").hit  # another tenant
    assert c.lookup("How much is the Team plan?", namespace="globex").reason == "empty"
    miss = c.lookup("Where is my data stored?", namespace="acme")
    assert not miss.hit and miss.reason == "below threshold"
    vetoed = c.lookup("How much is the Business plan?", namespace="acme", threshold=0.5)
    assert not vetoed.hit and vetoed.reason.startswith("guard: different plan")
    assert c.stats.hits == 1 and c.stats.misses == 4
    assert c.namespaces() == ["acme"] and len(c) == 1


def test_semantic_cache_guard_falls_through_to_next_candidate() -> None:
    c = SemanticCache(threshold=0.5, embedder=bag_of_words)
    c.put("What does the Business plan cost per user?", "$34")
    c.put("What does the Team plan cost for each user?", "$19")
    r = c.lookup("What does the Team plan cost per user?")
    assert r.hit and r.answer == "$19"  # the closest entry names another plan; the next one serves


def test_semantic_cache_ttl_and_size_bound_on_a_virtual_clock() -> None:
    clock = Clock()
    c = SemanticCache(threshold=0.9, ttl_s=100, max_entries=3, clock=clock, embedder=bag_of_words)
    c.put("alpha question", "A")
    clock.t += 101
    r = c.lookup("alpha question")
    assert not r.hit and r.reason == "expired"
    for i, word in enumerate(("bravo", "charlie", "delta", "echo")):
        clock.t += 1
        c.put(f"{word} question", str(i))
    assert len(c) == 3  # alpha expired, bravo evicted as least recently used
    assert not c.lookup("bravo question").hit and c.lookup("echo question").hit


def test_semantic_cache_sees_writes_from_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    reader = SemanticCache(path, threshold=0.9, embedder=bag_of_words)
    writer = SemanticCache(path, threshold=0.9, embedder=bag_of_words)
    writer.put("refund policy", "30 days", namespace="t")
    assert reader.lookup("refund policy", namespace="t").hit


def test_semantic_cache_is_thread_safe() -> None:
    c = SemanticCache(threshold=0.9, embedder=bag_of_words)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                c.put(f"question {n} {i}", f"{n}-{i}", namespace=f"t{n % 2}")
                c.lookup(f"question {n} {i}", namespace=f"t{n % 2}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(c) == 160


def test_semantic_cache_validates() -> None:
    with pytest.raises(ValueError, match="threshold"):
        SemanticCache(threshold=1.5)
    with pytest.raises(ValueError, match="guard"):
        SemanticCache(guard="strict")
    c = SemanticCache(embedder=bag_of_words)
    with pytest.raises(ValueError, match="non-empty"):
        c.put("  ", "x")
    with pytest.raises(ValueError, match="answers"):
        c.put_many(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="namespace"):
        c.lookup("a", namespace="")


# -- evaluation on labelled pairs -------------------------------------------------------------

def _write_pairs(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_read_pairs_names_the_bad_line(tmp_path: Path) -> None:
    ok = {"id": "1", "cached": "a", "incoming": "b", "should_hit": True}
    bad = _write_pairs(tmp_path / "p.jsonl", [ok])
    with bad.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    with pytest.raises(ValueError, match=r"p\.jsonl, line 2: not valid JSON"):
        cache.read_pairs(bad)
    _write_pairs(bad, [ok, {"id": "2", "cached": "a", "incoming": "b"}])
    with pytest.raises(ValueError, match=r"line 2: missing field\(s\) \['should_hit'\]"):
        cache.read_pairs(bad)
    _write_pairs(bad, [ok, {**ok, "id": "2", "should_hit": "yes"}])
    with pytest.raises(ValueError, match="line 2: should_hit must be true or false"):
        cache.read_pairs(bad)
    _write_pairs(bad, [ok, ok])
    with pytest.raises(ValueError, match="duplicate id"):
        cache.read_pairs(bad)


def test_threshold_curve_and_choice_with_toy_embedder() -> None:
    pairs = cache.as_pairs([
        {"id": "p1", "cached": "reset my password", "incoming": "reset my password now", "should_hit": True},
        {"id": "p2", "cached": "export all forms", "incoming": "export every form", "should_hit": True},
        {"id": "n1", "cached": "team plan price", "incoming": "business plan price", "should_hit": False},
        {"id": "n2", "cached": "upload 10 files", "incoming": "upload 20 files", "should_hit": False},
    ])
    scored = cache.score_pairs(pairs, SemanticCache(embedder=bag_of_words, normalise=False))
    unguarded = scored.at(0.3, guarded=False)
    guarded = scored.at(0.3, guarded=True)
    assert unguarded.false_hit_rate == 1.0 and guarded.false_hit_rate == 0.0  # the guard's whole job
    assert guarded.hit_rate >= 0.5
    curve = scored.curve([0.1, 0.5, 0.99])
    assert [p.hit_rate for p in curve] == sorted((p.hit_rate for p in curve), reverse=True)
    chosen = cache.choose_threshold(scored, max_false_hit=0.02)
    assert chosen.false_hit_rate < 0.02


def test_score_pairs_uses_the_callers_cache_even_when_empty() -> None:
    """An empty cache is falsy (it defines __len__); score_pairs must still use it, with its embedder and guard,
    rather than swap in a default cache (MiniLM, guard on)."""
    pairs = cache.as_pairs([
        {"id": "n1", "cached": "team plan price", "incoming": "business plan price", "should_hit": False},
        {"id": "n2", "cached": "upload 10 files", "incoming": "upload 20 files", "should_hit": False},
    ])
    batches: list[int] = []

    def counting_embedder(texts: list[str]) -> np.ndarray:
        batches.append(len(texts))
        return bag_of_words(texts)

    own = SemanticCache(embedder=counting_embedder, normalise=False, guard=None)
    assert len(own) == 0 and not own  # the trap: falsy while empty
    scored = cache.score_pairs(pairs, own)
    assert batches == [4]  # the caller's embedder, one batch of cached + incoming questions
    assert scored.guard_ok.all() and scored.guard_reason == ("", "")  # the caller's cache has no guard
    assert own.namespaces() == ["pair:n1", "pair:n2"]


@pytest.mark.slow
def test_shipped_pairs_default_threshold_meets_targets_on_test() -> None:
    """The data: at the threshold chosen on dev, the test split keeps the lesson true."""
    from labkit import data

    for split in ("dev", "test"):
        rows = data.records("cache_pairs", split)
        assert rows and {"id", "cached", "incoming", "should_hit", "kind"} <= set(rows[0])
    test = cache.score_pairs(cache.as_pairs(data.records("cache_pairs", "test")))
    at = test.at(cache.DEFAULT_THRESHOLD)
    assert at.false_hit_rate < 0.03 and at.hit_rate > 0.55
    assert test.at(cache.DEFAULT_THRESHOLD, guarded=False).false_hit_rate > 0.3  # the guard matters


def test_cli_cache_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit import cli

    path = _write_pairs(tmp_path / "pairs.jsonl", [
        {"id": "a", "cached": "How much is the Team plan?", "incoming": "What does the Team plan cost?",
         "should_hit": True},
        {"id": "b", "cached": "How much is the Team plan?", "incoming": "How much is the Business plan?",
         "should_hit": False},
    ])
    assert cli.main(["cache", "eval", str(path), "--jsonl", "--threshold", "0.5"]) == 0
    out = capsys.readouterr().out
    lines = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    assert {ln["id"] for ln in lines} == {"a", "b"}
    assert next(ln for ln in lines if ln["id"] == "b")["hit"] is False
    assert "false-hit rate" in out and "threshold 0.50" in out
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    assert cli.main(["cache", "eval", str(tmp_path / "bad.jsonl")]) == 2
    assert "bad.jsonl, line 1" in capsys.readouterr().err
