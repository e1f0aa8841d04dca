"""Cost caps per user and for everyone, over a sliding time window, safe under concurrency.

The protocol is *reserve, then settle*: before a model call, reserve an upper bound of its cost
(prompt tokens at the input price plus ``max_tokens`` at the output price); after the call, settle
the reservation with the measured cost (or release it if the call failed). A reservation is
checked and written in one SQLite ``BEGIN IMMEDIATE`` transaction, so sixteen threads, or sixteen
processes sharing the file, can never together commit more than the cap. Give a ``redis://host:port/db``
location instead of a file and replicas on different hosts share the budget, with the same guarantees
(each operation is one Lua script, see :mod:`labkit.budget_redis`).

    >>> budget = Budget("spend.sqlite", Caps(per_user_usd=0.50, global_usd=20.0), window_s=86_400)
    >>> with budget.charge("alice", estimate_usd=0.002) as r:
    ...     reply = client.chat.completions.create(...)
    ...     r.actual_usd = llm.cost(model, reply.usage.prompt_tokens, reply.usage.completion_tokens)

The window takes an injectable ``clock`` (a callable returning seconds), so a simulation can run
a week of spending on a virtual clock.

The cap is an invariant: settled spend plus every unsettled reservation never exceeds it. A
reservation older than ``reservation_ttl_s`` is marked *lapsed* (its caller is slow, or crashed) but
keeps counting until it is settled or explicitly released with :meth:`Budget.release_lapsed`: the
call may still be running and spending, so freeing its money early would admit a second call on
the same dollars. A late settle only replaces the reserved upper bound with the (smaller) measured
cost, so it can never push the total over the cap.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.clock import Seconds as Clock
from labkit.errors import LabkitError
from labkit.llm import registry
from labkit.redis_state import is_redis_location


class BudgetExceeded(LabkitError):
    """A reservation would take spend over a cap. ``scope`` is "user" or "global"."""

    def __init__(self, message: str, scope: str, user: str, *, cap_usd: float, spent_usd: float,
                 requested_usd: float) -> None:
        super().__init__(message)
        self.scope, self.user, self.cap_usd = scope, user, cap_usd
        self.spent_usd, self.requested_usd = spent_usd, requested_usd


@dataclass(frozen=True)
class Caps:
    """Spending caps in USD over the budget's window; None means no cap at that level."""

    per_user_usd: float | None = None
    global_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("per_user_usd", "global_usd"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                                  or v < 0):
                raise ValueError(f"{name} must be a number >= 0 or None (no cap), got {v!r}")


@dataclass
class Reservation:
    """Money set aside for one call; settle it with the measured cost, or release it."""

    id: int
    user: str
    reserved_usd: float
    created: float
    actual_usd: float | None = None
    state: str = "pending"


@dataclass(frozen=True)
class Spend:
    """What counts against the caps now: settled costs, pending and lapsed reservations.

    Attributes:
        pending_usd: reservations younger than the budget's ``reservation_ttl_s``.
        lapsed_usd: reservations older than that, still unsettled (a slow or crashed caller); they
            count until settled or released with :meth:`Budget.release_lapsed`.
    """

    user: str | None
    settled_usd: float
    pending_usd: float
    cap_usd: float | None
    calls: int
    lapsed_usd: float = 0.0

    @property
    def total_usd(self) -> float:
        return self.settled_usd + self.pending_usd + self.lapsed_usd

    @property
    def remaining_usd(self) -> float | None:
        return None if self.cap_usd is None else max(0.0, self.cap_usd - self.total_usd)


class Budget:
    """Per-user and global cost caps over a sliding window, enforced atomically in SQLite.

    Args:
        path: SQLite file shared by every process that spends from this budget (``":memory:"``
            works within one process), or ``redis://host:port/db`` shared by replicas on any host.
        caps: a :class:`Caps`, or a dict with ``per_user_usd`` / ``global_usd``.
        window_s: the sliding window in seconds (86,400 = the last 24 hours).
        clock: callable returning the current time in seconds; inject a virtual clock to simulate.
        reservation_ttl_s: a pending reservation older than this is marked lapsed (its caller is
            slow or crashed); it still counts against the caps until settled or released.
    """

    def __new__(cls, path: str | Path, *args: Any, **kwargs: Any) -> Budget:
        # A redis:// location picks the Redis backend (labkit.budget_redis), with the same methods.
        if cls is Budget and is_redis_location(path):
            from labkit.budget_redis import RedisBudget

            return super().__new__(RedisBudget)
        return super().__new__(cls)

    def __init__(self, path: str | Path, caps: Caps | dict[str, float | None], window_s: float = 86_400.0,
                 *, clock: Clock = time.time, reservation_ttl_s: float = 600.0) -> None:
        self._configure(path, caps, window_s, clock, reservation_ttl_s)
        self._local = threading.local()
        self._memory_conn: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()
        if self.path == ":memory:":
            self._memory_conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._tx() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS spend (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, "
                "created REAL NOT NULL, reserved REAL NOT NULL, actual REAL, state TEXT NOT NULL, note TEXT)")
            conn.execute("CREATE INDEX IF NOT EXISTS spend_user_time ON spend (user, created)")
            conn.execute("CREATE INDEX IF NOT EXISTS spend_time ON spend (created)")
            conn.execute("CREATE INDEX IF NOT EXISTS spend_state_time ON spend (state, created)")

    def _configure(self, path: str | Path, caps: Caps | dict[str, float | None], window_s: float, clock: Clock,
                   reservation_ttl_s: float) -> None:
        """Check and keep the settings every backend shares."""
        if isinstance(caps, dict):
            unknown = set(caps) - {"per_user_usd", "global_usd"}
            if unknown:
                raise ValueError(f"unknown cap(s) {sorted(unknown)}; use per_user_usd and/or global_usd")
            caps = Caps(**caps)
        if not isinstance(caps, Caps):
            raise TypeError(f"caps must be a Caps or a dict, got {type(caps).__name__}")
        for name, v in (("window_s", window_s), ("reservation_ttl_s", reservation_ttl_s)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {v!r}")
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds, e.g. time.time")
        self.path, self.caps, self.window_s, self.clock = str(path), caps, float(window_s), clock
        self.reservation_ttl_s = float(reservation_ttl_s)

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: SQLite's own locking then serialises the writers.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: it takes the write lock before reading, so check-then-insert is atomic."""
        # ":memory:" is one connection shared by every thread, so it also needs a lock
        shared = self._memory_conn
        conn = shared if shared is not None else self._conn()
        with self._memory_lock if shared is not None else contextlib.nullcontext():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- accounting --------------------------------------------------------------------------
    def _lapse(self, conn: sqlite3.Connection, now: float) -> None:
        """Mark reservations older than the TTL as lapsed; they keep counting (see the module docstring)."""
        conn.execute("UPDATE spend SET state='lapsed' WHERE state='pending' AND created <= ?",
                     (now - self.reservation_ttl_s,))

    def _counted(self, conn: sqlite3.Connection, user: str | None, now: float) -> tuple[float, float, float, int]:
        """(settled, pending, lapsed, settled calls) in the window, for one user or everyone."""
        where = "created > ?"
        args: list[Any] = [now - self.window_s]
        if user is not None:
            where += " AND user = ?"
            args.append(user)
        settled, pending, lapsed, calls = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN state='settled' THEN actual END), 0), "
            "COALESCE(SUM(CASE WHEN state='pending' THEN reserved END), 0), "
            "COALESCE(SUM(CASE WHEN state='lapsed' THEN reserved END), 0), "
            f"COUNT(CASE WHEN state='settled' THEN 1 END) FROM spend WHERE {where}", args).fetchone()
        return float(settled), float(pending), float(lapsed), int(calls)

    def spend(self, user: str | None = None) -> Spend:
        """Settled, pending and lapsed spend in the window, for one user or (``None``) for everyone."""
        now = self.clock()
        with self._tx() as conn:
            self._lapse(conn, now)
            settled, pending, lapsed, calls = self._counted(conn, user, now)
        cap = self.caps.per_user_usd if user is not None else self.caps.global_usd
        return Spend(user, settled, pending, cap, calls, lapsed)

    def reserve(self, user: str, estimate_usd: float, note: str = "") -> Reservation:
        """Set money aside for a call, or refuse.

        Args:
            user: who spends (the cap is per user).
            estimate_usd: an upper bound of the call's cost (see :func:`upper_bound_usd`).
            note: free text stored with the row (the route, the model).

        Returns:
            A pending :class:`Reservation`.

        Raises:
            BudgetExceeded: the user's or the global cap would be exceeded; nothing is reserved.
        """
        _check_reserve(user, estimate_usd)
        now = self.clock()
        with self._tx() as conn:
            self._lapse(conn, now)
            for scope, who, cap in (("user", user, self.caps.per_user_usd), ("global", None, self.caps.global_usd)):
                if cap is None:
                    continue
                settled, pending, lapsed, _ = self._counted(conn, who, now)
                counted = settled + pending + lapsed
                if counted + estimate_usd > cap + 1e-12:
                    raise self._exceeded(scope, user, cap, counted, lapsed, estimate_usd)
            cur = conn.execute("INSERT INTO spend (user, created, reserved, actual, state, note) "
                               "VALUES (?,?,?,NULL,'pending',?)", (user, now, float(estimate_usd), note))
            rid = int(cur.lastrowid or 0)
        return Reservation(rid, user, float(estimate_usd), now)

    def settle(self, reservation: Reservation, actual_usd: float) -> Reservation:
        """Record the measured cost of a reserved call.

        A reservation past its TTL (lapsed) settles like a pending one: its reserved amount counted
        against the cap all along, so a late settle never admits more than the cap allowed.
        The measured cost is recorded even when it exceeds the reservation (the money is spent);
        ``actual > reserved`` on the row makes that visible. Reserve an upper bound to rule it out.
        """
        _check_settle(reservation, actual_usd)
        if not self._close_reservation(reservation.id, "settled", float(actual_usd)):
            raise self._not_pending(reservation, actual_usd)
        reservation.actual_usd, reservation.state = float(actual_usd), "settled"
        return reservation

    def release(self, reservation: Reservation) -> None:
        """Give a reservation back (the call failed and cost nothing)."""
        if reservation.state != "pending":
            return
        self._close_reservation(reservation.id, "released", None)
        reservation.state = "released"

    def _close_reservation(self, rid: int, state: str, actual_usd: float | None) -> bool:
        """Mark a pending or lapsed reservation settled (with its cost) or released; False if it was neither."""
        with self._tx() as conn:
            return conn.execute("UPDATE spend SET actual=COALESCE(?, actual), state=? "
                                "WHERE id=? AND state IN ('pending', 'lapsed')", (actual_usd, state, rid)).rowcount == 1

    def release_lapsed(self, user: str | None = None) -> int:
        """Free the reservations of callers known to be gone (crashed before settling).

        Lapsed reservations count against the caps until settled; call this only when their calls
        are certainly over (e.g. after restarting the workers), because a call that is still running
        can no longer record its cost afterwards.

        Args:
            user: only this user's lapsed reservations; everyone's when None.

        Returns:
            How many reservations were released.
        """
        now = self.clock()
        with self._tx() as conn:
            self._lapse(conn, now)
            sql, args = "UPDATE spend SET state='released' WHERE state='lapsed'", list[Any]()
            if user is not None:
                sql, args = sql + " AND user = ?", [user]
            return int(conn.execute(sql, args).rowcount)

    def _exceeded(self, scope: str, user: str, cap: float, counted: float, lapsed: float,
                  estimate_usd: float) -> BudgetExceeded:
        """The refusal, worded the same by every backend."""
        return BudgetExceeded(
            f"{'user ' + repr(user) if scope == 'user' else 'global'} budget exhausted: "
            f"${counted:.6f} of ${cap:.6f} used or reserved in the last {self.window_s:g} s"
            f"{f' (${lapsed:.6f} by unsettled calls past their TTL)' if lapsed else ''}, and this "
            f"call may cost up to ${estimate_usd:.6f}. Wait for the window to move, raise the cap, "
            f"or route to a cheaper model.",
            scope, user, cap_usd=cap, spent_usd=counted, requested_usd=estimate_usd)

    def _not_pending(self, reservation: Reservation, actual_usd: float) -> ValueError:
        return ValueError(f"reservation {reservation.id} is not pending in {self.path} (it was released, "
                          f"e.g. by release_lapsed); its cost of ${float(actual_usd):.6f} was not recorded")

    @contextmanager
    def charge(self, user: str, estimate_usd: float, note: str = "") -> Iterator[Reservation]:
        """Reserve on entry; settle with ``r.actual_usd`` on exit (the estimate if unset); release on error."""
        r = self.reserve(user, estimate_usd, note)
        try:
            yield r
        except BaseException:
            self.release(r)
            raise
        self.settle(r, r.actual_usd if r.actual_usd is not None else r.reserved_usd)

    def rows(self) -> list[dict[str, Any]]:
        """Every row of the spend table (for audits and plots)."""
        with self._tx() as conn:
            cur = conn.execute("SELECT id, user, created, reserved, actual, state, note FROM spend ORDER BY id")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _check_reserve(user: str, estimate_usd: float) -> None:
    if not isinstance(user, str) or not user:
        raise ValueError(f"user must be a non-empty string, got {user!r}")
    if isinstance(estimate_usd, bool) or not isinstance(estimate_usd, (int, float)) \
            or not math.isfinite(estimate_usd) or estimate_usd < 0:
        raise ValueError(f"estimate_usd must be a finite number >= 0, got {estimate_usd!r}")


def _check_settle(reservation: Reservation, actual_usd: float) -> None:
    if isinstance(actual_usd, bool) or not isinstance(actual_usd, (int, float)) \
            or not math.isfinite(actual_usd) or actual_usd < 0:
        raise ValueError(f"actual_usd must be a finite number >= 0, got {actual_usd!r}")
    if reservation.state != "pending":
        raise ValueError(f"reservation {reservation.id} is already {reservation.state}")


def upper_bound_usd(model: str, input_tokens: int, max_tokens: int) -> float:
    """The most a call can cost: its prompt at the input price plus ``max_tokens`` at the output price.

    Args:
        model: a registry model (id or API name).
        input_tokens: prompt tokens (count or estimate them generously).
        max_tokens: the call's output cap.

    Returns:
        USD.
    """
    if input_tokens < 0 or max_tokens < 0:
        raise ValueError(f"token counts must be >= 0, got {input_tokens=} {max_tokens=}")
    return registry.get(model).cost(input_tokens, max_tokens)
