"""What importing ``labkit`` does once per process: its version, and a safe OpenMP default.

:mod:`labkit` imports this first, so the default is in place before any submodule can import torch.
"""

from __future__ import annotations

import os

# torch's OpenMP workers busy-wait by default and starve the model server on small machines;
# set before anything imports torch (an explicit setting by the user wins).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
