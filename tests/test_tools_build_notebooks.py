"""tools/build_notebooks.py: percent-format sources become notebooks, and stale builds are found."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

TINY_SOURCE = """# %% [markdown]
# # Tiny
# What it measures.
#
# The end.

# %%

x = 1


# %%
print(x)
"""


@pytest.fixture
def builder(tools_importable: Path) -> ModuleType:
    return importlib.import_module("build_notebooks")


def _source(root: Path, name: str, text: str = TINY_SOURCE) -> Path:
    src = root / "notebooks" / "_src" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text, encoding="utf-8")
    return src


def test_parse_splits_cells_trims_blank_edges_and_unhashes_markdown(builder: ModuleType) -> None:
    cells = builder.parse(TINY_SOURCE)
    assert cells == [("markdown", "# Tiny\nWhat it measures.\n\nThe end."), ("code", "x = 1"), ("code", "print(x)")]


def test_parse_refuses_text_before_the_first_marker(builder: ModuleType) -> None:
    with pytest.raises(ValueError, match="before the first"):
        builder.parse("x = 1\n# %%\ny = 2\n")


def test_build_puts_a_demo_in_its_folder_with_badges_and_the_colab_setup(builder: ModuleType, tmp_path: Path) -> None:
    target, text = builder.build(_source(tmp_path, "demos__tiny.py"), root=tmp_path)
    assert target == tmp_path / "notebooks" / "demos" / "tiny.ipynb"
    nb = nbformat.reads(text, as_version=4)
    intro, first_code, second_code = nb.cells
    assert intro.source.startswith("[![Open In Colab]") and "notebooks/demos/tiny.ipynb" in intro.source
    assert intro.source.endswith("# Tiny\nWhat it measures.\n\nThe end.")
    assert first_code.source == f"{builder.COLAB_SETUP}\nx = 1" and second_code.source == "print(x)"
    assert all(c.get("outputs", []) == [] for c in nb.cells), "outputs are measured at run time, never stored"
    assert len({c["id"] for c in nb.cells}) == 3


def test_out_of_date_finds_a_missing_then_an_edited_notebook(builder: ModuleType, tmp_path: Path) -> None:
    src_dir = tmp_path / "notebooks" / "_src"
    src = _source(tmp_path, "01_tiny.py")
    target = tmp_path / "notebooks" / "01_tiny.ipynb"
    assert list(builder.out_of_date(src_dir, tmp_path)) == [target], "never built"

    target.write_text(builder.out_of_date(src_dir, tmp_path)[target], encoding="utf-8")
    assert builder.out_of_date(src_dir, tmp_path) == {}

    src.write_text(TINY_SOURCE.replace("print(x)", "print(x + 1)"), encoding="utf-8")
    stale = builder.out_of_date(src_dir, tmp_path)
    assert list(stale) == [target] and "print(x + 1)" in stale[target]
    message = builder.stale_message(list(stale), root=tmp_path)
    assert "notebooks/01_tiny.ipynb" in message and "python tools/build_notebooks.py" in message


def test_readme_badges_point_at_the_course_repository(tools_importable: Path) -> None:
    bn = importlib.import_module("build_notebooks")
    line = bn.readme_badges()
    assert line.count(bn.REPO_PATH) == 2 and line.startswith("[![Binder]")
    stale = "intro\n\n[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/) colab\nmore\n"
    assert bn.with_readme_badges(stale) == f"intro\n\n{line}\nmore\n"
    readme = (tools_importable.parent / "README.md").read_text(encoding="utf-8")
    assert line in readme, "README's badges are stale: run `python tools/build_notebooks.py`"
