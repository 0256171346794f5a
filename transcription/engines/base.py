"""The small interfaces every engine implements.

Engines are plain Python (no Django models, no I/O beyond their own service), so they
can be tested alone and swapped by settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16_000
SURE_WORD, SURE_LINE = 0.2, 0.7  # a confident line's least and average word probability


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    word: str
    probability: float


@dataclass(frozen=True)
class TranscribedSegment:
    """A piece of transcript; times are relative to the start of the audio given."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    no_speech_prob: float = 0.0

    @property
    def confident(self) -> bool:
        """The model was sure of every word and of the line as a whole: hearing such a line
        again seldom changes a word, hearing the others again often does."""
        chances = [w.probability for w in self.words]
        return bool(chances) and min(chances) >= SURE_WORD and sum(chances) / len(chances) >= SURE_LINE

    def shifted(self, ms: int) -> TranscribedSegment:
        """The same segment, `ms` later (from a clip's time base to its recording's)."""
        return TranscribedSegment(
            start_ms=self.start_ms + ms,
            end_ms=self.end_ms + ms,
            text=self.text,
            words=tuple(Word(w.start_ms + ms, w.end_ms + ms, w.word, w.probability) for w in self.words),
            no_speech_prob=self.no_speech_prob,
        )


@dataclass(frozen=True)
class Hearing:
    """How a meeting is to be heard: its language (a Whisper code, or "auto") and the
    words to expect (its workspace's glossary and members' names)."""

    language: str = "en"
    prompt: str = ""
    # The glossary's terms and the members' names: what a misheard word is respelt to.
    terms: tuple[str, ...] = ()


class SpeechEngine(Protocol):
    name: str
    model: str
    language: str | None  # what is spoken; None: detected on each call

    def detect_language(self, audio: np.ndarray) -> str | None:
        """The language spoken in `audio`, or None when this engine cannot tell."""

    def transcribe_utterance(
        self, audio: np.ndarray, *, prompt: str = "", hurried: bool = False
    ) -> TranscribedSegment | None:
        """Fast pass for one live utterance (float32 mono 16 kHz).

        Returns None when there is nothing worth keeping (empty text, silence, a
        hallucination on noise). Every pass takes `prompt`: the words to expect (the
        workspace's glossary and members' names), so they are spelt as the team does.
        `hurried`: the stream is overloaded, so nothing beyond the first decode (no second
        look at a final the model was unsure of).
        """

    def transcribe_partial(self, audio: np.ndarray, *, prompt: str = "") -> str:
        """Cheapest draft of a growing utterance, for display only."""

    def text_scores(self, audio: np.ndarray, texts: Sequence[str]) -> list[float] | None:
        """How likely the model finds each of `texts` as what `audio` says (log-probability,
        higher is likelier), to choose between readings of one line; None when this engine
        cannot tell."""

    def transcribe_file(
        self,
        audio: np.ndarray,
        *,
        on_progress: Callable[[float], None] | None = None,
        vad: bool = True,
        prompt: str = "",
    ) -> Iterator[TranscribedSegment]:
        """Careful pass over a whole recording (beam search, word timestamps).

        Calls on_progress with the fraction of audio done (0.0-1.0) as it goes. `vad=False`
        hears the audio whole, without skipping what a voice detector calls silence (a
        second try on a stretch of speech that came back without words).
        """


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of a recording (ms) and who spoke it: speakers numbered 0, 1, … in the
    order they first speak."""

    start_ms: int
    end_ms: int
    speaker: int


class DiarizationEngine(Protocol):
    """Who spoke when. The job hands over the windows of each block of at most `block_s`
    seconds (the engine's memory), then asks once."""

    name: str
    block_s: float

    def windows(self, samples: np.ndarray, speech: Sequence[tuple[int, int]], *, offset_ms: int = 0) -> Any:
        """What `speakers` needs of one block (`speech`: its spans of speech, in ms)."""

    def speakers(self, windows: Any, *, num_speakers: int | None = None) -> list[SpeakerTurn]:
        """Who spoke when, from the windows of every block (`num_speakers` when known)."""


@dataclass(frozen=True)
class Utterance:
    """One line of transcript handed to a summary engine."""

    text: str
    start_ms: int
    speaker: str | None = None
    segment_id: int | None = None


@dataclass(frozen=True)
class ActionItem:
    title: str
    owner_name: str | None = None
    due_date: date | None = None
    segment_id: int | None = None
    # How sure the engine is that this was said as a task, 0-1: a clear one ("I will ...",
    # a request that was answered "sure") is accepted at once, a doubtful one suggested.
    confidence: float = 0.5


@dataclass
class Insights:
    overview: str
    key_points: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    # Asked and left open (nobody knew, or it was put off), as a question.
    questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WrittenAnswer:
    """An answer written from numbered passages, citing them by number (1-based)."""

    text: str
    known: bool
    citations: list[int] = field(default_factory=list)


class SummaryEngine(Protocol):
    name: str
    model: str

    def summarize(
        self,
        utterances: Sequence[Utterance],
        *,
        meeting_date: date,
        default_speaker: str | None = None,
        language: str | None = None,
    ) -> Insights:
        """default_speaker owns "I will ..." items whose utterance has no speaker; language
        is what the transcript is in (a Whisper code; None: unknown)."""


class EngineError(Exception):
    """An engine failed, and trying again will not help (a bad answer, a refused key)."""

    transient = False


class UnsupportedLanguage(EngineError):
    """The speech engine cannot transcribe the language asked for."""


class EngineUnavailable(EngineError):
    """An engine failed in a way that trying again later may mend (a timeout, a 5xx)."""

    transient = True


def engine_error(message: str, *, transient: bool) -> EngineError:
    return EngineUnavailable(message) if transient else EngineError(message)
