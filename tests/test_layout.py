"""labkit's layout rules, and the notebook -> module map in ``labkit/__init__.py`` and the README.

The rules (issue 15): a learner reads any module in one sitting (no file over 600 lines); each command
is a module of ``labkit/cli`` named as the command, listed in a static table (no ``*_cli.py`` at the top
level, no ``importlib`` registry); a package's ``__init__`` is its front door and holds no logic. The
map must name modules that exist and say what each notebook really imports.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import labkit

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "labkit"
MAX_LINES = 600
SHARED_BY_EVERY_NOTEBOOK = {"exercises"}
# One map item: a module path, optionally followed by the parts it names in parentheses: "rag (prompts)".
ITEM = re.compile(r"([\w.]+)(?:\s*\(([^)]*)\))?")


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def logic_in_init(path: Path) -> list[str]:
    """What a package ``__init__`` holds besides its docstring, imports and ``__all__`` (as 'line N: kind')."""
    found = []
    for n, node in enumerate(ast.parse(path.read_text(encoding="utf-8")).body):
        if n == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if targets and all(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        found.append(f"line {node.lineno}: {type(node).__name__}")
    return found


def test_no_module_is_over_600_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in python_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"split these by concern (at most {MAX_LINES} lines each): {long}"


def test_no_command_file_at_the_top_level() -> None:
    assert sorted(p.name for p in PACKAGE.glob("*_cli.py")) == [], "commands live in labkit/cli/<command>.py"


def test_the_cli_has_no_importlib_registry() -> None:
    users = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name.split(".")[0] == "importlib" for name in names) or (
                    isinstance(node, ast.Name) and node.id == "__import__"):
                users.append(f"{path.name}:{node.lineno}")
    assert users == [], f"labkit/cli lists its commands in a static table, not by import name: {users}"


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_package_front_door_holds_no_logic(init: Path) -> None:
    assert logic_in_init(init) == [], f"{init.relative_to(ROOT)}: move this into a module and re-export it"


def test_the_front_door_check_finds_logic(tmp_path: Path) -> None:
    path = tmp_path / "__init__.py"
    path.write_text('"""Doc."""\nfrom a import b\n__all__ = ["b"]\nx = 1\ndef f():\n    pass\n', encoding="utf-8")
    assert logic_in_init(path) == ["line 4: Assign", "line 5: FunctionDef"]


# --- the notebook -> module map -----------------------------------------------------------------------


def parse_items(text: str) -> list[str]:
    """``"llm (ledger, registry), perf.CostLatencyDemo"`` -> ``["llm", "llm.ledger", "llm.registry", "perf.CostLatencyDemo"]``."""
    names = []
    for head, parts in ITEM.findall(text):
        names.append(head)
        names += [f"{head}.{part.strip()}" for part in parts.split(",") if part.strip()]
    return names


def docstring_map() -> dict[str, list[str]]:
    """The map in ``labkit.__doc__``: the indented block after the line ending in '::'."""
    doc = labkit.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, str] = {}
    label = ""
    for line in block.splitlines():
        if line.startswith("    ") and not line.startswith("     "):
            label, text = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            rows[label] = text
        else:
            rows[label] += " " + line.strip()
    return {label: parse_items(text) for label, text in rows.items()}


def readme_map() -> dict[str, list[str]]:
    """The map in the README: the table whose header is '| notebook | what it teaches | labkit |'."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("| notebook | what it teaches | labkit |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        label, _teaches, modules = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rows[label] = parse_items(modules)
    return rows


def notebook_sources(label: str) -> list[Path]:
    """The notebook sources a map row stands for ("02 data systems" -> 02_data_systems.py; "demos" -> demos__*)."""
    src = ROOT / "notebooks" / "_src"
    if label in ("capstone", "demos"):
        return sorted(src.glob(f"{label}__*.py"))
    return [src / f"{label.replace(' ', '_')}.py"]


def labkit_imports(source: Path) -> set[str]:
    """The top-level labkit modules a notebook source imports (``from labkit.rag.app import x`` -> "rag")."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "labkit":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labkit."):
            found.add(str(node.module).split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("labkit."))
    return found


def resolve(name: str) -> object:
    """``"rag.service"`` -> the module labkit.rag.service; ``"perf.CostLatencyDemo"`` -> the class."""
    try:
        return importlib.import_module(f"labkit.{name}")
    except ModuleNotFoundError as exc:
        if "." not in name or exc.name != f"labkit.{name}":
            raise
        owner, attr = name.rsplit(".", 1)
        return getattr(resolve(owner), attr)


def test_the_readme_and_the_package_docstring_carry_the_same_map() -> None:
    assert readme_map() == docstring_map()


def test_every_name_the_map_gives_exists() -> None:
    names = sorted({name for row in docstring_map().values() for name in row})
    assert len(names) > 20
    for name in names:
        assert resolve(name) is not None, name


def test_each_row_names_what_its_notebook_imports() -> None:
    rows = docstring_map()
    for label, names in rows.items():
        sources = notebook_sources(label)
        assert sources and all(p.exists() for p in sources), f"map row {label!r} names no notebook source"
        imported = set().union(*(labkit_imports(p) for p in sources)) - SHARED_BY_EVERY_NOTEBOOK
        listed = {name.split(".")[0] for name in names}
        if label == "demos":  # the demos row names each topic's widget; the demos import more besides
            assert listed <= imported, f"demos: {sorted(listed - imported)} not imported by any demo"
        else:
            assert listed == imported, (f"{label}: the map lists {sorted(listed - imported)} that the notebook does "
                                        f"not import, and misses {sorted(imported - listed)}")
    every = {p.name for p in (ROOT / "notebooks" / "_src").glob("*.py")}
    mapped = {p.name for label in rows for p in notebook_sources(label)}
    assert every == mapped, f"notebook sources missing from the map: {sorted(every - mapped)}"
