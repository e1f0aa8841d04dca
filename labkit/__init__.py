"""labkit: the tested toolkit behind the Stage 13 — Production course.

Import the module you need (``from labkit import llm``); importing ``labkit``
itself is cheap and pulls in no heavy dependency.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
