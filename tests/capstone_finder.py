"""The reference finder for the assembled capstone: SQL over the week's traces only (never the plan).

Kept in tests, out of labkit's public API: it is the answer key's method, not a library function.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from labkit.capstone.world import START

DAY_NS = 86_400 * 10**9
T0 = int(START.timestamp() * 1e9)
DAY = f"(CAST((t.start_ns - {T0}) / {DAY_NS} AS INTEGER) + 1)"
A = "json_extract(s.attributes, '$.\"{}\"')"

# Each query returns (trace_id, day) of traces that show the kind, judged against day 1's values.
QUERIES = {
    "prompt-template": f"""SELECT s.trace_id, {DAY} FROM spans s JOIN traces t USING (trace_id)
        WHERE s.name = 'rag.generate' AND {A.format('rag.prompt.sha')} NOT IN (
          SELECT {A.format('rag.prompt.sha')} FROM spans s JOIN traces t USING (trace_id)
          WHERE s.name = 'rag.generate' AND {DAY} = 1)""",
    "reingest-drop": f"""SELECT s.trace_id, {DAY} FROM spans s JOIN traces t USING (trace_id)
        WHERE s.name = 'rag.retrieve' AND {A.format('rag.index.documents')} < (
          SELECT MAX({A.format('rag.index.documents')}) FROM spans s JOIN traces t USING (trace_id)
          WHERE s.name = 'rag.retrieve' AND {DAY} = 1)""",
    "retry-setting": f"""SELECT a.trace_id, CAST((t.start_ns - {T0}) / {DAY_NS} AS INTEGER) + 1
        FROM spans a JOIN spans b ON a.trace_id = b.trace_id AND b.start_ns > a.end_ns
        JOIN traces t ON t.trace_id = a.trace_id
        WHERE a.operation = 'chat' AND b.operation = 'chat' AND b.start_ns - a.end_ns < 200000000
          AND json_extract(a.attributes, '$."error.type"') IS NOT NULL""",
    "price-change": f"""WITH rate AS (SELECT s.trace_id, {DAY} AS day, {A.format('budget.cost_usd')} * 1.0 /
          ({A.format('gen_ai.usage.input_tokens')} + {A.format('gen_ai.usage.output_tokens')}) AS r
          FROM spans s JOIN traces t USING (trace_id) WHERE s.name = 'budget.reserve'
          AND {A.format('budget.cost_usd')} > 0)
        SELECT trace_id, day FROM rate WHERE r > 1.5 * (SELECT MIN(r) FROM rate WHERE day = 1)""",
    "cache-tenant": f"""SELECT s.trace_id, {DAY} FROM spans s JOIN traces t USING (trace_id),
          json_each({A.format('rag.retrieved_tenants')}) hit
        WHERE s.name = 'rag.retrieve' AND hit.value NOT IN ('shared', {A.format('rag.tenant')})""",
    "model-swap": f"""SELECT s.trace_id, {DAY} FROM spans s JOIN traces t USING (trace_id)
        WHERE s.operation = 'chat' AND {A.format('gen_ai.response.model')} NOT IN (
          SELECT {A.format('gen_ai.response.model')} FROM spans s JOIN traces t USING (trace_id)
          WHERE s.operation = 'chat' AND {DAY} = 1 AND {A.format('gen_ai.response.model')} IS NOT NULL)""",
}


def find(run_dir: str | Path, per_bug: int = 2) -> list[dict[str, Any]]:
    """Findings for every kind some trace shows: the first traces and the first day."""
    conn = sqlite3.connect(Path(run_dir) / "traces.sqlite")
    found = []
    for kind, sql in QUERIES.items():
        rows = sorted({(day, tid) for tid, day in conn.execute(sql)})
        if rows:
            found.append({"bug": kind, "trace_ids": [tid for _, tid in rows[:per_bug]], "day": rows[0][0]})
    conn.close()
    return found
