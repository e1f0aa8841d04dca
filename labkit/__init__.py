"""labkit: the tested toolkit behind the Stage 13 — Production course.

Import the module you need (``from labkit import llm``); importing ``labkit``
itself is cheap and pulls in no heavy dependency. Each package's ``__init__`` is its front door: it
re-exports what the notebooks use and holds no logic of its own.

Which notebook uses which part (notebook -> the labkit packages and modules it imports; every
notebook also imports ``exercises``)::

    00 start here                 llm (registry), doctor
    01 cost and latency           llm (ledger, registry), perf, cache, routing, budget, redis_state, rag, data,
                                  capstone (prototypes), deploy
    02 data systems               traffic, drift (tools_side), lineage, feedback, data, config, rag, llm
    03 deployment architectures   deploy, evals (metrics, stats), rag (prompts), data, llm (registry), routing
    04 enterprise considerations  enterprise (pii, policy, tenancy, audit, presidio_side), deploy, cache, lineage,
                                  tracing, evals, embed, data, rag, llm
    05 evaluation and benchmarks  evals (criteria_judge, export, failures, interop, judge_validation, metrics, online,
                                  plots, stats), agent, traffic, tracing, cli, embed, data, rag, llm
    06 guardrails                 guardrails, data, rag, llm
    07 hallucination mitigation   grounding (claims, combine, evaluate, judge, learned, lm_support, mitigate, plots),
                                  rag (prompts), data, llm
    08 observability and tracing  tracing, agent, release, rag (service), cli, data, llm
    capstone                      capstone (check, env, layers, offline, plan, prototypes, week), tracing,
                                  evals (stats), config, llm
    demos                         perf.CostLatencyDemo, drift.DriftDemo, grounding.GroundingDemo,
                                  guardrails.GuardrailsDemo, evals.JudgeDemo, tracing.TraceDemo

Shared by all: ``llm`` (the client, model server, ledger and registry), ``rag`` (the reference app),
``data`` (the datasets), ``embed`` (MiniLM), ``config`` (every ``LABKIT_*`` setting), ``exercises``
(auto-checked exercises) and ``cli`` (the ``labkit`` command). ``tests/test_layout.py`` checks this map
against the notebooks' imports.
"""

from __future__ import annotations

from labkit._startup import __version__

__all__ = ["__version__"]
