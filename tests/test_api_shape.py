"""The public API's shape: a notebook-facing function takes at most three arguments by position.

Past the third, arguments go by keyword (``def f(a, b, c, *, d=...)``), so a call reads as what it sets
(``time_stream(client, model, messages, max_tokens=64)``) and a new parameter cannot shift the others.

"Notebook-facing" is the public names of every labkit module and package (its ``__all__``, else its names
without a leading underscore) and of every labkit module a notebook imports; for a class, its constructor
and public methods. Dataclasses are records, built from their fields, and are not checked.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import labkit

ROOT = Path(__file__).resolve().parents[1]
MAX_POSITIONAL = 3
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def notebook_modules() -> set[str]:
    """Every ``labkit`` module a notebook source imports (``from labkit.x import y`` counts x, and x.y if a module)."""
    found: set[str] = set()
    for source in (ROOT / "notebooks" / "_src").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labkit"):
                found.add(str(node.module))
                found.update(f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}"))
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("labkit"))
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package
        return False


def public_modules() -> list[str]:
    """labkit's top-level modules and packages, plus the modules the notebooks import."""
    top = {f"labkit.{m.name}" for m in pkgutil.iter_modules(labkit.__path__)}
    return sorted(top | notebook_modules())


def _public_callables(module: Any) -> Iterator[Callable[..., Any]]:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if inspect.isfunction(obj):
            yield obj
        elif inspect.isclass(obj):
            if not dataclasses.is_dataclass(obj) and inspect.isfunction(vars(obj).get("__init__")):
                yield obj.__init__
            for attr, member in vars(obj).items():
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield member


def too_many_positional() -> list[str]:
    """``module.Qualname(params)`` for each labkit callable with more than three positional parameters."""
    offenders: set[str] = set()
    for name in public_modules():
        for fn in _public_callables(importlib.import_module(name)):
            if not fn.__module__.startswith("labkit"):
                continue  # re-exported from elsewhere (argparse, numpy, ...)
            params = [p.name for p in inspect.signature(fn).parameters.values()
                      if p.kind in POSITIONAL and p.name not in ("self", "cls")]
            if len(params) > MAX_POSITIONAL:
                offenders.add(f"{fn.__module__}.{fn.__qualname__}({', '.join(params)})")
    return sorted(offenders)


def test_the_walk_sees_the_notebook_facing_modules() -> None:
    modules = public_modules()
    assert {"labkit.perf", "labkit.deploy", "labkit.cache", "labkit.evals.criteria_judge", "labkit.enterprise.pii",
            "labkit.enterprise.tenancy"} <= set(modules)


def test_public_functions_take_at_most_three_arguments_by_position() -> None:
    offenders = too_many_positional()
    assert not offenders, ("these take more than three arguments by position; put `*` after the third (or after the "
                           "obvious positional ones) and pass the rest by keyword:\n  " + "\n  ".join(offenders))


def test_the_check_catches_a_long_positional_signature() -> None:
    def four(a: int, b: int, c: int, d: int) -> int:
        return a + b + c + d

    def keyword(a: int, b: int, c: int, *, d: int) -> int:
        return a + b + c + d

    def count(fn: Callable[..., Any]) -> int:
        return sum(p.kind in POSITIONAL for p in inspect.signature(fn).parameters.values())

    assert count(four) > MAX_POSITIONAL >= count(keyword)
