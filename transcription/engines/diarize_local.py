"""Who spoke when, from the signal alone: no PyTorch, no model to download.

Every stretch of speech is cut into windows of 1.5 s, 0.75 s apart. A window is described
by the statistics of its cepstrum (the shape of the voice's spectrum: its mean, its spread
and how fast it moves) and of its pitch. First, whether there is more than one voice at
all (a Bayesian information criterion, one Gaussian against two); then the windows are
clustered spectrally: cosine similarities, each window keeping its nearest 3 % as
neighbours, the graph diffused one step, and the gap between the eigenvalues of its
Laplacian saying how many voices there are. Then once more, on the windows whitened by
how a voice varies within itself: around the speakers of that first clustering, and
between windows 1.5 s apart in one stretch of that one speaker's speech. Measured on the corpus
against the Whisper encoder's states and plain agglomerative clustering
(benchmarks/diarization.py, docs/performance.md).

Plain numpy, scipy and scikit-learn; the careful pass feeds it block by block (`windows`)
and asks once at the end (`speakers`), so a 2-hour meeting never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.fft import dct
from sklearn.cluster import KMeans

from .base import SAMPLE_RATE, SpeakerTurn

HOP_MS = 10  # the filterbank's frame step
WINDOW_MS, STEP_MS, SHORTEST_MS = 1500, 750, 400
CEPSTRA = 20
MEL_BANDS = 80
PITCH_WEIGHT = 1.5  # the two pitch statistics weigh as much as this many cepstral ones
# Each window's nearest share of the others: with the graph diffused, 2-4 % all count
# the same voices on the tune half; 8 % and more merge voices.
NEIGHBOURS, MIN_NEIGHBOURS = 0.03, 6
MAX_SPEAKERS = 8
# The within-speaker spread is shrunk towards this much of every statistic's own: the first
# clustering's speakers are rough. 0.15-0.4 count the same 20 of 23 tune meetings right.
WITHIN_SHRINK = 0.2
# The within-speaker spread is measured two ways and mixed, this much of the second: around
# the first clustering's speakers (if it merged two voices, what sets them apart counts as
# one voice's spread and is whitened away: planning-03's two festival voices, 3 semitones
# apart, stayed one) and between windows NEIGHBOUR_STEPS apart in one stretch of speech
# given to one speaker (one voice moving with what it says, blind to merged voices, but
# alone it splits voices: 17 of 23). 0.5-0.8 count the same 20 of 23 tune meetings right.
NEIGHBOUR_SHARE = 0.7
NEIGHBOUR_STEPS = 2  # 1.5 s apart: the two windows share no frames (3 steps count the same)
# Two voices must explain the windows better than one by this much a parameter (the
# criterion's λ): 2.25 told every voice alone from every meeting on the corpus's tune
# half, with a hair's breadth each way; higher, so a monologue is never split.
ONE_VOICE_PENALTY = 2.5
FEW_WINDOWS = 8  # fewer windows than this: too little speech to tell voices apart
F0_RANGE = (70, 400)
PITCH_CHUNK = 2000  # pitch frames (20 s) computed at once
# Audio handed to `windows` at once, at most: its filterbank costs ~0.8 MB a second of
# audio while it runs, and windows need no more than their own 1.5 s.
BLOCK_S = 120
CLUSTERED = 1500  # windows clustered at most (~19 minutes of speech); the rest join by nearness


@dataclass
class Windows:
    """What `speakers` needs of a recording: each window's time (ms) and description."""

    times: list[tuple[int, int]] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)

    def extend(self, other: Windows) -> None:
        self.times += other.times
        self.features += other.features


class LocalDiarizationEngine:
    name = "local"
    block_s: float = BLOCK_S

    def __init__(self) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        self._filterbank = FeatureExtractor(feature_size=MEL_BANDS)

    def windows(self, samples: np.ndarray, speech: Sequence[tuple[int, int]], *, offset_ms: int = 0) -> Windows:
        """The windows of one block of audio (`speech`: its spans of speech, in ms)."""
        found = Windows()
        if not len(samples) or not speech:
            return found
        cepstra = dct(self._filterbank(samples, padding=0), type=2, axis=0, norm="ortho")[1 : CEPSTRA + 1]
        pitch = _log_pitch(samples)
        for start, end in speech:
            for first in range(start, end, STEP_MS):
                last = min(first + WINDOW_MS, end)
                if last - first < SHORTEST_MS:
                    continue
                frames = cepstra[:, first // HOP_MS : last // HOP_MS]
                voiced = pitch[first // HOP_MS : last // HOP_MS]
                voiced = voiced[voiced > 0]
                tone = [voiced.mean(), voiced.std()] if len(voiced) > 3 else [np.nan, np.nan]
                moves = np.diff(frames, axis=1).std(axis=1)
                found.features.append(np.concatenate([frames.mean(axis=1), frames.std(axis=1), moves, tone]))
                found.times.append((offset_ms + first, offset_ms + last))
        return found

    def speakers(self, windows: Windows, *, num_speakers: int | None = None) -> list[SpeakerTurn]:
        """Who spoke when: speakers numbered 0, 1, … in the order they first speak."""
        if not windows.times:
            return []
        features = _filled(np.array(windows.features))
        if num_speakers == 1 or (num_speakers is None and _one_voice(features)):
            labels = np.zeros(len(features), dtype=int)
        else:
            labels = _cluster_many(_normalised(features), num_speakers)
            labels = _cluster_many(_whitened(features, labels, windows.times), num_speakers)
        return _turns(windows.times, labels)


def _filled(features: np.ndarray) -> np.ndarray:
    """Unvoiced windows (no pitch) at the average pitch."""
    pitch = features[:, -2:]
    pitch = np.where(np.isnan(pitch), np.nanmean(pitch, axis=0) if np.isfinite(pitch).any() else 0.0, pitch)
    return np.concatenate([features[:, :-2], np.nan_to_num(pitch)], axis=1)


def _one_voice(features: np.ndarray) -> bool:
    """Whether two voices explain the windows no better than one: the Bayesian information
    criterion of one Gaussian against two (diagonal, split by k-means), with a penalty
    per parameter. Spectral clustering finds structure even in one voice; this does not
    (on the corpus, every speaker alone stays one, every meeting stays several)."""
    count, dimensions = features.shape
    if count < FEW_WINDOWS:
        return True
    standard = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)
    labels = KMeans(2, n_init=10, random_state=0).fit_predict(standard)
    if min(np.bincount(labels, minlength=2)) < 2:
        return True

    def spread(rows: np.ndarray) -> float:
        return float(len(rows) * np.log(rows.var(axis=0) + 1e-6).sum())

    gain = 0.5 * (spread(features) - spread(features[labels == 0]) - spread(features[labels == 1]))
    return gain < ONE_VOICE_PENALTY * dimensions * np.log(count)


def _normalised(features: np.ndarray) -> np.ndarray:
    """Each statistic on one scale (pitch weighted up), then each window's vector on the
    unit sphere."""
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)
    cepstral = features.shape[1] - 2
    features[:, -2:] *= PITCH_WEIGHT / np.sqrt(cepstral)
    features[:, :-2] /= np.sqrt(cepstral)
    return features / (np.linalg.norm(features, axis=1, keepdims=True) + 1e-9)


def _whitened(features: np.ndarray, labels: np.ndarray, times: Sequence[tuple[int, int]]) -> np.ndarray:
    """The windows whitened by the within-speaker spread of a first clustering (what LDA or
    PLDA learn from many speakers, here from the meeting's own): directions in which one
    voice moves with what it says weigh less, those that set its voices apart weigh more.
    On the tune half it counts two more meetings right (19 of 23: five voices where the
    first clustering found six and seven). Weighting the statistics by hand, longer
    windows, re-assigning windows to the speakers' centres and splitting a speaker again
    by the one-voice test did not. Mixing in the spread between neighbouring windows of one
    speaker counts one more right (20 of 23: planning-03's six voices, was four) and brings
    the tune half's DER from 9.4 % to 6.4 %."""
    standard = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)
    within = standard.copy()
    for label in np.unique(labels):
        within[labels == label] -= standard[labels == label].mean(axis=0)
    around_speakers = within.T @ within / len(within)
    # Pairs of windows NEIGHBOUR_STEPS apart in one stretch of speech (their starts exactly
    # that many steps apart) that the first clustering gave the same speaker: nearly always
    # one voice, whether or not the first clustering merged it with another.
    starts = np.array([start for start, _ in times])
    first = np.arange(max(0, len(starts) - NEIGHBOUR_STEPS))
    later = first + NEIGHBOUR_STEPS
    same = (starts[later] - starts[first] == NEIGHBOUR_STEPS * STEP_MS) & (labels[first] == labels[later])
    steps = standard[later[same]] - standard[first[same]]
    # The difference of two windows of one voice varies twice as much as one window does.
    neighbours = steps.T @ steps / (2 * len(steps)) if len(steps) else around_speakers
    spread = NEIGHBOUR_SHARE * neighbours + (1 - NEIGHBOUR_SHARE) * around_speakers
    spread += WITHIN_SHRINK * np.eye(standard.shape[1])
    values, axes = np.linalg.eigh(spread)
    white = standard @ axes / np.sqrt(values)
    return white / (np.linalg.norm(white, axis=1, keepdims=True) + 1e-9)


def _cluster_many(vectors: np.ndarray, num_speakers: int | None) -> np.ndarray:
    """Spectral clustering needs n x n matrices and an O(n^3) eigen decomposition: a
    2-hour meeting has ~9,000 windows (GBs, minutes). So at most CLUSTERED windows, evenly
    spread, are clustered, and every window joins the speaker whose centre is nearest."""
    if len(vectors) <= CLUSTERED:
        return _cluster(vectors, num_speakers)
    chosen = np.linspace(0, len(vectors) - 1, CLUSTERED).astype(int)
    labels = _cluster(vectors[chosen], num_speakers)
    centres = np.array([vectors[chosen][labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True) + 1e-9
    return np.argmax(vectors @ centres.T, axis=1)


def _cluster(vectors: np.ndarray, num_speakers: int | None) -> np.ndarray:
    similarity = np.clip(vectors @ vectors.T, 0.0, 1.0)
    keep = max(MIN_NEIGHBOURS, int(NEIGHBOURS * len(vectors)))
    nearest = np.argsort(-similarity, axis=1)[:, :keep]
    rows = np.arange(len(vectors))[:, None]
    affinity = np.zeros_like(similarity)
    affinity[rows, nearest] = similarity[rows, nearest]
    affinity = (affinity + affinity.T) / 2
    # One step of diffusion (Wang et al. 2018): two windows are alike when they have the
    # same neighbours, which fills the gaps inside a voice and sharpens the eigengap; then
    # each row scaled to its largest. Auto-tuning the neighbours (Park et al. 2019, NME-SC)
    # and relative gaps were tried and counted fewer meetings right on the tune half.
    affinity = affinity @ affinity.T
    affinity /= affinity.max(axis=1, keepdims=True) + 1e-9
    affinity = (affinity + affinity.T) / 2
    degree = affinity.sum(axis=1) + 1e-9
    scale = 1 / np.sqrt(degree)
    laplacian = np.eye(len(vectors)) - scale[:, None] * affinity * scale[None, :]
    values, vectors_ = np.linalg.eigh(laplacian)
    count = num_speakers or _count(values)
    embedding = vectors_[:, :count]
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True) + 1e-9
    return KMeans(count, n_init=10, random_state=0).fit_predict(embedding)


def _count(eigenvalues: np.ndarray) -> int:
    """How many voices (two or more): where the smallest eigenvalues jump."""
    gaps = np.diff(eigenvalues[: MAX_SPEAKERS + 1])
    return int(np.argmax(gaps[1:]) + 2)


def _turns(times: Sequence[tuple[int, int]], labels: np.ndarray) -> list[SpeakerTurn]:
    """Each window speaks for the middle of itself; neighbours of one speaker join.
    Speakers are renumbered in the order they first speak."""
    order: dict[int, int] = {}
    turns: list[SpeakerTurn] = []
    for (start, end), label in zip(times, labels, strict=True):
        speaker = order.setdefault(int(label), len(order))
        middle = (start + end) // 2
        first, last = max(start, middle - STEP_MS // 2), min(end, middle + STEP_MS // 2)
        if turns and turns[-1].speaker == speaker and first - turns[-1].end_ms <= STEP_MS:
            turns[-1] = SpeakerTurn(turns[-1].start_ms, last, speaker)
        else:
            turns.append(SpeakerTurn(first, last, speaker))
    return turns


def _log_pitch(samples: np.ndarray) -> np.ndarray:
    """Log fundamental frequency per 10 ms (0 where unvoiced), by autocorrelation over
    30 ms frames, through the FFT. In stretches of PITCH_CHUNK frames: a 5-minute block
    done at once needs ~700 MB of frames and spectra (the 2-hour upload's peak)."""
    frame, hop = 3 * SAMPLE_RATE // 100, SAMPLE_RATE // 100
    count = max(0, (len(samples) - frame) // hop + 1)
    if not count:
        return np.zeros(0)
    pitch = np.concatenate([
        _chunk_pitch(samples, first, min(count, first + PITCH_CHUNK), frame, hop)
        for first in range(0, count, PITCH_CHUNK)
    ])
    return np.pad(pitch, (1, 1))  # frames are centred: 10 ms on either side


def _chunk_pitch(samples: np.ndarray, first: int, last: int, frame: int, hop: int) -> np.ndarray:
    index = np.arange(frame)[None, :] + hop * np.arange(first, last)[:, None]
    frames = samples[index]
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = np.square(frames).sum(axis=1)
    spectrum = np.fft.rfft(frames, n=2 * frame, axis=1)
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :frame]
    low, high = SAMPLE_RATE // F0_RANGE[1], SAMPLE_RATE // F0_RANGE[0]
    lag = low + np.argmax(autocorrelation[:, low:high], axis=1)
    strength = autocorrelation[np.arange(last - first), lag] / (energy + 1e-9)
    voiced = (strength > 0.5) & (energy > 1e-4)
    return np.where(voiced, np.log(SAMPLE_RATE / lag), 0.0)
