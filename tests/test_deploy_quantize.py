"""labkit.deploy.quantize: the re-quantised copy is a valid GGUF in the asked format; bad arguments name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.deploy import requantize, serve_weights
from labkit.llm.server import ServerSettings

SHIPPED = Path(ServerSettings.from_env().model_path)


def test_requantize_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Q8_0"):
        requantize(SHIPPED, tmp_path / "x.gguf", "Q9_9")


def test_requantize_names_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model_path"):
        requantize(tmp_path / "missing.gguf", tmp_path / "x.gguf")


def test_serve_weights_needs_prompts() -> None:
    with pytest.raises(ValueError, match="at least one"):
        serve_weights(SHIPPED, [])


def test_the_copy_stores_every_q4_1_tensor_as_q8_0(tmp_path: Path) -> None:
    import gguf
    from gguf import GGMLQuantizationType as Q

    source = gguf.GGUFReader(str(SHIPPED))
    copy = gguf.GGUFReader(str(requantize(SHIPPED, tmp_path / "q8.gguf", "Q8_0")))
    before = {t.name: t.tensor_type for t in source.tensors}
    after = {t.name: t.tensor_type for t in copy.tensors}
    assert before.keys() == after.keys()
    assert Q.Q4_1 in before.values() and Q.Q4_1 not in after.values()
    assert all(after[n] == (Q.Q8_0 if k == Q.Q4_1 else k) for n, k in before.items())
    assert copy.fields["general.architecture"].parts[-1].tobytes() == source.fields["general.architecture"].parts[-1].tobytes()
