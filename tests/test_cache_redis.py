"""The exact cache on a real redis-server: two replicas share entries, TTL and the LRU bound hold
per tenant namespace."""

from __future__ import annotations

from labkit.cache import ExactCache

MSGS = [{"role": "user", "content": "What is the Team plan?"}]


class Clock:
    def __init__(self, t: float = 1_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_replicas_share_entries_with_ttl_lru_and_namespaces(redis_url: str) -> None:
    clock = Clock()
    one = ExactCache(redis_url, ttl_s=60, max_entries=2, clock=clock)
    two = ExactCache(redis_url, ttl_s=60, max_entries=2, clock=clock)
    one.put("m", MSGS, {"text": "$19"}, namespace="acme")
    assert two.get("m", MSGS, namespace="acme") == {"text": "$19"}
    assert two.get("m", MSGS, namespace="globex") is None
    for q in ("a", "b"):
        clock.t += 1
        two.put("m", [{"role": "user", "content": q}], q, namespace="acme")
    assert one.get("m", MSGS, namespace="acme") is None  # least recently used, evicted by the other replica
    assert len(one) == 2 and two.stats.evicted == 1
    clock.t += 61
    assert one.get("m", [{"role": "user", "content": "a"}], namespace="acme") is None and one.stats.expired == 1
