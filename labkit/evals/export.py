"""Export a stored eval run to the formats other eval tools read: JSON Lines, inspect_ai, promptfoo.

* ``jsonl``: every row of the run, its output, usage and scores, one JSON object a line (pandas,
  DuckDB, a spreadsheet or another team's tooling read it as is).
* ``inspect``: an inspect_ai dataset (``json_dataset`` reads it): one sample per answerable row, its
  ``input`` the exact chat messages the app sent, its ``target`` the reference and its aliases, and
  labkit's answer and scores in ``metadata``. ``evals_interop/inspect_golden.py`` runs it.
* ``promptfoo``: a complete ``promptfooconfig`` (JSON, which promptfoo reads like YAML): the run's
  model and sampling settings as the provider, one test per answerable row with the same messages,
  and labkit's own scorers as Python assertions (``evals_interop/promptfoo_token_f1.py``): ``contains``
  decides pass/fail, ``token_f1`` is a score that never fails a test.

``evals_interop/promptfooconfig.yaml`` is the checked-in config for the golden sample, written by
:func:`write_golden_promptfoo` (``make promptfoo-config``) through the same :func:`promptfoo_config`, so
it cannot drift from an export (tests/test_evals_export.py compares them).

The messages are rebuilt with :meth:`labkit.rag.RagApp.prompt_for` from the run's stored config
(retrieval is deterministic), and each row's rebuilt sources are checked against the documents the
run recorded, so an export never silently replays different prompts.

    >>> from labkit.evals import export
    >>> export.export(store.load("baseline"), "inspect", "golden_inspect.jsonl")
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.evals.metrics import UNANSWERABLE
from labkit.evals.runs import Run, RunRow
from labkit.files import atomic_output

FORMATS = ("jsonl", "inspect", "promptfoo")
SUFFIX = {"jsonl": ".jsonl", "inspect": ".inspect.jsonl", "promptfoo": ".promptfooconfig.json"}
INTEROP_DIR = Path(__file__).resolve().parents[2] / "evals_interop"  # the checked-in inspect task and promptfoo files
SCORER_FILE = "promptfoo_token_f1.py"  # labkit's contains and token F1 as promptfoo Python assertions, in INTEROP_DIR
GOLDEN_PROMPTFOO = INTEROP_DIR / "promptfooconfig.yaml"
GOLDEN_PROMPTFOO_N = 9  # golden questions in the checked-in config: every kind, eight answerable, one not


@dataclass
class Exported:
    """What an export wrote.

    Attributes:
        path: the file; format: one of ``FORMATS``; rows: records written.
        skipped: item id -> why the row was left out (inspect and promptfoo keep answerable rows
            whose prompt reached the model).
    """

    path: Path
    format: str
    rows: int
    skipped: dict[str, str] = field(default_factory=dict)


def check_format(fmt: str) -> str:
    """The format name, or a ValueError naming the choices."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    return fmt


def row_records(run: Run) -> list[dict[str, Any]]:
    """Every row of a run as a flat dict: the run's id and name, the row's fields and its scores."""
    out = []
    for r in run.rows:
        d = dataclasses.asdict(r)
        out.append({"run_id": run.id, "run_name": run.name, **d})
    return out


def references(run: Run) -> dict[str, list[str]]:
    """item id -> the reference answer and its aliases, read from the run's dataset (reference only when absent)."""
    from labkit import data

    try:
        by_id: dict[str, Mapping[str, Any]] = {str(r["id"]): r for r in data.records(run.dataset.split("/")[0])}
    except data.DatasetNotFound:  # a run on a dataset that is not shipped keeps its stored references
        by_id = {}
    out = {}
    for r in run.rows:
        row = by_id.get(r.item_id, {})
        refs = [x for x in [r.reference, *(row.get("aliases") or [])] if isinstance(x, str) and x.strip()]
        out[r.item_id] = list(dict.fromkeys(refs))
    return out


def app_for(run: Run) -> Any:
    """The ``RagApp`` with the run's stored config (the app whose prompts the run sent)."""
    from labkit.rag import RagApp, RagConfig

    names = {f.name for f in dataclasses.fields(RagConfig)}
    if not {"k", "mode", "prompt_version"} <= set(run.config):
        raise ValueError(f"run {run.name!r} was not made by RagApp (config {sorted(run.config)}); only RagApp "
                         f"runs can be replayed by inspect or promptfoo (export it --to jsonl)")
    return RagApp(config=RagConfig(**{k: v for k, v in run.config.items() if k in names}))  # variants add a label


def prompts(run: Run, app: Any = None) -> tuple[dict[str, list[dict[str, str]]], dict[str, str]]:
    """The chat messages each answerable row was sent, rebuilt from the run's config.

    Args:
        run: a stored end-to-end run.
        app: the app to rebuild with (default :func:`app_for`).

    Returns:
        (item id -> messages, item id -> why the row was skipped). A row is skipped when it has no
        reference, failed, or was abstained on without a model call.

    Raises:
        ValueError: the run is retrieval-only, or a rebuilt prompt holds other documents than the run
            recorded (the index or the config changed since the run).
    """
    if not run.generate:
        raise ValueError(f"run {run.name!r} is retrieval-only: it has no answers to replay (export it --to jsonl)")
    app = app or app_for(run)
    refs = references(run)
    out: dict[str, list[dict[str, str]]] = {}
    skipped: dict[str, str] = {}
    for r in run.rows:
        reason = _skip_reason(r, refs[r.item_id])
        if reason:
            skipped[r.item_id] = reason
            continue
        hits, msgs = app.prompt_for(r.question, r.tenant)
        if msgs is None:
            skipped[r.item_id] = "the app abstained without asking the model"
            continue
        rebuilt = list(dict.fromkeys(h.document_id for h in hits))
        if rebuilt != r.context_ids:
            raise ValueError(f"item {r.item_id}: the rebuilt prompt holds {rebuilt}, the run recorded {r.context_ids}; "
                             f"the index or config changed since the run, so re-run it before exporting")
        out[r.item_id] = msgs
    return out, skipped


def _skip_reason(r: RunRow, refs: list[str]) -> str | None:
    if r.error:
        return "the request failed"
    if r.kind == UNANSWERABLE or not refs:
        return "unanswerable: no reference answer to score"
    return None


def _labkit_fields(r: RunRow) -> dict[str, Any]:
    return {"item_id": r.item_id, "kind": r.kind, "labkit_output": r.output,
            "labkit_scores": {k: v for k, v in r.scores.items() if v is not None}}


def inspect_samples(run: Run, messages: Mapping[str, list[dict[str, str]]]) -> list[dict[str, Any]]:
    """inspect_ai samples (``id``, ``input`` messages, ``target`` references, ``metadata``) for the given rows."""
    refs = references(run)
    return [{"id": r.item_id, "input": messages[r.item_id], "target": refs[r.item_id],
             "metadata": {**_labkit_fields(r), "run_id": run.id, "max_tokens": run.config.get("max_tokens")}}
            for r in run.rows if r.item_id in messages]


def promptfoo_asserts(scorer: str) -> list[dict[str, str]]:
    """labkit's scorers as promptfoo Python assertions: ``contains`` passes or fails a test, ``token_f1`` scores it."""
    return [{"type": "python", "value": f"file://{scorer}:contains_assert", "metric": "contains"},
            {"type": "python", "value": f"file://{scorer}:get_assert", "metric": "token_f1"}]


def promptfoo_config(run: Run, messages: Mapping[str, list[dict[str, str]]], *, scorer: str | None = None,
                     with_answers: bool = True, description: str | None = None) -> dict[str, Any]:
    """A promptfoo config replaying the run: provider, prompt, labkit's scorers and one test per row.

    Args:
        run: the run whose rows and settings are replayed.
        messages: item id -> the chat messages (from :func:`prompts`).
        scorer: the scorer file as the config names it (default: its absolute path, so the config works
            from any folder; the checked-in config names it relative to itself).
        with_answers: keep the run's answer and scores in each test's vars (labkit_output, labkit_scores).
        description: the config's description (default: names the run).

    Returns:
        The config as a dict (promptfoo reads it as JSON or YAML).
    """
    refs = references(run)
    model = next((r.model for r in run.rows if r.model), None) or "labkit-chat"
    # vars hold JSON text, not lists: promptfoo expands a list-valued var into one test per element
    tests = []
    for r in run.rows:
        if r.item_id not in messages:
            continue
        kept = _labkit_fields(r) if with_answers else {"item_id": r.item_id, "kind": r.kind}
        tests.append({"description": r.item_id,
                      "vars": kept | {"messages": json.dumps(messages[r.item_id], ensure_ascii=False),
                                      "references": json.dumps(refs[r.item_id], ensure_ascii=False)}})
    return {
        "description": description or f"labkit run {run.name} ({run.id}) replayed by promptfoo",
        "prompts": ["{{ messages }}"],
        "providers": [{"id": f"openai:chat:{model}", "config": {
            "temperature": run.config.get("temperature", 0.0), "max_tokens": run.config.get("max_tokens", 64)}}],
        "defaultTest": {"assert": promptfoo_asserts(scorer or str(INTEROP_DIR / SCORER_FILE))},
        "tests": tests,
    }


def golden_promptfoo_config(n: int = GOLDEN_PROMPTFOO_N, *, app: Any = None) -> dict[str, Any]:
    """The checked-in promptfoo config: the golden sample's first ``n`` questions as the default app asks them.

    It is what :func:`export` writes for a run of those questions by that app on the embedded backend's
    chat model, less the run's answers and scores, with the scorer named relative to ``evals_interop/``.

    Args:
        n: questions from :func:`labkit.evals.variants.golden_sample` (unanswerable ones are left out).
        app: the app whose prompts are replayed (default: ``RagApp()``).
    """
    from labkit.evals import variants
    from labkit.evals.runs import _item_fields
    from labkit.llm import registry
    from labkit.rag import RagApp

    app = app or RagApp()
    model = registry.get(registry.role_model("embedded", "chat") or "").api_name
    rows = []
    for i, item in enumerate(variants.golden_sample(n)):
        item_id, question, kind, tenant = _item_fields(item, i)
        rows.append(RunRow(item_id=item_id, question=question, kind=kind, tenant=tenant,
                           reference=item.get("answer"), model=model))
    run = Run(id="golden", name=f"golden-{n}", created="", dataset=f"golden/{n}",
              config=dataclasses.asdict(app.config), wall_s=0.0, workers=1, generate=True, rows=rows)
    refs = references(run)
    messages = {}
    for r in rows:
        sent = None if _skip_reason(r, refs[r.item_id]) else app.prompt_for(r.question, r.tenant)[1]
        if sent is not None:
            messages[r.item_id] = sent
    return promptfoo_config(run, messages, scorer=SCORER_FILE, with_answers=False,
                            description=f"labkit's golden sample ({n} questions, dev split) against the local endpoint")


GOLDEN_HEADER = """\
# promptfoo config: labkit's golden sample against a local OpenAI-compatible endpoint, scored by labkit's own
# contains (pass/fail) and token F1 (evals_interop/promptfoo_token_f1.py). GENERATED by `make promptfoo-config`
# (labkit.evals.export.write_golden_promptfoo): do not edit; tests/test_evals_export.py fails when it drifts.
# Run it with labkit.evals.interop.run_promptfoo (it keeps promptfoo offline), or from evals_interop/ by hand:
#   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=local PROMPTFOO_DISABLE_TELEMETRY=1 \\
#   PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_PYTHON=python3 node_modules/.bin/promptfoo eval --no-cache
# (the telemetry switch still lets one "telemetry disabled" event out: run_promptfoo also sets a dead proxy)
"""


def write_golden_promptfoo(path: str | Path = GOLDEN_PROMPTFOO) -> Path:
    """Write :func:`golden_promptfoo_config` as YAML (the checked-in ``evals_interop/promptfooconfig.yaml``)."""
    import yaml

    text = GOLDEN_HEADER + yaml.safe_dump(golden_promptfoo_config(), sort_keys=False, allow_unicode=True, width=1000)
    _write(Path(path), text)
    return Path(path)


def export(run: Run, fmt: str, path: str | Path, *, app: Any = None) -> Exported:
    """Write a run in one format (atomically: a failed export leaves no partial file).

    Args:
        run: a stored run (``RunStore.load``).
        fmt: ``"jsonl"``, ``"inspect"`` or ``"promptfoo"``.
        path: the file to write.
        app: for inspect/promptfoo, the app that rebuilds the prompts (default: from the run's config).

    Returns:
        An :class:`Exported`.
    """
    check_format(fmt)
    path = Path(path)
    skipped: dict[str, str] = {}
    records: list[dict[str, Any]]
    if fmt == "jsonl":
        records = row_records(run)
        text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in records)
    else:
        messages, skipped = prompts(run, app)
        if not messages:
            raise ValueError(f"run {run.name!r} has no answerable row to replay ({len(skipped)} skipped)")
        if fmt == "inspect":
            records = inspect_samples(run, messages)
            text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in records)
        else:
            config = promptfoo_config(run, messages)
            records = config["tests"]
            text = json.dumps(config, indent=1, ensure_ascii=False) + "\n"
    _write(path, text)
    return Exported(path=path, format=fmt, rows=len(records), skipped=skipped)


def _write(path: Path, text: str) -> None:
    with atomic_output(path) as f:
        f.write(text)
