"""labkit.embed (the packaged MiniLM) and labkit.data (datasheets and loaders)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labkit import data, embed
from labkit.errors import DatasetNotFound


def test_encode_shapes_and_normalisation() -> None:
    vecs = embed.encode(["How do I reset my password?", "Password reset steps", "Quarterly revenue grew"])
    assert vecs.shape == (3, embed.DIMENSION) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = embed.cosine(vecs, vecs)
    assert sims[0, 1] > sims[0, 2]  # paraphrases sit closer than unrelated text
    assert embed.encode("one").shape == (embed.DIMENSION,)
    assert embed.encode([]).shape == (0, embed.DIMENSION)


def test_encode_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="strings"):
        embed.encode(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        embed.encode(["x"], batch_size=0)


@pytest.fixture
def tiny_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ds = tmp_path / "toy"
    ds.mkdir()
    (ds / "rows.jsonl").write_text("\n".join(json.dumps({"id": i, "text": f"row {i}"}) for i in range(3)) + "\n")
    (ds / "README.md").write_text("---\nname: toy\nlicence: CC0-1.0\nsource: written for a test\n"
                                  "files:\n  train: rows.jsonl\nrows:\n  train: 3\n---\n# Toy\n")
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path))
    return tmp_path


def test_load_list_and_datasheet(tiny_root: Path) -> None:
    assert data.names() == ["toy"]
    sheet = data.datasheet("toy")
    assert sheet.licence == "CC0-1.0" and sheet.files == {"train": "rows.jsonl"}
    ds = data.load("toy", split="train")
    assert ds.num_rows == 3 and ds[0]["text"] == "row 0"
    assert len(data.records("toy")) == 3
    table = data.list()
    assert list(table["name"]) == ["toy"] and int(table["rows"].iloc[0]) == 3


def test_missing_dataset_and_split_name_the_alternatives(tiny_root: Path) -> None:
    with pytest.raises(DatasetNotFound, match="available: toy"):
        data.load("nope")
    with pytest.raises(DatasetNotFound, match="splits"):
        data.load("toy", split="test")
    with pytest.raises(DatasetNotFound, match="plain folder"):
        data.datasheet("../etc")


def test_bad_jsonl_line_is_named(tiny_root: Path) -> None:
    (tiny_root / "toy" / "rows.jsonl").write_text('{"id": 1}\nnot json\n')
    with pytest.raises(ValueError, match="rows.jsonl, line 2: not valid JSON"):
        data.records("toy")


def test_datasheet_without_front_matter_is_rejected(tiny_root: Path) -> None:
    (tiny_root / "toy" / "README.md").write_text("# no front matter\n")
    with pytest.raises(ValueError, match="front-matter"):
        data.datasheet("toy")
