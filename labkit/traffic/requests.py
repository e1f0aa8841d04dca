"""One simulated request, and :class:`Traffic`: the requests of a run plus the parameters that made it."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.traffic.clock import DAY, DEFAULT_START, HOUR

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Request:
    """One simulated user request.

    Attributes:
        id: ``r-000001``..., in time order.
        ts: virtual seconds since the start of the simulation.
        user: user id, e.g. ``u-0042``.
        tenant: the user's tenant (``shared`` or a customer of the knowledge base).
        question: what the user typed.
        kind: how it was made: ``golden`` (verbatim), ``paraphrase``, ``repeat`` (same user re-asks),
            or the name of the event that wrote it (``launch``, ``spike``, ...).
        source: the golden question id or template id it came from.
        tags: labels events attach (``launch``, ``lang:de``, ``long``, ``spike``, ``fault:timeout``...).
        meta: anything else (``golden_id``, ``lang``, ...).
    """

    id: str
    ts: float
    user: str
    tenant: str
    question: str
    kind: str
    source: str
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def hours(self) -> float:
        """Virtual hours since the start."""
        return self.ts / HOUR

    @property
    def day(self) -> float:
        """Virtual days since the start (3.5 is noon of the fourth day)."""
        return self.ts / DAY

    @property
    def golden_id(self) -> str | None:
        """The golden question this request asks (verbatim or paraphrased), if any."""
        gid = self.meta.get("golden_id")
        return str(gid) if gid else None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["tags"] = list(self.tags)
        return d


class Traffic(list[Request]):
    """A list of :class:`Request` (time order) plus the parameters that made it (``params``)."""

    def __init__(self, requests: Iterable[Request] = (), params: dict[str, Any] | None = None) -> None:
        super().__init__(requests)
        self.params: dict[str, Any] = params or {}

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(str(self.params.get("start", DEFAULT_START)))

    def hours(self) -> np.ndarray:
        """Each request's virtual hour since the start."""
        return np.array([r.ts / HOUR for r in self], dtype=np.float64)

    def between(self, start_hours: float, end_hours: float) -> Traffic:
        """Requests with start_hours <= hours < end_hours."""
        return Traffic((r for r in self if start_hours <= r.ts / HOUR < end_hours), self.params)

    def frame(self) -> pd.DataFrame:
        """One row per request, with wall-clock time and the tags joined by commas."""
        import pandas as pd

        start = self.start
        return pd.DataFrame([{**{k: v for k, v in r.to_dict().items() if k != "meta"},
                              "time": start + timedelta(seconds=r.ts), "tags": ",".join(r.tags),
                              "golden_id": r.golden_id} for r in self])

    def hourly_counts(self) -> np.ndarray:
        """Requests per virtual hour, from hour 0 to the end of the simulation."""
        n = int(math.ceil(float(self.params.get("days", 0)) * 24)) or (int(self.hours().max()) + 1 if self else 0)
        return np.bincount(np.minimum(self.hours().astype(int), max(n - 1, 0)), minlength=n)

    def describe(self) -> str:
        """A short, human-readable account of what was simulated and with which parameters."""
        p = self.params
        kinds: dict[str, int] = {}
        for r in self:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        lines = [f"SIMULATED traffic (labkit.traffic): {len(self)} requests over {p.get('days')} virtual days "
                 f"from {p.get('start')}, seed {p.get('seed')}, scale {p.get('scale')}",
                 "  base: " + ", ".join(f"{k}={v}" for k, v in p.get("config", {}).items()),
                 "  by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))]
        for ev in p.get("events", []):
            lines.append("  event: " + ", ".join(f"{k}={v}" for k, v in ev.items()))
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        """Write the parameters (first line) and the requests as JSON lines."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"params": self.params}) + "\n")
            for r in self:
                f.write(json.dumps(r.to_dict()) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Traffic:
        """Read what :meth:`save` wrote."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        if not lines or "params" not in json.loads(lines[0]):
            raise ValueError(f"{path} is not a traffic file written by Traffic.save()")
        reqs = []
        for line in lines[1:]:
            d = json.loads(line)
            d["tags"] = tuple(d.get("tags", ()))
            reqs.append(Request(**d))
        return cls(reqs, json.loads(lines[0])["params"])
