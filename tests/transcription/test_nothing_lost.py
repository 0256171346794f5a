"""Nothing said is lost: a meeting whose middle window Whisper finds doubtful keeps every
turn, uploaded or recorded live, and a live meeting's words never shrink when it ends.

`doubtful.flac` (tests/data/speech/README.md): Whisper gives its 27-58 s window a
no-speech probability of 0.57-0.61 with confident text (the figure moves with the CPU's
arithmetic; the clear windows get 0.12-0.35); a filter on that probability alone, at
Whisper's 0.6, dropped six turns, an action item among them.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from benchmarks.corpus.scoring import lost_turns
from meetings.models import Meeting
from meetings.services import meeting_end
from tests.conftest import SPEECH
from tests.factories import MeetingFactory
from tests.streaming import decode, record
from transcription import selectors
from transcription.engines.speech_local import LocalSpeechEngine
from transcription.models import Recording
from transcription.services import upload_create

DOUBTFUL = json.loads((SPEECH / "doubtful.json").read_text())
# The turns of the doubtful window, one an action item ("I will fix the rotation this week").
WINDOW_TURNS = [5, 6, 7, 8]
PHRASES = ["one in four", "nobody updated the schedule", "fix the rotation this week"]


def _hypothesis(segments) -> list[dict]:
    return [{"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text, "words": s.words} for s in segments]


def test_the_engine_keeps_confident_text_in_a_window_whisper_doubts():
    engine = LocalSpeechEngine(cpu_threads=2, num_workers=1)
    segments = list(engine.transcribe_file(decode(SPEECH / "doubtful.flac")))
    clear = min(s.no_speech_prob for s in segments)
    doubted = [s for s in segments if s.no_speech_prob > max(0.5, clear + 0.2)]
    assert doubted, "the fixture still makes Whisper doubt a window"
    assert any("rotation" in s.text.lower() for s in doubted)


@pytest.mark.django_db(transaction=True)
def test_an_upload_keeps_every_turn_of_the_doubtful_window(meeting, owner):
    upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("doubtful.flac", (SPEECH / "doubtful.flac").read_bytes()),
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    segments = list(selectors.segment_list(meeting=meeting))
    text = " ".join(s.text for s in segments).lower()
    for phrase in PHRASES:
        assert phrase in text
    lost = lost_turns(DOUBTFUL["turns"], _hypothesis(segments))
    assert not set(lost) & set(WINDOW_TURNS), lost
    assert len(lost) <= 1, lost  # a short thank-you may be misheard; never a stretch of the meeting


def _words_per_minute(segments) -> Counter:
    return Counter(w["start_ms"] // 60_000 for s in segments for w in s.words)


@pytest.mark.django_db(transaction=True)
def test_a_live_meeting_keeps_its_words_when_it_ends(workspace, owner):
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    asyncio.run(record(meeting, owner, SPEECH / "doubtful.flac"))
    live = list(selectors.segment_list(meeting=meeting))
    assert live and all(s.kind == "final" for s in live)
    meeting.refresh_from_db()
    meeting_end(meeting=meeting, membership=owner.memberships.get())
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    assert Recording.objects.get(meeting=meeting).status == Recording.Status.DONE
    refined = list(selectors.segment_list(meeting=meeting))
    assert refined and all(s.kind == "refined" for s in refined)
    before, after = _words_per_minute(live), _words_per_minute(refined)
    said = Counter(turn["start_ms"] // 60_000 for turn in DOUBTFUL["turns"] for _ in turn["text"].split())
    for minute, count in before.items():
        # Against what was said when the live text holds more: on a loaded machine its
        # finals once held 212 words of a minute in which 162 were said (a repeat).
        expected = min(count, said[minute])
        assert after[minute] >= 0.8 * expected, (minute, count, said[minute], after[minute])
    lost = lost_turns(DOUBTFUL["turns"], _hypothesis(refined))
    assert not set(lost) & set(WINDOW_TURNS), lost
    text = " ".join(s.text for s in refined).lower()
    for phrase in PHRASES:
        assert phrase in text
