"""Passages by meaning and by keywords: each process keeps, per workspace, one float32
matrix of the passages' vectors and the words of their lines, rebuilt from the database
when the workspace's index version moves on (docs/architecture.md says why not
sqlite-vec or pgvector)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

import numpy as np

from .models import DIMENSIONS, Passage, WorkspaceIndex

# Workspaces kept per process; at 100,000 lines a matrix is ~150 MB, most are far smaller.
KEEP = 8


WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Matrix:
    version: int
    ids: np.ndarray  # int64 passage ids, row order
    meeting_ids: np.ndarray  # int64, row order
    vectors: np.ndarray  # (n, 384) float32
    # Each word of the lines (lower case) and the rows holding it: a term is found in a
    # line exactly when it is found in one of the line's words (terms are words too).
    words: dict[str, np.ndarray]


_cache: OrderedDict[int, Matrix] = OrderedDict()
_lock = threading.Lock()


def version_of(workspace_id: int) -> int:
    row = WorkspaceIndex.objects.filter(workspace_id=workspace_id).values_list("version", flat=True).first()
    return int(row or 0)


def matrix(workspace_id: int) -> Matrix:
    version = version_of(workspace_id)
    with _lock:
        held = _cache.get(workspace_id)
        if held is not None and held.version == version:
            _cache.move_to_end(workspace_id)
            return held
    built = _build(workspace_id, version)
    with _lock:
        _cache[workspace_id] = built
        _cache.move_to_end(workspace_id)
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
    return built


def _build(workspace_id: int, version: int) -> Matrix:
    rows = (
        Passage.objects.filter(workspace_id=workspace_id)
        .order_by("id")
        .values_list("id", "meeting_id", "vector", "line")
    )
    ids, meetings, blobs = [], [], []
    rows_of: defaultdict[str, list[int]] = defaultdict(list)
    for row, (passage_id, meeting_id, vector, line) in enumerate(rows.iterator(chunk_size=5000)):
        ids.append(passage_id)
        meetings.append(meeting_id)
        blobs.append(bytes(vector))
        for word in set(WORD.findall(line.lower())):
            rows_of[word].append(row)
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), DIMENSIONS)
    words = {word: np.asarray(found, dtype=np.int32) for word, found in rows_of.items()}
    return Matrix(version, np.asarray(ids, dtype=np.int64), np.asarray(meetings, dtype=np.int64), vectors, words)


def _mask(held: Matrix, meeting_id: int | None, allowed_ids: set[int] | None) -> np.ndarray:
    """The rows a question may see: of its meeting, of the passages the filters allow."""
    mask = np.ones(len(held.ids), dtype=bool)
    if meeting_id is not None:
        mask &= held.meeting_ids == meeting_id
    if allowed_ids is not None:
        mask &= np.isin(held.ids, np.fromiter(allowed_ids, dtype=np.int64, count=len(allowed_ids)))
    return mask


def _terms_held(held: Matrix, terms: list[str]) -> np.ndarray:
    """How many of `terms` each row's line holds (a term inside a word counts)."""
    counts = np.zeros(len(held.ids), dtype=np.int32)
    for term in terms:
        rows = [held.words[word] for word in held.words if term in word]
        if rows:
            holds = np.zeros(len(held.ids), dtype=bool)
            holds[np.concatenate(rows)] = True
            counts += holds
    return counts


def with_words(
    workspace_ids: list[int],
    terms: list[str],
    *,
    k: int,
    meeting_id: int | None = None,
    allowed_ids: set[int] | None = None,
) -> list[int]:
    """The k passage ids whose lines hold the most of `terms` (each as a substring, case
    aside, as the meetings search matches), newest first among equals."""
    found: list[tuple[int, int]] = []  # (terms held, passage id)
    for workspace_id in workspace_ids:
        held = matrix(workspace_id)
        if not len(held.ids):
            continue
        held_terms = _terms_held(held, terms)
        held_terms[~_mask(held, meeting_id, allowed_ids)] = 0
        best = np.nonzero(held_terms)[0]
        best = best[np.lexsort((-held.ids[best], -held_terms[best]))][:k]
        found.extend((int(held_terms[i]), int(held.ids[i])) for i in best)
    found.sort(key=lambda pair: (-pair[0], -pair[1]))
    return [passage_id for _, passage_id in found[:k]]


def nearest(
    workspace_ids: list[int],
    query: np.ndarray,
    *,
    k: int,
    meeting_id: int | None = None,
    allowed_ids: set[int] | None = None,
) -> list[tuple[int, float]]:
    """The k passage ids most like `query` (dot product of unit vectors: cosine), best first."""
    scored: list[tuple[int, float]] = []
    for workspace_id in workspace_ids:
        held = matrix(workspace_id)
        if not len(held.ids):
            continue
        scored.extend(_top(held, held.vectors @ query, k, meeting_id, allowed_ids))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:k]


def _top(
    held: Matrix, scores: np.ndarray, k: int, meeting_id: int | None, allowed_ids: set[int] | None
) -> list[tuple[int, float]]:
    """The k best rows the question may see, as (passage id, score)."""
    mask = _mask(held, meeting_id, allowed_ids)
    top = min(k, int(mask.sum()))
    if top == 0:
        return []
    scores = np.where(mask, scores, -np.inf)
    best = np.argpartition(-scores, top - 1)[:top]
    return [(int(held.ids[i]), float(scores[i])) for i in best]


def hybrid(
    workspace_ids: list[int],
    query: np.ndarray,
    terms: list[str],
    *,
    k: int,
    keyword_weight: float,
    meeting_id: int | None = None,
    allowed_ids: set[int] | None = None,
) -> list[tuple[int, float]]:
    """The k passage ids best by meaning and words together, best first: each row's cosine
    with `query` plus `keyword_weight` times the share of `terms` its line holds."""
    scored: list[tuple[int, float]] = []
    for workspace_id in workspace_ids:
        held = matrix(workspace_id)
        if not len(held.ids):
            continue
        scores = held.vectors @ query + keyword_weight * _terms_held(held, terms) / max(1, len(terms))
        scored.extend(_top(held, scores, k, meeting_id, allowed_ids))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:k]
