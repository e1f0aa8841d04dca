"""promptfoo Python assertions: labkit's own contains and token F1 of the output against the test's references.

promptfoo calls the function a ``file://promptfoo_token_f1.py:NAME`` assertion names with ``(output, context)``;
the references are the test's ``references`` var (JSON text, as ``labkit eval export RUN --to promptfoo`` and
``make promptfoo-config`` write it). labkit's metrics module is loaded from its file (standard library only),
so whichever Python promptfoo starts scores exactly as labkit does.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

METRICS_FILE = Path(__file__).resolve().parents[1] / "labkit" / "evals" / "metrics.py"
_spec = importlib.util.spec_from_file_location("labkit_eval_metrics", METRICS_FILE)
assert _spec is not None and _spec.loader is not None, f"cannot load {METRICS_FILE}"
_metrics = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_metrics)


def _references(context: dict[str, Any]) -> list[str]:
    return list(json.loads(context["vars"]["references"]))


def get_assert(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """The token F1 as promptfoo's grading result (a score in [0, 1]; it never fails a test on its own)."""
    refs = _references(context)
    f1 = _metrics.token_f1(output.strip(), refs[0], refs[1:])
    return {"pass": True, "score": f1, "reason": f"token F1 {f1:.3f} against {len(refs)} reference(s)"}


def contains_assert(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """labkit's contains: passes when a normalised reference appears as a whole-word span of the output."""
    refs = _references(context)
    hit = _metrics.contains(output.strip(), refs[0], refs[1:])
    return {"pass": hit == 1.0, "score": hit,
            "reason": "a reference appears in the answer" if hit else "no reference appears in the answer"}
