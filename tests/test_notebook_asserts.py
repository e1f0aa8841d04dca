"""Every `assert` in the notebooks is classified in `tests/notebook_asserts.csv` (see CONTRIBUTING.md).

An assert is keyed by its notebook (the `notebooks/_src` file's stem) and its text (`ast.unparse` of the
statement, so re-wrapping a line does not change the key). The test fails when an assert is missing from
the table, or the table names one that no longer exists. To see the rows a change needs, run
`python tests/test_notebook_asserts.py`: it prints the missing rows (kind left as `?`) and the stale ones.
"""

from __future__ import annotations

import ast
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "_src"
TABLE = Path(__file__).with_name("notebook_asserts.csv")
KINDS = {
    "lesson": "checks the lesson on numbers measured in the run; it fails when the lesson does not hold",
    "sanity": "checks the run itself worked (no errors, the data has the shape the section needs)",
    "exercise": "checks an exercise's answer, or a result computed from it",
}
Key = tuple[str, str]


def notebook_asserts(src: Path = SRC) -> Counter[Key]:
    """Every assert statement in the notebook sources.

    Args:
        src: the folder of percent-format notebook sources.

    Returns:
        A multiset of (notebook stem, assert text) keys.
    """
    found: Counter[Key] = Counter()
    for path in sorted(src.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert):
                found[(path.stem, ast.unparse(node))] += 1
    return found


def table_rows(table: Path = TABLE) -> list[dict[str, str]]:
    """The classification table's rows (columns: notebook, kind, assert, why)."""
    with table.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def table_keys(rows: list[dict[str, str]]) -> Counter[Key]:
    return Counter((r["notebook"], r["assert"]) for r in rows)


def test_every_assert_is_classified_and_every_row_exists() -> None:
    have, listed = notebook_asserts(), table_keys(table_rows())
    missing, stale = have - listed, listed - have
    assert not missing, f"{sum(missing.values())} assert(s) not in {TABLE.name} (run this file to list them): " \
                        f"{sorted(missing)[:5]}"
    assert not stale, f"{TABLE.name} names {sum(stale.values())} assert(s) no longer in the notebooks: {sorted(stale)[:5]}"


def test_every_row_has_a_known_kind_and_a_reason() -> None:
    rows = table_rows()
    bad = [(r["notebook"], r["assert"][:60], r["kind"]) for r in rows if r["kind"] not in KINDS]
    assert not bad, f"kind must be one of {sorted(KINDS)}: {bad[:5]}"
    assert all(r["why"].strip() for r in rows if r["kind"] == "lesson"), "every lesson row says what lesson it checks"


def test_each_topic_notebook_asserts_at_least_one_lesson() -> None:
    kinds = Counter((r["notebook"], r["kind"]) for r in table_rows())
    topic = sorted(p.stem for p in SRC.glob("0[1-8]_*.py"))
    assert topic and all(kinds[(nb, "lesson")] > 0 for nb in topic), [nb for nb in topic if not kinds[(nb, "lesson")]]


def test_the_extractor_sees_a_planted_assert(tmp_path: Path) -> None:
    (tmp_path / "01_x.py").write_text("# %%\nx = 3\nassert x > 2, 'three'\nif x:\n    assert (x <\n  4)\n")
    assert notebook_asserts(tmp_path) == Counter({("01_x", "assert x > 2, 'three'"): 1, ("01_x", "assert x < 4"): 1})


if __name__ == "__main__":
    have, listed = notebook_asserts(), table_keys(table_rows()) if TABLE.exists() else Counter()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for (nb, text), n in sorted((have - listed).items()):
        for _ in range(n):
            writer.writerow([nb, "?", text, ""])
    for key in sorted(listed - have):
        print("stale:", key, file=sys.stderr)
