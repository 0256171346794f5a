"""Writes for meetings, participants and tasks."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import audit
from core.errors import Conflict, Forbidden, Invalid
from core.languages import CODES
from workspaces.models import Membership, Role, Workspace
from workspaces.selectors import require_role

from . import events
from .models import UNNAMED, Meeting, Participant, Series, Summary, Task
from .selectors import can_edit_meeting, can_edit_task
from .signals import meeting_ended, meeting_ready, send_on_commit, task_created, task_updated

logger = logging.getLogger(__name__)


def _send_on_commit(meeting_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: events.send(meeting_id, event))


def series_for(*, workspace: Workspace, name: str) -> Series | None:
    """The workspace's series of that name, made on first use; None for no name."""
    name = " ".join(name.split())[:100]
    if not name:
        return None
    series, _ = Series.objects.get_or_create(workspace=workspace, name=name)
    return series


def meeting_create(
    *, membership: Membership, title: str, language: str | None = None, series: str = ""
) -> Meeting:
    """language: a Whisper code or "auto"; None takes the workspace's. series: the name
    of the recurring meeting it is one of (made on first use), or empty."""
    require_role(membership, Role.MEMBER)
    title = title.strip()
    if not title:
        raise Invalid("Give the meeting a title.", fields={"title": ["This field is required."]})
    language = language or membership.workspace.language
    if language not in CODES:
        raise Invalid(f"Unknown language {language!r}.", fields={"language": [f"Choose one of: {', '.join(CODES)}."]})
    return Meeting.objects.create(
        workspace=membership.workspace, title=title[:200], organizer=membership.user, language=language,
        series=series_for(workspace=membership.workspace, name=series),
    )


def meeting_update(
    *, meeting: Meeting, membership: Membership, title: str | None = None, series: str | None = None
) -> Meeting:
    """Rename it, or put it in a series (by name; empty takes it out); None leaves each as it is."""
    if not can_edit_meeting(meeting, membership):
        raise Forbidden("Only the organizer or a workspace admin can change this meeting.")
    if title is not None:
        title = title.strip()
        if not title:
            raise Invalid("Give the meeting a title.", fields={"title": ["This field is required."]})
        meeting.title = title[:200]
    if series is not None:
        meeting.series = series_for(workspace=meeting.workspace, name=series)
    meeting.save(update_fields=["title", "series"])
    return meeting


def meeting_delete(*, meeting: Meeting, membership: Membership) -> None:
    if not can_edit_meeting(meeting, membership):
        raise Forbidden("Only the organizer or a workspace admin can delete this meeting.")
    audit.record("meeting_deleted", actor=membership.user, workspace=meeting.workspace, target=meeting,
                 title=meeting.title)
    meeting.delete()  # with everything of it; each app removes the files it kept


@transaction.atomic
def meeting_go_live(*, meeting_id: int) -> Meeting:
    """The first `start` on an audio socket makes a scheduled meeting live; an ended one
    can no longer be recorded (checked under the lock, so a meeting ending meanwhile is)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if not meeting.is_liveable:
        raise Conflict(f"This meeting is {meeting.status}; it can no longer be recorded.", code="not_live")
    if meeting.status == Meeting.Status.SCHEDULED:
        meeting.status = Meeting.Status.LIVE
        meeting.started_at = timezone.now()
        meeting.save(update_fields=["status", "started_at"])
        _send_on_commit(meeting.id, events.meeting_status(meeting))
    return meeting


@transaction.atomic
def meeting_end(*, meeting: Meeting, membership: Membership | None) -> Meeting:
    """Live → processing; the apps above do what follows (`meeting_ended`: the careful
    pass, the summary). `membership` None means the idle timer."""
    if membership is not None and not can_edit_meeting(meeting, membership):
        raise Forbidden("Only the organizer or a workspace admin can end this meeting.")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.LIVE:
        raise Invalid(f"Only a live meeting can be ended; this one is {meeting.status}.", code="not_live")
    meeting.status = Meeting.Status.PROCESSING
    meeting.ended_at = timezone.now()
    meeting.save(update_fields=["status", "ended_at"])
    _send_on_commit(meeting.id, events.meeting_status(meeting))
    meeting_ended.send(sender=Meeting, meeting=meeting)
    logger.info("meeting ended meeting=%s by=%s", meeting.id, membership.user_id if membership else "idle")
    return meeting


def meeting_set_status(*, meeting: Meeting, status: str, error: str = "") -> Meeting:
    became_ready = status == Meeting.Status.READY and meeting.status != Meeting.Status.READY
    meeting.status = status
    meeting.error = error
    meeting.save(update_fields=["status", "error"])
    _send_on_commit(meeting.id, events.meeting_status(meeting))
    if became_ready:
        send_on_commit(meeting_ready, meeting=meeting)
    return meeting


def meeting_language_detected(*, meeting: Meeting, language: str) -> Meeting:
    """What the careful pass heard in a meeting set to "auto"; shown with the meeting."""
    meeting.detected_language = language
    meeting.save(update_fields=["detected_language"])
    _send_on_commit(meeting.id, events.meeting_status(meeting))
    return meeting


def participant_for_stream(*, meeting: Meeting, user: Any, guest_name: str = "") -> Participant:
    """The speaker label for a stream: the signed-in member, or a named guest."""
    guest_name = guest_name.strip()[:150]
    if guest_name:
        participant, _ = Participant.objects.get_or_create(
            meeting=meeting, user=None, name=guest_name
        )
        return participant
    participant, _ = Participant.objects.get_or_create(
        meeting=meeting, user=user, defaults={"name": user.name}
    )
    return participant


@transaction.atomic
def participant_rename(
    *, participant: Participant, membership: Membership, name: str = "", user: Any = None
) -> Participant:
    """Name a speaker: a workspace member (`user`), or a guest's name. Every line is theirs
    at once (lines point to the participant), the open tasks the meeting gave the old
    label ("I will …" said by "Speaker 2") go to the member, or carry the new name, and the
    task titles and the summary that name such a label ("Send Speaker 2 the notes", "two
    action items for Speaker 2") name the person (a name a person gave is left in the
    text: "Will" renamed is no reason to touch "Will we ship?")."""
    require_role(membership, Role.MEMBER)
    workspace = participant.meeting.workspace
    if user is None and name.strip():  # a member's very name: that member
        named = [m.user for m in workspace.memberships.select_related("user") if m.user.name == name.strip()]
        user = named[0] if len(named) == 1 else None
    if user is not None:
        _check_assignee(workspace, user)
        name = name.strip() or user.name
    name = name.strip()[:150]
    if not name:
        raise Invalid("Give the participant a name, or choose a member.", fields={"name": ["This field is required."]})
    old = participant.name
    participant.name, participant.suggested_name, participant.suggestion_reason = name, "", ""
    if user is not None:
        participant.user = user
    participant.save(update_fields=["name", "user", "suggested_name", "suggestion_reason"])
    label = re.compile(rf"\b{re.escape(old)}\b") if UNNAMED.fullmatch(old) else None
    unedited = Task.objects.filter(meeting_id=participant.meeting_id, edited=False).select_related("assignee")
    if label is None:  # only the tasks the old name owned change
        unedited = unedited.filter(assignee__isnull=True, owner_name=old)
    for task in unedited:
        followed = task.assignee_id is None and task.owner_name == old
        title = _renamed(task.title, label, name) if label else task.title
        if not followed and title == task.title:
            continue
        if followed:
            task.assignee, task.owner_name = participant.user, "" if participant.user else name
        task.title = title
        task.save(update_fields=["assignee", "owner_name", "title"])
        _send_on_commit(participant.meeting_id, events.task_event(task, created=False))
        send_on_commit(task_updated, task=task)
    if label:
        _rename_in_summary(participant.meeting_id, label, name)
    _send_on_commit(participant.meeting_id, events.participant_renamed(participant))
    return participant


def _rename_in_summary(meeting_id: int, label: re.Pattern[str], name: str) -> None:
    """The meeting's summary with the label replaced ("two action items for Speaker 2")."""
    summary = Summary.objects.filter(meeting_id=meeting_id).first()
    if summary is None:
        return
    said = {field: getattr(summary, field) for field in ("overview", "key_points", "decisions", "questions")}
    renamed = _renamed(said, label, name)
    if renamed == said:
        return
    for field, value in renamed.items():
        setattr(summary, field, value)
    summary.save(update_fields=[*renamed, "updated_at"])
    _send_on_commit(meeting_id, events.summary_ready(summary))


def _renamed(value: Any, label: re.Pattern[str], name: str) -> Any:
    """`value` (a title, or a summary's fields: strings and lists of strings) with the label
    replaced by `name`, taken literally."""
    if isinstance(value, str):
        return label.sub(lambda _: name, value)
    if isinstance(value, list):
        return [_renamed(item, label, name) for item in value]
    if isinstance(value, dict):
        return {key: _renamed(item, label, name) for key, item in value.items()}
    return value


def participant_suggestion_dismiss(*, participant: Participant, membership: Membership) -> Participant:
    require_role(membership, Role.MEMBER)
    participant.suggested_name, participant.suggestion_reason = "", ""
    participant.save(update_fields=["suggested_name", "suggestion_reason"])
    return participant


def _check_assignee(workspace: Workspace, assignee: Any) -> None:
    if assignee is not None and not workspace.memberships.filter(user=assignee).exists():
        raise Invalid(
            "The assignee must be a member of this workspace.",
            fields={"assignee": ["Not a member of this workspace."]},
        )


def task_create(
    *,
    membership: Membership,
    title: str,
    meeting: Meeting | None = None,
    assignee: Any = None,
    due_date: date | None = None,
) -> Task:
    require_role(membership, Role.MEMBER)
    workspace = membership.workspace
    if meeting is not None and meeting.workspace_id != workspace.id:
        raise Invalid("That meeting is not in this workspace.", fields={"meeting": ["Not found."]})
    _check_assignee(workspace, assignee)
    title = title.strip()
    if not title:
        raise Invalid("Give the task a title.", fields={"title": ["This field is required."]})
    task = Task.objects.create(
        workspace=workspace,
        meeting=meeting,
        title=title[:300],
        assignee=assignee,
        due_date=due_date,
        created_by=membership.user,
        edited=True,
    )
    if meeting is not None:
        _send_on_commit(meeting.id, events.task_event(task, created=True))
    send_on_commit(task_created, task=task)
    return task


_TASK_FIELDS = {"title", "assignee", "due_date", "status", "review"}


def task_update(*, task: Task, membership: Membership, **changes: Any) -> Task:
    if not can_edit_task(task, membership):
        raise Forbidden("Only the assignee, its creator, the organizer or an admin can change this task.")
    unknown = set(changes) - _TASK_FIELDS
    if unknown:
        raise Invalid(f"Unknown field: {', '.join(sorted(unknown))}.")
    if "assignee" in changes:
        _check_assignee(task.workspace, changes["assignee"])
    if "status" in changes and changes["status"] not in Task.Status.values:
        raise Invalid("Unknown status.", fields={"status": [f"One of {', '.join(Task.Status.values)}."]})
    if "review" in changes and changes["review"] not in Task.Review.values:
        raise Invalid("Unknown review.", fields={"review": [f"One of {', '.join(Task.Review.values)}."]})
    for key, value in changes.items():
        setattr(task, key, value)
    task.edited = True
    task.save(update_fields=[*changes, "edited", "updated_at"])
    if task.meeting_id:
        _send_on_commit(task.meeting_id, events.task_event(task, created=False))
    send_on_commit(task_updated, task=task)
    return task


def task_delete(*, task: Task, membership: Membership) -> None:
    if not can_edit_task(task, membership):
        raise Forbidden("Only the assignee, its creator, the organizer or an admin can delete this task.")
    audit.record("task_deleted", actor=membership.user, workspace=task.workspace, target=task)
    task.delete()
