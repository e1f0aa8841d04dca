"""promptfoo Python assertion: labkit's token F1 of the output against the test's references.

promptfoo calls ``get_assert(output, context)``; the references are the test's ``references`` var
(JSON text written by ``labkit eval export RUN --to promptfoo``). labkit's metrics module is loaded from its file
(standard library only), so whichever Python promptfoo starts can score with it.
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


def get_assert(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """The token F1 as promptfoo's grading result (a score in [0, 1]; it never fails a test on its own)."""
    refs = json.loads(context["vars"]["references"])
    f1 = _metrics.token_f1(output.strip(), refs[0], refs[1:])
    return {"pass": True, "score": f1, "reason": f"token F1 {f1:.3f} against {len(refs)} reference(s)"}
