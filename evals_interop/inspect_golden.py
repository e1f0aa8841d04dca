"""An inspect_ai task that replays a labkit eval run: the same chat messages, the same model, the same
sampling settings, scored with inspect's own ``includes`` and with labkit's token F1.

The samples come from ``labkit eval export RUN --to inspect`` (one per answerable golden question; the
``input`` is the exact prompt labkit's RAG app sent). Run it against the course's local endpoint:

    labkit eval export golden-sample --to inspect --out golden.inspect.jsonl
    OPENAI_API_KEY=local .venv-evals/bin/inspect eval evals_interop/inspect_golden.py \
        --model openai/smollm2-135m-instruct --model-base-url http://127.0.0.1:PORT/v1 \
        -T samples=golden.inspect.jsonl -T max_tokens=64 --log-format json --log-dir logs

``labkit.evals.interop.run_inspect`` does the same from Python and reads the log back. This file runs
in the tool's own environment (``envs/evals/requirements.lock``), not the course's: inspect_ai's
dependencies clash with the course's lock, so labkit talks to it through a subprocess.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Score, Scorer, Target, includes, mean, scorer, stderr
from inspect_ai.solver import TaskState, generate

METRICS_FILE = Path(__file__).resolve().parents[1] / "labkit" / "evals" / "metrics.py"


def labkit_metrics() -> ModuleType:
    """labkit's metric functions, loaded from their file (it needs only the standard library), so this
    environment does not need labkit's dependencies."""
    spec = importlib.util.spec_from_file_location("labkit_eval_metrics", METRICS_FILE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {METRICS_FILE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@scorer(metrics=[mean(), stderr()])
def token_f1() -> Scorer:
    """labkit's token F1 (best over the reference and its aliases), the metric its intervals are on."""
    f1 = labkit_metrics().token_f1

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion.strip()
        refs = list(target.target)
        return Score(value=f1(answer, refs[0], refs[1:]), answer=answer)

    return score


@task
def labkit_golden(samples: str = "golden.inspect.jsonl", max_tokens: int = 64, temperature: float = 0.0) -> Task:
    """The exported golden sample, generated once per sample and scored two ways.

    Args:
        samples: the JSONL file ``labkit eval export --to inspect`` wrote.
        max_tokens: the answer cap of the run being replayed (its ``RagConfig.max_tokens``).
        temperature: its sampling temperature (0: greedy, so outputs repeat).
    """
    return Task(dataset=json_dataset(samples), solver=generate(), scorer=[token_f1(), includes()],
                config=GenerateConfig(max_tokens=max_tokens, temperature=temperature))
