"""tools/courserun.py: a notebook's run (pass/fail, ledger totals, asserts) and the course report.

The executed notebooks are two cells that never call the model: the first leaves ledger totals
where labkit.llm would (LABKIT_LEDGER_OUT), so the report's numbers are known in advance.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

LEAVE_LEDGER = ('import json, os\n'
                'json.dump({"calls": 3, "input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0005},\n'
                '          open(os.environ["LABKIT_LEDGER_OUT"], "w"))')


@pytest.fixture
def courserun(tools_importable: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # run_notebook points LABKIT_LEDGER_OUT at a temporary file; undo that after the test.
    monkeypatch.setenv("LABKIT_LEDGER_OUT", "")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return importlib.import_module("courserun")


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _run(courserun: ModuleType, name: str, passed: bool, calls: int, asserts: int) -> object:
    return courserun.NotebookRun(notebook=name, passed=passed, wall_s=10.0, calls=calls, input_tokens=100 * calls,
                                 output_tokens=10 * calls, cost_usd=0.001 * calls, asserts=asserts,
                                 error="" if passed else "AssertionError: boom")


def test_report_has_a_row_per_notebook_and_sums_them(courserun: ModuleType) -> None:
    text = courserun.report([_run(courserun, "a.ipynb", True, 2, 5), _run(courserun, "b.ipynb", False, 1, 0)])
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert rows[1].startswith("| a.ipynb | pass | 10 | 2 | 200 | 20 | 0.002000 | 5 |")
    assert rows[2].startswith("| b.ipynb | FAIL: AssertionError: boom |")
    assert rows[3] == "| **total** | 1/2 passed | 20 | 3 | 300 | 30 | 0.003000 | 5 |"


def test_a_failing_notebook_is_a_failed_run_with_its_error(courserun: ModuleType, tmp_path: Path) -> None:
    path = _notebook(tmp_path / "bad.ipynb", "assert 1 == 1", 'raise ValueError("the lesson broke")')
    run = courserun.run_notebook(path, timeout=120)
    assert not run.passed and "the lesson broke" in run.error and "\x1b[" not in run.error
    assert run.calls == 0 and run.asserts == 0, "a failed notebook's asserts do not count as passed"


def test_main_runs_a_notebook_and_writes_the_report_files(courserun: ModuleType, tmp_path: Path) -> None:
    _notebook(tmp_path / "notebooks" / "01_tiny.ipynb", LEAVE_LEDGER, "assert 2 + 2 == 4\nassert True")
    out = tmp_path / "reports"
    assert courserun.main([str(tmp_path / "notebooks"), "--out", str(out)]) == 0
    (run,) = json.loads((out / "course_run.json").read_text(encoding="utf-8"))
    assert run["passed"] and run["error"] == ""
    assert (run["calls"], run["input_tokens"], run["output_tokens"], run["asserts"]) == (3, 120, 30, 2)
    assert "| **total** | 1/1 passed |" in (out / "course_run.md").read_text(encoding="utf-8")
    assert (out / "course_run.png").stat().st_size > 0
    executed = nbformat.read(out / "executed" / "01_tiny.ipynb", as_version=4)
    assert executed.cells[1].execution_count == 2, "the executed notebook is saved with its execution counts"


def test_main_refuses_a_pattern_that_matches_no_notebook(courserun: ModuleType, tmp_path: Path) -> None:
    _notebook(tmp_path / "01_tiny.ipynb", "assert True")
    with pytest.raises(SystemExit):
        courserun.main([str(tmp_path), "--only", "nothing-like-this"])
