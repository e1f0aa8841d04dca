"""The budget on Redis, for replicas on several hosts: ``Budget("redis://host:port/db", caps)``.

The guarantees are the SQLite budget's (see :mod:`labkit.budget`). Where SQLite takes its write lock
with ``BEGIN IMMEDIATE``, Redis runs each operation as one Lua script, and Redis runs one script at a
time: no other client's command runs between a reservation's check and its insert, so any number of
replicas can never together commit more than the cap.

Keys, under ``labkit:budget:`` in the location's database (one Redis server, not Redis Cluster: the
scripts touch keys they compute):

* ``row:<id>`` a hash per reservation: user, created, reserved, actual, state, note;
* ``rows`` and ``user:<name>`` sorted sets of ids by creation time (the sliding window);
* ``pending`` and ``lapsed`` sorted sets of the unsettled ids (the TTL sweep and ``release_lapsed``);
* ``next_id`` the id counter.

Times come from the budget's ``clock`` in Python (a virtual clock works as on SQLite), passed to the
scripts as ``repr`` strings so no precision is lost on the way.
"""

from __future__ import annotations

import time
from typing import Any

from labkit.budget import Budget, Caps, Reservation, Spend, _check_reserve
from labkit.clock import Seconds as Clock
from labkit.redis_state import connect, redacted

PREFIX = "labkit:budget:"

# Shared by the scripts: mark pending rows past their TTL lapsed; sum one sorted set's window.
_COMMON = """
local p = KEYS[1]
local function lapse(cutoff)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'pending', '-inf', cutoff)) do
    redis.call('HSET', p .. 'row:' .. id, 'state', 'lapsed')
    redis.call('ZREM', p .. 'pending', id)
    redis.call('ZADD', p .. 'lapsed', redis.call('HGET', p .. 'row:' .. id, 'created'), id)
  end
end
local function counted(zkey, since)
  local settled, pending, lapsed, calls = 0, 0, 0, 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', zkey, since, '+inf')) do
    local row = redis.call('HMGET', p .. 'row:' .. id, 'state', 'reserved', 'actual')
    if row[1] == 'settled' then settled = settled + tonumber(row[3]); calls = calls + 1
    elseif row[1] == 'pending' then pending = pending + tonumber(row[2])
    elseif row[1] == 'lapsed' then lapsed = lapsed + tonumber(row[2]) end
  end
  return settled, pending, lapsed, calls
end
local function num(x) return string.format('%.17g', x) end
"""

# ARGV: now, window start ('(' exclusive), lapse cutoff, user, estimate, user cap, global cap ('' = none), note
_RESERVE = _COMMON + """
lapse(ARGV[3])
local estimate = tonumber(ARGV[5])
local scopes = {{'user', p .. 'user:' .. ARGV[4], ARGV[6]}, {'global', p .. 'rows', ARGV[7]}}
for _, s in ipairs(scopes) do
  if s[3] ~= '' then
    local settled, pending, lapsed = counted(s[2], ARGV[2])
    local total = settled + pending + lapsed
    if total + estimate > tonumber(s[3]) + 1e-12 then return {'refused', s[1], num(total), num(lapsed)} end
  end
end
local id = redis.call('INCR', p .. 'next_id')
redis.call('HSET', p .. 'row:' .. id, 'user', ARGV[4], 'created', ARGV[1], 'reserved', ARGV[5],
           'state', 'pending', 'note', ARGV[8])
for _, z in ipairs({'rows', 'user:' .. ARGV[4], 'pending'}) do redis.call('ZADD', p .. z, ARGV[1], id) end
return {'ok', tostring(id)}
"""

# ARGV: lapse cutoff, window start, user ('' = everyone)
_SPEND = _COMMON + """
lapse(ARGV[1])
local zkey = ARGV[3] == '' and p .. 'rows' or p .. 'user:' .. ARGV[3]
local settled, pending, lapsed, calls = counted(zkey, ARGV[2])
return {num(settled), num(pending), num(lapsed), calls}
"""

# ARGV: id, new state ('settled' or 'released'), actual ('' when released). Returns rows changed.
_CLOSE = """
local p, row = KEYS[1], KEYS[1] .. 'row:' .. ARGV[1]
local state = redis.call('HGET', row, 'state')
if state ~= 'pending' and state ~= 'lapsed' then return 0 end
redis.call('HSET', row, 'state', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', row, 'actual', ARGV[3]) end
redis.call('ZREM', p .. 'pending', ARGV[1])
redis.call('ZREM', p .. 'lapsed', ARGV[1])
return 1
"""

# ARGV: lapse cutoff, user ('' = everyone). Returns how many were released.
_RELEASE_LAPSED = _COMMON + """
lapse(ARGV[1])
local n = 0
for _, id in ipairs(redis.call('ZRANGE', p .. 'lapsed', 0, -1)) do
  if ARGV[2] == '' or redis.call('HGET', p .. 'row:' .. id, 'user') == ARGV[2] then
    redis.call('HSET', p .. 'row:' .. id, 'state', 'released')
    redis.call('ZREM', p .. 'lapsed', id)
    n = n + 1
  end
end
return n
"""


def _cap(value: float | None) -> str:
    return "" if value is None else repr(float(value))


class RedisBudget(Budget):
    """:class:`~labkit.budget.Budget` on Redis; made by ``Budget("redis://...")``, same arguments."""

    def __init__(self, path: str, caps: Caps | dict[str, float | None], window_s: float = 86_400.0,
                 *, clock: Clock = time.time, reservation_ttl_s: float = 600.0) -> None:
        self._configure(path, caps, window_s, clock, reservation_ttl_s)
        self.path = redacted(self.path)  # messages name the location, never its password
        self._redis = connect(str(path))
        self._scripts = {name: self._redis.register_script(src) for name, src in (
            ("reserve", _RESERVE), ("spend", _SPEND), ("close", _CLOSE), ("release_lapsed", _RELEASE_LAPSED))}

    def _run(self, script: str, *args: str) -> Any:
        return self._scripts[script](keys=[PREFIX], args=list(args))

    def _window(self, now: float) -> tuple[str, str]:
        """(exclusive window start, lapse cutoff) as Redis score bounds."""
        return "(" + repr(now - self.window_s), repr(now - self.reservation_ttl_s)

    def spend(self, user: str | None = None) -> Spend:
        """Settled, pending and lapsed spend in the window, for one user or (``None``) for everyone."""
        since, cutoff = self._window(self.clock())
        settled, pending, lapsed, calls = self._run("spend", cutoff, since, user or "")
        cap = self.caps.per_user_usd if user is not None else self.caps.global_usd
        return Spend(user, float(settled), float(pending), cap, int(calls), float(lapsed))

    def reserve(self, user: str, estimate_usd: float, note: str = "") -> Reservation:
        """Set money aside for a call, or raise :class:`~labkit.budget.BudgetExceeded` (see Budget.reserve)."""
        _check_reserve(user, estimate_usd)
        now = self.clock()
        since, cutoff = self._window(now)
        answer = self._run("reserve", repr(now), since, cutoff, user, repr(float(estimate_usd)),
                           _cap(self.caps.per_user_usd), _cap(self.caps.global_usd), note)
        if answer[0] == "refused":
            scope = answer[1]
            cap = self.caps.per_user_usd if scope == "user" else self.caps.global_usd
            raise self._exceeded(scope, user, float(cap or 0.0), float(answer[2]), float(answer[3]), estimate_usd)
        return Reservation(int(answer[1]), user, float(estimate_usd), now)

    def _close_reservation(self, rid: int, state: str, actual_usd: float | None) -> bool:
        """Settle or release one reservation (Budget.settle and Budget.release call this)."""
        return bool(self._run("close", str(rid), state, "" if actual_usd is None else repr(actual_usd)) == 1)

    def release_lapsed(self, user: str | None = None) -> int:
        """Free the lapsed reservations of callers known to be gone (see Budget.release_lapsed)."""
        _, cutoff = self._window(self.clock())
        return int(self._run("release_lapsed", cutoff, user or ""))

    def rows(self) -> list[dict[str, Any]]:
        """Every reservation, by id (read in one MULTI/EXEC, so states are consistent)."""
        ids = sorted(int(i) for i in self._redis.zrange(PREFIX + "rows", 0, -1))
        pipe = self._redis.pipeline(transaction=True)
        for i in ids:
            pipe.hgetall(f"{PREFIX}row:{i}")
        return [{"id": i, "user": h["user"], "created": float(h["created"]), "reserved": float(h["reserved"]),
                 "actual": float(h["actual"]) if "actual" in h else None, "state": h["state"],
                 "note": h.get("note", "")} for i, h in zip(ids, pipe.execute(), strict=True)]

    def close(self) -> None:
        self._redis.close()
