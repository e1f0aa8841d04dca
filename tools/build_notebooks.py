"""Build the course notebooks (.ipynb) from their percent-format sources in notebooks/_src/.

The sources are plain Python files that diff and review well:

    # %% [markdown]
    # # Title
    # prose ...

    # %%
    code ...

``notebooks/_src/01_cost_and_latency.py`` becomes ``notebooks/01_cost_and_latency.ipynb``;
``notebooks/_src/demos__drift_monitor.py`` becomes ``notebooks/demos/drift_monitor.ipynb``
(``__`` stands for a folder). Outputs are not stored: every number is measured when the
notebook runs. ``--check`` exits non-zero when a built notebook is out of date.

Usage: python tools/build_notebooks.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "_src"
CELL = re.compile(r"^# %%(.*)$")


def parse(text: str) -> list[tuple[str, str]]:
    """Split a percent-format file into (kind, source) cells."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = CELL.match(line)
        if m:
            kind = "markdown" if "[markdown]" in m.group(1) else "code"
            cells.append((kind, []))
            continue
        if not cells:
            if line.strip():
                raise ValueError("text before the first '# %%' marker")
            continue
        cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln[1:] if ln.startswith("#") else ln for ln in lines]
        out.append((kind, "\n".join(lines)))
    return out


def build(src: Path) -> tuple[Path, str]:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(parse(src.read_text(encoding="utf-8"))):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell["id"] = f"{src.stem.split('__')[-1][:40]}-{i:03d}".replace(".", "-")
        nb.cells.append(cell)
    target = ROOT / "notebooks" / Path(*src.stem.split("__")).with_suffix(".ipynb")
    return target, nbformat.writes(nb) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a built notebook differs from its source")
    args = parser.parse_args()
    stale = []
    for src in sorted(SRC.glob("*.py")):
        target, text = build(src)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(str(target.relative_to(ROOT)))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"built {target.relative_to(ROOT)}")
    if stale:
        print("out of date (run `python tools/build_notebooks.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
