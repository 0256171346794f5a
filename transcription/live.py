"""Live transcription pieces that know nothing of sockets or of where the model runs.

`Segmenter` cuts a 16 kHz PCM16 stream into utterances with webrtcvad on 30 ms frames:
a first partial snapshot `partial_first_ms` into an utterance and then one per
`partial_every_ms`, and the final as soon as the detector hears `silence_ms` of silence
(or at the maximum length). `LiveSession` decides what to transcribe and when (drafts,
finals, settling, load); `LoadMonitor` and `StreamStats` record how a stream went.
No Django, no sockets, no clock of its own: the audio consumer carries out the actions
and `transcribers.py` runs the model.
"""

from __future__ import annotations

import collections
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import webrtcvad

from .careful import WORD_REACH_MS, unheard_live
from .engines.base import SAMPLE_RATE, TranscribedSegment, Word

FRAME_MS = 30
EMPTY_DRAFT_RETRY_MS = 300
FRAME_BYTES = SAMPLE_RATE * 2 * FRAME_MS // 1000  # 960
QUIET_CUT_SEARCH_FRAMES = 3000 // FRAME_MS


@dataclass(frozen=True)
class Cut:
    """Audio to transcribe: `final` or a partial snapshot of utterance `utterance_id`."""

    utterance_id: str
    start_sample: int  # in the stream
    pcm: bytes
    final: bool

    @property
    def start_ms(self) -> int:
        return self.start_sample * 1000 // SAMPLE_RATE

    @property
    def end_sample(self) -> int:
        return self.start_sample + len(self.pcm) // 2

    @property
    def end_ms(self) -> int:
        return self.start_ms + len(self.pcm) * 1000 // (SAMPLE_RATE * 2)


@dataclass(frozen=True)
class LiveConfig:
    """The tunables of a live stream (the MINA_VAD_*, MINA_PARTIAL_*, MINA_SETTLE_* and
    MINA_OVERLOAD_* settings; the defaults here are theirs)."""

    aggressiveness: int = 2
    silence_ms: int = 300
    max_utterance_ms: int = 10_000
    padding_ms: int = 300
    partial_first_ms: int = 600
    partial_every_ms: int = 1200
    skip_partials_when_busy: bool = True
    settle_after_ms: int = 6000  # 0: no settling
    settle_after_busy_ms: int = 15_000  # while the workers are busy: fewer, longer settles
    overload_window_s: float = 5.0
    overload_skips: int = 3
    overload_backlog: int = 3
    overload_wait_ms: int = 1500


class Segmenter:
    def __init__(self, config: LiveConfig = LiveConfig(), *, start_sample: int = 0) -> None:
        self.vad = webrtcvad.Vad(config.aggressiveness)
        self.silence_frames = config.silence_ms // FRAME_MS
        self.max_frames = config.max_utterance_ms // FRAME_MS
        self.partial_frames = max(1, config.partial_every_ms // FRAME_MS)
        self.first_partial_frames = max(1, config.partial_first_ms // FRAME_MS)
        self.ring: collections.deque[tuple[bytes, bool]] = collections.deque(
            maxlen=max(1, config.padding_ms // FRAME_MS)
        )
        self.position = start_sample  # samples consumed into frames so far
        self.pending = b""
        self.frames: list[bytes] = []
        self.start_sample = 0
        self.trailing_silence = 0
        self.next_partial = 0
        self.utterance_id = ""

    @property
    def in_speech(self) -> bool:
        return bool(self.frames)

    def feed(self, pcm: bytes) -> list[Cut]:
        data = self.pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self.pending = data[whole:]
        cuts: list[Cut] = []
        for offset in range(0, whole, FRAME_BYTES):
            cut = self._frame(data[offset : offset + FRAME_BYTES])
            if cut is not None:
                cuts.append(cut)
        return cuts

    def flush(self) -> list[Cut]:
        """End of stream: whatever utterance is open becomes final."""
        if self.pending and self.in_speech:
            self.frames.append(self.pending)
        self.pending = b""
        return [self._final()] if self.in_speech else []

    def snapshot(self) -> Cut | None:
        """The open utterance so far, for a partial that had to wait for a free worker."""
        if not self.in_speech:
            return None
        return Cut(self.utterance_id, self.start_sample, b"".join(self.frames), final=False)

    def draft_sooner(self, utterance_id: str, after_ms: int) -> None:
        """A draft came back empty (a word just begun): try again after `after_ms` more
        audio instead of a whole `partial_every_ms`."""
        if self.in_speech and utterance_id == self.utterance_id:
            self.next_partial = min(self.next_partial, len(self.frames) + max(1, after_ms // FRAME_MS))

    def _frame(self, frame: bytes) -> Cut | None:
        speech = self.vad.is_speech(frame, SAMPLE_RATE)
        self.position += FRAME_BYTES // 2
        if not self.in_speech:
            self.ring.append((frame, speech))
            voiced = sum(1 for _, s in self.ring if s)
            if speech and voiced * 2 > self.ring.maxlen:  # type: ignore[operator]
                self._open()
            return None
        self.frames.append(frame)
        self.trailing_silence = 0 if speech else self.trailing_silence + 1
        if self.trailing_silence >= self.silence_frames:
            return self._final()
        if len(self.frames) >= self.max_frames:
            return self._cut_at_quietest()
        if len(self.frames) >= self.next_partial:
            self.next_partial = len(self.frames) + self.partial_frames
            return self.snapshot()
        return None

    def _open(self) -> None:
        self.frames = [f for f, _ in self.ring]
        self.ring.clear()
        self.start_sample = self.position - len(self.frames) * FRAME_BYTES // 2
        self.trailing_silence = 0
        # The first draft comes early (a speaker wants to see they are heard), then
        # one per `partial_every_ms`; counted in utterance frames, padding included.
        self.next_partial = max(self.first_partial_frames, len(self.frames) + 1)
        self.utterance_id = uuid.uuid4().hex[:12]

    def _cut_at_quietest(self) -> Cut:
        """At the maximum length: end the utterance at its quietest frame of the last few
        seconds (a pause between words or speakers, seldom mid-word) and go on with the rest."""
        search = min(len(self.frames) - 1, QUIET_CUT_SEARCH_FRAMES)
        energies = [np.square(np.frombuffer(f, dtype="<i2").astype(np.float32)).mean() for f in self.frames[-search:]]
        keep = len(self.frames) - search + int(np.argmin(energies)) + 1
        cut = Cut(self.utterance_id, self.start_sample, b"".join(self.frames[:keep]), final=True)
        self.frames = self.frames[keep:]
        self.start_sample += keep * FRAME_BYTES // 2
        self.trailing_silence = 0
        self.next_partial = len(self.frames) + self.partial_frames
        self.utterance_id = uuid.uuid4().hex[:12]
        return cut

    def _final(self) -> Cut:
        # Keep a little of the trailing silence: Whisper clips the last word without it.
        keep = len(self.frames) - max(0, self.trailing_silence - 5)
        cut = Cut(self.utterance_id, self.start_sample, b"".join(self.frames[:keep]), final=True)
        self.frames = []
        self.trailing_silence = 0
        return cut


# --- Load and stats ----------------------------------------------------------------------


class LoadMonitor:
    """Overloaded after `skips` signs of strain within `window_s`; normal again after
    `window_s` without any. A final that waited too long counts as `skips` signs."""

    def __init__(self, *, window_s: float, skips: int) -> None:
        self.window_s = window_s
        self.skips = skips
        self.signs: collections.deque[float] = collections.deque()
        self.overloaded = False

    def strain(self, now: float, weight: int = 1) -> bool | None:
        self.signs.extend([now] * weight)
        return self.check(now)

    def check(self, now: float) -> bool | None:
        """The new state when it changes, else None."""
        while self.signs and now - self.signs[0] > self.window_s:
            self.signs.popleft()
        overloaded = len(self.signs) >= self.skips if not self.overloaded else bool(self.signs)
        if overloaded == self.overloaded:
            return None
        self.overloaded = overloaded
        return overloaded


LATENCIES_KEPT = 1000  # enough for an hour of one speaker; older ones are dropped


@dataclass
class StreamStats:
    """How a live stream went, saved on its recording (added up over reconnects)."""

    audio_ms: int = 0
    processing_ms: int = 0
    partials: int = 0
    partials_skipped: int = 0
    finals: int = 0
    dropped: int = 0
    settles: int = 0
    settles_skipped: int = 0
    settle_corrections: int = 0
    final_latencies_ms: list[int] = field(default_factory=list)
    # Drafts shown: from the session asking for one to its text.
    partial_latencies_ms: list[int] = field(default_factory=list)
    overload_periods: list[dict[str, int]] = field(default_factory=list)

    @classmethod
    def resume(cls, saved: dict[str, Any] | None) -> StreamStats:
        stats = cls()
        counts = ("processing_ms", "partials", "partials_skipped", "finals", "dropped", "settles", "settles_skipped",
                  "settle_corrections")
        for name in counts:
            setattr(stats, name, int((saved or {}).get(name, 0)))
        stats.final_latencies_ms = list((saved or {}).get("final_latencies_ms", []))
        stats.partial_latencies_ms = list((saved or {}).get("partial_latencies_ms", []))
        stats.overload_periods = list((saved or {}).get("overload_periods", []))
        return stats

    def final_done(self, latency_ms: int) -> None:
        self.finals += 1
        self.final_latencies_ms = [*self.final_latencies_ms, latency_ms][-LATENCIES_KEPT:]

    def partial_done(self, latency_ms: int) -> None:
        self.partials += 1
        self.partial_latencies_ms = [*self.partial_latencies_ms, latency_ms][-LATENCIES_KEPT:]

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "final_latency_ms": _median_and_p90(self.final_latencies_ms),
            "partial_latency_ms": _median_and_p90(self.partial_latencies_ms),
            "overloaded_ms": sum(p["end_ms"] - p["start_ms"] for p in self.overload_periods),
        }


def _median_and_p90(latencies: list[int]) -> dict[str, int | None]:
    ordered = sorted(latencies)
    return {"median": _percentile(ordered, 50), "p90": _percentile(ordered, 90)}


def _percentile(ordered: list[int], percent: int) -> int | None:
    """Nearest rank: a latency that really happened, None without any."""
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


class MeetingLoad:
    """Per meeting, the streams of this process under strain: the meeting is `overloaded`
    while any is, and `normal` again when the last one recovers."""

    def __init__(self) -> None:
        self.strained: dict[int, set[str]] = {}

    def changes(self, meeting_id: int, stream: str, overloaded: bool) -> bool:
        """Record a stream's new state; True when the meeting's state changes with it."""
        streams = self.strained.setdefault(meeting_id, set())
        before = bool(streams)
        if overloaded:
            streams.add(stream)
        else:
            streams.discard(stream)
        if not streams:
            del self.strained[meeting_id]
        return before != bool(streams)


meeting_load = MeetingLoad()  # this process's streams (a meeting's streams may be on several)


# --- One stream's schedule -------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """Transcribe this snapshot of a growing utterance, for display; `offered_at` is when
    the session asked for it."""

    cut: Cut
    offered_at: float


@dataclass(frozen=True)
class Final:
    """Transcribe this utterance; `cut_at` is when the voice detector ended it."""

    cut: Cut
    cut_at: float


@dataclass(frozen=True)
class StoredFinal:
    """A stored final that a settle may correct (samples in the stream; `heard`, its text
    now, timed from the stream's start)."""

    segment_id: int
    start_sample: int
    end_sample: int
    heard: TranscribedSegment


@dataclass(frozen=True)
class Settle:
    """Transcribe this stretch of the stream again, as the careful pass does, and correct
    these finals with what it hears."""

    start_sample: int
    pcm: bytes
    lines: tuple[StoredFinal, ...]
    # Stretches (samples) of the finals the audio holds only in part (at the edge of the
    # context): their words are heard too, and are theirs, not a line's.
    others: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class LoadChanged:
    overloaded: bool


Action = Draft | Final | Settle | LoadChanged

SETTLE_MAX_MS = 28_000  # one Whisper window, with room for padding
SETTLE_PAD_MS = 200
# A settle hears up to this much of the stream before its first final (within one window):
# on the corpus's tune meetings, settled text 15.9 -> 15.5 % word error (10 s: 15.6 %) for
# a fifth more settling. None on an overloaded stream, whose settles yield. When no final
# and no other settle waits or runs (`idle`), it also hears the stream since its last final
# (tune 15.3 -> 15.1 %, held out 19.4 -> 18.5 %): such a settle holds a worker longer, and
# when every settle did, 8 streams on 2 cores waited 0.2-0.4 s longer for finals at p90.
SETTLE_CONTEXT_MS = 5000
SETTLE_EDGE_MS = 100  # a final this far inside a settle's audio is heard whole
# Finals left unsettled this long (settles skipped under load) stay as they are: the
# careful pass after the meeting hears them again; their audio is not kept for ever.
UNSETTLED_KEPT_MS = 60_000


class LiveSession:
    """What one live stream transcribes, and when. Plain Python: the caller passes the time
    (`now`, monotonic seconds), carries out the actions returned and reports results.

    - Finals: one per utterance the voice detector ends, transcribed in order, never skipped.
    - Drafts: a snapshot of a growing utterance once per `partial_every_ms`, only when a
      worker is free; a due draft waits for a later frame, and one that waits until the
      next falls due is skipped.
    - Settling: once the oldest unsettled final is `settle_after_ms` of stream old, the
      stretch of unsettled finals is transcribed again with context and beam search (the
      careful pass's way) and its words correct the finals where they differ. Settling
      yields to finals and drafts under load: it waits or is skipped, never the reverse.
    - Load: skipped drafts, a backlog of finals or a final that waited too long are signs
      of strain; enough of them in a window make the stream overloaded until a quiet one.
    """

    def __init__(
        self,
        config: LiveConfig = LiveConfig(),
        *,
        start_sample: int = 0,
        offset_ms: int = 0,
        stats: StreamStats | None = None,
    ) -> None:
        self.config = config
        self.offset_ms = offset_ms  # where the stream starts in the meeting
        self.overload_started_ms = 0
        self.segmenter = Segmenter(config, start_sample=start_sample)
        self.stats = stats or StreamStats()
        self.load = LoadMonitor(window_s=config.overload_window_s, skips=config.overload_skips)
        self.drafting: set[str] = set()  # utterances with a draft being transcribed
        self.deferred: str | None = None  # a due draft waiting for a free worker
        self.finalised: set[str] = set()
        self.finals_waiting = 0
        self.unsettled: list[StoredFinal] = []
        self.stored: list[StoredFinal] = []  # every final still in reach of a settle
        self.settling = False
        self.settle_not_before = 0  # a skipped settle waits a period before the next try
        self.audio = bytearray()  # the stream from `audio_start` on, for settling
        self.audio_start = start_sample

    @property
    def overloaded(self) -> bool:
        """Under strain now: drafts wait or are skipped, settles yield, finals are heard once."""
        return self.load.overloaded

    @property
    def position(self) -> int:
        """Samples of the stream heard so far."""
        return self.audio_start + len(self.audio) // 2

    def feed(self, pcm: bytes, *, now: float, capacity: bool, idle: bool = False) -> list[Action]:
        """New audio; `capacity` says whether a worker is free for a draft now, `idle`
        whether no final and no settle of any stream waits or runs: a settle due now may
        then hear the stream up to now."""
        self.audio += pcm
        actions: list[Action] = []
        for cut in self.segmenter.feed(pcm):
            actions += self._final(cut, now) if cut.final else self._offer_draft(cut, now, capacity)
        actions += self._retry_deferred(now, capacity)
        actions += self._load(self.load.check(now))
        actions += self._settle_if_due(idle)
        self._forget_old_audio()
        return actions

    def flush(self, now: float) -> list[Action]:
        """The stream ends: whatever utterance is open becomes final."""
        actions: list[Action] = []
        for cut in self.segmenter.flush():
            actions += self._final(cut, now)
        return actions

    # --- Drafts --------------------------------------------------------------------

    def _may_draft(self, utterance_id: str, capacity: bool) -> bool:
        if not self.config.skip_partials_when_busy:
            return True
        return capacity and utterance_id not in self.drafting

    def _offer_draft(self, cut: Cut, now: float, capacity: bool) -> list[Action]:
        if not self._may_draft(cut.utterance_id, capacity):
            actions = self._skip_draft(now) if self.deferred is not None else []  # the waiting draft was never sent
            self.deferred = cut.utterance_id
            return actions
        self.deferred = None
        self.drafting.add(cut.utterance_id)
        return [Draft(cut, now)]

    def _retry_deferred(self, now: float, capacity: bool) -> list[Action]:
        """A due draft runs as soon as a worker is free, on the utterance as it is now."""
        snapshot = self.segmenter.snapshot()
        if self.deferred is None or snapshot is None or snapshot.utterance_id != self.deferred:
            return []
        return self._offer_draft(snapshot, now, capacity) if self._may_draft(self.deferred, capacity) else []

    def _skip_draft(self, now: float) -> list[Action]:
        """A due draft never shown (superseded, or expired unrun): a sign of strain."""
        self.stats.partials_skipped += 1
        return self._load(self.load.strain(now))

    def draft_done(
        self, draft: Draft, text: str | None, *, processing_ms: int, now: float
    ) -> tuple[str | None, list[Action]]:
        """The text to show for a draft (None: nothing to show), and what follows from it.

        `text` None means the draft expired unrun (no worker took it in time)."""
        cut = draft.cut
        self.drafting.discard(cut.utterance_id)
        self.stats.processing_ms += processing_ms
        if text is None:
            return None, self._skip_draft(now)
        if cut.utterance_id in self.finalised:  # a late draft would undo the final
            return None, []
        if not text:  # a word just begun: try again sooner than a whole period
            self.segmenter.draft_sooner(cut.utterance_id, EMPTY_DRAFT_RETRY_MS)
            return None, []
        self.stats.partial_done(int((now - draft.offered_at) * 1000))
        return text, []

    # --- Finals ----------------------------------------------------------------------

    def _final(self, cut: Cut, now: float) -> list[Action]:
        actions: list[Action] = []
        if self.deferred == cut.utterance_id:
            actions += self._skip_draft(now)
            self.deferred = None
        self.finals_waiting += 1
        actions.append(Final(cut, now))
        if self.finals_waiting >= self.config.overload_backlog:
            actions += self._load(self.load.strain(now, self.config.overload_skips))
        return actions

    def final_done(
        self, final: Final, result: TranscribedSegment | None, *, processing_ms: int, now: float
    ) -> list[Action]:
        """A final is transcribed (`result` None: nothing worth keeping, dropped)."""
        self.finals_waiting -= 1
        self.finalised.add(final.cut.utterance_id)
        self.stats.processing_ms += processing_ms
        if result is None:
            self.stats.dropped += 1
            return []
        latency_ms = int((now - final.cut_at) * 1000)
        self.stats.final_done(latency_ms)
        if latency_ms - processing_ms > self.config.overload_wait_ms:  # it queued too long
            return self._load(self.load.strain(now, self.config.overload_skips))
        return []

    def final_stored(self, final: Final, segment_id: int, result: TranscribedSegment) -> None:
        """A final is stored as `segment_id`; `result` as transcribed (timed from its cut).
        Only one the model was unsure of calls for a settle: hearing a sure one again
        seldom changes a word (on the corpus, settling only the others cost 0.4 point of
        word error and saved 60 % of settling's compute); a sure one a settle hears anyway,
        as context, it corrects too."""
        if not self.config.settle_after_ms:
            return
        cut = final.cut
        stored = StoredFinal(segment_id, cut.start_sample, cut.end_sample, result.shifted(cut.start_ms))
        self.stored.append(stored)
        if not result.confident:
            self.unsettled.append(stored)

    # --- Settling --------------------------------------------------------------------

    def _settle_if_due(self, idle: bool) -> list[Action]:
        """A settle once the oldest unsettled final is `settle_after_ms` old while the workers
        are idle (it then hears the stream since), else `settle_after_busy_ms`: a settle that
        waits longer hears more finals at once, each with its neighbours (on the corpus's tune
        meetings, settled text 14.8 -> 14.3 % with the workers busy, for less compute)."""
        if self.settling or not self.unsettled or self.position < self.settle_not_before:
            return []
        after = max(self.config.settle_after_ms, 0 if idle else self.config.settle_after_busy_ms)
        due = self.unsettled[0].end_sample + after * SAMPLE_RATE // 1000
        return [self._settle(idle)] if self.position >= due else []

    def settle_remaining(self, *, idle: bool = False) -> Settle | None:
        """At the end of a stream: settle what is left now, without waiting."""
        return None if self.settling or not self.unsettled else self._settle(idle)

    def _settle(self, idle: bool) -> Settle:
        first = self.unsettled[0]
        window = SETTLE_MAX_MS * SAMPLE_RATE // 1000
        lines = tuple(u for u in self.unsettled if u.end_sample <= first.start_sample + window) or (first,)
        pad = SETTLE_PAD_MS * SAMPLE_RATE // 1000
        context = 0 if self.overloaded else SETTLE_CONTEXT_MS * SAMPLE_RATE // 1000
        since = idle and not self.overloaded  # the stream after the lines too, up to now
        end = self.position if since else min(self.position, lines[-1].end_sample + pad)
        start = max(first.start_sample - pad - context, end - window)  # context within one window
        start = max(self.audio_start, min(start, first.start_sample - pad))
        end = min(end, max(start + window, lines[-1].end_sample + pad))  # the lines first
        self.settling = True
        pcm = bytes(self.audio[(start - self.audio_start) * 2 : (end - self.audio_start) * 2])
        # Finals it hears whole are settled too, the sure ones included (no more compute).
        edge = SETTLE_EDGE_MS * SAMPLE_RATE // 1000
        whole = {u.segment_id for u in self.stored if u.start_sample >= start + edge and u.end_sample <= end - edge}
        chosen = whole | {u.segment_id for u in lines}
        lines = tuple(u for u in self.stored if u.segment_id in chosen)
        others = tuple(
            (u.start_sample, u.end_sample)
            for u in self.stored
            if u.start_sample < end and u.end_sample > start and u.segment_id not in chosen
        )
        return Settle(start, pcm, lines, others)

    def settle_done(
        self, settle: Settle, result: list[TranscribedSegment] | None, *, processing_ms: int
    ) -> list[tuple[StoredFinal, TranscribedSegment]]:
        """The finals the settle changes, each with its new text and words (times from the
        stream's start); a final it heard no words in keeps its own. `result` None: skipped
        under load, tried again a period later."""
        self.settling = False
        self.stats.processing_ms += processing_ms
        if result is None:
            self.stats.settles_skipped += 1
            self.settle_not_before = self.position + self.config.settle_after_ms * SAMPLE_RATE // 1000
            return []
        self.stats.settles += 1
        settled = {u.segment_id for u in settle.lines}
        self.unsettled = [u for u in self.unsettled if u.segment_id not in settled]
        offset_ms = settle.start_sample * 1000 // SAMPLE_RATE
        heard = [segment.shifted(offset_ms) for segment in result]
        # Where the second hearing has no words but the final had some, the final's stay:
        # Whisper now and then skips a stretch of a window (the careful pass's rule, with
        # the reach it had before the same-word rule, which was measured there only).
        kept = unheard_live(
            [line.heard for line in settle.lines], heard, reach_ms=WORD_REACH_MS, same_word_reach_ms=WORD_REACH_MS
        )
        words = sorted((w for segment in heard + kept for w in segment.words), key=lambda w: w.start_ms)
        corrections = []
        for line, mine in zip(settle.lines, _words_by_line(settle, words), strict=True):
            text = " ".join(w.word for w in mine)
            if mine and text != line.heard.text:
                corrected = TranscribedSegment(
                    start_ms=mine[0].start_ms,
                    end_ms=mine[-1].end_ms,
                    text=text,
                    words=tuple(mine),
                    no_speech_prob=max(s.no_speech_prob for s in result),
                )
                corrections.append((line, corrected))
        self.stats.settle_corrections += len(corrections)
        now = {line.segment_id: fixed for line, fixed in corrections}  # what a later settle corrects
        self.stored = [replace(u, heard=now[u.segment_id]) if u.segment_id in now else u for u in self.stored]
        return corrections

    def _forget_old_audio(self) -> None:
        """Keep the audio a settle may still need, and no more."""
        too_old = self.position - UNSETTLED_KEPT_MS * SAMPLE_RATE // 1000
        self.unsettled = [u for u in self.unsettled if u.end_sample >= too_old]
        self.stored = [u for u in self.stored if u.end_sample >= too_old]
        keep_from = self.position - SETTLE_MAX_MS * SAMPLE_RATE // 1000
        if self.unsettled:
            before = (SETTLE_PAD_MS + SETTLE_CONTEXT_MS) * SAMPLE_RATE // 1000
            keep_from = min(keep_from, self.unsettled[0].start_sample - before)
        if self.segmenter.in_speech:
            keep_from = min(keep_from, self.segmenter.start_sample)
        drop = max(0, keep_from - self.audio_start)
        if drop * 2 > len(self.audio) // 2:  # in large steps: a bytearray shifts what stays
            del self.audio[: drop * 2]
            self.audio_start += drop

    # --- Load ------------------------------------------------------------------------

    def _load(self, overloaded: bool | None) -> list[Action]:
        """A change of load, with the overloaded period noted (meeting time) once it ends."""
        if overloaded is None:
            return []
        position_ms = self.offset_ms + self.position * 1000 // SAMPLE_RATE
        if overloaded:
            self.overload_started_ms = position_ms
        else:
            self.stats.overload_periods.append({"start_ms": self.overload_started_ms, "end_ms": position_ms})
        return [LoadChanged(overloaded)]

    def end(self) -> list[Action]:
        """The stream is over: an overloaded stream is under strain no longer."""
        if not self.load.overloaded:
            return []
        self.load.overloaded = False
        return self._load(False)

    def stats_json(self) -> dict[str, Any]:
        """How the stream went, for its recording (`audio_ms`: all of it, reconnects included)."""
        self.stats.audio_ms = self.position * 1000 // SAMPLE_RATE
        return self.stats.as_json()


def _words_by_line(settle: Settle, words: list[Word]) -> list[list[Word]]:
    """Each word to the line whose stretch holds its middle, or the nearest one; a word
    nearer another final, or outside the lines' stretch (context), is not the lines'."""
    by_line: list[list[Word]] = [[] for _ in settle.lines]
    stretches = [(u.start_sample, u.end_sample) for u in settle.lines] + list(settle.others)
    spans = [(start * 1000 // SAMPLE_RATE, end * 1000 // SAMPLE_RATE) for start, end in stretches]
    first_ms, last_ms = spans[0][0] - SETTLE_PAD_MS, spans[len(by_line) - 1][1] + SETTLE_PAD_MS
    for word in words:
        middle = (word.start_ms + word.end_ms) // 2
        if not first_ms <= middle <= last_ms:
            continue
        nearest = min(range(len(spans)), key=lambda i: max(spans[i][0] - middle, middle - spans[i][1], 0))
        if nearest < len(by_line):
            by_line[nearest].append(word)
    return by_line
