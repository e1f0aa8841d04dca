"""``make test-portable``: run a command with the notebooks' backend behind a strict OpenAI-API proxy.

It starts the embedded llama.cpp server and, in front of it, :class:`labkit.llm.strict_proxy.StrictOpenAIProxy`
(which refuses what the OpenAI API refuses: unknown request parameters and paths), then runs the
command with ``OPENAI_BASE_URL`` at the proxy and ``LABKIT_MODEL`` naming the served model, so every
notebook kernel it starts talks to the model as it would to a hosted API. ``OPENAI_API_KEY`` is
removed from the command's environment: nothing leaves this machine.

``--backend-specific DIR`` lists the notebooks that take a different path on a different backend (a
code cell calls ``llm.backend()``, ``llm.server()`` or ``llm.capabilities()``). ``make test`` runs
every notebook through the proxy and only these also against the embedded server directly, so each
path is run once without running every notebook twice. (Where Chromium is installed, the demos' run
behind the proxy is ``tests/test_demos_browser.py``, which executes them in JupyterLab.)

Usage:
    python tools/portable.py -- python -m pytest notebooks --nbval-lax
    python tools/portable.py --backend-specific notebooks
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nblint import notebooks_under

BACKEND_SPECIFIC = re.compile(r"llm\.(backend|server|capabilities)\(")


def backend_specific(root: Path) -> list[Path]:
    """The notebooks under ``root`` with a code cell whose path depends on the backend."""
    found = []
    for path in notebooks_under(root):
        cells = nbformat.read(path, as_version=4).cells
        if any(c.cell_type == "code" and BACKEND_SPECIFIC.search(c.source) for c in cells):
            found.append(path)
    return found


def run_behind_proxy(command: list[str]) -> int:
    """Run ``command`` with ``OPENAI_BASE_URL`` at a strict proxy in front of a fresh embedded server.

    Returns:
        The command's exit status.
    """
    from labkit.llm.server import EmbeddedServer
    from labkit.llm.strict_proxy import StrictOpenAIProxy

    with EmbeddedServer() as server, StrictOpenAIProxy(server.url) as proxy:
        env = {**os.environ, "OPENAI_BASE_URL": proxy.url, "LABKIT_MODEL": server.settings.model_alias}
        env.pop("OPENAI_API_KEY", None)
        print(f"portable: {server.settings.model_alias} behind the strict OpenAI-API proxy at {proxy.url}", flush=True)
        code = subprocess.call(command, env=env)
        refused = sorted({f"{r.status} {r.message}" for r in proxy.rejections})
    print(f"portable: the proxy refused {len(proxy.rejections)} requests" + "".join(f"\n  {r}" for r in refused))
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command against a strict OpenAI-API proxy (see module doc).")
    parser.add_argument("--backend-specific", metavar="DIR", type=Path,
                        help="print the notebooks under DIR with a backend-specific path, and exit")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run behind the proxy")
    args = parser.parse_args(argv)
    if args.backend_specific is not None:
        print(" ".join(str(p) for p in backend_specific(args.backend_specific)))
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("portable: give the command to run after --, e.g. -- python -m pytest notebooks --nbval-lax",
              file=sys.stderr)
        return 2
    return run_behind_proxy(command)


if __name__ == "__main__":
    sys.exit(main())
