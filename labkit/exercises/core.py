"""The exercise itself: what to do, a hint, the reference solution, and the check that compares them.

:func:`get` finds an exercise by id in its notebook's module (``nb00.cost`` in :mod:`labkit.exercises.nb00`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labkit import config

Inputs = Callable[[], list[tuple[Any, ...]]]


def _default_compare(got: Any, want: Any) -> str | None:
    if isinstance(want, float):
        if not isinstance(got, (int, float)):
            return f"expected a number, got {type(got).__name__}"
        return None if abs(got - want) <= 1e-9 + 1e-6 * abs(want) else f"expected {want:.6g}, got {got:.6g}"
    return None if got == want else f"expected {want!r}, got {got!r}"


@dataclass
class Exercise:
    """One exercise.

    Attributes:
        id: short id, e.g. "nb00.cost".
        task: what to do, one or two sentences.
        hint: revealed by ``hint()``.
        solution: the reference implementation.
        inputs: returns the argument tuples the learner's function is checked on.
        compare: (got, want) -> None when equal enough, else what is wrong.
    """

    id: str
    task: str
    hint_text: str
    solution: Callable[..., Any]
    inputs: Inputs
    compare: Callable[[Any, Any], str | None] = _default_compare

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint for {self.id}: {self.hint_text}")

    def check(self, fn: Callable[..., Any]) -> bool:
        """Check the learner's function; returns True when it passed.

        Raises:
            AssertionError: the function gave a wrong answer (the message says which and why).
        """
        if not callable(fn):
            raise TypeError(f"check() takes your function itself (no parentheses), got {type(fn).__name__}")
        cases = self.inputs()
        try:
            results = [fn(*args) for args in cases]
            label = "your answer"
        except NotImplementedError:
            if not config.solutions_enabled():
                print(f"{self.id}: not attempted yet. {self.task}\n  Call {self.id.split('.')[0]}.hint() "
                      f"or ex.hint() for a hint.")
                return False
            results = [self.solution(*args) for args in cases]
            label = "reference solution (LABKIT_SOLUTIONS=1)"
        for n, (args, got) in enumerate(zip(cases, results, strict=True), 1):
            problem = self.compare(got, self.solution(*args))
            if problem:
                raise AssertionError(f"{self.id}, case {n}: {problem}.\nHint: {self.hint_text}")
        print(f"{self.id}: passed {len(cases)} checks ({label}).")
        return True


def get(exercise_id: str) -> Exercise:
    """Look an exercise up by id ("nb00.cost")."""
    if not isinstance(exercise_id, str) or "." not in exercise_id:
        raise ValueError(f"exercise ids look like 'nb00.cost', got {exercise_id!r}")
    module_name, _, name = exercise_id.partition(".")
    try:
        module = importlib.import_module(f"labkit.exercises.{module_name}")
    except ModuleNotFoundError:
        raise ValueError(f"no exercises for {module_name!r}") from None
    table: dict[str, Exercise] = module.EXERCISES
    if exercise_id not in table:
        raise ValueError(f"no exercise {exercise_id!r}; {module_name} has {sorted(table)}")
    return table[exercise_id]
