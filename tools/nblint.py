"""Notebook lint: every course notebook follows the conventions of the course design.

Checks, per notebook:
  * the first cell is markdown saying what it measures, its run time and what it needs;
  * all imports are in the first code cell, which also holds the Colab set-up;
  * every other code cell is at most MAX_CELL_LINES lines (CONTRIBUTING: "cells short");
  * no model name is typed into a code cell (names come from the registry);
  * no secret or API key appears anywhere;
  * no stored outputs, execution counts or volatile metadata (outputs are measured at run time);
  * it ends with the ledger of its own model calls;
  * it asserts what it claims (at least one ``assert``), and every exercise it opens is auto-checked;
  * it matches its source in notebooks/_src (``python tools/build_notebooks.py``).

Usage: python tools/nblint.py notebooks
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import build_notebooks
import nbformat

HEADER_WORDS = ("what you will measure", "time to run", "needs")
SECRET = re.compile(r"(sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|xox[bp]-[A-Za-z0-9-]{20,})")
API_KEY_LITERAL = re.compile(r"api_key\s*=\s*['\"][^'\"]{8,}['\"]")
VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")
# CONTRIBUTING asks for cells of about 25 lines; past this a cell is doing too much to read at once.
MAX_CELL_LINES = 30


@dataclass(frozen=True)
class Problem:
    """One broken convention: where (notebook, cell index or None for the whole notebook) and what."""

    path: Path
    cell: int | None
    message: str

    def __str__(self) -> str:
        where = f" cell {self.cell}" if self.cell is not None else ""
        return f"{self.path}{where}: {self.message}"


def _model_names() -> set[str]:
    from labkit.llm import registry

    names = set()
    for info in registry.models().values():
        names.update({info.id, info.api_name})
    return names


def _code_tree(source: str) -> ast.Module | None:
    """A code cell's syntax tree, IPython magics and shell lines left out (None when it does not parse)."""
    try:
        return ast.parse("\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return None


def _top_level_imports(source: str) -> bool:
    tree = _code_tree(source)
    return tree is not None and any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body)


def _string_constants(source: str) -> list[str]:
    tree = _code_tree(source)
    nodes = ast.walk(tree) if tree is not None else ()
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def count_asserts(nb: nbformat.NotebookNode) -> int:
    """Number of ``assert`` statements in the notebook's code cells."""
    trees = (_code_tree(cell.source) for cell in nb.cells if cell.cell_type == "code")
    return sum(isinstance(n, ast.Assert) for tree in trees if tree is not None for n in ast.walk(tree))


def long_cells(path: Path, code: list[tuple[int, nbformat.NotebookNode]]) -> list[Problem]:
    """Code cells over MAX_CELL_LINES lines, the first excepted (its length is the Colab set-up and the imports).

    Args:
        path: the notebook, for the message.
        code: ``(cell index, cell)`` of each code cell, in order.

    Returns:
        One problem per long cell, with its line count.
    """
    problems = []
    for i, cell in code[1:]:
        lines = len(cell.source.splitlines())
        if lines > MAX_CELL_LINES:
            problems.append(Problem(path, i, f"code cell has {lines} lines (at most {MAX_CELL_LINES}); split it "
                                             "or move the logic into labkit"))
    return problems


def lint_notebook(path: Path, model_names: set[str]) -> list[Problem]:
    """All convention problems of one notebook.

    Args:
        path: the .ipynb file.
        model_names: names no code cell may type (the registry's model ids and API names).

    Returns:
        The problems found; empty when the notebook is clean.
    """
    nb = nbformat.read(path, as_version=4)
    problems: list[Problem] = []
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown":
        problems.append(Problem(path, 0, "must open with a markdown cell"))
    else:
        head = cells[0].source.lower()
        for word in HEADER_WORDS:
            if word not in head:
                problems.append(Problem(path, 0, f"opening cell must say '{word.capitalize()}:'"))
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    if not code:
        problems.append(Problem(path, None, "has no code cells"))
        return problems
    if "google.colab" not in code[0][1].source:
        problems.append(Problem(path, code[0][0], "first code cell lacks the Colab set-up (build it with tools/build_notebooks.py)"))
    for i, cell in code[1:]:
        if _top_level_imports(cell.source):
            problems.append(Problem(path, i, "imports belong in the first code cell"))
    problems.extend(long_cells(path, code))
    for i, cell in code:
        for const in _string_constants(cell.source):
            if const in model_names:
                problems.append(Problem(path, i, f"model name {const!r} typed into a cell; use llm.model_for(role)"))
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(Problem(path, i, "stored outputs; strip them (outputs are measured when it runs)"))
        for key in VOLATILE_METADATA:
            if key in cell.metadata:
                problems.append(Problem(path, i, f"volatile cell metadata {key!r}; strip it"))
    for i, cell in enumerate(cells):
        if SECRET.search(cell.source) or API_KEY_LITERAL.search(cell.source):
            problems.append(Problem(path, i, "looks like a secret or API key; read it from the environment"))
    if not count_asserts(nb):
        problems.append(Problem(path, None, "asserts nothing; each measured claim needs an assert that the lesson holds"))
    last_code = code[-1][1].source
    if "ledger" not in last_code:
        problems.append(Problem(path, code[-1][0], "must end with the ledger of the notebook's model calls"))
    opened = re.findall(r"(\w+)\s*=\s*exercise\(", "\n".join(c.source for _, c in code))
    for name in opened:
        if not re.search(rf"\b{name}\.check\(", "\n".join(c.source for _, c in code)):
            problems.append(Problem(path, None, f"exercise {name!r} is never auto-checked ({name}.check(...))"))
    return problems


def lint(paths: list[Path]) -> list[Problem]:
    """The problems of every notebook in ``paths``, checked against the registry's model names."""
    names = _model_names()
    problems: list[Problem] = []
    for path in paths:
        problems.extend(lint_notebook(path, names))
    return problems


def notebooks_under(root: Path) -> list[Path]:
    """Every notebook below ``root``, sorted, Jupyter's checkpoint copies left out."""
    return sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def stale_build(root: Path, src_dir: Path = build_notebooks.SRC, repo_root: Path = build_notebooks.ROOT) -> list[Problem]:
    """Notebooks that differ from their sources.

    Args:
        root: the notebook folder being linted, for the message.
        src_dir: the percent-format sources.
        repo_root: the repository the notebooks are built under.

    Returns:
        One problem naming every out-of-date notebook; empty when all are in sync.
    """
    stale = build_notebooks.out_of_date(src_dir, repo_root)
    return [Problem(root, None, build_notebooks.stale_message(list(stale), repo_root))] if stale else []


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python tools/nblint.py NOTEBOOK_DIR", file=sys.stderr)
        return 2
    root = Path(args[0])
    if not root.is_dir():
        print(f"{root} is not a folder of notebooks", file=sys.stderr)
        return 2
    paths = notebooks_under(root)
    problems = lint(paths) + stale_build(root)
    for p in problems:
        print(p)
    print(f"nblint: {len(paths)} notebooks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
