"""labkit: the tested toolkit behind the Stage 13 — Production course.

Import the module you need (``from labkit import llm``); importing ``labkit``
itself is cheap and pulls in no heavy dependency.
"""

from __future__ import annotations

import os

# torch's OpenMP workers busy-wait by default and starve the model server on small machines;
# set before anything imports torch (an explicit setting by the user wins).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["__version__"]
