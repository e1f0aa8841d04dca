"""labkit: the tested toolkit behind the Stage 13 — Production course.

Import the module you need (``from labkit import llm``); importing ``labkit``
itself is cheap and pulls in no heavy dependency. Each package's ``__init__`` is its front door: it
re-exports what the notebooks use and holds no logic of its own.

Which notebook uses which part (notebook -> labkit package or module)::

    00 start here                 llm, doctor
    01 cost and latency           llm (ledger, registry), perf, cache, routing, budget, rag
    02 data systems               traffic, drift, lineage, feedback, embed, data
    03 deployment architectures   deploy, llm
    04 enterprise considerations  enterprise (pii, policy, tenancy, audit), cache, rag
    05 evaluation and benchmarks  evals, traffic, rag
    06 guardrails                 guardrails, rag
    07 hallucination mitigation   grounding, rag
    08 observability and tracing  tracing, rag (service)
    capstone                      capstone, tracing, traffic, budget
    demos                         perf.CostLatencyDemo, drift.DriftDemo, grounding.GroundingDemo,
                                  guardrails.GuardrailsDemo, evals.JudgeDemo, tracing.TraceDemo

Shared by all: ``llm`` (the client, model server, ledger and registry), ``rag`` (the reference app),
``data`` (the datasets), ``embed`` (MiniLM), ``exercises`` (auto-checked exercises) and ``cli`` (the
``labkit`` command).
"""

from __future__ import annotations

import os

# torch's OpenMP workers busy-wait by default and starve the model server on small machines;
# set before anything imports torch (an explicit setting by the user wins).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["__version__"]
