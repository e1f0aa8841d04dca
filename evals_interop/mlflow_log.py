"""Log one labkit eval run to an MLflow tracking store (run by labkit in the tools' own environment).

Reads a JSON payload on stdin, written by ``labkit.evals.interop.mlflow_payload``::

    {"tracking_uri": "sqlite:///mlflow.db", "experiment": "labkit-evals", "run_name": "...",
     "tags": {...}, "params": {...}, "metrics": {"token_f1": 0.12, "token_f1/low": 0.03, ...}}

and prints the MLflow run id. Telemetry is off (``MLFLOW_DISABLE_TELEMETRY``, ``DO_NOT_TRACK``), and a
``sqlite:///`` URI keeps everything in one local file: nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402 - after the telemetry switches


def main() -> None:
    payload = json.load(sys.stdin)
    mlflow.set_tracking_uri(payload["tracking_uri"])
    mlflow.set_experiment(payload["experiment"])
    with mlflow.start_run(run_name=payload["run_name"]) as active:
        mlflow.set_tags(payload["tags"])
        mlflow.log_params(payload["params"])
        mlflow.log_metrics(payload["metrics"])
    print(active.info.run_id)


if __name__ == "__main__":
    main()
