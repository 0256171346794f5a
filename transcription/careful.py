"""The careful pass over a recording, one block at a time, and its promise: nothing said
is lost.

Whisper judges each 30 s window as a whole, and now and then calls a stretch of clear
speech "no speech" (a quiet or noisy speaker between clear ones): the careful text then
has a hole where the live transcript had words. So after each block, every stretch the
voice detector hears as speech but that has no careful words is heard again on its own;
where it still has none, the live pass's words there are kept (marked `live`), and
failing those the stretch is marked inaudible rather than silently skipped.

Plain Python over an engine: no Django, no I/O beyond the engine's own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from .audio import speech_spans
from .engines.base import SAMPLE_RATE, SpeechEngine, TranscribedSegment, Word
from .respell import on_audio, respell

# Word times are approximate: a word vouches for this much audio on each side of it.
WORD_REACH_MS = 500
# A live word the careful pass heard too, with times up to this far apart: not a second word.
SAME_WORD_REACH_MS = 2000
# Speech without words shorter than this is a breath or a pause, not something said.
GAP_MS = 1000
# A stretch heard again gets this much audio around it, so its first and last words are whole.
RETRY_PAD_MS = 500

# How often the caller hears of progress while blocks are being decoded.
PROGRESS_EVERY_S = 0.5

Span = tuple[int, int]


@dataclass(frozen=True)
class Line:
    """One line of the refined transcript: careful text, or what stands in for it."""

    segment: TranscribedSegment
    fallback: str = ""  # "", "live" or "inaudible" (Segment.Fallback)


def transcribe_block(
    engine: SpeechEngine,
    samples: np.ndarray,
    *,
    offset_ms: int,
    live: Sequence[TranscribedSegment] = (),
    on_progress: Callable[[float], None] | None = None,
    prompt: str = "",
    terms: Sequence[str] = (),
) -> list[Line]:
    """The careful lines of one block of a recording, times from the recording's start.

    `live` holds the recording's live finals (same time base); those of this block are
    the fallback for speech the careful pass did not hear. `terms` (the glossary's and the
    members' names) are respelt in every line, the engine judging careful lines on their audio.
    """
    end_ms = offset_ms + len(samples) * 1000 // SAMPLE_RATE
    careful = [s.shifted(offset_ms) for s in engine.transcribe_file(samples, on_progress=on_progress, prompt=prompt)]
    speech = [(offset_ms + start, offset_ms + end) for start, end in speech_spans(samples)]
    gaps = _unheard(speech, careful)
    retried = [s for gap in gaps for s in _hear_again(engine, samples, offset_ms, gap, prompt)]
    heard = careful + retried
    # A live word is kept unless a careful word overlaps it or is the same word nearby: a
    # short turn ("Sure.") between two careful words half a second away is no longer
    # taken as heard (tune split: 37 -> 33 turns lost, WER 13.12 -> 13.14 %).
    kept_live = unheard_live([s for s in live if offset_ms <= _middle(s) < end_ms], heard)
    inaudible = [TranscribedSegment(start, end, "") for start, end in _unheard(gaps, heard + kept_live)]
    if terms:
        heard = [respell(s, terms, on_audio(engine, samples, s, offset_ms)) for s in heard]
        # Live finals were judged when they were heard: the rules again, for a glossary since changed.
        kept_live = [respell(s, terms) for s in kept_live]
    lines = [Line(s) for s in heard] + [Line(s, "live") for s in kept_live] + [Line(s, "inaudible") for s in inaudible]
    return sorted(lines, key=lambda line: (line.segment.start_ms, line.segment.end_ms))


def transcribe_blocks(
    engine: SpeechEngine,
    blocks: Iterable[tuple[int, np.ndarray]],
    *,
    at_once: int,
    live: Sequence[TranscribedSegment] = (),
    on_progress: Callable[[int], None] | None = None,
    prompt: str = "",
    terms: Sequence[str] = (),
) -> Generator[tuple[int, int, list[Line]], None, None]:
    """`transcribe_block` over (offset in samples, samples) blocks, `at_once` of them
    decoded at the same time: (start_ms, end_ms, lines) of each block, in order.

    One decode on two threads leaves a core idle much of the time (the beam search and
    the word alignment are serial); two blocks on one thread each heard a 20-minute
    meeting in half the time, with the same words. `on_progress(ms)` (audio heard so
    far, from the first block's start) is called from this thread only, so it may
    write to the database; so may the caller between blocks.
    """
    heard: dict[int, int] = {}  # block start -> ms of it heard; written by the decoding threads
    pending: deque[tuple[int, int, Future[list[Line]]]] = deque()
    blocks = iter(blocks)

    def decode(start_ms: int, samples: np.ndarray) -> list[Line]:
        length = len(samples) * 1000 // SAMPLE_RATE

        def block_heard(fraction: float) -> None:
            heard[start_ms] = int(fraction * length)

        return transcribe_block(engine, samples, offset_ms=start_ms, live=live, on_progress=block_heard, prompt=prompt,
                                terms=terms)

    pool = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="careful")
    try:
        while True:
            # Keep `at_once` blocks decoding; a few finished ones may wait for an earlier one.
            while sum(not f.done() for _, _, f in pending) < at_once and len(pending) < 2 * at_once:
                block = next(blocks, None)
                if block is None:
                    break
                offset, samples = block
                start_ms = offset * 1000 // SAMPLE_RATE
                heard[start_ms] = 0
                end_ms = start_ms + len(samples) * 1000 // SAMPLE_RATE
                pending.append((start_ms, end_ms, pool.submit(decode, start_ms, samples)))
                del block, samples  # the decoding thread holds the only reference
            if not pending:
                return
            start_ms, end_ms, head = pending[0]
            if not head.done():
                wait([f for _, _, f in pending if not f.done()], timeout=PROGRESS_EVERY_S, return_when=FIRST_COMPLETED)
            # A later block that failed stops the pass now, not after the blocks before it.
            failed = next((f for _, _, f in pending if f.done() and f.exception() is not None), None)
            if failed is not None:
                failed.result()
            if on_progress:
                on_progress(sum(heard.values()))
            if head.done():
                pending.popleft()
                yield start_ms, end_ms, head.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _unheard(spans: Iterable[Span], segments: Sequence[TranscribedSegment]) -> list[Span]:
    """The parts of `spans` no word of `segments` vouches for, when long enough to matter."""
    covered = sorted(
        (w.start_ms - WORD_REACH_MS, w.end_ms + WORD_REACH_MS) for s in segments for w in _words_of(s)
    )
    gaps = []
    for start, end in spans:
        cursor = start
        for cover_start, cover_end in covered:
            if cover_end <= cursor or cover_start >= end:
                continue
            if cover_start - cursor >= GAP_MS:
                gaps.append((cursor, cover_start))
            cursor = max(cursor, cover_end)
        if end - cursor >= GAP_MS:
            gaps.append((cursor, end))
    return gaps


def _hear_again(
    engine: SpeechEngine, samples: np.ndarray, offset_ms: int, gap: Span, prompt: str
) -> list[TranscribedSegment]:
    """The gap alone, in a window of its own (no voice detector, no neighbours to drown
    it out); only the words that fall inside the gap, so nothing is heard twice."""
    clip_start = max(0, gap[0] - offset_ms - RETRY_PAD_MS)
    clip_end = gap[1] - offset_ms + RETRY_PAD_MS
    clip = samples[clip_start * SAMPLE_RATE // 1000 : clip_end * SAMPLE_RATE // 1000]
    found = []
    for segment in engine.transcribe_file(clip, vad=False, prompt=prompt):
        segment = segment.shifted(offset_ms + clip_start)
        inside = [w for w in _words_of(segment) if gap[0] <= (w.start_ms + w.end_ms) // 2 < gap[1]]
        if inside and segment.words:
            found.append(_from_words(inside, no_speech_prob=segment.no_speech_prob))
        elif inside:  # an engine without word times: the segment is one piece
            found.append(segment)
    return found


def unheard_live(
    live: Sequence[TranscribedSegment],
    heard: Sequence[TranscribedSegment],
    *,
    reach_ms: int = 0,
    same_word_reach_ms: int = SAME_WORD_REACH_MS,
) -> list[TranscribedSegment]:
    """Runs of live words that no careful word vouches for: a careful word vouches for
    the live words within `reach_ms` of it, and for itself within `same_word_reach_ms`
    (the defaults are the careful pass's rule)."""
    covered = [(w.start_ms, w.end_ms, _plain(w.word)) for s in heard for w in _words_of(s)]

    def vouched(word: Word) -> bool:
        plain = _plain(word.word)
        for start, end, said in covered:
            reach = same_word_reach_ms if said == plain else reach_ms
            if start - reach < word.end_ms and word.start_ms < end + reach:
                return True
        return False

    kept = []
    for segment in live:
        if not segment.words:
            if not any(vouched(w) for w in _words_of(segment)):
                kept.append(segment)
            continue
        run: list[Word] = []
        for word in [*segment.words, None]:
            if word is not None and not vouched(word):
                run.append(word)
            elif run:
                kept.append(_from_words(run, no_speech_prob=segment.no_speech_prob))
                run = []
    return kept


def _plain(word: str) -> str:
    """The word as both passes would agree on it: lower case, no punctuation."""
    return "".join(c for c in word.lower() if c.isalnum() or c == "'")


def _words_of(segment: TranscribedSegment) -> tuple[Word, ...]:
    """Its words, or the segment as one word when the engine gave no word times."""
    return segment.words or (Word(segment.start_ms, segment.end_ms, segment.text, 1.0),)


def _from_words(words: Sequence[Word], *, no_speech_prob: float) -> TranscribedSegment:
    return TranscribedSegment(
        start_ms=words[0].start_ms,
        end_ms=words[-1].end_ms,
        text=" ".join(w.word for w in words),
        words=tuple(words),
        no_speech_prob=no_speech_prob,
    )


def _middle(segment: TranscribedSegment) -> int:
    return (segment.start_ms + segment.end_ms) // 2
