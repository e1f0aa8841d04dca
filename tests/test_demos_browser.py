"""The demos in a real browser: JupyterLab on a free local port, each demo opened in headless
Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser download), all cells run,
one widget moved, and the displayed result must change. Screenshots go to test-artifacts/demos/.

The kernels talk to the model through the strict OpenAI-API proxy (as ``make test-portable`` does),
so this run is also the demos' portable run: ``make test-portable`` leaves notebooks/demos to it
when Chromium is installed, and runs them itself when it is not.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMOS = sorted((ROOT / "notebooks" / "demos").glob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "demos"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.browser, pytest.mark.server]

if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser tests; .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, embedded) -> Iterator[str]:
    """A JupyterLab server on a free port serving a copy of notebooks/ (so autosave never touches
    the repo), with a random token; its kernels reach the embedded model only through the strict proxy."""
    from labkit.llm.server import free_port
    from labkit.llm.strict_proxy import StrictOpenAIProxy

    served = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(ROOT / "notebooks", served, ignore=shutil.ignore_patterns("_src", ".ipynb_checkpoints"))

    port, token = free_port(), secrets.token_hex(16)
    log = (ARTIFACTS / "jupyterlab.log")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proxy = StrictOpenAIProxy(embedded.url).start()
    env = {**os.environ, "OPENAI_BASE_URL": proxy.url, "LABKIT_MODEL": embedded.settings.model_alias}
    env.pop("OPENAI_API_KEY", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
             "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabServerApp.check_for_updates_class="
             "jupyterlab.NeverCheckForUpdate"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        proxy.stop()
        raise RuntimeError(f"JupyterLab did not start; see {log}")
    yield f"{url}|{token}"
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    proxy.stop()
    refused = sorted({f"{r.status} {r.message}" for r in proxy.rejections})
    print(f"the strict proxy refused {len(proxy.rejections)} requests from the demos" + "".join(f"\n  {r}" for r in refused))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _accept_dialogs(page) -> None:
    """Accept the kernel-selection dialog if JupyterLab shows one, and wait for an idle kernel."""
    deadline = time.time() + 60
    while time.time() < deadline:
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        if accept.count():
            accept.first.click()
            time.sleep(0.5)
            continue
        if "Idle" in " ".join(page.locator(".jp-StatusBar-Widget").all_inner_texts()):
            return
        time.sleep(0.5)
    raise AssertionError("the notebook's kernel did not become idle within 60 s")


def _outputs_text(page) -> str:
    return "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())


def _tracebacks(page) -> list[str]:
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    return [e for e in errors if "Traceback" in e or re.search(r"^\w+Error:", e, re.M)]


def _wait_all_ran(page, timeout_s: float) -> None:
    """Wait until the last code cell shows an execution count and no cell is running ("[*]").

    JupyterLab renders only the cells near the viewport, so the last cell stands for the rest: Run All
    executes in order and stops at the first error, which is reported at once."""
    deadline = time.time() + timeout_s
    time.sleep(1.0)
    while time.time() < deadline:
        if errors := _tracebacks(page):
            raise AssertionError(f"a cell failed: {errors[0][-1500:]}")
        prompts = [p.strip() for p in page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()]
        last = page.locator(".jp-CodeCell .jp-InputArea-prompt").last
        done = last.count() and re.fullmatch(r"\[\d+\]:", last.inner_text().strip() or "")
        if prompts and done and not any("*" in p for p in prompts):
            return
        time.sleep(0.5)
    raise AssertionError(f"cells not all executed after {timeout_s:.0f} s")


def _move_a_widget(page) -> str:
    """Move the first slider (keyboard on its handle) or change the first dropdown; say which."""
    handle = page.locator(".widget-slider .noUi-handle, .jupyter-widget-slider .noUi-handle").first
    if handle.count():
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        return "slider"
    select = page.locator(".widget-dropdown select, .jupyter-widget-dropdown select").first
    if select.count():
        count = select.locator("option").count()
        assert count > 1, "the dropdown has one option: nothing to move"
        current = select.evaluate("el => el.selectedIndex")
        select.select_option(index=(current + 1) % count)
        return "dropdown"
    raise AssertionError("no slider or dropdown widget rendered")


@pytest.mark.parametrize("demo", DEMOS, ids=[d.stem for d in DEMOS])
def test_demo_runs_and_reacts_in_chromium(lab: str, browser, demo: Path) -> None:
    url, token = lab.split("|")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a fresh workspace per demo, so tabs restored from an earlier test never take the Run command
        page.goto(f"{url}/lab/workspaces/t-{demo.stem}/tree/demos/{demo.name}?reset&token={token}",
                  wait_until="domcontentloaded")
        page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
        _accept_dialogs(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        _wait_all_ran(page, timeout_s=300)
        tracebacks = _tracebacks(page)
        page.locator(".widget-slider, .jupyter-widget-slider, .widget-dropdown, .jupyter-widget-dropdown").first.wait_for(
            timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"{demo.stem}-before.png"), full_page=True)
        before = _outputs_text(page)
        moved = _move_a_widget(page)
        deadline = time.time() + 60
        after = before
        while time.time() < deadline and after == before:
            time.sleep(0.5)
            after = _outputs_text(page)
        page.screenshot(path=str(ARTIFACTS / f"{demo.stem}-after.png"), full_page=True)
        assert not tracebacks, f"{demo.name}: errors in output: {tracebacks[:2]}"
        assert after != before, f"{demo.name}: moving the {moved} did not change the displayed result"
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"{demo.stem}-failed.png"), full_page=True)
        raise
    finally:
        page.close()
