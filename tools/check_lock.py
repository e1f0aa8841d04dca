"""Check that requirements.lock installs from PyPI alone, as binary wheels, on every supported platform.

For each platform pip dry-runs the lock for that platform's wheel tags, against PyPI alone (every local
wheel folder and local index switched off), for the oldest Python the course supports. It fails when a
pin has no wheel there. On this machine's own platform it also walks the dependencies (every version
held to the lock) and fails when the pins conflict or pull in a package the lock does not pin (torch's
own CUDA libraries excepted: set-up installs them with torch). pip evaluates environment markers for the
machine it runs on, so for the other platforms only the pins' wheels are checked.

The tools' own environments (envs/*/requirements.lock: LiteLLM, inspect_ai and MLflow, Phoenix, Evidently and
alibi-detect) are checked with --envs on the platforms ENV_PLATFORMS names (Linux x86_64, where CI and the
Makefile targets build them; the dependency walk runs there), all at once, one pip per lock.

    python tools/check_lock.py                     # all four platforms
    python tools/check_lock.py --platform macos-arm64
    python tools/check_lock.py --envs              # every envs/*/requirements.lock (what `make check-lock` adds)
    python tools/check_lock.py --lock envs/evals/requirements.lock --platform macos-arm64   # one env elsewhere
"""

from __future__ import annotations

import argparse
import json
import os
import platform as sys_platform
import re
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from setup_env import LOCK, NO_DEPS, normalise, read_lock  # noqa: E402


def _manylinux(arch: str) -> list[str]:
    # pip takes the tags as given and does not widen them, so list every glibc level a wheel may target
    return ([f"manylinux_2_{minor}_{arch}" for minor in range(17, 40)]
            + [f"manylinux2014_{arch}"] + ([f"manylinux2010_{arch}", f"manylinux1_{arch}"] if arch == "x86_64" else []))


def _macos_arm64() -> list[str]:
    versions = [f"{major}_0" for major in range(11, 16)]
    return [f"macosx_{v}_{kind}" for v in versions for kind in ("arm64", "universal2")]


PLATFORMS: dict[str, list[str]] = {
    "linux-x86_64": _manylinux("x86_64"),
    "linux-aarch64": _manylinux("aarch64"),
    "macos-arm64": _macos_arm64(),
    "windows-x86_64": ["win_amd64"],
}
ENVS_DIR = Path(__file__).resolve().parent.parent / "envs"
# Where each tool environment is meant to be built: its Makefile target (POSIX venv paths) runs on Linux in CI.
ENV_PLATFORMS = ("linux-x86_64",)
# Packages a platform's wheels may bring that the lock does not pin, and why.
EXPECTED_EXTRAS = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")  # PyPI torch's CUDA libraries (Linux)


@dataclass
class PlatformResult:
    """One platform's dry run: did it resolve, and what it would install beyond the lock."""

    platform: str
    ok: bool
    packages: int
    unpinned: list[str]
    message: str
    download_mb: float | None = None  # what a learner on this platform downloads, when --sizes asked for it


def same_system(platform: str) -> bool:
    """True when `platform` is this machine's system and architecture (then dependencies are walked too)."""
    here = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(sys_platform.system(), "")
    arch = sys_platform.machine().lower().replace("amd64", "x86_64").replace("arm64", "aarch64" if here == "linux" else "arm64")
    return platform == f"{here}-{arch}"


def pypi_only_env() -> dict[str, str]:
    """This environment with pip's config files, local wheel folders and extra indexes switched off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def resolve(platform: str, pins: dict[str, str], python_version: str = "3.11.0", sizes: bool = False) -> PlatformResult:
    """Dry-run the lock for one platform against PyPI alone.

    Args:
        platform: a key of PLATFORMS.
        pins: the lock (normalised name -> version).
        python_version: the oldest Python the course supports (Requires-Python is checked against it).
        sizes: also add up the wheels' sizes (one HEAD request per wheel).
    Returns:
        The platform's result; `ok` is False on any resolution failure or unexpected unpinned package.
    """
    abi = "cp" + "".join(python_version.split(".")[:2])
    with tempfile.TemporaryDirectory() as tmp:
        reqs = Path(tmp, "lock.txt")
        reqs.write_text("".join(f"{n}=={v}\n" for n, v in pins.items() if n not in NO_DEPS), encoding="utf-8")
        nodeps_pins = [f"{n}=={pins[n]}" for n in NO_DEPS if n in pins]  # envs/phoenix's lock has none
        report = Path(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--only-binary=:all:", "--python-version", python_version,
               "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none",
               "--target", str(Path(tmp, "target")), "--report", str(report), "-r", str(reqs), "-c", str(reqs)]
        if not same_system(platform):
            # pip evaluates environment markers for THIS machine even with --platform, so a dependency
            # walk for another system asks for the wrong packages; there, check every pin's wheel alone.
            cmd.append("--no-deps")
        for tag in PLATFORMS[platform]:
            cmd += ["--platform", tag]
        # the packages whose metadata is wrong install without dependencies: check their wheels alone
        nodeps = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                  "--only-binary=:all:", "--python-version", python_version, "--implementation", "cp",
                  "-d", str(Path(tmp, "nodeps")), *nodeps_pins]
        for tag in PLATFORMS[platform]:
            nodeps += ["--platform", tag]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=pypi_only_env())
        if proc.returncode != 0:
            return PlatformResult(platform, False, 0, [], _last_error(proc.stderr))
        yanked = [ln for ln in proc.stderr.splitlines() if "is a yanked version" in ln]
        if yanked:  # pip installs an exact pin even when yanked; its authors withdrew it for a reason
            return PlatformResult(platform, False, 0, [], "a pin is yanked on PyPI: " + yanked[0].strip()[:300])
        proc2 = subprocess.run(nodeps, capture_output=True, text=True, env=pypi_only_env()) if nodeps_pins else None
        if proc2 is not None and proc2.returncode != 0:
            return PlatformResult(platform, False, 0, [], _last_error(proc2.stderr))
        items = json.loads(report.read_text())["install"]
        extra_bytes = sum(f.stat().st_size for f in Path(tmp, "nodeps").glob("*.whl"))
    installed = [normalise(item["metadata"]["name"]) for item in items]
    unpinned = sorted(n for n in installed if n not in pins and not EXPECTED_EXTRAS.match(n))
    message = "resolves" if not unpinned else f"pulls packages the lock does not pin: {', '.join(unpinned)}"
    mb = (sum(map(content_length, (i["download_info"]["url"] for i in items))) + extra_bytes) / 1e6 if sizes else None
    return PlatformResult(platform, not unpinned, len(installed) + len(nodeps_pins), unpinned, message, mb)


def content_length(url: str) -> int:
    """Size in bytes of one wheel on the index (a HEAD request; 0 when the index does not say)."""
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 (URLs from pip's own report)
        return int(r.headers.get("Content-Length") or 0)


def _last_error(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines()
             if ln.startswith("ERROR") and "Ignored the following" not in ln] or stderr.strip().splitlines()[-1:]
    return " ".join(lines)[:500] or "pip failed without a message"


def env_locks(folder: Path = ENVS_DIR) -> list[Path]:
    """Every tool environment's lock file, envs/<name>/requirements.lock, in name order."""
    return sorted(folder.glob("*/requirements.lock"))


def check_envs(locks: list[Path], platforms: tuple[str, ...] = ENV_PLATFORMS) -> int:
    """Dry-run each environment's lock on each platform, several pips at once; print one line each.

    Returns:
        How many (lock, platform) checks failed.
    """
    jobs = [(lock, platform) for lock in locks for platform in platforms]
    with ThreadPoolExecutor(max_workers=4) as pool:  # each job is a pip subprocess waiting mostly on PyPI
        results = list(pool.map(lambda job: resolve(job[1], read_lock(job[0], needs_torch=False)), jobs))
    for (lock, _), result in zip(jobs, results, strict=True):
        print(f"{'ok  ' if result.ok else 'FAIL'} {lock.parent.name:<12} {result.platform:<15} {result.packages:>4} "
              f"wheels  {result.message}", flush=True)
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--platform", choices=sorted(PLATFORMS), action="append",
                        help="check this platform only (repeatable; default: all)")
    parser.add_argument("--sizes", action="store_true", help="also report each platform's download size")
    parser.add_argument("--envs", action="store_true",
                        help="check every envs/*/requirements.lock instead (on ENV_PLATFORMS, or --platform)")
    args = parser.parse_args(argv)
    if args.envs:
        return 1 if check_envs(env_locks(), tuple(args.platform or ENV_PLATFORMS)) else 0
    if not args.lock.is_file():
        parser.error(f"{args.lock}: no such lock file")
    pins = read_lock(args.lock, needs_torch=args.lock.resolve() == LOCK.resolve())
    failed = 0
    for platform in args.platform or list(PLATFORMS):
        result = resolve(platform, pins, sizes=args.sizes)
        failed += not result.ok
        size = f"  {result.download_mb:,.0f} MB to download" if result.download_mb is not None else ""
        print(f"{'ok  ' if result.ok else 'FAIL'} {platform:<15} {result.packages:>4} wheels  {result.message}{size}",
              flush=True)
    print(f"{len(args.platform or PLATFORMS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
