"""tools/nblint.py: each course convention is caught on a small notebook that breaks only it."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

MODEL_NAMES = {"tiny-model"}
HEADER = "# Tiny\n**What you will measure:** x. **Time to run:** 1 s. **Needs:** nothing."
FIRST_CODE = 'import sys\nif "google.colab" in sys.modules:\n    pass\n\nfrom labkit import llm'
LEDGER = "llm.ledger.summary()"


@pytest.fixture
def nblint(tools_importable: Path) -> ModuleType:
    return importlib.import_module("nblint")


def _notebook(folder: Path, middle: list[str], first_code: str = FIRST_CODE, header: str = HEADER) -> Path:
    """A notebook that follows every convention except what ``middle`` (the code cells between) breaks."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(header), nbformat.v4.new_code_cell(first_code)]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in middle]
    nb.cells.append(nbformat.v4.new_code_cell(LEDGER))
    path = folder / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def _messages(nblint: ModuleType, path: Path) -> list[str]:
    return [p.message for p in nblint.lint_notebook(path, MODEL_NAMES)]


def test_a_notebook_that_follows_the_conventions_is_clean(nblint: ModuleType, tmp_path: Path) -> None:
    path = _notebook(tmp_path, ["x = 1\nassert x == 1", 'ex = exercise("nb.x")\nex.check(lambda: 1)'])
    assert _messages(nblint, path) == []


@pytest.mark.parametrize(("middle", "expected"), [
    (["x = 1"], "asserts nothing"),
    (['ex = exercise("nb.x")', "assert True"], "exercise 'ex' is never auto-checked"),
    (["import json\nassert json"], "imports belong in the first code cell"),
    (['llm.client().chat.completions.create(model="tiny-model")\nassert True'], "model name 'tiny-model' typed"),
    (['key = "sk-' + "a" * 24 + '"\nassert key'], "looks like a secret"),
])
def test_each_broken_convention_is_named(nblint: ModuleType, tmp_path: Path, middle: list[str], expected: str) -> None:
    messages = _messages(nblint, _notebook(tmp_path, middle))
    assert any(expected in m for m in messages), messages


def test_a_code_cell_over_the_limit_is_reported_with_its_length(nblint: ModuleType, tmp_path: Path) -> None:
    limit = nblint.MAX_CELL_LINES
    at_limit = "\n".join(["x = 1"] * (limit - 1) + ["assert x"])
    assert _messages(nblint, _notebook(tmp_path, [at_limit])) == []
    messages = _messages(nblint, _notebook(tmp_path, [at_limit + "\ny = 2"]))
    assert messages == [f"code cell has {limit + 1} lines (at most {limit}); split it or move the logic into labkit"]


def test_the_first_code_cell_may_be_long_it_holds_the_setup_and_imports(nblint: ModuleType, tmp_path: Path) -> None:
    imports = "\n".join(f"import mod{i}" for i in range(nblint.MAX_CELL_LINES + 5))
    assert _messages(nblint, _notebook(tmp_path, ["assert True"], first_code=f"{FIRST_CODE}\n{imports}")) == []


def test_header_words_and_stored_outputs_are_checked(nblint: ModuleType, tmp_path: Path) -> None:
    path = _notebook(tmp_path, ["assert True"], header="# Tiny\nNo promises.")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nbformat.write(nb, path)
    messages = _messages(nblint, path)
    assert "opening cell must say 'Time to run:'" in messages
    assert any("stored outputs" in m for m in messages)


def test_stale_build_names_the_notebook_and_clears_once_built(nblint: ModuleType, tmp_path: Path) -> None:
    src_dir = tmp_path / "notebooks" / "_src"
    src_dir.mkdir(parents=True)
    (src_dir / "01_tiny.py").write_text("# %% [markdown]\n# # Tiny\n\n# %%\nx = 1\n", encoding="utf-8")
    problems = nblint.stale_build(tmp_path / "notebooks", src_dir, tmp_path)
    assert len(problems) == 1 and "notebooks/01_tiny.ipynb" in problems[0].message

    import build_notebooks

    target, text = build_notebooks.build(src_dir / "01_tiny.py", tmp_path)
    target.write_text(text, encoding="utf-8")
    assert nblint.stale_build(tmp_path / "notebooks", src_dir, tmp_path) == []


def test_main_exits_nonzero_on_a_problem_and_two_on_a_missing_folder(
        nblint: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _notebook(tmp_path, ["x = 1"])
    assert nblint.main([str(tmp_path)]) == 1
    assert "asserts nothing" in capsys.readouterr().out
    assert nblint.main([str(tmp_path / "absent")]) == 2
