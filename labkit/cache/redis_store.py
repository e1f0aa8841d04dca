"""The exact cache on Redis, shared by replicas: ``ExactCache("redis://host:port/db", ttl_s=...)``.

The guarantees are the SQLite cache's (see :mod:`labkit.cache.exact`): entries never cross namespaces,
an entry past its TTL is a miss (on the cache's own ``clock``, so a virtual clock works, rather than
Redis's EXPIRE), and a put keeps each namespace within ``max_entries`` by dropping expired entries,
then the least recently used. Each get, put and clear is one Lua script, so replicas never see half an
entry or a namespace over its bound.

Keys, under ``labkit:cache:exact:`` in the location's database (one Redis server, not Redis Cluster):

* ``entry:<namespace>:<key>`` a hash per entry: request, response, created, expires, last_used,
  hits, seq (the put's sequence number: it breaks last-used ties oldest first, like SQLite's rowid);
* ``lru:<namespace>`` a sorted set of ``seq + key`` by last use; ``expires:<namespace>`` of keys by
  expiry time; ``namespaces`` the set of namespaces with entries.

Erasure deletes the keys; a Redis server that persists (RDB snapshots, AOF) keeps copies on disk
until its next rewrite, which the operator triggers (``BGREWRITEAOF``, a fresh snapshot).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labkit.cache.exact import ExactCache, _entry, request_key
from labkit.cache.store import Clock, _check_namespace
from labkit.enterprise.identifiers import Erased, PersonMatcher, matcher
from labkit.redis_state import connect, redacted

PREFIX = "labkit:cache:exact:"
_SEQ_DIGITS = 20

_FORGET_FN = """
local p = KEYS[1]
local function forget(ns, key)
  local entry = p .. 'entry:' .. ns .. ':' .. key
  local seq = redis.call('HGET', entry, 'seq')
  if not seq then return 0 end
  redis.call('DEL', entry)
  redis.call('ZREM', p .. 'lru:' .. ns, seq .. key)
  redis.call('ZREM', p .. 'expires:' .. ns, key)
  if redis.call('ZCARD', p .. 'lru:' .. ns) == 0 then redis.call('SREM', p .. 'namespaces', ns) end
  return 1
end
"""

# ARGV: namespace, key, now. Returns {'hit', response} | {'expired'} | {'miss'}.
_GET = _FORGET_FN + """
local ns, key, now = ARGV[1], ARGV[2], ARGV[3]
local entry = p .. 'entry:' .. ns .. ':' .. key
local row = redis.call('HMGET', entry, 'response', 'expires', 'seq')
if not row[1] then return {'miss'} end
if row[2] and tonumber(row[2]) <= tonumber(now) then forget(ns, key); return {'expired'} end
redis.call('HSET', entry, 'last_used', now)
redis.call('HINCRBY', entry, 'hits', 1)
redis.call('ZADD', p .. 'lru:' .. ns, now, row[3] .. key)
return {'hit', row[1]}
"""

# ARGV: namespace, key, request, response, now, expires ('' = never), max_entries. Returns entries evicted.
_PUT = _FORGET_FN + """
local ns, key, now, expires = ARGV[1], ARGV[2], ARGV[5], ARGV[6]
forget(ns, key)
local seq = string.format('%0""" + str(_SEQ_DIGITS) + """d', redis.call('INCR', p .. 'seq'))
local entry = p .. 'entry:' .. ns .. ':' .. key
redis.call('HSET', entry, 'request', ARGV[3], 'response', ARGV[4], 'created', now, 'last_used', now,
           'hits', 0, 'seq', seq)
redis.call('ZADD', p .. 'lru:' .. ns, now, seq .. key)
if expires ~= '' then
  redis.call('HSET', entry, 'expires', expires)
  redis.call('ZADD', p .. 'expires:' .. ns, expires, key)
end
redis.call('SADD', p .. 'namespaces', ns)
local gone = 0
for _, k in ipairs(redis.call('ZRANGEBYSCORE', p .. 'expires:' .. ns, '-inf', now)) do gone = gone + forget(ns, k) end
local extra = redis.call('ZCARD', p .. 'lru:' .. ns) - tonumber(ARGV[7])
if extra > 0 then
  for _, m in ipairs(redis.call('ZRANGE', p .. 'lru:' .. ns, 0, extra - 1)) do
    gone = gone + forget(ns, string.sub(m, """ + str(_SEQ_DIGITS + 1) + """))
  end
end
return gone
"""

# ARGV: namespace ('' = every namespace). KEYS[1] is the prefix.
_CLEAR = """
local p = KEYS[1]
local spaces = ARGV[1] == '' and redis.call('SMEMBERS', p .. 'namespaces') or {ARGV[1]}
for _, ns in ipairs(spaces) do
  for _, m in ipairs(redis.call('ZRANGE', p .. 'lru:' .. ns, 0, -1)) do
    redis.call('DEL', p .. 'entry:' .. ns .. ':' .. string.sub(m, """ + str(_SEQ_DIGITS + 1) + """))
  end
  redis.call('DEL', p .. 'lru:' .. ns, p .. 'expires:' .. ns)
  redis.call('SREM', p .. 'namespaces', ns)
end
return 0
"""

# ARGV: namespace, key, namespace, key, ... Returns entries deleted.
_FORGET = _FORGET_FN + """
local n = 0
for i = 1, #ARGV, 2 do n = n + forget(ARGV[i], ARGV[i + 1]) end
return n
"""

_LEN = """
local n = 0
for _, ns in ipairs(redis.call('SMEMBERS', KEYS[1] .. 'namespaces')) do n = n + redis.call('ZCARD', KEYS[1] .. 'lru:' .. ns) end
return n
"""


class RedisExactCache(ExactCache):
    """:class:`~labkit.cache.ExactCache` on Redis; made by ``ExactCache("redis://...")``, same arguments."""

    def __init__(self, path: str = "", ttl_s: float | None = None, max_entries: int = 10_000,
                 *, clock: Clock = time.time) -> None:
        self._configure(path, ttl_s, max_entries, clock)
        self.path = redacted(self.path)
        self._redis = connect(str(path))
        self._scripts = {name: self._redis.register_script(src) for name, src in (
            ("get", _GET), ("put", _PUT), ("clear", _CLEAR), ("forget", _FORGET), ("len", _LEN))}

    def _run(self, script: str, *args: str) -> Any:
        return self._scripts[script](keys=[PREFIX], args=list(args))

    def get(self, model: str, messages: Sequence[Mapping[str, Any]], namespace: str = "default",
            **params: Any) -> Any | None:
        """The cached response for an equivalent request, or None (see ExactCache.get)."""
        _check_namespace(namespace)
        answer = self._run("get", namespace, request_key(model, messages, **params), repr(self.clock()))
        with self._lock:
            if answer[0] != "hit":
                self.stats.misses += 1
                self.stats.expired += answer[0] == "expired"
                return None
            self.stats.hits += 1
        return json.loads(answer[1])

    def put(self, model: str, messages: Sequence[Mapping[str, Any]], response: Any, *, namespace: str = "default",
            **params: Any) -> str:
        """Store a response (anything JSON-serialisable) for a request; returns its key."""
        norm, key, payload = _entry(model, messages, response, namespace, params)
        now = self.clock()
        expires = repr(now + self.ttl_s) if self.ttl_s else ""
        evicted = self._run("put", namespace, key, json.dumps(norm, sort_keys=True), payload, repr(now), expires,
                            str(self.max_entries))
        with self._lock:
            self.stats.evicted += int(evicted)
        return key

    def __len__(self) -> int:
        return int(self._run("len"))

    def clear(self, namespace: str | None = None) -> None:
        """Drop every entry (of one namespace, when given)."""
        self._run("clear", namespace or "")

    def _mentioning(self, m: PersonMatcher) -> list[tuple[str, str]]:
        found = []
        for ns in sorted(self._redis.smembers(PREFIX + "namespaces")):
            keys = [member[_SEQ_DIGITS:] for member in self._redis.zrange(f"{PREFIX}lru:{ns}", 0, -1)]
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.hmget(f"{PREFIX}entry:{ns}:{key}", "request", "response")
            found += [(ns, key) for key, (request, response) in zip(keys, pipe.execute(), strict=True)
                      if request is not None and m.count([ns, json.loads(request), json.loads(response)])]
        return found

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int:
        """Entries whose namespace, request or response mentions any of a person's identifiers."""
        return len(self._mentioning(matcher(identifiers)))

    def erase(self, identifiers: Iterable[str] | PersonMatcher) -> Erased:
        """Erasure: delete every entry that mentions an identifier (see ExactCache.erase)."""
        pairs = self._mentioning(matcher(identifiers))
        flat = [part for pair in pairs for part in pair]
        return Erased(removed=int(self._run("forget", *flat)) if flat else 0)

    def close(self) -> None:
        self._redis.close()
