"""tools/test_lanes.py: make targets in parallel lanes, logs printed whole, a summary read from JUnit files."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

CODE_XML = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.test_a" name="test_fast" time="0.5" />
<testcase classname="tests.test_a" name="test_slow" time="30.0"><failure message="boom" /></testcase>
<testcase classname="tests.test_b" name="test_skip" time="0.0"><skipped message="no server" /></testcase>
</testsuite></testsuites>"""
NB_XML = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="3">
<testcase classname="notebooks.01_cost.ipynb" name="Cell 0" time="10.0" />
<testcase classname="notebooks.01_cost.ipynb" name="Cell 1" time="5.0" />
<testcase classname="notebooks.demos.calc.ipynb" name="Cell 0" time="2.0" />
</testsuite></testsuites>"""


@pytest.fixture
def lanes(tools_importable: Path) -> ModuleType:
    import test_lanes

    return test_lanes


def test_summary_counts_each_run_and_ranks_tests_and_whole_notebooks(lanes: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "code.xml").write_text(CODE_XML)
    (tmp_path / "notebooks-portable.xml").write_text(NB_XML)
    text = lanes.summary(tmp_path)
    assert "code" in text and "1 passed    1 failed    1 skipped" in text
    assert "notebooks-portable        3 passed    0 failed    0 skipped" in text
    assert text.index("tests.test_a::test_slow") < text.index("tests.test_a::test_fast")
    assert "15.0 s  notebooks/01_cost.ipynb (notebooks-portable)" in text  # cells summed per notebook
    assert "notebooks/demos/calc.ipynb" in text
    assert "FAILED: code: tests.test_a::test_slow" in text


def test_lanes_keep_going_after_a_failure_and_fail_overall(lanes: ModuleType, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Makefile").write_text("a:\n\t@sleep 1; echo from-a; exit 3\nb:\n\t@echo from-b\nc:\n\t@sleep 1; echo from-c\n")
    monkeypatch.chdir(tmp_path)
    status = lanes.main(["--out", str(tmp_path / "out"), "a b", "c"])
    out = capsys.readouterr().out
    assert status == 1, "a failed target fails the run"
    assert "from-b" in out, "the lane went on after its failed target"
    assert out.index("from-a") < out.index("from-c"), "logs are printed lane by lane at the end"
    assert "make a FAILED (exit 2)" in out and "lane 2: make c ok" in out


def test_no_lane_is_one_clear_error(lanes: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert lanes.main([]) == 2
    assert "give at least one lane" in capsys.readouterr().err
