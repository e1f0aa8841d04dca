"""The ``labkit`` command as a whole: every command and action has help, every bad argument is one line.

In-process through ``main([...])`` (fast); a few cases run ``python -m labkit.cli`` in a subprocess to cover
the module entry point. No test here may start the model server: an autouse fixture makes that fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit import cli
from labkit.cli.common import Parser

REPO = Path(__file__).resolve().parents[1]

# Every command path `labkit` has; a command added or lost must show up here.
COMMAND_PATHS = [
    ["doctor"], ["serve"], ["models"],
    ["app"], ["app", "serve"], ["app", "ask"],
    ["eval"], ["eval", "run"], ["eval", "compare"], ["eval", "variants"], ["eval", "rubric"],
    ["eval", "export"], ["eval", "log-mlflow"], ["eval", "list"],
    ["guard"], ["ground"], ["pii"],
    ["cache"], ["cache", "eval"],
    ["traces"], ["traces", "list"], ["traces", "show"], ["traces", "stats"],
    ["capstone"], ["capstone", "run"], ["capstone", "kinds"], ["capstone", "check"],
]

# One bad argument per command and action, and the words its one error line must contain.
# {missing} is a file that does not exist, {notdb} a text file where a SQLite store is expected,
# {jsonl} a valid one-line JSONL file.
BAD_ARGUMENTS = [
    ([], "required: COMMAND"),
    (["evaluate"], "invalid choice: 'evaluate'"),
    (["doctor", "--no-sever"], "unrecognized arguments: --no-sever"),
    (["serve", "--port", "-1"], "--port: expected a port number in 0..65535, got -1"),
    (["models", "--all"], "unrecognized arguments: --all"),
    (["app"], "required: ACTION"),
    (["app", "serve", "--port", "70000"], "--port: expected a port number in 0..65535, got 70000"),
    (["app", "ask", "What does Team cost?", "--k", "0"], "--k: expected a whole number >= 1, got 0"),
    (["eval"], "required: ACTION"),
    (["eval", "run", "--limit", "-1"], "--limit: expected a whole number >= 1, got -1"),
    (["eval", "compare", "base", "cand", "--confidence", "2"], "--confidence: expected a number between 0 and 1"),
    (["eval", "run", "--variant", "k9"], "unknown variant 'k9'"),
    (["eval", "variants", "--all"], "unrecognized arguments: --all"),
    (["eval", "rubric", "a", "b", "--weight", "tone=1"], "unknown criterion 'tone'"),
    (["eval", "list", "--db", "{notdb}"], "is not a run store"),
    (["eval", "export", "base", "--to", "csv"], "unknown export format 'csv'; choose from jsonl, inspect, promptfoo"),
    (["eval", "log-mlflow", "base", "--db", "{notdb}"], "is not a run store"),
    (["guard", "{missing}"], "missing.jsonl does not exist"),
    (["ground", "{jsonl}", "--threshold", "2"], "--threshold must be in [0, 1], got 2.0"),
    (["pii", "{missing}"], "missing.jsonl does not exist"),
    (["cache"], "required: ACTION"),
    (["cache", "eval", "{jsonl}", "--threshold", "5"], "--threshold is a cosine similarity in [-1, 1], got 5.0"),
    (["traces"], "required: ACTION"),
    (["traces", "list", "--limit", "0"], "--limit: expected a whole number >= 1, got 0"),
    (["traces", "show", "abc123", "--store", "{notdb}"], "is not a span store"),
    (["traces", "stats", "--store", "{missing}"], "no span store at"),
    (["capstone"], "required: ACTION"),
    (["capstone", "run", "--days", "-1"], "days must be in (0, 14], got -1.0"),
    (["capstone", "check", "{missing}"], "missing.jsonl does not exist; give a findings file"),
]


@pytest.fixture(autouse=True)
def no_model_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test here that would start the embedded model server."""
    from labkit.llm.server import EmbeddedServer

    def refuse(self: EmbeddedServer) -> EmbeddedServer:
        raise AssertionError("a CLI test started the model server")

    monkeypatch.setattr(EmbeddedServer, "start", refuse)


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``labkit argv`` in this process: (exit status, stdout, stderr); argparse's exits count as statuses."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def command_paths(parser: argparse.ArgumentParser, prefix: list[str] | None = None) -> list[list[str]]:
    """Every command path under ``parser``, parents before their actions."""
    found: list[list[str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                path = [*(prefix or []), name]
                found += [path, *command_paths(child, path)]
    return found


def test_the_parser_has_exactly_the_listed_commands() -> None:
    assert command_paths(cli.build_parser()) == COMMAND_PATHS


def test_each_command_module_registers_the_command_it_is_named_for() -> None:
    for module in cli.COMMANDS:
        sub = Parser(prog="labkit").add_subparsers()
        module.register(sub)
        assert list(sub.choices) == [module.__name__.rsplit(".", 1)[-1]]


@pytest.mark.parametrize("path", [[], *COMMAND_PATHS], ids=lambda p: " ".join(p) or "labkit")
def test_help_exits_0_and_prints_usage(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*path, "--help"], capsys)
    assert code == 0 and err == ""
    assert out.startswith(f"usage: {' '.join(['labkit', *path])} ")


@pytest.mark.parametrize(("argv", "words"), BAD_ARGUMENTS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_a_bad_argument_is_one_line_on_stderr(argv: list[str], words: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    files = {"missing": tmp_path / "missing.jsonl", "notdb": tmp_path / "not-a-database.sqlite",
             "jsonl": tmp_path / "one.jsonl"}
    files["notdb"].write_text("these are not the rows you are looking for\n", encoding="utf-8")
    files["jsonl"].write_text(json.dumps({"id": "1", "text": "x"}) + "\n", encoding="utf-8")
    code, out, err = run_main([a.format(**files) for a in argv], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("labkit") and "error: " in err and words in err, err
    assert out == ""


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    done = _python("-m", "labkit.cli", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: labkit ")
    assert all(name in done.stdout for name in {p[0] for p in COMMAND_PATHS})
    done = _python("-m", "labkit.cli", "traces", "list", "--store", str(tmp_path / "nope.sqlite"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("labkit traces: error: no span store at") and len(done.stderr.splitlines()) == 1


def test_building_the_parser_imports_nothing_heavy() -> None:
    heavy = ["torch", "transformers", "sentence_transformers", "sklearn", "pandas", "matplotlib", "openai",
             "fastapi", "uvicorn", "labkit.llm.server", "labkit.capstone.world"]
    done = _python("-c", "import json, sys; from labkit.cli import build_parser; build_parser(); "
                         f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
