"""Eval runs: push a dataset through an app variant, keep every row in SQLite, summarise and compare runs.

    >>> from labkit import data, evals
    >>> from labkit.rag import RagApp
    >>> rows = [r for r in data.records("golden") if r["split"] == "dev"]
    >>> run = evals.run(RagApp(), rows, name="baseline", store="runs.sqlite")
    >>> run.metrics()["recall@5"]            # Interval(estimate=..., low=..., high=..., n=...)
    >>> evals.compare(run, other_run).report()
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from labkit.enterprise.identifiers import Erased, PersonMatcher, matcher
from labkit.evals.metrics import LOWER_IS_BETTER, METRICS, score_item
from labkit.evals.stats import GateResult, Interval, bootstrap_ci, gate_check
from labkit.files import check_sqlite, connect_readonly

if TYPE_CHECKING:
    import pandas as pd

RANK_DEPTH_CHUNKS = 40  # chunks searched to rank distinct documents for recall@k / MRR


class App(Protocol):
    """What :func:`run` needs: ``answer(question, tenant=...)`` returning a ``labkit.rag.Answer``-like object.

    Apps that also have ``index`` and ``config`` (like ``RagApp``) get a deeper document ranking, so
    recall@5 is measured even when the app puts fewer chunks in the prompt.
    """

    def answer(self, question: str, tenant: str | None = None) -> Any: ...


@dataclass
class RunRow:
    """One question pushed through one app variant, with everything needed to score it again later.

    Attributes:
        item_id, question, kind, tenant, reference: from the dataset row.
        output: the answer text (None in a retrieval-only run or after an error).
        ranked_ids: distinct document ids, best first, from a deep search (recall@k, MRR).
        context_ids: documents whose chunks went into the prompt.
        citations / invalid_citations: cited document ids, and [n] markers that point to no source.
        abstained: whether the answer said it does not know.
        latency_s, retrieval_s: wall time of the request and of its retrieval.
        input_tokens, output_tokens, cost_usd: usage of the model call (cost None when the model has no price).
        error: the exception, when the request failed (then output is None and only retrieval is scored).
        scores: metric -> value (None where the metric does not apply).
    """

    item_id: str
    question: str
    kind: str
    tenant: str | None
    reference: str | None
    output: str | None = None
    ranked_ids: list[str] = field(default_factory=list)
    context_ids: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    invalid_citations: int = 0
    abstained: bool | None = None
    latency_s: float = 0.0
    retrieval_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None
    model: str | None = None
    scores: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Run:
    """A finished eval run: its settings and one :class:`RunRow` per question.

    Attributes:
        id: unique run id; name: a label (several runs may share a name, the newest wins on load).
        created: ISO time; dataset: where the rows came from; config: the app variant's settings.
        wall_s: wall time of the whole run; workers: requests in flight; generate: False for retrieval-only.
    """

    id: str
    name: str
    created: str
    dataset: str
    config: dict[str, Any]
    wall_s: float
    workers: int
    generate: bool
    rows: list[RunRow]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def errors(self) -> list[RunRow]:
        """Rows whose request failed."""
        return [r for r in self.rows if r.error]

    def metric_names(self) -> list[str]:
        """Metrics that have at least one value in this run, in the order of ``METRICS``."""
        present = {m for r in self.rows for m, v in r.scores.items() if v is not None}
        return [m for m in METRICS if m in present]

    def values(self, metric: str, kind: str | Sequence[str] | None = None) -> list[float]:
        """Per-item values of a metric, skipping items it does not apply to (and failed requests).

        Args:
            metric: a metric name (see ``labkit.evals.metrics.METRICS``), or "latency_s", "cost_usd",
                "input_tokens", "output_tokens".
            kind: only questions of this kind (or kinds).
        """
        kinds = {kind} if isinstance(kind, str) else set(kind) if kind is not None else None
        return [v for _, v in self._pairs(metric, kinds)]

    def by_item(self, metric: str) -> dict[str, float]:
        """item id -> value of a metric (items where it applies)."""
        return dict(self._pairs(metric, None))

    def _pairs(self, metric: str, kinds: set[str] | None) -> list[tuple[str, float]]:
        usage = ("latency_s", "cost_usd", "input_tokens", "output_tokens")
        if metric not in METRICS and metric not in usage:
            raise ValueError(f"unknown metric {metric!r}; choose from {list(METRICS) + list(usage)}")
        out = []
        for r in self.rows:
            if kinds is not None and r.kind not in kinds:
                continue
            if metric in usage:
                v = getattr(r, metric)
                if r.error or v is None or (metric != "latency_s" and not self.generate):
                    continue
            else:
                v = r.scores.get(metric)
                if v is None:
                    continue
            out.append((r.item_id, float(v)))
        return out

    def metrics(self, metrics: Sequence[str] | None = None, kind: str | Sequence[str] | None = None,
                confidence: float = 0.95, *, seed: int = 0) -> dict[str, Interval]:
        """Mean of each metric with a bootstrap interval.

        Args:
            metrics: which metrics (default: every metric with values in this run).
            kind: only questions of this kind (or kinds).
            confidence: interval coverage.
            seed: bootstrap seed.

        Returns:
            metric -> :class:`Interval` (metrics with no applicable item are left out).
        """
        out = {}
        for m in metrics or self.metric_names():
            vals = self.values(m, kind)
            if vals:
                out[m] = bootstrap_ci(vals, confidence=confidence, seed=seed)
        return out

    def by_kind(self, metric: str, confidence: float = 0.95, seed: int = 0) -> dict[str, Interval]:
        """One metric per question kind, each with its interval (kinds where it does not apply are left out)."""
        kinds = list(dict.fromkeys(r.kind for r in self.rows))
        out = {}
        for k in kinds:
            vals = self.values(metric, k)
            if vals:
                out[k] = bootstrap_ci(vals, confidence=confidence, seed=seed)
        return out

    def summary(self) -> dict[str, Any]:
        """Size, errors, time, tokens and cost of the run."""
        ok = [r for r in self.rows if not r.error]
        lat = sorted(r.latency_s for r in ok)
        return {
            "run": self.name, "id": self.id, "questions": len(self.rows), "errors": len(self.errors),
            "wall_s": round(self.wall_s, 2), "workers": self.workers,
            "mean_latency_s": round(sum(lat) / len(lat), 3) if lat else None,
            "p95_latency_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3) if lat else None,
            "input_tokens": sum(r.input_tokens for r in ok), "output_tokens": sum(r.output_tokens for r in ok),
            "cost_usd": sum(r.cost_usd or 0.0 for r in ok),
        }

    def table(self, metrics: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """The metrics as a DataFrame: metric, mean, low, high, n."""
        import pandas as pd

        return pd.DataFrame([{"metric": m, "mean": i.estimate, "low": i.low, "high": i.high, "n": i.n}
                             for m, i in self.metrics(metrics, confidence=confidence).items()])

    def frame(self) -> pd.DataFrame:
        """One row per question with its output, usage and every score."""
        import pandas as pd

        rows = []
        for r in self.rows:
            d = dataclasses.asdict(r)
            d.update(d.pop("scores"))
            rows.append(d)
        return pd.DataFrame(rows)


def _item_fields(item: Mapping[str, Any], n: int) -> tuple[str, str, str, str | None]:
    if not isinstance(item, Mapping):
        raise TypeError(f"row {n} is a {type(item).__name__}, not a dict")
    missing = [k for k in ("id", "question", "kind") if not item.get(k)]
    if missing:
        raise ValueError(f"row {n} lacks {missing}; eval rows need id, question, kind (a golden-set row)")
    tenant = item.get("tenant")
    return str(item["id"]), str(item["question"]), str(item["kind"]), (str(tenant) if tenant else None)


def _ranked_documents(app: Any, question: str, tenant: str | None, fallback: list[str]) -> tuple[list[str], float]:
    index, config = getattr(app, "index", None), getattr(app, "config", None)
    if index is None or config is None or not hasattr(index, "search"):
        return fallback, 0.0
    t0 = time.perf_counter()
    hits = index.search(question, k=RANK_DEPTH_CHUNKS, mode=getattr(config, "mode", "hybrid"), tenant=tenant)
    return list(dict.fromkeys(h.document_id for h in hits)), time.perf_counter() - t0


def _one(app: Any, item: Mapping[str, Any], n: int, generate: bool) -> RunRow:
    item_id, question, kind, tenant = _item_fields(item, n)
    row = RunRow(item_id=item_id, question=question, kind=kind, tenant=tenant, reference=item.get("answer"))
    try:
        ranked, row.retrieval_s = _ranked_documents(app, question, tenant, [])
        context: list[str] = []
        context_text: str | None = None
        if generate:
            a = app.answer(question, tenant=tenant)
            context = list(a.retrieved_ids)
            context_text = "\n".join(str(getattr(h, "text", "")) for h in getattr(a, "hits", []))
            row.output, row.abstained = a.text, bool(a.abstained)
            row.citations, row.invalid_citations = list(a.citations), len(a.invalid_citations)
            row.latency_s, row.model = float(a.latency_s), a.model
            row.input_tokens, row.output_tokens = int(a.input_tokens), int(a.output_tokens)
            from labkit import llm

            row.cost_usd = llm.cost(a.model, row.input_tokens, row.output_tokens)
            if not ranked:
                ranked = context
        else:
            cfg_k = getattr(getattr(app, "config", None), "k", None)
            if cfg_k is not None:  # what the prompt would hold: the documents of the top k chunks
                context = list(dict.fromkeys(h.document_id for h in app.retrieve(question, tenant)))
            row.latency_s = row.retrieval_s
        row.ranked_ids, row.context_ids = ranked, context
    except Exception as exc:  # recorded on the row and counted in Run.errors, never dropped
        row.error = f"{type(exc).__name__}: {exc}"
        row.output = None
    row.scores = score_item(item, row.output if not row.error and generate else None, ranked_ids=row.ranked_ids,
                            context_ids=row.context_ids, citations=row.citations,
                            n_invalid_citations=row.invalid_citations, abstained=row.abstained,
                            context_text=context_text if generate and not row.error else None)
    return row


def _config_of(app: Any) -> dict[str, Any]:
    cfg = getattr(app, "config", None)
    if cfg is not None and dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return dataclasses.asdict(cfg)
    return {"app": type(app).__name__}


def run(app: App, rows: Sequence[Mapping[str, Any]], *, name: str | None = None, dataset: str = "golden",
        store: str | Path | RunStore | None = None, workers: int = 4, generate: bool = True,
        progress: bool = False) -> Run:
    """Push every row through the app and score it; requests run ``workers`` at a time.

    Args:
        app: a ``RagApp`` (or anything with ``answer(question, tenant=...)``).
        rows: golden-set rows (``id``, ``question``, ``kind``, ``answer``, ``aliases``, ``doc_ids``, ``tenant``...).
        name: a label for the run (default: built from the app's config).
        dataset: where the rows came from, for the record.
        store: a :class:`RunStore` or SQLite path to save the run in (None: not saved).
        workers: requests in flight; the embedded server batches parallel requests.
        generate: False for a retrieval-only run (no model calls; retrieval metrics only).
        progress: show a progress bar.

    Returns:
        The :class:`Run`. A request that fails is kept with its error (see ``Run.errors``); if every
        request fails the first error is raised, since the run measured nothing.
    """
    if not hasattr(app, "answer"):
        raise TypeError(f"app must have an answer(question, tenant=...) method (a RagApp); got {type(app).__name__}")
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise TypeError("rows must be a list of dataset rows (dicts)")
    if not rows:
        raise ValueError("rows is empty: nothing to evaluate")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    ids = [r.get("id") if isinstance(r, Mapping) else None for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("row ids must be unique (runs are compared item by item)")
    for n, item in enumerate(rows):
        _item_fields(item, n)
    config = _config_of(app)
    if name is None:
        name = "-".join(str(config[k]) for k in ("mode", "prompt_version") if k in config) + (
            f"-k{config['k']}" if "k" in config else "") or type(app).__name__
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_one, app, item, n, generate) for n, item in enumerate(rows)]
        if progress:
            from concurrent.futures import as_completed

            from tqdm.auto import tqdm

            for _done in tqdm(as_completed(futures), total=len(futures), desc=name):
                pass
        out = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    if all(r.error for r in out):
        raise RuntimeError(f"every request failed; the first: {out[0].error}")
    result = Run(id=uuid.uuid4().hex[:12], name=name, created=time.strftime("%Y-%m-%dT%H:%M:%S"), dataset=dataset,
                 config=config, wall_s=wall, workers=workers, generate=generate, rows=out)
    if store is not None:
        (store if isinstance(store, RunStore) else RunStore(store)).save(result)
    return result


def compare(baseline: Run, candidate: Run, metrics: Sequence[str] | None = None, *,
            max_drop: float | Mapping[str, float] = 0.0, confidence: float = 0.95, seed: int = 0) -> GateResult:
    """The regression gate between two runs: fail when a metric drops beyond its interval.

    Items are paired by id (a question answered by both runs); when the runs share fewer than two
    items for a metric, its samples are compared unpaired.

    Args:
        baseline: the run to protect (e.g. the released variant).
        candidate: the run that wants to replace it.
        metrics: metrics to gate (default: every metric both runs have, except the neutral ``abstained``).
        max_drop: tolerated drop, one number or per metric.
        confidence: interval coverage.
        seed: random seed.

    Returns:
        A :class:`~labkit.evals.stats.GateResult`; ``.passed`` is False when some metric failed.
    """
    if metrics is None:
        both = set(candidate.metric_names())
        metrics = [m for m in baseline.metric_names() if m in both and m != "abstained"]
    if not metrics:
        raise ValueError("the runs have no metric in common to compare")
    result = GateResult(confidence=confidence)
    for m in metrics:
        base, cand = baseline.by_item(m), candidate.by_item(m)
        if not base or not cand:
            raise ValueError(f"metric {m!r} has no values in {'baseline' if not base else 'candidate'} "
                             f"run {baseline.name if not base else candidate.name!r}")
        common = [i for i in base if i in cand]
        drop = max_drop.get(m, 0.0) if isinstance(max_drop, Mapping) else max_drop
        paired = len(common) >= 2
        a = [base[i] for i in common] if paired else list(base.values())
        b = [cand[i] for i in common] if paired else list(cand.values())
        result.checks.append(gate_check(m, a, b, paired=paired, max_drop=drop, lower_is_better=m in LOWER_IS_BETTER,
                                        confidence=confidence, seed=seed))
    return result


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, name TEXT, created TEXT, dataset TEXT, config TEXT,
    wall_s REAL, workers INTEGER, generate INTEGER);
CREATE TABLE IF NOT EXISTS rows (run_id TEXT REFERENCES runs(id), ord INTEGER, item_id TEXT, question TEXT,
    kind TEXT, tenant TEXT, reference TEXT, output TEXT, ranked_ids TEXT, context_ids TEXT, citations TEXT,
    invalid_citations INTEGER, abstained INTEGER, latency_s REAL, retrieval_s REAL, input_tokens INTEGER,
    output_tokens INTEGER, cost_usd REAL, error TEXT, model TEXT, scores TEXT, PRIMARY KEY (run_id, ord));
CREATE INDEX IF NOT EXISTS runs_by_name ON runs(name, created);
"""
_JSON_FIELDS = ("ranked_ids", "context_ids", "citations", "scores")
# The row fields that can hold a person's words or their documents' ids (what erasure rewrites).
_TEXT_FIELDS = ("item_id", "question", "reference", "output", "error", "ranked_ids", "context_ids", "citations")


class RunStore:
    """Runs kept in one SQLite file, so they can be compared later (and from the command line).

    Args:
        path: the SQLite file (created with its tables if missing).
        read_only: open an existing store read-only (``mode=ro``): nothing is created or changed, and a
            missing path, a folder or a file that is not SQLite is refused with one clear error.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            connect_readonly(self.path, "run store").close()  # refuse a bad path now, with one line
            return
        check_sqlite(self.path, "run store")  # an existing file that is not SQLite is never written
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            return connect_readonly(self.path, "run store")
        return sqlite3.connect(self.path, timeout=30)

    def save(self, run: Run) -> None:
        """Store a run and all its rows (replacing a run with the same id)."""
        if not isinstance(run, Run):
            raise TypeError(f"save() takes a Run, got {type(run).__name__}")
        fields = [f.name for f in dataclasses.fields(RunRow)]
        conn = self._connect()
        try:
            with conn:
                conn.execute("DELETE FROM rows WHERE run_id = ?", (run.id,))
                conn.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?)",
                             (run.id, run.name, run.created, run.dataset, json.dumps(run.config), run.wall_s,
                              run.workers, int(run.generate)))
                conn.executemany(
                    f"INSERT INTO rows (run_id, ord, {', '.join(fields)}) VALUES ({', '.join('?' * (len(fields) + 2))})",
                    [(run.id, n, *[json.dumps(getattr(r, f)) if f in _JSON_FIELDS else
                                   (None if getattr(r, f) is None else int(getattr(r, f))) if f == "abstained" else
                                   getattr(r, f) for f in fields]) for n, r in enumerate(run.rows)])
        finally:
            conn.close()

    def load(self, ref: str) -> Run:
        """A stored run by id, or the newest run with that name.

        Raises:
            KeyError: no such run; the message lists the stored names.
        """
        conn = self._connect()
        try:
            head = conn.execute("SELECT * FROM runs WHERE id = ?", (ref,)).fetchone() or conn.execute(
                "SELECT * FROM runs WHERE name = ? ORDER BY created DESC, rowid DESC LIMIT 1", (ref,)).fetchone()
            if head is None:
                names = sorted({r[0] for r in conn.execute("SELECT name FROM runs")})
                raise KeyError(f"no run {ref!r} in {self.path}; stored runs: {', '.join(names) or 'none'}")
            fields = [f.name for f in dataclasses.fields(RunRow)]
            cur = conn.execute(f"SELECT {', '.join(fields)} FROM rows WHERE run_id = ? ORDER BY ord", (head[0],))
            rows = []
            for values in cur.fetchall():
                d = dict(zip(fields, values, strict=True))
                for f in _JSON_FIELDS:
                    d[f] = json.loads(d[f])
                d["abstained"] = None if d["abstained"] is None else bool(d["abstained"])
                rows.append(RunRow(**d))
        finally:
            conn.close()
        return Run(id=head[0], name=head[1], created=head[2], dataset=head[3], config=json.loads(head[4]),
                   wall_s=head[5], workers=head[6], generate=bool(head[7]), rows=rows)

    def _mentioning(self, conn: sqlite3.Connection, m: PersonMatcher) -> list[tuple[Any, ...]]:
        cur = conn.execute(f"SELECT run_id, ord, {', '.join(_TEXT_FIELDS)} FROM rows")
        return [row for row in cur.fetchall()
                if m.count([json.loads(v) if f in _JSON_FIELDS else v for f, v in zip(_TEXT_FIELDS, row[2:], strict=True)])]

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int:
        """Stored rows whose question, reference, answer, error or document ids mention a person's identifiers."""
        conn = self._connect()
        try:
            return len(self._mentioning(conn, matcher(identifiers)))
        finally:
            conn.close()

    def erase(self, identifiers: Iterable[str] | PersonMatcher) -> Erased:
        """Erasure: replace a person's identifiers in every stored row with ``[ERASED]``.

        Rows are redacted, not deleted, so a run keeps its size and its scores stay comparable; the
        question, reference, answer, error and document-id fields are rewritten.

        Returns:
            :class:`~labkit.enterprise.identifiers.Erased` with the rows redacted.
        """
        m = matcher(identifiers)
        conn = self._connect()
        try:
            conn.execute("PRAGMA secure_delete = ON")
            with conn:
                rows = self._mentioning(conn, m)
                for run_id, ord_, *values in rows:
                    new = [json.dumps(m.redact(json.loads(v))) if f in _JSON_FIELDS else m.redact(v)
                           for f, v in zip(_TEXT_FIELDS, values, strict=True)]
                    conn.execute(f"UPDATE rows SET {', '.join(f + ' = ?' for f in _TEXT_FIELDS)} "
                                 "WHERE run_id = ? AND ord = ?", (*new, run_id, ord_))
        finally:
            conn.close()
        return Erased(redacted=len(rows))

    def runs(self) -> list[dict[str, Any]]:
        """Every stored run: id, name, created, dataset, number of rows; newest first."""
        conn = self._connect()
        try:
            cur = conn.execute("SELECT r.id, r.name, r.created, r.dataset, r.generate, COUNT(x.ord) FROM runs r "
                               "LEFT JOIN rows x ON x.run_id = r.id GROUP BY r.id ORDER BY r.created DESC, r.rowid DESC")
            return [{"id": i, "name": n, "created": c, "dataset": d, "generate": bool(g), "rows": k}
                    for i, n, c, d, g, k in cur.fetchall()]
        finally:
            conn.close()
