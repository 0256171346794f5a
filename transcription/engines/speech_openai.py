"""Speech-to-text through OpenAI's audio transcription API (or a compatible server).

Audio goes up as an in-memory WAV. Retries (timeouts, 408/409/429, 5xx) are the
client's own; what still fails becomes an EngineError saying whether to try later.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx2
import numpy as np
import openai

from core.languages import LANGUAGE_CODES_BY_NAME, WHISPER_LANGUAGES

from ..audio import is_silent, quiet_cut, write_wav
from .base import SAMPLE_RATE, EngineError, EngineUnavailable, TranscribedSegment, Word, engine_error

# The API takes files up to 25 MB; 10 minutes of 16 kHz PCM16 is 19 MB. Chunks are cut at
# the quietest 100 ms of their last 30 s, so no word is split.
CHUNK_SECONDS = 600
CUT_SEARCH_SECONDS = 30
TRANSIENT_STATUSES = frozenset({408, 409, 429})


class OpenAISpeechEngine:
    name = "openai"

    def __init__(
        self,
        model: str = "whisper-1",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30,
        max_retries: int = 3,
        no_speech_threshold: float = 0.6,
        http_client: httpx2.Client | None = None,
        language: str | None = "en",
    ) -> None:
        self.model = model
        self.language = language
        self.no_speech_threshold = no_speech_threshold
        self._client = openai.OpenAI(
            api_key=api_key or None,
            base_url=base_url or None,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    def transcribe_utterance(
        self, audio: np.ndarray, *, prompt: str = "", hurried: bool = False
    ) -> TranscribedSegment | None:
        segments = self._transcribe(audio, offset_s=0.0, prompt=prompt)
        if not segments:
            return None
        return TranscribedSegment(
            start_ms=segments[0].start_ms,
            end_ms=segments[-1].end_ms,
            text=" ".join(s.text for s in segments),
            words=tuple(w for s in segments for w in s.words),
            no_speech_prob=max(s.no_speech_prob for s in segments),
        )

    def transcribe_partial(self, audio: np.ndarray, *, prompt: str = "") -> str:
        """No drafts: each would be a paid request that arrives after the next one is due.

        The live view shows finals only with this engine.
        """
        return ""

    def transcribe_file(
        self,
        audio: np.ndarray,
        *,
        on_progress: Callable[[float], None] | None = None,
        vad: bool = True,
        prompt: str = "",
    ) -> Iterator[TranscribedSegment]:
        """`vad` is the server's business: the API has no switch for it."""
        start = 0
        while start < len(audio):
            end = start + quiet_cut(audio[start:], CHUNK_SECONDS * SAMPLE_RATE, CUT_SEARCH_SECONDS * SAMPLE_RATE)
            yield from self._transcribe(audio[start:end], offset_s=start / SAMPLE_RATE, prompt=prompt)
            start = end
            if on_progress:
                on_progress(start / len(audio))
        if on_progress:
            on_progress(1.0)

    def text_scores(self, audio: np.ndarray, texts: Sequence[str]) -> list[float] | None:
        """The API gives no token probabilities for a text it did not write."""
        return None

    def detect_language(self, audio: np.ndarray) -> str | None:
        """As the API reports it on the first 30 s (whisper-1 only: the others say nothing)."""
        if not self.model.startswith("whisper") or is_silent(audio):
            return None
        response = self._request(audio[: 30 * SAMPLE_RATE], detect=True)
        name = str(getattr(response, "language", "") or "").lower()
        return name if name in WHISPER_LANGUAGES else LANGUAGE_CODES_BY_NAME.get(name)

    def _transcribe(self, audio: np.ndarray, *, offset_s: float, prompt: str = "") -> list[TranscribedSegment]:
        if is_silent(audio):
            return []
        response = self._request(audio, prompt=prompt)
        duration_s = len(audio) / SAMPLE_RATE
        if not getattr(response, "segments", None):
            text = response.text.strip()
            plain = TranscribedSegment(_ms(offset_s), _ms(offset_s + duration_s), text)
            return [plain] if text else []
        words = getattr(response, "words", None) or []
        return [
            _segment(s, words, offset_s)
            for s in response.segments
            if s.text.strip() and not self._is_silence(s)
        ]

    def _is_silence(self, segment: Any) -> bool:
        # OpenAI's own rule for its segments: likely no speech and a low-confidence text.
        return segment.no_speech_prob > self.no_speech_threshold and segment.avg_logprob < -1

    def _request(self, audio: np.ndarray, *, detect: bool = False, prompt: str = "") -> Any:
        wav = io.BytesIO()
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        write_wav(wav, pcm)
        # Only whisper-1 answers verbose_json (segments, words); gpt-4o models give text.
        verbose = self.model.startswith("whisper")
        options: dict[str, Any] = (
            {"response_format": "verbose_json", "timestamp_granularities": ["word", "segment"]}
            if verbose
            else {"response_format": "json"}
        )
        if self.language and not detect:
            options["language"] = self.language  # else the server detects it
        if prompt:
            options["prompt"] = prompt  # the words to expect: the API's own vocabulary hint
        try:
            return self._client.audio.transcriptions.create(
                model=self.model, file=("audio.wav", wav.getvalue(), "audio/wav"), **options
            )
        except openai.APIConnectionError as exc:  # includes timeouts
            raise EngineUnavailable(f"Speech API unreachable: {exc}") from exc
        except openai.APIStatusError as exc:
            transient = exc.status_code >= 500 or exc.status_code in TRANSIENT_STATUSES
            message = f"Speech API answered {exc.status_code}: {exc.message}"
            raise engine_error(message, transient=transient) from exc
        except openai.OpenAIError as exc:
            raise EngineError(f"Speech API failed: {exc}") from exc


def _segment(segment: Any, words: list[Any], offset_s: float) -> TranscribedSegment:
    # The API gives no per-word confidence; the segment's average stands in for it.
    probability = math.exp(segment.avg_logprob)
    inside = [w for w in words if segment.start <= w.start < segment.end]
    return TranscribedSegment(
        start_ms=_ms(offset_s + segment.start),
        end_ms=_ms(offset_s + segment.end),
        text=segment.text.strip(),
        words=tuple(
            Word(_ms(offset_s + w.start), _ms(offset_s + w.end), w.word.strip(), probability)
            for w in inside
        ),
        no_speech_prob=segment.no_speech_prob,
    )


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
