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

# Where the course is published (GitHub owner/name): the Colab cell, the notebooks' badges and the README's
# badges all point here. The one place to change it; `python tools/build_notebooks.py` rewrites the README line.
REPO_PATH = "stage13-production/stage13-production"
REPO_URL = f"https://github.com/{REPO_PATH}"

# Prepended to every notebook's first code cell. On Colab it clones the course and runs the same
# set-up script as `make setup` in its Colab mode: Colab's preinstalled torch is kept when it imports,
# labkit goes in with its lower bounds, the model packages without their wrong metadata. Elsewhere it
# does nothing.
COLAB_SETUP = f"""import os, sys
if "google.colab" in sys.modules and not os.path.exists("/content/stage13"):  # Colab only, ~2-3 min once
    import subprocess
    subprocess.run("git clone -q --depth 1 {REPO_URL} /content/stage13 && "
                   "python /content/stage13/tools/setup_env.py --keep-preinstalled", shell=True, check=True)
    sys.path.insert(0, "/content/stage13")
"""


def badges(target: Path, root: Path = ROOT) -> str:
    """The Colab and Binder badges that open ``target`` (a notebook under ``root``)."""
    rel = target.relative_to(root).as_posix()
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{REPO_PATH}/blob/main/{rel}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]"
            f"(https://mybinder.org/v2/gh/{REPO_PATH}/main?urlpath=lab/tree/{rel})")


def readme_badges() -> str:
    """The README's badge line: Binder and Colab opening the course at ``REPO_PATH`` (notebook 00)."""
    return (f"[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{REPO_PATH}/main?"
            f"urlpath=lab/tree/notebooks/00_start_here.ipynb) [![Open In Colab](https://colab.research.google.com/"
            f"assets/colab-badge.svg)](https://colab.research.google.com/github/{REPO_PATH}/blob/main/notebooks/"
            f"00_start_here.ipynb)")


def with_readme_badges(readme: str) -> str:
    """The README with its badge line (the line that starts with the Binder badge) set to :func:`readme_badges`."""
    return re.sub(r"^\[!\[Binder\]\(.*$", lambda _: readme_badges(), readme, count=1, flags=re.M)


def parse(text: str) -> list[tuple[str, str]]:
    """Split a percent-format file into cells.

    Args:
        text: the source, ``# %% [markdown]`` and ``# %%`` markers opening each cell.

    Returns:
        ``(kind, source)`` per cell, kind "markdown" or "code"; blank edge lines are dropped and
        markdown loses its leading ``# ``.
    """
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


def target_of(src: Path, root: Path = ROOT) -> Path:
    """Where a source builds to: ``demos__x.py`` becomes ``<root>/notebooks/demos/x.ipynb``."""
    return root / "notebooks" / Path(*src.stem.split("__")).with_suffix(".ipynb")


def build(src: Path, root: Path = ROOT) -> tuple[Path, str]:
    """Build one notebook from its source.

    Args:
        src: a percent-format file in ``notebooks/_src``.
        root: the repository root the notebook (and its badges) belong to.

    Returns:
        The notebook's path and its text as it should be on disk.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    target = target_of(src, root)
    first_code = first_markdown = True
    for i, (kind, source) in enumerate(parse(src.read_text(encoding="utf-8"))):
        if kind == "markdown" and first_markdown:
            source, first_markdown = f"{badges(target, root)}\n\n{source}", False
        if kind == "code" and first_code:
            source, first_code = f"{COLAB_SETUP}\n{source}", False
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell["id"] = f"{src.stem.split('__')[-1][:40]}-{i:03d}".replace(".", "-")
        nb.cells.append(cell)
    return target, nbformat.writes(nb) + "\n"


def out_of_date(src_dir: Path = SRC, root: Path = ROOT) -> dict[Path, str]:
    """The notebooks that are missing or differ from their sources.

    Args:
        src_dir: the folder of percent-format sources.
        root: the repository root the notebooks are built under.

    Returns:
        ``{notebook path: its text as built now}`` (and the README when its badge line does not point at
        ``REPO_PATH``); empty when every notebook is up to date.
    """
    stale = {}
    for src in sorted(src_dir.glob("*.py")):
        target, text = build(src, root)
        if not (target.exists() and target.read_text(encoding="utf-8") == text):
            stale[target] = text
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if with_readme_badges(text) != text:
            stale[readme] = with_readme_badges(text)
    return stale


def stale_message(stale: list[Path], root: Path = ROOT) -> str:
    """The one-line error for out-of-date notebooks, naming the command that fixes it."""
    names = ", ".join(p.relative_to(root).as_posix() for p in stale)
    return f"out of date (run `python tools/build_notebooks.py`): {names}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a built notebook differs from its source")
    args = parser.parse_args(argv)
    stale = out_of_date()
    if args.check:
        if stale:
            print(stale_message(list(stale)), file=sys.stderr)
            return 1
        return 0
    for target, text in stale.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"built {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
