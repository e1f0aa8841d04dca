"""``labkit eval run`` (the golden set through an app variant, stored in SQLite; ``--variant`` runs a named
one), ``labkit eval compare`` (the regression gate between two stored runs; exit status 1 when it fails),
``labkit eval variants``, ``labkit eval rubric`` (weighted totals on measured criteria), ``labkit eval list``,
``labkit eval export`` (a stored run as JSON Lines, an inspect_ai dataset or a promptfoo config) and
``labkit eval log-mlflow`` (a stored run's params and metrics with intervals in an MLflow SQLite store)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from labkit import config
from labkit.cli.common import Subparsers, count, probability


def default_db() -> Path:
    """Where runs are stored: ``LABKIT_EVALS_DB``, else ``<LABKIT_CACHE or ~/.cache/labkit>/evals/runs.sqlite``."""
    return config.evals_db()


def _open_store(args: argparse.Namespace, read_only: bool = False):  # noqa: ANN202 - a RunStore; imported lazily
    """The run store named by ``--db`` (default :func:`default_db`); read-only for commands that only read.

    A missing path (when reading), a folder or a file that is not SQLite is one clear error, and a
    read never creates a folder or a database.
    """
    from labkit import evals

    db = Path(args.db) if args.db else default_db()
    try:
        return evals.RunStore(db, read_only=read_only)
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{db} is not a run store ({exc}); pass --db a SQLite file `labkit eval run` wrote, "
                         f"or a new path") from None


def _report(run: object, path: Path) -> int:
    """Print a finished run (size, time, tokens, metrics, failures) and its id as the last line.

    Returns:
        The exit status: 1 when some request failed, else 0.
    """
    from labkit.evals import Run

    assert isinstance(run, Run)
    s = run.summary()
    print(f"run {run.name!r} (id {run.id}) saved to {path}: {s['questions']} questions, {s['errors']} errors, "
          f"{s['wall_s']} s wall, {s['input_tokens']} + {s['output_tokens']} tokens, ${s['cost_usd']:.6f}")
    _print_metrics(run)
    if run.errors:
        print(f"{len(run.errors)} requests failed; the first: {run.errors[0].error}")
    print(run.id)
    return 1 if run.errors else 0


def _print_metrics(run: object) -> None:
    from labkit.evals import Run

    assert isinstance(run, Run)
    print(f"{'metric':<20} {'mean':>7}  95% interval       n")
    for name, ci in run.metrics().items():
        print(f"{name:<20} {ci.estimate:>7.3f}  [{ci.low:.3f}, {ci.high:.3f}]  {ci.n:>4}")


_CONFIG_OPTIONS = ("k", "mode", "prompt", "chunk_words", "overlap_words", "max_tokens", "retrieval_only")


def _run(args: argparse.Namespace) -> int:
    if args.variant is not None:
        return _run_variant(args)
    if args.sample is not None or args.no_judge:
        raise ValueError("--sample and --no-judge go with --variant NAME (see `labkit eval variants`)")
    from labkit import data, evals
    from labkit.rag import RagApp, RagConfig

    rows = data.records(args.dataset)
    if args.split != "all":
        rows = [r for r in rows if r.get("split") == args.split]
    if args.kind:
        rows = [r for r in rows if r.get("kind") in set(args.kind)]
    if args.limit is not None:
        rows = rows[: args.limit]
    if not rows:
        raise ValueError(f"no rows in {args.dataset!r} with split={args.split!r} and kind={args.kind}")
    config = RagConfig(chunk_words=args.chunk_words, overlap_words=args.overlap_words, k=args.k, mode=args.mode,
                       prompt_version=args.prompt, max_tokens=args.max_tokens)
    app = RagApp(config=config)
    store = _open_store(args)  # before the run, so a bad --db costs no model calls
    what = "retrieval only" if args.retrieval_only else "end to end"
    print(f"evaluating {len(rows)} {args.dataset}/{args.split} questions ({what}, {args.workers} in flight)...",
          flush=True)
    run = evals.run(app, rows, name=args.name, dataset=f"{args.dataset}/{args.split}", store=store,
                    workers=args.workers, generate=not args.retrieval_only, progress=args.progress)
    return _report(run, store.path)


def _run_variant(args: argparse.Namespace) -> int:
    from labkit.evals import variants

    changed = [o for o in _CONFIG_OPTIONS if getattr(args, o) != args.defaults[o]]
    if changed:
        raise ValueError(f"--variant sets the app's config itself; drop --{changed[0].replace('_', '-')} "
                         f"(or leave out --variant)")
    if args.dataset != "golden" or args.kind:
        raise ValueError("--variant runs on the golden set; drop --dataset and --kind")
    v = variants.variant(args.variant)
    rows = variants.golden_sample(args.sample if args.sample is not None else args.limit, split=args.split)
    store = _open_store(args)
    print(f"variant {v.name!r} ({v.trade_off}) on {len(rows)} golden/{args.split} questions "
          f"({'fixed sample' if args.sample else 'fixed order'}, {args.workers} in flight"
          f"{', no judge' if args.no_judge else ', judged'})...", flush=True)
    run = variants.run_variant(v.name, rows, store=store, judge=not args.no_judge, workers=args.workers,
                               run_name=args.name)
    return _report(run, store.path)


def _variants(args: argparse.Namespace) -> int:
    from labkit.evals.variants import VARIANTS

    for v in VARIANTS.values():
        changes = ", ".join(f"{k}={val}" for k, val in v.changes.items()) or "RagConfig()"
        print(f"{v.name:<10} {changes:<28} {v.trade_off}{'  [deliberately worse]' if v.broken else ''}")
    return 0


def _rubric(args: argparse.Namespace) -> int:
    from labkit.evals import rubric

    weights = rubric.parse_weights(args.weight or [])  # before opening anything: a bad weight is one line
    store = _open_store(args, read_only=True)
    try:
        runs = [store.load(ref) for ref in args.runs]
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    ranking = rubric.weighted_totals(runs, weights, confidence=args.confidence)
    rates = rubric.judge_rates()
    print(f"{'criterion':<13} {'weight':>6}  " + "  ".join(f"{n[:18]:>18}" for n in ranking.totals))
    by_label = {label: rubric.criterion_means(r) for label, r in zip(rubric.run_labels(runs), runs, strict=True)}
    means = {label: by_label[label] for label in ranking.totals}
    for name, w in ranking.weights.items():
        cells = "  ".join(f"{means[n][name].estimate:>18.3f}" if name in means[n] else f"{'-':>18}" for n in means)
        note = f"  (judge measured on labels: {rates})" if name == "judge" and rates is not None else ""
        print(f"{name:<13} {w:>6g}  {cells}{note}")
    print(ranking.report())
    return 0


def _compare(args: argparse.Namespace) -> int:
    from labkit import evals

    store = _open_store(args, read_only=True)
    try:
        base, cand = store.load(args.baseline), store.load(args.candidate)
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    result = evals.compare(base, cand, metrics=args.metric or None, max_drop=args.max_drop,
                           confidence=args.confidence)
    print(f"baseline {base.name!r} ({base.id}, {len(base)} rows) vs candidate {cand.name!r} ({cand.id}, {len(cand)} rows)")
    print(result.report())
    return 0 if result.passed else 1


def _list(args: argparse.Namespace) -> int:
    store = _open_store(args, read_only=True)
    runs = store.runs()
    if not runs:
        print(f"no runs in {store.path}; make one with `labkit eval run`")
        return 0
    print(f"{'id':<13} {'name':<28} {'created':<20} {'rows':>5}  dataset")
    for r in runs:
        print(f"{r['id']:<13} {r['name']:<28} {r['created']:<20} {r['rows']:>5}  {r['dataset']}"
              f"{'' if r['generate'] else ' (retrieval only)'}")
    return 0


def _load(args: argparse.Namespace):  # noqa: ANN202 - a Run; imported lazily
    store = _open_store(args, read_only=True)
    try:
        return store.load(args.run)
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None


def _export(args: argparse.Namespace) -> int:
    from labkit.evals import export

    export.check_format(args.to)  # before opening anything: a bad format is one line
    run = _load(args)
    out = Path(args.out) if args.out else Path(f"{run.name}{export.SUFFIX[args.to]}")
    done = export.export(run, args.to, out)
    print(f"wrote {done.rows} {args.to} records of run {run.name!r} ({run.id}) to {done.path}")
    for item, why in done.skipped.items():
        print(f"  left out {item}: {why}")
    return 0


def _log_mlflow(args: argparse.Namespace) -> int:
    from labkit.evals import interop

    run = _load(args)
    try:
        mlflow_id = interop.log_mlflow(run, args.tracking_uri, experiment=args.experiment)
    except RuntimeError as exc:  # MLflow's own failure, reported as its last lines: one line, no traceback
        raise ValueError(str(exc)) from None
    print(f"logged run {run.name!r} ({run.id}) to {args.tracking_uri}, experiment {args.experiment!r}: "
          f"MLflow run {mlflow_id}")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit eval run``, ``compare``, ``variants``, ``rubric``, ``export``, ``log-mlflow`` and ``list``."""
    ev = sub.add_parser("eval", help="evaluate the RAG app on the golden set and gate regressions")
    ev_sub = ev.add_subparsers(dest="eval_command", required=True, metavar="ACTION")

    p = ev_sub.add_parser("run", help="run the golden set through an app variant and store every row")
    p.add_argument("--dataset", default="golden", help="a shipped dataset with golden-set rows (default golden)")
    p.add_argument("--split", default="dev", choices=["dev", "test", "all"], help="which split (default dev)")
    p.add_argument("--kind", action="append", help="only this question kind (repeatable)")
    p.add_argument("--limit", type=count, default=None, help="only the first N questions")
    p.add_argument("--name", default=None, help="a name for the run (default: from the config)")
    p.add_argument("--k", type=count, default=3, help="chunks in the prompt (RagConfig.k)")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"], help="retrieval mode")
    p.add_argument("--prompt", default="v1-grounded", help="prompt version (labkit.rag.PROMPTS)")
    p.add_argument("--chunk-words", type=int, default=80, help="chunk size in words at ingest")
    p.add_argument("--overlap-words", type=int, default=15, help="chunk overlap in words")
    p.add_argument("--max-tokens", type=count, default=64, help="answer length cap")
    p.add_argument("--retrieval-only", action="store_true", help="no model calls: retrieval metrics only")
    p.add_argument("--workers", type=count, default=4, help="requests in flight (default 4)")
    p.add_argument("--db", default=None, help="SQLite file for runs (default: LABKIT_EVALS_DB or the labkit cache)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--variant", default=None, help="a named variant (`labkit eval variants`), scored for the rubric")
    p.add_argument("--sample", type=count, default=None,
                   help="with --variant: a fixed stratified sample of N questions of the split")
    p.add_argument("--no-judge", action="store_true", help="with --variant: skip the LLM judge (faster)")
    p.set_defaults(handler=_run, defaults={o: p.get_default(o) for o in _CONFIG_OPTIONS})

    p = ev_sub.add_parser("compare", help="regression gate: exit 1 when a metric drops beyond its interval")
    p.add_argument("baseline", help="run id or name (the newest run with that name)")
    p.add_argument("candidate", help="run id or name")
    p.add_argument("--metric", action="append", help="metric to gate (repeatable; default: all shared metrics)")
    p.add_argument("--max-drop", type=float, default=0.0, help="drop tolerated even when certain (default 0)")
    p.add_argument("--confidence", type=probability, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--db", default=None, help="SQLite file for runs")
    p.set_defaults(handler=_compare)

    p = ev_sub.add_parser("variants", help="list the named app variants")
    p.set_defaults(handler=_variants)

    p = ev_sub.add_parser("rubric", help="weighted totals of runs on measured criteria, with intervals, and the winner")
    p.add_argument("runs", nargs="+", metavar="RUN", help="two or more run ids or names (same questions)")
    p.add_argument("--weight", action="append", metavar="CRITERION=W",
                   help="a criterion's weight (repeatable; others weigh 1): correctness, groundedness, citations, "
                        "refusal, cost, latency, judge")
    p.add_argument("--confidence", type=probability, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--db", default=None, help="SQLite file for runs")
    p.set_defaults(handler=_rubric)

    p = ev_sub.add_parser("export", help="write a stored run as jsonl, an inspect_ai dataset or a promptfoo config")
    p.add_argument("run", metavar="RUN", help="run id or name")
    p.add_argument("--to", required=True, metavar="FORMAT", help="jsonl, inspect or promptfoo")
    p.add_argument("--out", default=None, help="output file (default: RUN's name with the format's suffix, here)")
    p.add_argument("--db", default=None, help="SQLite file for runs")
    p.set_defaults(handler=_export)

    p = ev_sub.add_parser("log-mlflow", help="log a stored run's params and metrics (with intervals) to MLflow")
    p.add_argument("run", metavar="RUN", help="run id or name")
    p.add_argument("--tracking-uri", default="sqlite:///mlflow.db", help="MLflow store (default sqlite:///mlflow.db)")
    p.add_argument("--experiment", default="labkit-evals", help="MLflow experiment name (default labkit-evals)")
    p.add_argument("--db", default=None, help="SQLite file for runs")
    p.set_defaults(handler=_log_mlflow)

    p = ev_sub.add_parser("list", help="list stored runs")
    p.add_argument("--db", default=None, help="SQLite file for runs")
    p.set_defaults(handler=_list)
