"""Indexing: one passage per line, real embeddings, replaced whole, gone with the meeting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ask import embedder, services
from ask.models import MeetingIndex, Passage, WorkspaceIndex
from tests.factories import ParticipantFactory, SegmentFactory
from transcription.jobs import purge_expired
from transcription.models import Segment


def test_it_stores_one_passage_per_line_with_its_neighbours(standup: Any) -> None:
    count = services.meeting_index(meeting_id=standup.id)

    passages = list(Passage.objects.filter(meeting=standup).order_by("position"))
    assert count == len(passages) == 7
    carol = passages[5]
    assert carol.line == "I will write the survey report by Friday."
    assert carol.participant.name == "Carol"
    assert carol.before == "Alice: We decided to ship the mobile release on Monday."
    assert carol.after == "David: Thanks everyone. That is all for today."
    vector = np.frombuffer(bytes(carol.vector), dtype=np.float32)
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    state = MeetingIndex.objects.get(meeting=standup)
    assert (state.status, state.progress, state.passages) == ("done", 100, 7)


@pytest.mark.parametrize("count", range(9))
def test_every_line_is_in_a_window_of_at_most_three(count: int) -> None:
    windows = services._windows(count)

    assert sorted({i for w in windows for i in w}) == list(range(count))
    assert all(1 <= len(w) <= 3 for w in windows)
    # Each line embedded about 1.5 times, not twice (a line and its window).
    assert sum(len(w) for w in windows) <= 1.5 * count + 2
    # No two neighbours are in the same windows: each gets a vector of its own.
    holding = [{j for j, w in enumerate(windows) if i in w} for i in range(count)]
    assert all(a != b for a, b in zip(holding, holding[1:], strict=False))


def test_a_window_names_the_speaker_where_it_changes_and_only_once_named(meeting: Any) -> None:
    carol, voice = ParticipantFactory(meeting=meeting, name="Carol"), ParticipantFactory(meeting=meeting, name="Speaker 2")
    said = [(carol, "I will write the report."), (carol, "By Friday."), (voice, "Thanks."), (carol, "Bye.")]
    segments = [SegmentFactory(meeting=meeting, participant=who, text=text) for who, text in said]

    text = services._window_text(segments, range(4))

    assert text == "Carol: I will write the report.\nBy Friday.\nThanks.\nCarol: Bye."


def test_neighbouring_lines_get_vectors_of_their_own(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)
    vectors = [np.frombuffer(bytes(p.vector), dtype=np.float32) for p in Passage.objects.order_by("position")]

    assert all(float(a @ b) < 0.999 for a, b in zip(vectors, vectors[1:], strict=False))


def test_the_embedding_finds_the_line_by_meaning(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)
    vectors = {p.line: np.frombuffer(bytes(p.vector), dtype=np.float32) for p in Passage.objects.all()}
    question = embedder.query("who is writing the report about the survey?")

    best = max(vectors, key=lambda line: float(vectors[line] @ question))

    assert best == "I will write the survey report by Friday."


def test_indexing_again_replaces_the_passages_and_moves_the_version_on(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)
    version = WorkspaceIndex.objects.get(workspace=standup.workspace).version
    Segment.objects.filter(meeting=standup, text__startswith="Thanks").delete()

    services.meeting_index(meeting_id=standup.id)

    assert Passage.objects.filter(meeting=standup).count() == 6
    assert not Passage.objects.filter(line__startswith="Thanks").exists()
    assert WorkspaceIndex.objects.get(workspace=standup.workspace).version == version + 1


def test_lines_heard_as_speech_without_words_are_left_out(standup: Any) -> None:
    SegmentFactory(
        meeting=standup,
        kind=Segment.Kind.REFINED,
        text="[inaudible]",
        fallback="inaudible",
        start_ms=99_000,
        end_ms=99_500,
    )

    assert services.meeting_index(meeting_id=standup.id) == 7


def test_a_deleted_meeting_takes_its_passages_with_it(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)
    version = WorkspaceIndex.objects.get(workspace=standup.workspace).version

    standup.delete()

    assert not Passage.objects.exists()
    assert not MeetingIndex.objects.exists()
    assert WorkspaceIndex.objects.get(workspace=standup.workspace).version == version + 1


def test_the_retention_purge_takes_passages_with_the_meetings(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)
    workspace = standup.workspace
    workspace.retention_days = 1
    workspace.save()
    type(standup).objects.filter(pk=standup.pk).update(created_at="2020-01-01T00:00:00Z")

    assert purge_expired() == 1

    assert not Passage.objects.exists()


def test_indexing_a_deleted_meeting_does_nothing(db: Any) -> None:
    assert services.meeting_index(meeting_id=987654) == 0
    assert not MeetingIndex.objects.exists()


def test_a_workspace_can_be_deleted_with_its_index(standup: Any) -> None:
    services.meeting_index(meeting_id=standup.id)

    standup.workspace.delete()

    assert not Passage.objects.exists() and not WorkspaceIndex.objects.exists()
