"""``make site``: a static HTML book of the course, rendered from the notebooks ``make run`` executed.

Every page is one self-contained HTML file (plots are embedded images, CSS is inlined) made by
nbconvert's JupyterLab exporter, so the site opens from disk with no network: the template below
drops the exporter's CDN scripts (require.js, MathJax, Mermaid, the widget manager), which the
course's outputs do not need, and shows each widget as a note that it is live in JupyterLab.

Pages, in course order: an index, 00, 01..08, the widget demos, the capstone, then the course-run
report (``reports/course_run.md``) and the README's measured numbers (from ``bench/results``).

Usage: python tools/build_site.py [--executed reports/executed] [--reports reports] [--out site]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2
import mistune
import nbformat
from build_notebooks import REPO_PATH
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NUMBERS_HEADING = "## Latest measured numbers"

# Extends nbconvert's "lab" template: no CDN scripts, a navigation bar, widgets as a note.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}<style>{{ resources.site_css }}</style>{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.site_nav }}
{{ resources.site_note }}
{%- endblock body_header -%}
{%- block data_widget_view scoped %}
<div class="jp-OutputArea-output site-widget">A live widget: it moves in JupyterLab (<code>make lab</code>).</div>
{%- endblock data_widget_view -%}
"""

CSS = """
nav.site { position: sticky; top: 0; z-index: 10; background: #f4f6f8; border-bottom: 1px solid #d0d7de;
  padding: 6px 16px; font: 14px sans-serif; display: flex; gap: 18px; }
nav.site a { color: #0550ae; text-decoration: none; }
.site-note { margin: 12px 16px; padding: 8px 12px; background: #fff8c5; border: 1px solid #d4a72c; font: 14px sans-serif; }
.site-widget { padding: 4px 8px; background: #eef3fb; border-left: 3px solid #0550ae; font: 13px sans-serif; }
.site-page { max-width: 1100px; margin: 16px auto; padding: 0 16px; font: 15px/1.5 sans-serif; }
.site-page table { border-collapse: collapse; } .site-page td, .site-page th { border: 1px solid #d0d7de; padding: 3px 8px; }
"""


@dataclass(frozen=True)
class Page:
    """One page of the site: where it is written, its title, and what it is made from."""

    slug: str  # file name under the output folder, e.g. "01_cost_and_latency.html"
    title: str
    source: Path | None  # the executed notebook; None for pages written from Markdown
    kind: str  # "lesson", "demo", "capstone", "report"


def course_order(path: Path) -> tuple[int, str]:
    """Sort key: 00, then 01..08, then the widget demos, then the capstone, then anything else."""
    group = {"demos": 2, "capstone": 3}.get(path.parent.name, 0 if re.match(r"\d\d_", path.name) else 4)
    if group == 0 and not path.name.startswith("00_"):
        group = 1
    return group, path.as_posix()


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first Markdown heading of a notebook, without its '#' marks."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def plan_pages(executed: Path) -> list[Page]:
    """The notebook pages, in course order, from a folder of executed notebooks.

    Args:
        executed: the folder ``courserun.py`` wrote (``reports/executed``).
    Returns:
        One page per notebook, then the two report pages.
    """
    pages = []
    for path in sorted(executed.rglob("*.ipynb"), key=lambda p: course_order(p.relative_to(executed))):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(executed)
        kind = {"demos": "demo", "capstone": "capstone"}.get(rel.parent.name, "lesson")
        title = notebook_title(nbformat.read(path, as_version=4), rel.stem)
        pages.append(Page("__".join(rel.with_suffix(".html").parts), title, path, kind))
    return [*pages, Page("course_run.html", "Course run report", None, "report"),
            Page("numbers.html", "Measured numbers", None, "report")]


def error_outputs(nb: nbformat.NotebookNode) -> int:
    """How many cells of an executed notebook ended in an error (a traceback on the page)."""
    return sum(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def nav_bar(pages: list[Page], i: int) -> str:
    """Links to the index and to the previous and next page."""
    links = ['<a href="index.html">Index</a>']
    if i > 0:
        links.append(f'<a href="{pages[i - 1].slug}">&larr; {html.escape(pages[i - 1].title)}</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{pages[i + 1].slug}">{html.escape(pages[i + 1].title)} &rarr;</a>')
    return f'<nav class="site">{" ".join(links)}</nav>'


def without_badges(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with the Colab/Binder badge images removed (they load from the internet)."""
    badge = re.compile(r"\[!\[[^\]]*\]\(https?://[^)]*\)\]\(https?://[^)]*\)\s*")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = badge.sub("", cell.source)
    return nb


def note_for(page: Page, rel: str) -> str:
    """The banner above a page: demos say their widgets are live in JupyterLab; all say where to run them."""
    colab = f"https://colab.research.google.com/github/{REPO_PATH}/blob/main/notebooks/{rel}"
    run = f'Outputs from the course run. Run it yourself: <code>make lab</code>, or <a href="{colab}">Colab</a>.'
    if page.kind == "demo":
        return (f'<div class="site-note">An interactive demo: its sliders and menus are live in JupyterLab '
                f'(<code>make lab</code>, open <code>notebooks/{rel}</code>); here you see the outputs of '
                f'its run with the starting values. {run}</div>')
    return f'<div class="site-note">{run}</div>'


def exporter() -> HTMLExporter:
    loader = jinja2.DictLoader({"site.html.j2": TEMPLATE})
    return HTMLExporter(template_name="lab", template_file="site.html.j2", extra_loaders=[loader])


def render_notebook(page: Page, nav: str, executed: Path) -> str:
    """One notebook page: nbconvert's JupyterLab rendering with the site's bar and note."""
    assert page.source is not None
    rel = page.source.relative_to(executed).as_posix()
    nb = without_badges(nbformat.read(page.source, as_version=4))
    resources = {"site_nav": nav, "site_note": note_for(page, rel), "site_css": CSS,
                 "metadata": {"name": page.title}}
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    return body


def markdown_page(title: str, markdown: str, nav: str) -> str:
    """A plain page from Markdown (tables included)."""
    body = mistune.create_markdown(plugins=["table"])(markdown)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{nav}<main class=\"site-page\">{body}</main></body></html>")


def numbers_section(readme: str) -> str:
    """The README's measured-numbers section (its heading up to the next second-level heading)."""
    start = readme.find(NUMBERS_HEADING)
    if start < 0:
        raise SystemExit(f"README.md has no '{NUMBERS_HEADING}' section; add it back or change NUMBERS_HEADING")
    end = readme.find("\n## ", start + len(NUMBERS_HEADING))
    return readme[start:] if end < 0 else readme[start:end]


def run_results(reports: Path) -> dict[str, dict]:
    """course_run.json's rows by notebook file name relative to notebooks/ (empty when absent)."""
    path = reports / "course_run.json"
    if not path.exists():
        return {}
    return {Path(r["notebook"]).as_posix().split("notebooks/", 1)[-1]: r for r in json.loads(path.read_text("utf-8"))}


def index_page(pages: list[Page], executed: Path, results: dict[str, dict]) -> str:
    """The index: every page in course order, with each notebook's result from the course run."""
    heads = {"lesson": "Lessons", "demo": "Interactive demos (live in JupyterLab)", "capstone": "Capstone",
             "report": "Reports"}
    lines, last = ["# Stage 13 — Production", "",
                   "The course as `make run` executed it: every plot, table and number below was produced by "
                   "that run."], ""
    for page in pages:
        if heads[page.kind] != last:
            last = heads[page.kind]
            lines += ["", f"## {last}", ""]
        row = results.get(page.source.relative_to(executed).as_posix()) if page.source else None
        status = f" — {'passed' if row['passed'] else 'FAILED'} in {row['wall_s']:.0f} s" if row else ""
        lines.append(f"- [{page.title}]({page.slug}){status}")
    nav = '<nav class="site"><a href="index.html">Index</a></nav>'
    return markdown_page("Stage 13 — Production", "\n".join(lines), nav)


def build_site(*, executed: Path, reports: Path, readme: Path, out: Path) -> list[Path]:
    """Write the site.

    Args:
        executed: the executed notebooks (``reports/executed``).
        reports: the folder with ``course_run.md`` (and, if present, ``.json`` and ``.png``).
        readme: the README whose measured-numbers section becomes a page.
        out: the site folder (replaced).
    Returns:
        The HTML files written, index first.
    """
    if not any(executed.rglob("*.ipynb")):
        raise SystemExit(f"no executed notebooks under {executed}; run `make run` first (it writes them)")
    run_report = reports / "course_run.md"
    if not run_report.exists():
        raise SystemExit(f"{run_report} is missing; run `make run` first")
    pages = plan_pages(executed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = [out / "index.html"]
    written[0].write_text(index_page(pages, executed, run_results(reports)), encoding="utf-8")
    report_md = run_report.read_text(encoding="utf-8")
    if (reports / "course_run.png").exists():
        shutil.copy(reports / "course_run.png", out / "course_run.png")
        report_md += "\n![Wall time per notebook](course_run.png)\n"
    for i, page in enumerate(pages):
        nav = nav_bar(pages, i)
        if page.source is not None:
            text = render_notebook(page, nav, executed)
        elif page.slug == "course_run.html":
            text = markdown_page(page.title, report_md, nav)
        else:
            text = markdown_page(page.title, numbers_section(readme.read_text(encoding="utf-8")), nav)
        (out / page.slug).write_text(text, encoding="utf-8")
        written.append(out / page.slug)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the static HTML book from the executed notebooks.")
    parser.add_argument("--executed", type=Path, default=ROOT / "reports" / "executed")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    written = build_site(executed=args.executed, reports=args.reports, readme=args.readme, out=args.out)
    errors = {p.relative_to(args.executed).as_posix(): error_outputs(nbformat.read(p, as_version=4))
              for p in args.executed.rglob("*.ipynb")}
    failed = {name: n for name, n in errors.items() if n}
    print(f"site: {len(written)} pages ({len(errors)} notebooks) in {args.out}, {sum(failed.values())} error outputs"
          f"{': ' + ', '.join(failed) if failed else ''} (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
