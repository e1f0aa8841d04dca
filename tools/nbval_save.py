"""A pytest plugin: save the notebooks nbval executes, with their outputs, so `make site` can render them.

nbval runs each code cell in a kernel and keeps that cell's outputs on the test item
(``IPyNbCell.test_outputs``) next to the notebook it read (``item.parent.nb``); this plugin copies the
outputs into the notebook's cells and writes each notebook once the session ends. Opt-in:

    PYTHONPATH=tools MPLBACKEND=module://matplotlib_inline.backend_inline \\
        python -m pytest --nbval-lax -p nbval_save --save-executed reports/executed notebooks

(the inline backend keeps the plots; under `make`'s headless Agg backend plt.show() leaves none).
Cells nbval skipped after a failure keep no outputs. A notebook run twice (the portable run, then the
backend-specific one) is written by whichever ran last.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--save-executed", metavar="DIR", default="",
                     help="write every notebook nbval executed, outputs included, under DIR")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After a cell ran: its outputs and execution count into the notebook nbval read."""
    outputs = getattr(item, "test_outputs", None)
    cell = getattr(item, "cell", None)
    if outputs is None or cell is None or not item.config.getoption("save_executed"):
        return
    cell.outputs = list(outputs)
    counts = [o.get("execution_count") for o in outputs if o.get("execution_count")]
    cell.execution_count = counts[0] if counts else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write each executed notebook under --save-executed, at its path relative to the course's notebooks/."""
    out = session.config.getoption("save_executed")
    if not out:
        return
    notebooks = session.config.rootpath / "notebooks"
    files = {id(item.parent): item.parent for item in session.items if hasattr(item.parent, "nb")}
    for nb_file in files.values():
        path = Path(str(nb_file.path))
        target = Path(out) / (path.relative_to(notebooks) if path.is_relative_to(notebooks) else path.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb_file.nb, target)
