"""``make test-colab-like``: the Colab path, run on this machine.

1. a fresh virtualenv pre-filled with the versions Colab ships of torch, transformers, numpy and pandas
   (``tools/colab_versions.json``, with the date they were read), plus ipykernel as Colab's kernel;
2. the notebooks' first cell, as built by ``tools/build_notebooks.py`` (``COLAB_SETUP``), run in that
   environment as if on Colab (``google.colab`` importable), cloning this checkout's committed HEAD from
   its local path instead of the published repository: it runs ``setup_env.py --keep-preinstalled``;
3. a check that the pre-filled packages, torch above all, were kept at their versions;
4. notebook 00 and one topic notebook executed from the clone in that environment (courserun.py).

It proves that labkit's lower bounds in pyproject.toml resolve against Colab's stack without replacing
its torch. It needs the package index (PyPI, or the wheels pip is configured with) and takes minutes.

Usage: python3 tools/colab_like.py [--keep DIR] [--topic 02_data_systems]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "tools" / "colab_versions.json"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "OMP_WAIT_POLICY": "PASSIVE", "LABKIT_SOLUTIONS": "1"}
# Runs in the fresh environment: the first cell's code with google.colab importable, so its Colab branch runs.
AS_ON_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
VERSIONS_NOW = ("import importlib.metadata as m, json, sys\n"
                "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))")
RUN_NOTEBOOK = ("import json, sys\nfrom pathlib import Path\nsys.path.insert(0, sys.argv[1])\nimport courserun\n"
                "r = courserun.run_notebook(Path(sys.argv[2]), timeout=900)\n"
                "print(json.dumps({'passed': r.passed, 'wall_s': r.wall_s, 'asserts': r.asserts, 'error': r.error}))")


def read_versions(path: Path = VERSIONS) -> dict[str, str]:
    """Colab's versions from the one file that records them.

    Args:
        path: the JSON file (``packages``: name -> version, ``read_on``: the date they were read).
    Returns:
        Package name -> exact version.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = {"torch", "transformers", "numpy", "pandas"} - set(data.get("packages", {}))
    if missing or not data.get("read_on"):
        raise SystemExit(f"{path}: needs 'read_on' and versions of {', '.join(sorted(missing)) or 'each package'}")
    return dict(data["packages"])


CELL_NOW = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nimport build_notebooks as b\n"
            "print(json.dumps({'cell': b.COLAB_SETUP, 'repo_url': b.REPO_URL}))")


def colab_cell(built: dict[str, str], clone_to: Path) -> str:
    """The notebooks' first-cell code, cloning this checkout instead of the published repository.

    Args:
        built: ``cell`` (build_notebooks.COLAB_SETUP) and ``repo_url`` (build_notebooks.REPO_URL).
        clone_to: where the clone goes instead of Colab's /content/stage13.
    Returns:
        The cell's code with those two places swapped, nothing else changed.
    """
    code = built["cell"]
    for published, local in ((built["repo_url"], ROOT.as_uri()), ("/content/stage13", str(clone_to))):
        if published not in code:
            raise SystemExit(f"the Colab cell no longer contains {published!r}; update tools/colab_like.py to match it")
        code = code.replace(published, local)
    return code


def step(what: str, cmd: list[str], env: dict[str, str] | None = None, *, capture: bool = False) -> str:
    """Run one step, echoing it; its stdout when ``capture`` (else it streams), or exit with the step named."""
    print(f"colab-like: {what}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, text=True, env=env)
    if proc.returncode != 0:
        print(proc.stdout or "")
        raise SystemExit(f"colab-like: failed at '{what}' (exit {proc.returncode}); its output is above")
    return proc.stdout or ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The Colab path on this machine: Colab's versions, the first cell, "
                                                 "notebook 00 and one topic notebook.")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--topic", default="02_data_systems", help="the topic notebook to run after 00")
    args = parser.parse_args(argv)
    colab = read_versions()
    work = args.keep or Path(tempfile.mkdtemp(prefix="colab-like-"))
    work.mkdir(parents=True, exist_ok=True)
    venv, clone = work / "venv", work / "stage13"
    if clone.exists():
        raise SystemExit(f"{clone} exists (the first cell would skip its set-up); remove it or pass a new --keep folder")
    py = str(venv / "bin" / "python")
    env = {**os.environ, **OFFLINE, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)  # nothing from the course's own environment
    env["JUPYTER_DATA_DIR"] = str(work / "jupyter")  # no user-level kernel that points at another Python
    env.pop("MPLBACKEND", None)
    t0 = time.perf_counter()
    step("a fresh virtualenv", [sys.executable, "-m", "venv", str(venv)])
    pins = [f"{n}=={v}" for n, v in colab.items()]
    step(f"pre-fill Colab's stack: {' '.join(pins)} (+ ipykernel)",
         [py, "-m", "pip", "install", "--quiet", *pins, "ipykernel", "nbclient"], env)
    step("register the kernel", [py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], env)
    before = json.loads(step("versions before", [py, "-c", VERSIONS_NOW, *colab], env, capture=True))
    print(f"colab-like: pre-filled in {time.perf_counter() - t0:.0f} s", flush=True)
    t_setup = time.perf_counter()
    # the cell as build_notebooks.py writes it, read in the new environment (it has nbformat; this Python may not)
    built = json.loads(step("read the first cell", [py, "-c", CELL_NOW, str(ROOT / "tools")], env, capture=True))
    step("the notebooks' first cell, as on Colab, against this checkout",
         [py, "-c", AS_ON_COLAB + colab_cell(built, clone)], env)
    setup_s = time.perf_counter() - t_setup
    after = json.loads(step("versions after", [py, "-c", VERSIONS_NOW, *colab], env, capture=True))
    replaced = {n: f"{before[n]} -> {after[n]}" for n in colab if before[n] != after[n]}
    print(f"colab-like: versions kept: {after}" if not replaced else f"colab-like: REPLACED: {replaced}", flush=True)
    results = {}
    for name in ("00_start_here", args.topic):
        out = step(f"execute {name}", [py, "-c", RUN_NOTEBOOK, str(clone / "tools"),
                                       str(clone / "notebooks" / f"{name}.ipynb")], env, capture=True)
        results[name] = json.loads(out.strip().splitlines()[-1])
        print(f"  {name}: {results[name]}", flush=True)
    total = time.perf_counter() - t0
    print(f"colab-like: first cell {setup_s:.0f} s; whole check {total:.0f} s; work folder {work}")
    failed = [n for n, r in results.items() if not r["passed"]]
    if "torch" in replaced:
        print("colab-like: FAILED: the set-up replaced Colab's torch; find the lower bound in pyproject.toml that forced it")
    return 1 if replaced or failed else 0


if __name__ == "__main__":
    sys.exit(main())
