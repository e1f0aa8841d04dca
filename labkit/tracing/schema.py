"""The span store's SQLite layout: the ``spans`` and ``traces`` tables, the upsert that keeps a trace's
row up to date as its spans arrive, and the span attributes lifted into columns."""

# Attribute keys the store lifts into columns (the rest stay in the JSON blob).
OPERATION = "gen_ai.operation.name"
REQUEST_MODEL = "gen_ai.request.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
COST = "labkit.cost_usd"
CATEGORY = "labkit.category"
ROUTE_KEYS = ("http.route", "labkit.route")
SAMPLE_REASON = "labkit.sampling.reason"
SAMPLE_WEIGHT = "labkit.sampling.weight"


SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT,
    service TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    error INTEGER NOT NULL,
    status_message TEXT,
    operation TEXT,
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
CREATE INDEX IF NOT EXISTS spans_model ON spans (model);
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY,
    root_span_id TEXT,
    root_rank INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    route TEXT,
    service TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    root_start_ns INTEGER,
    root_end_ns INTEGER,
    spans INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    llm_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    sample_reason TEXT,
    sample_weight REAL NOT NULL DEFAULT 1.0
);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);
"""

# Root fields are replaced only by a better root candidate: a span with no parent (rank 2)
# beats a span whose parent lives in another process (rank 1), which beats nothing (rank 0).
UPSERT_TRACE = """
INSERT INTO traces (trace_id, root_span_id, root_rank, name, route, service, start_ns, end_ns, root_start_ns,
                    root_end_ns, spans, errors, llm_calls, input_tokens, output_tokens, cost_usd, sample_reason,
                    sample_weight)
VALUES (:trace_id, :root_span_id, :root_rank, :name, :route, :service, :start_ns, :end_ns, :root_start_ns,
        :root_end_ns, :spans, :errors, :llm_calls, :input_tokens, :output_tokens, :cost_usd, :sample_reason,
        :sample_weight)
ON CONFLICT (trace_id) DO UPDATE SET
    start_ns = min(traces.start_ns, excluded.start_ns),
    end_ns = max(traces.end_ns, excluded.end_ns),
    spans = traces.spans + excluded.spans,
    errors = traces.errors + excluded.errors,
    llm_calls = traces.llm_calls + excluded.llm_calls,
    input_tokens = traces.input_tokens + excluded.input_tokens,
    output_tokens = traces.output_tokens + excluded.output_tokens,
    cost_usd = traces.cost_usd + excluded.cost_usd,
    root_span_id = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_span_id ELSE traces.root_span_id END,
    name = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.name ELSE traces.name END,
    route = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.route ELSE traces.route END,
    service = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.service ELSE traces.service END,
    root_start_ns = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_start_ns
                         ELSE traces.root_start_ns END,
    root_end_ns = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_end_ns
                       ELSE traces.root_end_ns END,
    sample_reason = COALESCE(excluded.sample_reason, traces.sample_reason),
    sample_weight = CASE WHEN excluded.sample_reason IS NOT NULL THEN excluded.sample_weight
                         ELSE traces.sample_weight END,
    root_rank = max(traces.root_rank, excluded.root_rank)
"""

SPAN_COLUMNS = ("trace_id", "span_id", "parent_id", "name", "kind", "category", "service", "start_ns", "end_ns",
                 "status", "error", "status_message", "operation", "model", "input_tokens", "output_tokens",
                 "cost_usd", "attributes", "events")
INSERT_SPAN = (f"INSERT OR REPLACE INTO spans ({', '.join(SPAN_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in SPAN_COLUMNS)})")
