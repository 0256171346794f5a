"""The index follows the transcript: after the careful pass, a corrected line and a
renamed speaker, through transcription's signal and a Celery job (eager in tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ask.models import MeetingIndex, Passage
from ask.tasks import index_periodic
from meetings.models import Meeting
from meetings.services import participant_rename
from transcription import jobs
from transcription.services import segment_edit
from workspaces.models import Membership


def test_the_end_of_the_careful_pass_indexes_the_meeting(standup: Any, django_capture_on_commit_callbacks: Any) -> None:
    Meeting.objects.filter(pk=standup.pk).update(status=Meeting.Status.PROCESSING)
    standup.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        jobs._summarize_and_finish(standup)

    assert MeetingIndex.objects.get(meeting=standup).status == "done"
    assert Passage.objects.filter(meeting=standup).count() == 7


def test_a_corrected_line_is_indexed_again(owner: Any, indexed: Any, django_capture_on_commit_callbacks: Any) -> None:
    standup = indexed[0]
    segment = standup.segments.get(text__startswith="I will write")
    membership = Membership.objects.get(user=owner, workspace=standup.workspace)

    with django_capture_on_commit_callbacks(execute=True):
        segment_edit(segment=segment, membership=membership, text="I will write the churn analysis by Friday.")

    assert Passage.objects.get(segment=segment).line == "I will write the churn analysis by Friday."
    assert not Passage.objects.filter(line__contains="survey report").exists()


def test_a_renamed_speaker_is_indexed_again(owner: Any, indexed: Any, django_capture_on_commit_callbacks: Any) -> None:
    standup = indexed[0]
    carol = standup.participants.get(name="Carol")
    membership = Membership.objects.get(user=owner, workspace=standup.workspace)

    with django_capture_on_commit_callbacks(execute=True):
        participant_rename(participant=carol, membership=membership, name="Caroline")

    after_carol = Passage.objects.get(meeting=standup, line__startswith="Thanks everyone")
    assert after_carol.before == "Caroline: I will write the survey report by Friday."


def test_a_new_speaker_joining_does_not_index(standup: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        standup.participants.create(name="Guest")

    assert not MeetingIndex.objects.exists()


def test_an_index_whose_job_was_lost_is_queued_again_by_the_upkeep(
    standup: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The job was queued while the broker was away: the index says pending, and nothing runs it.
    MeetingIndex.objects.create(meeting=standup, workspace=standup.workspace, status=MeetingIndex.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        index_periodic()
    assert MeetingIndex.objects.get(meeting=standup).status == "pending", "a job that may still run is left alone"

    MeetingIndex.objects.filter(meeting=standup).update(
        updated_at=timezone.now() - timedelta(seconds=settings.MINA_JOB_STALLED_S + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        index_periodic()

    assert MeetingIndex.objects.get(meeting=standup).status == "done"
    assert Passage.objects.filter(meeting=standup).count() == 7


def test_an_index_that_keeps_dying_is_given_up_for_an_operator(
    standup: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    MeetingIndex.objects.create(
        meeting=standup, workspace=standup.workspace, status=MeetingIndex.Status.INDEXING,
        attempts=settings.MINA_JOB_MAX_ATTEMPTS,
    )
    MeetingIndex.objects.filter(meeting=standup).update(
        updated_at=timezone.now() - timedelta(seconds=settings.MINA_JOB_STALLED_S + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        index_periodic()

    state = MeetingIndex.objects.get(meeting=standup)
    assert state.status == "failed" and "without finishing" in state.error
    assert not Passage.objects.filter(meeting=standup).exists()
