"""tools/portable.py: which notebooks also run directly, and the command it runs behind the strict proxy."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat
import pytest


def _notebook(path: Path, *sources: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)


def test_backend_specific_finds_branches_on_the_backend(tools_importable: Path, tmp_path: Path) -> None:
    portable = importlib.import_module("portable")
    _notebook(tmp_path / "a.ipynb", "x = 1", "caps = llm.capabilities()")
    _notebook(tmp_path / "demos" / "b.ipynb", "if llm.backend() == 'embedded':\n    pass")
    _notebook(tmp_path / "c.ipynb", "print(llm.model_for('chat'))", "# llm.server() in a comment is code too")
    _notebook(tmp_path / "d.ipynb", "r = client.chat.completions.create(model=MODEL, messages=[])")
    found = portable.backend_specific(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.ipynb", "c.ipynb", "demos/b.ipynb"]


def test_the_course_notebooks_with_llamacpp_paths_also_run_directly(tools_importable: Path) -> None:
    portable = importlib.import_module("portable")
    names = {p.name for p in portable.backend_specific(Path(__file__).resolve().parent.parent / "notebooks")}
    assert {"01_cost_and_latency.ipynb", "03_deployment_architectures.ipynb", "cost_latency_calculator.ipynb"} <= names


def test_no_command_is_one_clear_line(tools_importable: Path, capsys: pytest.CaptureFixture[str]) -> None:
    portable = importlib.import_module("portable")
    assert portable.main(["--"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.server
def test_the_command_sees_the_proxy_and_the_model(tools_importable: Path, tmp_path: Path) -> None:
    portable = importlib.import_module("portable")
    out = tmp_path / "env.txt"
    probe = ("import os, urllib.request, urllib.error\n"
             "base = os.environ['OPENAI_BASE_URL']\n"
             "try:\n    urllib.request.urlopen(base.removesuffix('/v1') + '/metrics')\n    code = 200\n"
             "except urllib.error.HTTPError as e:\n    code = e.code\n"
             f"open({str(out)!r}, 'w').write(f\"{{os.environ['LABKIT_MODEL']}} {{code}} {{'OPENAI_API_KEY' in os.environ}}\")\n")
    assert portable.run_behind_proxy([sys.executable, "-c", probe]) == 0
    model, metrics_status, key_passed = out.read_text().split()
    assert metrics_status == "404" and key_passed == "False" and model
