"""Run every benchmark (bench/bench_*.py) and write their numbers to bench/results/<name>.json.

Usage: python bench/run.py [NAME ...]     e.g. python bench/run.py llm
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    files = sorted(HERE.glob("bench_*.py"))
    unknown = wanted - {f.stem.removeprefix("bench_") for f in files}
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; have {[f.stem.removeprefix('bench_') for f in files]}")
        return 2
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    for file in files:
        name = file.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(file.stem, file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        result = module.run()
        result["_meta"] = {"benchmark": name, "seconds": round(time.perf_counter() - t0, 1),
                           "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
                           "python": platform.python_version(), "cpus": __import__("os").cpu_count()}
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        for target in result.get("targets", []):
            status = "met" if target["met"] else "MISSED"
            print(f"   {status}: {target['name']} = {target['value']} (target {target['target']})")
            failed += 0 if target["met"] else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
