"""Exercises with an auto-check and a hint the learner can reveal.

A notebook defines the learner's function, then calls ``ex.check(fn)``. The check runs the
function on the exercise's own test inputs and compares with the reference solution:

* the function returns the right thing -> a pass line is printed;
* it is still the stub (raises ``NotImplementedError``) -> "not attempted yet" and how to get a
  hint; the notebook keeps running. With ``LABKIT_SOLUTIONS=1`` (set by ``make test``) the
  reference solution is checked instead, so CI proves every exercise is solvable and checked;
* it returns something wrong -> ``AssertionError`` saying what was wrong, plus the hint.

Each notebook's exercises live in a module of this package (``nb00`` for 00_start_here, ...).
"""

from labkit.exercises.core import Exercise, Inputs, get

__all__ = ["Exercise", "Inputs", "get"]
