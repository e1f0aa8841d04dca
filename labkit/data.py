"""Load the datasets that ship in ``datasets/``, each with its datasheet.

A dataset is a folder ``datasets/<name>/`` holding a ``README.md`` datasheet (YAML front
matter with ``name``, ``licence``, ``source``, ``files``, ``rows``) and the JSONL files it
names. ``load`` reads them through Hugging Face ``datasets`` (offline, from local files).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from labkit import config
from labkit.errors import DatasetNotFound
from labkit.files import jsonl_lines

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset, DatasetDict  # type: ignore[attr-defined]  # mypy sees the repo folder


def root() -> Path:
    """The ``datasets/`` folder: ``LABKIT_DATA`` if set, else the one beside the labkit package."""
    return config.data_dir()


@dataclass(frozen=True)
class Datasheet:
    """What a dataset is, where it came from, and under which licence."""

    name: str
    licence: str
    source: str
    files: dict[str, str]
    rows: dict[str, int]
    path: Path
    text: str


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    if not text.startswith("---"):
        raise ValueError(f"{path} must start with a '---' YAML front-matter block (name, licence, source, files, rows)")
    try:
        block = text.split("---", 2)[1]
    except IndexError:
        raise ValueError(f"{path}: the front-matter block is not closed with '---'") from None

    meta = yaml.safe_load(block) or {}
    missing = [k for k in ("name", "licence", "source", "files") if k not in meta]
    if missing:
        raise ValueError(f"{path}: front matter lacks {missing}")
    return meta


def _normalise_files(files: Any) -> dict[str, str]:
    if isinstance(files, dict):
        return {str(k): str(v) for k, v in files.items()}
    if isinstance(files, builtins.list):
        return {Path(str(f)).stem: str(f) for f in files}
    return {Path(str(files)).stem: str(files)}


def datasheet(name: str) -> Datasheet:
    """The datasheet of a shipped dataset.

    Args:
        name: dataset folder name, e.g. ``"kb"``.

    Raises:
        DatasetNotFound: no such dataset; the message lists the ones that exist.
    """
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise DatasetNotFound(f"dataset name must be a plain folder name, got {name!r}")
    path = root() / name / "README.md"
    if not path.exists():
        raise DatasetNotFound(f"no dataset {name!r} in {root()}; available: {', '.join(names()) or 'none'}")
    text = path.read_text(encoding="utf-8")
    meta = _front_matter(text, path)
    rows = meta.get("rows") or {}
    return Datasheet(
        name=str(meta["name"]), licence=str(meta["licence"]), source=str(meta["source"]),
        files=_normalise_files(meta["files"]),
        rows={str(k): int(v) for k, v in rows.items()} if isinstance(rows, dict) else {"all": int(rows)},
        path=path, text=text,
    )


def names() -> builtins.list[str]:
    """Names of every shipped dataset (folders of ``datasets/`` with a README.md)."""
    base = root()
    if not base.exists():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "README.md").exists())


def list() -> pd.DataFrame:  # noqa: A001 - `data.list()` is the documented call
    """A table of every dataset: name, licence, source, files and rows."""
    import pandas as pd

    sheets = [datasheet(n) for n in names()]
    return pd.DataFrame(
        [{"name": s.name, "licence": s.licence, "source": s.source, "files": ", ".join(s.files.values()),
          "rows": sum(s.rows.values())} for s in sheets]
    )


def load(name: str, split: str | None = None) -> Dataset | DatasetDict:
    """Load a shipped dataset through Hugging Face ``datasets``, from local files only.

    Args:
        name: dataset folder name (see ``names()``).
        split: one of the datasheet's ``files`` keys; all of them (a DatasetDict) when omitted.

    Returns:
        A ``datasets.Dataset`` for one split, else a ``datasets.DatasetDict``.
    """
    sheet = datasheet(name)
    if split is not None and split not in sheet.files:
        raise DatasetNotFound(f"dataset {name!r} has splits {sorted(sheet.files)}, not {split!r}")
    import datasets as hf  # type: ignore[import-untyped]

    wanted = {split: sheet.files[split]} if split else sheet.files
    data_files = {}
    for key, rel in wanted.items():
        file = sheet.path.parent / rel
        if not file.exists():
            raise DatasetNotFound(f"{file} (named in {sheet.path}) is missing; rebuild or restore it")
        data_files[key] = str(file)
    hf.disable_progress_bars()  # type: ignore[attr-defined]
    loaded = hf.load_dataset(  # type: ignore[attr-defined]
        "json", data_files=data_files)
    return loaded[split] if split else loaded


def records(name: str, split: str | None = None) -> builtins.list[dict[str, Any]]:
    """Rows of one split as plain dicts, read directly (fast; no Arrow cache).

    Args:
        name: dataset folder name.
        split: the datasheet's file key; required when the dataset has several files.
    """
    sheet = datasheet(name)
    if split is None:
        if len(sheet.files) != 1:
            raise DatasetNotFound(f"dataset {name!r} has several splits {sorted(sheet.files)}; pass split=")
        split = next(iter(sheet.files))
    if split not in sheet.files:
        raise DatasetNotFound(f"dataset {name!r} has splits {sorted(sheet.files)}, not {split!r}")
    file = sheet.path.parent / sheet.files[split]
    out = [row for _, row in jsonl_objects(file, f"row of the {name!r} dataset")]
    return out


def jsonl_objects(path: str | Path, shape: str, problems: builtins.list[str] | None = None,
                  ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for every non-blank line of a JSONL file of JSON objects.

    Streams through :func:`labkit.files.jsonl_lines`, the one JSONL reader.

    Args:
        path: the file.
        shape: what a line should look like, for the error message, e.g. ``'{"id": "1", "text": "..."}'``.
        problems: when given, a line that is not a JSON object is described here (``"line N: ..."``) and
            skipped, so a caller can report every bad line at once; otherwise the first one raises.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not JSON, or not an object; the message names the file, the line and the
            expected shape.
    """
    for lineno, row, problem in jsonl_lines(path, shape):
        if row is not None:
            yield lineno, row
        elif problems is not None:
            problems.append(f"line {lineno}: {problem}")
        else:
            raise ValueError(f"{path}, line {lineno}: {problem}")
