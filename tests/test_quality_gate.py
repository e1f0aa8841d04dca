"""The quality gate in CI: the current default variant against a committed baseline run, on a fixed golden sample.

``tests/data/eval_baseline.sqlite`` holds one run, ``gate-baseline``: the default variant on
``variants.golden_sample(12)`` with the embedded model, no judge. The gate is ``labkit eval compare``:
a metric whose paired interval lies wholly below zero fails the build (exit 1). A deliberately
worse variant (answers cut to one token) must fail it, or the gate protects nothing.

To refresh the baseline after a change the course accepts (a new model, a better default), delete the
file and run ``labkit eval run --variant default --sample 12 --no-judge --name gate-baseline --db
tests/data/eval_baseline.sqlite``, then commit it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from labkit.cli import main
from labkit.evals import RunStore, variants

pytestmark = pytest.mark.server

BASELINE = Path(__file__).parent / "data" / "eval_baseline.sqlite"


def _run_variant(name: str, n: int, db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """``labkit eval run --variant NAME --sample N``; returns the run id, its last line."""
    rc = main(["eval", "run", "--variant", name, "--sample", str(n), "--no-judge", "--workers", "8", "--db", str(db)])
    out = capsys.readouterr().out
    assert rc == 0, out
    return out.strip().splitlines()[-1]


def test_the_default_passes_the_gate_and_a_worse_variant_fails_it(embedded: Any, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "runs.sqlite"
    shutil.copy(BASELINE, db)
    baseline = RunStore(db, read_only=True).load("gate-baseline")
    n = len(baseline)
    assert [r.item_id for r in baseline.rows] == [r["id"] for r in variants.golden_sample(n)], \
        "the fixed sample changed: regenerate the baseline (see this module's docstring)"

    current = _run_variant("default", n, db, capsys)
    assert main(["eval", "compare", "gate-baseline", current, "--db", str(db)]) == 0
    assert "GATE PASSED" in capsys.readouterr().out

    worse = _run_variant("one-token", n, db, capsys)
    assert main(["eval", "compare", "gate-baseline", worse, "--db", str(db)]) == 1
    report = capsys.readouterr().out
    assert "GATE FAILED" in report and "token_f1" in report.split("GATE FAILED")[1]
