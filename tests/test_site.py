"""tools/build_site.py: the static book built from executed notebooks, opened in headless Chromium.

Two tiny notebooks (a lesson with a matplotlib plot and a table, a demo with a slider) are executed
by tools/courserun.py as `make run` does, the site is built from what it saved, and every page is
opened from disk in Debian's Chromium (Playwright drives it; no browser download) with every
request that is not file:// or data: refused, so a page that needs the internet fails here.
Screenshots go to test-artifacts/site/. With a built course site in site/ (`make run && make site`),
`test_the_course_site_renders_every_page` checks that one too.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "site"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

LESSON = ["# 00 · Tiny lesson\nA plot and a table.",
          "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title('tiny')\nplt.show()",
          "import pandas as pd\npd.DataFrame({'notebook': ['a', 'b'], 'seconds': [1.5, 2.0]})",
          "assert 1 + 1 == 2"]
DEMO = ["# Tiny demo\nA slider.",
        "import ipywidgets as w\nw.IntSlider(value=3, description='n')",
        "assert True"]
FAILING = ["# 01 · Broken lesson", 'raise ValueError("the lesson broke")']


def _notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(cells[0]), *[nbformat.v4.new_code_cell(c) for c in cells[1:]]]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def tools(request: pytest.FixtureRequest) -> tuple[ModuleType, ModuleType]:
    request.getfixturevalue("tools_importable")
    return importlib.import_module("courserun"), importlib.import_module("build_site")


@pytest.fixture(scope="module")
def built(tools: tuple[ModuleType, ModuleType], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from `make run`'s outputs for two tiny notebooks and one that fails."""
    courserun, build_site = tools
    root = tmp_path_factory.mktemp("course")
    _notebook(root / "notebooks" / "00_tiny.ipynb", LESSON)
    _notebook(root / "notebooks" / "01_broken.ipynb", FAILING)
    _notebook(root / "notebooks" / "demos" / "tiny_demo.ipynb", DEMO)
    before = {k: os.environ.get(k) for k in ("LABKIT_LEDGER_OUT", "MPLBACKEND")}
    assert courserun.main([str(root / "notebooks"), "--out", str(root / "reports")]) == 1, "01_broken must fail"
    for name, value in before.items():  # courserun sets both for its kernels; leave the environment as it was
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    build_site.build_site(executed=root / "reports" / "executed", reports=root / "reports", readme=ROOT / "README.md",
                          out=root / "site")
    return root / "site"


def test_pages_come_in_course_order_with_the_reports_last(built: Path, tools: tuple[ModuleType, ModuleType]) -> None:
    index = (built / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+\.html)"', index)
    assert links[1:] == ["00_tiny.html", "01_broken.html", "demos__tiny_demo.html", "course_run.html",
                         "numbers.html"], links
    assert "FAILED" in index and "passed in" in index, "the index shows each notebook's result from the run"
    executed = built.parent / "reports" / "executed"
    errors = {p.relative_to(executed).as_posix(): tools[1].error_outputs(nbformat.read(p, as_version=4))
              for p in executed.rglob("*.ipynb")}
    assert errors == {"01_broken.ipynb": 1, "00_tiny.ipynb": 0, "demos/tiny_demo.ipynb": 0}
    assert sorted(p.name for p in built.glob("*.html")) == sorted(["index.html", *links[1:]])


def test_pages_load_nothing_from_the_internet(built: Path) -> None:
    for page in built.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|img|link)[^>]+(src|href)="https?://', text), f"{page.name} loads a remote file"


def test_a_demo_page_says_its_widgets_are_live_in_jupyterlab(built: Path) -> None:
    text = (built / "demos__tiny_demo.html").read_text(encoding="utf-8")
    assert "live in JupyterLab" in text and "A live widget" in text


def test_the_numbers_page_is_the_readme_section(built: Path) -> None:
    text = (built / "numbers.html").read_text(encoding="utf-8")
    assert "Latest measured numbers" in text and "<table>" in text


def test_no_executed_notebooks_is_one_clear_error(tools: tuple[ModuleType, ModuleType], tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="run `make run` first"):
        tools[1].build_site(executed=tmp_path, reports=tmp_path, readme=ROOT / "README.md", out=tmp_path / "site")


# --- in Chromium -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs Debian's chromium for the browser tests (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield b
        b.close()


BROKEN_IMAGES = "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))"


def page_problems(browser: object, html_file: Path, shots: Path) -> list[str]:
    """Open one page from disk; what is wrong with it: remote requests, error outputs, broken images.

    Args:
        browser: a Playwright browser.
        html_file: the page.
        shots: the folder its full-page screenshot is saved in.
    Returns:
        One line per problem; empty when the page rendered cleanly.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote: list[str] = []

    def only_local(route: object) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    try:
        page.route("**/*", only_local)
        page.goto(html_file.as_uri(), wait_until="load")
        stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        errors = [e.strip().splitlines()[-1][:160] for e in stderr if "Traceback" in e or re.search(r"^\w+(Error|Exception)\b", e, re.M)]
        broken = page.evaluate(BROKEN_IMAGES)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{html_file.stem}.png"), full_page=True)
        return ([f"{html_file.name}: requested {u}" for u in remote] + [f"{html_file.name}: error output {e!r}"
                for e in errors] + [f"{html_file.name}: broken image {b}" for b in broken])
    finally:
        page.close()


@pytest.mark.browser
def test_every_page_renders_in_chromium_and_a_failed_notebook_shows_its_error(built: Path, browser: object) -> None:
    problems = {p.name: page_problems(browser, p, ARTIFACTS / "fixture") for p in sorted(built.glob("*.html"))}
    assert len(problems) == 6
    broken = problems.pop("01_broken.html")
    assert broken and "the lesson broke" in str(broken), f"the check must see the failed notebook's error: {broken}"
    assert not any(problems.values()), problems
    images = (built / "00_tiny.html").read_text(encoding="utf-8").count('src="data:image/png')
    assert images == 1, f"the lesson's matplotlib plot is on its page ({images} images)"
    shots = sorted(p.name for p in (ARTIFACTS / "fixture").glob("*.png"))
    assert "00_tiny.png" in shots and "demos__tiny_demo.png" in shots


@pytest.mark.browser
def test_a_broken_image_is_caught(built: Path, browser: object, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="missing.png"><img src="https://example.com/x.png"></body></html>')
    problems = page_problems(browser, page, tmp_path)
    assert any("broken image" in p and "missing.png" in p for p in problems), problems
    assert any("requested https://example.com/x.png" in p for p in problems), problems


@pytest.mark.browser
def test_the_course_site_renders_every_page(browser: object) -> None:
    """The real course site (17 notebooks, index and two report pages) when `make site` has built it."""
    site = Path(os.environ.get("LABKIT_SITE_DIR", ROOT / "site"))
    if not (site / "index.html").exists():
        pytest.skip(f"no built site in {site}; run `make run && make site` first")
    pages = sorted(site.glob("*.html"))
    problems = [p for page in pages for p in page_problems(browser, page, ARTIFACTS / "course")]
    notebooks = [p for p in pages if p.name not in ("index.html", "course_run.html", "numbers.html")]
    print(f"course site: {len(notebooks)} notebook pages, {len(pages)} pages, {len(problems)} problems")
    assert not problems, problems


def test_nbval_save_keeps_what_nbval_executed(tmp_path: Path) -> None:
    """tools/nbval_save.py: the notebooks `pytest --nbval-lax` ran, saved with outputs, render as pages."""
    import subprocess
    import sys

    _notebook(tmp_path / "notebooks" / "00_tiny.ipynb", LESSON)
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'tools'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "-p",
                           "nbval_save", "--save-executed", str(tmp_path / "executed"), "notebooks"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    nb = nbformat.read(tmp_path / "executed" / "00_tiny.ipynb", as_version=4)
    mimes = [m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})]
    assert "image/png" in mimes and "text/html" in mimes, mimes
