"""`labkit doctor`'s torch and embedding checks: they pass here and name the fix when torch is broken."""

from __future__ import annotations

import sys

import pytest

from labkit import doctor


def test_torch_and_embedding_checks_pass_here():
    assert doctor.torch_works().startswith(("2.", "3."))
    assert "384 dimensions" in doctor.embedding_works()


def test_broken_torch_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(RuntimeError, match="make setup") as e:
        doctor.torch_works()
    assert "never --no-deps" in str(e.value)


def test_doctor_reports_broken_torch_as_a_failed_check(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    checks = {c.name: c for c in doctor.run_checks(start_server=False)}
    assert not checks["torch"].ok and "make setup" in checks["torch"].detail


def test_a_missing_notebook_tool_is_optional_but_a_missing_runtime_package_fails():
    # Colab's runtime has neither jupyterlab nor nbval, and the notebooks need neither
    assert doctor.package_check("no-such-dist-xyz", required=False).ok
    missing = doctor.package_check("no-such-dist-xyz", required=True)
    assert not missing.ok and "make setup" in missing.detail
    assert doctor.package_check("torch", required=True).ok
